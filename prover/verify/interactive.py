"""For people at a terminal or in a notebook: ``prover check FILE`` and ``prover prove`` (``ProofSession``).

``prover check`` gives Lean's messages and each theorem's axioms, and with a reference statement the batch
verifier's verdict. ``ProofSession`` walks the REPL's tactic mode: a failed tactic keeps the state, undo
and restart are local (proof states persist in the REPL), and closed goals are "proved" only after the
assembled proof passes the same acceptance rules as ``prover verify``.
"""

from __future__ import annotations

import math
import re
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from prover.lean.messages import Message
from prover.lean.repl import TacticRepl
from prover.prompts import TACTIC_PROMPT, format_goals, tactic_body
from prover.verify.policy import (
    BadReference,
    Reason,
    Reference,
    Runner,
    VerifyResult,
    check_proof,
    check_standalone,
)

PROMPT, CONTINUATION = "tactic> ", "...     "
HELP = """commands:
  <tactic>      apply a tactic to the current goals (end a line with \\ to continue it on the next)
  undo          go back one tactic              restart   back to the statement
  goals         show the current goals          proof     show the proof so far
  suggest [k]   the model's top-k tactics       try N     apply suggestion N
  save FILE     write the complete proof        quit      leave (also Ctrl-D)
Ctrl-C interrupts a long tactic and keeps the last good state."""


# --------------------------------------------------------------------------- rendering (pure)


def render_goals(goals: list[str]) -> str:
    if not goals:
        return "no goals"
    return "\n\n".join(f"Goal {i}:\n{goal}" for i, goal in enumerate(goals, start=1))


_INTERNAL = re.compile(r"internal exception #\d+")


def render_messages(messages: list[Message], source: str = "") -> str:
    """Lean's messages for a person; Lean's "internal exception #N" (the elaborator giving up on a command
    whose parse already failed) is left out where a real error on the same line says what went wrong."""
    lines_with_errors = {m.line for m in messages if m.severity == "error" and not _INTERNAL.fullmatch(m.data)}
    shown = [m for m in messages if not (_INTERNAL.fullmatch(m.data) and m.line in lines_with_errors)]
    return "\n".join(
        m.format(source) if source else f"{m.line}:{m.column}: {m.severity}: {m.data}" for m in shown
    )


@dataclass(frozen=True)
class Entry:
    """What a person entered at the prompt: a tactic, or one of the session's own commands."""

    name: str  # "tactic", or a command word: undo restart goals proof suggest try save quit help
    argument: str = ""


def parse_entry(text: str) -> Entry:
    """A line (or joined lines) typed at the prompt: a command word, else a tactic."""
    stripped = text.strip()
    word, _, rest = stripped.partition(" ")
    rest = rest.strip()
    if word in ("undo", "restart", "goals", "proof", "quit", "help") and not rest:
        return Entry(word)
    if word == "suggest" and (not rest or rest.isdigit()):
        return Entry(word, rest)
    if word == "try":
        if not rest.isdigit():
            raise ValueError("usage: try N (the number of a suggestion)")
        return Entry(word, rest)
    if word == "save":
        if not rest:
            raise ValueError("usage: save FILE")
        return Entry(word, rest)
    return Entry("tactic", stripped)


# --------------------------------------------------------------------------- prover check


@dataclass
class FileReport:
    verdict: VerifyResult  # against the reference statement when one is given, else the file on its own
    axioms: dict[str, list[str] | None]  # per theorem; None when Lean printed nothing for it

    @property
    def accepted(self) -> bool:
        return self.verdict.accepted


def check_file(
    code: str, run: Runner, reference: Reference | None = None, allow_native_decide: bool = False
) -> FileReport:
    """The verifier's verdict on a person's file (``policy.py`` decides, as for every command), with each
    theorem's axioms."""
    if reference is not None:
        verdict = check_proof(reference, code, run, allow_native_decide)
        checked = verdict.reason in (Reason.OK, Reason.AXIOMS)
        return FileReport(verdict, {reference.name: verdict.axioms if checked else None})
    verdict, axioms = check_standalone(code, run, allow_native_decide)
    return FileReport(verdict, axioms)


# --------------------------------------------------------------------------- the session


@dataclass
class Step:
    tactic: str
    state: int
    goals: list[str]


