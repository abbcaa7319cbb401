"""The shell recipes and multi-process training run end to end on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from conftest import DATA, ROOT

pytestmark = pytest.mark.slow  # each test runs processes end to end


def test_train_script_tiny_smoke_run_reads_its_settings_and_passes_its_arguments(tmp_path):
    """One run of the script: settings from the environment (TINY, LOSS, OUT, PYTHON), the arguments after
    them passed to `prover train` (a later --max_steps wins over MAX_STEPS), the final model printed last."""
    env = {k: v for k, v in os.environ.items() if k not in ("MODEL", "MAX_STEPS")}
    out = tmp_path / "run"
    env.update(TINY="1", OUT=str(out), LOSS="dco_step", PYTHON=sys.executable)
    result = subprocess.run(["bash", "scripts/train_prover.sh", "--max_steps", "2"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith(str(out / "final"))
    assert (out / "final" / "model.safetensors").is_file()
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2]
    assert "loss: dco_step" in (out / "config.yaml").read_text()


def test_train_script_without_model_says_what_to_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MODEL", "TINY")}
    result = subprocess.run(
        ["bash", "scripts/train_prover.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "set MODEL" in result.stderr


def _run(argv, env=None):
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def test_two_processes_take_the_same_step_as_one(tmp_path):
    """`accelerate launch` (the GPU-node entry point) with the shipped configs/accelerate/ddp.yaml: DDP over
    2 CPU processes (gloo) with the same global batch trains the single process's model, every step's
    metrics and the final parameters after 4 steps (a wrong gradient all-reduce changes both), and each
    rank's state is checkpointed."""
    common = ["train", "--tiny", "--data", str(DATA / "tactic_pairs.jsonl"), "--global_batch_size", "4",
              "--max_steps", "4", "--learning_rate", "1e-3", "--warmup_steps", "0", "--eval_fraction", "0",
              "--max_length", "256", "--loss", "dco_step", "--n_eff", "64", "--epsilon", "0"]  # fmt: skip
    one = tmp_path / "one"
    _run([sys.executable, "-m", "prover", "--log-level", "WARNING", *common, "--per_device_batch_size", "2",
          "--output_dir", str(one)])  # fmt: skip
    two = tmp_path / "two"
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    _run([sys.executable, "-m", "accelerate.commands.launch", "--config_file", "configs/accelerate/ddp.yaml",
          "--num_processes", "2", "-m", "prover", "--log-level", "WARNING", *common, "--per_device_batch_size", "1",
          "--output_dir", str(two)], env)  # fmt: skip
    first = [json.loads(line) for line in (one / "metrics.jsonl").read_text().splitlines()]
    second = [json.loads(line) for line in (two / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in second] == [1, 2, 3, 4]
    for a, b in zip(first, second):
        assert (b["loss"], b["ce"], b["weight"]) == pytest.approx((a["loss"], a["ce"], a["weight"]), rel=1e-4)
    from safetensors.torch import load_file

    single, parallel = load_file(one / "final" / "model.safetensors"), load_file(two / "final" / "model.safetensors")
    assert single.keys() == parallel.keys()
    for name in single:  # 4 AdamW steps of 1e-3 move a weight up to 4e-3; float noise is ~1e-6
        assert torch.allclose(single[name], parallel[name], rtol=0, atol=1e-5), name
    checkpoint = two / "checkpoint-4"
    assert {"data_state_0.json", "data_state_1.json", "model.safetensors", "config.json", "trainer_state.json"} <= {
        p.name for p in checkpoint.iterdir()
    }
    assert sorted(p.name for p in (checkpoint / "state").iterdir() if p.name.startswith("random_states")) == [
        "random_states_0.pkl",
        "random_states_1.pkl",
    ]
