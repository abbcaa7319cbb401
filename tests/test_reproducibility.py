"""What the benchmarks' numbers depend on, and that pinning the kernels removes it: a short benchmark rerun
under 1 and 2 threads and with MKL held to AVX2 (as on an older processor) gives the same numbers to the
last bit, and results.json records what it ran on (benchmarks/measured_on.py says why)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def _quick(out, **env) -> subprocess.Popen:
    script = ROOT / "benchmarks" / "overconfidence" / "run.py"
    return subprocess.Popen([sys.executable, str(script), "--quick", "--out", str(out)], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _results(process: subprocess.Popen, out) -> dict:
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-2000:]
    return json.loads((out / "results.json").read_text())


def test_pinned_kernels_give_the_same_numbers_whatever_the_threads_and_the_processors_kernels(tmp_path):
    # both at once (one CPU each, mostly): the numbers may not depend on what else runs either
    one = _quick(tmp_path / "one", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", ATEN_CPU_CAPABILITY="avx2")
    # another processor, as far as one machine can play it: MKL and oneDNN held to AVX2, two threads
    two = _quick(tmp_path / "two", OMP_NUM_THREADS="2", MKL_NUM_THREADS="2", MKL_ENABLE_INSTRUCTIONS="AVX2",
                 ONEDNN_MAX_CPU_ISA="AVX2")  # fmt: skip
    one, two = _results(one, tmp_path / "one"), _results(two, tmp_path / "two")
    for run, threads in ((one, 1), (two, 2)):
        env = run["environment"]
        assert env["torch_threads"] == threads and env["packages"]["torch"] and env["processor"]
        assert env["blas"]["pinned"] and env["blas"]["cpu_capability"] == "DEFAULT" and env["blas"]["MKL_CBWR"] == "COMPATIBLE"
    assert one["runs"] == two["runs"]  # every number, floats to the last bit: greedy probabilities too
    assert any(e["greedy_confidence"]["wrong"] or e["greedy_confidence"]["correct"] for r in one["runs"] for e in r["epochs"])
