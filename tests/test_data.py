"""Readers, validation errors (file, line, field), LeanDojo files, datasets, and the contamination guard."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, MINIF2F, requires_minif2f

from prover.train.data import (
    DataError,
    ProofExample,
    ReadReport,
    TacticExample,
    detect_kind,
    drop_contaminated,
    normalize_statement,
    read_examples,
)


def test_sample_tactic_pairs_read_with_their_traces():
    examples = read_examples(str(DATA / "tactic_pairs.jsonl"))
    assert len(examples) == 23 and all(isinstance(e, TacticExample) for e in examples)
    assert len({e.trace_id for e in examples}) == 14
    first = examples[0]
    assert first.state.endswith("⊢ p ∧ q → q ∧ p") and first.tactic == "intro h" and first.step == 0


def test_sample_whole_proofs_read():
    examples = read_examples(str(DATA / "whole_proofs.jsonl"))
    assert len(examples) == 9 and all(isinstance(e, ProofExample) for e in examples)
    assert sum(e.header.startswith("import Mathlib") for e in examples) == 4


def test_leandojo_file_becomes_ordered_steps_of_one_trace_per_theorem():
    examples = read_examples(str(DATA / "leandojo_sample.json"))
    assert [(e.theorem, e.step, e.tactic) for e in examples] == [
        ("Sample.and_swap", 0, "intro h"),
        ("Sample.and_swap", 1, "exact ⟨h.2, h.1⟩"),
        ("Sample.add_comm'", 0, "omega"),
    ]
    assert examples[0].trace_id == examples[1].trace_id != examples[2].trace_id


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"state": "⊢ True", "tactic": "trivial"', "malformed JSON"),
        ('{"tactic": "trivial"}', 'missing field "state"'),
        ('{"state": "⊢ True", "tactic": "  "}', 'field "tactic" is empty'),
        ('{"state": "⊢ True", "tactic": 3}', 'field "tactic" must be a string'),
        ('["⊢ True", "trivial"]', "expected a JSON object"),
        (
            '{"state": "⊢ True", "tactic": "trivial", "step": -1}',
            'field "step" must be a non-negative integer',
        ),
        (
            '{"state": "⊢ True", "tactic": "trivial", "trace_id": [1]}',
            'field "trace_id" must be a string or an integer',
        ),
    ],
)
def test_bad_line_names_file_line_and_field(tmp_path, line, message):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"state": "⊢ True", "tactic": "trivial"}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_examples(str(path), kind="tactic")
    assert str(error.value).startswith(f"{path}:3: ") and message in str(error.value)


def test_whole_proof_missing_field_is_named(tmp_path):
    path = tmp_path / "proofs.jsonl"
    path.write_text('{"formal_statement": "theorem t : True := by"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r'proofs.jsonl:1: missing field "proof"'):
        read_examples(str(path), kind="whole")


def test_leandojo_bad_step_names_theorem_and_step(tmp_path):
    path = tmp_path / "dojo.json"
    path.write_text(
        json.dumps([{"full_name": "t", "traced_tactics": [{"state_before": "⊢ True"}]}]), encoding="utf-8"
    )
    with pytest.raises(DataError, match=r'theorem \[0\]: traced_tactics\[0\]: missing field "tactic"'):
        read_examples(str(path))


def test_skip_bad_skips_and_counts(tmp_path):
    path = tmp_path / "pairs.jsonl"
    good = '{"state": "⊢ True", "tactic": "trivial"}'
    path.write_text(
        "\n".join([good, "{oops", good, '{"state": "⊢ True", "tactic": ""}', good]) + "\n", encoding="utf-8"
    )
    report = ReadReport()
    examples = read_examples(str(path), kind="tactic", skip_bad=True, report=report)
    assert len(examples) == 3 and report.bad == 2


def test_format_is_detected_from_the_first_record():
    assert detect_kind(str(DATA / "tactic_pairs.jsonl")) == "tactic"
    assert detect_kind(str(DATA / "whole_proofs.jsonl")) == "whole"
    assert detect_kind(str(DATA / "leandojo_sample.json")) == "leandojo"


def test_dataset_folder_loads_through_datasets(tmp_path):
    folder = tmp_path / "pairs"
    folder.mkdir()
    (folder / "train.jsonl").write_text(
        (DATA / "tactic_pairs.jsonl").read_text(encoding="utf-8"), encoding="utf-8"
    )
    examples = read_examples(str(folder), kind="tactic", split="train")
    assert examples == read_examples(str(DATA / "tactic_pairs.jsonl"))


def test_missing_source_is_reported(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_examples(str(tmp_path / "nope" / "x.jsonl"), kind="tactic")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("theorem foo (a : ℕ) :\n  a + 0 = a := by", "theorem   foo (a : ℕ) : a + 0 = a :="),
        ("theorem foo (a : ℕ) : a + 0 = a := by", "lemma bar (a : ℕ) :  a + 0 = a"),
    ],
)
def test_statements_equal_up_to_name_and_white_space(a, b):
    assert normalize_statement(a) == normalize_statement(b)


def test_statements_that_differ_stay_different():
    assert normalize_statement("theorem foo (a : ℕ) : a + 0 = a := by") != normalize_statement(
        "theorem foo (a : ℤ) : a + 0 = a := by"
    )


@requires_minif2f
def test_contamination_guard_drops_benchmark_theorems(tmp_path):
    benchmark = [json.loads(line) for line in MINIF2F.read_text(encoding="utf-8").splitlines()[:3]]
    leaked = benchmark[0]["formal_statement"].replace(benchmark[0]["name"], "renamed_copy").replace(" ", "  ")
    proofs = tmp_path / "proofs.jsonl"
    proofs.write_text(
        json.dumps({"formal_statement": leaked, "proof": " simp"})
        + "\n"
        + (DATA / "whole_proofs.jsonl").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "state": "s0",
                    "tactic": "t0",
                    "trace_id": "x",
                    "step": 0,
                    "statement": benchmark[1]["formal_statement"],
                },
                {"state": "s1", "tactic": "t1", "trace_id": "x", "step": 1},
                {"state": "s", "tactic": "t", "trace_id": "y", "theorem": benchmark[2]["name"]},
                {"state": "s", "tactic": "t", "trace_id": "z"},
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = ReadReport()
    kept = drop_contaminated(read_examples(str(proofs)), str(MINIF2F), report)
    assert len(kept) == 9 and report.contaminated == 1
    kept_pairs = drop_contaminated(read_examples(str(pairs)), str(MINIF2F), report)
    assert [e.trace_id for e in kept_pairs] == ["z"] and report.contaminated == 4
