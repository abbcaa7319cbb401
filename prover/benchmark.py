"""Benchmarks of formal statements (DeepSeek / MiniF2F schema): ``name``, ``split``, ``header``,
``formal_statement``, optional ``informal_prefix``; from a JSONL file or a Hugging Face dataset."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

from prover.verify import Reference


@dataclass(frozen=True)
class Theorem:
    name: str
    split: str
    header: str
    formal_statement: str
    informal_prefix: str = ""

    @property
    def reference(self) -> Reference:
        return Reference(self.name, self.formal_statement, self.header)

    @property
    def statement_hash(self) -> str:
        return hashlib.sha256((self.header + self.formal_statement).encode("utf-8")).hexdigest()[:16]


def load_theorems(path: str, split: str = "all", names: str = "") -> list[Theorem]:
    """Theorems of a DeepSeek / MiniF2F-schema JSONL (or a Hugging Face dataset with those columns),
    filtered by split and names, in file order."""
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    theorems = []
    for where, r in _benchmark_records(path, split):
        try:
            theorem = Theorem(
                r["name"],
                r.get("split") or split,
                r.get("header") or "",
                r["formal_statement"],
                r.get("informal_prefix") or "",
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"{where}: bad benchmark record ({error!r})") from None
        if (split == "all" or theorem.split == split) and (not wanted or theorem.name in wanted):
            theorems.append(theorem)
    missing = wanted - {t.name for t in theorems}
    if missing:
        raise ValueError(f"{path}: no theorem(s) {', '.join(sorted(missing))} in split {split!r}")
    if not theorems:
        raise ValueError(f"{path}: no theorems in split {split!r}")
    return theorems


def _benchmark_records(path: str, split: str):
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        yield f"{path}:{number}", json.loads(line)
                    except json.JSONDecodeError as error:
                        raise ValueError(f"{path}:{number}: malformed JSON ({error.msg})") from None
        return
    import datasets  # a hub name or a dataset folder

    dataset = datasets.load_dataset(path, split=split if split != "all" else "train")
    for i, row in enumerate(dataset):
        yield f"{path}[{split}] row {i}", dict(row)