@dataclass
class Outcome:
    """What one action did: Lean's errors (the state is kept), or the new goals; ``verdict`` at the end."""

    goals: list[str]
    errors: list[Message] = field(default_factory=list)
    completed: bool = False
    verdict: VerifyResult | None = None


class ProofSession:
    """A proof built tactic by tactic over a REPL; usable from Python (notebooks) and by ``prover prove``."""

    def __init__(
        self,
        reference: Reference,
        repl_factory: Callable[[], TacticRepl],
        verify: Callable[[Reference, str], VerifyResult],
        sampler=None,
        timeout: float = 300.0,
        tactic_prompt: str = TACTIC_PROMPT,
    ):
        self.reference, self.repl_factory, self.verify = reference, repl_factory, verify
        self.sampler, self.timeout, self.tactic_prompt = sampler, timeout, tactic_prompt
        self.repl = repl_factory()
        self.steps: list[Step] = []
        self.suggestions: list[tuple[str, float]] = []
        self._root: Step | None = None

    # --------------------------------------------------------------- state

    def start(self) -> list[str]:
        reply = self.repl.start_proof(self.reference.formal_statement, self.reference.header, self.timeout)
        self._root, self.steps = Step("", reply.proof_state, reply.goals), []
        return reply.goals

    @property
    def current(self) -> Step:
        if self.steps:
            return self.steps[-1]
        if self._root is None:
            raise RuntimeError("no proof started: call start() first")
        return self._root

    @property
    def goals(self) -> list[str]:
        return self.current.goals

    def proof(self) -> str:
        """The complete proof so far: header, statement and the tactics in order."""
        return (
            self.reference.header_text
            + self.reference.formal_statement
            + tactic_body([s.tactic for s in self.steps])
            + "\n"
        )

    def undo(self) -> list[str]:
        if self.steps:
            self.steps.pop()
        return self.goals

    def restart(self) -> list[str]:
        self.steps = []
        return self.goals

    # --------------------------------------------------------------- actions

    def apply(self, tactic: str) -> Outcome:
        """Apply ``tactic``; on Lean's error the state stays as it was."""
        reply = self.repl.apply(self.current.state, tactic, self.timeout)
        if reply.errors:
            return Outcome(self.goals, reply.errors)
        self.steps.append(Step(tactic, reply.proof_state, reply.goals))
        if reply.completed:
            try:
                verdict = self.verify(self.reference, tactic_body([s.tactic for s in self.steps]))
            except BadReference as error:  # the reference itself does not elaborate
                verdict = VerifyResult(Reason.ERROR, str(error))
            return Outcome([], [], True, verdict)
        return Outcome(reply.goals)

    def interrupt(self) -> None:
        """After Ctrl-C: a fresh REPL at the last good state (the statement, then the tactics so far)."""
        self.repl.close()
        self.repl = self.repl_factory()
        tactics = [s.tactic for s in self.steps]
        self.start()
        for tactic in tactics:
            reply = self.repl.apply(self.current.state, tactic, self.timeout)
            self.steps.append(Step(tactic, reply.proof_state, reply.goals))

    def suggest(self, k: int = 5) -> list[tuple[str, float]]:
        """The model's top-k distinct tactics for the current goals, with their probabilities (sampled)."""
        if self.sampler is None:
            raise ValueError("no model: start with --model PATH to get suggestions")
        prompt = self.tactic_prompt.format(state=format_goals(self.goals))
        (completions,) = self.sampler.generate(
            [prompt], max(4 * k, 8), temperature=1.0, top_p=1.0, max_tokens=128
        )
        best: dict[str, float] = {}
        for c in completions:
            text = c.text.strip()
            if text:
                best[text] = max(best.get(text, -math.inf), c.logprob)
        self.suggestions = sorted(((t, math.exp(lp)) for t, lp in best.items()), key=lambda x: -x[1])[:k]
        return self.suggestions

    def save(self, path: str) -> None:
        from prover.io import atomic_write_text

        atomic_write_text(path, self.proof())

    def close(self) -> None:
        self.repl.close()


# --------------------------------------------------------------------------- the terminal loop


def _read_input(prompt_in: Callable[[str], str]) -> str:
    lines = [prompt_in(PROMPT)]
    while lines[-1].endswith("\\"):
        lines[-1] = lines[-1][:-1]
        lines.append(prompt_in(CONTINUATION))
    return "\n".join(lines)


