"""`prover merge` (prover/search/merge.py): shards written by the run store, merged into one run; what it
refuses, and that a refused or killed merge writes nothing."""

from __future__ import annotations

import json
import math
import os

import pytest

from prover.config import SearchConfig
from prover.search import merge as merge_module
from prover.search.merge import merge_runs
from prover.search.records import (
    Attempt,
    Greedy,
    Summary,
    Timing,
    Usage,
    read_attempts,
    read_greedy,
    read_summary,
)
from prover.search.store import RunStore, read_run_config

STATEMENTS = {"a": "ha", "b": "hb", "c": "hc"}


def shard(tmp_path, index: int, count: int, theorems: dict[str, list[bool]], usage: Usage | None = None,
          name: str | None = None, **settings) -> str:  # fmt: skip
    """A finished shard as search leaves it: config.json, attempts, greedy decodes, usage and summary."""
    directory = str(tmp_path / (name or f"s{index}"))
    cfg = SearchConfig(model="some/model", benchmark=str(tmp_path / "b.jsonl"), output_dir=directory, n=2,
                       shard=f"{index}/{count}", **settings)  # fmt: skip
    store = RunStore(cfg, {t: STATEMENTS[t] for t in theorems}, "hf")
    store.open(len(theorems))
    records = []
    for theorem, flags in theorems.items():
        for i in reversed(range(len(flags))):  # out of order, as rollout writes them
            status = "proved" if flags[i] else "rejected"
            records.append(Attempt(theorem, STATEMENTS[theorem], i, "whole", f"p{i}", [], [], status, "", "", 1, 0.0))
            store.append(records[-1])
        store.append_greedy(Greedy(theorem, proof="g", logprobs=[math.log(0.5)], correct=flags[0]))
    usage = usage or Usage(Timing(wall=1.0), tokens=10, lean_calls=2, sessions=1, proof_checks=2, checks_reused=0)
    store.save_usage(usage)
    store.write_summary(Summary.of(records, list(theorems), cfg, usage))
    return directory


def two_shards(tmp_path, **settings):
    u0 = Usage(Timing(1.0, 0.5, 0.25, 0.125, 2.0, 4.0), tokens=10, lean_calls=3, sessions=1, proof_checks=4, checks_reused=1)
    u1 = Usage(Timing(8.0, 16.0, 32.0, 64.0, 128.0, 256.0), tokens=20, lean_calls=5, sessions=2, proof_checks=6, checks_reused=2)
    return [shard(tmp_path, 0, 2, {"a": [False, True], "b": [False, False]}, u0, **settings),
            shard(tmp_path, 1, 2, {"c": [True, True]}, u1, **settings)]  # fmt: skip


def test_merged_shards_are_one_run_with_the_usage_summed(tmp_path):
    shards = two_shards(tmp_path)
    out = str(tmp_path / "merged")
    summary = merge_runs(shards, out)
    assert sorted((r.theorem, r.attempt, r.proved) for r in read_attempts(out)) == [
        ("a", 0, False), ("a", 1, True), ("b", 0, False), ("b", 1, False), ("c", 0, True), ("c", 1, True),
    ]  # fmt: skip
    assert [g.theorem for g in read_greedy(out)] == ["a", "b", "c"]
    assert (summary.theorems, summary.solved, summary.attempts) == (3, 2, 6)
    assert summary.pass_at_k["1"]["pass_at_k"] == pytest.approx(0.5) and summary.pass_at_k["2"]["pass_at_k"] == pytest.approx(2 / 3)
    assert summary.usage == Usage(Timing(9.0, 16.5, 32.25, 64.125, 130.0, 260.0), 30, 8, 3, 10, 3)
    assert summary.note == "seconds and tokens summed over the 2 shards"
    assert read_summary(out) == summary and json.loads((tmp_path / "merged" / "usage.json").read_text()) == summary.usage.to_json()
    config = read_run_config(out)
    assert config["config"]["shard"] == "" and config["config"]["output_dir"] == out and config["config"]["resume"] == ""
    assert config["merged_from"] == shards and config["shards"] == ["0/2", "1/2"] and config["theorems"] == 3
    assert config["fingerprint"]["statements"] == STATEMENTS
    assert config["fingerprint"]["settings"] == SearchConfig.from_saved(config["config"]).run_settings
    assert oct(os.stat(out).st_mode & 0o777) != oct(0o700)  # a run directory, not mkdtemp's private one


