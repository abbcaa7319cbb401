"""``prover train``: fine-tune a causal LM with CE, DCO or DCO-step; one process or ``accelerate launch``.

An explicit loop rather than a ``transformers.Trainer`` subclass: the confidence filter draws replacement
units before the step, and whole-proof DCO needs a trace's steps in one forward pass; neither fits in
``compute_loss``. The loop reads top to bottom: data -> model -> optimizer -> steps -> checkpoints.
With epsilon = 0 the DCO weight comes from the training forward itself, so DCO costs what CE costs.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time

from prover import run_dir, threads
from prover.config import TrainConfig, describe_changes, setting_changes
from prover.flags import save_config
from prover.io import append_jsonl, atomic_write_text, read_jsonl
from prover.train import checkpoint as ckpt
from prover.train.setup import build_model, load_train_data
from prover.train.units import AllConfident, UnitSampler, UnitStream

logger = logging.getLogger(__name__)


def collate(units, unit_ids, tokenized, pad_id: int, device):
    """Pad the examples of ``unit_ids`` into one batch; ``group_ids`` says which unit each row is from."""
    import torch

    rows = [(g, tokenized[i]) for g, u in enumerate(unit_ids) for i in units[u]]
    width = max(len(t.input_ids) for _, t in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for r, (_, t) in enumerate(rows):
        ids = torch.tensor(t.input_ids, dtype=torch.long)
        input_ids[r, : len(ids)] = ids
        labels[r, t.n_prompt : len(ids)] = ids[t.n_prompt :]
        attention[r, : len(ids)] = 1
    group_ids = torch.tensor([g for g, _ in rows], dtype=torch.long)
    return {
        "input_ids": input_ids.to(device),
        "attention_mask": attention.to(device),
        "labels": labels.to(device),
        "group_ids": group_ids.to(device),
    }


def _add_metrics(totals, out, mask, tokens) -> None:
    """Add the rows of ``out`` that ``mask`` keeps to ``totals`` (loss, ce, logp, weight, rows, tokens), on
    the device: no synchronisation per micro-batch."""
    import torch

    weighted = out.weights.to(out.ce.dtype) * out.ce * mask
    totals[:6] += torch.stack(
        [weighted.detach().double().sum(), (out.ce * mask).detach().double().sum(),
         (out.logp * mask).detach().double().sum(), (out.weights * mask.double()).sum(),
         mask.double().sum(), torch.as_tensor(tokens, dtype=torch.float64, device=totals.device)]
    )  # fmt: skip


def batch_objective(model, batch, cfg: TrainConfig, by_trace: bool, num_items_in_batch: float | None = None):
    """One forward and the objective of ``cfg.loss`` from ``loss.py`` (per-example CE, log p and F with it)."""
    from prover.train.loss import objective

    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
    ).logits
    group_ids = batch["group_ids"] if by_trace else None
    return objective(
        logits, batch["labels"], cfg.loss, cfg.budget, cfg.ce_reduction, group_ids, num_items_in_batch
    )


# --------------------------------------------------------------------------- the run directory


def check_run_directory(cfg: TrainConfig, checkpoint: str | None) -> dict[str, list]:
    """Refuse to mix two runs in one directory: a fresh run needs an empty (or new) ``--output_dir``; a
    resume must keep every setting that defines the run (``TrainConfig.run_settings``) unless
    ``--override_settings`` (then the changes are returned, to be recorded)."""
    import yaml

    output = cfg.output_dir
    occupied = os.path.isdir(output) and any(os.scandir(output))
    run_dir.refuse_a_second_run(output, occupied, cfg.resume)
    if not cfg.resume:
        return {}
    if checkpoint is None:
        if occupied and os.path.exists(os.path.join(output, "config.yaml")):
            raise ValueError(f"--resume: {output} holds a run but no complete checkpoint to continue")
        return {}
    with open(os.path.join(checkpoint, "config.yaml"), encoding="utf-8") as handle:
        saved = yaml.safe_load(handle) or {}
    before = {type(cfg).RENAMED.get(k, k): v for k, v in saved.items()}  # a checkpoint of an older version
    changed = setting_changes(before, cfg.run_settings)
    run_dir.refuse_changes(checkpoint, describe_changes(changed), cfg.override_settings, "overrides.jsonl")
    with open(os.path.join(checkpoint, ckpt.STATE_FILE), encoding="utf-8") as handle:
        step = json.load(handle)["step"]
    total = cfg.max_steps if cfg.max_steps > 0 else None
    if total is not None and step > total:
        raise ValueError(f"--resume: {checkpoint} is at step {step}, past --max_steps {total}")
    return changed


# --------------------------------------------------------------------------- the trainer


class ProverTrainer:
    """The training loop: ``ProverTrainer(cfg).train()``. Same entry point on one CPU or under accelerate."""

    def __init__(self, cfg: TrainConfig):
        from accelerate.utils import set_seed

        self.cfg = cfg
        cfg.check_paths()
        self.checkpoint = ckpt.find_checkpoint(cfg.output_dir, cfg.resume)
        self.overrides = check_run_directory(cfg, self.checkpoint)
        self.accelerator = self._accelerator()
        set_seed(cfg.seed)
        self.main = self.accelerator.is_main_process
        self.metrics_path = os.path.join(cfg.output_dir, "metrics.jsonl")
        self.data = load_train_data(cfg, self.checkpoint)
        model = build_model(cfg, self.data.tokenizer, self.checkpoint)
        threads.apply(cfg.threads, model=model)
        if self.main:  # only now: a run that fails to start leaves nothing behind
            self._start_run_directory()
        self._prepare(model)
        acc = self.accelerator
        self.stream = UnitStream(len(self.data.units), cfg.seed, acc.process_index, acc.num_processes)
        self.sampler = UnitSampler(
            self.stream,
            cfg.epsilon,
            self.score if cfg.epsilon > 0 and cfg.budget > 1 else None,
            cfg.score_batch_size or 4 * cfg.per_device_batch_size,
        )
        self.step, self.last_eval_epoch, self.scored = 0, 0, 0
        self.score_in_forward = self.sampler.score is not None and self._forward_gives_the_score(model)
        if self.checkpoint:
            self._resume(self.checkpoint)
        elif self.main and os.path.exists(self.metrics_path):
            os.unlink(self.metrics_path)

    def _accelerator(self):
        """Accelerate with bf16 where asked (or where the GPU has it) and the accumulation the global batch
        needs on this many processes."""
        import torch
        from accelerate import Accelerator

        cfg = self.cfg
        cuda_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        acc = Accelerator(
            mixed_precision="bf16" if cfg.bf16 == "yes" or (cfg.bf16 == "auto" and cuda_bf16) else "no",
            step_scheduler_with_optimizer=False,  # the scheduler counts optimizer steps, not processes
            log_with=None if cfg.report_to == "none" else cfg.report_to,
            project_dir=cfg.output_dir,
        )
        world = acc.num_processes
        if cfg.global_batch_size % (cfg.per_device_batch_size * world):
            raise ValueError(
                f"global_batch_size {cfg.global_batch_size} is not a multiple of per_device_batch_size "
                f"{cfg.per_device_batch_size} x {world} processes"
            )
        self.accumulation = cfg.global_batch_size // (cfg.per_device_batch_size * world)
        acc.gradient_accumulation_steps = self.accumulation  # before prepare (DeepSpeed reads it)
        return acc

    def _start_run_directory(self) -> None:
        cfg = self.cfg
        os.makedirs(cfg.output_dir, exist_ok=True)
        save_config(cfg, os.path.join(cfg.output_dir, "config.yaml"))
        if self.overrides:
            append_jsonl(os.path.join(cfg.output_dir, "overrides.jsonl"),
                         {"resumed_from": self.checkpoint, "changed": self.overrides})  # fmt: skip

    def _prepare(self, model) -> None:
        """Optimizer and schedule over ``total_steps``, all handed to accelerate."""
        import torch
        from transformers import get_scheduler

        cfg = self.cfg
        optimizer = torch.optim.AdamW(
            [p for p in model.parameters() if p.requires_grad],
            lr=cfg.learning_rate,
            betas=(cfg.adam_beta1, cfg.adam_beta2),
            weight_decay=cfg.weight_decay,
        )
        self.steps_per_epoch = math.ceil(len(self.data.units) / cfg.global_batch_size)
        self.total_steps = (
            cfg.max_steps if cfg.max_steps > 0 else math.ceil(cfg.num_epochs * self.steps_per_epoch)
        )
        scheduler = get_scheduler(
            cfg.lr_scheduler,
            optimizer,
            num_warmup_steps=cfg.warmup_steps,
            num_training_steps=self.total_steps,
        )
        self.model, self.optimizer, self.scheduler = self.accelerator.prepare(model, optimizer, scheduler)
        # The model goes to disk once, in Hugging Face format beside the accelerate state.
        self.accelerator.register_save_state_pre_hook(lambda models, weights, _dir: weights.clear())
        self.accelerator.register_load_state_pre_hook(lambda models, _dir: models.clear())

    def _forward_gives_the_score(self, model) -> bool:
        """Whether the filter may score with the training forward (the same F): one process (every rank
        would otherwise have to agree mid-step), one example per unit (rows known before the backward), no
        dropout (the training forward is then the scoring forward)."""
        import torch

        dropout = any(
            isinstance(value, float) and value > 0
            for key, value in model.config.to_dict().items()
            if "dropout" in key or "pdrop" in key
        ) or any(isinstance(m, torch.nn.Dropout) and m.p > 0 for m in model.modules())
        one_example_units = all(len(u) == 1 for u in self.data.units)
        return self.accelerator.num_processes == 1 and one_example_units and not dropout

    # ----------------------------------------------------------------------- pieces of a step

    def _batch(self, units: list[list[int]], unit_ids: list[int], tokenized) -> dict:
        return collate(units, unit_ids, tokenized, self.data.tokenizer.pad_token_id, self.accelerator.device)

    def score(self, candidates: list[int]) -> list[float]:
        """F(N, p) of each candidate unit under the current weights (no-grad forwards of up to
        ``score_batch_size`` units; the filter is a choice of data, apart from the loss)."""
        import torch

        scores: list[float] = []
        self.model.eval()
        with torch.no_grad():
            for start in range(0, len(candidates), self.sampler.score_batch):
                chunk = candidates[start : start + self.sampler.score_batch]
                batch = self._batch(self.data.units, chunk, self.data.tokenized)
                weights = batch_objective(self.model, batch, self.cfg, self.data.by_trace).weights
                first_rows = torch.tensor([0] + [len(self.data.units[u]) for u in chunk[:-1]]).cumsum(0)
                scores += weights[first_rows.to(weights.device)].tolist()  # the rows of a unit share its F
        self.model.train()
        self.scored += len(candidates)
        return scores

    def train_step(self) -> dict | None:
        """One optimizer step over the global batch; its metrics, or None when every unit is confident."""
        import torch

        acc, cfg, units = self.accelerator, self.cfg, self.data.units
        started, self.scored = time.perf_counter(), 0
        if self.score_in_forward and self.sampler.drop_rate < 1 / 3:
            return self._train_step_scoring_in_forward(started)
        try:
            micro_batches, n_drawn, n_dropped = self.sampler.draw_step(
                [cfg.per_device_batch_size] * self.accumulation
            )
            stop = 0.0
        except AllConfident as error:
            logger.warning("stopping at step %d: %s", self.step, error)
            micro_batches, n_drawn, n_dropped, stop = [], 0, 0, 1.0
        rows = float(sum(len(units[u]) for unit_ids in micro_batches for u in unit_ids))
        # one all-reduce before the step: whether any process stopped, and the global batch's rows
        stopped, global_rows = acc.reduce(
            torch.tensor([stop, rows], dtype=torch.float64, device=acc.device), "sum"
        ).tolist()
        if stopped > 0:  # every process stops together
            return None
        totals = torch.zeros(10, dtype=torch.float64, device=acc.device)
        # loss ce logp weight rows tokens drawn dropped passes scored
        # accelerate divides by the accumulation steps and DDP averages over processes: normalizing by this
        # undoes both, so the step's gradient is that of sum(w * CE) / rows over the whole global batch.
        per_process_rows = global_rows / (acc.num_processes * self.accumulation)
        for unit_ids in micro_batches:
            batch = self._batch(units, unit_ids, self.data.tokenized)
            with acc.accumulate(self.model):
                out = batch_objective(self.model, batch, cfg, self.data.by_trace, per_process_rows)
                self._backward_and_step(out.loss)
            _add_metrics(totals, out, torch.ones_like(out.ce), batch["attention_mask"].sum())
        return self._finish_step(totals, n_drawn, n_dropped, started)

    def _backward_and_step(self, loss) -> None:
        """Inside ``accumulate``: the optimizer steps (after clipping) only on the accumulation's last pass."""
        acc = self.accelerator
        acc.backward(loss)
        if acc.sync_gradients and self.cfg.max_grad_norm > 0:
            acc.clip_grad_norm_(self.model.parameters(), self.cfg.max_grad_norm)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def _finish_step(self, totals, n_drawn: int, n_dropped: int, started: float) -> dict:
        """Scheduler, step count and the step's metrics (one all-reduce for all of them)."""
        import torch

        acc, cfg = self.accelerator, self.cfg
        lr = self.scheduler.get_last_lr()[0]  # the rate this step used
        self.scheduler.step()
        self.step += 1
        totals[6:] += torch.tensor(
            [n_drawn, n_dropped, self.stream.epochs_done, self.scored], dtype=torch.float64, device=acc.device
        )
        # one all-reduce after the step for every metric
        loss, ce, logp, weight, n_rows, tokens, n_drawn, n_dropped, passes, scored = acc.reduce(
            totals, "sum"
        ).tolist()
        return {
            "step": self.step,
            "epoch": round(self.epochs_trained, 4),
            "passes": round(passes / acc.num_processes, 4),
            "loss": loss / n_rows,
            "ce": ce / n_rows,
            "logp": logp / cfg.global_batch_size,  # per unit: a trace's steps add up to log p(proof)
            "weight": weight / n_rows,
            "examples": int(n_rows),
            "filtered": n_dropped / n_drawn,
            "dropped": int(n_dropped),
            "scored": int(scored),
            "lr": lr,
            "tokens_per_s": tokens / (time.perf_counter() - started),
        }

    def _train_step_scoring_in_forward(self, started: float) -> dict | None:
        """The filter without a scoring forward for the units that are trained: each micro-batch's candidates
        are scored by their training forward (same weights, no dropout: the same F); the confident ones are
        masked out of the loss and replaced by scored refills, trained in the same accumulation step. Used
        on one process with one example per unit while few candidates are dropped (``score_in_forward``);
        the units trained are those the score-first path trains, survivors in stream order."""
        import torch

        acc, cfg, units, tokenized = self.accelerator, self.cfg, self.data.units, self.data.tokenized
        per_process_rows = cfg.global_batch_size / self.accumulation  # one example per unit: rows are known
        totals = torch.zeros(10, dtype=torch.float64, device=acc.device)
        drawn = dropped = 0
        for _ in range(self.accumulation):
            candidates = self.sampler.take(cfg.per_device_batch_size)
            with acc.accumulate(self.model):
                first = batch_objective(
                    self.model, self._batch(units, candidates, tokenized), cfg, self.data.by_trace
                )
                keep = first.weights > cfg.epsilon
                self.scored += len(candidates)
                drawn, dropped = drawn + len(candidates), dropped + int((~keep).sum())
                parts = [(first, keep.to(first.ce.dtype), candidates)]
                if not bool(keep.all()):
                    try:
                        (refill,), more_drawn, more_dropped = self.sampler.draw_step([int((~keep).sum())])
                    except AllConfident as error:
                        logger.warning("stopping at step %d: %s", self.step, error)
                        self.optimizer.zero_grad(set_to_none=True)
                        return None
                    drawn, dropped = drawn + more_drawn, dropped + more_dropped
                    second = batch_objective(
                        self.model, self._batch(units, refill, tokenized), cfg, self.data.by_trace
                    )
                    parts.append((second, torch.ones_like(second.ce), refill))
                loss = (
                    sum((o.weights.to(o.ce.dtype) * o.ce * m).sum() for o, m, _ in parts) / per_process_rows
                )
                self._backward_and_step(loss)
            for o, m, ids in parts:
                _add_metrics(totals, o, m, sum(len(tokenized[i].input_ids) for u in ids for i in units[u]))
        self.sampler.drop_rate = dropped / drawn if drawn else 0.0
        return self._finish_step(totals, drawn, dropped, started)

    @property
    def epochs_trained(self) -> float:
        """Epochs as the schedule counts them: an epoch is ``steps_per_epoch = ceil(units / global batch)``
        optimizer steps, each training a full global batch. With the filter the stream also passes over the
        units it drops, so it goes over the data more often: ``passes`` in metrics.jsonl."""
        return self.step / self.steps_per_epoch

    def evaluate(self) -> dict:
        """Held-out CE (per example), log p (per unit) and F under the current weights."""
        import torch

        acc, cfg = self.accelerator, self.cfg
        shard = self.data.eval_units[acc.process_index :: acc.num_processes]
        sums = torch.zeros(5, dtype=torch.float64, device=acc.device)  # ce, rows, logp, units, weight
        self.model.eval()
        with torch.no_grad():
            for start in range(0, len(shard), cfg.per_device_batch_size):
                ids = list(range(start, min(start + cfg.per_device_batch_size, len(shard))))
                batch = self._batch(shard, ids, self.data.eval_tokenized)
                out = batch_objective(self.model, batch, cfg, self.data.by_trace)
                ce, logp, weights = out.ce, out.logp, out.weights
                sums += torch.tensor(
                    [ce.sum().item(), len(ce), logp.sum().item(), len(ids), weights.sum().item()],
                    dtype=torch.float64,
                    device=acc.device,
                )
        self.model.train()
        ce_sum, rows, logp_sum, n_units, weight_sum = acc.reduce(sums, "sum").tolist()
        return {"eval_ce": ce_sum / rows, "eval_logp": logp_sum / n_units, "eval_weight": weight_sum / rows}

    # ----------------------------------------------------------------------- checkpoints

    def save(self, final: bool = False) -> None:
        acc, cfg = self.accelerator, self.cfg
        target = ckpt.checkpoint_dir(cfg.output_dir, self.step)
        tmp = target + ".tmp"
        if self.main:
            ckpt.fresh_dir(tmp)
        acc.wait_for_everyone()
        acc.save_state(os.path.join(tmp, "state"))
        atomic_write_text(
            os.path.join(tmp, f"data_state_{acc.process_index}.json"), json.dumps(self.sampler.state_dict())
        )
        acc.unwrap_model(self.model).save_pretrained(
            tmp, is_main_process=self.main, save_function=acc.save, state_dict=acc.get_state_dict(self.model)
        )
        acc.wait_for_everyone()
        if self.main:
            self.data.tokenizer.save_pretrained(tmp)
            save_config(cfg, os.path.join(tmp, "config.yaml"))
            state = {
                "step": self.step,
                "last_eval_epoch": self.last_eval_epoch,
                "total_steps": self.total_steps,
            }
            atomic_write_text(
                os.path.join(tmp, ckpt.STATE_FILE), json.dumps(state)
            )  # last: marks it complete
            ckpt.publish(tmp, target)
            ckpt.prune(cfg.output_dir, cfg.save_total_limit)
            if final:
                ckpt.export_model(target, os.path.join(cfg.output_dir, "final"))
        acc.wait_for_everyone()

    def _resume(self, checkpoint: str) -> None:
        acc = self.accelerator
        acc.load_state(os.path.join(checkpoint, "state"))
        with open(os.path.join(checkpoint, ckpt.STATE_FILE), encoding="utf-8") as handle:
            state = json.load(handle)
        self.step, self.last_eval_epoch = state["step"], state["last_eval_epoch"]
        with open(
            os.path.join(checkpoint, f"data_state_{acc.process_index}.json"), encoding="utf-8"
        ) as handle:
            self.sampler.load_state_dict(json.load(handle))
        if self.main:  # metrics past the checkpoint belong to the steps that are run again
            kept = [r for r in read_jsonl(self.metrics_path) if r.get("step", 0) <= self.step]
            atomic_write_text(self.metrics_path, "".join(json.dumps(r) + "\n" for r in kept))
        logger.info("resumed from %s at step %d", checkpoint, self.step)

    # ----------------------------------------------------------------------- the loop

    def train(self) -> str:
        """Run to ``total_steps``; returns the final model directory (``output_dir/final``)."""
        from tqdm.auto import tqdm

        cfg, acc, data = self.cfg, self.accelerator, self.data
        if self.main:
            s = data.stats
            logger.info(
                "train: %d examples (%d bad skipped, %d contaminated, %d over max_length) -> %d units, %d held out; "
                "loss=%s N=%d%s epsilon=%g; %d processes x %d units x %d accumulation = %d units/step; %d steps (%d/epoch)",
                s["examples"], s["bad"], s["contaminated"], s["overlong"], len(data.units), len(data.eval_units),
                cfg.loss, cfg.budget, " (whole proof over traces)" if data.by_trace else "", cfg.epsilon,
                acc.num_processes, cfg.per_device_batch_size, self.accumulation, cfg.global_batch_size,
                self.total_steps, self.steps_per_epoch,
            )  # fmt: skip
        if cfg.report_to != "none":
            acc.init_trackers("dco-prover", config=dataclasses.asdict(cfg))
        self.model.train()
        bar = tqdm(
            total=self.total_steps,
            initial=self.step,
            desc=f"train {cfg.loss}",
            unit="step",
            disable=not self.main,
        )
        while self.step < self.total_steps:
            record = self.train_step()
            if record is None:
                break
            if int(record["epoch"]) > self.last_eval_epoch or self.step == self.total_steps:
                self.last_eval_epoch = int(record["epoch"])
                if data.eval_units:
                    record.update(self.evaluate())
            if self.main and (
                self.step % cfg.logging_steps == 0 or "eval_ce" in record or self.step == self.total_steps
            ):
                append_jsonl(self.metrics_path, record)
            if cfg.report_to != "none":
                acc.log(record, step=self.step)
            bar.set_postfix(
                loss=f"{record['loss']:.4f}",
                F=f"{record['weight']:.3f}",
                filtered=f"{record['filtered']:.2f}",
            )
            bar.update(1)
            if self.step % cfg.save_steps == 0 and self.step < self.total_steps:
                self.save()
        bar.close()
        self.save(final=True)
        if cfg.report_to != "none":
            acc.end_training()
        final = os.path.join(cfg.output_dir, "final")
        if self.main:
            logger.info("training ended at step %d of %d; model in %s", self.step, self.total_steps, final)
        return final


def run_train(cfg: TrainConfig) -> str:
    """``prover train``: returns the final model directory."""
    return ProverTrainer(cfg).train()