def _run_interruptible(fn, *args):
    """Run ``fn`` in a thread so that Ctrl-C reaches the terminal loop while Lean works."""
    result: dict = {}

    def target():
        try:
            result["value"] = fn(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            result["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _suggest(session: ProofSession, argument: str) -> str:
    suggestions = session.suggest(int(argument or 5))
    return "\n".join(f"{i}. {t}   (p = {p:.3f})" for i, (t, p) in enumerate(suggestions, start=1)) or "no suggestion"


def _save(session: ProofSession, argument: str) -> str:
    session.save(argument)
    return f"saved {argument}"


# the commands that only show or move the session; anything else is a tactic (``try N`` picks a suggestion)
_COMMANDS: dict[str, Callable[[ProofSession, str], str]] = {
    "help": lambda session, _: HELP,
    "goals": lambda session, _: render_goals(session.goals),
    "proof": lambda session, _: session.proof(),
    "undo": lambda session, _: render_goals(session.undo()),
    "restart": lambda session, _: render_goals(session.restart()),
    "save": _save,
    "suggest": _suggest,
}


def _tactic(session: ProofSession, command: Entry, out) -> bool:
    """Apply a tactic (or suggestion ``try N``); whether the verifier accepted the whole proof."""
    if command.name == "try":
        index = int(command.argument) - 1
        if not 0 <= index < len(session.suggestions):
            out("no such suggestion: run suggest first")
            return False
        command = Entry("tactic", session.suggestions[index][0])
        out(f"> {command.argument}")
    outcome = _run_interruptible(session.apply, command.argument)
    if outcome.errors:
        out(render_messages(outcome.errors) + "\n(state unchanged)")
    elif not outcome.completed:
        out(render_goals(outcome.goals))
    elif outcome.verdict.accepted:
        out(f"proved: {session.reference.name} is accepted by the verifier")
        return True
    else:
        verdict = outcome.verdict
        out(f"goals closed, but the verifier rejects the proof ({verdict.reason.value}): {verdict.detail}")
    return False


def interact(session: ProofSession, prompt_in: Callable[[str], str] = input, out=print) -> int:
    """The read-eval-print loop; returns 0 when the proof was accepted, 1 otherwise."""
    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:
        pass
    # Ctrl-C interrupts a tactic even when the launcher ignored SIGINT (a shell's background job does)
    restore = None
    if threading.current_thread() is threading.main_thread():
        restore = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _loop(session, prompt_in, out)
    finally:
        if restore is not None:
            signal.signal(signal.SIGINT, restore)


def _loop(session: ProofSession, prompt_in: Callable[[str], str], out) -> int:
    from prover.lean.repl import ReplError

    out(f"Proving {session.reference.name}. Type a tactic, or 'help'.\n")
    out(render_goals(session.start()))
    accepted = False
    while True:
        try:
            text = _read_input(prompt_in)
        except EOFError:
            out("")
            break
        except KeyboardInterrupt:
            out("\n(Ctrl-C: type quit to leave)")
            continue
        if not text.strip():
            continue
        try:
            command = parse_entry(text)
        except ValueError as error:
            out(str(error))
            continue
        if command.name == "quit":
            break
        try:
            if command.name in _COMMANDS:
                out(_COMMANDS[command.name](session, command.argument))
            else:
                accepted = _tactic(session, command, out) or accepted
        except KeyboardInterrupt:
            out("\ninterrupted: restarting Lean at the last good state")
            session.interrupt()
            out(render_goals(session.goals))
        except (ReplError, ValueError) as error:
            out(f"error: {error}")
    session.close()
    return 0 if accepted else 1


def main_check(
    code: str, source: str, run: Runner, reference: Reference | None, allow_native_decide: bool
) -> int:
    report = check_file(code, run, reference, allow_native_decide)
    verdict = report.verdict
    if verdict.messages:
        print(render_messages(verdict.messages, source))
    for name, axioms in report.axioms.items():
        print(
            f"{name}: axioms: {', '.join(axioms) if axioms else 'none'}"
            if axioms is not None
            else f"{name}: axioms not checked (an error or a rule stopped it)"
        )
    what = f"{reference.name}: " if reference is not None else ""
    print(
        f"{what}{'accepted' if verdict.accepted else f'rejected ({verdict.reason.value}): {verdict.detail}'}"
    )
    sys.stdout.flush()
    return 0 if verdict.accepted else 1
