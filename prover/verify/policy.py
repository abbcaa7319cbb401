"""The acceptance policy: when does a model's output count as a proof of the reference statement.

The only place that decides; what it decides is written in docs/verification.md ("Acceptance"). In
order, the first failure is the verdict: ``empty``; the lexer (every reading) and the token rules of
``rules.py`` (``forbidden``, ``sorry``); one Lean run of ``assemble``'s text, judged by ``judge``
(``error``, ``sorry``, ``statement_mismatch``, ``axioms``). Transports (``lean/filecheck.py``,
``lean/pool.py``) run Lean text and return its messages or an infrastructure failure; every command
reaches ``check_proof`` (or ``check_standalone`` for a person's file without a reference).
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import ClassVar

from prover.lean.filecheck import FileRun
from prover.lean.lexer import LexError, Token, code_tokens, full_name, readings, tokenize, walk
from prover.lean.messages import Message
from prover.lean.modules import import_closure
from prover.verify.rules import SORRY_WORDS, rule_violations
from prover.verify.statement import (
    Statement,
    declared_names,
    declared_theorems,
    import_command,
    module_header,
    module_header_end,
    namespace_of,
    parse_statement,
)

POLICY_VERSION = 5  # bump when the acceptance rules change: cached verdicts of older rules are not reused
STANDARD_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})
NATIVE_DECIDE_AXIOMS = frozenset({"Lean.ofReduceBool", "Lean.trustCompiler"})

# (header, body, check) -> Lean's messages on header + body (lines counted over both) and, with a check,
# the check's messages in a fresh scope over the environment header + body produced; or an
# infrastructure failure (``lean/filecheck.py:file_runner``, ``lean/pool.py:ReplPool.run``)
Runner = Callable[..., FileRun]


class BadReference(ValueError):
    """The reference itself is broken (it does not parse or elaborate): no proof of it can pass."""


class Reason(str, Enum):
    OK = "ok"
    EMPTY = "empty"
    FORBIDDEN = "forbidden"
    ERROR = "error"
    SORRY = "sorry"
    STATEMENT_MISMATCH = "statement_mismatch"
    AXIOMS = "axioms"
    TIMEOUT = "timeout"
    OOM = "oom"
    CRASH = "crash"
    BAD_STATEMENT = "bad_statement"  # the reference statement itself does not elaborate: no proof can pass

    @property
    def is_infrastructure(self) -> bool:
        """No judgement of the proof was made (the checker failed)."""
        return self in (Reason.TIMEOUT, Reason.OOM, Reason.CRASH)


@dataclass(frozen=True)
class Reference:
    """The statement to prove: ``header + formal_statement`` ends where the proof starts."""

    name: str
    formal_statement: str
    header: str = ""

    @classmethod
    def of(cls, theorem) -> Reference:
        """The reference of a benchmark's theorem (``prover.benchmark.Theorem``)."""
        return cls(theorem.name, theorem.formal_statement, theorem.header)

    @property
    def header_text(self) -> str:
        """The header as it starts every checked file (newline-terminated)."""
        return self.header if not self.header or self.header.endswith("\n") else self.header + "\n"


@dataclass
class VerifyResult:
    reason: Reason
    detail: str = ""
    messages: list[Message] = field(default_factory=list)  # lines relative to the model's text
    axioms: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.reason is Reason.OK

    @classmethod
    def from_json(cls, data: dict) -> VerifyResult:
        return cls(
            Reason(data["reason"]),
            data["detail"],
            [Message(**m) for m in data["messages"]],
            data["axioms"],
            data["seconds"],
        )

    def to_json(self) -> dict:
        return {
            "accepted": self.accepted,
            "reason": self.reason.value,
            "detail": self.detail,
            "axioms": self.axioms,
            "seconds": round(self.seconds, 3),
            "messages": [m.__dict__ for m in self.messages],
        }


# --------------------------------------------------------------------------- the rules without Lean


