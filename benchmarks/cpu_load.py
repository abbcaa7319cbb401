"""The CPU pipeline on a busy machine: wall time idle and beside six busy processes, with the thread policy
(prover/threads.py) and with torch's default threads, side by side in one run.

    python benchmarks/cpu_load.py                       # TINY pipeline and the quick loop
    python benchmarks/cpu_load.py --what pipeline --busy 6

The load is `--busy` processes spinning in pure Python (a shared machine's other jobs). Each command runs
idle, then loaded; the ratio loaded / idle is what a user feels (a fair share of a 2-core machine beside six
busy processes is about 3.5x). "default threads" forces torch's own choice (one thread per core) through
OMP_NUM_THREADS, which the policy obeys, to show what the policy saves.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spin() -> None:
    while True:
        pass


def commands(what: list[str], scratch: Path) -> dict[str, tuple[list[str], dict]]:
    out = {}
    if "pipeline" in what:
        out["TINY pipeline"] = (["bash", "scripts/pipeline_cpu.sh"], {"TINY": "1", "OUT": str(scratch / "pipeline")})
    if "quick" in what:
        out["quick loop (-m 'not slow')"] = ([sys.executable, "-m", "pytest", "-q", "-x", "-m", "not slow",
                                             "-p", "no:cacheprovider"], {})  # fmt: skip
    return out


def timed(argv: list[str], env: dict, scratch: Path) -> float:
    shutil.rmtree(scratch / "pipeline", ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--what", nargs="+", choices=["pipeline", "quick"], default=["pipeline", "quick"])
    parser.add_argument("--busy", type=int, default=6, help="busy processes beside the command")
    parser.add_argument("--default_threads", action="store_true", help="also run with torch's default threads")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"{cores} cores; load: {args.busy} busy processes")
    print(f"{'command':28} {'threads':16} {'idle s':>8} {'loaded s':>9} {'loaded/idle':>12}")
    with tempfile.TemporaryDirectory(prefix="cpu-load-") as tmp:
        scratch = Path(tmp)
        variants = {"policy": {}}
        if args.default_threads:
            variants["default threads"] = {"OMP_NUM_THREADS": str(cores)}
        for name, (argv, env) in commands(args.what, scratch).items():
            for variant, extra in variants.items():
                idle = timed(argv, {**env, **extra}, scratch)
                load = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
                for p in load:
                    p.start()
                time.sleep(65)  # the load average (what the policy reads) catches up with the load
                try:
                    loaded = timed(argv, {**env, **extra}, scratch)
                finally:
                    for p in load:
                        p.terminate()
                    for p in load:
                        p.join()
                print(f"{name:28} {variant:16} {idle:8.1f} {loaded:9.1f} {loaded / idle:11.1f}x", flush=True)
                time.sleep(30)  # let the load average fall before the next idle run
    return 0


if __name__ == "__main__":
    sys.exit(main())
