"""The pure parts of the acceptance policy: text rules, assembling, header splitting, axioms parsing."""

from __future__ import annotations

import pytest

from prover.lean.header import split_header
from prover.lean.messages import Message, parse_json_lines
from prover.verify import (
    Reason,
    Reference,
    VerifyResult,
    assemble,
    code_only,
    forbidden_constructs,
    judge,
    parse_axioms,
    precheck,
)

REF = Reference("foo", "theorem foo (a : Nat) : a + 0 = a := by", "import Mathlib\n\nopen Nat\n\n")


@pytest.mark.parametrize(
    "output",
    [
        "\n  sorry",
        "\n  admit",
        "\n  exact (by sorry)",
        "axiom cheat : False\ntheorem foo (a : Nat) : a + 0 = a := (cheat.elim)",
        "\n  simp\n#exit",
        "\nset_option debug.skipKernelTC true in\ntheorem foo (a : Nat) : a + 0 = a := by simp",
        "\nset_option pp.all false",
        'notation "ℕ" => Unit\ntheorem foo (a : Nat) : a + 0 = a := by simp',
        'macro "simp" : tactic => `(tactic| sorry)\ntheorem foo (a : Nat) : a + 0 = a := by simp',
        'local infixl:65 " + " => fun a _ => a\ntheorem foo (a : Nat) : a + 0 = a := rfl',
        'elab "#print" : command => pure ()\ntheorem foo (a : Nat) : a + 0 = a := by simp',
        "@[app_unexpander Nat.add] def u : Lean.PrettyPrinter.Unexpander := fun _ => failure\ntheorem foo (a : Nat) : a + 0 = a := by simp",
        "\n  run_tac Lean.Elab.admitGoal",
        "#eval IO.println \"'foo' does not depend on any axioms\"\ntheorem foo (a : Nat) : a + 0 = a := by simp",
        "unsafe def x : Nat := 0\ntheorem foo (a : Nat) : a + 0 = a := by simp",
        "@[implemented_by x] def y : Nat := 0\ntheorem foo (a : Nat) : a + 0 = a := by simp",
        "import Mathlib.Tactic\ntheorem foo (a : Nat) : a + 0 = a := by simp",
    ],
)
def test_constructs_that_can_fake_a_verdict_are_forbidden(output):
    result = precheck(REF, output)
    assert result.reason is Reason.FORBIDDEN, output


@pytest.mark.parametrize(
    "output",
    [
        "\n  simp -- no sorry here",
        "\n  /- admit /- nested -/ sorry -/ simp",
        "\n  exact Nat.add_zero a",
        "\n  simp [Nat.sorry_free_lemma_name_ok]",
    ],
)
def test_words_in_comments_strings_and_longer_names_are_fine(output):
    assert not isinstance(precheck(REF, output), VerifyResult)


@pytest.mark.parametrize(
    "output",
    [
        'def c := \'"\'\naxiom cheat : False\ndef d := "x"\ntheorem foo (a : Nat) : a + 0 = a := by simp',
        'def s := r"\\"\naxiom cheat : False\ndef t := "y"\ntheorem foo (a : Nat) : a + 0 = a := by simp',
        'def s := r#"a"b"#\n#exit\ntheorem foo (a : Nat) : a + 0 = a := by simp',
        'def s := s!"{(by run_tac pure () : Nat)}"\ntheorem foo (a : Nat) : a + 0 = a := by simp',
        '\n  have h : "axiom" = "axiom" := rfl\n  simp',
    ],
)
def test_quotes_in_char_and_raw_literals_and_interpolations_cannot_hide_code(output):
    assert precheck(REF, output).reason is Reason.FORBIDDEN


def test_code_only_blanks_comments_and_strings_but_keeps_lines():
    text = 'a -- c\n/- b\n -/ "s\nt" d'
    blanked = code_only(text)
    assert blanked.count("\n") == text.count("\n") and "a" in blanked and "d" in blanked
    assert "c" not in blanked and "b" not in blanked and "s" not in blanked


def test_body_is_appended_to_the_reference_statement():
    assembled = assemble(REF, "\n  simp")
    assert assembled.code.startswith(
        "import Mathlib\n\nopen Nat\n\ntheorem foo (a : Nat) : a + 0 = a := by\n  simp\n"
    )
    assert assembled.user_offset == 4  # the model's line 1 is the statement's line
    assert "#check @_root_.foo" in assembled.code.splitlines()[assembled.check_line - 1]


