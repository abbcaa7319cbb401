"""The run fingerprint: what a resume or a merge must find unchanged, and how a difference is named."""

from __future__ import annotations

from prover.config import SearchConfig
from prover.search.store import fingerprint_changes, run_fingerprint


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


def test_a_run_is_finished_when_every_theorem_has_its_attempts():
    from prover.search.records import unfinished

    assert unfinished({"a": [True, False], "b": [False, False]}, ["a", "b"], 2, False) is None
    why = unfinished({"a": [True, False], "b": []}, ["a", "b"], 2, False)
    assert why.startswith("unfinished: 2 of 4 attempts, 1 of 2 theorems done")
    assert unfinished({"a": [False]}, ["a"], 2, False) is not None  # killed mid-theorem
    # stop_on_first: a proved theorem is done whatever its count; an unproved one needs all n
    assert unfinished({"a": [False, True], "b": [False, False]}, ["a", "b"], 3, True) is not None
    assert unfinished({"a": [False, True], "b": [False] * 3}, ["a", "b"], 3, True) is None


def test_pass_at_k_is_given_only_where_it_is_estimable():
    from prover.search.records import estimate

    table, note = estimate({"a": [True, False], "b": [False, False]}, ["a", "b"], 2, False)
    assert table["2"]["pass_at_k"] == 0.5 and note == ""
    # more attempts for one theorem than another (n lowered with --override_settings, or an old run): none
    table, note = estimate({"a": [True, False, False], "b": [False, False]}, ["a", "b"], 2, False)
    assert table is None and "different numbers of attempts" in note
    table, note = estimate({"a": [True], "b": [False, False]}, None, None, False)  # no config to tell
    assert table is None and "different numbers of attempts" in note
    assert estimate({"a": [True]}, ["a"], 2, True)[0] is None
