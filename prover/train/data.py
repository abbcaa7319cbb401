"""Training data: read tactic pairs, LeanDojo traces and whole proofs; validate; guard against contamination.

Readers return plain frozen records and name ``file:line: field`` for every bad input. Turning records into
prompts lives in ``prover/prompts.py``, into token ids in ``tokenize.py``; nothing here imports torch or
transformers (``datasets`` is imported only for hub names and folders).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


class DataError(ValueError):
    """Bad training input; the message names the file, the line and the field."""


@dataclass(frozen=True)
class TacticExample:
    """One (proof state, tactic) step; ``trace_id`` and ``step`` place it in its proof."""

    state: str
    tactic: str
    trace_id: str | None = None
    step: int | None = None
    theorem: str | None = None  # the theorem's name, for the contamination guard
    statement: str | None = None  # the theorem's statement, for the contamination guard


@dataclass(frozen=True)
class ProofExample:
    """A whole proof: ``header + formal_statement + proof`` is the complete Lean file."""

    formal_statement: str
    proof: str
    header: str = ""
    informal_prefix: str = ""
    name: str | None = None


Example = TacticExample | ProofExample
KINDS = ("auto", "tactic", "leandojo", "whole")


@dataclass
class ReadReport:
    """What a reader skipped, so the CLI and the trainer can say it."""

    bad: int = 0
    contaminated: int = 0


# --------------------------------------------------------------------------- validation of one record


def _field(record: dict, name: str, where: str, *, required: bool = True, non_empty: bool = True) -> Any:
    if name not in record or record[name] is None:
        if required:
            raise DataError(f'{where}: missing field "{name}"')
        return None
    value = record[name]
    if not isinstance(value, str):
        raise DataError(f'{where}: field "{name}" must be a string, got {type(value).__name__}')
    if non_empty and not value.strip():
        raise DataError(f'{where}: field "{name}" is empty')
    return value


def _optional_id(record: dict, name: str, where: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DataError(f'{where}: field "{name}" must be a string or an integer')
    return str(value)


def _optional_int(record: dict, name: str, where: str) -> int | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DataError(f'{where}: field "{name}" must be a non-negative integer, got {value!r}')
    return value


def tactic_from_record(record: Any, where: str) -> TacticExample:
    record = _object(record, where)
    return TacticExample(
        state=_field(record, "state", where),
        tactic=_field(record, "tactic", where),
        trace_id=_optional_id(record, "trace_id", where),
        step=_optional_int(record, "step", where),
        theorem=_field(record, "theorem", where, required=False),
        statement=_field(record, "statement", where, required=False),
    )


def proof_from_record(record: Any, where: str) -> ProofExample:
    record = _object(record, where)
    return ProofExample(
        formal_statement=_field(record, "formal_statement", where),
        proof=_field(record, "proof", where),
        header=_field(record, "header", where, required=False, non_empty=False) or "",
        informal_prefix=_field(record, "informal_prefix", where, required=False, non_empty=False) or "",
        name=_field(record, "name", where, required=False),
    )


def _object(record: Any, where: str) -> dict:
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(record).__name__}")
    return record


def leandojo_theorem(record: Any, where: str) -> list[TacticExample]:
    """The steps of one LeanDojo Benchmark 4 theorem (``traced_tactics`` of ``state_before`` / ``tactic``)."""
    record = _object(record, where)
    name = _field(record, "full_name", where)
    tactics = record.get("traced_tactics")
    if not isinstance(tactics, list):
        raise DataError(f'{where}: field "traced_tactics" must be a list')
    trace_id = f"{record.get('file_path', '')}:{name}"
    steps = []
    for i, step in enumerate(tactics):
        at = f"{where}: traced_tactics[{i}]"
        if not isinstance(step, dict):
            raise DataError(f"{at}: expected a JSON object")
        steps.append(
            TacticExample(
                state=_field(step, "state_before", at),
                tactic=_field(step, "tactic", at),
                trace_id=trace_id,
                step=i,
                theorem=name,
            )
        )
    return steps


# --------------------------------------------------------------------------- readers


def _jsonl_records(path: str) -> Iterator[tuple[str, Any]]:
    """(``path:line``, parsed object) per non-blank line; a bad line (not UTF-8, not JSON, cut short) yields
    its DataError instead."""
    from prover.io import jsonl_records

    for where, record in jsonl_records(path):
        yield where, DataError(str(record)) if isinstance(record, ValueError) else record


def _leandojo_json_records(path: str) -> Iterator[tuple[str, Any]]:
    """A LeanDojo ``.json`` file is one list of theorems; each is located by its index in the list."""
    from prover.io import read_text

    try:
        data = json.loads(read_text(path, "data"))
    except json.JSONDecodeError as error:
        raise DataError(f"{path}:{error.lineno}: malformed JSON ({error.msg.removesuffix(' at')})") from None
    except ValueError as error:
        raise DataError(str(error)) from None
    if not isinstance(data, list):
        raise DataError(f"{path}: a LeanDojo file must hold a JSON list of theorems")
    for i, record in enumerate(data):
        yield f"{path}: theorem [{i}]", record


def _hub_records(source: str, split: str) -> Iterator[tuple[str, Any]]:
    import datasets  # lazy: only hub names and folders need it

    try:
        dataset = datasets.load_dataset(source, split=split)
    except Exception as error:  # noqa: BLE001 - datasets raises many kinds; the user needs one line
        if os.path.isdir(source):
            raise DataError(
                f"{source}: a folder that datasets cannot read ({type(error).__name__}: {error})"
            ) from None
        raise DataError(f"{source}: cannot load this dataset ({type(error).__name__}: {error})") from None
    for i, row in enumerate(dataset):
        yield f"{source}[{split}] row {i}", dict(row)


def detect_kind(path: str) -> str:
    """Guess the format of a local file from its extension and its first record's keys."""
    if path.endswith(".json"):
        return "leandojo"
    for _, record in _jsonl_records(path):
        if isinstance(record, dict):
            if "traced_tactics" in record:
                return "leandojo"
            if "formal_statement" in record or "proof" in record:
                return "whole"
            if "tactic" in record or "state" in record:
                return "tactic"
        break
    raise DataError(
        f"{path}: cannot tell the format from the first record; pass --kind tactic, leandojo or whole"
    )


