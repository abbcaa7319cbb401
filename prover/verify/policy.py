"""The acceptance policy: when does a model's output count as a proof of the reference statement.

The only place that decides. Transports (``lean/filecheck.py``, ``lean/pool.py``) run Lean text and return
its messages or an infrastructure failure; every command reaches ``check_proof`` (or ``check_standalone``
for a person's file without a reference).

A proof is accepted only if all hold (in this order; the first failure is the reason):
  * the output holds code (``empty``);
  * it lexes as Lean does (``lexer.py``; an unterminated comment, string or ``«`` name is refused) and its
    tokens pass the token rules of ``rules.py`` (``forbidden``, or ``sorry`` for ``sorry``/``admit``): no
    axiom, ``unsafe``, ``opaque``, ``import``, ``#`` command, new syntax, macro, notation, elaborator,
    simproc or code run at elaboration time, no name of the runtime or metaprogramming API (``IO``,
    ``Lean``, ...: what Lean evaluates while elaborating must not have side effects); ``set_option`` only
    for options on an allow-list; attributes only from an allow-list; every
    ``namespace``/``section``/``mutual`` closed;
  * Lean reports no error in the model's text (``error``) and no ``sorry`` (``sorry``);
  * the kernel accepts ``theorem chk : Ref := @_root_.NAME``, where ``Ref`` is the reference statement
    elaborated *before* the model's text under a fresh name (so the model cannot change what its names
    mean) and the model's text sits inside a fresh ``section`` (so its options, ``open``s, variables and
    ``include``s end before the check) (``statement_mismatch``; a missing theorem is ``error``);
  * ``#print axioms chk`` lists only ``propext``, ``Classical.choice``, ``Quot.sound`` (``axioms``;
    ``allow_native_decide`` admits ``Lean.ofReduceBool`` and ``Lean.trustCompiler``).
Timeouts, memory exhaustion and crashes are their own verdicts and never acceptance. The header is always
the reference's: a leading copy of it in the output is dropped token for token, as are imports that the
header makes. Statements are read by ``statement.py``. Not covered: bugs in Lean's kernel.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from prover.lean.filecheck import FileRun
from prover.lean.lexer import LexError, Token, code_tokens, tokenize
from prover.lean.messages import Message
from prover.verify.rules import SORRY_WORDS, rule_violations
from prover.verify.statement import (
    Statement,
    declared_name,
    declared_theorems,
    module_header_end,
    parse_statement,
)

POLICY_VERSION = 3  # bump when the acceptance rules change: cached verdicts of older rules are not reused
STANDARD_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})
NATIVE_DECIDE_AXIOMS = frozenset({"Lean.ofReduceBool", "Lean.trustCompiler"})

# (header, body) -> Lean's messages (lines counted over header + body) or an infrastructure failure
Runner = Callable[[str, str], FileRun]


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


def lex(text: str) -> list[Token] | VerifyResult:
    """The tokens of ``text``, or the ``forbidden`` verdict when it cannot be read as Lean would."""
    try:
        return tokenize(text)
    except LexError as error:
        return VerifyResult(Reason.FORBIDDEN, f"cannot be read as Lean text: {error}")


def screen(tokens: list[Token]) -> VerifyResult | None:
    """The verdict the token rules give without Lean (``empty``, ``sorry``, ``forbidden``), or None."""
    if not code_tokens(tokens):
        return VerifyResult(Reason.EMPTY, "no proof in the output")
    found = rule_violations(tokens)
    if any(what in SORRY_WORDS for what in found):
        return VerifyResult(Reason.SORRY, "the proof contains sorry")
    if found:
        return VerifyResult(Reason.FORBIDDEN, "; ".join(found))
    return None


# --------------------------------------------------------------------------- assembling


@functools.lru_cache(maxsize=4096)
def _reference_parts(reference: Reference) -> tuple[Statement, tuple[Token, ...]]:
    """The parsed statement and the header's code tokens of a reference, worked out once for all its proofs."""
    return parse_statement(reference.formal_statement), tuple(code_tokens(tokenize(reference.header_text)))


@dataclass(frozen=True)
class Assembled:
    """The Lean text to check (``header`` + ``body``) and where its regions start (1-based lines)."""

    header: str
    body: str
    name: str  # the theorem the model must prove
    section_line: int  # ``section``: the reference statement is above it, the model's region below
    end_line: int  # the ``end`` that closes the model's section; the checks follow
    check_line: int  # ``theorem chk : Ref := @_root_.NAME``
    axioms_line: int  # ``#print axioms chk``
    user_offset: int  # file line - user_offset = the line in the model's own text
    model_end: tuple[int, int]  # (line, column) just after the model's last character
    reference_name: str  # the fresh name of the reference statement, to say in messages

    @property
    def code(self) -> str:
        return self.header + self.body


