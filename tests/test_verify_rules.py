"""The pure parts of the acceptance policy: the lexer, the token rules, the statement, assembling, judging."""

from __future__ import annotations

import json
import re

import pytest
from conftest import MINIF2F, requires_minif2f
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.lean import lexer
from prover.lean.lexer import (
    LexError,
    TooManyReadings,
    code_tokens,
    full_name,
    id_first,
    id_rest,
    readings,
    tokenize,
    walk,
)
from prover.lean.messages import Message, parse_json_lines
from prover.verify.policy import (
    NATIVE_DECIDE_AXIOMS,
    STANDARD_AXIOMS,
    Reason,
    Reference,
    VerifyResult,
    assemble,
    check_proof,
    judge,
    lex,
    locate,
    parse_axioms,
    parse_statement,
    reference_names,
    rule_violations,
    screen,
)
from prover.verify.statement import declared_theorems, module_header, module_header_end

REF = Reference("foo", "theorem foo (a : Nat) : a + 0 = a := by", "import Mathlib\n\nopen Nat\n\n")


def rules(text: str) -> list[str]:
    return rule_violations(tokenize(text))


# --------------------------------------------------------------------------- the lexer


def test_words_keywords_and_escaped_names():
    kinds = [(t.kind, t.text, t.name, t.escaped) for t in tokenize("unsafe «unsafe» unsafe.x «a».b.«c d» x'")]
    assert kinds == [
        ("word", "unsafe", "unsafe", False),
        ("word", "«unsafe»", "unsafe", True),
        ("word", "unsafe.x", "unsafe.x", False),
        ("word", "«a».b.«c d»", "a.b.c d", True),
        ("word", "x'", "x'", False),
    ]
    assert tokenize("unsafe")[0].is_keyword("unsafe") and not tokenize("«unsafe»")[0].is_keyword("unsafe")


def test_comments_nest_and_skip_the_character_after_the_opening():
    tokens = tokenize("/- a /- b -/ c -/ x /-/-/ y /--/ doc -/ z -- w\nv")
    assert [(t.kind, t.text) for t in code_tokens(tokens)] == [
        ("word", "x"),
        ("word", "y"),
        ("word", "z"),
        ("word", "v"),
    ]
    assert [t.kind for t in tokens if not t.is_code] == ["comment", "comment", "doc", "comment"]


def test_a_doc_comment_body_starts_after_leans_whitespace():
    # after the `/--` token Lean skips whitespace and comments: the `-/` in that line comment closes nothing
    tokens = tokenize('/-- -- -/ "\n-/\naxiom cheat : False\n-- "')
    assert [t.kind for t in tokens] == ["doc", "word", "word", "symbol", "word", "comment"]
    assert "axiom declaration" in rule_violations(tokens)
    # ...and only whitespace and comments: right after `/--` the body has begun (Lean checked: `axiom` is code)
    tokens = tokenize("/--X-- -/\naxiom cheat : Sort 0\n-- -/")
    assert [t.kind for t in tokens] == ["doc", "word", "word", "symbol", "word", "number", "comment"]
    with pytest.raises(LexError, match="line 1: unterminated comment"):
        tokenize("/-- \n")


# After `/--` Lean skips whitespace and comments before the body: is the `axiom` after each of these code?
# Checked against the embedded Lean by tests/lean/test_lexer_fuzz.py.
DOC_OPENINGS = {"/-- -- c\n-/": True, "/-- /-/- -/ -/": True, "/-- /--/ -/": True, "/-- /-!/ -/": False,
                "/-- /- -/ -/": True, "/-- /- a -/": False, "/-- -- -/ x\n-/": True, "/-- /-! a -/ -- -/": True,
                "/-- /-- a -/ -- -/": True, "/-- /- a -/ -- -/": False}


def doc_opening_file(doc: str) -> str:
    return f"prelude\n{doc}\naxiom cheat : Sort 0\n-- -/\n#print axioms cheat\n"


@pytest.mark.parametrize("doc", list(DOC_OPENINGS))
def test_where_a_doc_comments_body_begins(doc):
    code = [t.text for t in code_tokens(tokenize(doc_opening_file(doc)))]
    assert ("axiom" in code) is DOC_OPENINGS[doc]


# Identifier characters at each edge of the ranges the lexer knows (and the exceptions inside them): which
# may start a name, which may only continue one, which neither. Lean's answers, checked against the embedded
# Lean by tests/lean/test_lexer_fuzz.py.
NAME_FIRST = [0x41, 0x5a, 0x61, 0x7a, 0x5f, 0xc0, 0xff, 0x100, 0x17f, 0x391, 0x3a9, 0x3b1, 0x3c9, 0x3ca, 0x3fb, 0x1f00, 0x1ffe, 0x2100, 0x214f, 0x1d49c, 0x1d59f]
NAME_REST_ONLY = [0x21, 0x27, 0x30, 0x39, 0x3f, 0x1d62, 0x1d6a, 0x2080, 0x2089, 0x2090, 0x209c, 0x2c7c]
NAME_NEITHER = [0x40, 0x5b, 0x60, 0x7b, 0xbf, 0xd7, 0xf7, 0x180, 0x390, 0x3a0, 0x3a3, 0x3aa, 0x3b0, 0x3bb, 0x3fc, 0x1d61, 0x1d6b, 0x1eff, 0x1fff, 0x207f, 0x208a, 0x208f, 0x209d, 0x20ff, 0x2150, 0x2c7b, 0x2c7d, 0x1d49b, 0x1d5a0]


def test_identifier_characters_are_leans():
    for v in NAME_FIRST + NAME_REST_ONLY + NAME_NEITHER:
        assert (id_first(chr(v)), id_rest(chr(v))) == (v in NAME_FIRST, v not in NAME_NEITHER), hex(v)


def test_literals_hide_nothing():
    text = '\'"\' r#"a"b"# "x\\"y" \'\\\'\' `«/-».b 0x1F 1.5e-3 2unsafe'
    assert [t.kind for t in tokenize(text)] == [
        "char", "string", "string", "char", "name_literal", "number", "number", "number", "word",
    ]  # fmt: skip
    assert tokenize(text)[-1].is_keyword("unsafe")  # `2unsafe` is 2 then the keyword, as in Lean


def test_a_raw_string_ends_at_its_own_closing_quote():
    # no escapes in a raw string: `r"#\"` is the string `#\`, and `axiom` after it is code
    assert [(t.kind, t.text) for t in tokenize('r"#\\" axiom r#"x"#')] == [
        ("string", 'r"#\\"'), ("word", "axiom"), ("string", 'r#"x"#')]
    assert [t.kind for t in tokenize('"a" r"b" axiom r"" axiom "c"')] == [  # each from its own opening
        "string", "string", "word", "string", "word", "string"]
    assert [(t.kind, t.text) for t in tokenize("x := r#")] == [  # no quote after the hashes: not a string
        ("word", "x"), ("symbol", ":="), ("word", "r"), ("symbol", "#")]


# Escapes in string and character literals: does Lean read the literal (True) or refuse it? Lean's answers,
# checked against the embedded Lean by tests/lean/test_lexer_fuzz.py. Not here: `"\\{"`, an escape of interpolated
# strings only; whether a string is one depends on what the imports make of the token before it, so the
# lexer keeps that reading (test_interpolated_strings_hold_code) and Lean refuses the plain one itself.
ESCAPES = {
    **{f'"{e}"': ok for e, ok in [("\\x41", True), ("\\xfF", True), ("\\x4", False), ("\\xZZ", False),
                                   ("\\u0041", True), ("\\u00E9z", True), ("\\u004", False), ("\\U0041", False),
                                   ("\\n", True), ("\\t", True), ("\\r", True), ("\\\\", True), ('\\"', True),
                                   ("\\'", True), ("\\a", False), ("\\0", False), ("\\\n  x", True),
                                   ("\\xG1", False), ("\\X", False)]},
    **{f"'{e}'": ok for e, ok in [("\\x41", True), ("\\x4", False), ("\\u0041", True), ("\\u00E9z", False),
                                   ("\\u004", False), ("\\n", True), ("\\t", True), ("\\r", True), ("\\\\", True),
                                   ('\\"', True), ("\\'", True), ("\\a", False), ("\\{", False), ("\\\n  x", False),
                                   ("\\\n", False)]},
}


