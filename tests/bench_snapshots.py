"""`make bench`: per stack, seconds from a fresh `docker compose up -d` to the bootstrap's all ✓, seconds
from `odl-stack restore` to all ✓, the snapshot's size, and their ratio (target: restore ≤ 0.3 × fresh,
on the stand-ins).

The figures are measured by the engine scenario tests/engine/test_engine_snapshots.py (a real engine
and the stand-in images, which tests/engine/run.sh builds) and kept in .cache/engine/bench-snapshots.json.
This prints them with the time they were measured; with BENCH_SNAPSHOTS_RUN=1, or when there are none
yet, it runs that scenario first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / ".cache" / "engine" / "bench-snapshots.json"
TARGET = 0.3


def main() -> int:
    if os.environ.get("BENCH_SNAPSHOTS_RUN") == "1" or not FIGURES.exists():
        print("snapshots: measuring (bash tests/engine/run.sh -k test_engine_snapshots) ...", flush=True)
        code = subprocess.run(
            ["bash", "tests/engine/run.sh", "-k", "test_engine_snapshots"], cwd=ROOT, stdout=subprocess.DEVNULL
        ).returncode
        if code or not FIGURES.exists():
            print(f"snapshots: the engine scenario failed (exit {code}); no figures")
            return 1
    figures = json.loads(FIGURES.read_text())
    for app, f in sorted(figures.items()):
        ratio = f["restore_s"] / f["fresh_up_s"]
        print(
            f"snapshots {app:<11}: fresh up → all ✓ {f['fresh_up_s']:.0f} s; restore → all ✓ {f['restore_s']:.0f} s; "
            f"ratio {ratio:.2f} (target <= {TARGET}); snapshot {f['snapshot_bytes'] / 2**20:.0f} MiB (measured {f['measured']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
