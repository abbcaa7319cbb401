"""The trainer end to end on a tiny random model: every loss trains, loss falls, checkpoints reload,
resume equals the uninterrupted run, a SIGKILL loses no checkpoint, the confidence filter keeps batches full."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import DATA, ROOT

from prover.checkpoint import find_checkpoint
from prover.config import TrainConfig
from prover.records import read_jsonl
from prover.train import AllConfident, ProverTrainer, UnitSampler, UnitStream, run_train


def config(tmp_path, **overrides) -> TrainConfig:
    settings = dict(
        tiny=True,
        data=str(DATA / "tactic_pairs.jsonl"),
        output_dir=str(tmp_path / "run"),
        global_batch_size=4,
        per_device_batch_size=2,
        max_steps=3,
        learning_rate=1e-3,
        warmup_steps=0,
        eval_fraction=0.2,
        save_steps=100,
        max_length=256,
    )
    settings.update(overrides)
    return TrainConfig(**settings)


def metrics(cfg: TrainConfig) -> list[dict]:
    return list(read_jsonl(os.path.join(cfg.output_dir, "metrics.jsonl")))


@pytest.mark.parametrize(
    ("loss", "data"),
    [
        ("ce", "tactic_pairs.jsonl"),
        ("dco", "tactic_pairs.jsonl"),
        ("dco_step", "tactic_pairs.jsonl"),
        ("dco", "whole_proofs.jsonl"),
    ],
)
def test_every_loss_trains_every_parameter(tmp_path, loss, data):
    cfg = config(tmp_path, loss=loss, data=str(DATA / data), n=64, epsilon=0.0)
    trainer = ProverTrainer(cfg)
    before = {name: p.detach().clone() for name, p in trainer.model.named_parameters()}
    trainer.train()
    for name, p in trainer.model.named_parameters():
        assert not torch.equal(before[name], p.detach()), f"{name} did not change"
    rows = metrics(cfg)
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in rows)
    assert "eval_ce" in rows[-1] and "eval_logp" in rows[-1]


def test_training_loss_falls(tmp_path):
    cfg = config(
        tmp_path, loss="dco", n=16, max_steps=40, learning_rate=3e-3, eval_fraction=0.0, save_steps=1000
    )
    run_train(cfg)
    losses = [r["loss"] for r in metrics(cfg)]
    assert sum(losses[-5:]) / 5 < 0.6 * sum(losses[:5]) / 5


def test_final_model_and_checkpoint_reload(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    cfg = config(tmp_path, loss="dco_step", max_steps=4, save_steps=2)
    trainer = ProverTrainer(cfg)
    final = trainer.train()
    model = AutoModelForCausalLM.from_pretrained(final)
    tokenizer = AutoTokenizer.from_pretrained(final)
    ids = tokenizer("n : ℕ\n⊢ n + 0 = n:::", return_tensors="pt")["input_ids"]
    trainer.model.eval()
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, trainer.model(ids).logits, atol=1e-6)
    assert sorted(os.listdir(cfg.output_dir)) == [
        "checkpoint-2",
        "checkpoint-4",
        "config.yaml",
        "final",
        "metrics.jsonl",
    ]


def test_resume_continues_exactly_like_the_uninterrupted_run(tmp_path):
    full = config(tmp_path / "full", loss="dco", n=8, max_steps=6, save_steps=3, epsilon=0.0)
    run_train(full)
    resumed = config(tmp_path / "resumed", loss="dco", n=8, max_steps=6, save_steps=3, epsilon=0.0)
    resumed.resume = os.path.join(full.output_dir, "checkpoint-3")
    run_train(resumed)
    expected = {r["step"]: r for r in metrics(full)}
    for row in metrics(resumed):
        for key in ("loss", "ce", "logp", "weight", "lr"):
            assert row[key] == pytest.approx(expected[row["step"]][key], rel=1e-9, abs=1e-12), (
                row["step"],
                key,
            )
    assert [r["step"] for r in metrics(resumed)] == [4, 5, 6]


def test_resume_latest_skips_unfinished_checkpoints(tmp_path):
    cfg = config(tmp_path, max_steps=4, save_steps=2)
    run_train(cfg)
    os.makedirs(os.path.join(cfg.output_dir, "checkpoint-9.tmp"))  # a save killed half-way
    os.makedirs(os.path.join(cfg.output_dir, "checkpoint-8"))  # renamed, but without its state file
    assert find_checkpoint(cfg.output_dir, "latest") == os.path.join(cfg.output_dir, "checkpoint-4")
    with pytest.raises(ValueError, match="not a complete checkpoint"):
        find_checkpoint(cfg.output_dir, os.path.join(cfg.output_dir, "checkpoint-8"))


def test_sigkill_loses_no_checkpoint_and_resume_finishes(tmp_path):
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "prover", "--log-level", "WARNING", "train", "--tiny", "--data", str(DATA / "tactic_pairs.jsonl"),
            "--output_dir", str(out), "--global_batch_size", "4", "--per_device_batch_size", "2", "--max_steps", "400",
            "--save_steps", "1", "--learning_rate", "1e-3", "--eval_fraction", "0", "--max_length", "256"]  # fmt: skip
    process = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not os.path.isdir(out / "checkpoint-3") and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    last = find_checkpoint(str(out), "latest")
    assert last is not None
    step = int(last.rsplit("-", 1)[1])
    assert step >= 3
    cfg = TrainConfig(tiny=True, data=str(DATA / "tactic_pairs.jsonl"), output_dir=str(out), global_batch_size=4,
                      per_device_batch_size=2, max_steps=step + 2, save_steps=1, learning_rate=1e-3,
                      eval_fraction=0.0, max_length=256, resume="latest")  # fmt: skip
    run_train(cfg)
    steps = [r["step"] for r in metrics(cfg)]
    assert steps == list(range(1, step + 3))  # each step exactly once: none lost, none duplicated


def _stream(n):
    return UnitStream(n, seed=0)


def test_stream_is_a_permutation_per_epoch_and_reproducible():
    a, b = _stream(10), _stream(10)
    first = [a.next() for _ in range(10)]
    assert sorted(first) == list(range(10)) and first == [b.next() for _ in range(10)]
    second = [a.next() for _ in range(10)]
    assert sorted(second) == list(range(10)) and second != first and a.epoch == 1


def test_streams_of_two_ranks_split_each_epoch():
    ranks = [UnitStream(10, seed=3, rank=r, world=2) for r in range(2)]
    seen = [u for stream in ranks for u in (stream.next() for _ in range(5))]
    assert sorted(seen) == list(range(10))


def test_filter_replaces_confident_units_and_keeps_the_batch_full():
    confident = {0, 2, 4, 6}
    sampler = UnitSampler(
        _stream(10), epsilon=0.1, score=lambda units: [0.05 if u in confident else 0.9 for u in units]
    )
    kept, drawn, dropped = sampler.draw(4)
    assert len(kept) == 4 and not set(kept) & confident
    assert drawn - dropped == 4 and dropped == drawn - 4


def test_filter_gives_up_when_everything_is_confident():
    sampler = UnitSampler(_stream(5), epsilon=0.1, score=lambda units: [0.01] * len(units))
    with pytest.raises(AllConfident):
        sampler.draw(2)


def test_filter_in_training_drops_confident_units(tmp_path):
    """Memorisable units (one short tactic) become confident; they are replaced and the batch stays full."""
    data = tmp_path / "pairs.jsonl"
    lines = [{"state": f"h{i} : p\n⊢ p", "tactic": "assumption"} for i in range(12)]
    lines += [{"state": f"⊢ {i} = {i}", "tactic": f"exact rfl -- {i} {'x' * i}"} for i in range(12)]
    data.write_text("".join(json.dumps(r) + "\n" for r in lines))
    cfg = config(
        tmp_path,
        data=str(data),
        loss="dco_step",
        n_eff=64,
        epsilon=0.5,
        max_steps=30,
        learning_rate=1e-2,
        eval_fraction=0.0,
    )
    run_train(cfg)
    rows = metrics(cfg)
    assert all(r["examples"] == cfg.global_batch_size for r in rows)
    assert sum(r["dropped"] for r in rows) > 0 and rows[0]["dropped"] == 0


def test_lora_trains_only_adapters_and_resumes(tmp_path):
    cfg = config(
        tmp_path, loss="dco", lora=True, lora_r=4, lora_alpha=8, max_steps=4, save_steps=2, epsilon=0.0
    )
    trainer = ProverTrainer(cfg)
    frozen = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if not p.requires_grad}
    adapters = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert frozen and adapters and all("lora_" in n for n in adapters)
    trainer.train()
    params = dict(trainer.model.named_parameters())
    assert all(torch.equal(frozen[n], params[n].detach()) for n in frozen)
    assert any(not torch.equal(adapters[n], params[n].detach()) for n in adapters)
    assert os.path.isfile(os.path.join(cfg.output_dir, "final", "adapter_model.safetensors"))
    resumed = config(
        tmp_path / "again",
        loss="dco",
        lora=True,
        lora_r=4,
        lora_alpha=8,
        max_steps=4,
        save_steps=2,
        epsilon=0.0,
    )
    resumed.resume = os.path.join(cfg.output_dir, "checkpoint-2")
    run_train(resumed)
    expected = {r["step"]: r["loss"] for r in metrics(cfg)}
    assert [r["step"] for r in metrics(resumed)] == [3, 4]
    for row in metrics(resumed):
        assert row["loss"] == pytest.approx(expected[row["step"]], rel=1e-6)


def test_gradient_checkpointing_gives_the_same_step(tmp_path):
    plain = config(tmp_path / "plain", loss="dco_step", max_steps=2, epsilon=0.0)
    checkpointed = config(
        tmp_path / "ckpt", loss="dco_step", max_steps=2, epsilon=0.0, gradient_checkpointing=True
    )
    run_train(plain)
    run_train(checkpointed)
    for a, b in zip(metrics(plain), metrics(checkpointed)):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-5)


def test_benchmark_statements_are_kept_out_of_training(tmp_path):
    from conftest import MINIF2F

    if not MINIF2F.is_file():
        pytest.skip(f"MiniF2F copy not found at {MINIF2F}")
    record = json.loads(MINIF2F.read_text(encoding="utf-8").splitlines()[0])
    data = tmp_path / "proofs.jsonl"
    data.write_text(
        json.dumps({"formal_statement": record["formal_statement"], "proof": " sorry"})
        + "\n"
        + (DATA / "whole_proofs.jsonl").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    trainer = ProverTrainer(config(tmp_path, data=str(data), benchmark=str(MINIF2F), eval_fraction=0.0))
    assert trainer.data.stats["contaminated"] == 1 and len(trainer.data.units) == 9


def test_any_causal_lm_by_local_path(tmp_path, tiny_tokenizer, tiny_model):
    """The non-tiny path: a model directory as users pass it (here a tiny one saved locally)."""
    model_dir = tmp_path / "base"
    tiny_model.save_pretrained(model_dir)
    tiny_tokenizer.save_pretrained(model_dir)
    cfg = config(tmp_path, tiny=False, model=str(model_dir), loss="dco", n=4, max_steps=2)
    trainer = ProverTrainer(cfg)
    assert next(trainer.model.parameters()).dtype == torch.float32
    assert trainer.data.tokenizer.get_vocab() == tiny_tokenizer.get_vocab()
    final = trainer.train()
    assert os.path.isfile(os.path.join(final, "model.safetensors"))
