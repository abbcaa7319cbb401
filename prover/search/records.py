"""The records of a search run directory as types: one attempt per line of ``attempts.jsonl``, one greedy
decode per line of ``greedy.jsonl``, and ``summary.json``. Search writes them, and search (resume), merge
and report read them, through this module only: a record that is not what it should be is named by
``path:line: field``."""

from __future__ import annotations

import logging
import math
import os
from collections import defaultdict
from dataclasses import MISSING, asdict, astuple, dataclass, field, fields
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
    # Lean's machinery failed (the REPL crashed or lost the attempt's proof state even after a replay on a
    # fresh REPL; the checker timed out, ran out of memory or crashed on the proof: its verdict says which):
    # no judgement of the model, left out of pass@k and drawn again on resume
    INFRASTRUCTURE = "infrastructure_failure"

    @property
    def is_infrastructure(self) -> bool:
        return self is Status.INFRASTRUCTURE

    @classmethod
    def _missing_(cls, value: object) -> Status | None:
        earlier = _EARLIER_STATUSES.get(value) if isinstance(value, str) else None  # older runs' names
        return None if earlier is None else cls(earlier)


_EARLIER_STATUSES = {"repl_failure": "infrastructure_failure"}  # an earlier name of a status: its name now


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
        values = _checked(cls, record, where, _STATUSES)
        values["status"] = Status(values["status"]).value  # an older run's name read as today's
        return cls(**values)


@dataclass
class Greedy:
    """One greedy decode per theorem: how sure the model is of it, and whether it is right."""

    theorem: str
    proof: str = ""
    tactics: list[str] = field(default_factory=list)  # tactic models: the greedy path
    logprobs: list[float] = field(default_factory=list)  # of the proof, or of each tactic (as in Attempt)
    correct: bool = False
    verdict: str = ""

    @property
    def confidence(self) -> float:
        """The model's probability of its first output: the whole proof, or the first tactic."""
        return math.exp(self.logprobs[0]) if self.logprobs else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "confidence": self.confidence}

    @classmethod
    def from_json(cls, record: Any, where: str) -> Greedy:
        if isinstance(record, dict) and "logprob" in record and "logprobs" not in record:  # older runs
            record = {**record, "logprobs": [record["logprob"]]}
        return cls(**_checked(cls, record, where, {}))


@dataclass
class Timing:
    """Where a run's time went, in seconds. Lean work runs in parallel workers, so it is given twice: as the
    wall time the run waited on it and as the time summed over workers (which can exceed the wall)."""

    wall: float = 0.0  # the whole run, model loading included
    model_load: float = 0.0
    search: float = 0.0  # the search itself (wall)
    generation: float = 0.0  # sampling (wall; the main thread)
    lean_wall: float = 0.0  # waiting on Lean: proof starts, tactics and checks (wall, the main thread)
    lean_worker_sum: float = 0.0  # Lean calls summed over workers
    lean_busy: float = 0.0  # wall time during which any Lean call ran (while sampling too)
    overlap: float = 0.0  # wall time sampling and Lean ran at once: generation + lean_busy - search, >= 0

    def __add__(self, other: Timing) -> Timing:
        return Timing(*(a + b for a, b in zip(astuple(self), astuple(other))))

    def describe(self) -> str:
        return (
            f"wall {self.wall:.1f}s (model load {self.model_load:.1f}s, search {self.search:.1f}s: generation "
            f"{self.generation:.1f}s, Lean {self.lean_wall:.1f}s; Lean busy {self.lean_busy:.1f}s, "
            f"{self.overlap:.1f}s of it while sampling; Lean summed over workers {self.lean_worker_sum:.1f}s)"
        )


@dataclass
class Usage:
    """What a run has spent over all its sessions (a killed run's resumes included): ``usage.json`` is saved
    as the run goes, and the summary reports the total."""

    seconds: Timing = field(default_factory=Timing)
    tokens: int = 0  # generated
    lean_calls: int = 0  # Lean calls: proof starts, tactics applied, proofs checked
    sessions: int = 0  # processes that worked on the run
    proof_checks: int = 0  # proofs the verifier ran Lean on
    checks_reused: int = 0  # attempts whose proof was one already checked in the run: its verdict, no Lean

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, record: Any, where: str) -> Usage:
        values = _checked(cls, record, where, {})
        values["seconds"] = Timing(**_checked(Timing, values.get("seconds", {}), f"{where}: seconds", {}))
        return cls(**values)


