"""Lean's messages as values: the same shape from ``lean --json`` and from the REPL; pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    """One message; ``line`` is 1-based and ``column`` 0-based, as Lean reports them."""

    severity: str  # "error" | "warning" | "information"
    line: int
    column: int
    end_line: int | None
    end_column: int | None
    data: str

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Message:
        """From a ``lean --json`` line or a REPL ``messages`` entry; unknown keys are ignored."""
        pos = obj.get("pos") or {}
        end = obj.get("endPos") or {}
        severity = str(obj.get("severity", "error"))
        return cls(
            severity="information"
            if severity == "info"
            else severity,  # the REPL says "info", lean --json "information"
            line=int(pos.get("line", 0)),
            column=int(pos.get("column", 0)),
            end_line=end.get("line"),
            end_column=end.get("column"),
            data=str(obj.get("data", "")),
        )

    def shifted(self, lines: int) -> Message:
        """The same message with line numbers moved up by ``lines`` (relative to a user's text)."""
        return Message(
            self.severity,
            self.line - lines,
            self.column,
            None if self.end_line is None else self.end_line - lines,
            self.end_column,
            self.data,
        )

    def format(self, name: str = "") -> str:
        return f"{name}:{self.line}:{self.column}: {self.severity}: {self.data}"


def parse_json_lines(text: str) -> list[Message]:
    """Messages of ``lean --json`` output (one JSON object per line); raises ValueError on other lines.
    Lines end at ``\n`` only: Lean writes U+2028, U+2029, U+0085 and form feeds raw inside its JSON
    strings, where ``str.splitlines`` would cut a message in two."""
    messages = []
    for line in text.split("\n"):
        if line.strip():
            try:
                messages.append(Message.from_json(json.loads(line)))
            except (json.JSONDecodeError, AttributeError, TypeError) as error:
                raise ValueError(f"not a Lean JSON message: {line[:200]!r}") from error
    return messages
