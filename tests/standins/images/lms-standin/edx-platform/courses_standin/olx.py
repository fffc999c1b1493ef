"""Reading an OLX course directory the way edx-platform's XML modulestore does, as far as the
stand-in needs: xmodule/modulestore/xml.py `XMLModuleStore.load_course` parses `course.xml`
(org, course, url_name; the course key is built from them by `get_id`, which raises without
a url_name), reads `policies/<url_name>/policy.json`, then the course block and its children,
each `<category url_name=...>` pointer naming `<category>/<url_name>.xml`. A parse error in
course.xml is re-raised by `try_load_course` and fails the import. Unlike upstream (which
turns a broken child block into an ErrorBlock and logs it), the stand-in also refuses a broken
or missing child: the stack's own course must import whole."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

# Blocks whose XML children are blocks; any other block's XML is its own content (a problem's).
CONTAINERS = ("chapter", "sequential", "vertical")


class OLXError(ValueError):
    pass


@dataclass
class Course:
    org: str
    number: str
    run: str
    display_name: str
    start: str | None
    enrollment_start: str | None
    enrollment_end: str | None
    self_paced: bool
    blocks: list[dict] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"course-v1:{self.org}+{self.number}+{self.run}"


def _parse(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except FileNotFoundError:
        raise OLXError(f"{path}: no such file") from None
    except ET.ParseError as exc:
        raise OLXError(f"{path}: not well-formed XML ({exc})") from None


def _children(root: Path, element: ET.Element, depth: int, out: list[dict]) -> None:
    for child in element:
        url_name = child.get("url_name")
        node = (
            _parse(root / child.tag / f"{url_name}.xml")
            if url_name and len(child) == 0 and not child.attrib.keys() - {"url_name"}
            else child
        )
        if node.tag != child.tag:
            raise OLXError(f"{root / child.tag / f'{url_name}.xml'}: root element <{node.tag}>, expected <{child.tag}>")
        out.append(
            {"category": child.tag, "url_name": url_name or "", "display_name": node.get("display_name", ""), "depth": depth}
        )
        if child.tag in CONTAINERS:
            _children(root, node, depth + 1, out)


def read_course(root: Path) -> Course:
    top = _parse(root / "course.xml")
    if top.tag != "course":
        raise OLXError(f"{root / 'course.xml'}: root element <{top.tag}>, expected <course>")
    org, number, run = top.get("org") or "edx", top.get("course") or root.name, top.get("url_name")
    if not run:
        raise OLXError("Can't load a course without a 'url_name' (or 'name') set.  Set url_name.")
    policy_path = root / "policies" / run / "policy.json"
    policy = {}
    if policy_path.exists():
        try:
            policy = json.loads(policy_path.read_text()).get(f"course/{run}", {})
        except ValueError:
            policy = {}  # upstream logs "ERROR: loading courselike policy" and goes on without it
    block = _parse(root / "course" / f"{run}.xml")
    attrs = {**block.attrib, **{k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in policy.items()}}
    blocks: list[dict] = []
    _children(root, block, 1, blocks)
    return Course(
        org=org,
        number=number,
        run=run,
        display_name=attrs.get("display_name", run),
        start=attrs.get("start"),
        enrollment_start=attrs.get("enrollment_start"),
        enrollment_end=attrs.get("enrollment_end"),
        self_paced=attrs.get("self_paced", "false") == "true",
        blocks=blocks,
    )
