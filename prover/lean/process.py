"""A Lean process, as the file checker and the REPL both run one: started in its own process group under a
memory cap, killed as a whole, and its death classified (out of memory, or a crash). One list of the
out-of-memory markers, so the same Lean message means the same thing from either backend."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from collections.abc import Sequence

# what Lean and its runtime print when an allocation fails under the cap (RLIMIT_AS)
OOM_MARKERS = ("out of memory", "std::bad_alloc", "cannot allocate memory", "failed to allocate")


def out_of_memory(stderr: str) -> bool:
    lowered = stderr.lower()
    return any(marker in lowered for marker in OOM_MARKERS)


def _memory_cap(megabytes: int | None):
    if not megabytes:
        return None

    def apply() -> None:
        limit = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def start(argv: Sequence[str], cwd: str | None = None, env: dict | None = None, memory_mb: int | None = None,
          stdin: int = subprocess.DEVNULL) -> subprocess.Popen:  # fmt: skip
    """``argv`` in a process group of its own (``lake env`` forks the binary: the group is killed whole),
    address space capped at ``memory_mb`` (None: no cap), stdout and stderr piped."""
    return subprocess.Popen(
        list(argv), cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True, preexec_fn=_memory_cap(memory_mb),
    )  # fmt: skip


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process's group and reap it; idempotent."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
