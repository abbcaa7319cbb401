"""Rollout and tree search with real Lean (marked `lean`; skipped unless PROVER_LEAN_PROJECT points to a
built lean_project/): a tiny model trained here to emit the right tactics proves core-Lean theorems,
and every proof is accepted by the verifier. PROVER_TEST_HEADER="" runs it without Mathlib."""

from __future__ import annotations

import json
import os

import pytest

from prover.config import SearchConfig, TrainConfig
from prover.io import read_jsonl
from prover.search.run import Search
from prover.train.loop import run_train
from prover.verify.policy import Reference

from .conftest import TEST_HEADER, requires_lean_project, write_benchmark

pytestmark = requires_lean_project
HEADER = TEST_HEADER
THEOREMS = [
    ("comm", "theorem comm (a b : Nat) : a + b = b + a := by", ["a b : {N}\n⊢ a + b = b + a"], "omega"),
    ("four", "theorem four : 2 + 2 = 4 := by", ["⊢ 2 + 2 = 4"], "decide"),
    (
        "app",
        "theorem app (xs : List Nat) : (xs ++ []).length = xs.length := by",
        ["xs : List {N}\n⊢ (xs ++ []).length = xs.length"],
        "simp",
    ),
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("lean_search")
    pairs = root / "pairs.jsonl"
    with pairs.open("w") as handle:
        for _, _, states, tactic in THEOREMS:
            for state in states:
                for nat in ("ℕ", "Nat"):  # Mathlib prints ℕ, core Lean Nat
                    handle.write(json.dumps({"state": state.format(N=nat), "tactic": tactic}) + "\n")
    model = run_train(TrainConfig(tiny=True, data=str(pairs), loss="ce", output_dir=str(root / "train"), global_batch_size=6,
                                  per_device_batch_size=6, max_steps=150, learning_rate=3e-3, warmup_steps=0,
                                  eval_fraction=0.0, save_steps=1000, max_length=256))  # fmt: skip
    bench = write_benchmark(root / "bench.jsonl", [Reference(n, s, HEADER) for n, s, _, _ in THEOREMS])
    return model, bench


@pytest.mark.parametrize("strategy", ["rollout", "tree"])
def test_search_proves_core_theorems(tmp_path, setup, strategy):
    model, bench = setup
    cfg = SearchConfig(model=model, benchmark=str(bench), strategy=strategy, sampler="hf", n=4, branching=2, expansions=4,
                       max_tactics=3, max_tokens_tactic=8, output_dir=str(tmp_path / strategy), timeout=120)  # fmt: skip
    summary = Search(cfg).run()
    attempts = list(read_jsonl(os.path.join(cfg.output_dir, "attempts.jsonl")))
    assert summary.solved == 3, attempts
    assert all(a["verdict"] == "ok" for a in attempts if a["status"] == "proved")
