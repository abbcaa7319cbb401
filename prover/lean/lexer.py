"""A Lean 4 lexer for the verifier's text decisions; pure.

It splits text as Lean's tokenizer does wherever a difference could hide code: nested ``/- -/`` and doc
comments, ``--``, string literals with escapes and ``{...}`` interpolation (which holds code, which can
hold strings), character literals, raw strings ``r#"..."#``, ``«...»`` identifier parts inside dotted
names, name literals, and identifier characters exactly as Lean 4.35 defines them. Keywords versus
identifiers follow Lean's rule: an unescaped word is a keyword when the whole word is one (``unsafe``);
``«unsafe»`` and ``unsafe.x`` are names. It fails closed: an unterminated comment, string, character
literal or ``«`` name, a control character, or a string whose end depends on whether it is interpolated
raises ``LexError`` rather than guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple, NoReturn


class LexError(ValueError):
    """Text the lexer cannot split as Lean would; ``line`` is 1-based (worked out when asked: the readings
    of a text may raise and catch many of these)."""

    def __init__(self, what: str, text: str, offset: int):
        super().__init__(what)
        self.what, self.text, self.offset = what, text, offset

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.offset) + 1

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


class TooManyReadings(LexError):
    """The text's readings are more than can be checked: the whole text is refused, never a reading
    dropped (a reading left out would be code no rule saw)."""


class Token(NamedTuple):
    """One token (a named tuple: the lexer makes one per token of every reading, and a frozen dataclass
    costs twice as much to make). ``kind``: word (identifier or keyword), symbol, number, string, char, name_literal,
    comment (``--``, ``/- -/``), doc (``/--``, ``/-!``)."""

    kind: str
    text: str
    start: int
    end: int
    name: str = ""  # words: the name with «» removed, parts joined by "."
    escaped: bool = False  # a word with a «» part: always a name, never a keyword
    inner: tuple[Token, ...] = ()  # code inside a string's {...}
    line_start: bool = False  # the first token on its line

    @property
    def is_code(self) -> bool:
        return self.kind not in ("comment", "doc")

    def is_keyword(self, *words: str) -> bool:
        """An unescaped word spelled as one of ``words`` (what Lean's token table makes a keyword)."""
        return self.kind == "word" and not self.escaped and self.text in words


# --------------------------------------------------------------------------- characters (Lean 4.35)


def _letter_like(c: str) -> bool:
    v = ord(c)
    return (
        (0x3B1 <= v <= 0x3C9 and v != 0x3BB)  # lower Greek but lambda
        or (0x391 <= v <= 0x3A9 and v not in (0x3A0, 0x3A3))  # upper Greek but Pi and Sigma
        or 0x3CA <= v <= 0x3FB  # Coptic
        or 0x1F00 <= v <= 0x1FFE  # polytonic Greek
        or 0x2100 <= v <= 0x214F  # letter-like block
        or 0x1D49C <= v <= 0x1D59F  # script, double-struck, Fraktur
        or (0xC0 <= v <= 0xFF and v not in (0xD7, 0xF7))  # Latin-1 letters
        or 0x100 <= v <= 0x17F  # Latin Extended-A
    )


def _subscript(c: str) -> bool:
    v = ord(c)
    return 0x2080 <= v <= 0x2089 or 0x2090 <= v <= 0x209C or 0x1D62 <= v <= 0x1D6A or v == 0x2C7C


_ASCII_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_ASCII_REST_CHARS = _ASCII_FIRST | frozenset("0123456789'!?")


def full_name(name: str, namespaces: Sequence[str] = ()) -> str:
    """The full name of a declaration written ``name`` inside ``namespaces``, or of a reference to it:
    Lean's ``_root_.`` prefix escapes every namespace, so ``_root_.x`` is ``x`` anywhere."""
    if name.startswith("_root_."):
        return name.removeprefix("_root_.")
    return ".".join([*namespaces, name])


def id_first(c: str) -> bool:
    return c in _ASCII_FIRST or (c > "\x7f" and _letter_like(c))


def id_rest(c: str) -> bool:
    return c in _ASCII_REST_CHARS or (c > "\x7f" and (_letter_like(c) or _subscript(c)))


_SYMBOLS = sorted(
    [
        ":=",
        "::",
        "=>",
        "->",
        "<-",
        "<;>",
        "..",
        "...",
        "@[",
        "#[",
        "%[",
        "<|>",
        "<|",
        "|>.",
        "|>",
        "``",
        "`(",
    ],
    key=len,
    reverse=True,
)
# brackets, as the token rules and the statement reader track nesting
OPEN = {"(": ")", "[": "]", "{": "}", "⦃": "⦄", "⟨": "⟩", "@[": "]", "#[": "]", "%[": "]", "⟦": "⟧"}
CLOSE = set(OPEN.values())
# what opens or closes a comment, string, character, name or interpolation: never inert
_OPENS_TEXT = frozenset("\"'\\-/{}«»`#r")
_CLOSERS = frozenset(",)]}⟩⦄⟧")
_CLOSING_BRACKETS = frozenset(")]}⟩⦄⟧")
_HEX = "0123456789abcdefABCDEF"
_DIGITS = "0123456789"


# `#` commands of Lean, Batteries, Aesop and Mathlib (their `#help command`, Lean 4.34): as in Lean's token
# table, the longest one the text starts with is one token. Any other `#` is a symbol of its own (Mathlib's
# cardinality `#s`); the token rules decide where that may stand.
HASH_COMMANDS = frozenset(
    """#adaptation_note #aesop_rules #aesop_stats #allow_unused_tactic #check #check' #check_assertions
    #check_failure #check_simp #check_tactic #check_tactic_failure #clear_deprecations #click_suggestions
    #conv #count_heartbeats #defeq_abuse #discr_tree_key #discr_tree_simp_key #dump_async_env_state #eval #eval!
    #exit #explode #find #find_home #find_syntax #grind_lint #guard #guard_expr #guard_msgs #guard_panic
    #help #html #import_bumps #import_diff #import_path #info_trees #instances #kerodon_tags #leansearch
    #lint #list_linters #lmfdb_tags #long_instances #long_names #loogle #min_imports #minimize_imports
    #norm_num #parse #print #print_fun_prop_theorems #pull #push #push_discr_tree #reduce
    #redundant_imports #reset_min_imports #rw?? #sample #search #show_deprecated_modules #show_kind
    #show_unused #simp #stacks_tags #string_diagram #synth #test #time #trans_imports #unfold? #version
    #whats_new #where #whnf #whnfR #widget #wikidata_tags #with_exporting #align #align_import #noalign
    #lift_lets #ring #abel #positivity #push_neg #statesearch #moogle #kernel #help #exit""".split()
)
_HASH_LONGEST_FIRST = sorted(HASH_COMMANDS, key=len, reverse=True)


def _hash_command(text: str, i: int) -> str:
    """The command token at ``text[i]`` (a ``#``), as Lean's longest-prefix match finds it, or ""."""
    return next((c for c in _HASH_LONGEST_FIRST if text.startswith(c, i)), "")


def _bad_char(c: str) -> bool:
    """Control, format and space characters (tab, lone CR, U+00A0, U+2028, U+200B...): Lean reports an
    error where one stands between tokens (inside comments and strings they are text)."""
    return unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cs", "Cn") and c not in " \n"


# --------------------------------------------------------------------------- the lexer


class _Lexer:
    """One reading of ``text``: at each place where Lean's reading depends on the token table (which the
    lexer does not know), ``choices[offset]`` says which reading to take (True: the other one); the first
    such place without a choice is noted in ``open_choice`` and read the first way."""

    def __init__(self, text: str, choices: dict[int, bool] | None = None, budget: list[int] | None = None):
        self.text, self.n = text, len(text)
        self.budget = budget if budget is not None else [_budget(text)]
        self.choices = choices or {}
        self.open_choice: int | None = None
        self.nesting = 0  # interpolated strings open around the place being read
        self.memo: dict[tuple[int, int], tuple[list[Token], int] | LexError] = {}

    def choose(self, offset: int) -> bool:
        if offset in self.choices:
            return self.choices[offset]
        if self.open_choice is None:
            self.open_choice = offset
        return False

    def fail(self, what: str, offset: int) -> NoReturn:
        raise LexError(what, self.text, offset)

    def tokens(self, i: int, stop_at_brace: bool) -> tuple[list[Token], int]:
        """Tokens from ``i``; with ``stop_at_brace``, up to the ``}`` that closes an interpolation."""
        out: list[Token] = []
        text, n, depth, budget = self.text, self.n, 0, self.budget
        while i < n:
            c = text[i]
            newline = False
            if c in " \n\r":
                end = _end(_BLANKS, text, i)  # Lean's whitespace: spaces, newlines, CRLF
                newline = "\n" in text[i:end]
                i = end
                if i >= n:
                    break
                c = text[i]
            if not " " < c < "\x7f" and _bad_char(c):  # a tab, a lone CR, any other space
                self.fail(f"a character Lean does not read between tokens (U+{ord(c):04X})", i)
            line_start = newline or i == 0 or text[i - 1] == "\n"
            fast = TOKEN_CLASSES is _PLAIN_OF
            if fast and (c in _PLAIN_SYMBOLS or (c == _PLAIN_DOT and not text.startswith(_LONGER_DOTS, i))):  # `{`, `,`, `.`
                token = _new_tuple(Token, ("symbol", c, i, i + 1, "", False, (), line_start))
            elif fast and c in _PLAIN_WORD_FIRST and (end := self.ascii_word_end(i)):  # `h₀.le`: the rest
                token = _new_tuple(Token, ("word", text[i:end], i, end, text[i:end], False, (), line_start))
            else:
                token = self.token(i, out[-1] if out else None)
                if line_start:
                    token = token._replace(line_start=True)
            budget[0] -= token.end - i  # self.spend, inline: once per token
            if budget[0] < 0:
                self.spend(0)
            if stop_at_brace and token.kind == "symbol":
                if token.text == "{":
                    depth += 1
                elif token.text == "}":
                    if depth == 0:
                        return out, token.end
                    depth -= 1
            out.append(token)
            i = token.end
        if stop_at_brace:
            self.fail("unterminated {...} in an interpolated string", i)
        return out, i

    def spend(self, work: int) -> None:
        """Count ``work`` (characters read) against the budget of all readings of the text."""
        self.budget[0] -= work
        if self.budget[0] < 0:
            raise TooManyReadings("too many readings to check for its length (strings and primes the imports decide)", self.text, 0)

    def token(self, i: int, previous: Token | None) -> Token:
        """The token at ``i``: the first token class (``TOKEN_CLASSES``, in Lean's order) that reads one;
        a class is asked only where it can start (``_STARTS``)."""
        c = self.text[i]
        for read in _classes_at(c):
            token = read(self, i, previous)
            if token is not None:
                return token
        for symbol in _SYMBOLS_BY_FIRST.get(c, ()):
            if self.text.startswith(symbol, i):
                return Token("symbol", symbol, i, i + len(symbol))
        return Token("symbol", self.text[i], i, i + 1)

    def line_comment(self, i: int, previous: Token | None) -> Token | None:
        if not self.text.startswith("--", i):
            return None
        end = self.text.find("\n", i)
        end = self.n if end < 0 else end
        return Token("comment", self.text[i:end], i, end)

    def block_comment(self, i: int, previous: Token | None) -> Token | None:
        text = self.text
        if not text.startswith("/-", i):
            return None
        if text[i + 2 : i + 3] in ("-", "!"):  # a doc comment: a token, then Lean's whitespace, then the body
            end = self.comment_body_end(self.whitespace_end(i + 3), i)
            return Token("doc", text[i:end], i, end)
        # Lean skips the character after ``/-`` before it looks for ``-/``: ``/-/-/`` is one comment
        end = self.comment_body_end(i + 3, i)
        return Token("comment", text[i:end], i, end)

    def string_literal(self, i: int, previous: Token | None) -> Token | None:
        return self.string(i, _may_interpolate(previous)) if self.text[i] == '"' else None

    def char_literal(self, i: int, previous: Token | None) -> Token | None:
        text = self.text
        if text[i] != "'":
            return None
        if text[i + 1 : i + 2] == "'":  # Mathlib's image `f '' s`: never a character
            return Token("symbol", "''", i, i + 2)
        if previous is not None and previous.kind == "symbol" and previous.end == i:
            return self.prime_after_symbol(i)
        return self.char(i)

    def number_literal(self, i: int, previous: Token | None) -> Token | None:
        if not "0" <= self.text[i] <= "9":
            return None
        if self.projection_dot(previous, i):  # `h.1.le`, `x.1.2`: a field index, digits only
            j = i
            while j < self.n and self.text[j] in _DIGITS:
                j += 1
            return Token("number", self.text[i:j], i, j)
        return self.number(i)

    def projection_dot(self, previous: Token | None, i: int) -> bool:
        """Whether the digits at ``i`` are a field index, which Lean reads with its ``fieldIdx`` parser,
        never as a number: after the ``.`` of a projection (right after a term, no space before it, as
        Lean's ``checkNoWsBefore`` asks, and right before ``i``), after ``|>.``, or first in a structure
        instance's field path."""
        if previous is None:
            return False
        after_term = previous.kind in ("word", "number") or previous.text in _CLOSING_BRACKETS
        new_field = previous.text in ("{", ",", "with") or (after_term and "\n" in self.text[previous.end : i])
        if new_field and self.field_path(i):
            return True  # `{ s with 1.arr := x }`: a field path first in an instance, or on a line of its own
        if previous.kind != "symbol" or previous.end != i:
            return False
        if previous.text == "|>.":  # `e |>.2.le`: the pipeline's projection
            return True
        if previous.text != ".":
            return False
        before = self.text[previous.start - 1] if previous.start else " "
        return not before.isspace() and before not in "([{⟨⦃,"

    def field_path(self, i: int) -> bool:
        """Digits, a dot and a name at ``i`` (``1.arr``, ``2.1.val``): a structure instance's field path,
        where Lean reads the digits as field indices; as a number it would be refused."""
        text, j = self.text, i
        while True:  # digits (.digits)* . name: `1.arr`, `2.1.val`
            while j < self.n and text[j] in _DIGITS:
                j += 1
            if text[j : j + 1] != "." or j + 1 >= self.n:
                return False
            if id_first(text[j + 1]) or text[j + 1] == "«":
                return True
            if text[j + 1] not in _DIGITS:
                return False
            j += 1

    def name_literal(self, i: int, previous: Token | None) -> Token | None:
        text = self.text
        if not (text[i] == "`" and i + 1 < self.n and (id_first(text[i + 1]) or text[i + 1] == "«")):
            return None
        end, name, _ = self.ident(i + 1)
        return Token("name_literal", text[i:end], i, end, name)

    def raw_string_literal(self, i: int, previous: Token | None) -> Token | None:
        return self.raw_string(i) if self.text[i] == "r" else None

    def word(self, i: int, previous: Token | None) -> Token | None:
        if not (self.text[i] == "«" or id_first(self.text[i])):
            return None
        end, name, escaped = self.ident(i)
        return Token("word", self.text[i:end], i, end, name, escaped)

    def ascii_word_end(self, i: int) -> int:
        """End of the ASCII dotted name at ``i`` when nothing after it could extend it (0 otherwise: the
        full reader decides): the lexer's fast path for most of an output's names."""
        text = self.text
        match = _ASCII_NAME.match(text, i)
        if match is None:
            return 0
        end = match.end()
        after = text[end : end + 1]
        if after == ".":  # `h.1`, `x.(f)`: a name part cannot start after the dot
            after = text[end + 1 : end + 2]
            return end if after < "\x80" and after not in _ASCII_FIRST else 0
        return end if after < "\x80" else 0

    def hash_command(self, i: int, previous: Token | None) -> Token | None:
        command = _hash_command(self.text, i) if self.text[i] == "#" else ""
        return Token("symbol", command, i, i + len(command), command) if command else None

    def comment_body_end(self, j: int, start: int) -> int:
        """End of a comment whose body starts at ``j`` (nested ``/- -/`` counted as Lean counts them)."""
        text, depth = self.text, 1
        while j < self.n:
            if text.startswith("-/", j):
                depth -= 1
                j += 2
                if depth == 0:
                    return j
            elif text.startswith("/-", j):
                depth += 1
                j += 2
            else:
                j += 1
        self.fail("unterminated comment", start)

    def whitespace_end(self, j: int) -> int:
        """End of the whitespace and plain comments at ``j``: what Lean skips after a token such as ``/--``."""
        text = self.text
        while j < self.n:
            if text[j] in " \n\t\r":
                j += 1
            elif text.startswith("--", j):
                end = text.find("\n", j)
                j = self.n if end < 0 else end
            elif text.startswith("/-", j) and text[j + 2 : j + 3] not in ("-", "!"):
                j = self.comment_body_end(j + 3, j)
            else:
                break
        return j

    def ident(self, i: int) -> tuple[int, str, bool]:
        """End, name and whether escaped, of the (dotted) identifier at ``i``."""
        text, parts, escaped = self.text, [], False
        while True:
            if text[i] == "«":
                end = text.find("»", i + 1)
                if end < 0:
                    self.fail("unterminated «» name", i)
                parts.append(text[i + 1 : end])
                escaped, i = True, end + 1
            else:
                j = _end(_ASCII_REST, text, i + 1)  # the common case at C speed, then the rest
                while j < self.n and id_rest(text[j]):
                    j = _end(_ASCII_REST, text, j + 1)
                parts.append(text[i:j])
                i = j
            if i + 1 < self.n and text[i] == "." and (id_first(text[i + 1]) or text[i + 1] == "«"):
                i += 1
                continue
            return i, ".".join(parts), escaped

    def number(self, i: int) -> Token:
        """A numeric literal as Lean's ``numberFnAux`` reads it: ``0x``/``0b``/``0o`` (either case) with at
        least one digit, decimal digits, ``_`` separators (each followed by a digit), and a scientific
        tail (``.`` with optional digits, ``e``/``E`` with an optional sign and digits). Where Lean reports
        an error (``1_``, ``0x``, ``1e``, ``1.x``) the text is refused: read on, a keyword could hide after it."""
        text = self.text
        base = text[i + 1 : i + 2].lower() if text[i] == "0" else ""
        if base in ("x", "b", "o"):
            digits = {"x": _HEX, "b": "01", "o": "01234567"}[base]
            return Token("number", text[i : (j := self.digits(i + 2, digits, True, i))], i, j)
        j = self.digits(i, _DIGITS, False, i)
        if text[j : j + 1] == ".":
            j += 1
            if text[j : j + 1] in _DIGITS and j < self.n:
                j = self.digits(j, _DIGITS, False, i)
            elif j < self.n and text[j] not in "eE" and (id_first(text[j]) or text[j] == "«"):
                self.fail("a decimal point followed by a name (Lean: parenthesize the number)", i)
        if text[j : j + 1] in ("e", "E") and j < self.n:
            j += 1 + (text[j + 1 : j + 2] in ("+", "-"))
            if not (j < self.n and text[j] in _DIGITS):
                self.fail("a scientific literal without exponent digits", i)
            j = self.digits(j, _DIGITS, False, i)
        return Token("number", text[i:j], i, j)

    def digits(self, j: int, digits: str, need: bool, start: int) -> int:
        """End of ``(_* digit+)*`` at ``j`` (Lean's ``takeDigitsFn``); a ``_`` must be followed by a digit."""
        text = self.text
        while j < self.n and (text[j] == "_" or text[j] in digits):
            need = text[j] == "_"
            j += 1
        if need:
            self.fail("a numeric literal that ends without its digit", start)
        return j

    def prime_after_symbol(self, i: int) -> Token:
        """A ``'`` right after a symbol: the end of a notation token (``f ⁻¹' s``, ``∑' k``, ``α ×' β``,
        whatever the imports add) or the start of a character literal (``['a']``); which one depends on
        the token table. A notation prime where no character literal can start (``' s`` is none);
        otherwise both are readings."""
        try:
            literal = self.char(i)
        except TooManyReadings:
            raise
        except LexError:
            return Token("symbol", "'", i, i + 1)
        return literal if self.choose(i) else Token("symbol", "'", i, i + 1)

    def char(self, i: int) -> Token:
        text, j = self.text, i + 1
        if j >= self.n:
            self.fail("unterminated character literal", i)
        if text[j] == "\\":
            j = self.escape_end(j, i)
        else:
            j += 1
        if text[j : j + 1] != "'":
            self.fail("unterminated character literal", i)
        return Token("char", text[i : j + 1], i, j + 1)

    def escape_end(self, j: int, start: int, in_string: bool = False, interpolated: bool = False) -> int:
        """End of the escape sequence at ``j`` (a backslash); one Lean does not know is refused. Strings
        also have gaps (a backslash before a newline); ``\\{`` is an escape of interpolated ones only."""
        text = self.text
        kind = text[j + 1 : j + 2]
        if kind in ("x", "u"):
            width = 2 if kind == "x" else 4
            if len(text[j + 2 : j + 2 + width]) == width and all(
                c in _HEX for c in text[j + 2 : j + 2 + width]
            ):
                return j + 2 + width
        elif kind and (kind in "\\\"'nrt" or (in_string and kind == "\n") or (interpolated and kind == "{")):
            return j + 2
        self.fail("an escape sequence Lean does not accept", start)

    def string(self, i: int, may_interpolate: bool = True) -> Token:
        """A string literal. Lean reads it plain unless syntax in scope reads it interpolated (``s!``,
        ``m!``, ``f!``, ``throwError``..., tokens the imports decide; ``may_interpolate``: whether the
        token before it can end such a prefix). Where the interpolated reading ends at the same place, the
        code in its ``{...}`` is kept (the rules see it); where it ends elsewhere, both are readings; where
        it cannot be read at all (a ``{`` never closed), Lean cannot read it that way either without an
        error, and the string is plain."""
        text = self.text
        if not may_interpolate:
            return Token("string", text[i : (end := self.plain_end(i))], i, end)
        try:
            plain_end = self.plain_end(i)
        except TooManyReadings:
            raise
        except LexError as plain_error:  # then interpolated, or neither
            try:
                inner, end = self.interpolated(i)
            except TooManyReadings:
                raise
            except LexError:
                raise plain_error from None
            return Token("string", text[i:end], i, end, inner=tuple(inner))
        try:
            inner, end = self.interpolated(i)
        except TooManyReadings:
            raise
        except LexError:
            return Token("string", text[i:plain_end], i, plain_end)
        if end == plain_end or self.choose(i):  # the same end, or the interpolated reading of two
            return Token("string", text[i:end], i, end, inner=tuple(inner))
        return Token("string", text[i:plain_end], i, plain_end)

    def plain_end(self, i: int) -> int:
        text, j = self.text, i + 1
        while j < self.n and text[j] != '"':
            j = self.escape_end(j, i, in_string=True) if text[j] == "\\" else j + 1
        if j >= self.n:
            self.fail("unterminated string literal", i)
        return j + 1

    def interpolated(self, i: int) -> tuple[list[Token], int]:
        """The code in the ``{...}`` of the string at ``i`` read as interpolated, and where it ends. Nested
        deeper than ``MAX_NESTING`` it is refused (no Lean text needs it; Python's stack is not the limit)."""
        key = (i, self.nesting)
        if key not in self.memo:  # each string once per reading: nested ones would cost 2^depth
            if self.nesting >= MAX_NESTING:
                self.fail(f"interpolated strings nested more than {MAX_NESTING} deep", i)
            self.nesting += 1
            try:
                self.memo[key] = self._interpolated(i)
            except TooManyReadings:
                raise
            except LexError as error:
                self.memo[key] = error
            finally:
                self.nesting -= 1
        found = self.memo[key]
        if isinstance(found, LexError):
            raise found
        return found

    def _interpolated(self, i: int) -> tuple[list[Token], int]:
        text, inner, j = self.text, [], i + 1
        while j < self.n and text[j] != '"':
            self.spend(INTERPOLATED_WORK)
            if text[j] == "\\":
                j = self.escape_end(j, i, in_string=True, interpolated=True)
            elif text[j] == "{":
                code, j = self.tokens(j + 1, stop_at_brace=True)
                inner.extend(code)
            else:
                j += 1
        if j >= self.n:
            self.fail("unterminated string literal", i)
        return inner, j + 1

    def raw_string(self, i: int) -> Token | None:
        text, j = self.text, i + 1
        while j < self.n and text[j] == "#":
            j += 1
        if text[j : j + 1] != '"':
            return None
        closing = '"' + "#" * (j - i - 1)
        end = text.find(closing, j + 1)
        if end < 0:
            self.fail("unterminated raw string literal", i)
        end += len(closing)
        return Token("string", text[i:end], i, end)


MAX_READINGS = 64
# what all readings of a text may read together, in characters (each character of an interpolated string
# counts INTERPOLATED_WORK more): one pass and a little, plus a fixed allowance (a second reading of a text
# up to about 9 KB), so that any text is read in linear time (about 0.1 s at 64 KB on a 2-core machine:
# benchmarks/lexer_adversarial.py); a text past it is refused, as one past MAX_READINGS is
WORK_PER_CHARACTER, WORK_MIN = 1.15, 8_000
INTERPOLATED_WORK = 4  # a character read as an interpolated string's: each may be read at every depth


def _budget(text: str) -> int:
    return int(WORK_PER_CHARACTER * len(text)) + WORK_MIN


_BLANKS = re.compile(r"(?: |\n|\r\n)*")
_ASCII_REST = re.compile(r"[A-Za-z0-9_'!?]*")


def _end(pattern: re.Pattern[str], text: str, i: int) -> int:
    """End of ``pattern``'s match at ``i``: the patterns given here match everywhere (possibly empty)."""
    match = pattern.match(text, i)
    return i if match is None else match.end()


_SYMBOLS_BY_FIRST: dict[str, list[str]] = {}  # longest first, as _SYMBOLS
for _symbol in _SYMBOLS:
    _SYMBOLS_BY_FIRST.setdefault(_symbol[0], []).append(_symbol)
_STARTS: dict[str, Callable[[str], bool]] = {  # where each token class can start
    "line comment": lambda c: c == "-",
    "block and doc comment": lambda c: c == "/",
    "string": lambda c: c == '"',
    "character": lambda c: c == "'",
    "number": lambda c: "0" <= c <= "9",
    "name literal": lambda c: c == "`",
    "raw string": lambda c: c == "r",
    "identifier": lambda c: c == "«" or id_first(c),
    "# command": lambda c: c == "#",
}
MAX_NESTING = 16  # interpolated strings inside interpolated strings


def _may_interpolate(previous: Token | None) -> bool:
    """Whether a string after ``previous`` may be an interpolated one: Lean's and Mathlib's syntaxes that
    take one put a word (``s!``, ``m!``, ``f!``, ``throwError``, ``dbg_trace``) or a closing bracket
    (``trace[c]``, ``throwErrorAt (ref)``) right before it; after any other token a string is a term, and
    Lean's term parser reads it plain."""
    return previous is not None and (previous.kind == "word" or previous.text in _CLOSING_BRACKETS)


def readings(text: str) -> list[list[Token]]:
    """Every reading of ``text`` that lexes, the first way first (``tokenize``'s). Where Lean's reading
    depends on the imports (a string after what may be an interpolation prefix, a ``'`` after what may
    end a notation), each way is a reading; one that cannot be lexed cannot be Lean's either without an
    error. Raises ``LexError`` when none lexes, or past ``MAX_READINGS``."""
    found: list[list[Token]] = []
    first_error: LexError | None = None
    pending: list[dict[int, bool]] = [{}]
    leaves, budget = 0, [_budget(text)]
    while pending:
        choices = pending.pop()
        lexer = _Lexer(text, choices, budget)
        try:
            tokens, _ = lexer.tokens(0, stop_at_brace=False)
        except TooManyReadings:
            raise
        except LexError as error:
            tokens, first_error = None, first_error or error
        if lexer.open_choice is not None:  # branch there, the first way on top
            pending += [{**choices, lexer.open_choice: True}, {**choices, lexer.open_choice: False}]
            continue
        leaves += 1
        if leaves > MAX_READINGS:
            raise TooManyReadings(
                f"more than {MAX_READINGS} readings (strings and primes the imports decide)", text, 0
            )
        if tokens is not None:
            found.append(tokens)
    if not found:
        assert first_error is not None
        raise first_error
    return found


# The token classes in the order Lean's ``tokenFnAux`` tries them (comments are its whitespace); what none
# of them reads is a symbol. The lexer's differential test removes each in turn and must see it matter.
TOKEN_CLASSES: list[tuple[str, Callable[[_Lexer, int, Token | None], Token | None]]] = [
    ("line comment", _Lexer.line_comment),
    ("block and doc comment", _Lexer.block_comment),
    ("string", _Lexer.string_literal),
    ("character", _Lexer.char_literal),
    ("number", _Lexer.number_literal),
    ("name literal", _Lexer.name_literal),
    ("raw string", _Lexer.raw_string_literal),
    ("identifier", _Lexer.word),
    ("# command", _Lexer.hash_command),
]


_DISPATCH: dict[str, list] = {}
_DISPATCH_OF: list = []


def _classes_at(c: str) -> list:
    """The readers of ``TOKEN_CLASSES`` that can start at character ``c``, in order (kept per character;
    recomputed when ``TOKEN_CLASSES`` is replaced, as the differential test does)."""
    global _DISPATCH_OF
    if _DISPATCH_OF is not TOKEN_CLASSES:
        _DISPATCH.clear()
        _DISPATCH_OF = TOKEN_CLASSES
    if c not in _DISPATCH:
        _DISPATCH[c] = [read for name, read in TOKEN_CLASSES if name not in _STARTS or _STARTS[name](c)]
    return _DISPATCH[c]


# ASCII characters that are a symbol of one character wherever they stand: no token class starts with
# them and no longer symbol does (the lexer's fast path, most of an output's brackets and commas; `.`
# too where no `..` follows)
_PLAIN_SYMBOLS = frozenset(
    c for c in map(chr, range(33, 127)) if not _classes_at(c) and _SYMBOLS_BY_FIRST.get(c, [c]) == [c]
)
_LONGER_DOTS = tuple(symbol for symbol in _SYMBOLS_BY_FIRST.get(".", ()) if symbol != ".")
_PLAIN_DOT = "" if _classes_at(".") else "."
_PLAIN_OF = TOKEN_CLASSES  # a test that replaces TOKEN_CLASSES turns the fast path off
# letters that only a name can start with (not `r` of r"...": its class comes first), and ASCII names
_PLAIN_WORD_FIRST = frozenset(c for c in _ASCII_FIRST if [r.__name__ for r in _classes_at(c)] == ["word"])
_ASCII_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_'!?]*(?:\.[A-Za-z_][A-Za-z0-9_'!?]*)*")
_new_tuple = tuple.__new__  # a Token with every field given, without NamedTuple's Python-level __new__


def tokenize(text: str) -> list[Token]:
    """Every token of ``text``, comments included, in its first reading; raises ``LexError`` (fail
    closed) when it has none. The verifier's rules read every reading (``readings``)."""
    return readings(text)[0]


def code_tokens(tokens: list[Token]) -> list[Token]:
    """The tokens that are code, without comments."""
    return [t for t in tokens if t.is_code]


def walk(tokens: list[Token]) -> Iterator[Token]:
    """Every code token, the code inside interpolated strings included, in order."""
    for token in tokens:
        if token.is_code:
            yield token
            yield from walk(list(token.inner))
