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

from collections.abc import Iterator
from dataclasses import dataclass, field


class LexError(ValueError):
    """Text the lexer cannot split as Lean would; ``line`` is 1-based."""

    def __init__(self, what: str, text: str, offset: int):
        self.line = text.count("\n", 0, offset) + 1
        self.offset = offset
        super().__init__(f"line {self.line}: {what}")


@dataclass(frozen=True)
class Token:
    """One token. ``kind``: word (identifier or keyword), symbol, number, string, char, name_literal,
    comment (``--``, ``/- -/``), doc (``/--``, ``/-!``)."""

    kind: str
    text: str
    start: int
    end: int
    name: str = ""  # words: the name with «» removed, parts joined by "."
    escaped: bool = False  # a word with a «» part: always a name, never a keyword
    inner: tuple[Token, ...] = field(default=(), repr=False)  # code inside a string's {...}

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


def id_first(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or c == "_" or _letter_like(c)


def id_rest(c: str) -> bool:
    return id_first(c) or ("0" <= c <= "9") or c in "'!?" or _subscript(c)


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
_INTERPOLATING = ("s!", "m!", "f!")
_HEX = "0123456789abcdefABCDEF"


def _bad_char(c: str) -> bool:
    v = ord(c)
    return (v < 0x20 and c not in "\n\t\r") or v == 0x7F or 0x80 <= v < 0xA0


# --------------------------------------------------------------------------- the lexer


class _Lexer:
    def __init__(self, text: str):
        self.text, self.n = text, len(text)

    def fail(self, what: str, offset: int):
        raise LexError(what, self.text, offset)

    def tokens(self, i: int, stop_at_brace: bool) -> tuple[list[Token], int]:
        """Tokens from ``i``; with ``stop_at_brace``, up to the ``}`` that closes an interpolation."""
        text, n, out, depth = self.text, self.n, [], 0
        while i < n:
            c = text[i]
            if c in " \n\t\r":
                i += 1
                continue
            if _bad_char(c):
                self.fail(f"control character U+{ord(c):04X}", i)
            token = self.token(i, out[-1] if out else None)
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

    def token(self, i: int, previous: Token | None) -> Token:
        text, c = self.text, self.text[i]
        two = text[i : i + 2]
        if two == "--":
            end = text.find("\n", i)
            return Token("comment", text[i : end if end >= 0 else self.n], i, end if end >= 0 else self.n)
        if two == "/-":
            if text[i + 2 : i + 3] in (
                "-",
                "!",
            ):  # a doc comment: a token, then Lean's whitespace, then the body
                return Token(
                    "doc", text[i : (end := self.comment_body_end(self.whitespace_end(i + 3), i))], i, end
                )
            # Lean skips the character after ``/-`` before it looks for ``-/``: ``/-/-/`` is one comment
            end = self.comment_body_end(i + 3, i)
            return Token("comment", text[i:end], i, end)
        if c == '"':
            return self.string(i, previous is not None and previous.text in _INTERPOLATING)
        if c == "'" and text[i + 1 : i + 2] != "'":
            return self.char(i)
        if "0" <= c <= "9":
            return self.number(i)
        if c == "`" and i + 1 < self.n and (id_first(text[i + 1]) or text[i + 1] == "«"):
            end, name, _ = self.ident(i + 1)
            return Token("name_literal", text[i:end], i, end, name)
        if c == "r" and (raw := self.raw_string(i)) is not None:
            return raw
        if c == "«" or id_first(c):
            end, name, escaped = self.ident(i)
            return Token("word", text[i:end], i, end, name, escaped)
        if c == "#" and i + 1 < self.n and id_first(text[i + 1]):
            end, name, _ = self.ident(i + 1)  # `#eval`, `#exit`...: a command token
            return Token("symbol", text[i:end], i, end, "#" + name)
        for symbol in _SYMBOLS:
            if text.startswith(symbol, i):
                return Token("symbol", symbol, i, i + len(symbol))
        return Token("symbol", c, i, i + 1)

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
                j = i + 1
                while j < self.n and id_rest(text[j]):
                    j += 1
                parts.append(text[i:j])
                i = j
            if i + 1 < self.n and text[i] == "." and (id_first(text[i + 1]) or text[i + 1] == "«"):
                i += 1
                continue
            return i, ".".join(parts), escaped

    def number(self, i: int) -> Token:
        text, j = self.text, i + 1
        if text[i] == "0" and text[i + 1 : i + 2] in ("x", "X", "b", "B", "o", "O"):
            digits = {"x": _HEX, "b": "01", "o": "01234567"}[text[i + 1].lower()]
            j = i + 2
            while j < self.n and text[j] in digits:
                j += 1
            if j == i + 2:
                j = i + 1  # `0x` alone: the number 0, then a word (Lean reports an error there)
        else:
            while j < self.n and text[j].isascii() and text[j].isdigit():
                j += 1
            if text[j : j + 1] == "." and text[j + 1 : j + 2].isascii() and text[j + 1 : j + 2].isdigit():
                j += 1
                while j < self.n and text[j].isascii() and text[j].isdigit():
                    j += 1
            k = j + 1 + (text[j + 1 : j + 2] in ("+", "-"))
            if text[j : j + 1] in ("e", "E") and text[k : k + 1].isascii() and text[k : k + 1].isdigit():
                j = k
                while j < self.n and text[j].isascii() and text[j].isdigit():
                    j += 1
        return Token("number", text[i:j], i, j)

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

    def escape_end(self, j: int, start: int, in_string: bool = False) -> int:
        """End of the escape sequence at ``j`` (a backslash); one Lean does not know is refused."""
        text = self.text
        kind = text[j + 1 : j + 2]
        if kind in ("x", "u"):
            width = 2 if kind == "x" else 4
            if len(text[j + 2 : j + 2 + width]) == width and all(
                c in _HEX for c in text[j + 2 : j + 2 + width]
            ):
                return j + 2 + width
        elif kind and (kind in "\\\"'nrt" or (in_string and kind in "{\n")):
            return j + 2
        self.fail("an escape sequence Lean does not accept", start)

    def string(self, i: int, interpolated: bool) -> Token:
        """A string literal. After ``s!``, ``m!``, ``f!`` it is interpolated; elsewhere its end must not depend
        on whether Lean reads it as interpolated (a macro may), or it is refused."""
        text, j = self.text, i + 1
        while j < self.n and text[j] != '"':
            j = self.escape_end(j, i, in_string=True) if text[j] == "\\" else j + 1
        if j >= self.n:
            self.fail("unterminated string literal", i)
        plain_end = j + 1
        inner, j = [], i + 1
        while j < self.n and text[j] != '"':
            if text[j] == "\\":
                j = self.escape_end(j, i, in_string=True)
            elif text[j] == "{":
                code, j = self.tokens(j + 1, stop_at_brace=True)
                inner.extend(code)
            else:
                j += 1
        if j >= self.n:
            self.fail("unterminated string literal", i)
        if j + 1 != plain_end and not interpolated:
            self.fail("a string literal whose end depends on whether it is interpolated", i)
        return Token("string", text[i : j + 1], i, j + 1, inner=tuple(inner))

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


def tokenize(text: str) -> list[Token]:
    """Every token of ``text``, comments included; raises ``LexError`` (fail closed)."""
    tokens, _ = _Lexer(text).tokens(0, stop_at_brace=False)
    return tokens


def code_tokens(tokens: list[Token]) -> list[Token]:
    """The tokens that are code, without comments."""
    return [t for t in tokens if t.is_code]


def walk(tokens: list[Token]) -> Iterator[Token]:
    """Every code token, the code inside interpolated strings included, in order."""
    for token in tokens:
        if token.is_code:
            yield token
            yield from walk(list(token.inner))


def line_of(text: str, offset: int) -> int:
    """1-based line of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1
