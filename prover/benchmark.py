"""Benchmarks of formal statements (DeepSeek / MiniF2F schema): ``name``, ``split``, ``header``,
``formal_statement``, optional ``informal_prefix``; from a JSONL file or a Hugging Face dataset."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Theorem:
    name: str
    split: str
    header: str
    formal_statement: str
    informal_prefix: str = ""

    @property
    def statement_hash(self) -> str:
        return hashlib.sha256((self.header + self.formal_statement).encode("utf-8")).hexdigest()[:16]


def load_theorems(path: str, split: str = "all", names: str = "") -> list[Theorem]:
    """Theorems of a DeepSeek / MiniF2F-schema JSONL (or a Hugging Face dataset with those columns),
    filtered by split and names, in file order."""
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    theorems: list[Theorem] = []
    seen: dict[str, str] = {}
    for where, r in _benchmark_records(path, split):
        try:
            theorem = Theorem(
                r["name"],
                r.get("split") or split,
                r.get("header") or "",
                r["formal_statement"],
                r.get("informal_prefix") or "",
            )
        except KeyError as error:
            raise ValueError(f"{where}: missing field {error}") from None
        except TypeError as error:
            raise ValueError(f"{where}: bad benchmark record ({error})") from None
        for field_name in ("name", "header", "formal_statement", "split"):
            if not isinstance(getattr(theorem, field_name), str):
                raise ValueError(f'{where}: field "{field_name}" must be a string')
        if theorem.name in seen:
            raise ValueError(
                f"{where}: duplicate theorem name {theorem.name!r} (first at {seen[theorem.name]})"
            )
        seen[theorem.name] = where
        if (split == "all" or theorem.split == split) and (not wanted or theorem.name in wanted):
            theorems.append(theorem)
    missing = wanted - {t.name for t in theorems}
    if missing:
        raise ValueError(f"{path}: no theorem(s) {', '.join(sorted(missing))} in split {split!r}")
    if not seen:
        raise ValueError(f"{path}: the file is empty (no benchmark records)")
    if not theorems:
        raise ValueError(f"{path}: no theorems in split {split!r}")
    return theorems


def _benchmark_records(path: str, split: str):
    from prover.io import jsonl_objects, looks_local

    if os.path.isfile(path):
        yield from jsonl_objects(path)
        return
    if looks_local(path) and not os.path.isdir(path):
        raise ValueError(f"--benchmark {path}: no such file")
    import datasets  # a hub name or a dataset folder

    try:
        dataset = datasets.load_dataset(path, split=split if split != "all" else "train")
    except Exception as error:  # noqa: BLE001 - one line for the user, whatever datasets raised
        raise ValueError(f"--benchmark {path}: cannot load it ({type(error).__name__}: {error})") from None
    for i, row in enumerate(dataset):
        yield f"{path}[{split}] row {i}", dict(row)
