"""prover/lean/process.py: one home for starting, capping, killing and classifying a Lean process, which
the file checker and the REPL both use (their out-of-memory verdicts once differed: four markers against
three)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from prover.lean import process

LEAN = Path(__file__).resolve().parents[1] / "prover" / "lean"


@pytest.mark.parametrize("said", ["INTERNAL PANIC: out of memory", "terminate called after throwing an instance of "
                                  "'std::bad_alloc'", "mmap: Cannot allocate memory", "Failed to allocate 4096 bytes"])  # fmt: skip
def test_every_way_lean_says_it_ran_out_of_memory_is_out_of_memory(said):
    assert process.out_of_memory(f"some output\n{said}\n")


def test_a_crash_that_is_not_about_memory_is_not_out_of_memory():
    assert not process.out_of_memory("Segmentation fault (core dumped)\nPANIC at Lean.Elab ...")


def test_no_backend_keeps_its_own_markers_kill_or_cap():
    for name in ("filecheck.py", "repl.py", "pool.py"):
        text = (LEAN / name).read_text(encoding="utf-8")
        assert not re.search(r"OOM_MARKERS\s*=|os\.killpg|RLIMIT_AS\b(?!\s*of)|subprocess\.Popen\(", text), name


def test_a_started_group_is_killed_whole():
    started = process.start([sys.executable, "-c", "import subprocess, sys, time; "
                             "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"])  # fmt: skip
    process.kill_group(started)
    assert started.returncode is not None
    process.kill_group(started)  # idempotent


def test_the_repl_and_its_stand_ins_are_tactic_repls():
    """Search and `prover prove` meet Lean in tactic mode through one typed Protocol (lean/repl.py)."""
    from prover.lean.repl import LeanRepl, ReplSettings, TacticRepl

    assert isinstance(LeanRepl(ReplSettings(("true",))), TacticRepl)
    from test_invariants import _CountingRepl

    assert isinstance(_CountingRepl(), TacticRepl)
    assert not isinstance(object(), TacticRepl)