@dataclass
class Summary:
    """``summary.json``: what a run (or merged shards) solved, pass@k, and what it cost."""

    strategy: str
    n: int
    theorems: int  # with a statement that elaborates
    bad_statements: list[str]  # statements that do not elaborate: left out of everything else
    solved: int
    attempts: int
    pass_at_k: dict | None  # "k" -> {"pass_at_k", "stderr"}; None when not estimable (see note)
    note: str
    seconds: Timing  # over all the run's sessions
    tokens: int
    lean_calls: int  # Lean calls: proof starts, tactics applied, proofs checked
    sessions: int = 1
    proof_checks: int = 0  # proofs the verifier ran Lean on (each distinct proof of a theorem once)
    checks_reused: int = 0  # attempts that drew a proof already checked: its verdict, reused
    infrastructure_failures: int = 0  # attempts Lean's machinery failed, not yet drawn again (resume)

    def __post_init__(self):
        if self.pass_at_k is not None:
            self.pass_at_k = {str(k): v for k, v in self.pass_at_k.items()}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, record: Any, where: str) -> Summary:
        values = _checked(cls, record, where, {})
        values["seconds"] = Timing(**_checked(Timing, values["seconds"], f"{where}: seconds", {}))
        return cls(**values)

    @classmethod
    def of(cls, records: list[Attempt], names: list[str], cfg: Any, usage: Usage) -> Summary:
        """The summary of the attempts of ``names`` (a run's theorems) under search settings ``cfg``."""
        results, bad = outcomes(records)
        expected = [name for name in names if name not in bad]
        redone = {(r.theorem, r.attempt) for r in records if not Status(r.status).is_infrastructure}
        failures = {(r.theorem, r.attempt) for r in records if Status(r.status).is_infrastructure} - redone
        results = {name: results.get(name, []) for name in expected}
        from prover.metrics import estimate  # numpy: loaded when a summary is made, not with the records

        pass_at_k, note = estimate(results, expected, cfg.n, cfg.stop_on_first)
        return cls(
            strategy=cfg.strategy,
            n=cfg.n,
            theorems=len(results),
            bad_statements=bad,
            solved=sum(any(v) for v in results.values()),
            attempts=sum(len(v) for v in results.values()),
            pass_at_k=pass_at_k,
            note=note,
            seconds=usage.seconds,
            tokens=usage.tokens,
            lean_calls=usage.lean_calls,
            sessions=usage.sessions,
            proof_checks=usage.proof_checks,
            checks_reused=usage.checks_reused,
            infrastructure_failures=len(failures),
        )

    @property
    def usage(self) -> Usage:
        return Usage(self.seconds, self.tokens, self.lean_calls, self.sessions, self.proof_checks, self.checks_reused)


def outcomes(records: list[Attempt]) -> tuple[dict[str, list[bool]], list[str]]:
    """Per theorem, whether each attempt proved it, in attempt order; and the theorems whose statement does
    not elaborate, which say nothing about the model and are left out of the first (as are attempts that
    Lean's machinery failed: ``Status.INFRASTRUCTURE``, drawn again on resume)."""
    rows: dict[str, dict[int, bool]] = defaultdict(dict)
    bad = sorted({r.theorem for r in records if r.status == Status.BAD_STATEMENT.value})
    for record in records:
        if record.theorem not in bad and not Status(record.status).is_infrastructure:
            rows[record.theorem][record.attempt] = record.proved
    return {t: [a[i] for i in sorted(a)] for t, a in rows.items()}, bad


_KINDS: dict[str, type | tuple[type, ...]] = {
    "str": str, "int": int, "float": (int, float), "bool": bool, "list[str]": list, "list[float]": list,
    "dict | None": (dict, type(None)), "Timing": dict,
}  # fmt: skip


_RENAMED = {"lean_steps": "lean_calls"}  # earlier field names, in older runs
_STATUSES = {"status": {s.value for s in Status} | set(_EARLIER_STATUSES)}


def _checked(cls, record: Any, where: str, allowed: dict[str, set]) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if any(old in record for old in _RENAMED):  # copied only for an older run's line: reading stays cheap
        record = {_RENAMED.get(k, k): v for k, v in record.items()}
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in record:
            if f.default is not MISSING or f.default_factory is not MISSING:
                continue
            raise ValueError(f'{where}: missing field "{f.name}"')
        value, kind = record[f.name], _KINDS[str(f.type)]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            wanted = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
                      "dict | None": "an object or null", "Timing": "an object"}  # fmt: skip
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
    from prover.io import own_jsonl

    return [(where, cls.from_json(record, where)) for where, record in own_jsonl(path)]


def read_attempts(run_dir: str) -> list[Attempt]:
    """The attempts of a search run, in the order written; a torn last line (killed while writing) is left
    out with a warning. An attempt is recorded once, but for failures of Lean's machinery, which a resume
    draws again (each such record stays, and counts for nothing)."""
    from prover.io import require_dir

    path = os.path.join(require_dir(run_dir, "run"), "attempts.jsonl")
    if not os.path.isfile(path):
        raise ValueError(f"{run_dir}: no attempts.jsonl (not a search run directory)")
    first: dict[tuple[str, int], str] = {}  # the record that stands for each attempt
    for where, record in (read := _read(path, Attempt)):
        key = (record.theorem, record.attempt)
        if key in first:  # two runs' records in one file: pass@k would count one attempt twice
            raise ValueError(
                f"{where}: attempt {record.attempt} of {record.theorem} is already recorded at {first[key]}"
            )
        if not Status(record.status).is_infrastructure:  # a failure of Lean's machinery is drawn again
            first[key] = where
    return [record for _, record in read]


def read_greedy(run_dir: str) -> list[Greedy]:
    return [record for _, record in _read(os.path.join(run_dir, "greedy.jsonl"), Greedy)]


def read_summary(run_dir: str) -> Summary | None:
    """``summary.json`` of a run, or None before the run has finished once."""
    return _read_object(os.path.join(run_dir, "summary.json"), Summary)


def read_usage(run_dir: str) -> Usage:
    """``usage.json`` of a run: what its earlier sessions spent (nothing for a new run)."""
    return _read_object(os.path.join(run_dir, "usage.json"), Usage) or Usage()


def _read_object(path: str, cls):
    from prover.io import read_json

    record = read_json(path, f"a run's {os.path.basename(path)}")
    return None if record is None else cls.from_json(record, path)
