"""Typed stage configs: every setting, its help text and its validation (a one-line error naming the flag).

Each field is one flag (``flags.py`` turns flags and YAML into these). Groups that several stages share are
defined once: the reference statement (``check_reference_flags``) and Lean's limits (``check_lean_limits``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from prover.prompts import TACTIC_PROMPT, TACTIC_TARGET, WHOLE_PROMPT, WHOLE_TARGET

T = TypeVar("T")


def option(
    default: Any, help: str, choices: tuple[str, ...] | None = None, *, run: bool = True, **extra: Any
) -> Any:
    """A dataclass field with its CLI help (and choices) in its metadata. ``run=False``: the setting changes
    how a run runs (workers, paths, limits), not what it computes, so it is outside the run's fingerprint
    and a resume may change it."""
    metadata = {"help": help, "run": run, **extra}
    if choices:
        metadata["choices"] = choices
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def check_number(
    name: str,
    value: float,
    *,
    low: float | None = None,
    high: float | None = None,
    above: float | None = None,
    below: float | None = None,
) -> None:
    """``ValueError`` naming ``--name`` unless ``value`` is finite and within the bounds (inclusive
    ``low``/``high``, exclusive ``above``/``below``)."""
    bounds = [f">= {low:g}" if low is not None else "", f"<= {high:g}" if high is not None else "",
              f"> {above:g}" if above is not None else "", f"< {below:g}" if below is not None else ""]  # fmt: skip
    ok = (
        isinstance(value, (int, float))
        and math.isfinite(value)
        and (low is None or value >= low)
        and (high is None or value <= high)
        and (above is None or value > above)
        and (below is None or value < below)
    )
    if not ok:
        wanted = " and ".join(b for b in bounds if b) or "finite"
        raise ValueError(f"--{name} must be a finite number {wanted}, got {value!r}")


SCHEDULERS = (
    "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
    "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay",
)  # fmt: skip


# --------------------------------------------------------------------------- the training stage

@dataclass(frozen=True)
class Loss:
    """A training objective, as the trainer, the CLI and the plugged-in Trainer loss read it."""

    help: str
    budget: str | None  # the TrainConfig field that holds its N (None: N = 1, CE)
    over_traces: bool = False  # every step of a tactic trace weighted by its whole proof's p


LOSS_REGISTRY = {
    "ce": Loss("cross-entropy (DCO with N = 1)", None),
    "dco": Loss("sequence-level DCO at --dco_n (a whole proof; over traces with trace_id, the whole trace)", "dco_n",
                True),
    "dco_step": Loss("step-level DCO: each (state, tactic) at the per-step budget --n_eff", "n_eff"),
}
LOSSES = tuple(LOSS_REGISTRY)


def setting_changes(before: dict[str, Any], now: dict[str, Any]) -> dict[str, list]:
    """``{setting: [old, new]}`` for each setting in both that differs: what a resume would change."""
    return {k: [before[k], v] for k, v in now.items() if k in before and before[k] != v}


def describe_changes(changes: dict[str, list]) -> list[str]:
    """``--setting old -> new`` for each change, as the refusals of a resume name them."""
    return [f"--{k} {old!r} -> {new!r}" for k, (old, new) in changes.items()]


def _run_fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.metadata.get("run", True)}


@dataclass
class TrainConfig:
    """``prover train``: fine-tune a causal LM on tactic pairs, tactic traces or whole proofs."""

    RENAMED: ClassVar[dict[str, str]] = {"n": "dco_n"}  # n is search's attempts per theorem

    # model
    model: str = option("", "hub name or local path of the causal LM to fine-tune (AutoModelForCausalLM)")
    tiny: bool = option(
        False,
        "ignore --model: build a tiny random Llama and a BPE tokenizer trained on the data (smoke runs)",
    )
    model_init_kwargs: dict = option(
        {}, 'extra kwargs for from_pretrained, as JSON (e.g. \'{"attn_implementation": "sdpa"}\')'
    )
    lora: bool = option(False, "train LoRA adapters (peft) instead of all weights")
    lora_r: int = option(16, "LoRA rank")
    lora_alpha: int = option(32, "LoRA alpha")
    lora_dropout: float = option(0.05, "LoRA dropout")
    lora_target_modules: str = option(
        "all-linear", "LoRA target modules: 'all-linear' or comma-separated names"
    )
    gradient_checkpointing: bool = option(
        False, "recompute activations in the backward pass to save memory", run=False
    )
    bf16: str = option(
        "auto",
        "bf16 mixed precision: auto (when the GPU supports it), yes or no",
        ("auto", "yes", "no"),
        run=False,
    )
    # data
    data: str = option(
        "", "training data: .jsonl (tactic pairs or whole proofs), LeanDojo .json, folder or hub name"
    )
    data_kind: str = option("auto", "format of --data", ("auto", "tactic", "leandojo", "whole"))
    data_split: str = option("train", "split to load when --data is a dataset name or folder")
    eval_data: str = option(
        "", "held-out data (same formats); empty: hold out --eval_fraction of the training units"
    )
    eval_fraction: float = option(
        0.05, "fraction of training units (whole traces) held out when --eval_data is empty"
    )
    benchmark: str = option(
        "", "benchmark JSONL (e.g. MiniF2F); training examples of its theorems are dropped"
    )
    skip_bad: bool = option(False, "skip malformed lines (and count them) instead of stopping at the first")
    max_length: int = option(2048, "max tokens of prompt + target; longer examples are dropped, never cut")
    tactic_prompt: str = option(TACTIC_PROMPT, "prompt template of tactic models")
    tactic_target: str = option(TACTIC_TARGET, "target template of tactic models (eos is appended)")
    whole_prompt: str = option(WHOLE_PROMPT, "prompt template of whole-proof models")
    whole_target: str = option(WHOLE_TARGET, "target template of whole-proof models (eos is appended)")
    # objective
    loss: str = option("dco", " | ".join(f"{name}: {loss.help}" for name, loss in LOSS_REGISTRY.items()), LOSSES)
    dco_n: int = option(16, "DCO's sample budget N (the pass@N the model is trained for); N = 1 is CE")
    n_eff: int = option(4, "per-step budget N_eff of dco_step")
    epsilon: float = option(
        0.1, "confidence threshold: units with F(N, p) <= epsilon are replaced; 0 disables"
    )
    score_batch_size: int = option(
        0,
        "confidence filter: units per scoring forward (no gradients); 0: 4 x per_device_batch_size",
        run=False,
    )
    ce_reduction: str = option("mean", "how an example's CE pools its target tokens", ("mean", "sum"))
    # optimisation
    learning_rate: float = option(2e-5, "AdamW learning rate")
    weight_decay: float = option(0.0, "AdamW weight decay")
    adam_beta1: float = option(0.9, "AdamW beta1")
    adam_beta2: float = option(0.999, "AdamW beta2")
    max_grad_norm: float = option(1.0, "gradient clipping norm; 0 disables")
    lr_scheduler: str = option("constant_with_warmup", "transformers scheduler name")
    warmup_steps: int = option(20, "linear warm-up steps")
    global_batch_size: int = option(
        64, "training units per optimizer step, over all devices and accumulation"
    )
    per_device_batch_size: int = option(8, "units per forward pass on one device", run=False)
    num_epochs: float = option(
        1.0,
        "training length: num_epochs x ceil(units / global_batch_size) optimizer steps, each on a full batch "
        "(ignored when --max_steps > 0); the confidence filter also passes over the units it drops, so the "
        "data is gone over more often (metrics.jsonl: passes)",
    )
    max_steps: int = option(-1, "optimizer steps; -1: from --num_epochs")
    seed: int = option(42, "seed of data order, initialisation and dropout")
    # run
    output_dir: str = option(
        "runs/train", "run directory: config.yaml, metrics.jsonl, checkpoint-*/, final/", run=False
    )
    save_steps: int = option(500, "checkpoint every K optimizer steps (and at the end)", run=False)
    save_total_limit: int = option(0, "keep only the newest K checkpoints; 0 keeps all", run=False)
    logging_steps: int = option(1, "write metrics every K steps", run=False)
    threads: int = option(0, "torch CPU threads; 0: the thread policy (prover/threads.py: usable CPUs less busy ones; 1 for tiny models)", run=False)
    resume: str = option(
        "", "resume from 'latest' (in --output_dir) or a checkpoint path", const="latest", run=False
    )
    override_settings: bool = option(
        False,
        "--resume with settings that change the run (recorded in overrides.jsonl); refused otherwise",
        run=False,
    )
    report_to: str = option("none", "trackers for accelerate (none, tensorboard, wandb, ...)", run=False)

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        for name in (
            "dco_n",
            "n_eff",
            "global_batch_size",
            "per_device_batch_size",
            "max_length",
            "save_steps",
            "logging_steps",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        check_number("score_batch_size", self.score_batch_size, low=0)
        check_number("learning_rate", self.learning_rate, above=0)
        check_number("weight_decay", self.weight_decay, low=0)
        check_number("adam_beta1", self.adam_beta1, low=0, below=1)
        check_number("adam_beta2", self.adam_beta2, low=0, below=1)
        check_number("max_grad_norm", self.max_grad_norm, low=0)
        check_number("warmup_steps", self.warmup_steps, low=0)
        check_number("num_epochs", self.num_epochs, low=0)
        check_number("save_total_limit", self.save_total_limit, low=0)
        if self.lr_scheduler not in SCHEDULERS:
            raise ValueError(
                f"--lr_scheduler must be one of {', '.join(SCHEDULERS)}, got {self.lr_scheduler!r}"
            )
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        if LOSS_REGISTRY[self.loss].budget is None and (
            self.dco_n != defaults["dco_n"] or self.n_eff != defaults["n_eff"]
        ):
            raise ValueError(
                "--dco_n and --n_eff are DCO's budgets; --loss ce trains with N = 1 (drop them, or pick a DCO loss)"
            )
        if not 0.0 <= self.epsilon < 1.0:
            raise ValueError(f"epsilon must be in [0, 1), got {self.epsilon}")
        if not 0.0 <= self.eval_fraction < 1.0:
            raise ValueError(f"eval_fraction must be in [0, 1), got {self.eval_fraction}")
        if not self.data:
            raise ValueError("data is required: a .jsonl / .json file, a folder or a dataset name")
        if not self.model and not self.tiny:
            raise ValueError("model is required (a hub name or a local path), or pass --tiny")
        if self.num_epochs <= 0 and self.max_steps <= 0:
            raise ValueError("set --num_epochs > 0 or --max_steps > 0")

    def check_paths(self) -> None:
        """Missing local paths are named before any work (never looked up on the hub); ``--model RUN_DIR``
        becomes ``RUN_DIR/final``."""
        from prover.io import require_local_or_hub, resolve_model

        require_local_or_hub(self.data, "--data")
        require_local_or_hub(self.eval_data, "--eval_data")
        require_local_or_hub(self.benchmark, "--benchmark")
        if not self.tiny:
            self.model = resolve_model(self.model)

    @property
    def run_settings(self) -> dict[str, Any]:
        """The settings that define what a run trains (a resume must not change them): the rest (batch split
        per device, logging, checkpoints, trackers) only changes how it runs."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k in _run_fields(type(self))}

    @property
    def budget(self) -> int:
        """The N of the objective in force (1 for CE)."""
        field_name = LOSS_REGISTRY[self.loss].budget
        return 1 if field_name is None else getattr(self, field_name)


