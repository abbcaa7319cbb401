"""The directory of one search run: ``config.json`` (settings and the run's fingerprint), ``attempts.jsonl``
and ``greedy.jsonl`` (append-only, one whole line per record), ``usage.json`` (time and work over all
sessions, saved as the run goes) and ``summary.json``. A run continues only
with ``--resume`` and only under the fingerprint it started with, so that every record in the directory was
sampled the same way and judged by the same rules."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
from collections import defaultdict
from dataclasses import asdict
from typing import Any

from prover import run_dir
from prover.config import SearchConfig, describe_changes, setting_changes
from prover.io import append_jsonl, atomic_write_text, file_sha256, repair_jsonl
from prover.search.records import (
    Attempt,
    Greedy,
    Status,
    Summary,
    Usage,
    read_attempts,
    read_greedy,
    read_usage,
)

logger = logging.getLogger(__name__)


class RunStore:
    """Opened before any model is loaded: a refused resume leaves the directory as it was."""

    def __init__(self, cfg: SearchConfig, statements: dict[str, str], engine: str, lean: str = ""):
        self.cfg = cfg
        self.dir = cfg.output_dir
        self.attempts_path = os.path.join(self.dir, "attempts.jsonl")
        self.greedy_path = os.path.join(self.dir, "greedy.jsonl")
        self.fingerprint = run_fingerprint(cfg, statements, engine, lean)
        self.overrides = self._check()

    def _check(self) -> dict:
        """Refuse to mix runs: attempts in ``--output_dir`` need ``--resume``, and a resume must keep what
        the run samples (settings, model, statements, acceptance rules) unless ``--override_settings``.
        Returns the changes to record."""
        existing = os.path.isfile(self.attempts_path) and os.path.getsize(self.attempts_path) > 0
        run_dir.refuse_a_second_run(self.dir, existing, self.cfg.resume)
        if not self.cfg.resume:
            return {}
        if not os.path.isfile(os.path.join(self.dir, "config.json")):
            if not existing and self.cfg.resume != "latest":  # a path given: it must be a run, as in train
                raise ValueError(f"--resume {self.cfg.resume}: not a search run directory (no config.json)")
            if not existing:
                logger.warning("--resume: no run in %s yet; starting one", self.dir)
            if not existing or self.cfg.override_settings:
                return {}
            raise ValueError(
                f"--resume: {self.dir} holds attempts but no config.json, so what they were sampled with is "
                "unknown (pass --override_settings to continue anyway)"
            )
        before = read_run_config(self.dir)
        old = before.get("fingerprint") or {
            "settings": {k: before["config"].get(k) for k in self.fingerprint["settings"]}
        }
        changes = fingerprint_changes(old, self.fingerprint)
        run_dir.refuse_changes(self.dir, changes, self.cfg.override_settings, "config.json")
        return {"changes": changes, "before": before.get("overrides", [])} if changes else {}

    def open(self, theorems: int) -> list[Attempt]:
        """Write config.json, drop the torn last lines a kill left; the attempts already in the run."""
        os.makedirs(self.dir, exist_ok=True)
        for path in (self.attempts_path, self.greedy_path):  # appends after a torn line would corrupt
            repair_jsonl(path)
        existing = read_attempts(self.dir) if os.path.isfile(self.attempts_path) else []
        config: dict[str, Any] = {
            "config": asdict(self.cfg),
            "fingerprint": self.fingerprint,
            "benchmark_sha256": file_sha256(self.cfg.benchmark)
            if os.path.isfile(self.cfg.benchmark)
            else None,
            "theorems": theorems,
            "model_step": run_dir.training_step(self.cfg.model),
            "versions": {p: _version(p) for p in ("dco-prover", "torch", "transformers", "vllm")},
        }
        if self.overrides:
            config["overrides"] = [*self.overrides["before"], {"changes": self.overrides["changes"]}]
        atomic_write_text(os.path.join(self.dir, "config.json"), json.dumps(config, indent=1))
        return existing

    def append(self, attempt: Attempt) -> None:
        append_jsonl(self.attempts_path, attempt.to_json())

    def greedy(self) -> list[Greedy]:
        return read_greedy(self.dir)

    def append_greedy(self, greedy: Greedy) -> None:
        append_jsonl(self.greedy_path, greedy.to_json())

    def attempts(self) -> list[Attempt]:
        return read_attempts(self.dir)

    def usage(self) -> Usage:
        """What the run's earlier sessions spent (saved as they went; a killed one up to its last save)."""
        return read_usage(self.dir)

    def save_usage(self, usage: Usage) -> None:
        write_record(self.dir, "usage.json", usage)

    def write_summary(self, summary: Summary) -> None:
        write_record(self.dir, "summary.json", summary)


