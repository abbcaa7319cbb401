"""Sampling n completions per prompt, with their cumulative log-probabilities; one interface, two engines.

``VLLMSampler`` (GPU, the ``vllm`` extra, imported only when built) sends every prompt in one
``generate`` call with ``SamplingParams(n=...)``. ``HFSampler`` (transformers, CPU or GPU) does the same
with batched ``generate``. Log-probabilities are the model's own (before temperature and top-p), summed
over the generated tokens up to and including the stop.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger(__name__)

VLLM_HINT = "the vllm backend needs vLLM on a GPU machine: pip install 'dco-prover[vllm]'"


@dataclass(frozen=True)
class Completion:
    text: str
    logprob: float  # sum of the model's log-probabilities of the generated tokens
    token_ids: tuple[int, ...]

    @property
    def tokens(self) -> int:
        return len(self.token_ids)


class Sampler(Protocol):
    def generate(
        self,
        prompts: Sequence[str],
        n: int,
        temperature: float = 1.0,
        top_p: float = 0.95,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        seed: int | Sequence[int] | None = None,
    ) -> list[list[Completion]]:
        """``n`` completions for each prompt, in prompt order. A list of seeds (one per prompt) makes each
        prompt's samples independent of the batch it is in (sharded and resumed runs reproduce them)."""


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """``text`` up to the first stop string (excluded), as vLLM returns it."""
    cut = len(text)
    for s in stop:
        index = text.find(s)
        if index >= 0:
            cut = min(cut, index)
    return text[:cut]


class HFSampler:
    """transformers ``generate`` with ``num_return_sequences``; prompts left-padded in batches."""

    def __init__(self, model, tokenizer, max_batch: int = 64):
        import threading

        self.model, self.tokenizer, self.max_batch = model, tokenizer, max_batch
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        # one call at a time: a seeded draw must not interleave with another thread's; the caller's global
        # torch RNG state is saved and restored around each call (fork_rng), never changed
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(cls, path: str, device: str | None = None, **kwargs) -> HFSampler:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
        model = model.to(device).eval()
        return cls(model, AutoTokenizer.from_pretrained(path), **kwargs)

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        import torch

        devices = [self.model.device] if self.model.device.type == "cuda" else []
        with self._lock, torch.random.fork_rng(devices=devices):
            if seed is not None and not isinstance(seed, int):  # per-prompt seeds: one call per prompt
                out = []
                for prompt, prompt_seed in zip(prompts, seed, strict=True):
                    torch.manual_seed(prompt_seed)
                    out.extend(self._generate([prompt], n, temperature, top_p, max_tokens, list(stop)))
                return out
            if seed is not None:
                torch.manual_seed(seed)
            per_call = max(1, self.max_batch // n)  # prompts per generate call
            out = []
            for start in range(0, len(prompts), per_call):
                chunk = list(prompts[start : start + per_call])
                out.extend(self._generate(chunk, n, temperature, top_p, max_tokens, list(stop)))
            return out

    def _generate(self, prompts, n, temperature, top_p, max_tokens, stop):
        import torch

        batch = self.tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left").to(
            self.model.device
        )
        greedy = temperature == 0
        with torch.no_grad():
            result = self.model.generate(
                **batch,
                do_sample=not greedy,
                temperature=None if greedy else temperature,
                top_p=None if greedy else top_p,
                top_k=None,
                max_new_tokens=max_tokens,
                num_return_sequences=1 if greedy else n,  # greedy: one decode, repeated below
                output_logits=True,
                return_dict_in_generate=True,
                stop_strings=stop or None,
                tokenizer=self.tokenizer if stop else None,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        width = batch["input_ids"].shape[1]
        generated = result.sequences[:, width:]  # (B * n, T)
        logits = torch.stack(result.logits, dim=1).float()  # (B * n, T, V): raw, before temperature / top-p
        token_logp = torch.log_softmax(logits, dim=-1).gather(-1, generated.unsqueeze(-1)).squeeze(-1)
        eos = self.tokenizer.eos_token_id
        completions = []
        for row in range(generated.shape[0]):
            ids = generated[row].tolist()
            length = len(ids)
            for i, token in enumerate(ids):
                if token == eos or token == self.tokenizer.pad_token_id and i > 0 and ids[i - 1] == eos:
                    length = i + 1 if token == eos else i
                    break
            text = self.tokenizer.decode(ids[:length], skip_special_tokens=True)
            completions.append(
                Completion(
                    cut_at_stop(text, stop), float(token_logp[row, :length].sum()), tuple(ids[:length])
                )
            )
        if greedy:
            return [[completion] * n for completion in completions]
        return [completions[i * n : (i + 1) * n] for i in range(len(prompts))]


class VLLMSampler:
    """One ``vllm.LLM`` per process, prefix caching on; all prompts in one ``generate`` call."""

    def __init__(
        self,
        model: str,
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float = 0.9,
        seed: int = 0,
        engine_kwargs: dict | None = None,
    ):
        try:
            from vllm import LLM
        except ImportError as error:
            raise RuntimeError(VLLM_HINT) from error
        self.llm = LLM(
            model=model,
            tensor_parallel_size=tensor_parallel_size,
            gpu_memory_utilization=gpu_memory_utilization,
            enable_prefix_caching=True,
            seed=seed,
            **(engine_kwargs or {}),
        )

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        from vllm import SamplingParams

        def params(prompt_seed):
            return SamplingParams(
                n=n,
                temperature=temperature,
                top_p=top_p if temperature > 0 else 1.0,
                max_tokens=max_tokens,
                stop=list(stop) or None,
                seed=prompt_seed,
                logprobs=0,  # the sampled token's log-probability, summed into cumulative_logprob
            )

        per_prompt = seed is not None and not isinstance(seed, int)
        chosen = [params(s) for s in seed] if per_prompt else params(seed)
        outputs = self.llm.generate(list(prompts), chosen, use_tqdm=False)
        return [
            [
                Completion(c.text, float(c.cumulative_logprob or 0.0), tuple(c.token_ids))
                for c in output.outputs
            ]
            for output in outputs
        ]


def resolve_engine(requested: str) -> str:
    """``auto``: vLLM on a GPU when it is installed, else transformers (``hf``)."""
    if requested != "auto":
        return requested
    import importlib.util

    import torch

    return "vllm" if torch.cuda.is_available() and importlib.util.find_spec("vllm") else "hf"