def lex(text: str) -> list[list[Token]] | VerifyResult:
    """Every reading of ``text`` (the first is the one to check; the others are what the imports may make
    of it: each must pass the rules too), or the ``forbidden`` verdict when it cannot be read as Lean
    would (a lone surrogate, which no file can hold, included)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        line = text.count("\n", 0, error.start) + 1
        return VerifyResult(Reason.FORBIDDEN, f"cannot be read as Lean text: line {line}: a lone surrogate "
                            f"(U+{ord(text[error.start]):04X}), which is no UTF-8")  # fmt: skip
    try:
        return readings(text)
    except LexError as error:
        return VerifyResult(Reason.FORBIDDEN, f"cannot be read as Lean text: {error}")


def screen(tokens: list[Token], names: frozenset[str] = frozenset()) -> VerifyResult | None:
    """The verdict the token rules give without Lean (``empty``, ``sorry``, ``forbidden``), or None;
    ``names``: what the reference uses, never held against the output."""
    if not code_tokens(tokens):
        return VerifyResult(Reason.EMPTY, "no proof in the output")
    found = rule_violations(tokens, names)
    if any(what in SORRY_WORDS for what in found):
        return VerifyResult(Reason.SORRY, "the proof contains sorry")
    if found:
        return VerifyResult(Reason.FORBIDDEN, "; ".join(found))
    return None


# --------------------------------------------------------------------------- assembling


@dataclass(frozen=True)
class _ReferenceParts:
    """What a reference's checks need, worked out once for all its proofs."""

    statement: Statement
    header: tuple[Token, ...]  # the header's code tokens
    names: frozenset[str]  # every name the header and statement use: never held against an output
    full_name: str  # the theorem's name with the namespace the header leaves open


@functools.lru_cache(maxsize=4096)
def _reference_parts(reference: Reference) -> _ReferenceParts:
    try:
        statement = parse_statement(reference.formal_statement)
        header = tuple(code_tokens(tokenize(reference.header_text)))
        used = [*header, *code_tokens(tokenize(reference.formal_statement))]
    except ValueError as error:  # LexError too
        raise BadReference(f"{reference.name}: {error}") from None
    names = frozenset(full_name(t.name) for t in walk(used) if t.kind == "word")
    namespace = namespace_of(list(header), reference.header_text)
    return _ReferenceParts(statement, header, names, full_name(statement.name, [namespace] if namespace else []))


def reference_names(reference: Reference) -> frozenset[str]:
    """The names the reference header and statement use (a rule never refuses what the reference says)."""
    return _reference_parts(reference).names


@dataclass(frozen=True)
class Assembled:
    """What Lean runs: the module ``header + body`` (ends with the model's text), then ``check`` in a fresh
    command scope over the environment that module produced; where the regions start (1-based lines)."""

    header: str
    body: str
    check: str  # the kernel's comparison and the axioms, every name from the root
    name: str  # the theorem the model must prove (as the reference names it)
    full_name: str  # its full name, where the check looks for it
    region_line: int  # the model's region starts here (the reference statement, then the model's text)
    user_offset: int  # file line - user_offset = the line in the model's own text
    model_end: tuple[int, int]  # (line, column) just after the model's last character
    tag: str  # the fresh names' random suffix (``_fresh_names``)

    check_line: ClassVar[int] = 1  # ``theorem chk : type_of% @ref := @NAME`` (lines of ``check``)
    axioms_line: ClassVar[int] = 2  # ``#print axioms chk``

    @property
    def code(self) -> str:
        return self.header + self.body

    @property
    def reference_name(self) -> str:
        return _fresh_names(self.tag)[0]

    def plain(self, text: str) -> str:
        """Lean's words with the fresh names said in words: they are random, and none is the model's. Lean's
        hints also spell a name struck through or underlined (a combining mark after each character)."""
        for name, words in zip(_fresh_names(self.tag), ("the reference statement", "the check")):
            for mark in ("\u0335", "\u0332", ""):
                decorated = "".join(c + mark for c in name)
                text = text.replace(f" {mark}{decorated}", f" {words}").replace(decorated, words)
        return text


def _fresh_names(tag: str) -> tuple[str, str]:
    """The names the checked text adds (the reference statement, the check): no output can know them
    before it is checked."""
    return f"_prover_reference_{tag}", f"prover_check_{tag}"


