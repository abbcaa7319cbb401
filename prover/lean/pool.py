"""A pool of warm Lean REPLs: one per worker thread, each with its header environments cached.

Threads over blocking pipes (each REPL is its own process), no asyncio. A timeout kills and restarts the
REPL (the header is re-elaborated on the next request) and reports a timeout; a crash or a garbled reply
restarts it and retries the request once, then reports a crash; the memory cap reports out of memory. A
REPL is recycled after K requests or above an RSS limit. No path turns a failure into acceptance.
"""

from __future__ import annotations

import logging
import threading
import time

from prover.lean.filecheck import FileRun
from prover.lean.modules import source_roots
from prover.lean.repl import (
    LeanRepl,
    ReplCrashed,
    ReplOutOfMemory,
    ReplProtocolError,
    ReplSettings,
    ReplTimeout,
)

logger = logging.getLogger(__name__)


class ReplPool:
    """``run(header, body)`` from any of ``workers`` threads; ``close()`` ends every REPL.

    A transport, like the file checker: it returns Lean's messages (lines counted over header + body, as a
    file would number them) or an infrastructure failure, and never judges them (``verify/policy.py`` does)."""

    def __init__(self, settings: ReplSettings, timeout: float = 300.0):
        self.settings, self.timeout = settings, timeout
        self._local = threading.local()
        self._repls: list[LeanRepl] = []
        self._lock = threading.Lock()
        self._closed = False

    def _repl(self) -> LeanRepl:
        repl = getattr(self._local, "repl", None)
        if repl is None:
            if self._closed:
                raise RuntimeError("the pool is closed")
            repl = self._local.repl = LeanRepl(self.settings)  # started on its first request
            with self._lock:
                self._repls.append(repl)
        return repl

    def run(self, header: str, body: str, check: str | None = None) -> FileRun:
        """``body`` as one command in the environment of ``header`` (elaborated once per REPL); then, when
        Lean found no error, ``check`` as a command of its own in the environment ``body`` produced. The
        REPL carries a command's scopes into the next (its pickles keep them too), so the check sees the
        text's ``open``s and ``variable``s: it must name everything from the root (``_root_.``) and is
        confirmed by the file checker, whose check runs in a fresh scope."""
        repl = self._repl()
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                if repl.needs_recycle():
                    repl.close()
                env = repl.header_env(header, self.timeout)
                reply = repl.run(body, None if env < 0 else env, self.timeout)
                checked = None
                if check is not None and not reply.errors:
                    checked = repl.run(check, reply.env, self.timeout).messages
            except ReplTimeout:
                return FileRun(timed_out=True, seconds=time.perf_counter() - started)
            except ReplOutOfMemory as error:
                return FileRun(out_of_memory=True, stderr=str(error), seconds=time.perf_counter() - started)
            except (ReplCrashed, ReplProtocolError) as error:
                if attempt == 2:
                    return FileRun(crashed=True, stderr=str(error), seconds=time.perf_counter() - started)
                logger.warning("REPL failed (%s); restarting and retrying once", str(error)[:200])
                repl.close()
                continue
            lines = header.count("\n")
            messages = [m.shifted(-lines) for m in reply.messages]
            return FileRun(
                messages=messages, check_messages=checked, returncode=0, seconds=time.perf_counter() - started
            )
        raise AssertionError("unreachable")

    __call__ = run  # a runner of the policy (``verify/policy.py:Runner``)

    @property
    def cache_key(self) -> ReplSettings:
        """What identifies this pool's Lean (the policy keeps per-header answers under it)."""
        return self.settings

    def source_roots(self) -> tuple[str, ...]:
        """Where the modules' sources are: the REPL's project (``lean/modules.py``)."""
        return source_roots(self.settings.cwd)

    def close(self) -> None:
        """End every REPL process; idempotent."""
        with self._lock:
            self._closed = True
            repls, self._repls = self._repls, []
        for repl in repls:
            repl.close()

    def __enter__(self) -> ReplPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
