"""The acceptance policy: when does a model's output count as a proof of the reference statement.

Accepted only if all hold (checked in this order, the first failure is the reason):
  * the output holds a proof (``empty`` otherwise);
  * no construct that can fake a verdict or weaken checking appears outside comments (string contents
    are scanned too: interpolations hold code):
    ``sorry``/``admit``, ``axiom``, ``#exit``, ``set_option debug.*``/``pp.*``/``trust``, new syntax,
    macros, notation, elaborators, delaborators, ``#eval``/``run_cmd``, ``unsafe``, ``implemented_by``,
    ``extern``, ``import`` (``forbidden``);
  * Lean reports no error (``error``) and no ``sorry`` (``sorry``);
  * the checks this module appends after the proof ran (``#exit``, an open comment or a parse error
    swallowing them is ``error``);
  * the theorem, found by its reference name at the root namespace, has exactly the type of the
    reference statement elaborated on its own under the reference header, both printed with
    ``pp.all`` (``statement_mismatch``; this defeats changed statements, notation, instance and
    helper-definition tricks; renaming a bound variable also counts as a change);
  * ``#print axioms`` lists only ``propext``, ``Classical.choice``, ``Quot.sound`` (``axioms``;
    ``allow_native_decide`` admits ``Lean.ofReduceBool`` and ``Lean.trustCompiler``).
Timeouts, memory exhaustion and crashes are their own verdicts and never acceptance. The header is
always the reference's; a model's own imports are not used. Not covered: bugs in Lean's kernel.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from prover.lean.filecheck import FileRun
from prover.lean.header import split_header
from prover.lean.messages import Message

STANDARD_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})
NATIVE_DECIDE_AXIOMS = frozenset({"Lean.ofReduceBool", "Lean.trustCompiler"})


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


@dataclass(frozen=True)
class Assembled:
    """The Lean file to check, and where the model's text starts in it (0-based line offset)."""

    code: str
    user_offset: int
    check_line: int  # 1-based line of the appended ``#check``; ``#print axioms`` follows it

    def without_header(self, header_text: str) -> Assembled:
        """The same check as a REPL command run in the header's environment."""
        lines = header_text.count("\n")
        return Assembled(self.code[len(header_text) :], self.user_offset - lines, self.check_line - lines)


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


# --------------------------------------------------------------------------- text rules


_IDENT = re.compile(r"[\w'!?.]")
_CHAR = re.compile(r"'(\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)|[^\\'\n])'")
_RAW = re.compile(r'r(#*)"')


def code_only(text: str, keep_strings: bool = False) -> str:
    """``text`` with comments blanked, and string literals too unless ``keep_strings`` (newlines kept).

    Character literals (``'"'``) and raw strings (``r#"..."#``) are recognised so that a quote inside
    them cannot desynchronise the scan and hide code as a "comment" or a "string".
    """
    out = []
    i, n, depth = 0, len(text), 0

    def blank(chunk: str) -> str:
        return chunk if keep_strings else "".join("\n" if c == "\n" else " " for c in chunk)

    while i < n:
        two = text[i : i + 2]
        after_code = i == 0 or not _IDENT.match(text[i - 1])
        if depth:
            if two in ("/-", "-/"):
                depth += 1 if two == "/-" else -1
                out.append("  ")
                i += 2
            else:
                out.append("\n" if text[i] == "\n" else " ")
                i += 1
        elif two == "/-":
            depth, i = 1, i + 2
            out.append("  ")
        elif two == "--":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text[i] == "'" and after_code and (char := _CHAR.match(text, i)):
            out.append(blank(char.group(0)))
            i = char.end()
        elif text[i] == "r" and after_code and (raw := _RAW.match(text, i)):
            closing = '"' + raw.group(1)
            end = text.find(closing, raw.end())
            end = n if end < 0 else end + len(closing)
            out.append(text[i : raw.end()] + blank(text[raw.end() : end]))
            i = end
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('"' + blank(text[i + 1 : j]) + '"')
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_FORBIDDEN = [
    (r"\bsorry\b", "sorry"),
    (r"\badmit\b", "admit"),
    (r"\baxiom\b", "axiom declaration"),
    (r"#exit\b", "#exit"),
    (r"\bimport\b", "import"),
    (r"\bset_option\s+(debug|pp|trust|backward|Elab\.async|internal)\b", "set_option that changes checking or printing"),
    (r"(^|\s)(local\s+|scoped\s+)?(syntax|macro|macro_rules|elab|elab_rules|notation|infix|infixl|infixr|prefix|postfix|declare_syntax_cat)\b", "new syntax, macro, notation or elaborator"),
    (r"\b(delab|app_unexpander|command_elab|term_elab|tactic_elab|builtin_\w+|implemented_by|extern)\b", "meta-level attribute"),
    (r"(#eval|#reduce|\brun_cmd|\brun_elab|\brun_meta|\brun_tac|\binitialize|\bbuiltin_initialize)\b", "code run at elaboration time"),
    (r"\bunsafe\b", "unsafe"),
    (r"\bopaque\b", "opaque"),
]  # fmt: skip


