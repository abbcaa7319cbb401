"""Shared fixtures and markers: tiny models built locally, the sample data, the shared MiniF2F copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is downloaded in tests
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
MINIF2F = ROOT.parent / "shared" / "data" / "minif2f" / "minif2f.jsonl"

requires_minif2f = pytest.mark.skipif(
    not MINIF2F.is_file(),
    reason=f"the MiniF2F copy is not at {MINIF2F} (the shared/ folder beside the checkout; see SOURCE.md there)",
)


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from prover.train.data import read_examples
    from prover.train.tiny import build_tokenizer
    from prover.train.tokenize import PromptFormat

    fmt = PromptFormat()
    examples = read_examples(str(DATA / "tactic_pairs.jsonl")) + read_examples(
        str(DATA / "whole_proofs.jsonl")
    )
    return build_tokenizer(fmt.prompt(e) + fmt.target(e) for e in examples)


@pytest.fixture
def tiny_model(tiny_tokenizer):
    from prover.train.tiny import build_tiny_model

    return build_tiny_model(tiny_tokenizer, hidden_size=32, layers=2, heads=2, max_positions=512)


def load_script(path: Path, name: str):
    """A script that is not a package module (benchmarks/, data/), imported by its path."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    return module
