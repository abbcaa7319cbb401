"""Search run directories after the fact: the summary of a run, and merging the shards of one search."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import asdict

from prover.config import SearchConfig
from prover.records import atomic_write_text
from prover.run_records import Attempt, Status, read_attempts, read_greedy


def summarize(
    records: list[Attempt], names: list[str], cfg: SearchConfig, seconds: dict, tokens: int, lean_steps: int
) -> dict:
    """summary.json of a run (or of merged shards) from its attempt records."""
    from prover.metrics import pass_at_k_table

    rows: dict[str, dict[int, bool]] = defaultdict(dict)
    bad = sorted({r.theorem for r in records if r.status == Status.BAD_STATEMENT.value})
    for record in records:
        rows[record.theorem][record.attempt] = record.proved
    # a statement that does not elaborate says nothing about the model: left out of pass@k, counted apart
    results = {name: [rows[name][i] for i in sorted(rows[name])] for name in names if name not in bad}
    complete = all(len(v) == cfg.n for v in results.values())
    return {
        "strategy": cfg.strategy,
        "n": cfg.n,
        "theorems": len(results),
        "bad_statements": bad,
        "solved": sum(any(v) for v in results.values()),
        "attempts": sum(len(v) for v in results.values()),
        "pass_at_k": None if cfg.stop_on_first or not complete or not results else pass_at_k_table(results),
        "note": "stop_on_first: only pass@n (solved / theorems) is estimable" if cfg.stop_on_first else "",
        "seconds": seconds,
        "tokens": tokens,
        "lean_steps": lean_steps,
    }


def read_run_config(run_dir: str) -> dict:
    """``config.json`` of a search run (settings under ``config``)."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        raise ValueError(f"{run_dir}: no config.json (not a search run directory)")
    try:
        data = _read_json(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not a run's config.json ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise ValueError(f'{path}: expected an object with a "config" object')
    return data


def merge_runs(shards: list[str], output: str) -> dict:
    """``prover merge``: shard directories of one search (``--shard i/n``) -> one run directory. Refuses
    shards of other settings, an incomplete set of shards, and a shard whose theorems lack attempts."""
    configs = [read_run_config(shard) for shard in shards]
    ignored = {"shard", "output_dir", "resume", "workers"}
    settings = [{k: v for k, v in c["config"].items() if k not in ignored} for c in configs]
    for shard, other in zip(shards[1:], settings[1:]):
        if other != settings[0]:
            changed = sorted(k for k in other if other[k] != settings[0].get(k))
            raise ValueError(f"{shard} was run with other settings than {shards[0]}: {', '.join(changed)}")
    shard_ids = sorted(c["config"].get("shard", "") for c in configs)
    total = {s.split("/")[1] for s in shard_ids if "/" in s}
    if len(total) != 1 or any("/" not in s for s in shard_ids):
        raise ValueError(f"merge needs the shards of one search (--shard i/n), got {shard_ids}")
    count = int(total.pop())
    missing = sorted(set(range(count)) - {int(s.split("/")[0]) for s in shard_ids})
    if missing or len(shard_ids) != count:
        raise ValueError(f"the {count} shards of this search are not all here: missing {', '.join(f'{i}/{count}' for i in missing) or 'none'}"
                         + ("; a shard is given twice" if len(shard_ids) != len(set(shard_ids)) else ""))  # fmt: skip
    records, greedy, seen = [], [], set()
    for shard, config in zip(shards, configs):
        attempts = read_attempts(shard)
        per_theorem: dict[str, int] = defaultdict(int)
        for record in attempts:
            per_theorem[record.theorem] += 1
        n, stop = config["config"].get("n"), config["config"].get("stop_on_first")
        short = [t for t, k in per_theorem.items() if k < n and not stop]
        if len(per_theorem) != config.get("theorems", len(per_theorem)) or short:
            raise ValueError(
                f"{shard}: incomplete ({len(per_theorem)} of {config.get('theorems')} theorems have attempts"
                + (f"; {short[0]} has {per_theorem[short[0]]} of {n}" if short else "")
                + "): finish it with prover search --resume"
            )
        for record in attempts:
            key = (record.theorem, record.attempt)
            if key in seen:
                raise ValueError(f"{shard}: attempt {key} is also in another shard")
            seen.add(key)
            records.append(record)
        greedy.extend(read_greedy(shard))
    if os.path.isdir(output) and any(os.scandir(output)):
        raise ValueError(f"-o {output}: not empty; merge into a new directory")
    os.makedirs(output, exist_ok=True)
    atomic_write_text(
        os.path.join(output, "attempts.jsonl"),
        "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records),
    )
    atomic_write_text(
        os.path.join(output, "greedy.jsonl"),
        "".join(json.dumps(g.to_json(), ensure_ascii=False) + "\n" for g in greedy),
    )
    cfg = SearchConfig(**{**configs[0]["config"], "shard": "", "output_dir": output, "resume": ""})
    merged = {
        **configs[0],
        "config": asdict(cfg),
        "merged_from": shards,
        "shards": shard_ids,
        "theorems": sum(c["theorems"] for c in configs),
    }
    atomic_write_text(os.path.join(output, "config.json"), json.dumps(merged, indent=1))
    summaries = []
    for shard in shards:
        path = os.path.join(shard, "summary.json")
        summaries.append(_read_json(path) if os.path.isfile(path) else {})
    timing = {
        k: sum(s.get("seconds", {}).get(k, 0.0) for s in summaries)
        for k in ("wall", "model_load", "search", "generation", "lean_worker_sum")
    }
    names = list(dict.fromkeys(r.theorem for r in records))
    summary = summarize(
        records,
        names,
        cfg,
        timing,
        sum(s.get("tokens", 0) for s in summaries),
        sum(s.get("lean_steps", 0) for s in summaries),
    )
    atomic_write_text(os.path.join(output, "summary.json"), json.dumps(summary, indent=1))
    return summary


def _read_json(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