def forbidden_constructs(text: str) -> list[str]:
    """What ``text`` contains outside comments that the policy refuses, in order found. String contents are
    scanned too: interpolated strings (``s!"{...}"``) hold code, and no proof needs these words in a string."""
    code = code_only(text, keep_strings=True)
    return [what for pattern, what in _FORBIDDEN if re.search(pattern, code, re.MULTILINE)]


# --------------------------------------------------------------------------- assembling


def _declares(code: str, name: str) -> bool:
    return (
        re.search(rf"(^|\s)(theorem|lemma)\s+{re.escape(name)}(?=[\s:(\[{{⦃]|$)", code_only(code)) is not None
    )


def _type_check(name: str) -> str:
    """Prints the theorem's type fully explicitly (the same command for reference and candidate)."""
    return f"set_option pp.all true in\n#check @_root_.{name}\n"


def check_suffix(name: str) -> str:
    """Commands appended after the proof: the theorem's type (fully explicit) and its axioms."""
    return f"\n\n{_type_check(name)}\n#print axioms _root_.{name}\n"


def assemble(reference: Reference, output: str) -> Assembled | None:
    """The file to check for ``output``: a proof body after the reference statement, or a complete text
    that restates the theorem (after helper lemmas, DeepSeek-Prover-V2 / Goedel-Prover-V2 style).
    ``None`` when the output holds no proof."""
    if not output.strip():
        return None
    if _declares(output, reference.name):
        _, body, _ = split_header(output)  # the header is always the reference's
        if not body.strip():
            return None
        prefix = reference.header_text
        # offset so that the model's lines keep their own numbers: the dropped header lines count too
        user_offset = prefix.count("\n") - (output.count("\n") - body.count("\n"))
        code = prefix + body
    else:
        prefix = reference.header_text + reference.formal_statement
        if not code_only(output).strip():
            return None  # only comments
        user_offset = prefix.count("\n")
        code = prefix + output
    code = code.rstrip("\n") + "\n"
    check_line = code.count("\n") + 4  # after the two blank lines and the set_option line
    return Assembled(code + check_suffix(reference.name), user_offset, check_line)


def statement_as_axiom(reference: Reference, with_header: bool = True) -> str:
    """The reference statement as an ``axiom`` (no proof needed), to elaborate its type on its own."""
    statement = re.sub(r"\s*:=\s*(by)?\s*$", "", reference.formal_statement.rstrip())
    keyword = re.search(r"(^|\s)(theorem|lemma)\b", code_only(statement))
    if keyword is None:
        raise ValueError(f"{reference.name}: formal_statement does not declare a theorem or lemma")
    start, end = keyword.span(2)
    header = reference.header_text if with_header else ""
    return header + statement[:start] + "axiom" + statement[end:] + "\n\n" + _type_check(reference.name)


# --------------------------------------------------------------------------- the verdict

_SORRY_WARNING = re.compile(r"declaration uses ['`]sorry['`]")
_AXIOMS = re.compile(r"depends on axioms: \[(.*)\]", re.DOTALL)


def reference_type(messages: list[Message]) -> str | None:
    """The ``#check`` output of ``statement_as_axiom``'s file, or None when the statement did not elaborate."""
    if any(m.severity == "error" for m in messages):
        return None
    infos = [m.data for m in messages if m.severity == "information"]
    return infos[-1] if infos else None


