"""What a training run starts from: the data (read, guarded against the benchmark, tokenized, grouped into
units, a held-out share of whole units) and the model (a checkpoint, a hub model or a tiny one; full
weights or LoRA)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from prover.config import LOSS_REGISTRY, TrainConfig
from prover.train.data import ReadReport, drop_contaminated, read_examples
from prover.train.tokenize import PromptFormat, build_units, drop_overlong, tokenize_examples


@dataclass
class TrainData:
    """Tokenized training and held-out units, and what was dropped on the way."""

    tokenizer: Any
    by_trace: bool  # units are whole traces (whole-proof DCO over tactic steps)
    units: list[list[int]]
    tokenized: list
    eval_units: list[list[int]]
    eval_tokenized: list
    stats: dict[str, int]


def load_tokenizer(cfg: TrainConfig, checkpoint: str | None, examples):
    from transformers import AutoTokenizer

    from prover.train.tiny import build_tokenizer

    if checkpoint:
        tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    elif cfg.tiny:
        fmt = prompt_format(cfg)
        tokenizer = build_tokenizer(fmt.prompt(e) + fmt.target(e) for e in examples)
    else:
        tokenizer = AutoTokenizer.from_pretrained(cfg.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def prompt_format(cfg: TrainConfig) -> PromptFormat:
    return PromptFormat(cfg.tactic_prompt, cfg.tactic_target, cfg.whole_prompt, cfg.whole_target)


def load_train_data(cfg: TrainConfig, checkpoint: str | None = None) -> TrainData:
    """Read, guard, tokenize and group the data; hold out whole units when no eval data is given."""
    report = ReadReport()
    examples = read_examples(cfg.data, cfg.data_kind, cfg.data_split, cfg.skip_bad, report)
    eval_examples = (
        read_examples(cfg.eval_data, cfg.data_kind, "validation", cfg.skip_bad, report)
        if cfg.eval_data
        else []
    )
    if cfg.benchmark:
        examples = drop_contaminated(examples, cfg.benchmark, report)
        eval_examples = drop_contaminated(eval_examples, cfg.benchmark, report) if eval_examples else []
    if not examples:
        raise ValueError(f"{cfg.data}: no training examples left")
    tokenizer = load_tokenizer(cfg, checkpoint, examples)
    fmt = prompt_format(cfg)
    by_trace = LOSS_REGISTRY[cfg.loss].over_traces

    def prepare(items):
        tokenized = tokenize_examples(items, tokenizer, fmt, cfg.max_length)
        units, overlong = drop_overlong(build_units(items, by_trace), tokenized)
        return units, tokenized, overlong

    units, tokenized, overlong = prepare(examples)
    if eval_examples:
        eval_units, eval_tokenized, _ = prepare(eval_examples)
    else:  # hold out whole units (traces): no proof is half in training and half in evaluation
        order = list(range(len(units)))
        random.Random(cfg.seed).shuffle(order)
        held = set(order[: int(len(units) * cfg.eval_fraction)])
        eval_units = [u for k, u in enumerate(units) if k in held]
        units = [u for k, u in enumerate(units) if k not in held]
        eval_tokenized = tokenized
    if not units:
        raise ValueError(f"{cfg.data}: no training unit fits max_length={cfg.max_length}")
    stats = {
        "examples": len(examples),
        "bad": report.bad,
        "contaminated": report.contaminated,
        "overlong": overlong,
    }
    return TrainData(tokenizer, by_trace, units, tokenized, eval_units, eval_tokenized, stats)


def build_model(cfg: TrainConfig, tokenizer, checkpoint: str | None):
    import torch
    from transformers import AutoModelForCausalLM

    from prover.train.tiny import build_tiny_model

    # float32 master weights under accelerate's bf16 autocast, as HF Trainer does; transformers 5 would
    # otherwise load the checkpoint's own dtype and train bf16 weights directly
    kwargs = {"dtype": torch.float32, **cfg.model_init_kwargs}
    model: Any
    if checkpoint and not cfg.lora:
        model = AutoModelForCausalLM.from_pretrained(checkpoint, **kwargs)
    elif cfg.tiny:
        model = build_tiny_model(tokenizer, max_positions=max(cfg.max_length, 64), seed=cfg.seed)
    else:
        model = AutoModelForCausalLM.from_pretrained(cfg.model, **kwargs)
    if cfg.lora:
        from peft import LoraConfig, PeftModel, get_peft_model

        if checkpoint:
            model = PeftModel.from_pretrained(model, checkpoint, is_trainable=True)
        else:
            targets = cfg.lora_target_modules
            lora = LoraConfig(
                r=cfg.lora_r,
                lora_alpha=cfg.lora_alpha,
                lora_dropout=cfg.lora_dropout,
                target_modules=targets
                if targets == "all-linear"
                else [t.strip() for t in targets.split(",")],
                task_type="CAUSAL_LM",
            )
            model = get_peft_model(model, lora)
    if cfg.gradient_checkpointing:
        checkpoint_kwargs = {"use_reentrant": False}
        if hasattr(model, "activation_checkpointing_enable"):  # the name since transformers 5
            model.activation_checkpointing_enable(activation_checkpointing_kwargs=checkpoint_kwargs)
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=checkpoint_kwargs)
        if cfg.lora:
            model.enable_input_require_grads()
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return model