def write_record(run_dir: str, name: str, record: Summary | Usage) -> None:
    """``summary.json`` or ``usage.json``, atomically."""
    atomic_write_text(os.path.join(run_dir, name), json.dumps(record.to_json(), indent=1))


def write_records(path: str, records: list) -> None:
    """A whole JSONL file of records at once (merge)."""
    atomic_write_text(path, "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records))


def done_and_solved(records: list[Attempt]) -> tuple[dict[str, set[int]], set[str]]:
    """The attempt indices already in a run per theorem (an attempt Lean's machinery failed is not: a resume
    draws it again), and the theorems already proved."""
    done: dict[str, set[int]] = defaultdict(set)
    for record in records:
        if not Status(record.status).is_infrastructure:
            done[record.theorem].add(record.attempt)
    return done, {r.theorem for r in records if r.proved}


def read_run_config(run_dir: str) -> dict[str, Any]:
    """``config.json`` of a search run (settings under ``config``)."""
    from prover.io import read_json

    path = os.path.join(run_dir, "config.json")
    data = read_json(path, "a run's config.json")
    if data is None:
        raise ValueError(f"{run_dir}: no config.json (not a search run directory)")
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise ValueError(f'{path}: expected an object with a "config" object')
    return data


# --------------------------------------------------------------------------- the fingerprint


def model_fingerprint(model: str) -> dict:
    """A local model by its path and the size and SHA-256 of each of its files: a retrained model changes it
    whatever its sizes and times (hashing runs at about 1.6 GB/s here: seconds for a 7B model, once per
    run start); a hub name as is."""
    if not os.path.isdir(model):
        return {"name": model}
    entries = sorted((e for e in os.scandir(model) if e.is_file()), key=lambda e: e.name)
    files = {}
    for entry in entries:
        files[entry.name] = [entry.stat().st_size, file_sha256(entry.path)]
    return {"path": os.path.abspath(model), "files": files}


def run_fingerprint(cfg: SearchConfig, statements: dict[str, str], engine: str, lean: str = "") -> dict:
    """What a run samples and how its samples are judged (``statements``: name -> statement hash; ``engine``:
    the sampler, which draws other samples from the same seeds; ``lean``: the Lean that decides): a resume
    must find the same."""
    from prover.verify.policy import POLICY_VERSION

    sampler: dict[str, str | int] = {"engine": engine}
    if engine == "vllm":  # tensor parallelism changes vLLM's numerics, and so its samples
        sampler["tensor_parallel_size"] = cfg.tensor_parallel_size
    return {
        "settings": cfg.run_settings,
        "sampler": sampler,
        "model": model_fingerprint(cfg.model),
        "statements": statements,
        "policy_version": POLICY_VERSION,
        "lean": lean,
    }


def fingerprint_changes(before: dict, now: dict) -> list[str]:
    """Each difference between two fingerprints, in words."""
    changes = describe_changes(setting_changes(before.get("settings", {}), now["settings"]))
    if "model" in before and before["model"] != now["model"]:
        changes.append(
            f"the model ({now['model'].get('path') or now['model'].get('name')} is not the one the run used)"
        )
    if "sampler" in before and before["sampler"] != now["sampler"]:
        changes.append(f"the sampler ({_describe(before['sampler'])} -> {_describe(now['sampler'])})")
    old, new = before.get("statements"), now["statements"]
    if old is not None:
        changed = sorted(n for n in new if n in old and old[n] != new[n])
        added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
        for what, names in (
            ("statement changed", changed),
            ("theorem added", added),
            ("theorem removed", removed),
        ):
            if names:
                changes.append(f"{what}: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")
    if before.get("lean") and now.get("lean") and before["lean"] != now["lean"]:
        changes.append(f"the Lean that checks proofs ({before['lean']} -> {now['lean']})")
    if "policy_version" in before and before["policy_version"] != now["policy_version"]:
        changes.append(f"the acceptance rules (policy {before['policy_version']} -> {now['policy_version']})")
    return changes


def _describe(sampler: dict) -> str:
    return " ".join(
        [sampler.get("engine", "?"), *(f"--{k} {v}" for k, v in sampler.items() if k != "engine")]
    )


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None
