"""Search run directories after the fact: the summary of a run, and merging the shards of one search."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import asdict

from prover.config import SearchConfig
from prover.records import atomic_write_text, read_jsonl


def summarize(
    records: list[dict], names: list[str], cfg: SearchConfig, seconds: dict, tokens: int, lean_steps: int
) -> dict:
    """summary.json of a run (or of merged shards) from its attempt records."""
    from prover.metrics import pass_at_k_table

    rows: dict[str, dict[int, bool]] = defaultdict(dict)
    for record in records:
        rows[record["theorem"]][record["attempt"]] = record["status"] == "proved"
    results = {name: [rows[name][i] for i in sorted(rows[name])] for name in names}
    complete = all(len(v) == cfg.n for v in results.values())
    return {
        "strategy": cfg.strategy,
        "n": cfg.n,
        "theorems": len(names),
        "solved": sum(any(v) for v in results.values()),
        "attempts": sum(len(v) for v in results.values()),
        "pass_at_k": None if cfg.stop_on_first or not complete else pass_at_k_table(results),
        "note": "stop_on_first: only pass@n (solved / theorems) is estimable" if cfg.stop_on_first else "",
        "seconds": seconds,
        "tokens": tokens,
        "lean_steps": lean_steps,
    }


def merge_runs(shards: list[str], output: str) -> dict:
    """``prover merge``: shard directories of one search (``--shard i/n``) -> one run directory."""
    configs = [_read_json(os.path.join(shard, "config.json")) for shard in shards]
    ignored = {"shard", "output_dir", "resume", "workers"}
    settings = [{k: v for k, v in c["config"].items() if k not in ignored} for c in configs]
    for shard, other in zip(shards[1:], settings[1:]):
        if other != settings[0]:
            changed = sorted(k for k in other if other[k] != settings[0].get(k))
            raise ValueError(f"{shard} was run with other settings than {shards[0]}: {', '.join(changed)}")
    shard_ids = sorted(c["config"].get("shard", "") for c in configs)
    records, greedy, seen = [], [], set()
    for shard in shards:
        for record in read_jsonl(os.path.join(shard, "attempts.jsonl")):
            key = (record["theorem"], record["attempt"])
            if key in seen:
                raise ValueError(f"{shard}: attempt {key} is also in another shard")
            seen.add(key)
            records.append(record)
        greedy.extend(read_jsonl(os.path.join(shard, "greedy.jsonl")))
    os.makedirs(output, exist_ok=True)
    atomic_write_text(
        os.path.join(output, "attempts.jsonl"),
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
    )
    atomic_write_text(
        os.path.join(output, "greedy.jsonl"),
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in greedy),
    )
    cfg = SearchConfig(**{**configs[0]["config"], "shard": "", "output_dir": output, "resume": False})
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
        k: sum(s.get("seconds", {}).get(k, 0.0) for s in summaries) for k in ("total", "generation", "lean")
    }
    names = list(dict.fromkeys(r["theorem"] for r in records))
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
