"""The realm of the request being served (the validator and user backend need it)."""

from __future__ import annotations

import contextvars

_realm: contextvars.ContextVar = contextvars.ContextVar("kc_realm", default=None)


def set_current_realm(realm) -> None:
    _realm.set(realm)


def current_realm():
    return _realm.get()


def current_realm_name() -> str | None:
    realm = _realm.get()
    return realm.name if realm is not None else None