def _drop_reference_header(
    ref: tuple[Token, ...], tokens: list[Token], brought: frozenset[str] = frozenset()
) -> int:
    """How many leading code tokens of the output are a copy of the reference header's tokens ``ref``.
    A ``module``/``prelude`` line and imports that the header makes, or brings in through its imports
    (``brought``: ``header_closure``), may stand alone (the header is always the reference's); other
    imports stay, and are refused by name."""
    same = [t.text for t in ref]
    module_end, imported = module_header(list(ref))
    if same and [t.text for t in tokens[: len(ref)]] == same:  # a whole copy, and imports after a bare one
        return _drop_imports(tokens, len(ref), set(imported) | brought) if module_end == len(ref) else len(ref)
    k = 0
    for keyword in ("module", "prelude"):
        if (
            tokens[k : k + 1]
            and tokens[k].is_keyword(keyword)
            and any(r.is_keyword(keyword) for r in ref[:2])
        ):
            k += 1
    k = _drop_imports(tokens, k, set(imported) | brought)
    rest = same[module_end:]
    if k and rest and [t.text for t in tokens[k : k + len(rest)]] == rest:
        k += len(rest)
    return k


def _drop_imports(tokens: list[Token], k: int, imported: set[str]) -> int:
    """Past the import commands at ``tokens[k]`` that import only what the header imports."""
    while (found := import_command(tokens, k)) is not None and found[1] in imported:
        k = found[0]
    return k


def locate(
    reference: Reference, tokens: list[Token], brought: frozenset[str] = frozenset()
) -> tuple[int, bool]:
    """(how many leading code tokens copy the reference header, whether the rest restates the theorem: a
    ``theorem``/``lemma`` whose name ends as the reference's does). A restated theorem is checked on its
    own, otherwise the whole output is a proof body; under which full name it was declared is Lean's to
    say (the check looks for the reference's). ``brought``: the modules the header brings in."""
    code = code_tokens(tokens)
    dropped = _drop_reference_header(_reference_parts(reference).header, code, brought)
    last = _reference_parts(reference).statement.name.rsplit(".", 1)[-1]
    restates = any(name.rsplit(".", 1)[-1] == last for name in declared_names(code[dropped:]))
    return (dropped, True) if restates else (0, False)


def assemble(
    reference: Reference, output: str, tokens: list[Token], located: tuple[int, bool] | None = None
) -> Assembled:
    """The checked text: header; the reference statement as a fresh root axiom (elaborated as its theorem
    would be); the model's text (after the reference
    statement when the output is a proof body, on its own when it restates the theorem), last. Then, in a
    fresh scope over what that produced, the kernel's check of the theorem against the reference, and its
    axioms by full name. ``located`` is ``locate``'s answer when the caller has it already."""
    parts = _reference_parts(reference)
    code = code_tokens(tokens)
    dropped, restates = located or locate(reference, code)
    tag = secrets.token_hex(8)
    ref, chk = _fresh_names(tag)
    header = reference.header_text
    before = parts.statement.axiom(f"_root_.{ref}")
    region_line = (header + before).count("\n") + 1
    if restates:
        cut = code[dropped - 1].end if dropped else 0  # the header copy is dropped
        model = output[cut:]
        user_offset = (header + before).count("\n") - output[:cut].count("\n")
    else:
        before += reference.formal_statement
        model = output
        user_offset = (header + before).count("\n")
    last_line = (header + before + model.rstrip()).split("\n")
    check = (
        f"theorem _root_.{chk} : type_of% @_root_.{ref} := @_root_.{parts.full_name}\n"
        f"{_FULL_NAMES} #print axioms _root_.{chk}\n"
    )
    for arity in range(1, UNIVERSE_FALLBACKS + 1):  # the theorem's levels all set to the reference's one
        levels = ", ".join(["prover_u"] * arity)  # a level name no scope declares (the REPL keeps the output's)
        check += (
            f"theorem _root_.{chk}_{arity}.{{prover_u}} : type_of% @_root_.{ref}.{{prover_u}} := "
            f"@_root_.{parts.full_name}.{{{levels}}}\n"
            f"{_FULL_NAMES} #print axioms _root_.{chk}_{arity}\n"
        )
    return Assembled(
        header,
        before + model.rstrip(),  # no newline after: Lean's end-of-input errors stand on the model's last line
        check,
        reference.name,
        parts.full_name,
        region_line=region_line,
        user_offset=user_offset,
        model_end=(len(last_line), len(last_line[-1])),
        tag=tag,
    )


_FULL_NAMES = "set_option pp.fullNames true in"  # axioms by full name, whatever is open


# --------------------------------------------------------------------------- the verdict

UNIVERSE_FALLBACKS = 3  # levels of a restated theorem tried when Lean cannot pick them (its universe list's length)
_STUCK = "stuck at solving universe constraint"