# --------------------------------------------------------------------------- the verification stage

BACKENDS = ("auto", "repl", "file")


def _default_workers() -> int:
    """min(cores, RAM / 8 GB): a Lean process with Mathlib needs about 6.5 GB."""
    try:
        ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        ram_gb = 8.0
    return max(1, min(os.cpu_count() or 1, int(ram_gb // 8)))


def check_lean_limits(cfg: Any) -> None:
    """The Lean limits every stage that runs Lean shares: ``timeout`` (s) and ``memory_mb``."""
    check_number("timeout", cfg.timeout, above=0)
    check_number("memory_mb", cfg.memory_mb, low=0)


def check_reference_flags(cfg: Any) -> None:
    """The reference statement is named one way: ``--statement`` (with ``--header``), or ``--benchmark``
    with ``--name``."""
    if cfg.statement and (cfg.benchmark or cfg.name):
        raise ValueError("give the reference one way: --statement (and --header), or --benchmark with --name")
    if cfg.header and not cfg.statement:
        raise ValueError("--header goes with --statement (a benchmark's theorems carry their own header)")


@dataclass
class VerifyConfig:
    """``prover verify``: check one proof file, or a JSONL of model outputs, against reference statements."""

    input: str = option(
        "", "a .lean proof (or - for stdin), or a JSONL of {name, proof} lines", positional=True
    )
    statement: str = option("", "reference statement for a single proof, e.g. 'theorem t : 1 + 1 = 2 := by'")
    header: str = option("", "header (imports, open, set_option) of --statement")
    benchmark: str = option("", "benchmark JSONL with name, header, formal_statement (e.g. MiniF2F)")
    name: str = option("", "the theorem of --benchmark that a single proof proves")
    output: str = option("", "batch mode: verdicts JSONL (default: INPUT with .verdicts.jsonl)", short="-o")
    backend: str = option(
        "auto",
        "checker: repl (warm REPL pool, accepted proofs confirmed by the file checker), file (one "
        "`lean --json` process per proof) or auto (repl when the project's REPL is built)",
        BACKENDS,
    )
    confirm: bool = option(True, "repl backend: confirm every accepted proof with the file checker")
    cache: str = option(
        "", "batch mode: SQLite verdict cache (default: verdict_cache.sqlite beside --output)"
    )
    no_cache: bool = option(False, "batch mode: check everything again, ignoring the verdict cache")
    workers: int = option(0, "parallel Lean processes; 0: min(cores, RAM / 8 GB)")
    timeout: float = option(300.0, "seconds per proof before Lean is killed (verdict timeout)")
    memory_mb: int = option(16384, "address-space cap per Lean process in MB (verdict oom); 0: none")
    allow_native_decide: bool = option(False, "accept Lean.ofReduceBool / Lean.trustCompiler (native_decide)")
    ray: str = option("", "batch mode on a Ray cluster: 'auto' (running cluster), an address, or 'local'")
    check_statements: str = option(
        "", "instead of proofs: report the statements of this benchmark JSONL that do not elaborate"
    )

    def __post_init__(self) -> None:
        if not self.input and not self.check_statements:
            raise ValueError("input is required: a .lean file, - for stdin, or a .jsonl of model outputs")
        if self.backend not in BACKENDS:
            raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        check_lean_limits(self)
        check_number("workers", self.workers, low=0)
        check_reference_flags(self)
        if self.check_statements and self.input:
            raise ValueError(
                "--check_statements checks a benchmark's statements: give no proof input with it"
            )
        if self.batch:
            if self.name or self.statement:
                raise ValueError(
                    "a batch names each proof's theorem in its lines: --name and --statement apply to a single proof"
                )
            if not self.benchmark:
                raise ValueError("batch mode needs --benchmark FILE for the reference statements")
        if self.workers == 0:
            self.workers = _default_workers()

    @property
    def batch(self) -> bool:
        return self.input.endswith(".jsonl")

    def check_paths(self) -> None:
        from prover.io import require_file, require_local_or_hub

        if self.input:
            require_file(self.input, "input")
        if self.check_statements:
            require_local_or_hub(self.check_statements, "--check_statements")
        require_local_or_hub(self.benchmark, "--benchmark")


# --------------------------------------------------------------------------- the search stage

@dataclass(frozen=True)
class Strategy:
    """A search strategy, as the CLI and the search run read it (its code: ``search/strategies.py``)."""

    help: str
    tactics: bool  # drives Lean's REPL tactic by tactic (a tactic model); else whole proofs


STRATEGY_REGISTRY = {
    "rollout": Strategy("one tactic at a time until the proof closes (tactic model)", True),
    "tree": Strategy("best-first search over tactics (tactic model)", True),
    "whole": Strategy("whole proofs in one completion (whole-proof model)", False),
}
STRATEGIES = tuple(STRATEGY_REGISTRY)
SAMPLERS = ("auto", "vllm", "hf")


@dataclass
class SearchConfig:
    """``prover search``: N attempts per benchmark theorem, each checked by the verifier."""

    RENAMED: ClassVar[dict[str, str]] = {"n_eff": "branching"}  # n_eff is training's DCO-step budget

    model: str = option("", "hub name or local path of the prover model")
    benchmark: str = option(
        "", "benchmark JSONL (DeepSeek / MiniF2F schema: name, split, header, formal_statement)"
    )
    split: str = option(
        "test", "split of the benchmark to search: valid, test or all", ("valid", "test", "all")
    )
    names: str = option("", "comma-separated theorem names (a subset of the split)")
    strategy: str = option(
        "rollout", " | ".join(f"{name}: {s.help}" for name, s in STRATEGY_REGISTRY.items()), STRATEGIES
    )
    sampler: str = option(
        "auto", "generation engine: vllm (GPU), hf (transformers) or auto", SAMPLERS, run=False
    )
    n: int = option(32, "attempts per theorem (pass@n budget)")
    temperature: float = option(1.0, "sampling temperature")
    top_p: float = option(0.95, "nucleus sampling top-p")
    max_tokens_tactic: int = option(128, "max new tokens per tactic")
    max_tokens_proof: int = option(1024, "max new tokens per whole proof")
    max_tactics: int = option(32, "rollout / tree: max tactics in one proof")
    branching: int = option(4, "tree: tactics sampled per expansion (the branching factor)")
    expansions: int = option(32, "tree: expansion budget of one attempt")
    stop_on_first: bool = option(
        False, "stop a theorem at its first verified proof (pass@k past 1 is then not estimable)"
    )
    greedy: bool = option(
        True, "also decode one greedy proof or first tactic per theorem (confidence diagnostic)", run=False
    )
    seed: int = option(0, "sampling seed")
    batch_theorems: int = option(
        16, "theorems advanced together (one generation call per step for all their attempts)", run=False
    )
    tactic_prompt: str = option(TACTIC_PROMPT, "prompt template of tactic models (as in training)")
    whole_prompt: str = option(WHOLE_PROMPT, "prompt template of whole-proof models (as in training)")
    proof_stop: str = option("```", "whole: the proof ends before this string")
    tensor_parallel_size: int = option(1, "vllm: GPUs per engine", run=False)
    engines: int = option(
        1,
        "data-parallel sampling engines on Ray (one per GPU or tensor-parallel group); >1 needs Ray",
        run=False,
    )
    gpu_memory_utilization: float = option(0.9, "vllm: fraction of GPU memory for the engine", run=False)
    engine_kwargs: dict = option({}, "vllm: extra LLM(...) arguments, as JSON", run=False)
    output_dir: str = option(
        "runs/search", "run directory: config.json, attempts.jsonl, greedy.jsonl, summary.json", run=False
    )
    resume: str = option(
        "",
        "continue a killed run: 'latest' (the run in --output_dir) or a run directory (as in train: what to "
        "resume from); every theorem ends with exactly n attempts",
        const="latest",
        run=False,
    )
    override_settings: bool = option(
        False,
        "--resume although the settings, model or statements changed (recorded in config.json)",
        run=False,
    )
    ray: str = option(
        "", "verify on a Ray cluster: 'auto' (running cluster), an address, or 'local'", run=False
    )
    shard: str = option(
        "", "i/n: search every n-th theorem from the i-th (clusters without Ray); join with prover merge"
    )
    timeout: float = option(300.0, "seconds per Lean check or tactic", run=False)
    workers: int = option(0, "parallel Lean processes; 0: min(cores, RAM / 8 GB)", run=False)
    threads: int = option(0, "torch CPU threads of the transformers sampler; 0: the thread policy (prover/threads.py)", run=False)
    memory_mb: int = option(16384, "address-space cap per Lean process in MB", run=False)
    backend: str = option(
        "auto",
        "proof checker: repl (warm REPL pool), file (one lean process per proof) or auto",
        BACKENDS,
        run=False,
    )

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("model is required (a hub name or a local path)")
        if not self.benchmark:
            raise ValueError("benchmark is required (e.g. ../shared/data/minif2f/minif2f.jsonl)")
        for name in ("n", "max_tactics", "branching", "expansions", "batch_theorems", "max_tokens_tactic",
                     "max_tokens_proof", "tensor_parallel_size", "engines"):  # fmt: skip
            check_number(name, getattr(self, name), low=1)
        check_number("temperature", self.temperature, low=0)
        check_number("top_p", self.top_p, above=0, high=1)
        check_number("gpu_memory_utilization", self.gpu_memory_utilization, above=0, high=1)
        check_number("workers", self.workers, low=0)
        check_lean_limits(self)
        if isinstance(self.resume, bool):  # resume=True from Python or an older config.json: the run itself
            self.resume = "latest" if self.resume else ""
        if self.resume not in ("", "latest"):
            self.output_dir = self.resume  # a run directory: continue that run
        if self.shard:
            match = re.fullmatch(r"(\d+)/(\d+)", self.shard)
            if match is None or not int(match.group(1)) < int(match.group(2)):
                raise ValueError(f"--shard must be i/n with 0 <= i < n, got {self.shard!r}")
        if self.workers == 0:
            self.workers = _default_workers()

    @property
    def run_settings(self) -> dict[str, Any]:
        """The settings that decide what a run samples (a resume must not change them); the rest (workers,
        engines, limits, the checker) only changes how it runs."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k in _run_fields(type(self))}

    @classmethod
    def from_saved(cls, values: dict[str, Any]) -> SearchConfig:
        """The config a run directory saved, written by this version or an older one (renamed settings)."""
        return cls(**{cls.RENAMED.get(k, k): v for k, v in values.items()})

    def check_paths(self) -> None:
        from prover.io import require_local_or_hub, resolve_model

        require_local_or_hub(self.benchmark, "--benchmark")
        self.model = resolve_model(self.model)


# --------------------------------------------------------------------------- people at a terminal


@dataclass
class CheckConfig:
    """``prover check``: Lean's verdict on a file a person wrote (any header, their own theorems)."""

    file: str = option("", "the .lean file, or - for stdin", positional=True)
    statement: str = option("", "reference statement: apply the batch verifier's acceptance rules to it")
    header: str = option("", "header of --statement")
    benchmark: str = option("", "benchmark JSONL holding the reference statement (with --name)")
    name: str = option("", "the theorem of --benchmark")
    timeout: float = option(300.0, "seconds before Lean is killed")
    memory_mb: int = option(16384, "address-space cap of the Lean process in MB; 0: none")
    allow_native_decide: bool = option(False, "accept native_decide's axioms")

    def __post_init__(self) -> None:
        if not self.file:
            raise ValueError("file is required: a .lean file, or - for stdin")
        check_lean_limits(self)
        check_reference_flags(self)
        if bool(self.benchmark) != bool(self.name):
            raise ValueError("--benchmark and --name go together")

    def check_paths(self) -> None:
        from prover.io import require_file, require_local_or_hub

        require_file(self.file, "file")
        require_local_or_hub(self.benchmark, "--benchmark")


@dataclass
class ProveConfig:
    """``prover prove``: build a proof tactic by tactic at the terminal."""

    statement: str = option("", "the theorem to prove, ending in ':= by'")
    header: str = option("", "header of --statement (imports, open, set_option)")
    benchmark: str = option("", "benchmark JSONL holding the statement (with --name)")
    name: str = option("", "the theorem of --benchmark")
    model: str = option("", "a tactic model (path or hub name) for 'suggest'")
    tactic_prompt: str = option(TACTIC_PROMPT, "prompt template of the tactic model")
    timeout: float = option(300.0, "seconds per tactic")
    memory_mb: int = option(16384, "address-space cap of the REPL in MB; 0: none")

    def __post_init__(self) -> None:
        if not self.statement and not (self.benchmark and self.name):
            raise ValueError("give the theorem: --statement '...', or --benchmark FILE --name NAME")
        check_lean_limits(self)
        check_reference_flags(self)

    def check_paths(self) -> None:
        from prover.io import require_local_or_hub, resolve_model

        require_local_or_hub(self.benchmark, "--benchmark")
        if self.model:
            self.model = resolve_model(self.model)
