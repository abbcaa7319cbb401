"""The records of a search run directory as types: one attempt per line of ``attempts.jsonl``, one greedy
decode per line of ``greedy.jsonl``. Search writes them, and search (resume), merge and report read them,
through this module only: a record that is not what it should be is named by ``path:line: field``."""

from __future__ import annotations

import logging
import os
from dataclasses import MISSING, asdict, dataclass, field, fields
from enum import Enum
from typing import Any

logger = logging.getLogger(__name__)


class Status(str, Enum):
    PROVED = "proved"
    REJECTED = "rejected"  # the verifier judged it (verdict and detail say why)
    BAD_STATEMENT = "bad_statement"  # the reference statement does not elaborate: left out of pass@k
    LEAN_ERROR = "lean_error"  # a tactic failed
    MAX_STEPS = "max_steps"  # a rollout ran out of tactics
    BUDGET = "budget"  # a tree ran out of expansions
    REPL_FAILURE = "repl_failure"


@dataclass
class Attempt:
    theorem: str
    statement_hash: str
    attempt: int
    strategy: str
    proof: str  # the text given to the verifier (a body after the statement, or a complete text)
    tactics: list[str]
    logprobs: list[float]
    status: str  # a Status value
    verdict: str  # the verifier's reason ("" when the attempt never reached the verifier)
    detail: str
    tokens: int
    lean_seconds: float  # the verifier's time on this attempt (generation time is per batch: summary.json)

    @property
    def proved(self) -> bool:
        return self.status == Status.PROVED.value

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, record: Any, where: str) -> Attempt:
        return cls(**_checked(cls, record, where, {"status": {s.value for s in Status}}))


@dataclass
class Greedy:
    """One greedy decode per theorem: how sure the model is of it, and whether it is right."""

    theorem: str
    proof: str = ""  # whole proofs
    tactics: list[str] = field(default_factory=list)  # tactic models: the greedy path
    logprob: float = 0.0  # of the proof, or of the first tactic
    confidence: float = 0.0  # exp(logprob)
    correct: bool = False
    verdict: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, record: Any, where: str) -> Greedy:
        return cls(**_checked(cls, record, where, {}))


_KINDS = {"str": str, "int": int, "float": (int, float), "bool": bool, "list[str]": list, "list[float]": list}


def _checked(cls, record: Any, where: str, allowed: dict[str, set]) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
    values = {}
    for f in fields(cls):
        if f.name not in record:
            if f.default is not MISSING or f.default_factory is not MISSING:
                continue
            raise ValueError(f'{where}: missing field "{f.name}"')
        value, kind = record[f.name], _KINDS[str(f.type)]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            wanted = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}
            raise ValueError(
                f'{where}: field "{f.name}" must be {wanted.get(str(f.type), "a list")}, got {value!r}'
            )
        if f.name in allowed and value not in allowed[f.name]:
            raise ValueError(f'{where}: field "{f.name}" cannot be {value!r}')
        values[f.name] = value
    if "attempt" in values and values["attempt"] < 0:
        raise ValueError(f'{where}: field "attempt" must be >= 0')
    return values


def _read(path: str, cls):
    from prover.paths import jsonl_records

    if not os.path.isfile(path):
        return []
    out = []
    for where, record in jsonl_records(path):
        if isinstance(record, ValueError):
            if "truncated last line" in str(record):
                logger.warning("%s (a killed run: --resume completes it)", record)
                continue
            raise record
        out.append(cls.from_json(record, where))
    return out


def read_attempts(run_dir: str) -> list[Attempt]:
    """The attempts of a search run; a torn last line (killed while writing) is left out with a warning."""
    from prover.paths import require_dir

    path = os.path.join(require_dir(run_dir, "run"), "attempts.jsonl")
    if not os.path.isfile(path):
        raise ValueError(f"{run_dir}: no attempts.jsonl (not a search run directory)")
    return _read(path, Attempt)


def read_greedy(run_dir: str) -> list[Greedy]:
    return _read(os.path.join(run_dir, "greedy.jsonl"), Greedy)
