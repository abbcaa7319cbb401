"""Sampling on a Ray cluster: data-parallel engines as actors (one per GPU or tensor-parallel group).

With per-prompt seeds the completions do not depend on which engine drew them. Ray is imported only when
used (``pip install ray``).
"""

from __future__ import annotations

from typing import Any

from prover.search.samplers import HFSampler, Sampler, VLLMSampler
from prover.verify.ray import RAY_HINT


class _Engine:
    """The actor: one sampler (a vLLM engine on its GPUs, or transformers)."""

    def __init__(self, kind: str, model: str, options: dict):
        self.sampler: Sampler
        if kind == "vllm":
            self.sampler = VLLMSampler(model, **options)
        else:
            self.sampler = HFSampler.from_pretrained(model)

    def generate(self, prompts, n, temperature, top_p, max_tokens, stop, seed):
        return self.sampler.generate(prompts, n, temperature, top_p, max_tokens, stop, seed)


class RaySampler:
    """Data-parallel sampling: ``engines`` actors (one per GPU or tensor-parallel group), each prompt sent
    to one of them. With per-prompt seeds the completions do not depend on which engine drew them."""

    def __init__(
        self, kind: str, model: str, engines: int, gpus_per_engine: int = 0, address: str = "auto", **options
    ):
        try:
            import ray
        except ImportError as error:
            raise RuntimeError(RAY_HINT) from error
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=None if address == "local" else address, log_to_driver=False)
        engine = ray.remote(_Engine).options(num_gpus=gpus_per_engine, num_cpus=0)
        self.engines: list[Any] = [engine.remote(kind, model, options) for _ in range(engines)]

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        if seed is not None and not isinstance(seed, int):
            seeds = list(seed)
        else:  # one seed for the call: give each prompt its own, derived from it
            seeds = [None if seed is None else seed * 1_000_003 + i for i in range(len(prompts))]
        k = len(self.engines)
        calls = [
            engine.generate.remote(
                list(prompts[i::k]), n, temperature, top_p, max_tokens, list(stop), seeds[i::k]
            )
            for i, engine in enumerate(self.engines)
            if prompts[i::k]
        ]
        parts = self.ray.get(calls)
        out: list = [None] * len(prompts)
        for i, part in enumerate(parts):
            out[i::k] = part
        return out

    def close(self) -> None:
        for engine in self.engines:
            self.ray.kill(engine)