def _universe_fallback(a: Assembled, check_messages: list[Message]) -> list[Message] | None:
    """The messages of the first fallback check the kernel accepted, moved to the primary check's lines:
    Lean's elaborator cannot pick the levels of a restatement more universe-polymorphic than the reference
    (``t.{v, w} {α : Sort (max v w)}`` for ``{α : Sort u}``), so the check also states it with every level
    of the theorem set to the reference's ``u``; any levels the kernel accepts prove the reference at every
    ``u``. A reference with other than one level, or a theorem with other levels, is left to the first check."""
    for arity in range(1, UNIVERSE_FALLBACKS + 1):
        line = a.axioms_line + 2 * arity - 1
        own = [m for m in check_messages if m.line in (line, line + 1)]
        if own and not any(m.severity == "error" for m in own) and any(m.line == line + 1 for m in own):
            return [replace(m, line=m.line - 2 * arity) for m in own]
    return None


_SORRY_WARNING = re.compile(r"declaration uses ['`]sorry['`]")
_AXIOMS = re.compile(r"depends on axioms: \[(.*)\]", re.DOTALL)
_UNKNOWN = re.compile(r"unknown (identifier|constant)", re.IGNORECASE)


def parse_axioms(text: str) -> list[str] | None:
    """Axioms listed by ``#print axioms``; None when ``text`` is not its output."""
    if "does not depend on any axioms" in text:
        return []
    match = _AXIOMS.search(text)
    if match is None:
        return None
    return [a.strip() for a in match.group(1).split(",") if a.strip()]  # strip: Lean wraps long lists


def _axioms_verdict(
    axioms: list[str], allow_native_decide: bool, declared: frozenset[str] | None = None
) -> VerifyResult | None:
    """``axioms`` verdict unless every axiom is allowed: a standard name, declared (``declared``: the
    standard axioms the reference's environment declares before the model's text, as Lean listed them)."""
    allowed = STANDARD_AXIOMS | (NATIVE_DECIDE_AXIOMS if allow_native_decide else frozenset())
    if declared is not None:
        allowed &= declared
    extra = [a for a in axioms if a not in allowed]
    if extra:
        return VerifyResult(Reason.AXIOMS, f"non-standard axioms: {', '.join(extra)}", axioms=axioms)
    return None


def judge(
    assembled: Assembled,
    messages: list[Message],
    check_messages: list[Message] | None,
    declared: frozenset[str],
    allow_native_decide: bool = False,
) -> VerifyResult:
    """The verdict from Lean's messages on ``assembled``: ``messages`` on the module (lines over header +
    body), ``check_messages`` on the check (lines of the check; None when it did not run); ``declared``:
    the standard axioms the header's environment declares (``declared_axioms``)."""
    a = assembled
    reference_errors = [m for m in messages if m.severity == "error" and m.line < a.region_line]
    if reference_errors:
        raise BadReference(f"{a.name}: the reference statement does not elaborate: {reference_errors[0].data}")
    shown = [
        replace(m.shifted(a.user_offset), data=a.plain(m.data)) for m in messages if m.line >= a.region_line
    ]
    own = [m for m in messages if m.severity == "error" and m.line >= a.region_line]
    if own and (own[0].line, own[0].column) >= a.model_end:
        expected = re.search(r"\bexpected .*", a.plain(own[0].data), re.DOTALL)  # not "unexpected"
        return VerifyResult(Reason.ERROR, "the output ends in the middle of a command"
                            + (f" (Lean {expected.group(0)})" if expected else ""), shown)  # fmt: skip
    if own:
        return VerifyResult(Reason.ERROR, a.plain(own[0].data), shown)
    if any(_SORRY_WARNING.search(m.data) for m in messages):
        return VerifyResult(Reason.SORRY, "declaration uses sorry", shown)
    if check_messages is None:
        return VerifyResult(Reason.ERROR, "the appended checks did not run", shown)
    primary = [m for m in check_messages if m.line <= a.axioms_line]
    if any(m.line == a.check_line and m.severity == "error" and _STUCK in m.data for m in primary):
        fallback = _universe_fallback(a, check_messages)
        if fallback is not None:  # the kernel accepted the theorem at some levels: it proves every one
            primary = fallback
    for m in primary:
        if m.severity != "error":
            continue
        text = a.plain(m.data)
        if m.line == a.check_line and _UNKNOWN.search(m.data):
            return VerifyResult(Reason.ERROR, f"the output does not declare theorem {a.full_name}", shown)
        if m.line == a.check_line:
            return VerifyResult(
                Reason.STATEMENT_MISMATCH,
                f"{a.name} does not have the reference statement's type: {text}",
                shown,
            )
        return VerifyResult(Reason.ERROR, text, shown)
    axioms = next(
        (x for m in primary if m.line == a.axioms_line and m.severity == "information"
         and (x := parse_axioms(m.data)) is not None),
        None,
    )  # fmt: skip
    if axioms is None:
        return VerifyResult(Reason.ERROR, "the appended checks did not run", shown)
    verdict = _axioms_verdict(axioms, allow_native_decide, declared) or VerifyResult(Reason.OK, axioms=axioms)
    verdict.messages = shown
    return verdict