def _drop_reference_header(ref: tuple[Token, ...], tokens: list[Token]) -> int:
    """How many leading code tokens of the output are a copy of the reference header's tokens ``ref``.
    Imports that the header makes may stand alone (the header is always the reference's); other imports
    stay, and are refused."""
    same = [t.text for t in ref]
    if same and [t.text for t in tokens[: len(ref)]] == same:
        return len(ref)
    module_end = module_header_end(ref)
    imported = {ref[k + 1].name for k in range(module_end - 1) if ref[k].is_keyword("import")}
    k = (
        1
        if tokens[:1] and tokens[0].is_keyword("prelude") and ref[:1] and ref[0].is_keyword("prelude")
        else 0
    )
    while k + 1 < len(tokens) and tokens[k].is_keyword("import") and tokens[k + 1].name in imported:
        k += 2
    rest = same[module_end:]
    if k and rest and [t.text for t in tokens[k : k + len(rest)]] == rest:
        k += len(rest)
    return k


def locate(reference: Reference, tokens: list[Token]) -> tuple[int, bool]:
    """(how many leading code tokens copy the reference header, whether the rest restates the theorem).
    A restated theorem is checked on its own; otherwise the whole output is a proof body."""
    code = code_tokens(tokens)
    dropped = _drop_reference_header(_reference_parts(reference)[1], code)
    rest = code[dropped:]
    restates = any(
        t.is_keyword("theorem", "lemma")
        and (n := declared_name(rest, i)) is not None
        and n.name in (reference.name, "_root_." + reference.name)
        for i, t in enumerate(rest)
    )
    return (dropped, True) if restates else (0, False)


def assemble(
    reference: Reference, output: str, tokens: list[Token], located: tuple[int, bool] | None = None
) -> Assembled:
    """The checked text: header, the reference statement as a fresh ``Prop``, the model's text in a fresh
    section (after the reference statement when the output is a proof body, on its own when it restates the
    theorem), then the kernel's check of the theorem against the reference and its axioms. ``located`` is
    ``locate``'s answer when the caller has it already."""
    statement = _reference_parts(reference)[0]
    code = code_tokens(tokens)
    dropped, restates = located or locate(reference, code)
    tag = secrets.token_hex(8)
    ref, section, chk = f"prover_reference_{tag}", f"prover_output_{tag}", f"prover_check_{tag}"
    header = reference.header_text
    before = f"{statement.definition(ref)}\nsection {section}\n"
    if restates:
        cut = code[dropped - 1].end if dropped else 0  # the header copy is dropped
        model = output[cut:]
        before_lines = (header + before).count("\n")
        user_offset = before_lines - output[:cut].count("\n")
    else:
        before += reference.formal_statement
        model = output
        user_offset = (header + before).count("\n")
    body = before + model.rstrip() + "\n\n"
    last_line = (header + before + model.rstrip()).split("\n")
    model_end = (len(last_line), len(last_line[-1]))
    end_line = (header + body).count("\n") + 1
    body += f"end {section}\n\ntheorem {chk} : {ref} := @_root_.{reference.name}\n\n#print axioms {chk}\n"
    return Assembled(
        header,
        body,
        reference.name,
        section_line=(header + before[: before.index("section ")]).count("\n") + 1,
        end_line=end_line,
        check_line=end_line + 2,
        axioms_line=end_line + 4,
        user_offset=user_offset,
        model_end=model_end,
        reference_name=ref,
    )


# --------------------------------------------------------------------------- the verdict

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
    return [a.strip() for a in match.group(1).replace("\n", " ").split(",") if a.strip()]


def _axioms_verdict(axioms: list[str], allow_native_decide: bool) -> VerifyResult | None:
    allowed = STANDARD_AXIOMS | (NATIVE_DECIDE_AXIOMS if allow_native_decide else frozenset())
    extra = [a for a in axioms if a not in allowed]
    if extra:
        return VerifyResult(Reason.AXIOMS, f"non-standard axioms: {', '.join(extra)}", axioms=axioms)
    return None


