"""``prover merge``: the shard directories of one search (``--shard i/n``) as one run directory."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import defaultdict
from dataclasses import asdict

from prover.config import SearchConfig
from prover.io import atomic_write_text
from prover.search.records import Summary, Usage, read_attempts, read_greedy, read_summary
from prover.search.store import read_run_config, write_record, write_records

# settings that shards of one search may differ in
_PER_SHARD = {"shard", "output_dir", "resume", "workers"}


def merge_runs(shards: list[str], output: str) -> Summary:
    """Refuses shards of other settings, an incomplete set of shards, and a shard whose theorems lack
    attempts; writes nothing until all of that is checked."""
    configs = [read_run_config(shard) for shard in shards]
    count = _check_shards(shards, configs)
    records, greedy = _records(shards, configs)
    if os.path.isdir(output) and any(os.scandir(output)):
        raise ValueError(f"-o {output}: not empty; merge into a new directory")
    cfg = SearchConfig.from_saved({**configs[0]["config"], "shard": "", "output_dir": output, "resume": ""})
    # summed over shards: compute spent, not elapsed time
    usage = sum((s.usage for s in map(read_summary, shards) if s is not None), Usage())
    summary = Summary.of(records, list(dict.fromkeys(r.theorem for r in records)), cfg, usage)
    summary.note = "; ".join(
        filter(None, [summary.note, f"seconds and tokens summed over the {count} shards"])
    )
    _write(output, records, greedy, _merged_config(shards, configs, cfg, records), summary, usage)
    return summary


def _check_shards(shards: list[str], configs: list[dict]) -> int:
    """The number of shards, when ``shards`` are all the shards of one search (same settings)."""
    for shard, config in zip(shards[1:], configs[1:]):
        if changed := _differences(configs[0], config):
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
    return count


def _records(shards: list[str], configs: list[dict]) -> tuple[list, list]:
    """Every shard's attempts and greedy decodes, each shard complete and no attempt in two shards."""
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
    return records, greedy


def _merged_config(shards: list[str], configs: list[dict], cfg: SearchConfig, records: list) -> dict:
    """config.json of the merged run: the first shard's, with the fingerprint of one unsharded run (all
    statements)."""
    fingerprint = configs[0].get("fingerprint")
    if fingerprint is not None:
        statements = {name: h for c in configs for name, h in c["fingerprint"].get("statements", {}).items()}
        fingerprint = {**fingerprint, "settings": cfg.run_settings, "statements": statements}
    return {
        **configs[0],
        "config": asdict(cfg),
        "fingerprint": fingerprint,
        "merged_from": shards,
        "shards": sorted(c["config"].get("shard", "") for c in configs),
        "theorems": len({r.theorem for r in records}),  # each shard's count was checked against its records
    }


def _write(output: str, records, greedy, config: dict, summary: Summary, usage: Usage) -> None:
    """Written in a staging directory and renamed into place: a killed merge leaves no half a run behind."""
    parent = os.path.dirname(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=".merge-")
    try:
        write_records(os.path.join(staging, "attempts.jsonl"), records)
        write_records(os.path.join(staging, "greedy.jsonl"), greedy)
        atomic_write_text(os.path.join(staging, "config.json"), json.dumps(config, indent=1))
        write_record(staging, "summary.json", summary)
        write_record(staging, "usage.json", usage)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp's 0700 is not what a run directory has
        if os.path.isdir(output):
            os.rmdir(output)  # empty: checked above
        os.rename(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _differences(first: dict, other: dict) -> list[str]:
    """The settings in which two shards' config.json differ, and the parts of their fingerprints that must
    agree (the model's files, the sampler, the acceptance rules, the Lean that checked; the statements
    differ by shard)."""
    a, b = ({k: v for k, v in c["config"].items() if k not in _PER_SHARD} for c in (first, other))
    changed = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    for part, what in (("model", "the model's files"), ("sampler", "the sampler"),
                       ("policy_version", "the acceptance rules"), ("lean", "the Lean that checks proofs")):  # fmt: skip
        if first.get("fingerprint", {}).get(part) != other.get("fingerprint", {}).get(part):
            changed.append(what)
    return changed
