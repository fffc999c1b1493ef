"""`make e2e REAL=1` preflight: pull every published image of the versions table (generator/
versions.yml, or the `--images` file named by ODL_E2E_REAL_IMAGES, e.g. a mirror) before any
stack starts, so the timed `up` measures the stack, not the download. Where no registry answers
it stops at the first image with one line saying so, and exits 2.

    python tests/engine/real_images.py      (run.sh calls it when ODL_E2E_REAL=1)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from generator import versions

# Built by the stack itself, FROM openedx-base: nothing to pull.
BUILT_BY_THE_STACK = {"openedx"}


def published_images() -> dict[str, str]:
    mirror = os.environ.get("ODL_E2E_REAL_IMAGES")
    table = versions.images(versions.read_overrides(Path(mirror)) if mirror else None)
    return {name: ref for name, ref in table.items() if name not in BUILT_BY_THE_STACK}


def main() -> int:
    for name, ref in published_images().items():
        proc = subprocess.run(["docker", "pull", "--quiet", ref], capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            print(
                f"REAL=1 needs an image registry: docker pull {ref} ({name}) failed: {reason}. "
                "Fix: run it where the registries answer, or name a mirror's images with ODL_E2E_REAL_IMAGES=FILE.",
                file=sys.stderr,
            )
            return 2
        print(f"    pulled {ref}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