def test_a_merge_into_an_existing_empty_directory(tmp_path):
    shards = two_shards(tmp_path)
    (tmp_path / "empty").mkdir()
    assert merge_runs(shards, str(tmp_path / "empty")).attempts == 6


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda t: [shard(t, 0, 2, {"a": [True, False]}), shard(t, 1, 2, {"b": [False, False]}, top_p=0.5)],
         "s1 was run with other settings than {t}/s0: top_p"),
        (lambda t: [shard(t, 0, 2, {"a": [True, False]}), shard(t, 1, 2, {"b": [False, False]}, temperature=0.5, seed=3)],
         "s1 was run with other settings than {t}/s0: seed, temperature"),
        (lambda t: [shard(t, 0, 2, {"a": [True, False]})],
         "the 2 shards of this search are not all here: missing 1/2"),
        (lambda t: [shard(t, 0, 3, {"a": [True, False]}), shard(t, 2, 3, {"b": [True, False]})],
         "the 3 shards of this search are not all here: missing 1/3"),
        (lambda t: [shard(t, 0, 2, {"a": [True, False]}), shard(t, 0, 2, {"b": [True, False]}, name="again")],
         "the 2 shards of this search are not all here: missing 1/2; a shard is given twice"),
        (lambda t: [shard(t, 0, 2, {"a": [True, False]}), shard(t, 1, 3, {"b": [True, False]})],
         "merge needs the shards of one search (--shard i/n), got ['0/2', '1/3']"),
        (lambda t: [shard(t, 0, 2, {"a": [True, False]}), shard(t, 1, 2, {"b": [True]})],
         "s1: incomplete (1 of 1 theorems have attempts; b has 1 of 2): finish it with prover search --resume"),
        (lambda t: [shard(t, 0, 2, {"a": [True, False]}), shard(t, 1, 2, {"a": [True, False]})],
         "s1: attempt ('a', 1) is also in another shard"),
    ],
    ids=["one setting", "two settings", "missing", "missing middle", "twice", "two searches", "short", "overlap"],
)
def test_what_merge_refuses_is_named_and_nothing_is_written(tmp_path, make, message):
    shards = make(tmp_path)
    with pytest.raises(ValueError) as error:
        merge_runs(shards, str(tmp_path / "merged"))
    assert message.format(t=tmp_path) in str(error.value)
    assert not (tmp_path / "merged").exists()


def test_a_shard_missing_a_theorem_is_incomplete(tmp_path):
    shards = two_shards(tmp_path)
    config = read_run_config(shards[1])
    (tmp_path / "s1" / "config.json").write_text(json.dumps({**config, "theorems": 2}))
    with pytest.raises(ValueError, match=r"s1: incomplete \(1 of 2 theorems have attempts\)"):
        merge_runs(shards, str(tmp_path / "merged"))


def test_stop_on_first_shards_may_stop_at_the_first_proof(tmp_path):
    shards = [shard(tmp_path, 0, 2, {"a": [True]}, stop_on_first=True),
              shard(tmp_path, 1, 2, {"b": [False, False]}, stop_on_first=True)]  # fmt: skip
    summary = merge_runs(shards, str(tmp_path / "merged"))
    assert summary.attempts == 3 and summary.solved == 1 and summary.pass_at_k is None


@pytest.mark.parametrize("part, named", [("model", "the model's files"), ("sampler", "the sampler"),
                                         ("policy_version", "the acceptance rules")])  # fmt: skip
def test_shards_must_share_model_sampler_and_rules(tmp_path, part, named):
    shards = two_shards(tmp_path)
    config = read_run_config(shards[1])
    config["fingerprint"][part] = {"other": 1}
    (tmp_path / "s1" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError) as error:
        merge_runs(shards, str(tmp_path / "merged"))
    assert str(error.value).endswith(f"other settings than {shards[0]}: {named}")


