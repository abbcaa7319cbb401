"""A pool of warm Lean REPLs: one per worker thread, each with its header environments cached.

Threads over blocking pipes (each REPL is its own process), no asyncio. A timeout kills and restarts the
REPL (the header is re-elaborated on the next request) and gives that proof ``timeout``; a crash or a
garbled reply restarts it and retries the proof once, then ``crash``; the memory cap gives ``oom``. A
REPL is recycled after K requests or above an RSS limit. No path turns a failure into acceptance.
"""

from __future__ import annotations

import logging
import threading

from prover.lean.repl import (
    LeanRepl,
    ReplCrashed,
    ReplOutOfMemory,
    ReplProtocolError,
    ReplSettings,
    ReplTimeout,
)
from prover.verify import Reason, Reference, VerifyResult, judge, precheck, reference_type, statement_as_axiom

logger = logging.getLogger(__name__)


class ReplPool:
    """``check(reference, output)`` from any of ``workers`` threads; ``close()`` ends every REPL."""

    def __init__(self, settings: ReplSettings, timeout: float = 300.0, allow_native_decide: bool = False):
        self.settings, self.timeout, self.allow_native_decide = settings, timeout, allow_native_decide
        self._local = threading.local()
        self._repls: list[LeanRepl] = []
        self._lock = threading.Lock()
        self._expected: dict[Reference, str] = {}
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

    def _expected_type(self, repl: LeanRepl, reference: Reference, env: int) -> str:
        with self._lock:
            cached = self._expected.get(reference)
        if cached is not None:
            return cached
        reply = repl.run(
            statement_as_axiom(reference, with_header=False), None if env < 0 else env, self.timeout
        )
        expected = reference_type(reply.messages)
        if expected is None:
            errors = "; ".join(m.data for m in reply.errors)
            raise ValueError(f"{reference.name}: the reference statement does not elaborate: {errors}")
        with self._lock:
            self._expected[reference] = expected
        return expected

    def check(self, reference: Reference, output: str) -> VerifyResult:
        pre = precheck(reference, output)
        if isinstance(pre, VerifyResult):
            return pre
        assembled = pre.without_header(reference.header_text)
        repl = self._repl()
        for attempt in (1, 2):
            try:
                if repl.needs_recycle():
                    repl.close()
                env = repl.header_env(reference.header_text, self.timeout)
                expected = self._expected_type(repl, reference, env)
                reply = repl.run(assembled.code, None if env < 0 else env, self.timeout)
            except ReplTimeout:
                return VerifyResult(
                    Reason.TIMEOUT, f"no reply within {self.timeout:g}s; the REPL was restarted"
                )
            except ReplOutOfMemory as error:
                return VerifyResult(Reason.OOM, str(error)[-500:])
            except (ReplCrashed, ReplProtocolError) as error:
                if attempt == 2:
                    return VerifyResult(Reason.CRASH, str(error)[-500:])
                logger.warning("REPL failed (%s); restarting and retrying once", str(error)[:200])
                repl.close()
                continue
            if reply.sorries:
                shown = [m.shifted(assembled.user_offset) for m in reply.messages]
                return VerifyResult(Reason.SORRY, "the proof contains sorry", shown)
            return judge(assembled, reply.messages, expected, self.allow_native_decide)
        raise AssertionError("unreachable")

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