def judge(assembled: Assembled, messages: list[Message], allow_native_decide: bool = False) -> VerifyResult:
    """The verdict from Lean's messages on ``assembled`` (lines over header + body)."""
    a = assembled
    reference_errors = [m for m in messages if m.severity == "error" and m.line < a.section_line]
    if reference_errors:
        raise ValueError(f"{a.name}: the reference statement does not elaborate: {reference_errors[0].data}")
    shown = [m.shifted(a.user_offset) for m in messages if a.section_line < m.line < a.end_line]
    errors = [m for m in messages if m.severity == "error"]
    own = [m for m in errors if m.line < a.end_line]
    if own and (own[0].line, own[0].column) >= a.model_end:
        expected = re.search(r"expected .*", own[0].data, re.DOTALL)
        return VerifyResult(Reason.ERROR, "the output ends in the middle of a command"
                            + (f" (Lean {expected.group(0)})" if expected else ""), shown)  # fmt: skip
    if own:
        return VerifyResult(Reason.ERROR, own[0].data, shown)
    if any(_SORRY_WARNING.search(m.data) for m in messages):
        return VerifyResult(Reason.SORRY, "declaration uses sorry", shown)
    for m in errors:
        text = m.data.replace(a.reference_name, "the reference statement")
        if m.line < a.check_line:
            return VerifyResult(
                Reason.ERROR,
                f"the proof text is incomplete or leaves a command open at its end ({text})",
                shown,
            )
        if m.line == a.check_line and _UNKNOWN.search(m.data):
            return VerifyResult(
                Reason.ERROR, f"the output does not declare theorem {a.name} (at the root namespace)", shown
            )
        if m.line == a.check_line:
            return VerifyResult(
                Reason.STATEMENT_MISMATCH,
                f"{a.name} does not have the reference statement's type: {text}",
                shown,
            )
        return VerifyResult(Reason.ERROR, text, shown)
    axioms = next(
        (x for m in messages if m.line == a.axioms_line and m.severity == "information"
         and (x := parse_axioms(m.data)) is not None),
        None,
    )  # fmt: skip
    if axioms is None:
        return VerifyResult(Reason.ERROR, "the appended checks did not run", shown)
    verdict = _axioms_verdict(axioms, allow_native_decide) or VerifyResult(Reason.OK, axioms=axioms)
    verdict.messages = shown
    return verdict


def check_proof(
    reference: Reference, output: str, run: Runner, allow_native_decide: bool = False
) -> VerifyResult:
    """Check ``output`` against ``reference`` with ``run``; ``ValueError`` when the reference itself is broken."""
    tokens = lex(output)
    if isinstance(tokens, VerifyResult):
        return tokens
    code = code_tokens(tokens)
    dropped, restates = located = locate(reference, code)
    refused = screen(code[dropped:])
    if refused is not None:
        return refused
    if not restates and code[0].is_keyword("theorem", "lemma"):
        declared = ", ".join(declared_theorems(code)) or "another name"
        return VerifyResult(
            Reason.ERROR, f"the output does not declare theorem {reference.name} (it declares {declared})"
        )
    assembled = assemble(reference, output, tokens, located)
    result = run(assembled.header, assembled.body)
    verdict = infrastructure_failure(result) or judge(assembled, result.messages, allow_native_decide)
    verdict.seconds = result.seconds
    return verdict


def check_statement(reference: Reference, run: Runner) -> str | None:
    """Why the reference statement does not elaborate, or None when it does."""
    try:
        statement = parse_statement(reference.formal_statement)
    except ValueError as error:
        return str(error)
    result = run(reference.header_text, statement.definition("prover_reference"))
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
    tokens = lex(code)
    if isinstance(tokens, VerifyResult):
        return tokens, {}
    code_only = code_tokens(tokens)
    names = declared_theorems(code_only)
    if not names:
        return VerifyResult(Reason.EMPTY, "the file declares no theorem"), {}
    refused = screen(code_only[module_header_end(code_only) :])
    if refused is not None:
        return refused, {}
    body = code.rstrip("\n") + "\n"
    first_check = body.count("\n") + 2
    result = run("", body + "".join(f"\n#print axioms _root_.{name}\n" for name in names))
    failure = infrastructure_failure(result)
    if failure is not None:
        return failure, {}
    shown = [m for m in result.messages if m.line < first_check]
    axioms: dict[str, list[str] | None] = dict.fromkeys(names)
    for m in result.messages:
        if m.line >= first_check and (listed := parse_axioms(m.data)) is not None:
            index = (m.line - first_check) // 2
            if 0 <= index < len(names):
                axioms[names[index]] = listed
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