# Numeric literals: the tokens the lexer reads, or its refusal; checked against the embedded Lean by
# tests/lean/test_lexer_fuzz.py (a refusal is Lean's error too, and a second token is where Lean stops).
NO_DIGIT, NO_EXPONENT = "a numeric literal that ends without its digit", "a scientific literal without exponent digits"
DOT_NAME = "a decimal point followed by a name (Lean: parenthesize the number)"
NUMBERS = {
    **{lit: [lit] for lit in ["12", "0x1F", "0X1f", "0b101", "0B11", "0o17", "0O7", "0x1_F", "0x_1", "1_000", "1__0",
                              "1_0.5", "1.5", "1.", "1e3", "1E+3", "1e-3", "1.e3", "2.5e10", "1.5E-2"]},
    "1x5": ["1", "x5"], "0b12": ["0b1", "2"], "0o78": ["0o7", "8"], "00x1": ["00", "x1"], "98": ["98"],
    "0b1X": ["0b1", "X"], "0o7X": ["0o7", "X"],
    **{lit: NO_DIGIT for lit in ["0b", "0x", "0o8", "0xG", "1_", "0b1_", "1.5_", "1e5_"]},
    **{lit: NO_EXPONENT for lit in ["1e", "1e+", "1.5e", "1.ex"]},
    **{lit: DOT_NAME for lit in ["1.x", "1.X", "1._5", "1.«x»", "1.é"]}, "1.5x": ["1.5", "x"], "1.?": ["1.", "?"],
    "1.E3": ["1.E3"],
}


@pytest.mark.parametrize("literal", list(NUMBERS))
def test_numbers_are_read_as_lean_reads_them(literal):
    text = f"def n :=\n  {literal}\n-- end\n"
    if isinstance(NUMBERS[literal], str):
        with pytest.raises(LexError) as error:
            tokenize(text)
        assert (str(error.value), error.value.offset) == (f"line 2: {NUMBERS[literal]}", text.index(literal))
    else:
        tokens = tokenize(text)[3:-1]
        assert [t.text for t in tokens] == NUMBERS[literal] and tokens[0].kind == "number"
        assert tokens[0].start == text.index(literal) and tokens[-1].end == text.index(literal) + len(literal)


@pytest.mark.parametrize("literal", list(NUMBERS))
def test_a_number_at_the_end_of_the_text_is_read_the_same(literal):
    if isinstance(NUMBERS[literal], str):
        with pytest.raises(LexError, match=re.escape(NUMBERS[literal])):
            tokenize(literal)
    else:
        assert [t.text for t in tokenize(literal)] == NUMBERS[literal]


def test_nested_comments_open_and_close_as_in_lean():
    # the inner `/-` is followed at once by `-/`: they nest and close, and `axiom` is code
    assert [t.kind for t in tokenize("/- /--/ -/ axiom")] == ["comment", "word"]


@pytest.mark.parametrize("literal", list(ESCAPES))
def test_escapes_are_read_as_lean_reads_them(literal):
    text = f"def s := {literal} axiom"
    if ESCAPES[literal]:
        assert [t.kind for t in tokenize(text)][-2:] == ["string" if literal[0] == '"' else "char", "word"]
    else:
        with pytest.raises(LexError):
            tokenize(text)


KINDS = {"word", "symbol", "number", "string", "char", "name_literal", "comment", "doc"}
AMBIGUOUS = ["[x]'a' y", "(x)' y", "f ⁻¹' s", 's!"a{x}\\\n  b"', 's!"\\{ {y}"', 'f "a\\\n {" x "}"', '"{"', '"a" r"b"',
             "#eval x #check_failure y", "`n.«m k» «a».b x'", "/-! m -/ -- c\n/-- d -/ def", "0x1F 1.5e-3 'a' '\\n'",
             "/- b -/ x", "f '' x", "a.b.", "«» «a»", "X Z z"]


@pytest.mark.parametrize("text", AMBIGUOUS + [doc_opening_file(d) for d in DOC_OPENINGS]
                         + [f"def n := {lit} x" for lit, read in NUMBERS.items() if not isinstance(read, str)])  # fmt: skip
def test_every_token_is_where_it_says(text):
    """In every reading, inside strings too: a known kind, its own text at its place, in order."""

    def check(tokens, lo, hi):
        for token, following in zip(tokens, [*tokens[1:], None]):
            assert token.kind in KINDS and text[token.start : token.end] == token.text != ""
            assert lo <= token.start and token.end <= (following.start if following else hi)
            if token.kind == "word" or token.text.startswith("#"):
                assert token.name == token.text.replace("«", "").replace("»", "")
            check(list(token.inner), token.start + 1, token.end - 1)

    for reading in readings(text):
        check(reading, 0, len(text))


def test_the_first_reading_is_the_plain_one_and_interpolations_keep_their_code():
    first, other = readings("[x]'a' y")  # the prime ends a notation first, a character literal second
    assert [t.text for t in first][3:5] == ["'", "a'"] and [t.kind for t in other][3] == "char"
    plain, interpolated = readings('f "a\\\n {" x "}"')  # a gap in both readings
    assert len(plain) == 4 and [t.text for t in interpolated[1].inner] == ['" x "']
    assert [t.text for t in tokenize('s!"a{x}\\\n  b"')[1].inner] == ["x"]  # a gap after the code
    assert [t.text for t in tokenize('s!"\\{ {y}"')[1].inner] == ["y"]  # `\{` only escapes in interpolation
    assert [t.text for t in tokenize('s!"a{ {x} }b"')[1].inner] == ["{", "x", "}"]  # braces nest inside
    assert [t.text for t in tokenize('s!"a{ { {x} } }b"')[1].inner] == ["{", "{", "x", "}", "}"]


def test_token_kinds_names_and_line_ends():
    kinds = lambda text: [(t.kind, t.text, t.name) for t in tokenize(text)]  # noqa: E731
    assert kinds("/-! m -/ /- b -/ f '' x") == [("doc", "/-! m -/", ""), ("comment", "/- b -/", ""),
                                               ("word", "f", "f"), ("symbol", "''", ""), ("word", "x", "x")]
    assert kinds("`n.«m k» x `a") == [("name_literal", "`n.«m k»", "n.m k"), ("word", "x", "x"),
                                      ("name_literal", "`a", "a")]
    assert kinds("x `") == [("word", "x", "x"), ("symbol", "`", "")]
    assert kinds("«» «a» X") == [("word", "«»", ""), ("word", "«a»", "a"), ("word", "X", "X")]
    assert kinds("\r\nx\r\ny") == [("word", "x", "x"), ("word", "y", "y")]  # CRLF is a line end


def test_the_number_of_readings_is_bounded_at_64():
    assert len(readings("[x]'a' " * 6)) == 64  # each prime after `]` read two ways
    with pytest.raises(LexError) as error:
        readings("\n" + "[x]'a' " * 7)
    assert (str(error.value), error.value.offset) == ("line 1: more than 64 readings (strings and primes the imports decide)", 0)


def test_interpolated_strings_hold_code():
    (_, string) = tokenize('s!"a{f \'c\' /- x -/}b"')
    assert string.kind == "string" and [t.text for t in code_tokens(list(string.inner))] == ["f", "'c'"]
    assert "axiom declaration" in rules('def s := s!"{(by axiom)}"')
    assert [t.text for t in walk(tokenize('x "{y}"'))] == ["x", '"{y}"', "y"]