def parse_axioms(text: str) -> list[str] | None:
    """Axioms listed by ``#print axioms``; None when ``text`` is not its output."""
    if "does not depend on any axioms" in text:
        return []
    match = _AXIOMS.search(text)
    if match is None:
        return None
    return [a.strip() for a in match.group(1).replace("\n", " ").split(",") if a.strip()]


def judge(
    assembled: Assembled, messages: list[Message], expected_type: str, allow_native_decide: bool = False
) -> VerifyResult:
    """The verdict from Lean's messages on ``assembled.code`` (whose checks are at ``check_line``)."""
    shown = [m.shifted(assembled.user_offset) for m in messages if m.line < assembled.check_line]
    errors = [m for m in messages if m.severity == "error"]
    if errors:
        return VerifyResult(Reason.ERROR, errors[0].data, shown)
    if any(_SORRY_WARNING.search(m.data) for m in messages):
        return VerifyResult(Reason.SORRY, "declaration uses sorry", shown)
    checks = [m for m in messages if m.line >= assembled.check_line and m.severity == "information"]
    check_type = next((m.data for m in checks if m.line == assembled.check_line), None)
    axioms = next(
        (a for m in checks if m.line > assembled.check_line and (a := parse_axioms(m.data)) is not None), None
    )
    if check_type is None or axioms is None:
        return VerifyResult(
            Reason.ERROR, "the appended checks did not run (#exit, an open comment or block?)", shown
        )
    if check_type != expected_type:
        return VerifyResult(
            Reason.STATEMENT_MISMATCH, f"expected {expected_type!r}, got {check_type!r}", shown, axioms
        )
    allowed = STANDARD_AXIOMS | (NATIVE_DECIDE_AXIOMS if allow_native_decide else frozenset())
    extra = [a for a in axioms if a not in allowed]
    if extra:
        return VerifyResult(Reason.AXIOMS, f"non-standard axioms: {', '.join(extra)}", shown, axioms)
    return VerifyResult(Reason.OK, "", shown, axioms)


def precheck(reference: Reference, output: str) -> VerifyResult | Assembled:
    """The verdicts that need no Lean (``empty``, ``forbidden``), or the file to check."""
    assembled = assemble(reference, output)
    if assembled is None:
        return VerifyResult(Reason.EMPTY, "no proof in the output")
    found = forbidden_constructs(output)
    if found:
        return VerifyResult(Reason.FORBIDDEN, "; ".join(found))
    return assembled


def check_proof(
    reference: Reference,
    output: str,
    run: Callable[[str], FileRun],
    expected_types: dict[Reference, str] | None = None,
    allow_native_decide: bool = False,
) -> VerifyResult:
    """Check ``output`` against ``reference`` with ``run`` (code -> Lean's messages).

    ``expected_types`` caches each reference's elaborated type across calls.
    """
    pre = precheck(reference, output)
    if isinstance(pre, VerifyResult):
        return pre
    cache = expected_types if expected_types is not None else {}
    if reference not in cache:
        ref_run = run(statement_as_axiom(reference))
        failure = _infrastructure(ref_run)
        if failure is not None:
            failure.detail = f"while elaborating the reference statement: {failure.detail}"
            return failure
        expected = reference_type(ref_run.messages)
        if expected is None:
            errors = "; ".join(m.data for m in ref_run.messages if m.severity == "error")
            raise ValueError(f"{reference.name}: the reference statement does not elaborate: {errors}")
        cache[reference] = expected
    result = run(pre.code)
    verdict = _infrastructure(result) or judge(pre, result.messages, cache[reference], allow_native_decide)
    verdict.seconds = result.seconds
    return verdict


def _infrastructure(run: FileRun) -> VerifyResult | None:
    if run.timed_out:
        return VerifyResult(Reason.TIMEOUT, "Lean was killed at the time limit", seconds=run.seconds)
    if run.out_of_memory:
        return VerifyResult(Reason.OOM, run.stderr[-500:], seconds=run.seconds)
    if run.crashed:
        return VerifyResult(
            Reason.CRASH, f"exit code {run.returncode}: {run.stderr[-500:]}", seconds=run.seconds
        )
    return None