def test_a_non_empty_output_is_refused(tmp_path):
    shards = two_shards(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("")
    with pytest.raises(ValueError, match="not empty; merge into a new directory"):
        merge_runs(shards, str(tmp_path / "out"))


def test_a_merge_killed_while_writing_leaves_nothing_behind(tmp_path, monkeypatch):
    shards = two_shards(tmp_path)

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(merge_module, "write_record", killed)
    with pytest.raises(KeyboardInterrupt):
        merge_runs(shards, str(tmp_path / "merged"))
    assert sorted(os.listdir(tmp_path)) == ["s0", "s1"]


def test_shards_checked_by_different_leans_are_refused(tmp_path):
    shards = two_shards(tmp_path)
    config = read_run_config(shards[1])
    config["fingerprint"]["lean"] = "Lean 4.36.0 (/opt/lean)"
    (tmp_path / "s1" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="other settings than .*: the Lean that checks proofs$"):
        merge_runs(shards, str(tmp_path / "merged"))


@pytest.mark.parametrize(
    "shards, message",
    [
        (["0/3"], "the 3 shards of this search are not all here: missing 1/3, 2/3"),
        (["0/2", "0/2", "1/2"], "the 2 shards of this search are not all here: missing none; a shard is given twice"),
        (["0/2", ""], "merge needs the shards of one search (--shard i/n), got ['', '0/2']"),
    ],
)
def test_the_set_of_shards_is_named_exactly(tmp_path, shards, message):
    directories = []
    for i, shard_id in enumerate(shards):
        directory = shard(tmp_path, 0, 2, {"a": [True, False]}, name=f"d{i}")
        config = read_run_config(directory)
        if shard_id:
            config["config"]["shard"] = shard_id
        else:
            del config["config"]["shard"]  # an unsharded run
        (tmp_path / f"d{i}" / "config.json").write_text(json.dumps(config))
        directories.append(directory)
    with pytest.raises(ValueError) as error:
        merge_runs(directories, str(tmp_path / "merged"))
    assert str(error.value) == message


def test_shards_of_an_older_version_merge(tmp_path):
    """config.json without a fingerprint, without statements in it, or without the theorem count."""
    shards = two_shards(tmp_path)
    for i, drop in ((0, ["fingerprint"]), (1, ["fingerprint", "theorems"])):
        config = read_run_config(shards[i])
        for key in drop:
            del config[key]
        (tmp_path / f"s{i}" / "config.json").write_text(json.dumps(config))
    assert merge_runs(shards, str(tmp_path / "m1")).attempts == 6
    merged = read_run_config(str(tmp_path / "m1"))
    assert merged["fingerprint"] is None and merged["shards"] == ["0/2", "1/2"]
    shards = two_shards(tmp_path / "again")
    for i in (0, 1):
        config = read_run_config(shards[i])
        del config["fingerprint"]["statements"]
        (tmp_path / "again" / f"s{i}" / "config.json").write_text(json.dumps(config))
    merge_runs(shards, str(tmp_path / "m2"))
    assert read_run_config(str(tmp_path / "m2"))["fingerprint"]["statements"] == {}


def test_a_setting_only_one_shard_has_is_a_difference(tmp_path):
    shards = two_shards(tmp_path)
    config = read_run_config(shards[1])
    del config["config"]["top_p"]
    (tmp_path / "s1" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="other settings than .*: top_p$"):
        merge_runs(shards, str(tmp_path / "merged"))


def test_the_merged_config_is_the_first_shards_and_laid_out_as_a_runs(tmp_path):
    shards = [shard(tmp_path, 0, 2, {"a": [True, False]}, workers=3), shard(tmp_path, 1, 2, {"b": [False, False]}, workers=5)]
    out = tmp_path / "merged"
    merge_runs(shards, str(out))
    text = (out / "config.json").read_text()
    assert json.loads(text)["config"]["workers"] == 3 and text == json.dumps(json.loads(text), indent=1)


def test_the_merge_is_staged_beside_its_output_with_a_run_directorys_mode(tmp_path, monkeypatch):
    shards = two_shards(tmp_path)
    staged = []
    write_records = merge_module.write_records
    monkeypatch.setattr(merge_module, "write_records", lambda path, records: staged.append(path) or write_records(path, records))
    out = tmp_path / "out" / "merged"
    merge_runs(shards, str(out))
    assert {os.path.dirname(os.path.dirname(p)) for p in staged} == {str(tmp_path / "out")}
    assert all(os.path.basename(os.path.dirname(p)).startswith(".merge-") for p in staged)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(out).st_mode & 0o777 == 0o777 & ~umask


def test_a_stop_on_first_merge_says_both_notes(tmp_path):
    shards = [shard(tmp_path, 0, 2, {"a": [True]}, stop_on_first=True),
              shard(tmp_path, 1, 2, {"b": [False, False]}, stop_on_first=True)]  # fmt: skip
    assert merge_runs(shards, str(tmp_path / "merged")).note == (
        "stop_on_first: attempts stopped at the first proof, so only solved / theorems is estimable; "
        "seconds and tokens summed over the 2 shards"
    )


def test_what_shards_may_differ_in_beyond_settings_is_the_first_shards_in_the_merged_config(tmp_path):
    shards = two_shards(tmp_path)
    config = read_run_config(shards[1])
    config["versions"] = {**config["versions"], "torch": "0.0-other"}
    (tmp_path / "s1" / "config.json").write_text(json.dumps(config))
    merge_runs(shards, str(tmp_path / "merged"))
    assert read_run_config(str(tmp_path / "merged"))["versions"] == read_run_config(shards[0])["versions"]