UNREADABLE = {  # text: (what the lexer says, the offset it names)
    "/- open": ("line 1: unterminated comment", 0),
    "/- /- -/": ("line 1: unterminated comment", 0),
    '"open': ("line 1: unterminated string literal", 0),
    "'a": ("line 1: unterminated character literal", 0),
    "«open": ("line 1: unterminated «» name", 0),
    'f "{g "}"': ("line 1: unterminated string literal", 8),
    "x \x00 y": ("line 1: a character Lean does not read between tokens (U+0000)", 2),
    'r#"a"': ("line 1: unterminated raw string literal", 0),
    'x\n  r#"abc" y': ("line 2: unterminated raw string literal", 4),
    "x -/ y\n/-- -- c": ("line 2: unterminated comment", 7),  # the doc comment's, however its body is sought
    "x\n/-- /- open\n\n": ("line 2: unterminated comment", 6),  # the plain comment's inside it
    "\n/- open": ("line 2: unterminated comment", 1),
    "x '": ("line 1: unterminated character literal", 2),
    "x\n'\\a'": ("line 2: an escape sequence Lean does not accept", 2),
    'x\n"\\a"': ("line 2: an escape sequence Lean does not accept", 2),
    **{f"x {c} y": (f"line 1: a character Lean does not read between tokens (U+{ord(c):04X})", 2)
       for c in ["\u2028", "\u2029", "\ue000", "\u0378", "\ud800"]},  # Zl, Zp, Co, Cn, Cs
}


@pytest.mark.parametrize("text", list(UNREADABLE))
def test_what_cannot_be_read_as_lean_is_refused_saying_where(text):
    with pytest.raises(LexError) as error:
        tokenize(text)
    assert (str(error.value), error.value.offset) == UNREADABLE[text]
    assert lex(text).reason is Reason.FORBIDDEN


def test_what_the_imports_decide_is_read_every_way_and_each_reading_screened():
    # a string after what may be an interpolation prefix: plain (Lean without `s!`) or interpolated
    plain, interpolated = readings('s! "{" axiom x "}"')
    assert [t.kind for t in plain] == ["word", "string", "word", "word", "string"]
    assert [t.text for t in interpolated] == ["s!", '"{" axiom x "}"']
    assert "axiom declaration" in rules('s! "{" axiom x "}"')  # in the plain reading
    assert screen(code_tokens(plain)).reason is Reason.FORBIDDEN and screen(code_tokens(interpolated)) is None
    # a ' after a symbol: the end of a notation, or a character literal
    symbol, char = readings("['a']")
    assert [t.text for t in symbol][:3] == ["[", "'", "a'"] and char[1].kind == "char"
    assert [t.text for t in tokenize("f ⁻¹' s")] == ["f", "⁻", "¹", "'", "s"]  # no literal can start
    assert [t.text for t in tokenize("f '' s ∘ g")] == ["f", "''", "s", "∘", "g"]
    with pytest.raises(LexError, match="readings"):  # 2^7 of them: past the bound, or the budget first
        tokenize(" ".join(['s! "a{b" "}"'] * 7))


def test_a_string_after_a_token_that_ends_no_interpolation_prefix_is_plain():
    """Lean's and Mathlib's interpolated strings follow a word (`s!`, `m!`, `throwError`) or a closing
    bracket (`trace[c]`); after `#print`, `:=`, `(`, an operator, Lean's term parser reads a plain string."""
    honest = '#print "{"\n' * 7 + '#print "}"\n'
    assert len(readings(honest)) == 1 and screen(code_tokens(tokenize(honest))) is None
    for before in ("#print", ":=", "(", "++", ","):
        assert len(readings(f'{before} "{{" x "}}"')) == 1, before
    for before in ("s!", "m!", "throwError", "trace[c]", "(f x)"):
        assert len(readings(f'{before} "{{" x "}}"')) == 2, before


@pytest.mark.parametrize(
    "text",
    ['s!"\\{{' * 200, 's!"{' * 200 + '}"' * 200, 's!"{' * 5000, ('s!"{' * 15 + '}"' * 15) * 300,
     'x s!"{"\n#print s!"}"\n' * 2000],
)  # fmt: skip
def test_nesting_and_ambiguity_are_refused_in_linear_time_never_by_pythons_stack(text):
    """Interpolations nested past MAX_NESTING are refused, and all readings of a text share a budget of work
    linear in its length (the adversarial benchmark, benchmarks/lexer_adversarial.py, times them)."""
    with pytest.raises(LexError, match="nested more than|too many readings|escape sequence"):
        readings(text)


def test_the_work_budget_is_what_stops_a_long_text_with_ambiguous_strings():
    unit = 'x s!"{"\n#print s!"}"\n'
    assert len(readings(unit * 4)) == 16  # short: every reading, within the allowance
    for text in (unit * 5, unit * 2000):  # past it: the whole text is refused, no reading is dropped
        with pytest.raises(TooManyReadings, match="too many readings to check for its length"):
            readings(text)


@pytest.mark.parametrize(
    "text, field_indices",
    [("h₀.1.le", ["1"]), ("h.2.exists", ["2"]), ("hp.1.one_lt", ["1"]), ("x.1.2", ["1", "2"]),
     ("(f x).2.le", ["2"]), ("⟨a, b⟩.1", ["1"]), ("h.10.e5", ["10"]), ("h.1.2.3", ["1", "2", "3"]),
     ("x |>.2.trans_le h", ["2"]), ("{ 1.arr := r.s, 2.x := 3 }", ["1", "2", "3"]),
     ("{ x := 1\n  2.1.val := r }", ["1", "2", "1"]), ("def n :=\n  1.e3", ["1.e3"]), ("(x, 1.5)", ["1.5"])],
)  # fmt: skip
def test_digits_after_a_projection_dot_are_a_field_index_as_lean_reads_them(text, field_indices):
    """Lean reads `.` right after a term, then digits, with its `fieldIdx` parser: `h.1.le` is `h`, `.`, `1`,
    `.`, `le`, never the number `1.le` (which it would refuse), and `x.1.2` is no decimal `1.2`."""
    tokens = tokenize(text)
    assert [t.text for t in tokens if t.kind == "number"] == field_indices
    assert screen(code_tokens(tokens)) is None
    assert [t.kind for t in tokenize("a 1.5")] == ["word", "number"] and tokenize("(1.5)")[1].text == "1.5"


def test_code_only_another_reading_shows_is_refused_before_lean_runs():
    """Plain, `unsafe` is inside a string; interpolated (Lean with `s!` a token), it is code."""
    output = 'theorem foo (a : Nat) : a + 0 = a := by\n  have := s! "{ unsafe "}" }"\n  simp'
    plain, interpolated = readings(output)
    assert "unsafe" not in [t.text for t in walk(plain)] and "unsafe" in [t.text for t in walk(interpolated)]
    result = check_proof(REF, output, lambda header, body, check=None: pytest.fail("Lean ran on a refused output"))
    assert result.reason is Reason.FORBIDDEN and "unsafe" in result.detail


def test_hash_commands_are_one_token_like_leans_longest_match():
    assert [t.text for t in tokenize("#evalx 1 #[1]")] == ["#eval", "x", "1", "#[", "1", "]"]


