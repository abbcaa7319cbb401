"""The over-confidence benchmark's pipeline on a reduced setting: it runs, its outputs are well formed, and
its numbers do not depend on threads or the processor's kernels once pinned (the full run is a benchmark,
not a test)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # each test runs processes end to end


def _quick(out, **env) -> dict:
    script = ROOT / "benchmarks" / "overconfidence" / "run.py"
    done = subprocess.run([sys.executable, str(script), "--quick", "--out", str(out)], cwd=ROOT,
                          env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def reduced_runs(tmp_path_factory):
    """Two reduced runs, one after the other (at once they take longer: two threads on a tiny model contend
    for two cores): one thread with ATen held to AVX2, and two threads with MKL and oneDNN held to AVX2
    (another processor, as far as one machine can play it). Their folders and results."""
    root = tmp_path_factory.mktemp("oc")
    runs = {
        "one": dict(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", ATEN_CPU_CAPABILITY="avx2"),
        "two": dict(OMP_NUM_THREADS="2", MKL_NUM_THREADS="2", MKL_ENABLE_INSTRUCTIONS="AVX2", ONEDNN_MAX_CPU_ISA="AVX2"),
    }  # fmt: skip
    return {name: (root / name, _quick(root / name, **env)) for name, env in runs.items()}


def test_pinned_kernels_give_the_same_numbers_whatever_the_threads_and_the_processors_kernels(reduced_runs):
    """What the benchmarks' numbers depend on, and that pinning the kernels removes it: the same numbers to
    the last bit under 1 and 2 threads and with MKL held to AVX2, and results.json records what it ran on
    (benchmarks/measured_on.py says why)."""
    (_, one), (_, two) = reduced_runs["one"], reduced_runs["two"]
    for run, threads in ((one, 1), (two, 2)):
        env = run["environment"]
        assert env["torch_threads"] == threads and env["packages"]["torch"] and env["processor"]
        assert env["blas"]["pinned"] and env["blas"]["cpu_capability"] == "DEFAULT" and env["blas"]["MKL_CBWR"] == "COMPATIBLE"
    assert one["runs"] == two["runs"]  # every number, floats to the last bit: greedy probabilities too
    assert any(e["greedy_confidence"]["wrong"] or e["greedy_confidence"]["correct"] for r in one["runs"] for e in r["epochs"])


def test_reduced_run_writes_well_formed_results(reduced_runs):
    tmp_path, results = reduced_runs["one"]
    assert {(r["method"], r["n_prime"]) for r in results["runs"]} == {("ce", None), ("dco", 256)}
    for run in results["runs"]:
        assert isinstance(run["seed"], int) and [e["epoch"] for e in run["epochs"]] == [1, 2]
        for epoch in run["epochs"]:
            assert set(epoch["pass_at"]) == {"1", "4", "16", "64", "256"}
            values = [epoch["pass_at"][k] for k in ("1", "4", "16", "64", "256")]
            assert all(0.0 <= v <= 1.0 for v in values) and values == sorted(values)  # pass@k grows with k
            confidence = epoch["greedy_confidence"]
            assert (
                set(confidence) == {"correct", "wrong"}
                and len(confidence["correct"]) + len(confidence["wrong"]) == results["test_problems"]
            )
            assert all(0.0 <= p <= 1.0 for p in confidence["correct"] + confidence["wrong"])
            by_operation = epoch["by_operation"]
            assert set(by_operation) == set(results["task"]) == {"+", "*%"}
            assert sum(o["problems"] for o in by_operation.values()) == results["test_problems"]
            for k in ("1", "256"):  # the whole is the problem-weighted mean of its operations
                whole = sum(o["problems"] * o["pass_at"][k] for o in by_operation.values())
                assert abs(whole / results["test_problems"] - epoch["pass_at"][k]) < 1e-9
    report = (tmp_path / "results.md").read_text()
    assert "| CE | 1 |" in report and "## `a * b mod 11` problems only" in report
    assert (tmp_path / "pass_at_k.png").stat().st_size > 0 and (
        tmp_path / "confidence.png"
    ).stat().st_size > 0
    assert not (tmp_path / "work").exists()  # checkpoints are not left behind


def test_exact_answer_probability_matches_sampling(tmp_path):
    """The benchmark draws pass@k from p(answer + eos) instead of generating: real temperature-1 samples of
    a trained model must hit the answer at that rate."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("oc_run", ROOT / "benchmarks" / "overconfidence" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from prover.config import TrainConfig
    from prover.search.samplers import HFSampler
    from prover.train.loop import run_train

    train, _, _ = bench.make_task("mix", 11, [0.6, 0.35], 0, 0)
    data = tmp_path / "train.jsonl"
    bench.write_training_data(train, 11, str(data))
    model_dir = run_train(
        TrainConfig(
            tiny=True, data=str(data), data_kind="tactic", output_dir=str(tmp_path / "run"), max_steps=300,
            global_batch_size=16, per_device_batch_size=16, learning_rate=3e-3, warmup_steps=0,
            eval_fraction=0.0, save_steps=1000, logging_steps=1000, max_length=64, seed=0,
        )
    )  # fmt: skip
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    problems = train[:6]
    prompts = [bench.prompt(p, 11) for p in problems]
    answers = [bench.answer(p, 11) for p in problems]
    p = bench.answer_probabilities(model, tokenizer, prompts, answers).tolist()
    assert max(p) > 0.2 and min(p) < 0.95, p  # a range where a wrong p would show
    n = 600
    samples = HFSampler(model, tokenizer).generate(
        prompts, n, temperature=1.0, top_p=1.0, max_tokens=6, seed=list(range(len(prompts)))
    )
    for expected, completions, text in zip(p, samples, answers):
        hits = sum(c.text.strip() == text for c in completions)
        tolerance = 5 * math.sqrt(expected * (1 - expected) / n) + 0.01
        assert abs(hits / n - expected) <= tolerance, (text, hits / n, expected)