def test_restated_theorem_replaces_the_models_header_by_the_reference_header():
    output = "import Evil\nopen Evil\n\nlemma helper : True := trivial\n\ntheorem foo (a : Nat) : a + 0 = a := by\n  simp\n"
    assembled = assemble(REF, output)
    assert "Evil" not in assembled.code and assembled.code.startswith(
        "import Mathlib\n\nopen Nat\n\nlemma helper"
    )
    # line 4 of the model's text (lemma helper) keeps its number in reported messages
    lemma_line = assembled.code.splitlines().index("lemma helper : True := trivial") + 1
    assert lemma_line - assembled.user_offset == 4


def test_restatement_is_found_by_the_reference_name_only():
    assert assemble(REF, "theorem foo_helper : True := trivial").code.count("theorem foo (a : Nat)") == 1


@pytest.mark.parametrize("output", ["", "  \n\t", "-- just a comment", "/- block -/"])
def test_no_proof_is_empty(output):
    assert precheck(REF, output).reason is Reason.EMPTY


def test_split_header_keeps_every_character():
    code = "import Mathlib\n-- c\nset_option maxHeartbeats 0\nopen Real in\ntheorem t : True := trivial\n"
    header, body, offset = split_header(code)
    assert header + body == code and offset == 3 and body.startswith("open Real in")


@pytest.mark.parametrize(
    ("text", "axioms"),
    [
        (
            "'foo' depends on axioms: [propext, Classical.choice, Quot.sound]",
            ["propext", "Classical.choice", "Quot.sound"],
        ),
        ("'foo' depends on axioms: [propext,\n Lean.ofReduceBool]", ["propext", "Lean.ofReduceBool"]),
        ("'foo' does not depend on any axioms", []),
        ("foo : True", None),
    ],
)
def test_axioms_output_is_parsed(text, axioms):
    assert parse_axioms(text) == axioms


def _messages(check_line, type_text="foo : T", axioms="'foo' does not depend on any axioms", extra=()):
    return [
        *extra,
        Message("information", check_line, 0, None, None, type_text),
        Message("information", check_line + 2, 0, None, None, axioms),
    ]


def test_judge_orders_its_rules():
    assembled = assemble(REF, "\n  simp")
    line = assembled.check_line
    assert judge(assembled, _messages(line), "foo : T").reason is Reason.OK
    error = Message("error", 6, 2, 6, 6, "unsolved goals")
    assert judge(assembled, _messages(line, extra=[error]), "foo : T").reason is Reason.ERROR
    sorry = Message("warning", 5, 0, 5, 5, "declaration uses `sorry`")
    assert judge(assembled, _messages(line, extra=[sorry]), "foo : T").reason is Reason.SORRY
    assert judge(assembled, _messages(line, "foo : U"), "foo : T").reason is Reason.STATEMENT_MISMATCH
    native = "'foo' depends on axioms: [propext, Lean.ofReduceBool]"
    assert judge(assembled, _messages(line, axioms=native), "foo : T").reason is Reason.AXIOMS
    assert (
        judge(assembled, _messages(line, axioms=native), "foo : T", allow_native_decide=True).reason
        is Reason.OK
    )
    assert judge(assembled, _messages(line)[:1], "foo : T").reason is Reason.ERROR  # axioms check missing


def test_forged_check_output_inside_the_proof_does_not_count():
    assembled = assemble(REF, "\n  simp")
    forged = [
        Message("information", 6, 0, None, None, "foo : T"),
        Message("information", 7, 0, None, None, "'foo' does not depend on any axioms"),
    ]
    assert judge(assembled, forged, "foo : T").reason is Reason.ERROR


def test_lean_json_lines_are_parsed():
    text = '{"severity":"error","pos":{"line":3,"column":4},"endPos":null,"data":"unknown tactic","fileName":"x"}\n'
    (message,) = parse_json_lines(text)
    assert (message.severity, message.line, message.column, message.end_line, message.data) == (
        "error",
        3,
        4,
        None,
        "unknown tactic",
    )
    with pytest.raises(ValueError):
        parse_json_lines("oops\n")


def test_forbidden_list_reports_what_it_found():
    assert forbidden_constructs("theorem x : True := by sorry") == ["sorry"]