# --------------------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("axiom cheat : False", "axiom declaration"),
        ("unsafe def x : Nat := 0", "unsafe"),
        ("opaque x : Nat", "opaque"),
        ("import Mathlib.Tactic", "import Mathlib.Tactic (the header does not bring it in)"),
        ("#exit", "#exit command"),
        ("#eval 1", "#eval command"),
        ("#reduce foo", "#reduce command"),
        ("#evalx 1", "#eval command"),
        ("run_cmd pure ()", "code run at elaboration time"),
        ("by run_tac pure ()", "code run at elaboration time"),
        ("by_elab pure ()", "code run at elaboration time"),
        ("initialize pure ()", "code run at elaboration time"),
        ('syntax "x" : term', "new syntax"),
        ('macro "simp" : tactic => `(tactic| rfl)', "macro"),
        ("macro_rules | `(x) => `(y)", "macro"),
        ('elab "x" : term => pure (mkNatLit 0)', "elaborator"),
        ('notation "ℕ" => Unit', "notation"),
        ('local notation3 "ℕ" => Unit', "notation"),
        ('infixl:65 " + " => fun a _ => a', "notation"),
        ("declare_syntax_cat foo", "new syntax"),
        ("builtin_initialize pure ()", "code run at elaboration time"),
        ("declare_simp_like_tactic x", "meta program (options, attributes, rule sets, hints)"),
        ("register_option foo : Bool := {}", "meta program (options, attributes, rule sets, hints)"),
        ("sudo set_option debug.skipKernelTC true in", "sudo (options past the allow-list)"),
        ("simproc s (x) := fun _ => pure .continue", "simproc"),
        ("@[implemented_by x] def y : Nat := 0", "implemented_by"),
        ('@[«extern» "c"] def y : Nat := 0', "extern"),
        (
            "set_option debug.skipKernelTC true",
            "set_option debug.skipKernelTC (not an option a proof may set)",
        ),
        (
            "set_option «debug».skipKernelTC true in",
            "set_option debug.skipKernelTC (not an option a proof may set)",
        ),
        ("set_option «trace».Meta.debug true", "set_option trace.Meta.debug (not an option a proof may set)"),
        (
            "@[tactic Lean.Parser.Tactic.simp] def t := 0",
            "attribute tactic (not an attribute a proof may use)",
        ),
        ("attribute [local csimp] foo", "attribute csimp (not an attribute a proof may use)"),
        (
            "@[simp, norm_num x] theorem t : True := trivial",
            "attribute norm_num (not an attribute a proof may use)",
        ),
        ("theorem t : 2 ^ 10 = eval% 2 ^ 10 := rfl", "eval% (code run at elaboration time)"),
        ("def f (n : Nat) : Nat := unsafeBaseIO (pure n)", "unsafeBaseIO (unsafe code)"),
        ("theorem t : True := by conv => run_conv pure ()", "code run at elaboration time"),
        # what Lean evaluates while elaborating (tactic configurations, native_decide) must not have side
        # effects: no name of the runtime or metaprogramming API, however it is reached
        (
            'theorem t : True := by apply (config := ((IO.println "x").run\' ()).get!) trivial',
            "IO.println (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "theorem t : True := by simp (config := (EStateM.run (pure {}) ()).fst)",
            "EStateM.run (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "def x := _root_.IO.FS.writeFile",
            "_root_.IO.FS.writeFile (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "def x := «IO».Process.spawn",
            "IO.Process.spawn (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "def x := Std.Internal.IO.Async.sleep",
            "Std.Internal.IO.Async.sleep (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            'def s := s!"{IO.getStdout}"',
            "IO.getStdout (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            'def x : Unit := println! "fake"',
            "println! (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "open Lean Elab Tactic in\ntheorem t : True := trivial",
            "Lean (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "namespace Lean\nend Lean",
            "Lean (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "def e := Mathlib.Lean.Expr.rewrite",
            "Mathlib.Lean.Expr.rewrite (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "def x := timeit",
            "timeit (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (  # an IO action run by dot notation (`.run ()`) needs no IO name, only the action's own
            "theorem t : True := by apply (config := (Std.Internal.UV.TCP.Socket.new.run ()).snd.casesOn {}) trivial",
            "Std.Internal.UV.TCP.Socket.new.run (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "def x := Std.Internal",
            "Std.Internal (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "open Std in\ndef x := Internal.UV.TCP.Socket.new",
            "Internal.UV.TCP.Socket.new (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (  # meta code a tactic's configuration may call (a MetaM field), from the libraries too
            "theorem t : True := by solve_by_elim (config := { proc := fun _ _ => Mathlib.Util.addRelatedDecl })",
            "Mathlib.Util.addRelatedDecl (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        (
            "open Mathlib in\ndef x := Meta.NormNum.deriveNat",
            "Meta.NormNum.deriveNat (the runtime or metaprogramming API: side effects while Lean elaborates)",
        ),
        ("#s", "a # where a command could start (an unknown # command)"),
        ("theorem t : True := trivial\n#s", "a # where a command could start (an unknown # command)"),
    ],
)
def test_each_forbidden_construct_is_named(text, what):
    assert what in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "theorem t : True := trivial -- sorry, axiom, unsafe",
        '/- axiom /- nested -/ #exit -/ def s := "sorry axiom unsafe #exit"',
        "def «unsafe» := 0\ndef «axiom» := «unsafe»",
        "def unsafe_free := Nat.sorry_free.unsafe",
        "set_option maxHeartbeats 400000 in\nset_option linter.unusedVariables false\ntheorem t : True := trivial",
        "@[simp, local instance 100] theorem t : True := trivial\nattribute [-simp] t",
        "namespace A\nsection\nmutual\ntheorem t : True := trivial\nend\nend\nend A",
        "theorem t : #[1].size = 1 := rfl",
        "theorem t (hIO : 0 < 1) (ioSystem : Nat) : 0 < 1 := by simp (config := { decide := true }) [hIO]",
        "theorem t (x : ℝ) (h : 0 < x) : 0 < Real.sqrt x ^ 2 + x := by positivity",
    ],
)
def test_honest_text_passes_the_rules(text):
    assert rules(text) == []


@pytest.mark.parametrize(("text", "reason"), [("", Reason.EMPTY), ("-- c\n/- d -/", Reason.EMPTY),
                                              ("\n  sorry", Reason.SORRY), ("exact (by admit)", Reason.SORRY),
                                              ("axiom x : False", Reason.FORBIDDEN)])  # fmt: skip
def test_screen_gives_the_verdicts_that_need_no_lean(text, reason):
    assert screen(tokenize(text)).reason is reason


# --------------------------------------------------------------------------- statement and assembling


def test_statement_is_split_at_its_top_level_colon():
    s = parse_statement(
        "/-- doc -/\ntheorem foo.{u} {α : Sort u} (f : α → α) [inst : C α] : ∀ x : α, f x = x := by"
    )
    assert (s.name, s.universes, s.binders, s.type) == (
        "foo", ".{u}", "{α : Sort u} (f : α → α) [inst : C α]", "∀ x : α, f x = x",
    )  # fmt: skip
    assert s.prop == "∀ {α : Sort u} (f : α → α) [inst : C α], ∀ x : α, f x = x"
    assert parse_statement("theorem t : True").prop == "True"
    with pytest.raises(ValueError, match="must declare a theorem"):
        parse_statement("def t : True := trivial")


def test_body_goes_after_the_statement_and_the_check_stands_apart():
    output = "\n  simp"
    a = assemble(REF, output, tokenize(output))
    lines = a.code.splitlines()
    assert a.code.startswith("import Mathlib\n\nopen Nat\n\n")
    assert lines[a.region_line - 1] == "theorem foo (a : Nat) : a + 0 = a := by"  # the model's region
    assert lines[a.user_offset + 1] == "  simp" == lines[-1]  # file line user_offset + 2 is the model's line 2
    check = a.check.splitlines()  # run in a fresh scope over what the text produced, every name from the root
    assert check[a.check_line - 1] == f"theorem _root_.prover_check_{a.tag} : type_of% @_root_.{a.reference_name} := @_root_.foo"
    assert check[a.axioms_line - 1] == f"set_option pp.fullNames true in #print axioms _root_.prover_check_{a.tag}"
    assert f"axiom _root_.{a.reference_name} (a : Nat) :\n    a + 0 = a" in a.code  # the theorem's signature
    assert a.reference_name not in assemble(REF, output, tokenize(output)).code  # fresh per check


