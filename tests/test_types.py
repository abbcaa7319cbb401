"""The package type-checks (mypy, settings in pyproject.toml): CI's guard on the tactic-mode REPL's Protocol,
Optional process handles and the Python version the package claims (3.10)."""

import os
import textwrap

from mypy import api

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _mypy(*args: str) -> tuple[int, str]:
    out, err, status = api.run(["--config-file", os.path.join(ROOT, "pyproject.toml"), *args])
    return status, out + err


def test_the_package_type_checks():
    status, report = _mypy(os.path.join(ROOT, "prover"))
    assert status == 0, report


def test_a_backend_missing_a_protocol_method_is_a_type_error(tmp_path):
    """What the check above guards: a REPL handed to search must implement ``TacticRepl`` in full."""
    backend = tmp_path / "backend.py"
    backend.write_text(textwrap.dedent("""
        from prover.lean.repl import LeanRepl, ProofStepResponse, ReplSettings, TacticRepl


        class NoApply:
            def start_proof(self, statement: str, header: str = "", timeout: float = 60.0) -> ProofStepResponse:
                raise NotImplementedError

            def close(self) -> None: ...


        good: TacticRepl = LeanRepl(ReplSettings(("true",)))
        bad: TacticRepl = NoApply()
    """))
    status, report = _mypy(str(backend))
    assert status == 1 and report.count("error:") == 1, report
    assert "backend.py:13: error" in report and "note:     apply" in report, report
