"""What a model sees, in training and at search time: the prompt templates and the text of a proof state.

Tactic models see ``{state}:::`` and learn ``{tactic}<eos>``; whole-proof models see a DeepSeek-Prover style
prompt and learn the proof. The templates are settings (``--tactic_prompt``, ``--whole_prompt``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

TACTIC_PROMPT = "{state}:::"
TACTIC_TARGET = "{tactic}"
WHOLE_PROMPT = "Complete the following Lean 4 code:\n\n```lean4\n{header}{informal_prefix}{formal_statement}"
WHOLE_TARGET = "{proof}\n```"


def format_goals(goals: Sequence[str]) -> str:
    """A proof state as tactic models see it: pretty-printed goals separated by blank lines (LeanDojo)."""
    return "\n\n".join(goal.strip("\n") for goal in goals) if goals else "no goals"


def tactic_body(tactics: Sequence[str]) -> str:
    """Tactics as the proof after ``:= by`` that the verifier checks: one per line, multi-line ones indented."""
    return "".join("\n  " + tactic.replace("\n", "\n  ") for tactic in tactics)
