"""The run directory (prover/search/store.py): what a new run writes, when a resume is refused or recorded,
and the run fingerprint: what a resume or a merge must find unchanged, and how a difference is named."""

from __future__ import annotations

import hashlib
import json
import logging
import os

import pytest

from prover.config import SearchConfig
from prover.search.records import Attempt, Greedy, Summary, Timing, Usage, read_summary
from prover.search.store import (
    RunStore,
    done_and_solved,
    fingerprint_changes,
    model_fingerprint,
    read_run_config,
    run_fingerprint,
)


def fingerprint(tmp_path, engine="hf", statements=None, **settings):
    settings = {
        "model": "some/model",
        "benchmark": str(tmp_path / "b.jsonl"),
        "output_dir": str(tmp_path),
        **settings,
    }
    cfg = SearchConfig(**settings)
    return run_fingerprint(cfg, statements or {"a": "1", "b": "2"}, engine)


def test_the_same_run_has_no_changes_and_what_only_changes_how_it_runs_is_left_out(tmp_path):
    before = fingerprint(tmp_path)
    assert fingerprint_changes(before, fingerprint(tmp_path)) == []
    assert fingerprint_changes(before, fingerprint(tmp_path, workers=7, batch_theorems=3, timeout=5.0)) == []


def test_each_difference_is_named(tmp_path):
    before = fingerprint(tmp_path, engine="vllm")
    assert fingerprint_changes(before, fingerprint(tmp_path, engine="hf")) == [
        "the sampler (vllm --tensor_parallel_size 1 -> hf)"
    ]
    assert fingerprint_changes(before, fingerprint(tmp_path, engine="vllm", tensor_parallel_size=2)) == [
        "the sampler (vllm --tensor_parallel_size 1 -> vllm --tensor_parallel_size 2)"
    ]
    assert fingerprint_changes(before, fingerprint(tmp_path, engine="vllm", top_p=0.5)) == [
        "--top_p 0.95 -> 0.5"
    ]
    changed = fingerprint(tmp_path, engine="vllm", statements={"a": "9", "c": "3"})
    assert fingerprint_changes(before, changed) == [
        "statement changed: a",
        "theorem added: c",
        "theorem removed: b",
    ]
    older_rules = {**before, "policy_version": before["policy_version"] - 1}
    assert fingerprint_changes(older_rules, before) == [
        f"the acceptance rules (policy {before['policy_version'] - 1} -> {before['policy_version']})"
    ]


