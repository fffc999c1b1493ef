"""`make bench`: time `odl-stack new` against Tutor's own `tutor config save`.

Both run as fresh processes rendering the same Open edX config into fresh
directories, interleaved, several rounds; the ratio of medians is printed.
Target: odl-stack / tutor <= 1.3 (our run also renders the app, the compose
file and the bootstrap on top of Tutor's work).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_live_app
import bench_live_plugin
import bench_snapshots

from generator.openedx import tutor_settings
from generator.plan import make_plan
from generator.spec import make_spec

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
TARGET = 1.3
BIN = Path(sys.executable).parent


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> int:
    plan = make_plan(make_spec("xpro"))
    sets = []
    for key, value in tutor_settings(plan).items():
        sets += ["--set", f"{key}={value if not isinstance(value, bool) else str(value).lower()}"]
    env = {**os.environ, "TUTOR_IGNORE_ENTRYPOINT_PLUGINS": "1", "TUTOR_IGNORE_DICT_PLUGINS": "1"}
    ours, tutors = [], []
    work = Path(tempfile.mkdtemp(prefix="odl-bench-"))
    try:
        for i in range(ROUNDS):
            tutor_root = work / f"tutor-{i}"
            tutors.append(timed([str(BIN / "tutor"), "--root", str(tutor_root), "config", "save", *sets], env))
            ours.append(timed([str(BIN / "odl-stack"), "new", "--app", "xpro", "--out", str(work / f"ours-{i}")], env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ours_median, tutor_median = statistics.median(ours), statistics.median(tutors)
    ratio = ours_median / tutor_median
    print(f"tutor config save : median {tutor_median:.3f} s over {ROUNDS} runs (min {min(tutors):.3f})")
    print(f"odl-stack new     : median {ours_median:.3f} s over {ROUNDS} runs (min {min(ours):.3f})")
    print(f"ratio odl-stack/tutor = {ratio:.2f} (target <= {TARGET})")
    bench_snapshots.main()
    bench_live_plugin.main()  # plugin Python edit -> served, on the engine tier's stand-in stack
    bench_live_app.main()  # edit -> served, in a stack built from a checkout (engine tier)
    return 0


if __name__ == "__main__":
    sys.exit(main())
