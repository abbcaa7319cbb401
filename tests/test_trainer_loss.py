"""DCO in transformers' Trainer and TRL's SFTTrainer (prover/train/hf_loss.py) with the real libraries: the
plugged-in loss's gradients equal `prover train`'s objective on the same batch (also accumulated, also with
LoRA), CE through it equals the Trainer's own CE, and docs/training.md's example runs."""

from __future__ import annotations

import re

import pytest
import torch
from conftest import ROOT

from prover.config import TrainConfig
from prover.train.hf_loss import CoverageLoss, coverage_trainer
from prover.train.loop import batch_objective
from prover.train.loss import IGNORE_INDEX, coverage_weight, sequence_stats
from prover.train.tiny import build_tiny_model, build_tokenizer

transformers = pytest.importorskip("transformers")
PAIRS = [("⊢ 1 + 1 = 2:::", "norm_num"), ("a b : ℕ\n⊢ a + b = b + a:::", "omega"),
         ("h : p ∧ q\n⊢ q ∧ p:::", "exact ⟨h.2, h.1⟩"), ("⊢ True:::", "trivial")]  # fmt: skip
N = 8


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer([p + t for p, t in PAIRS] * 4, vocab_size=300)


def rows(tokenizer) -> list[dict]:
    out = []
    for prompt, target in PAIRS:
        p = tokenizer(prompt)["input_ids"]
        t = tokenizer(target, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        out.append({"input_ids": p + t, "labels": [IGNORE_INDEX] * len(p) + t})
    return out


_TAUGHT: dict = {}


def confident_model(tokenizer):
    """A tiny model taught the first pair for 17 steps (F(8, p) about 0.3 to 0.6) and not the others
    (F = 1), so that a loss with the wrong weights shows (a random model has p ~ 0 and F = 1 everywhere)."""
    model = build_tiny_model(tokenizer, seed=0)
    if "state" not in _TAUGHT:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        batch = {k: torch.tensor([v]) for k, v in rows(tokenizer)[0].items()}
        for _ in range(17):
            optimizer.zero_grad()
            model(input_ids=batch["input_ids"], labels=batch["labels"]).loss.backward()
            optimizer.step()
        _TAUGHT["state"] = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(_TAUGHT["state"])
    return model


def trainer(model, tokenizer, tmp_path, compute_loss_func, **args):
    from datasets import Dataset

    settings = dict(output_dir=str(tmp_path / "hf"), per_device_train_batch_size=4, report_to="none",
                    use_cpu=True, max_steps=1, learning_rate=0.1, optim="sgd", lr_scheduler_type="constant",
                    save_strategy="no", logging_strategy="no", seed=0, dataloader_drop_last=False)  # fmt: skip
    settings.update(args)
    return transformers.Trainer(model=model, args=transformers.TrainingArguments(**settings),
                                train_dataset=Dataset.from_list(rows(tokenizer)),
                                data_collator=transformers.DataCollatorForSeq2Seq(tokenizer, padding=True),
                                compute_loss_func=compute_loss_func)  # fmt: skip


def one_batch(t) -> tuple[dict, torch.Tensor]:
    batch = next(iter(t.get_train_dataloader()))
    return batch, (batch["labels"][:, 1:] != IGNORE_INDEX).sum()


def grads(model) -> dict[str, torch.Tensor]:
    return {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}


def prover_train_grads(model, batch, loss: str, n: int, tokens) -> dict[str, torch.Tensor]:
    """The gradient `prover train` takes on ``batch``: its batch_objective(), summed-token CE."""
    model.zero_grad()
    cfg = TrainConfig(tiny=True, data="x", loss=loss, dco_n=n, n_eff=n, ce_reduction="sum", output_dir="unused")
    batch_objective(model, batch, cfg, by_trace=False, num_items_in_batch=tokens).loss.backward()
    return grads(model)


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys() and a
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-7, msg=name)


@pytest.mark.parametrize("loss", ["dco", "dco_step"])
def test_the_trainers_gradient_is_prover_trains_on_the_same_batch(tmp_path, tokenizer, loss):
    model = confident_model(tokenizer)
    t = trainer(model, tokenizer, tmp_path, CoverageLoss(loss, n=N))
    batch, tokens = one_batch(t)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    weights = coverage_weight(sequence_stats(logits, batch["labels"])[1], N)
    assert weights.min() < 0.7 and weights.max() > 0.99, weights  # the weighting matters on this batch
    model.zero_grad()
    t.training_step(model, dict(batch), num_items_in_batch=tokens)
    assert_same(grads(model), prover_train_grads(model, batch, loss, N, tokens))


def test_ce_through_the_plugged_loss_is_the_trainers_own_ce(tmp_path, tokenizer):
    model = confident_model(tokenizer)
    own, plugged = trainer(model, tokenizer, tmp_path, None), trainer(model, tokenizer, tmp_path, CoverageLoss("ce"))
    batch, tokens = one_batch(own)
    expected = own.compute_loss(model, dict(batch), num_items_in_batch=tokens)
    torch.testing.assert_close(plugged.compute_loss(model, dict(batch), num_items_in_batch=tokens), expected)
    assert CoverageLoss("dco", n=N)(model(**batch), batch["labels"]) < expected  # confident examples weigh less