def _records(source: str, split: str) -> Iterator[tuple[str, Any]]:
    from prover.io import looks_local

    if os.path.isfile(source):
        if source.endswith(".json"):
            return _leandojo_json_records(source)
        return _jsonl_records(source)
    if os.path.isdir(source) or (not looks_local(source) and re.fullmatch(r"[\w.-]+(/[\w.-]+)?", source)):
        return _hub_records(source, split)
    raise DataError(f"{source}: no such file" + ("" if looks_local(source) else ", and not a dataset name"))


def read_examples(
    source: str,
    kind: str = "auto",
    split: str = "train",
    skip_bad: bool = False,
    report: ReadReport | None = None,
) -> list[Example]:
    """Read a training file (JSONL or LeanDojo JSON) or a ``datasets`` name/folder into examples.

    Args:
        source: local ``.jsonl`` / ``.json`` file, a dataset folder, or a Hugging Face hub name.
        kind: ``tactic`` pairs, ``leandojo`` theorems, ``whole`` proofs, or ``auto`` (local files only).
        split: the split to load through ``datasets``.
        skip_bad: skip bad lines (counted in ``report.bad``) instead of raising ``DataError``.

    Raises:
        DataError: naming file, line and field, for the first bad record unless ``skip_bad``.
    """
    if kind not in KINDS:
        raise DataError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "auto":
        if not os.path.isfile(source):
            _records(source, split)  # a missing file says so before anything else
            raise DataError(f"{source}: give the data kind (--kind tactic, leandojo or whole) for a dataset")
        kind = detect_kind(source)
    report = report if report is not None else ReadReport()
    examples: list[Example] = []
    for where, record in _records(source, split):
        try:
            if isinstance(record, DataError):
                raise record
            if kind == "tactic":
                examples.append(tactic_from_record(record, where))
            elif kind == "whole":
                examples.append(proof_from_record(record, where))
            else:
                examples.extend(leandojo_theorem(record, where))
        except DataError as error:
            if not skip_bad:
                raise
            report.bad += 1
            logger.warning("skipping bad input: %s", error)
    if report.bad:
        logger.warning("%s: skipped %d bad record(s)", source, report.bad)
    return examples


# --------------------------------------------------------------------------- contamination guard

_DECLARATION = re.compile(r"^\s*(?:@\[[^\]]*\]\s*)?(?:private\s+|protected\s+)?(?:theorem|lemma)\s+\S+")


def normalize_statement(statement: str) -> str:
    """A theorem statement without its name, its ``:= by`` and differences in white space."""
    text = _DECLARATION.sub("", statement, count=1)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*:=\s*(by)?\s*$", "", text)
    return text


def read_benchmark_statements(path: str) -> tuple[set[str], set[str]]:
    """(normalised statements, names) of a benchmark, read as search reads it."""
    from prover.benchmark import load_theorems

    theorems = load_theorems(path)
    return {normalize_statement(t.formal_statement) for t in theorems}, {t.name for t in theorems}


def drop_contaminated(
    examples: Iterable[Example], benchmark: str, report: ReadReport | None = None
) -> list[Example]:
    """Drop examples of benchmark theorems: same statement (white space normalised) or same theorem name.

    For tactic steps the whole trace goes when any of its steps matches.
    """
    statements, names = read_benchmark_statements(benchmark)
    examples = list(examples)

    def hit(example: Example) -> bool:
        if isinstance(example, ProofExample):
            return normalize_statement(example.formal_statement) in statements or example.name in names
        return (example.statement is not None and normalize_statement(example.statement) in statements) or (
            example.theorem is not None and example.theorem in names
        )

    bad_traces = {e.trace_id for e in examples if isinstance(e, TacticExample) and e.trace_id and hit(e)}
    kept = [
        e
        for e in examples
        if not hit(e)
        and not (isinstance(e, TacticExample) and e.trace_id is not None and e.trace_id in bad_traces)
    ]
    dropped = len(examples) - len(kept)
    if report is not None:
        report.contaminated += dropped
    logger.info("contamination guard (%s): dropped %d of %d examples", benchmark, dropped, len(examples))
    return kept


def write_jsonl(path: str, records: Iterable[dict]) -> int:
    """Write records atomically (temp file, then rename): a killed run never leaves half a file."""
    from prover.io import atomic_write_text

    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return len(lines)
