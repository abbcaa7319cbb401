"""Acceptance and rejection with a real Lean project (marked `lean`; skipped unless PROVER_LEAN_PROJECT
points to a lean_project/ built by scripts/setup_lean.sh). The statements need only core Lean: set
PROVER_TEST_HEADER="" to run them without Mathlib (default header: "import Mathlib")."""

from __future__ import annotations

import os

import pytest

from prover.lean.filecheck import file_runner
from prover.lean.pool import ReplPool
from prover.lean.setup import LeanSetup
from prover.verify.policy import Reason, Reference, check_proof

from .conftest import TEST_HEADER, requires_lean_project

PROJECT = os.environ.get("PROVER_LEAN_PROJECT")
pytestmark = requires_lean_project
HEADER = TEST_HEADER
COMM = Reference("comm", "theorem comm (a b : Nat) : a + b = b + a := by", HEADER)
DEC = Reference("dec", "theorem dec : 2 ^ 10 = 1024 := by", HEADER)


@pytest.fixture(scope="module", params=["file", "repl"])
def check(request):
    if request.param == "file":
        command = LeanSetup.from_env().lean
        yield lambda ref, out, **kw: check_proof(
            ref, out, file_runner(command, timeout=60), **kw
        )
    else:
        with ReplPool(LeanSetup.from_env().repl(), timeout=60) as pool:
            yield lambda ref, out, **kw: check_proof(ref, out, pool.run, **kw)


def test_correct_proof_is_accepted(check):
    result = check(COMM, "\n  omega")
    assert result.accepted, result


def test_restated_proof_with_helper_is_accepted(check):
    output = "theorem helper (a b : Nat) : a + b = b + a := Nat.add_comm a b\n\ntheorem comm (a b : Nat) : a + b = b + a := by\n  exact helper a b\n"
    assert check(COMM, output).accepted


@pytest.mark.parametrize(
    ("output", "reasons"),
    [
        ("\n  sorry", {Reason.FORBIDDEN, Reason.SORRY}),
        ("\n  admit", {Reason.FORBIDDEN, Reason.SORRY}),
        (
            "\n  exact cheat a b\naxiom cheat (a b : Nat) : a + b = b + a",
            {Reason.FORBIDDEN, Reason.AXIOMS, Reason.ERROR},
        ),
        ("\n  omega\n#exit", {Reason.FORBIDDEN, Reason.ERROR}),
        (
            "\nset_option debug.skipKernelTC true in\ntheorem comm (a b : Nat) : a + b = b + a := by omega",
            {Reason.FORBIDDEN},
        ),
        ("theorem comm (a b : Nat) : a + b = a + b := rfl", {Reason.STATEMENT_MISMATCH}),
        (
            'notation a " ⊕⊕ " b => a + b\ntheorem comm (a b : Nat) : a + b = b + a := by omega',
            {Reason.FORBIDDEN},
        ),
        (
            'macro "omega" : tactic => `(tactic| sorry)\ntheorem comm (a b : Nat) : a + b = b + a := by omega',
            {Reason.FORBIDDEN},
        ),
        (  # a configuration Lean evaluates while elaborating: IO would run there
            '\n  apply (config := (EStateM.run (IO.println "x") ()).snd.casesOn {}) Nat.add_comm',
            {Reason.FORBIDDEN},
        ),
        ("\n  conv => run_conv pure ()\n  omega", {Reason.FORBIDDEN}),
        ("", {Reason.EMPTY}),
        ("\n  exact rfl", {Reason.ERROR}),  # a + b and b + a are not defeq for variables
    ],
)
def test_rejections(check, output, reasons):
    result = check(COMM, output)
    assert result.reason in reasons and not result.accepted, result


def test_native_decide_is_rejected_by_default(check):
    assert check(DEC, "\n  native_decide").reason is Reason.AXIOMS


def test_proof_that_never_ends_times_out():
    command = LeanSetup.from_env().lean
    ref = Reference("slow", "theorem slow : Nat.ack 4 2 = 0 := by", HEADER)
    result = check_proof(
        ref,
        "\n  set_option maxHeartbeats 0 in decide",
        file_runner(command, timeout=5),
    )
    assert result.reason in {Reason.TIMEOUT, Reason.ERROR} and not result.accepted