def test_the_theorem_is_looked_for_in_the_namespace_the_header_leaves_open():
    header = "namespace Bench.Sub\nsection\nexport Foo (x)\nend\nnamespace A.B\nend A.B\n"
    a = assemble(Reference("t", "theorem t : True :=", header), " trivial", tokenize(" trivial"))
    assert a.full_name == "Bench.Sub.t" and a.check.split(":= @_root_.")[1].startswith("Bench.Sub.t\n")
    rooted = Reference("t", "theorem _root_.t : True :=", header)
    assert assemble(rooted, " trivial", tokenize(" trivial")).full_name == "t"


def test_a_copy_of_the_header_is_dropped_token_for_token():
    output = "import Mathlib\nopen Nat\n\nlemma helper : True := trivial\n\ntheorem foo (a : Nat) : a + 0 = a := by\n  simp\n"
    a = assemble(REF, output, tokenize(output))
    assert a.code.count("import Mathlib") == 1 and a.code.count("theorem foo") == 1
    lemma_line = a.code.splitlines().index("lemma helper : True := trivial") + 1
    assert lemma_line - a.user_offset == 4  # the model's own line number


def test_imports_the_header_does_not_make_stay_and_are_refused():
    tokens = tokenize("import Evil\ntheorem foo (a : Nat) : a + 0 = a := by simp")
    dropped, restates = locate(REF, tokens)
    assert restates and dropped == 0
    assert "import Evil (the header does not bring it in)" in rule_violations(code_tokens(tokens)[dropped:])
    tokens = tokenize("import Mathlib\nopen Real\ntheorem foo (a : Nat) : a + 0 = a := by simp")
    assert locate(REF, tokens) == (2, True)  # the import is the header's; `open Real` is the model's


def test_restatement_is_found_by_the_reference_name_only():
    assert locate(REF, tokenize("theorem foo_helper : True := trivial")) == (0, False)
    assert locate(REF, tokenize("theorem _root_.foo (a : Nat) : a + 0 = a := rfl"))[1]


# --------------------------------------------------------------------------- judging


def _judge(a, axioms="'c' does not depend on any axioms", extra=(), check_extra=(), declared=STANDARD_AXIOMS, **kw):
    """``judge`` on Lean's messages: ``extra`` on the text, ``check_extra`` and then ``axioms`` on the check."""
    check = [*check_extra, Message("information", a.axioms_line, 0, None, None, axioms)]
    return judge(a, list(extra), check, frozenset(declared), **kw)


@pytest.mark.parametrize(
    "output, reason, detail",
    [("«x", Reason.FORBIDDEN, "cannot be read as Lean text: line 1: unterminated «» name"),
     ("-- only a comment", Reason.EMPTY, "no proof in the output"),
     ("\n  sorry", Reason.SORRY, "the proof contains sorry"),
     ("#eval 1\naxiom x : False", Reason.FORBIDDEN, "#eval command; axiom declaration")],
)  # fmt: skip
def test_what_the_token_rules_refuse_is_said_before_lean(output, reason, detail):
    def no_lean(header, body, check=None):
        raise AssertionError("Lean is not needed to refuse this")

    verdict = check_proof(REF, output, no_lean)
    assert (verdict.reason, verdict.detail, verdict.messages) == (reason, detail, [])


def test_a_reference_named_from_the_root_is_restated_with_or_without_root():
    reference = Reference("_root_.foo", "theorem _root_.foo (a : Nat) : a + 0 = a := by", "")
    for restated in ("theorem foo", "theorem _root_.foo"):
        assert locate(reference, tokenize(f"{restated} (a : Nat) : a + 0 = a := by simp")) == (0, True)


def test_the_checkers_fresh_names_are_said_in_words():
    """They are random (no output can know them), so a verdict that showed them would differ each run."""
    a = assemble(REF, "\n  simp", tokenize("\n  simp"))
    ref, check = a.reference_name, f"prover_check_{a.tag}"
    assert re.search(rf"\b{ref}\b", a.code) and re.search(rf"\b{check}\b", a.check)  # the names it uses

    def marked(name, mark):  # how Lean's hints strike a name out or underline it
        return " " + mark + "".join(c + mark for c in name)

    strike, underline = "\u0335", "\u0332"
    text = f"`{ref}`, `{check}`:\n  end{marked(ref, strike)}\n  end{marked(check, underline)}"
    assert a.plain(text) == "`the reference statement`, `the check`:\n  end the reference statement\n  end the check"


def test_the_models_text_ends_at_its_last_character():
    """Where an error counts as the output ending mid-command: after the text, not after trailing blanks."""
    a = assemble(REF, "\n  simp\n\n  ", tokenize("\n  simp\n\n  "))
    assert a.model_end == (a.user_offset + 2, 6)
    assert a.code.split("\n")[a.user_offset + 1] == "  simp"


def test_judge_orders_its_rules():
    a = assemble(REF, "\n  simp", tokenize("\n  simp"))
    assert _judge(a).reason is Reason.OK
    error = Message("error", a.user_offset + 2, 2, None, None, "unsolved goals")
    result = _judge(a, extra=[error])
    assert result.reason is Reason.ERROR and result.messages[0].line == 2  # relative to the model's text
    sorry = Message("warning", a.user_offset + 1, 0, None, None, "declaration uses `sorry`")
    assert _judge(a, extra=[sorry]).reason is Reason.SORRY
    mismatch = Message("error", a.check_line, 8, None, None, f"Type mismatch ... {a.reference_name}")
    result = _judge(a, check_extra=[mismatch])
    assert (result.reason, result.detail) == (
        Reason.STATEMENT_MISMATCH, "foo does not have the reference statement's type: Type mismatch ... the reference statement"
    )  # fmt: skip
    unknown = Message("error", a.check_line, 8, None, None, "Unknown identifier `_root_.foo`")
    assert _judge(a, check_extra=[unknown]).detail == "the output does not declare theorem foo"
    other = Message("error", a.axioms_line, 0, None, None, "something else")
    assert (_judge(a, check_extra=[other]).reason, _judge(a, check_extra=[other]).detail) == (Reason.ERROR, "something else")
    truncated = Message("error", *a.model_end, None, None, "unexpected token 'end'; expected term\nor tactic")
    assert _judge(a, extra=[truncated]).detail == (
        "the output ends in the middle of a command (Lean expected term\nor tactic)"
    )
    native = "'c' depends on axioms: [propext, Lean.ofReduceBool]"
    assert _judge(a, native).reason is Reason.AXIOMS
    assert _judge(a, native, declared=STANDARD_AXIOMS | NATIVE_DECIDE_AXIOMS, allow_native_decide=True).accepted
    assert _judge(a, native, allow_native_decide=True).reason is Reason.AXIOMS  # not declared by the header
    assert judge(a, [], None, STANDARD_AXIOMS).reason is Reason.ERROR  # the check did not run
    assert judge(a, [], [], STANDARD_AXIOMS).detail == "the appended checks did not run"  # it printed nothing
    with pytest.raises(ValueError, match="reference statement does not elaborate"):
        _judge(a, extra=[Message("error", a.region_line - 1, 0, None, None, "unknown identifier")])
    # a standard axiom the header does not declare is not allowed, even listed under its name
    declared = STANDARD_AXIOMS - {"propext"}
    result = _judge(a, "'c' depends on axioms: [propext]", declared=declared)
    assert result.reason is Reason.AXIOMS and "propext" in result.detail
    assert _judge(a, "'c' depends on axioms: [Quot.sound]", declared=declared).accepted


