"""`prover prove` at a pseudo-terminal with real Lean (marked `lean`; skipped unless PROVER_LEAN_PROJECT points
to a built lean_project/). PROVER_TEST_HEADER="" runs it on core Lean without Mathlib."""

from __future__ import annotations

import os
import sys

import pytest

from prover.cli import main

from .conftest import TEST_HEADER, requires_lean_project

pytestmark = requires_lean_project
HEADER = TEST_HEADER
STATEMENT = "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_wrong_tactic_undo_complete_save_and_check(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-m", "prover", "prove", "--statement", STATEMENT, "--header", HEADER],
                          cwd=ROOT, env=dict(os.environ), encoding="utf-8", timeout=300)  # fmt: skip
    child.expect("⊢ q ∧ p")
    child.expect("tactic> ")
    child.sendline("exact h.nonexistent")
    child.expect("error")
    child.expect("state unchanged")
    child.sendline("constructor")
    child.expect("Goal 2:")
    child.sendline("undo")
    child.expect("⊢ q ∧ p")
    child.sendline("exact ⟨h.2, h.1⟩")
    child.expect("proved: and_swap is accepted by the verifier")
    saved = tmp_path / "and_swap.lean"
    child.sendline(f"save {saved}")
    child.expect("saved")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert main(["check", str(saved), "--statement", STATEMENT, "--header", HEADER]) == 0
