"""STAND-IN of MITx Online's `main.utils.get_redis_lock` (mitodl/mitxonline@b3c9730 main/utils.py:233-237:
`redis_lock.Lock(caches["redis"].client.get_client(), name, **kwargs)`, python-redis-lock>=4,<5 per
pyproject.toml:74).

python-redis-lock is not installable here, so the Lock below keeps the semantics the app's
`_create_edx_user_request` (openedx/api.py:336-409) relies on, over the same `caches["redis"]`:
- acquire(blocking=True, timeout=None): True once held; with a timeout, False when another holder
  keeps it that long; `expire` is the key's time to live, so a lock never released frees itself
  after `expire` seconds;
- release(): only the holder may release (NotAcquired otherwise);
- reset(): forcibly deletes the lock, whoever holds it.
Left out: auto_renewal, the signal key's wake-up (waiters poll the cache every 0.1 s instead)."""

import secrets
import time

from django.core.cache import caches

POLL_SECONDS = 0.1


class NotAcquired(RuntimeError):
    pass


class Lock:
    def __init__(self, cache, name, expire=None, id=None):
        self._cache, self._name, self._expire = cache, "lock:" + name, expire
        self.id = id or secrets.token_hex(16)

    def acquire(self, blocking=True, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._cache.add(self._name, self.id, timeout=self._expire):
            if not blocking or (deadline is not None and time.monotonic() >= deadline):
                return False
            time.sleep(POLL_SECONDS)
        return True

    def locked(self):
        return self._cache.get(self._name) is not None

    def release(self):
        if self._cache.get(self._name) != self.id:
            raise NotAcquired(f"Lock {self._name} is not acquired or it already expired.")
        self._cache.delete(self._name)

    def reset(self):
        self._cache.delete(self._name)


def get_redis_lock(name, **kwargs):
    """main/utils.py:233"""
    return Lock(caches["redis"], name, **kwargs)