def test_a_local_model_is_known_by_its_files(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    (model / "model.safetensors").write_text("a")
    before = fingerprint(tmp_path, model=str(model))
    (model / "model.safetensors").write_text("ab")
    assert fingerprint_changes(before, fingerprint(tmp_path, model=str(model))) == [
        f"the model ({model} is not the one the run used)"
    ]


# --------------------------------------------------------------------------- the run directory


def store(tmp_path, statements=None, engine="hf", lean="", **settings):
    cfg = SearchConfig(**{"model": "some/model", "benchmark": str(tmp_path / "b.jsonl"),
                          "output_dir": str(tmp_path / "run"), "n": 2, **settings})  # fmt: skip
    return RunStore(cfg, statements or {"a": "1", "b": "2"}, engine, lean)


def attempt(theorem, index, status="rejected"):
    return Attempt(theorem, "h", index, "whole", "p", [], [], status, "", "", 1, 0.0)


def test_a_new_run_writes_what_it_was_sampled_with(tmp_path):
    (tmp_path / "b.jsonl").write_text('{"name": "a"}\n')
    run = store(tmp_path, lean="Lean 4.35.0 (embedded)")
    assert run.open(2) == []
    config = read_run_config(run.dir)
    assert config["config"]["n"] == 2 and config["theorems"] == 2 and "overrides" not in config
    assert config["fingerprint"] == run.fingerprint and config["fingerprint"]["lean"] == "Lean 4.35.0 (embedded)"
    assert config["benchmark_sha256"] == hashlib.sha256(b'{"name": "a"}\n').hexdigest()
    assert set(config["versions"]) == {"dco-prover", "torch", "transformers", "vllm"}
    assert config["versions"]["torch"] and config["versions"]["vllm"] is None  # not installed here
    other = store(tmp_path, output_dir=str(tmp_path / "other"), benchmark=str(tmp_path / "none.jsonl"))
    other.open(1)
    assert read_run_config(other.dir)["benchmark_sha256"] is None


def test_records_usage_and_summary_go_to_the_run(tmp_path):
    run = store(tmp_path)
    run.open(2)
    for record in (attempt("a", 0), attempt("a", 1, "proved"), attempt("b", 0)):
        run.append(record)
    run.append_greedy(Greedy("a", logprobs=[-0.5]))
    assert [r.attempt for r in run.attempts()] == [0, 1, 0] and run.greedy() == [Greedy("a", logprobs=[-0.5])]
    assert run.usage() == Usage()
    run.save_usage(Usage(Timing(wall=2.0), tokens=3))
    assert run.usage() == Usage(Timing(wall=2.0), tokens=3)
    summary = Summary.of(run.attempts(), ["a", "b"], run.cfg, run.usage())
    run.write_summary(summary)
    assert read_summary(run.dir) == summary
    assert done_and_solved(run.attempts()) == ({"a": {0, 1}, "b": {0}}, {"a"})


def test_attempts_need_resume_and_a_resume_keeps_them(tmp_path):
    run = store(tmp_path)
    run.open(2)
    run.append(attempt("a", 0))
    with pytest.raises(ValueError, match=r"run already holds a run: pass --resume to continue it, or choose a new"):
        store(tmp_path)
    again = store(tmp_path, resume="latest")
    assert again.overrides == {} and [r.attempt for r in again.open(2)] == [0]


def test_open_cuts_the_torn_lines_a_kill_left(tmp_path):
    run = store(tmp_path)
    run.open(2)
    run.append(attempt("a", 0))
    run.append_greedy(Greedy("a"))
    for name in ("attempts.jsonl", "greedy.jsonl"):
        with open(os.path.join(run.dir, name), "a") as handle:
            handle.write('{"theorem": "a", "att')
    assert [r.attempt for r in store(tmp_path, resume="latest").open(2)] == [0]
    for name in ("attempts.jsonl", "greedy.jsonl"):
        assert open(os.path.join(run.dir, name)).read().endswith("}\n")


def test_resume_of_a_run_that_never_started(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert store(tmp_path, resume="latest").overrides == {}
    assert "--resume: no run in" in caplog.text and "starting one" in caplog.text
    with pytest.raises(ValueError, match=r"^--resume .*/x: not a search run directory \(no config.json\)$"):
        store(tmp_path, resume=str(tmp_path / "x"))


def test_attempts_without_a_config_need_override(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "attempts.jsonl").write_text(json.dumps(attempt("a", 0).to_json()) + "\n")
    with pytest.raises(ValueError, match="holds attempts but no config.json, so what they were sampled with is unknown"):
        store(tmp_path, resume="latest")
    assert store(tmp_path, resume="latest", override_settings=True).overrides == {}


def test_a_changed_resume_is_refused_or_recorded(tmp_path):
    run = store(tmp_path)
    run.open(2)
    run.append(attempt("a", 0))
    with pytest.raises(ValueError) as error:
        store(tmp_path, resume="latest", temperature=0.5)
    assert str(error.value).startswith(f"--resume: {run.dir} was run with other settings: --temperature 1.0 -> 0.5 (pass")
    first = store(tmp_path, resume="latest", temperature=0.5, override_settings=True)
    assert first.overrides == {"changes": ["--temperature 1.0 -> 0.5"], "before": []}
    first.open(2)
    second = store(tmp_path, resume="latest", temperature=0.25, override_settings=True)
    second.open(2)
    assert read_run_config(run.dir)["overrides"] == [{"changes": ["--temperature 1.0 -> 0.5"]},
                                                     {"changes": ["--temperature 0.5 -> 0.25"]}]  # fmt: skip


def test_a_run_config_without_a_fingerprint_is_compared_by_its_settings(tmp_path):
    run = store(tmp_path)
    run.open(2)
    run.append(attempt("a", 0))
    config = read_run_config(run.dir)
    del config["fingerprint"]
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))
    assert store(tmp_path, resume="latest", engine="vllm").overrides == {}  # only settings are known
    with pytest.raises(ValueError, match="--n 2 -> 3"):
        store(tmp_path, resume="latest", n=3)


@pytest.mark.parametrize("text, message", [("[1]", 'expected an object with a "config" object'),
                                           ('{"config": 1}', 'expected an object with a "config" object'),
                                           ("{", "not a run's config.json")])  # fmt: skip
def test_a_broken_run_config_is_named(tmp_path, text, message):
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(ValueError, match=f"config.json: {message}"):
        read_run_config(str(tmp_path))


def test_model_and_sampler_in_the_fingerprint(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "sub").mkdir()
    found = model_fingerprint(str(model))
    assert found["path"] == str(model) and list(found["files"]) == ["config.json"] and found["files"]["config.json"][0] == 2
    assert found["files"]["config.json"][1] == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"  # sha256 of {}
    assert model_fingerprint("org/name") == {"name": "org/name"}
    assert fingerprint(tmp_path, engine="hf")["sampler"] == {"engine": "hf"}
    assert fingerprint(tmp_path, engine="vllm")["sampler"] == {"engine": "vllm", "tensor_parallel_size": 1}