def test_forged_check_output_inside_the_proof_does_not_count():
    a = assemble(REF, "\n  simp", tokenize("\n  simp"))
    forged = [Message("information", a.user_offset + 2, 0, None, None, "'c' does not depend on any axioms")]
    assert judge(a, forged, None, STANDARD_AXIOMS).reason is Reason.ERROR
    assert judge(a, forged, [], STANDARD_AXIOMS).reason is Reason.ERROR


@pytest.mark.parametrize(
    ("text", "axioms"),
    [
        ("'foo' depends on axioms: [propext, Classical.choice, Quot.sound]", ["propext", "Classical.choice", "Quot.sound"]),
        ("'foo' depends on axioms: [propext,\n Lean.ofReduceBool]", ["propext", "Lean.ofReduceBool"]),
        ("'foo' does not depend on any axioms", []),
        ("foo : True", None),
    ],
)  # fmt: skip
def test_axioms_output_is_parsed(text, axioms):
    assert parse_axioms(text) == axioms


def test_lean_json_lines_are_parsed():
    text = '{"severity":"error","pos":{"line":3,"column":4},"endPos":null,"data":"unknown tactic","fileName":"x"}\n'
    (message,) = parse_json_lines(text)
    assert (message.severity, message.line, message.column, message.end_line, message.data) == (
        "error", 3, 4, None, "unknown tactic",
    )  # fmt: skip
    with pytest.raises(ValueError):
        parse_json_lines("oops\n")


@requires_minif2f
def test_every_minif2f_statement_lexes_and_forms_its_reference():
    rows = [json.loads(line) for line in MINIF2F.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 488
    for row in rows:
        header, statement = row["header"], row["formal_statement"]
        assert not isinstance(lex(header), VerifyResult) and not isinstance(lex(statement), VerifyResult), row["name"]
        parsed = parse_statement(statement)
        assert parsed.name == row["name"] and parsed.axiom("r").startswith("axiom r")
        reference = Reference(row["name"], statement, header)
        assert screen(code_tokens(tokenize(statement)), reference_names(reference)) is None, row["name"]


@pytest.mark.parametrize(
    "text",
    ["f ⁻¹' s ⊆ t", "(f '' s).Nonempty", "∑' k, f k", "∏' k : ℕ, f k", "∀' x, p x", "∃' x, p x",
     "α ×' β", "Σ' x, p x", "Σₗ' i, f i", "x ∈' s", "sᶜ' ∪ t", "(#s : ℝ) = 2", "h : #(s.filter p) ≤ 3",
     "['a', 'b'] = l", "decide ('a' < 'b')", 's!"{n}" = "3"', 'String.length "{" = 1',
     "#print axioms foo", "#check foo", "set_option pp.numericTypes true in", "module", "1_000_000 = 10 ^ 6",
     "0x1F = 31", "(1.5e3 : ℝ) = 1500", "fun declare_x notation_y builtin_z register_w => declare_x"],
)  # fmt: skip
def test_mathlib_notations_and_honest_text_lex_and_pass(text):
    assert screen(code_tokens(tokenize(text))) is None, rules(text)


def test_a_module_header_is_read_and_its_copy_dropped():
    header = "module\n\npublic import Mathlib\nimport all Aesop\n\nopen Nat\n"
    tokens = code_tokens(tokenize(header))
    assert module_header(tokens) == (7, ["Mathlib", "Aesop"]) and module_header_end(tokens) == 7
    reference = Reference("foo", "theorem foo (a : Nat) : a + 0 = a := by", header)
    copy = header + "\ntheorem foo (a : Nat) : a + 0 = a := by simp"
    assert locate(reference, tokenize(copy)) == (len(tokens), True)
    only_imports = "module\npublic import Mathlib\ntheorem foo (a : Nat) : a + 0 = a := by simp"
    assert locate(reference, tokenize(only_imports)) == (4, True)  # the header's imports, not others
    assert locate(reference, tokenize("public import Evil\n" + copy))[0] == 0


@pytest.mark.parametrize(
    "copied, dropped",
    [("module\nprelude\nimport Init.Core\nimport Init.Data\nopen Nat\n", 8),
     ("prelude\nopen Nat\n", 3), ("module\nprelude\nimport Init.Data\nopen Nat\n", 6), ("module\nopen Nat\n", 3),
     ("module\nprelude\n", 2), ("prelude\nimport Init.Core\n", 3), ("open Nat\n", 0), ("", 0)],
)  # fmt: skip
def test_what_an_output_copies_of_a_prelude_header_is_dropped(copied, dropped):
    """Any part of a ``module prelude import... open...`` header, in its order: what is left of it is the model's."""
    header = "module\nprelude\nimport Init.Core\nimport Init.Data\nopen Nat\n"
    reference = Reference("foo", "theorem foo (a : Nat) : a + 0 = a := by", header)
    assert locate(reference, tokenize(copied + "theorem foo (a : Nat) : a + 0 = a := by simp")) == (dropped, True)


def test_a_prelude_the_header_does_not_have_is_the_models():
    reference = Reference("foo", "theorem foo (a : Nat) : a + 0 = a := by", "import Init.Core\n")
    assert locate(reference, tokenize("prelude\ntheorem foo (a : Nat) : a + 0 = a := by simp")) == (0, True)


# --------------------------------------------------------------------------- mistakes a reviewer made on purpose


def test_an_axiom_is_allowed_by_its_whole_name_only():
    a = assemble(REF, "\n  simp", tokenize("\n  simp"))
    for fake in ("Foo.propext", "My.Classical.choice", "propext'", "Quot.sound.x"):
        verdict = _judge(a, f"'c' depends on axioms: [{fake}]")
        assert verdict.reason is Reason.AXIOMS and fake in verdict.detail, fake
    assert _judge(a, "'c' depends on axioms: [propext, Quot.sound]").accepted


@pytest.mark.parametrize("name", ["_root_.Std.Internal.UV.TCP.Socket.new", "_root_.IO.println", "_root_.Lean.Elab.x",
                                  "_root_.Std.Net.SocketAddress", "_root_.println!"])  # fmt: skip
def test_runtime_names_are_refused_however_rooted(name):
    assert any(name in why for why in rules(f"def x := {name}")), rules(f"def x := {name}")


_PART = st.from_regex(r"[A-Z][A-Za-z0-9_']{0,5}", fullmatch=True).filter(lambda p: p not in ("Type", "Sort", "Prop"))


@given(st.lists(_PART, min_size=1, max_size=3), st.lists(_PART, max_size=3))
def test_a_name_is_its_namespaces_then_itself_unless_rooted(name, namespaces):
    """Lean's rule for a declared name: ``_root_.`` escapes every namespace; otherwise the namespaces come first."""
    written = ".".join(name)
    assert full_name(written, namespaces) == ".".join([*namespaces, *name])
    assert full_name("_root_." + written, namespaces) == written == full_name("_root_." + written)
    text = "".join(f"namespace {n}\n" for n in namespaces) + f"theorem _root_.{written} : True := trivial\n"
    text += f"theorem {written} : True := trivial\n"
    assert declared_theorems(code_tokens(tokenize(text)), text) == [written, ".".join([*namespaces, *name])]


def test_end_closes_a_namespace_when_the_theorems_of_a_file_are_listed():
    text = "namespace A\ntheorem x : True := trivial\nend A\nsection\ntheorem y : True := trivial\nend\ntheorem foo : True := trivial"
    assert declared_theorems(code_tokens(tokenize(text)), text) == ["A.x", "y", "foo"]
    assert locate(REF, tokenize(text.replace("theorem foo : True", "theorem foo (a : Nat) : a + 0 = a")))[1]


@pytest.mark.parametrize("char", ["\x80", "\x85", "\x9b", "\x9f", "\x7f", "\x00", "\u200b", "\u00a0"])
def test_control_and_space_characters_between_tokens_are_refused(char):
    with pytest.raises(LexError):
        tokenize(f"theorem t : True :={char} trivial")
    assert tokenize(f"-- {char}\n/- {char} -/ trivial")[-1].text == "trivial"  # in comments they are text


# --------------------------------------------------------------------------- what mutation testing found untested


def test_attribute_lists_are_read_name_by_name_at_the_top_level():
    from prover.verify.rules import _attribute_names

    flat = list(walk(tokenize("@[simp (a, b), instance 100, -simp, local csimp, scoped ext [x, [y]], norm_cast] def")))
    assert [t.text for t in _attribute_names(flat, 0)] == ["simp", "instance", "simp", "csimp", "ext", "norm_cast"]
    assert [t.text for t in _attribute_names(list(walk(tokenize("@[csimp"))), 0)] == ["csimp"]  # never closed


@pytest.mark.parametrize(
    "text, what",
    [
        ("@[simp (x := [1, 2]), csimp] theorem t : True := trivial", "attribute csimp"),
        ("@[simp [a, [b]], csimp] theorem t : True := trivial", "attribute csimp"),
        ("attribute [csimp] foo", "attribute csimp"),
        ("attribute [scoped csimp] foo", "attribute csimp"),
        ("attribute [«csimp»] foo", "attribute csimp"),
        ("@[! simp] theorem t : True := trivial", "attribute !"),  # what is no name is refused, not skipped
        ("@[csimp", "attribute csimp"),
        ("attribute [csimp", "attribute csimp"),
    ],
)
def test_every_attribute_of_a_list_is_checked(text, what):
    assert f"{what} (not an attribute a proof may use)" in rules(text)


def test_a_nested_comma_starts_no_attribute():
    assert rules("@[simp (a, csimp)] theorem t : True := trivial") == []


def test_a_forbidden_name_is_its_last_part_however_long():
    assert "implemented_by" in rules("@[Lean.Compiler.implemented_by f] def g := 1")
    assert "extern" in rules("@[A.B.C.extern] def g := 1")


def test_the_references_own_names_may_be_written_from_the_root():
    tokens = tokenize("theorem t : _root_.unsafeThing = 0 := rfl")
    assert rule_violations(tokens) == ["_root_.unsafeThing (unsafe code)"]
    assert rule_violations(tokens, frozenset({"unsafeThing"})) == []


def test_eval_is_only_refused_as_eval_percent():
    assert rules("theorem t (eval : Nat) : eval = eval := rfl") == []
    assert rules("def x := eval %y") == []  # apart: not the eval% term
    assert "eval% (code run at elaboration time)" in rules("def x := eval% y")


@pytest.mark.parametrize(
    "text, what",
    [
        ("theorem t : True := (trivial)\n #s", "a # where a command could start (an unknown # command)"),
        ("# x (", "a # where a command could start (an unknown # command)"),
        ("set_option trace.Meta.debug", "set_option trace.Meta.debug (not an option a proof may set)"),
        ("set_option", "set_option  (not an option a proof may set)"),
        ("set_option 1 in", "set_option 1 (not an option a proof may set)"),
    ],
)
def test_the_last_and_first_tokens_are_read_as_the_others(text, what):
    assert what in rules(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("def x := 1\ntheorem", "the statement must declare a theorem: 'theorem NAME ... : TYPE :='"),
        ("theorem (x : Nat) : x = x :=", "the statement must declare a theorem: 'theorem NAME ... : TYPE :='"),
        ("theorem foo", "foo: the statement has no ': TYPE'"),
        ("theorem foo (a : Nat) :=", "foo: the statement has no ': TYPE'"),
        ("theorem foo : :=", "foo: the statement has no ': TYPE'"),
        ("theorem foo.{", "the statement's universe list is not closed"),
        ("theorem foo.{u v : True :=", "the statement's universe list is not closed"),
        ('theorem foo : "unclosed :=', "the statement cannot be read as Lean text: "),
    ],
)
def test_a_statement_that_cannot_be_read_is_named_exactly(text, message):
    with pytest.raises(ValueError) as error:
        parse_statement(text)
    assert str(error.value).startswith(message) and (message.endswith(": ") or str(error.value) == message)


