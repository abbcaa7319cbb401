"""The file checker: one ``lean --json FILE`` process per proof, the ground truth a person would run by hand.

The process runs in its own process group with an address-space limit; on timeout the whole group is
killed (``lake env`` forks ``lean``: killing the pid alone would leave an orphan). It reports Lean's
messages or an infrastructure failure; it never decides whether a proof is accepted (``verify.py`` does).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from prover.lean.messages import Message, parse_json_lines


@dataclass(frozen=True)
class LeanCommand:
    """How to start Lean: ``argv`` (``--json FILE`` is appended), run in ``cwd``."""

    argv: tuple[str, ...]
    cwd: str | None = None


@dataclass
class FileRun:
    """What one Lean process did: its messages, or why there are none."""

    messages: list[Message] = field(default_factory=list)
    returncode: int | None = None
    timed_out: bool = False
    out_of_memory: bool = False
    crashed: bool = False
    stderr: str = ""
    seconds: float = 0.0


def _limit_memory(megabytes: int):
    def apply() -> None:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


_OOM_MARKERS = ("out of memory", "std::bad_alloc", "cannot allocate memory", "failed to allocate")


def run_lean_file(
    code: str, command: LeanCommand, timeout: float = 60.0, memory_mb: int | None = None
) -> FileRun:
    """Check ``code`` as a file with ``command``; kills the process group after ``timeout`` seconds."""
    with tempfile.TemporaryDirectory(prefix="prover-check-") as tmp:
        path = os.path.join(tmp, "Check.lean")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(code)
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command.argv, "--json", path],
            cwd=command.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed as a whole
            preexec_fn=_limit_memory(memory_mb) if memory_mb else None,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return FileRun(timed_out=True, seconds=time.perf_counter() - started)
        finally:
            _kill_group(process)  # nothing of the group outlives the check
        run = FileRun(returncode=process.returncode, stderr=stderr.decode("utf-8", "replace")[-4000:])
        run.seconds = time.perf_counter() - started
    text = stdout.decode("utf-8", "replace")
    lowered = run.stderr.lower()
    if process.returncode not in (0, 1) or any(marker in lowered for marker in _OOM_MARKERS):
        run.out_of_memory = any(marker in lowered for marker in _OOM_MARKERS)
        run.crashed = not run.out_of_memory
        return run
    try:
        run.messages = parse_json_lines(text)
    except ValueError as error:
        run.crashed, run.stderr = True, f"{error}\n{run.stderr}"
    return run


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
