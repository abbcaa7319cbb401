"""The over-confidence benchmark's pipeline on a reduced setting: it runs and its outputs are well formed
(the full run is a benchmark, not a test)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_reduced_run_writes_well_formed_results(tmp_path):
    script = ROOT / "benchmarks" / "overconfidence" / "run.py"
    result = subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert {(r["method"], r["n_prime"]) for r in results["runs"]} == {("ce", None), ("dco", 256)}
    for run in results["runs"]:
        assert isinstance(run["seed"], int) and [e["epoch"] for e in run["epochs"]] == [1, 2]
        for epoch in run["epochs"]:
            assert set(epoch["pass_at"]) == {"1", "4", "16", "64", "256"}
            values = [epoch["pass_at"][k] for k in ("1", "4", "16", "64", "256")]
            assert all(0.0 <= v <= 1.0 for v in values) and values == sorted(values)  # pass@k grows with k
            confidence = epoch["greedy_confidence"]
            assert (
                set(confidence) == {"correct", "wrong"}
                and len(confidence["correct"]) + len(confidence["wrong"]) == results["test_problems"]
            )
            assert all(0.0 <= p <= 1.0 for p in confidence["correct"] + confidence["wrong"])
            by_operation = epoch["by_operation"]
            assert set(by_operation) == set(results["task"]) == {"+", "*%"}
            assert sum(o["problems"] for o in by_operation.values()) == results["test_problems"]
            for k in ("1", "256"):  # the whole is the problem-weighted mean of its operations
                whole = sum(o["problems"] * o["pass_at"][k] for o in by_operation.values())
                assert abs(whole / results["test_problems"] - epoch["pass_at"][k]) < 1e-9
    report = (tmp_path / "results.md").read_text()
    assert "| CE | 1 |" in report and "## `a * b mod 11` problems only" in report
    assert (tmp_path / "pass_at_k.png").stat().st_size > 0 and (
        tmp_path / "confidence.png"
    ).stat().st_size > 0
    assert not (tmp_path / "work").exists()  # checkpoints are not left behind
