"""Reading theorem statements and files as Lean does, from tokens: a statement split at its name, the
names a file declares, where a file's module header ends. Pure; used by the acceptance policy."""

from __future__ import annotations

from dataclasses import dataclass

from prover.lean.lexer import CLOSE, OPEN, LexError, Token, code_tokens, tokenize


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


def module_header(tokens: list[Token]) -> tuple[int, list[str]]:
    """(index of the first code token after the module header, the modules it imports). The header is
    ``module``? ``prelude``? then import commands (``import_command``)."""
    k = 1 if tokens[:1] and tokens[0].is_keyword("module") else 0
    k += 1 if tokens[k : k + 1] and tokens[k].is_keyword("prelude") else 0
    imported = []
    while (found := import_command(tokens, k)) is not None:
        k, name = found
        imported.append(name)
    return k, imported


def import_command(tokens: list[Token], k: int) -> tuple[int, str] | None:
    """The import command at ``tokens[k]``, ``public``? ``meta``? ``private``? ``import`` ``all``? NAME, as
    (index after it, NAME); None when there is none."""
    m = k
    while m < len(tokens) and tokens[m].is_keyword("public", "meta", "private"):
        m += 1
    if not (m < len(tokens) and tokens[m].is_keyword("import")):
        return None
    m += 1 + (m + 1 < len(tokens) and tokens[m + 1].is_keyword("all"))
    if m >= len(tokens) or tokens[m].kind != "word":
        return None
    return m + 1, tokens[m].name


def module_header_end(tokens: list[Token]) -> int:
    """Index of the first code token after the module header (``module_header``)."""
    return module_header(tokens)[0]


_COMMAND_WORDS = frozenset(
    """theorem lemma def abbrev instance example structure class inductive namespace section end open
    variable universe set_option attribute noncomputable private protected local scoped omit include
    mutual axiom opaque macro syntax notation""".split()
)




def _walk_scopes(tokens: list[Token]):
    """(index, token, the blocks open there as (kind, name), whether an ``end`` closed more than was
    opened) per token, ``namespace``/``section``/``mutual``/``end`` followed."""
    stack: list[tuple[str, str]] = []
    overclosed = False
    for i, t in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        name = following.name if following is not None and following.kind == "word" else ""
        if t.is_keyword("namespace"):
            stack.append(("namespace", name))
        elif t.is_keyword("section"):  # `section` takes a name when a name follows, not a command
            stack.append(("section", "" if following is None or following.text in _COMMAND_WORDS else name))
        elif t.is_keyword("mutual"):
            stack.append(("mutual", ""))
        elif t.is_keyword("end"):
            overclosed = overclosed or not stack
            if stack:
                stack.pop()
        yield i, t, stack, overclosed


def _namespaces(stack: list[tuple[str, str]]) -> list[str]:
    return [name for kind, name in stack if kind == "namespace" and name]


def namespace_of(tokens: list[Token]) -> str:
    """The namespace open at the end of ``tokens`` (a header that leaves ``namespace A.B`` open: ``A.B``)."""
    stack: list[tuple[str, str]] = []
    for _, _, stack, _ in _walk_scopes(tokens):  # noqa: B007 - the last one is the answer
        pass
    return ".".join(_namespaces(stack))


def open_scopes(tokens: list[Token]) -> list[tuple[str, str]] | None:
    """The (kind, name) of the ``namespace``/``section``/``mutual`` blocks still open at the end of
    ``tokens``, innermost last; None when an ``end`` closes more than was opened."""
    stack: list[tuple[str, str]] = []
    overclosed = False
    for _, _, stack, overclosed in _walk_scopes(tokens):  # noqa: B007 - the last one is the answer
        pass
    return None if overclosed else list(stack)


def declared_theorems(tokens: list[Token]) -> list[str]:
    """Full names of the theorems a file declares (namespaces followed; ``_root_.`` honoured)."""
    names = []
    for i, t, stack, _ in _walk_scopes(tokens):
        if t.is_keyword("theorem", "lemma") and (name := declared_name(tokens, i)) is not None:
            if name.name.startswith("_root_."):
                names.append(name.name.removeprefix("_root_."))
            else:
                names.append(".".join([*_namespaces(stack), name.name]))
    return names