def test_accumulated_micro_batches_train_as_one_batch(tmp_path, tokenizer):
    """Two micro-batches of two, accumulated, move the weights as one batch of four (num_items_in_batch is
    the whole accumulated batch's tokens; the Trainer does not divide again)."""
    after = []
    for per_device, accumulation in ((4, 1), (2, 2)):
        model = confident_model(tokenizer)
        trainer(model, tokenizer, tmp_path / f"{per_device}", CoverageLoss("dco", n=N),
                per_device_train_batch_size=per_device, gradient_accumulation_steps=accumulation).train()  # fmt: skip
        after.append({n: p.detach().clone() for n, p in model.named_parameters()})
    before = dict(confident_model(tokenizer).named_parameters())
    assert any(not torch.equal(before[n], after[0][n]) for n in before)  # a step was taken
    assert_same(*after)


def test_lora_gradients_are_prover_trains_and_only_the_adapters_train(tmp_path, tokenizer):
    peft = pytest.importorskip("peft")
    model = peft.get_peft_model(confident_model(tokenizer),
                                peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], lora_dropout=0.0))  # fmt: skip
    for name, p in model.named_parameters():  # LoRA's B starts at zero: give the adapters a gradient path
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.02)
    t = trainer(model, tokenizer, tmp_path, CoverageLoss("dco", n=N))
    batch, tokens = one_batch(t)
    model.zero_grad()
    t.training_step(model, dict(batch), num_items_in_batch=tokens)
    through_trainer = grads(model)
    assert through_trainer and all("lora_" in n for n in through_trainer)
    assert_same(through_trainer, prover_train_grads(model, batch, "dco", N, tokens))


def test_sft_trainer_trains_with_the_coverage_loss_and_its_gradient_is_prover_trains(tmp_path, tokenizer):
    """TRL's SFTTrainer, subclassed as TRL asks (coverage_trainer: one forward), on prompt-completion data:
    its collator masks the prompt, and the gradient is prover train's on that batch."""
    trl = pytest.importorskip("trl")
    from datasets import Dataset

    model = confident_model(tokenizer)
    data = Dataset.from_list([{"prompt": p, "completion": c} for p, c in PAIRS])
    args = trl.SFTConfig(output_dir=str(tmp_path / "sft"), per_device_train_batch_size=4, max_steps=2,
                         report_to="none", use_cpu=True, save_strategy="no", logging_strategy="no",
                         learning_rate=1e-3, seed=0)  # fmt: skip
    sft = coverage_trainer(trl.SFTTrainer)(model=model, args=args, train_dataset=data, processing_class=tokenizer,
                                           coverage=CoverageLoss("dco", n=N))  # fmt: skip
    batch = next(iter(sft.get_train_dataloader()))
    labels = batch["labels"]
    assert (labels == IGNORE_INDEX).any() and (labels != IGNORE_INDEX).any()  # the prompt is masked
    tokens = (labels[:, 1:] != IGNORE_INDEX).sum()
    model.zero_grad()
    sft.training_step(model, dict(batch), num_items_in_batch=tokens)
    assert_same(grads(model), prover_train_grads(model, batch, "dco", N, tokens))
    model.zero_grad()
    assert sft.train().global_step == 2 and type(sft).__name__ == "CoverageSFTTrainer"


def test_the_loss_refuses_what_it_cannot_mean():
    with pytest.raises(ValueError, match="loss must be one of"):
        CoverageLoss("dcoo")
    with pytest.raises(ValueError, match="n must be >= 1"):
        CoverageLoss("dco", n=0)
    with pytest.raises(ValueError, match="labels"):
        CoverageLoss()({"logits": torch.zeros(1, 2, 3)}, None)


def test_epsilon_leaves_confident_examples_out_of_the_loss(tokenizer):
    model = confident_model(tokenizer)
    batch = transformers.DataCollatorForSeq2Seq(tokenizer, padding=True)(rows(tokenizer))
    outputs = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    weights = coverage_weight(sequence_stats(outputs.logits, batch["labels"])[1].detach(), N)
    cut = float(weights.min() + weights.max()) / 2
    kept = CoverageLoss("dco", n=N, epsilon=cut)(outputs, batch["labels"])
    alone = CoverageLoss("dco", n=N)(outputs, batch["labels"])
    assert 0 < kept < alone


def test_the_docs_example_runs(tmp_path, monkeypatch):
    """docs/training.md's SFTTrainer-to-DCO example, run as written (a tiny model stands in for the hub's)."""
    pytest.importorskip("trl")
    text = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    example = re.search(r"<!-- example: sft_dco -->\s*```python\n(.*?)```", text, re.DOTALL)
    assert example, "docs/training.md lost its SFTTrainer example"
    code = example.group(1)
    assert len(code.strip().splitlines()) < 20
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "docs/training.md", "exec"), scope)
    assert scope["trainer"].state.global_step > 0