_NO_PROOF_STARTS_WITH = ("theorem", "lemma", "namespace", "section", "def", "abbrev", "instance", "example",
                         "structure", "inductive", "class", "universe", "variable", "noncomputable", "private",
                         "protected")  # fmt: skip


@dataclass(frozen=True)
class Screened:
    """An output the rules passed: its first reading and ``locate``'s answer, what ``assemble`` needs."""

    tokens: list[Token]
    located: tuple[int, bool]


def precheck(reference: Reference, output: str, brought: frozenset[str] = frozenset()) -> VerifyResult | Screened:
    """Everything decided before Lean runs: the verdict (``empty``, ``forbidden``, ``sorry``, or an output
    that declares another theorem instead of a proof), or what Lean is to check. ``brought``: the modules
    the reference header brings in (``header_closure``), whose imports an output may repeat."""
    found = lex(output)
    if isinstance(found, VerifyResult):
        return found
    tokens, names = found[0], reference_names(reference)
    code = code_tokens(tokens)
    dropped, restates = located = locate(reference, code, brought)
    if not restates and code[:1] and code[0].is_keyword("prelude", "import", "module"):  # a whole other file
        return _declares_another(reference, code)
    for reading in found:  # the rules hold in every reading, or the output is refused
        other = code_tokens(reading)
        refused = screen(other[locate(reference, other, brought)[0] :], names)
        if refused is not None:
            return refused
    if not restates and code[0].is_keyword(*_NO_PROOF_STARTS_WITH):  # declarations, not a proof body
        return _declares_another(reference, code)
    return Screened(tokens, located)


def _declares_another(reference: Reference, code: list[Token]) -> VerifyResult:
    declared = ", ".join(declared_names(code)) or "another name"
    return VerifyResult(Reason.ERROR, f"the output does not declare theorem {reference.name} (it declares {declared})")


def check_proof(
    reference: Reference, output: str, run: Runner, allow_native_decide: bool = False
) -> VerifyResult:
    """Check ``output`` against ``reference`` with ``run``; ``BadReference`` when the reference itself is broken."""
    imports = "import" in output  # only then is the header's closure read (a text scan: a superset of tokens)
    screened = precheck(reference, output, header_closure(reference, run) if imports else frozenset())
    if isinstance(screened, VerifyResult):
        return screened
    declared = declared_axioms(reference.header_text, run)
    if isinstance(declared, VerifyResult):
        return declared
    assembled = assemble(reference, output, screened.tokens, screened.located)
    result = run(assembled.header, assembled.body, assembled.check)
    verdict = infrastructure_failure(result) or judge(
        assembled, result.messages, result.check_messages, declared, allow_native_decide
    )
    verdict.seconds = result.seconds
    return verdict


def header_closure(reference: Reference, run: Runner) -> frozenset[str]:
    """Every module the reference's header brings in, transitively (``Init`` too unless it is a prelude),
    as the runner's Lean project's sources say (``lean/modules.py``); empty when the runner names none."""
    parts = _reference_parts(reference)
    _, imported = module_header(list(parts.header))
    prelude = any(t.is_keyword("prelude") for t in parts.header[:2])
    roots = getattr(run, "source_roots", None)
    modules = (*imported, *(() if prelude else ("Init",)))
    return import_closure(tuple(modules), roots() if roots else ())


_DECLARED: dict[tuple[str, object], frozenset[str]] = {}  # (header, the runner's cache_key) -> answer


