"""Invariants that catch the mistakes people make (issue 29): properties over many inputs (hypothesis),
not examples. Each was seen failing with the mistake it targets applied (the commit says which)."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from prover.flags import _coerce
from prover.io import repair_jsonl
from prover.search.run import Search, shard
from prover.search.store import model_fingerprint
from prover.train.checkpoint import STATE_FILE, checkpoint_dir, complete_checkpoints, find_checkpoint


@given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=12))
def test_shards_partition_any_benchmark_exactly(items, count):
    """``--shard i/n`` is 0-based: the n shards hold every theorem once, in the benchmark's order."""
    shards = [shard(items, f"{i}/{count}") for i in range(count)]
    assert sorted(x for s in shards for x in s) == sorted(items)
    assert sum(len(s) for s in shards) == len(items)
    for s in shards:  # each keeps the benchmark's order
        positions = [items.index(x) for x in s] if len(set(items)) == len(items) else sorted(range(len(s)))
        assert positions == sorted(positions)
    if items:
        assert shards[0][0] == items[0]  # shard 0 starts at the first theorem


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=2000), min_size=1, max_size=8))
def test_checkpoints_are_ordered_by_step_number_not_by_name(tmp_path_factory, steps):
    """checkpoint-10 is newer than checkpoint-9: resume picks the newest, pruning keeps it."""
    out = tmp_path_factory.mktemp("run")
    for step in steps:
        os.makedirs(checkpoint_dir(str(out), step))
        open(os.path.join(checkpoint_dir(str(out), step), STATE_FILE), "w").close()
    assert [step for step, _ in complete_checkpoints(str(out))] == sorted(steps)
    assert find_checkpoint(str(out), "latest") == checkpoint_dir(str(out), max(steps))


records = st.lists(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3), min_size=1,
                   max_size=5)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(records, st.integers(min_value=0, max_value=40))
def test_the_torn_line_repair_keeps_every_complete_record_and_cuts_only_a_torn_one(tmp_path_factory, rows, cut):
    path = tmp_path_factory.mktemp("j") / "a.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in rows]
    last = lines[-1].rstrip("\n")
    torn = last[: min(cut, len(last) - 1)] if len(last) > 1 else ""
    for tail, kept in ((last, rows), (torn, rows[:-1])):  # a whole last record without its newline; a torn one
        path.write_text("".join(lines[:-1]) + tail, encoding="utf-8")
        repair_jsonl(str(path))
        text = path.read_text(encoding="utf-8")
        if tail == torn and torn and _parses(torn):
            kept = rows[:-1] + [json.loads(torn)]  # a prefix that happens to be a whole JSON value
        lines_now = text.split("\n")[:-1]  # records end at "\n" only (Lean and JSON may hold U+0085, U+2028)
        assert [json.loads(line) for line in lines_now] == kept and (not text or text.endswith("\n"))


def _parses(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


@given(st.integers(min_value=0, max_value=2**31), st.integers(min_value=0, max_value=2**31), st.text(min_size=1, max_size=8),
       st.lists(st.integers(min_value=0, max_value=99), max_size=3))  # fmt: skip
def test_the_same_seed_reproduces_samples_and_another_changes_them(seed, other, name, where):
    """A prompt's sampling seed is a function of the run's --seed, the theorem and the position alone."""
    theorem = SimpleNamespace(name=name)

    def seed_for(run_seed):
        return Search.seed_for(SimpleNamespace(cfg=SimpleNamespace(seed=run_seed)), theorem, *where)

    assert seed_for(seed) == seed_for(seed)
    if other != seed:
        assert seed_for(other) != seed_for(seed)
    if where:
        assert Search.seed_for(SimpleNamespace(cfg=SimpleNamespace(seed=seed)), theorem, *where, 0) != seed_for(seed)


@given(st.sampled_from(["true", "True", "TRUE", "yes", "1", "false", "False", "no", "0", "No"]))
def test_strings_from_yaml_are_read_as_the_flags_read_them(text):
    """`greedy: 'false'` in YAML is false, as `--no-greedy` is; a string is never true for being non-empty."""
    assert _coerce(text, bool, "greedy") is (text.lower() in ("true", "yes", "1"))


def test_every_setting_is_fingerprinted_or_declared_harmless():
    """A setting that changes what a run produces is in its fingerprint (a resume must keep it); one that
    only changes how it runs is declared so (``option(run=False)``). A new setting is fingerprinted unless it
    says otherwise, and declaring one harmless fails here until it is added to this list, read by a person."""
    import dataclasses

    from prover.config import SearchConfig, TrainConfig

    harmless = {
        SearchConfig: {"sampler", "greedy", "batch_theorems", "tensor_parallel_size", "engines", "gpu_memory_utilization",
                       "engine_kwargs", "output_dir", "resume", "override_settings", "ray", "timeout", "workers",
                       "memory_mb", "backend"},
        TrainConfig: {"gradient_checkpointing", "per_device_batch_size", "output_dir", "save_steps", "save_total_limit",
                      "logging_steps", "resume", "report_to", "override_settings",
                      "score_batch_size",  # the confidence filter's scoring batches: the same step (a test says so)
                      "bf16"},  # precision resolves per machine ('auto'): a resume on another GPU may change it
    }  # fmt: skip
    for cls, expected in harmless.items():
        declared = {f.name for f in dataclasses.fields(cls) if not f.metadata.get("run", True)}
        extra = declared - expected
        assert not extra, f"{cls.__name__}: {sorted(extra)} declared harmless: say why here, or fingerprint them"
        assert declared == expected, f"{cls.__name__}: {sorted(expected - declared)} are fingerprinted now"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=64), min_size=1, max_size=4), st.data())
def test_the_model_fingerprint_changes_when_any_byte_of_any_file_changes(tmp_path_factory, contents, data):
    """Size and time kept as they were (a retrained model written over the old one, `cp -p`, a copy)."""
    model = tmp_path_factory.mktemp("model")
    for i, content in enumerate(contents):
        (model / f"w{i}.safetensors").write_bytes(content)
    before = model_fingerprint(str(model))
    i = data.draw(st.integers(0, len(contents) - 1))
    at = data.draw(st.integers(0, len(contents[i]) - 1))
    path = model / f"w{i}.safetensors"
    stat = path.stat()
    changed = bytearray(contents[i])
    changed[at] ^= 1 << data.draw(st.integers(0, 7))
    path.write_bytes(bytes(changed))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert model_fingerprint(str(model)) != before
    path.write_bytes(contents[i])
    assert model_fingerprint(str(model)) == before  # the same weights: the same fingerprint
