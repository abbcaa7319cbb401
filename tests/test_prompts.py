"""Prompts, label masking, overlong examples and training units."""

from __future__ import annotations

from conftest import DATA

from prover.prompts import format_goals
from prover.train.data import ProofExample, TacticExample, read_examples
from prover.train.tokenize import PromptFormat, build_units, drop_overlong, tokenize_examples


def test_tactic_prompt_is_state_then_marker():
    fmt = PromptFormat()
    example = TacticExample(state="n : ℕ\n⊢ n + 0 = n", tactic="simp")
    assert fmt.prompt(example) == "n : ℕ\n⊢ n + 0 = n:::" and fmt.target(example) == "simp"


def test_whole_proof_prompt_is_deepseek_style():
    fmt = PromptFormat()
    example = ProofExample(
        formal_statement="theorem t : True := by", proof="\n  trivial", header="import Mathlib\n"
    )
    assert (
        fmt.prompt(example)
        == "Complete the following Lean 4 code:\n\n```lean4\nimport Mathlib\ntheorem t : True := by"
    )
    assert fmt.target(example) == "\n  trivial\n```"


def test_templates_are_configurable():
    fmt = PromptFormat(tactic_prompt="[GOAL]{state}[PROOFSTEP]")
    assert fmt.prompt(TacticExample(state="⊢ True", tactic="trivial")) == "[GOAL]⊢ True[PROOFSTEP]"


def test_goals_are_joined_by_blank_lines():
    assert format_goals(["a : ℕ\n⊢ a = a", "⊢ True\n"]) == "a : ℕ\n⊢ a = a\n\n⊢ True"
    assert format_goals([]) == "no goals"


def test_tokenized_example_is_prompt_then_target_then_eos(tiny_tokenizer):
    example = TacticExample(state="n : ℕ\n⊢ n + 0 = n", tactic="simp")
    (tokenized,) = tokenize_examples([example], tiny_tokenizer, PromptFormat(), max_length=512)
    prompt_ids = tiny_tokenizer("n : ℕ\n⊢ n + 0 = n:::")["input_ids"]
    assert list(tokenized.input_ids[: tokenized.n_prompt]) == prompt_ids
    assert tokenized.input_ids[-1] == tiny_tokenizer.eos_token_id
    target = tiny_tokenizer.decode(tokenized.input_ids[tokenized.n_prompt : -1])
    assert target == "simp"


def test_overlong_examples_are_dropped_never_cut(tiny_tokenizer):
    short = TacticExample(state="⊢ True", tactic="trivial", trace_id="a", step=0)
    long = TacticExample(state="⊢ True", tactic="exact " + "(id " * 200 + "trivial", trace_id="a", step=1)
    other = TacticExample(state="⊢ True", tactic="trivial", trace_id="b", step=0)
    tokenized = tokenize_examples([short, long, other], tiny_tokenizer, PromptFormat(), max_length=64)
    assert tokenized[0] is not None and tokenized[1] is None
    units, dropped = drop_overlong(build_units([short, long, other], by_trace=True), tokenized)
    assert units == [[2]] and dropped == 2  # the whole trace "a" goes: p(proof) needs all its steps
    units, dropped = drop_overlong(build_units([short, long, other], by_trace=False), tokenized)
    assert units == [[0], [2]] and dropped == 1


def test_units_group_traces_in_step_order():
    examples = [
        TacticExample("s", "t", trace_id="a", step=1),
        TacticExample("s", "t", trace_id="b", step=0),
        TacticExample("s", "t", trace_id="a", step=0),
        TacticExample("s", "t"),
    ]
    assert build_units(examples, by_trace=True) == [[2, 0], [1], [3]]
    assert build_units(examples, by_trace=False) == [[0], [1], [2], [3]]


def test_sample_traces_are_complete_and_ordered():
    examples = read_examples(str(DATA / "tactic_pairs.jsonl"))
    for unit in build_units(examples, by_trace=True):
        assert [examples[i].step for i in unit] == list(range(len(unit)))


def test_tactics_become_the_proof_lean_checks_multi_line_ones_indented():
    """What search and `prover prove` hand the verifier after `:= by`: one tactic a line, each line of a
    multi-line tactic indented with the block (else Lean reads its second line as a new command)."""
    from prover.prompts import tactic_body

    assert tactic_body(["intro h", "calc a = b := h\n  _ = c := rfl", "simp"]) == (
        "\n  intro h\n  calc a = b := h\n    _ = c := rfl\n  simp"
    )
    assert tactic_body([]) == ""