def declared_axioms(header: str, run: Runner) -> frozenset[str] | VerifyResult:
    """The standard axioms (and native_decide's) that ``header``'s environment declares, as Lean finds them
    by full name before any model's text (a prelude header declares its own or none; any other imports
    them from Init): the only ones a proof may use. One Lean run per header, kept for runners that have a
    ``cache_key`` (what identifies their Lean); an infrastructure failure is that verdict."""
    key = (header, getattr(run, "cache_key", None))
    if key[1] is not None and (known := _DECLARED.get(key)) is not None:  # one read: threads share it
        return known
    names = sorted(STANDARD_AXIOMS | NATIVE_DECIDE_AXIOMS)
    result = run(header, "".join(f"{_FULL_NAMES} #print axioms _root_.{name}\n" for name in names))
    failure = infrastructure_failure(result)
    if failure is not None:
        return failure
    first = header.count("\n") + 1
    found = frozenset(
        name for k, name in enumerate(names)
        if any(m.line == first + k and m.severity == "information" and parse_axioms(m.data) == [name]
               for m in result.messages)
    )  # fmt: skip
    if key[1] is not None:
        if len(_DECLARED) > 1024:
            _DECLARED.clear()  # another thread's answer is asked of Lean again at worst
        _DECLARED[key] = found
    return found


def check_statement(reference: Reference, run: Runner) -> str | None:
    """Why the reference statement does not elaborate, or None when it does."""
    try:
        statement = parse_statement(reference.formal_statement)
    except ValueError as error:
        return str(error)
    result = run(reference.header_text, statement.axiom("_prover_reference"))
    failure = infrastructure_failure(result)
    if failure is not None:
        return f"the check did not finish ({failure.reason.value})"
    errors = [m.data for m in result.messages if m.severity == "error"]
    return "; ".join(errors) or None


def infrastructure_failure(run: FileRun) -> VerifyResult | None:
    if run.timed_out:
        return VerifyResult(Reason.TIMEOUT, "Lean was killed at the time limit", seconds=run.seconds)
    if run.out_of_memory:
        return VerifyResult(Reason.OOM, run.stderr[-500:], seconds=run.seconds)
    if run.crashed:
        return VerifyResult(
            Reason.CRASH, f"exit code {run.returncode}: {run.stderr[-500:]}", seconds=run.seconds
        )
    return None


# --------------------------------------------------------------------------- a person's file, no reference


def check_standalone(
    code: str, run: Runner, allow_native_decide: bool = False
) -> tuple[VerifyResult, dict[str, list[str] | None]]:
    """A person's complete file: the same rules, Lean's messages, and each theorem's axioms (None when Lean
    printed none for it). Accepted when the rules pass, Lean reports no error and no sorry, and every theorem
    uses only the standard axioms."""
    found = lex(code)
    if isinstance(found, VerifyResult):
        return found, {}
    code_only = code_tokens(found[0])
    names = declared_theorems(code_only, code)
    if not names:
        return VerifyResult(Reason.EMPTY, "the file declares no theorem"), {}
    for reading in found:
        other = code_tokens(reading)
        refused = screen(other[module_header_end(other) :])
        if refused is not None:
            return refused, {}
    check = "".join(f"{_FULL_NAMES} #print axioms _root_.{name}\n" for name in names)
    result = run("", code.rstrip("\n") + "\n", check)
    failure = infrastructure_failure(result)
    if failure is not None:
        return failure, {}
    shown = result.messages
    axioms: dict[str, list[str] | None] = dict.fromkeys(names)
    for m in result.check_messages or []:
        if (listed := parse_axioms(m.data)) is not None and 1 <= m.line <= len(names):
            axioms[names[m.line - 1]] = listed
    errors = [m for m in result.messages if m.severity == "error"]
    if errors:
        verdict = VerifyResult(Reason.ERROR, errors[0].data)
    elif any(_SORRY_WARNING.search(m.data) for m in result.messages):
        verdict = VerifyResult(Reason.SORRY, "declaration uses sorry")
    elif any(listed is None for listed in axioms.values()):
        verdict = VerifyResult(Reason.ERROR, "the axioms check did not run for every theorem")
    else:
        used = sorted({a for listed in axioms.values() for a in listed or []})
        verdict = _axioms_verdict(used, allow_native_decide) or VerifyResult(Reason.OK, axioms=used)
    verdict.messages, verdict.seconds = shown, result.seconds
    return verdict, axioms
