"""The trainer end to end on a tiny random model: every loss trains, loss falls, checkpoints reload,
resume equals the uninterrupted run, a SIGKILL loses no checkpoint, the confidence filter keeps batches full."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import DATA, ROOT

from prover.config import TrainConfig
from prover.io import read_jsonl
from prover.train.checkpoint import find_checkpoint
from prover.train.loop import ProverTrainer, run_train


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
    cfg = config(
        tmp_path, loss=loss, data=str(DATA / data), epsilon=0.0, **({} if loss == "ce" else {"dco_n": 64})
    )
    trainer = ProverTrainer(cfg)
    before = {name: p.detach().clone() for name, p in trainer.model.named_parameters()}
    trainer.train()
    for name, p in trainer.model.named_parameters():
        assert not torch.equal(before[name], p.detach()), f"{name} did not change"
    rows = metrics(cfg)
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in rows)
    assert "eval_ce" in rows[-1] and "eval_logp" in rows[-1]


@pytest.mark.slow
def test_training_loss_falls(tmp_path):
    cfg = config(
        tmp_path, loss="dco", dco_n=16, max_steps=40, learning_rate=3e-3, eval_fraction=0.0, save_steps=1000
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


def linear_rate(step: int, peak: float, warmup: int, total: int) -> float:
    """The rate transformers' linear schedule gives optimizer step ``step`` (1-based: it uses the rate
    after ``step - 1`` scheduler steps)."""
    k = step - 1
    return peak * (k / warmup if k < warmup else max(0.0, (total - k) / (total - warmup)))


@pytest.mark.slow
def test_resume_across_an_epoch_boundary_with_evaluation_equals_the_uninterrupted_run(tmp_path):
    """The whole metrics.jsonl after the checkpoint, evaluations and learning rate included, with a
    schedule whose values are known: a resume that forgets when it last evaluated, or logs the rate one
    step late, differs."""
    settings = dict(loss="dco", dco_n=8, max_steps=12, save_steps=6, epsilon=0.0, lr_scheduler="linear",
                    warmup_steps=2, logging_steps=1)  # fmt: skip
    full = config(tmp_path / "full", **settings)
    run_train(full)
    resumed = config(tmp_path / "resumed", **settings, resume=os.path.join(full.output_dir, "checkpoint-6"))
    run_train(resumed)
    rows = {r["step"]: r for r in metrics(full)}
    assert [r["lr"] for r in rows.values()] == pytest.approx([linear_rate(s, 1e-3, 2, 12) for s in rows])
    evaluated = [s for s, r in rows.items() if "eval_ce" in r]
    assert 6 > evaluated[0] and any(6 < s < 12 for s in evaluated) and evaluated[-1] == 12  # an epoch each side
    for row in metrics(resumed):
        expected = rows[row["step"]]
        assert set(row) == set(expected), row["step"]
        for key in set(row) - {"tokens_per_s"}:
            assert row[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-12), (row["step"], key)
    assert [r["step"] for r in metrics(resumed)] == list(range(7, 13))


def test_resume_latest_skips_unfinished_checkpoints(tmp_path):
    cfg = config(tmp_path, max_steps=4, save_steps=2)
    run_train(cfg)
    os.makedirs(os.path.join(cfg.output_dir, "checkpoint-9.tmp"))  # a save killed half-way
    os.makedirs(os.path.join(cfg.output_dir, "checkpoint-8"))  # renamed, but without its state file
    assert find_checkpoint(cfg.output_dir, "latest") == os.path.join(cfg.output_dir, "checkpoint-4")
    with pytest.raises(ValueError, match="not a complete checkpoint"):
        find_checkpoint(cfg.output_dir, os.path.join(cfg.output_dir, "checkpoint-8"))


@pytest.mark.slow
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
    with pytest.raises(ValueError, match="--max_steps 400 -> "):  # a shorter run changes the schedule
        run_train(cfg)
    cfg.override_settings = True
    run_train(cfg)
    steps = [r["step"] for r in metrics(cfg)]
    assert steps == list(range(1, step + 3))  # each step exactly once: none lost, none duplicated
    (record,) = read_jsonl(str(out / "overrides.jsonl"))
    assert record["changed"] == {"max_steps": [400, step + 2]}


def test_a_run_directory_holds_one_run(tmp_path):
    cfg = config(tmp_path, max_steps=2, save_steps=1)
    run_train(cfg)
    before = sorted(p.name for p in (tmp_path / "run").iterdir())
    with pytest.raises(ValueError, match="already holds a run: pass --resume"):
        run_train(config(tmp_path, max_steps=3))
    other = config(tmp_path, max_steps=2, loss="ce", learning_rate=1e-2, resume="latest")
    with pytest.raises(ValueError, match=r"--loss 'dco' -> 'ce'; --learning_rate 0.001 -> 0.01"):
        run_train(other)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == before  # a refused command writes nothing
    # a checkpoint written before --n was renamed --dco_n still guards its budget
    saved = tmp_path / "run" / "checkpoint-2" / "config.yaml"
    text = saved.read_text()
    assert "\ndco_n: 16\n" in text
    saved.write_text(text.replace("\ndco_n: 16\n", "\nn: 8\n"))
    with pytest.raises(ValueError, match=r"--dco_n 8 -> 16"):
        run_train(config(tmp_path, max_steps=2, resume="latest"))


@pytest.mark.slow
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
    cfg = config(tmp_path, tiny=False, model=str(model_dir), loss="dco", dco_n=4, max_steps=2)
    trainer = ProverTrainer(cfg)
    assert next(trainer.model.parameters()).dtype == torch.float32
    assert trainer.data.tokenizer.get_vocab() == tiny_tokenizer.get_vocab()
    final = trainer.train()
    assert os.path.isfile(os.path.join(final, "model.safetensors"))


# --------------------------------------------------------------------------- the method where it trains


def _independent_logp(model, tokenized, rows) -> torch.Tensor:
    """log p(target | prompt) of each row, one unpadded forward each, in float64 (the test's own code)."""
    out = []
    with torch.no_grad():
        for i in rows:
            ids = torch.tensor([tokenized[i].input_ids])
            logprobs = torch.log_softmax(model(input_ids=ids).logits[0].double(), dim=-1)
            targets = range(tokenized[i].n_prompt, len(tokenized[i].input_ids))
            out.append(sum(logprobs[t - 1, tokenized[i].input_ids[t]] for t in targets))
    return torch.stack(out)


def _closed_form_f(logp: torch.Tensor, n: int) -> torch.Tensor:
    """F(N, p) = N p (1-p)^(N-1) / (1 - (1-p)^N), written out with 60 significant digits (mpmath)."""
    import mpmath

    mpmath.mp.dps = 60
    values = []
    for lp in logp.tolist():
        p = mpmath.exp(mpmath.mpf(lp))
        log_q = mpmath.log1p(-p)  # (1-p)^k = exp(k log(1-p)); 1 - (1-p)^N by expm1: exact for tiny p too
        values.append(float(n * p * mpmath.exp((n - 1) * log_q) / -mpmath.expm1(n * log_q)))
    return torch.tensor(values, dtype=torch.float64)


def _trainer_gradient(trainer, unit_ids):
    """The gradient the trainer hands its optimizer for one step over ``unit_ids`` (two micro-batches)."""
    half = len(unit_ids) // 2
    trainer.sampler.draw_step = lambda sizes: ([unit_ids[:half], unit_ids[half:]], len(unit_ids), 0)
    captured = {}
    step = trainer.optimizer.step

    def capture(*args, **kwargs):
        if trainer.accelerator.sync_gradients:
            captured["grads"] = [p.grad.detach().clone() for p in trainer.model.parameters()]
        return step(*args, **kwargs)

    trainer.optimizer.step = capture
    trainer.train_step()
    return captured["grads"]


@pytest.mark.parametrize(
    ("loss", "data", "by_trace"),
    [
        ("ce", "tactic_pairs.jsonl", False),
        ("dco_step", "tactic_pairs.jsonl", False),
        ("dco", "whole_proofs.jsonl", True),  # a whole proof is a trace of one step
        ("dco", "tactic_pairs.jsonl", True),  # whole-proof DCO over traces: F of the product of the steps
        ("dco_n1", "tactic_pairs.jsonl", True),  # N = 1 is CE
    ],
)
def test_the_trainers_gradient_is_f_times_the_ce_gradient(tmp_path, loss, data, by_trace):
    """The trainer's actual step, compared with F(N, p) x CE computed here from per-example log p."""
    import copy

    budgets = {} if loss == "ce" else {"dco_n": 2, "n_eff": 2}
    cfg = config(tmp_path, data=str(DATA / data), loss="dco" if loss == "dco_n1" else loss, **budgets,
                 epsilon=0.0, eval_fraction=0.0, max_grad_norm=0.0)  # fmt: skip
    trainer = ProverTrainer(cfg)
    tokenized, units = trainer.data.tokenized, trainer.data.units[:4]
    assert trainer.data.by_trace == by_trace
    rows = [i for u in units for i in u]
    logp = _independent_logp(trainer.model, tokenized, rows)
    unit_logp = torch.stack([logp[[rows.index(i) for i in u]].sum() for u in units])
    n = 1 if loss in ("ce", "dco_n1") else max(2, round(2 / logp.exp().max().item()))  # F from ~0.3 to ~1
    if loss != "ce":
        cfg.dco_n = cfg.n_eff = n  # the trainer reads N from its config at every step
    model = copy.deepcopy(trainer.model)
    grads = _trainer_gradient(trainer, list(range(4)))

    scored = unit_logp if by_trace else logp
    f = _closed_form_f(scored, n) if n > 1 else torch.ones_like(scored)
    if by_trace:  # every step of a trace gets F(N, p(proof))
        f = torch.cat([f[k].repeat(len(u)) for k, u in enumerate(units)])
    if n > 1:  # per-example weights that differ, and (over traces) differ from the per-step ones
        per_row = _closed_form_f(logp, n)
        traces = max(len(u) for u in units) > 1
        assert per_row.max() - per_row.min() > 0.2 and (not traces or (per_row - f).abs().max() > 0.2)
    lengths = torch.tensor([len(tokenized[i].input_ids) - tokenized[i].n_prompt for i in rows])
    model.zero_grad()
    ce = -torch.stack([_logp_with_grad(model, tokenized[i]) for i in rows]) / lengths
    (f.detach().float() * ce).sum().div(len(rows)).backward()
    for got, (name, param) in zip(grads, model.named_parameters()):
        assert torch.allclose(got, param.grad, rtol=1e-4, atol=1e-7), name


def _logp_with_grad(model, example) -> torch.Tensor:
    ids = torch.tensor([example.input_ids])
    logprobs = torch.log_softmax(model(input_ids=ids).logits[0], dim=-1)
    return sum(logprobs[t - 1, example.input_ids[t]] for t in range(example.n_prompt, len(example.input_ids)))


@pytest.mark.parametrize("loss", ["dco_step", "dco"])  # dco: units are traces, scored by p(proof)
def test_the_filter_drops_exactly_the_units_at_or_below_epsilon_under_the_current_weights(tmp_path, loss):
    cfg = config(tmp_path, loss=loss, dco_n=2, n_eff=2, epsilon=0.5, eval_fraction=0.0)
    trainer = ProverTrainer(cfg)
    units = trainer.data.units
    logp = _independent_logp(trainer.model, trainer.data.tokenized, range(len(trainer.data.tokenized)))
    unit_logp = torch.stack([logp[u].sum() for u in units])
    cfg.dco_n = cfg.n_eff = n = max(2, round(0.5 / unit_logp.exp().median().item()))
    f = _closed_form_f(unit_logp, n)
    ranked = sorted(f.tolist())
    gaps = [(b - a, (a + b) / 2) for a, b in zip(ranked, ranked[1:]) if 0.2 < (a + b) / 2 < 0.95]
    gap, cfg.epsilon = max(gaps)  # a threshold far from every unit's F
    assert gap > 1e-3 and 0 < sum(x <= cfg.epsilon for x in ranked) < len(units) - 4
    order = list(trainer.stream._current())
    batches, drawn, dropped = trainer.sampler.draw_step([2, 2])
    survivors = [u for u in order if f[u] > cfg.epsilon]
    assert [u for b in batches for u in b] == survivors[:4]  # the batch is refilled in stream order
    assert drawn == order.index(survivors[3]) + 1 + len(trainer.sampler.pending)
    assert dropped == sum(f[u] <= cfg.epsilon for u in order[:drawn])


@pytest.mark.slow
def test_num_epochs_counts_units_trained_and_passes_are_reported(tmp_path):
    cfg = config(tmp_path, loss="dco_step", n_eff=64, epsilon=0.5, max_steps=-1, num_epochs=4, learning_rate=1e-2,
                 eval_fraction=0.0)  # fmt: skip
    run_train(cfg)
    rows = metrics(cfg)
    n_units = sum(1 for line in (DATA / "tactic_pairs.jsonl").read_text().splitlines() if line.strip())
    steps_per_epoch = math.ceil(n_units / cfg.global_batch_size)
    assert len(rows) == 4 * steps_per_epoch and rows[-1]["epoch"] == 4.0
    assert [r["epoch"] for r in rows] == [round(r["step"] / steps_per_epoch, 4) for r in rows]
    assert rows[-1]["passes"] >= rows[-1]["epoch"] and all(r["scored"] >= r["examples"] for r in rows)
    assert "optimizer steps" in TrainConfig.__dataclass_fields__["num_epochs"].metadata["help"]


def test_scoring_with_the_training_forward_trains_what_scoring_first_trains(tmp_path):
    """The filter's fast path (F from the training forward, confident units masked and refilled) takes the
    same step as scoring every candidate first: same units, same parameters after, same counts."""
    probe = ProverTrainer(config(tmp_path / "probe", loss="dco_step", n_eff=2, eval_fraction=0.0))
    logp = _independent_logp(probe.model, probe.data.tokenized, [u[0] for u in probe.data.units])
    n = max(2, round(0.5 / logp.exp().median().item()))
    f = sorted(_closed_form_f(logp, n).tolist())
    gap, epsilon = max((b - a, (a + b) / 2) for a, b in zip(f, f[1:]) if 0.2 < (a + b) / 2 < 0.95)
    steps = []
    for fast in (True, False):
        cfg = config(tmp_path / str(fast), loss="dco_step", n_eff=n, epsilon=epsilon, eval_fraction=0.0)
        trainer = ProverTrainer(cfg)
        assert trainer.score_in_forward  # one process, one example per unit, no dropout
        trainer.score_in_forward = fast
        grads, step = {}, trainer.optimizer.step

        def capture(*args, trainer=trainer, grads=grads, step=step, **kwargs):
            if trainer.accelerator.sync_gradients:  # the gradient the optimizer gets
                grads.update({k: p.grad.detach().clone() for k, p in trainer.model.named_parameters()})
            return step(*args, **kwargs)

        trainer.optimizer.step = capture
        steps.append((trainer.train_step(), grads))
    (fast_record, fast_grads), (slow_record, slow_grads) = steps
    assert fast_record["dropped"] == slow_record["dropped"] > 0 and fast_record["examples"] == 4
    assert fast_record["loss"] == pytest.approx(slow_record["loss"], rel=1e-5)
    for name in fast_grads:
        assert torch.allclose(fast_grads[name], slow_grads[name], rtol=1e-4, atol=1e-7), name
    assert fast_record["scored"] < slow_record["scored"] + 4  # the trained units were not scored twice
