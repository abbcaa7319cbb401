"""The REPL client's process management, against a stand-in process that replays the REPL's recorded
replies or misbehaves (hangs, crashes, floods memory, dies mid-reply, speaks garbage)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from prover.lean.protocol import CommandResponse, ProofStepResponse
from prover.lean.repl import (
    LeanRepl,
    ReplCrashed,
    ReplOutOfMemory,
    ReplProtocolError,
    ReplSettings,
    ReplTimeout,
)

from .test_protocol import MISSING, TRANSCRIPTS

FAKE = Path(__file__).resolve().parent.parent / "stand_ins" / "fake_repl.py"
README = TRANSCRIPTS / "readme.expected.out"
pytestmark = pytest.mark.skipif(not README.is_file(), reason=MISSING.format(README))


def repl(mode: str, **kwargs) -> LeanRepl:
    return LeanRepl(ReplSettings((sys.executable, str(FAKE), mode, str(README)), **kwargs))


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().split(")")[-1].split()[0] == "Z"


def test_starts_lazily_and_speaks_the_protocol():
    with repl("replay") as r:
        assert r.pid is None  # nothing started yet
        state = r.start_proof("def f (x : Unit) : Nat := by")
        assert state.proof_state == 0 and state.goals == ["x : Unit\n⊢ Nat"]
        step = r.apply(0, "apply Int.natAbs")
        assert (
            isinstance(step, ProofStepResponse) and step.goals == ["x : Unit\n⊢ Int"] and not step.completed
        )
        done = r.apply(1, "exact -37")
        assert done.completed and r.commands == 3


@pytest.mark.slow  # waits on a deadline, a memory cap or a signal
def test_hang_is_killed_at_the_deadline_with_its_process_group():
    r = repl("hang")
    r.start()
    pid = r.pid
    started = time.monotonic()
    with pytest.raises(ReplTimeout):
        r.run("theorem t : True := trivial", None, timeout=0.5)
    assert time.monotonic() - started < 0.5 + 3.0
    assert not r.alive and _dead(pid)


def test_death_in_the_middle_of_a_reply_is_a_crash():
    with repl("die") as r, pytest.raises(ReplCrashed, match="middle of a reply"):
        r.run("def f (x : Unit) : Nat := by sorry", None, timeout=10)


def test_garbage_is_a_protocol_error_with_the_raw_text():
    with repl("garbage") as r, pytest.raises(ReplProtocolError, match="not a REPL reply"):
        r.run("def f := 1", None, timeout=10)


@pytest.mark.slow  # waits on a deadline, a memory cap or a signal
def test_memory_flood_is_out_of_memory():
    with repl("flood", memory_mb=512) as r, pytest.raises(ReplOutOfMemory):
        r.run("def f := 1", None, timeout=30)


def test_process_restarts_after_a_failure():
    r = repl("die")
    with pytest.raises(ReplCrashed):
        r.run("x", None, timeout=10)
    with pytest.raises(ReplCrashed):
        r.run("x", None, timeout=10)
    assert r.starts == 2
    r.close()


def test_recycling_after_k_commands():
    with repl("replay", max_commands=2, max_rss_mb=None) as r:
        r.run("def f (x : Unit) : Nat := by sorry", None, timeout=10)
        assert not r.needs_recycle()
        r.apply(0, "apply Int.natAbs")
        assert r.needs_recycle()


def test_header_is_elaborated_once_per_process():
    with repl("replay") as r:
        env = r.header_env("import Nothing", timeout=10)  # first reply of the transcript: env 0
        assert env == 0 and r.header_env("import Nothing", timeout=10) == 0 and r.commands == 1


def test_close_is_idempotent_and_reaps_the_group():
    r = repl("replay")
    reply = r.run("def f (x : Unit) : Nat := by sorry", None, timeout=10)
    assert isinstance(reply, CommandResponse)
    pid = r.pid
    r.close()
    r.close()
    assert _dead(pid) and not r.alive


def test_the_stand_in_refuses_ids_it_never_handed_out_as_the_repl_does():
    with repl("replay") as r:
        with pytest.raises(ReplProtocolError, match="Unknown environment"):
            r.run("def f (x : Unit) : Nat := by sorry", 7, timeout=10)
        with pytest.raises(ReplProtocolError, match="Unknown proof state"):
            r.apply(42, "skip", timeout=10)