@pytest.mark.parametrize(
    "text, universes, binders, type_",
    [
        ("lemma foo : True :=", "", "", "True"),
        ("def a : Nat := 1\ntheorem foo (b : Nat) : b = b :=", "", "(b : Nat)", "b = b"),
        ("variable {α : Type}\ntheorem foo.{u} (a : Sort u) : a = a :=", ".{u}", "(a : Sort u)", "a = a"),
        ("theorem foo x {y : Nat} : x = y :=", "", "x {y : Nat}", "x = y"),
        ("theorem foo : (fun x => (let y := x; y)) = id", "", "", "(fun x => (let y := x; y)) = id"),
    ],
)
def test_a_statement_is_split_where_lean_splits_it(text, universes, binders, type_):
    statement = parse_statement(text)
    assert (statement.name, statement.universes, statement.binders, statement.type) == ("foo", universes, binders, type_)


def test_a_signature_has_one_space_before_its_colon():
    assert parse_statement("theorem foo : True :=").signature() == " :\n    True"
    assert parse_statement("theorem foo (a : Nat) : a = a :=").signature() == " (a : Nat) :\n    a = a"
    assert parse_statement("theorem foo.{u} : True :=").axiom("r") == "axiom r.{u} :\n    True\n"


@pytest.mark.parametrize(
    "text, end, imported",
    [
        ("prelude\ninductive X", 1, []),
        ("prelude\nimport Init.Prelude\ntheorem t", 3, ["Init.Prelude"]),
        ("module\nimport A\ntheorem t", 3, ["A"]),
        ("module\nprelude\nimport A", 4, ["A"]),
        ("module\npublic import A\nmeta import B\nprivate import C\npublic meta import all D\ndef x", 15, ["A", "B", "C", "D"]),
        ("module\npublic", 1, []),
        ("import", 0, []),
        ("import all", 0, []),
        ("import all A", 3, ["A"]),
        ("theorem t : True := trivial", 0, []),
    ],
)
def test_the_module_header_is_read_as_lean_reads_it(text, end, imported):
    assert module_header(code_tokens(tokenize(text))) == (end, imported)


def test_a_verdict_is_written_as_the_verdict_files_show_it():
    result = VerifyResult(Reason.AXIOMS, "non-standard axioms: foo", [Message("error", 2, 0, 2, 5, "x")], ["foo"], 1.23456)
    assert result.to_json() == {
        "accepted": False, "reason": "axioms", "detail": "non-standard axioms: foo", "axioms": ["foo"],
        "seconds": 1.235, "messages": [{"severity": "error", "line": 2, "column": 0, "end_line": 2, "end_column": 5, "data": "x"}],
    }  # fmt: skip
    assert VerifyResult(Reason.OK).to_json()["accepted"] is True
    again = VerifyResult.from_json(json.loads(json.dumps(result.to_json())))
    assert (again.reason, again.detail, again.messages, again.axioms, again.seconds) == (
        Reason.AXIOMS, "non-standard axioms: foo", result.messages, ["foo"], 1.235,
    )  # fmt: skip


def test_a_failed_lean_process_is_named_and_never_a_judgement():
    from prover.lean.filecheck import FileRun
    from prover.verify.policy import infrastructure_failure

    long = "x" * 600 + "the end"
    assert infrastructure_failure(FileRun(seconds=2.0)) is None
    timeout = infrastructure_failure(FileRun(timed_out=True, seconds=9.0))
    assert (timeout.reason, timeout.detail, timeout.seconds) == (Reason.TIMEOUT, "Lean was killed at the time limit", 9.0)
    oom = infrastructure_failure(FileRun(out_of_memory=True, crashed=True, stderr=long, seconds=1.0))
    assert (oom.reason, oom.detail, oom.seconds) == (Reason.OOM, long[-500:], 1.0)
    crash = infrastructure_failure(FileRun(crashed=True, returncode=-11, stderr=long, seconds=3.0))
    assert (crash.reason, crash.detail, crash.seconds) == (Reason.CRASH, f"exit code -11: {long[-500:]}", 3.0)
    assert all(r.reason.is_infrastructure for r in (timeout, oom, crash))


