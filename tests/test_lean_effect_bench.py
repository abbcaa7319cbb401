"""The Lean-checked benchmark's report (benchmarks/lean_effect/run.py --report): the table a person reads,
from results.json alone (the full run is a benchmark, not a test)."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, load_script

pytestmark = pytest.mark.slow  # draws the plot with matplotlib

RUN = load_script(ROOT / "benchmarks" / "lean_effect" / "run.py", "lean_effect_run")
SETTINGS = {"seeds": [0, 1], "steps": [300], "n_prime": [64, 16], "n": 2, "split": "valid", "theorems": 10}
ENVIRONMENT = {"processor": "x86_64", "cpu_count": 2, "torch_threads": 2, "blas": {"pinned": True}}


def run(method: str, seed: int, pass1: float, pass2: float) -> dict:
    return {"method": method, "seed": seed, "step": 300, "solved": 10 * pass2, "theorems": 10, "attempts": 20,
            "pass_at_k": {"1": {"pass_at_k": pass1}, "2": {"pass_at_k": pass2}}, "proof_checks": 10,
            "checks_reused": 10}  # fmt: skip


def report(tmp_path, settings: dict, runs: list[dict]) -> list[str]:
    (tmp_path / "results.json").write_text(json.dumps(
        {"settings": settings, "environment": ENVIRONMENT, "runs": runs, "seconds": 7}))  # fmt: skip
    assert RUN.main(["--report", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "pass_at_k.png").stat().st_size > 0
    return (tmp_path / "results.md").read_text().splitlines()


def test_the_table_gives_mean_and_standard_error_and_names_the_choice(tmp_path):
    runs = [run("CE", 0, 0.1, 0.3), run("DCO N'=64", 0, 0.1, 0.4), run("DCO N'=16", 0, 0.1, 0.6),
            run("CE", 1, 0.3, 0.5), run("DCO N'=64", 1, 0.1, 0.6), run("DCO N'=16", 1, 0.1, 0.5)]  # fmt: skip
    lines = report(tmp_path, SETTINGS, runs)
    assert lines[0] == "# Lean-checked pass@k on data/lean_arith (valid, first 10), N = 2, seeds [0, 1]"
    rows = [line for line in lines if line.startswith("| CE") or line.startswith("| DCO")]
    assert rows == [  # in the order run; pass@2 64: (40, 60) -> 50 ± 10; 16: (60, 50) -> 55 ± 5
        "| CE | 300 | 4.0 | 20.0 ± 10.0 | 40.0 ± 10.0 | 0.50 |",
        "| DCO N'=64 | 300 | 5.0 | 10.0 ± 0.0 | 50.0 ± 10.0 | 0.50 |",
        "| DCO N'=16 | 300 | 5.5 | 10.0 ± 0.0 | 55.0 ± 5.0 | 0.50 |",
    ]
    assert "mean ± standard error over seeds" in lines[-3] and "Measured in 7 s" in lines[-2]
    assert lines[-1] == "Chosen for test: N'=16, the highest pass@2 after 300 steps."


def test_one_seed_shows_no_spread(tmp_path):
    lines = report(tmp_path, {**SETTINGS, "seeds": [0], "n_prime": [64], "split": "test"},
                   [run("CE", 0, 0.1, 0.3), run("DCO N'=64", 0, 0.2, 0.4)])  # fmt: skip
    assert "| CE | 300 | 3.0 | 10.0 | 30.0 | 0.50 |" in lines and "one seed" in lines[-2]
    assert not any(line.startswith("Chosen") for line in lines)  # the test split chooses nothing