def test_lean_and_many_statements_are_named(tmp_path):
    before = run_fingerprint(SearchConfig(model="m", benchmark="b", output_dir=str(tmp_path)), {"a": "1"}, "hf", "Lean 4.35.0")
    now = run_fingerprint(SearchConfig(model="m", benchmark="b", output_dir=str(tmp_path)),
                          {"a": "1", **{f"t{i}": "x" for i in range(7)}}, "hf", "Lean 4.36.0")  # fmt: skip
    assert fingerprint_changes(before, now) == [
        "theorem added: t0, t1, t2, t3, t4 ...",
        "the Lean that checks proofs (Lean 4.35.0 -> Lean 4.36.0)",
    ]
    assert fingerprint_changes({**before, "lean": ""}, now)[1:] == []  # an older run did not record its Lean
    assert fingerprint_changes({"settings": before["settings"]}, now) == []  # nor its model, statements, ...


def test_what_differs_is_named_in_full(tmp_path):
    now = fingerprint(tmp_path, model="org/b", statements={f"t{i}": "x" for i in range(5)})
    before = {"model": {"name": "org/a"}, "sampler": {}, "statements": {}}  # no settings recorded
    assert fingerprint_changes(before, now) == [
        "the model (org/b is not the one the run used)",
        "the sampler (? -> hf)",
        "theorem added: t0, t1, t2, t3, t4",  # five: all named, no "..."
    ]


def test_a_resume_compares_the_whole_fingerprint_and_names_every_change(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        store(tmp_path, resume="latest")
    assert f"--resume: no run in {tmp_path / 'run'} yet; starting one" in caplog.text
    run = store(tmp_path, statements={"a": "1"})
    assert run.fingerprint["statements"] == {"a": "1"} and run.fingerprint["lean"] == ""
    run.open(1)
    run.append(attempt("a", 0))
    with pytest.raises(ValueError, match=r"other settings: the sampler \(hf -> vllm --tensor_parallel_size 1\) \(pass"):
        store(tmp_path, statements={"a": "1"}, resume="latest", engine="vllm")
    with pytest.raises(ValueError, match=r"other settings: --n 2 -> 3; --temperature 1.0 -> 0.5 \(pass"):
        store(tmp_path, statements={"a": "1"}, resume="latest", n=3, temperature=0.5)


def test_an_empty_attempts_file_is_no_attempts(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "attempts.jsonl").write_text("")
    assert store(tmp_path).open(2) == []


def test_the_files_a_person_reads_are_laid_out_alike(tmp_path):
    run = store(tmp_path)
    run.open(2)
    run.save_usage(Usage(tokens=1))
    run.write_summary(Summary.of([attempt("a", 0), attempt("a", 1)], ["a"], run.cfg, Usage()))
    for name in ("config.json", "usage.json", "summary.json"):
        text = (tmp_path / "run" / name).read_text()
        assert text == json.dumps(json.loads(text), indent=1), name


def test_a_whole_file_of_records_keeps_text_as_written(tmp_path):
    from prover.search.records import read_attempts
    from prover.search.store import write_records

    records = [attempt("α", 0), attempt("b", 1)]
    write_records(str(tmp_path / "attempts.jsonl"), records)
    text = (tmp_path / "attempts.jsonl").read_text(encoding="utf-8")
    assert text.count("\n") == 2 and text.endswith("}\n") and '"theorem": "α"' in text
    assert read_attempts(str(tmp_path)) == records


def test_model_files_are_listed_by_name(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    for name in ("tokenizer.json", "config.json", "model.safetensors"):
        (model / name).write_text(name)
    assert list(model_fingerprint(str(model))["files"]) == ["config.json", "model.safetensors", "tokenizer.json"]


def test_defaults_and_exact_words(tmp_path, caplog):
    cfg = SearchConfig(model="m", benchmark="b", output_dir=str(tmp_path / "run"), resume="latest")
    assert run_fingerprint(cfg, {}, "hf")["lean"] == "" and RunStore(cfg, {}, "hf").fingerprint["lean"] == ""
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"--resume: no run in {tmp_path / 'run'} yet; starting one"
    ]
    six = run_fingerprint(cfg, {f"t{i}": "x" for i in range(6)}, "hf")
    assert fingerprint_changes({**six, "statements": {}}, six) == ["theorem added: t0, t1, t2, t3, t4 ..."]