@pytest.mark.parametrize(
    "text, axioms",
    [
        ("'t' depends on axioms: [propext, Classical.choice, Quot.sound]", ["propext", "Classical.choice", "Quot.sound"]),
        ("'t' depends on axioms: [propext,\n Quot.sound]", ["propext", "Quot.sound"]),
        ("'t' does not depend on any axioms", []),
        ("'t' depends on axioms: []", []),
        ("unknown constant 't'", None),
    ],
)
def test_axioms_are_read_from_leans_own_words(text, axioms):
    assert parse_axioms(text) == axioms


def test_only_axioms_the_environment_declared_are_allowed():
    from prover.verify.policy import _axioms_verdict

    assert _axioms_verdict(["propext", "Quot.sound"], False) is None
    refused = _axioms_verdict(["propext", "Foo.propext", "sorryAx"], False)
    assert (refused.reason, refused.detail, refused.axioms) == (
        Reason.AXIOMS, "non-standard axioms: Foo.propext, sorryAx", ["propext", "Foo.propext", "sorryAx"],
    )  # fmt: skip
    assert _axioms_verdict(["propext"], False, declared=frozenset({"Quot.sound"})).detail == "non-standard axioms: propext"
    assert _axioms_verdict(["Lean.ofReduceBool"], True) is None and _axioms_verdict(["Lean.ofReduceBool"], False) is not None


@pytest.mark.parametrize(
    "output, dropped",
    [
        ("import Mathlib\ntheorem foo (a : Nat) : a + 0 = a := by simp", 2),
        ("public import Mathlib\ntheorem foo (a : Nat) : a + 0 = a := by simp", 3),
        ("meta import all Mathlib\ntheorem foo (a : Nat) : a + 0 = a := by simp", 4),
        ("private import Mathlib\ntheorem foo (a : Nat) : a + 0 = a := by simp", 3),
        ("import Other\ntheorem foo (a : Nat) : a + 0 = a := by simp", 0),  # stays, and is refused
        ("import Mathlib\nimport Other\ntheorem foo (a : Nat) : a + 0 = a := by simp", 2),
    ],
)
def test_imports_the_header_makes_may_be_repeated_in_any_spelling(output, dropped):
    got, restates = locate(REF, tokenize(output))
    assert restates and got == dropped


@pytest.mark.parametrize(
    "output, declared",
    [
        ("theorem a : True := trivial\ntheorem b : True := trivial", "a, b"),
        ("def x := 1", "another name"),
        ("import Mathlib\ntheorem other : True := trivial", "other"),  # a whole file of another theorem
        ("prelude\ntheorem other : True := trivial", "other"),  # was: forbidden: prelude
    ],
)
def test_declarations_without_the_theorem_are_refused_before_lean(output, declared):
    def no_lean(header, body, check=None):
        raise AssertionError("Lean is not needed to refuse this")

    verdict = check_proof(REF, output, no_lean)
    assert (verdict.reason, verdict.detail) == (Reason.ERROR, f"the output does not declare theorem foo (it declares {declared})")


def test_namespaces_and_lemmas_are_read_as_lean_reads_them():
    from prover.verify.statement import namespace_of

    def namespace(text):
        return namespace_of(code_tokens(tokenize(text)), text)

    def theorems(text):
        return declared_theorems(code_tokens(tokenize(text)), text)

    assert namespace("") == ""
    assert namespace("namespace A\nnamespace B.C\n") == "A.B.C"
    assert namespace("namespace A\nnamespace") == "A"  # no name: none invented
    assert namespace("namespace Foo.Bar\nend Bar\n") == "Foo"  # a dotted namespace is a scope per part
    assert namespace("namespace Foo\nnamespace Bar\nend Foo.Bar\n") == ""
    assert namespace("namespace A\nsection\nexport B (c)\nend\n") == "A"  # a command is no section name
    assert namespace("namespace A\nsection S.T\nend S.T\n") == "A"
    assert namespace("namespace A\n  section\n  end\n") == "A"
    assert theorems("namespace N\nlemma l : True := trivial\nend N") == ["N.l"]
    assert theorems("namespace Foo.Bar\ntheorem t : True := trivial\nend Bar\nend Foo\ntheorem u : True := trivial") == [
        "Foo.Bar.t", "u"]  # fmt: skip
    with pytest.raises(ValueError, match="^foo: the statement has no ': TYPE'$"):
        parse_statement("theorem foo .")


# --------------------------------------------------------------------------- what real provers write (third round)


@pytest.mark.parametrize(
    "text",
    ["grind only [= Lean.Grind.toInt_fin]", "exact Lean.Omega.LinearCombo.coeffs_zero", "suffices #s = 3 by simp",
     "simp; #{x | x < 3}", "obtain #s := h", "@[expose] public section\ntheorem t : True := trivial\nend",
     "namespace Internal\ndef x := 1\nend Internal\nexample : Internal.x = 1 := rfl", "exact h₀.1.le",
     "exact hp.1.one_lt", "exact (h.2.exists).elim", "(p : Fin #S ≃ Fin #S)", "h : 2 ≤ #S", "pure #v[1, 2]",
     "exact (f x) #s", "x |>.2.trans_le h", "{ 1.arr := r.s, 2.x := 3 }", "(h : finRotate #S = 1)"],
)  # fmt: skip
def test_what_cannot_run_code_passes(text):
    """(each of these real prover and human texts was refused by an earlier reading)"""
    assert rules(text) == [], text


@pytest.mark.parametrize(
    "text, why",
    [("exact Lean.Elab.Command.elabCommand", "Lean.Elab.Command.elabCommand"),
     ("exact Lean.Grind.IO.x", "Lean.Grind.IO.x"), ("exact Lean.Grind.Meta.x", "Lean.Grind.Meta.x"),
     ("open Std in exact Internal.UV.x", "Internal.UV.x"), ("namespace Std\ndef y := Net.x", "Net.x"),
     ("exact Std.Internal.UV.x", "Std.Internal.UV.x"), ("#eval 1", "#eval command"), ("# eval 1", "a # where"),
     ("theorem t : True := trivial\n#check_failure x", "#check_failure command")],
)  # fmt: skip
def test_what_can_run_code_is_still_refused(text, why):
    assert any(why in found for found in rules(text)), rules(text)


def test_a_reference_that_opens_std_makes_the_short_runtime_names_refused():
    reference = Reference("foo", "theorem foo (a : Nat) : a + 0 = a := by", "import Mathlib\nopen Std\n")
    found = rule_violations(code_tokens(tokenize("exact Internal.UV.x")), reference_names(reference))
    assert found and "Internal.UV.x" in found[0]


_FAST_PATH_PIECES = ["h", ".", "1", "..", "...", "x.y", "r", 'r"a"', "{", "}", "(", ")", ",", " ", "\n", "'", "''",
                     "«a»", "α", "₀", '"', 's!"', "\\", "--", "/-", "-/", "#print", "`", "0x1", "e", "_", "?", "!",
                     "|>.", ".1", "é", "ℕ", "⟨", "⟩", "\r\n", "·", ":=", "$"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_FAST_PATH_PIECES), max_size=30).map("".join))
def test_the_lexers_fast_paths_read_as_the_full_readers(text):
    """One-character symbols, `.` and plain ASCII names skip the token classes (the reading-time budget);
    with the fast paths off every reading and every refusal is the same."""

    def read() -> object:
        try:
            return readings(text)
        except LexError as error:
            return type(error), str(error)

    fast = read()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lexer, "_PLAIN_OF", None)  # what the fast paths test for: TOKEN_CLASSES unchanged
        assert read() == fast
