"""The Lean REPL's JSON protocol (leanprover-community/repl) as typed values; pure, no processes.

Requests are JSON objects separated by a blank line; the REPL joins the lines of one request, so each is
sent on one line with newlines escaped. Replies are pretty-printed JSON objects ending with a blank line;
empty lists are omitted; ``{"message": ...}`` is a protocol-level failure. Unknown fields are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from prover.lean.messages import Message


@dataclass(frozen=True)
class Command:
    """Command mode: elaborate ``cmd`` in environment ``env`` (None: a fresh one)."""

    cmd: str
    env: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"cmd": self.cmd} if self.env is None else {"cmd": self.cmd, "env": self.env}


@dataclass(frozen=True)
class ProofStep:
    """Tactic mode: run ``tactic`` on proof state ``proof_state``."""

    tactic: str
    proof_state: int

    def to_json(self) -> dict[str, Any]:
        return {"tactic": self.tactic, "proofState": self.proof_state}


Request = Command | ProofStep


def encode(request: Request) -> str:
    """One request as the REPL reads it: a single line, then a blank line."""
    return json.dumps(request.to_json(), ensure_ascii=False) + "\n\n"


@dataclass(frozen=True)
class Sorry:
    goal: str
    proof_state: int | None
    line: int
    column: int

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Sorry:
        pos = obj.get("pos") or {}
        return cls(
            str(obj.get("goal", "")),
            obj.get("proofState"),
            int(pos.get("line", 0)),
            int(pos.get("column", 0)),
        )


@dataclass(frozen=True)
class CommandResponse:
    env: int
    messages: list[Message] = field(default_factory=list)
    sorries: list[Sorry] = field(default_factory=list)

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "error"]


@dataclass(frozen=True)
class ProofStepResponse:
    proof_state: int
    goals: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    sorries: list[Sorry] = field(default_factory=list)
    proof_status: str | None = None

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "error"]

    @property
    def completed(self) -> bool:
        """No goals left, by the REPL's own account (which search must still confirm with the verifier)."""
        return self.proof_status == "Completed" or (
            self.proof_status is None and not self.goals and not self.errors
        )


@dataclass(frozen=True)
class ReplFailure:
    """``{"message": ...}``: the REPL refused the request (unknown environment, Lean error, ...)."""

    message: str


Response = CommandResponse | ProofStepResponse | ReplFailure


def parse_response(obj: Any) -> Response:
    """A typed reply; raises ValueError for JSON that is no REPL reply."""
    if not isinstance(obj, dict):
        raise ValueError(f"a REPL reply must be a JSON object, got {type(obj).__name__}")
    messages = [Message.from_json(m) for m in obj.get("messages", [])]
    sorries = [Sorry.from_json(s) for s in obj.get("sorries", [])]
    if "env" in obj:
        return CommandResponse(int(obj["env"]), messages, sorries)
    if "proofState" in obj:
        return ProofStepResponse(
            int(obj["proofState"]),
            [str(g) for g in obj.get("goals", [])],
            messages,
            sorries,
            obj.get("proofStatus"),
        )
    if "message" in obj:
        return ReplFailure(str(obj["message"]))
    raise ValueError(f"not a REPL reply: {json.dumps(obj)[:200]}")


class Framer:
    """The REPL's framing, both ways: a message is its non-blank lines, ended by a blank line. ``feed`` takes
    a stream's lines one at a time and returns a message's text when a line ends one; ``joiner`` joins its
    lines (the REPL reads a request's lines joined without newlines; a reply is pretty-printed JSON)."""

    def __init__(self, joiner: str = "\n"):
        self.joiner = joiner
        self.lines: list[str] = []

    def feed(self, line: str) -> str | None:
        if line.strip():
            self.lines.append(line.rstrip("\n"))
            return None
        text, self.lines = (self.joiner.join(self.lines) if self.lines else None), []
        return text

    @property
    def partial(self) -> str:
        """The message begun and not yet ended."""
        return self.joiner.join(self.lines)


def _split(text: str, joiner: str) -> list[Any]:
    framer = Framer(joiner)  # \n only: JSON strings may hold U+2028 and the like raw
    return [json.loads(message) for line in [*text.split("\n"), ""] if (message := framer.feed(line)) is not None]


def split_replies(text: str) -> list[Any]:
    """The JSON objects of a REPL output stream (pretty-printed, separated by blank lines)."""
    return _split(text, "\n")


def split_requests(text: str) -> list[Any]:
    """Requests as the REPL reads them: the lines of one request are joined without newlines (so a raw
    newline inside a JSON string is lost, which is why ``encode`` escapes it)."""
    return _split(text, "")
