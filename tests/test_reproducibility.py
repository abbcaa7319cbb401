"""What the benchmarks' numbers depend on: a short benchmark rerun under one and two threads (torch's CPU
kernels split reductions by thread), compared record for record, and what results.json records."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def _quick(out, threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    script = ROOT / "benchmarks" / "overconfidence" / "run.py"
    result = subprocess.run([sys.executable, str(script), "--quick", "--out", str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads((out / "results.json").read_text())


def test_a_short_benchmark_under_one_and_two_threads(tmp_path, capsys):
    one, two = _quick(tmp_path / "one", 1), _quick(tmp_path / "two", 2)
    assert one["environment"]["torch_threads"] == 1 and two["environment"]["torch_threads"] == 2
    assert one["environment"]["blas"]["cpu_capability"] and one["environment"]["packages"]["torch"]
    curves = [[[e["pass_at"] for e in r["epochs"]] for r in run["runs"]] for run in (one, two)]
    identical = curves[0] == curves[1]
    with capsys.disabled():  # said, not asserted: bit-exactness is this machine's property
        print(f"\nquick overconfidence benchmark, 1 vs 2 threads: {'identical' if identical else 'different'}")
    for a, b in zip(*curves):  # the same within what the stated standard errors allow
        for ea, eb in zip(a, b):
            assert all(abs(ea[k] - eb[k]) <= 0.02 for k in ea)
