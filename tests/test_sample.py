"""Samplers: n completions per prompt with log-probabilities that match a teacher-forced forward pass."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import torch

from prover.search.samplers import VLLM_HINT, HFSampler, VLLMSampler, cut_at_stop


def test_hf_sampler_returns_n_completions_per_prompt_in_order(tiny_model, tiny_tokenizer):
    sampler = HFSampler(tiny_model.eval(), tiny_tokenizer, max_batch=6)
    prompts = ["n : ℕ\n⊢ n + 0 = n:::", "p q : Prop\n⊢ p → p ∨ q:::", "⊢ True:::"]
    out = sampler.generate(prompts, n=4, max_tokens=8, seed=0)
    assert [len(c) for c in out] == [4, 4, 4]
    assert all(c.tokens >= 1 and c.logprob <= 0 for cs in out for c in cs)
    again = sampler.generate(prompts, n=4, max_tokens=8, seed=0)
    assert [[c.text for c in cs] for cs in out] == [[c.text for c in cs] for cs in again]  # seeded


def test_logprob_is_the_models_own_under_teacher_forcing(tiny_model, tiny_tokenizer):
    model = tiny_model.eval()
    sampler = HFSampler(model, tiny_tokenizer)
    (completions,) = sampler.generate(["⊢ True:::"], n=3, max_tokens=6, seed=1)
    prompt_ids = tiny_tokenizer("⊢ True:::")["input_ids"]
    for completion in completions:
        ids = list(completion.token_ids)
        full = torch.tensor([prompt_ids + ids])
        with torch.no_grad():
            logp = torch.log_softmax(model(full).logits[0, len(prompt_ids) - 1 : -1], dim=-1)
        expected = logp.gather(-1, torch.tensor(ids).unsqueeze(-1)).sum().item()
        assert completion.logprob == pytest.approx(expected, abs=1e-4)


def test_greedy_gives_identical_completions(tiny_model, tiny_tokenizer):
    (out,) = HFSampler(tiny_model.eval(), tiny_tokenizer).generate(
        ["⊢ True:::"], n=3, temperature=0, max_tokens=5
    )
    assert len({c.text for c in out}) == 1


def test_stop_strings_cut_the_text():
    assert cut_at_stop("simp\n```\nmore", ["```"]) == "simp\n"
    assert cut_at_stop("simp", ["```"]) == "simp"


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_vllm_sampler_without_vllm_says_how_to_install():
    with pytest.raises(RuntimeError, match="pip install 'dco-prover\\[vllm\\]'"):
        VLLMSampler("any/model")
    assert "vllm" in VLLM_HINT


def test_importing_the_sampler_does_not_import_vllm():
    code = "import sys, prover.search.samplers; print('vllm' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    )


def test_left_padded_batches_keep_each_prompts_logprobs(tiny_model, tiny_tokenizer):
    """A short prompt batched with a long one (left padding) scores its samples as if it were alone."""
    model = tiny_model.eval()
    prompts = ["⊢ True:::", "p q r : Prop\nhpq : p → q\nhqr : q → r\n⊢ p → r:::"]
    out = HFSampler(model, tiny_tokenizer).generate(prompts, 2, max_tokens=5, seed=3)
    for prompt, completions in zip(prompts, out):
        prompt_ids = tiny_tokenizer(prompt)["input_ids"]
        for completion in completions:
            ids = list(completion.token_ids)
            with torch.no_grad():
                logp = torch.log_softmax(
                    model(torch.tensor([prompt_ids + ids])).logits[0, len(prompt_ids) - 1 : -1], dim=-1
                )
            expected = logp.gather(-1, torch.tensor(ids).unsqueeze(-1)).sum().item()
            assert completion.logprob == pytest.approx(expected, abs=1e-4)


def test_seeded_draws_are_the_same_from_threads_and_leave_the_global_rng_alone(tiny_model, tiny_tokenizer):
    import threading

    import torch

    sampler = HFSampler(tiny_model, tiny_tokenizer)
    prompts = [f"⊢ {i} = {i}:::" for i in range(4)]
    seeds = [11, 12, 13, 14]
    sequential = [sampler.generate([p], 2, max_tokens=6, seed=[s]) for p, s in zip(prompts, seeds)]
    torch.manual_seed(123)
    state = torch.get_rng_state()
    threaded: dict[int, list] = {}
    workers = [
        threading.Thread(target=lambda i=i: threaded.__setitem__(i, sampler.generate([prompts[i]], 2, max_tokens=6, seed=[seeds[i]])))
        for i in range(4)
    ]  # fmt: skip
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert [threaded[i] for i in range(4)] == sequential
    assert torch.equal(torch.get_rng_state(), state)  # the caller's random state is untouched
    assert tiny_tokenizer.padding_side == "right"  # nor is the tokenizer changed
