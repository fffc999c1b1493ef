"""`make e2e REAL=1` where no image registry answers, as here: its preflight (real_images.py,
the command run.sh runs first in that mode) stops at once with one line saying so, exit 2.

The table is the versions table with every published image moved to a registry on 127.0.0.1
that refuses connections: the same failure as an unreachable docker.io, without a test sending
anything off this machine."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import real_images
from harness import PYTHON, ROOT


def test_real_mode_without_a_registry_fails_at_once_with_one_clear_line(engine: None, tmp_path: Path) -> None:
    table = tmp_path / "unreachable-registry.yml"
    table.write_text("".join(f"{name}: 127.0.0.1:9/odl-e2e/{name}:real\n" for name in real_images.published_images()))
    t0 = time.monotonic()
    proc = subprocess.run(
        [PYTHON, "tests/engine/real_images.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ODL_E2E_REAL_IMAGES": str(table)},
    )
    seconds = time.monotonic() - t0
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc
    assert len(lines) == 1 and lines[0].startswith("REAL=1 needs an image registry: docker pull 127.0.0.1:9/"), lines
    assert "Fix:" in lines[0] and proc.stdout == "", proc
    assert seconds < 30, f"took {seconds:.0f}s"
    print(f"    {lines[0]} ({seconds:.1f}s)")
