"""Examples into token ids: the templates of ``prover.prompts`` filled, the state masked out of the loss.

Prompt and target are tokenized separately and concatenated, exactly as at generation time, where the
prompt is tokenized alone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from prover.prompts import TACTIC_PROMPT, TACTIC_TARGET, WHOLE_PROMPT, WHOLE_TARGET
from prover.train.data import Example, ProofExample, TacticExample

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class PromptFormat:
    """The templates; fields of the examples fill them (``str.format``)."""

    tactic_prompt: str = TACTIC_PROMPT
    tactic_target: str = TACTIC_TARGET
    whole_prompt: str = WHOLE_PROMPT
    whole_target: str = WHOLE_TARGET

    def prompt(self, example: Example) -> str:
        if isinstance(example, TacticExample):
            return self.tactic_prompt.format(state=example.state)
        return self.whole_prompt.format(**_proof_fields(example))

    def target(self, example: Example) -> str:
        if isinstance(example, TacticExample):
            return self.tactic_target.format(tactic=example.tactic)
        return self.whole_target.format(**_proof_fields(example))


def _proof_fields(example: ProofExample) -> dict[str, str]:
    return {
        "header": example.header,
        "informal_prefix": example.informal_prefix,
        "formal_statement": example.formal_statement,
        "proof": example.proof,
        "name": example.name or "",
    }


@dataclass(frozen=True)
class TokenizedExample:
    """Token ids of prompt + target + eos; the first ``n_prompt`` ids are not trained on."""

    input_ids: tuple[int, ...]
    n_prompt: int


def tokenize_examples(
    examples: Sequence[Example], tokenizer, fmt: PromptFormat, max_length: int, batch_size: int = 1024
) -> list[TokenizedExample | None]:
    """Tokenize; an example longer than ``max_length`` (its target would be cut) becomes ``None``."""
    from tqdm.auto import tqdm

    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no eos token; a tactic model must learn where a tactic ends")
    out: list[TokenizedExample | None] = []
    for start in tqdm(range(0, len(examples), batch_size), desc="tokenize", unit="batch", leave=False):
        chunk = examples[start : start + batch_size]
        prompts = tokenizer([fmt.prompt(e) for e in chunk], add_special_tokens=True)["input_ids"]
        targets = tokenizer([fmt.target(e) for e in chunk], add_special_tokens=False)["input_ids"]
        for prompt_ids, target_ids in zip(prompts, targets):
            ids = tuple(prompt_ids) + tuple(target_ids) + (eos,)
            out.append(TokenizedExample(ids, len(prompt_ids)) if len(ids) <= max_length else None)
    return out


def _step_order(example: Example) -> tuple[bool, int]:
    step = example.step if isinstance(example, TacticExample) else None
    return step is None, step or 0


def build_units(examples: Sequence[Example], by_trace: bool) -> list[list[int]]:
    """Training units as lists of example indices: single examples, or whole traces in step order.

    A unit is what the sampler draws and the loss weights together: whole-proof DCO over tactic traces
    needs every step of a trace in the same forward pass.
    """
    if not by_trace:
        return [[i] for i in range(len(examples))]
    traces: dict[str, list[int]] = defaultdict(list)
    units: list[list[int]] = []
    for i, example in enumerate(examples):
        trace_id = example.trace_id if isinstance(example, TacticExample) else None
        if trace_id is None:
            units.append([i])
        else:
            if trace_id not in traces:
                units.append(traces[trace_id])  # first appearance fixes the unit's order
            traces[trace_id].append(i)
    for steps in traces.values():
        steps.sort(key=lambda i: _step_order(examples[i]))
    return units


def drop_overlong(
    units: list[list[int]], tokenized: Sequence[TokenizedExample | None]
) -> tuple[list[list[int]], int]:
    """Remove units with an over-long example (a trace loses all its steps: p(proof) needs them all)."""
    kept = [u for u in units if all(tokenized[i] is not None for i in u)]
    dropped_examples = sum(len(u) for u in units) - sum(len(u) for u in kept)
    if dropped_examples:
        logger.warning(
            "dropped %d example(s) whose target would be truncated by max_length", dropped_examples
        )
    return kept, dropped_examples
