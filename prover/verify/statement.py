"""Reading theorem statements and files as Lean does, from tokens: a statement split at its name, the
names a file declares, where a file's module header ends. Pure; used by the acceptance policy."""

from __future__ import annotations

from dataclasses import dataclass

from prover.lean.lexer import CLOSE, OPEN, LexError, Token, code_tokens, full_name, tokenize
from prover.lean.modules import import_command, module_header, module_header_end  # noqa: F401 - read here


@dataclass(frozen=True)
class Statement:
    """A theorem statement split at its name: ``universes`` (``.{u}``), ``binders`` and ``type`` as text."""

    name: str
    universes: str
    binders: str
    type: str

    @property
    def prop(self) -> str:
        return f"∀ {self.binders}, {self.type}" if self.binders else self.type

    def signature(self) -> str:
        """What follows the name: elaborated as Lean elaborates this theorem's signature (auto-bound
        implicits, ``let`` in the type, the header's ``variable``s), whatever the declaration."""
        return f"{self.universes} {self.binders} :\n    {self.type}".replace("  :", " :")

    def axiom(self, name: str) -> str:
        """The statement as an axiom ``name``: the reference the kernel compares the proof with."""
        return f"axiom {name}{self.signature()}\n"


def declared_name(tokens: list[Token], i: int) -> Token | None:
    """The name declared by the ``theorem``/``lemma`` keyword at ``tokens[i]``."""
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    return following if following is not None and following.kind == "word" else None


def parse_statement(text: str) -> Statement:
    """The first ``theorem``/``lemma`` of ``text``; ``ValueError`` when there is none."""
    try:
        tokens = code_tokens(tokenize(text))
    except LexError as error:
        raise ValueError(f"the statement cannot be read as Lean text: {error}") from None
    for i, t in enumerate(tokens):
        if t.is_keyword("theorem", "lemma") and (name := declared_name(tokens, i)) is not None:
            break
    else:
        raise ValueError("the statement must declare a theorem: 'theorem NAME ... : TYPE :='")
    j, universes = i + 2, ""
    if j + 1 < len(tokens) and tokens[j].text == "." and tokens[j + 1].text == "{":
        close = next((k for k in range(j + 1, len(tokens)) if tokens[k].text == "}"), None)
        if close is None:
            raise ValueError("the statement's universe list is not closed")
        universes, j = text[tokens[j].start : tokens[close].end], close + 1
    depth, colon, end = 0, None, None
    for k in range(j, len(tokens)):
        t = tokens[k]
        if t.kind == "symbol" and t.text in OPEN:
            depth += 1
        elif t.kind == "symbol" and t.text in CLOSE:
            depth -= 1
        elif depth == 0 and t.kind == "symbol" and t.text == ":" and colon is None:
            colon = k
        elif depth == 0 and t.kind == "symbol" and t.text == ":=" and colon is not None:
            end = k  # the last one: a `let x := v;` in the type has its own
    if colon is None or colon + 1 >= (end if end is not None else len(tokens)):
        raise ValueError(f"{name.name}: the statement has no ': TYPE'")
    last = (end if end is not None else len(tokens)) - 1
    binders = text[tokens[j].start : tokens[colon - 1].end] if colon > j else ""
    return Statement(name.name, universes, binders, text[tokens[colon + 1].start : tokens[last].end])


def declared_names(tokens: list[Token]) -> list[str]:
    """The names after each ``theorem``/``lemma`` keyword, as written (no scope is worked out)."""
    return [name.name for i, t in enumerate(tokens)
            if t.is_keyword("theorem", "lemma") and (name := declared_name(tokens, i)) is not None]  # fmt: skip


def _column(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1)


def _scope_name(tokens: list[Token], i: int, text: str) -> list[str]:
    """The name parts after ``section``/``end`` at ``tokens[i]``: Lean reads an identifier there only at a
    column right of the keyword's (``checkColGt``), so a command on the next line is no name."""
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    if following is None or following.kind != "word" or following.text in _COMMAND_WORDS:
        return []
    if _column(text, following.start) <= _column(text, tokens[i].start):
        return []
    return following.name.split(".")


_COMMAND_WORDS = frozenset(
    """theorem lemma def abbrev instance example structure class inductive namespace section end open
    variable universe set_option attribute noncomputable private protected local scoped omit include
    mutual axiom opaque macro syntax notation export nonrec partial deriving public meta""".split()
)


def _walk_scopes(tokens: list[Token], text: str):
    """(index, token, the namespaces open there) per token: ``namespace A.B`` opens a scope per part, as
    ``section A.B`` does; ``end A.B`` closes as many (a bare ``end`` one), ``mutual`` one."""
    stack: list[tuple[str, str]] = []
    for i, t in enumerate(tokens):
        if t.is_keyword("namespace") and i + 1 < len(tokens) and tokens[i + 1].kind == "word":
            stack += [("namespace", part) for part in tokens[i + 1].name.split(".")]
        elif t.is_keyword("section"):
            stack += [("section", part) for part in _scope_name(tokens, i, text) or [""]]
        elif t.is_keyword("mutual"):
            stack.append(("mutual", ""))
        elif t.is_keyword("end"):
            del stack[len(stack) - max(1, len(_scope_name(tokens, i, text))) :]
        yield i, t, [name for kind, name in stack if kind == "namespace"]


def namespace_of(tokens: list[Token], text: str) -> str:
    """The namespace open at the end of ``tokens`` of ``text`` (a header that leaves ``namespace A.B``
    open: ``A.B``). For the reference's header only: an output's scopes are Lean's to work out."""
    namespaces: list[str] = []
    for _, _, namespaces in _walk_scopes(tokens, text):  # noqa: B007 - the last one is the answer
        pass
    return ".".join(namespaces)


def declared_theorems(tokens: list[Token], text: str) -> list[str]:
    """Full names of the theorems a person's file (``text``) declares, namespaces followed and ``_root_.``
    honoured: what ``prover check`` prints the axioms of (a name it gets wrong is an error, never an
    acceptance)."""
    names = []
    for i, t, namespaces in _walk_scopes(tokens, text):
        if t.is_keyword("theorem", "lemma") and (name := declared_name(tokens, i)) is not None:
            names.append(full_name(name.name, namespaces))
    return names
