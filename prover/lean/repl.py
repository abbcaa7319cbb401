"""One Lean REPL process (leanprover-community/repl): start, send a request with a deadline, restart.

The REPL runs in its own process group (``lake env`` forks the ``repl`` binary, so kills go to the
group, never to a name) with an address-space cap. A reader thread moves its stdout into a queue so
that every read has a deadline; stderr is drained into a bounded tail for error messages. The process
starts lazily on the first request, which keeps the bookkeeping testable without Lean. Each distinct
header (imports, ``open``, ``set_option``) is elaborated once per process and its ``env`` reused.
"""

from __future__ import annotations

import collections
import json
import logging
import queue
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, runtime_checkable

from prover.lean import process as lean_process
from prover.lean.messages import Message
from prover.lean.protocol import (
    Command,
    CommandResponse,
    Framer,
    ProofStep,
    ProofStepResponse,
    ReplFailure,
    Request,
    Response,
    encode,
    parse_response,
)

logger = logging.getLogger(__name__)


class ReplError(Exception):
    """The REPL process failed; no judgement of the proof was made."""


class ReplTimeout(ReplError, TimeoutError):
    """A request outlived its deadline; the process group was killed."""


class ReplCrashed(ReplError):
    """The process died or closed its output (the message holds the stderr tail)."""


class ReplOutOfMemory(ReplCrashed):
    """The process hit its memory cap."""


class ReplProtocolError(ReplError):
    """The process answered something that is not a REPL reply (the message holds the raw text)."""


@runtime_checkable
class TacticRepl(Protocol):
    """What search and ``prover prove`` need of Lean in tactic mode, whatever runs it (this REPL, the test
    stand-ins, a server such as kimina-lean-server): start a proof, apply a tactic to a proof state, close.
    A reply with Lean's errors is a reply (``ProofStepResponse.errors``); a failure of the machinery raises a
    ``ReplError`` (``ReplTimeout``, ``ReplCrashed``, ``ReplOutOfMemory``, ``ReplProtocolError``), which is
    never the model's fault."""

    def start_proof(self, statement: str, header: str = "", timeout: float = 60.0) -> ProofStepResponse: ...

    def apply(self, proof_state: int, tactic: str, timeout: float = 60.0) -> ProofStepResponse: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ReplSettings:
    """How to start a REPL and when to replace it."""

    argv: tuple[str, ...]
    cwd: str | None = None
    memory_mb: int | None = None  # RLIMIT_AS of the process group's leader; None: no cap
    max_commands: int = 500  # recycle after this many requests (the REPL leaks)
    max_rss_mb: int | None = 12288  # recycle above this resident size of the group


class LeanRepl:
    """A lazily started REPL; ``send`` raises ``ReplError`` subclasses and leaves the REPL restartable."""

    def __init__(self, settings: ReplSettings):
        self.settings = settings
        self._process: subprocess.Popen | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._headers: dict[str, int] = {}
        self.commands = 0  # requests sent to the current process
        self.starts = 0

    # ------------------------------------------------------------------ process

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        self.close()
        self._process = lean_process.start(self.settings.argv, self.settings.cwd, None, self.settings.memory_mb,
                                           stdin=subprocess.PIPE)  # fmt: skip
        self._lines = queue.Queue()
        self._stderr.clear()
        self._headers.clear()
        self.commands = 0
        self.starts += 1
        threading.Thread(target=self._pump_stdout, args=(self._process, self._lines), daemon=True).start()
        threading.Thread(target=self._pump_stderr, args=(self._process,), daemon=True).start()

    @staticmethod
    def _pump_stdout(process: subprocess.Popen, lines: queue.Queue) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            lines.put(raw.decode("utf-8", "replace"))
        lines.put(None)  # EOF

    def _pump_stderr(self, process: subprocess.Popen) -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            self._stderr.append(raw.decode("utf-8", "replace"))

    def stderr_tail(self) -> str:
        return "".join(self._stderr)[-4000:]

    def close(self) -> None:
        """Kill the process group and reap it; idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        lean_process.kill_group(process)
        for stream in (process.stdin, process.stdout, process.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def __enter__(self) -> LeanRepl:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def rss_mb(self) -> float:
        """Resident memory of the process group (the REPL is a child of ``lake env``)."""
        pid = self.pid
        if pid is None or not self.alive:
            return 0.0
        import psutil

        try:
            root = psutil.Process(pid)
            return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20
        except psutil.Error:
            return 0.0

    def needs_recycle(self) -> bool:
        limit = self.settings.max_rss_mb
        return self.commands >= self.settings.max_commands or (limit is not None and self.rss_mb() > limit)

    # ------------------------------------------------------------------ requests

    def send(self, request: Request, timeout: float) -> Response:
        """Send one request and wait at most ``timeout`` seconds for its reply."""
        if not self.alive:
            self.start()
        assert self._process is not None and self._process.stdin is not None
        self.commands += 1
        try:
            self._process.stdin.write(encode(request).encode("utf-8"))
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            self._fail(ReplCrashed, "the REPL closed its input")
        deadline = time.monotonic() + timeout
        framer, text = Framer(), None
        while text is None:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._fail(ReplTimeout, f"no reply within {timeout:g}s")
            if line is None:
                partial = framer.partial
                self._fail(
                    ReplCrashed,
                    "the REPL exited" + (f" in the middle of a reply: {partial[:200]!r}" if partial else ""),
                )
            text = framer.feed(line)
        try:
            return parse_response(json.loads(text))
        except (json.JSONDecodeError, ValueError):
            self._fail(ReplProtocolError, f"not a REPL reply: {text[:500]!r}")

    def _fail(self, error: type[ReplError], why: str) -> NoReturn:
        """Kill the group (it is never reused after a failure) and raise ``error``."""
        if self._process is not None:
            self._process.poll()
        time.sleep(0.05)  # let the stderr pump catch the last words
        tail = self.stderr_tail()
        self.close()
        if error is ReplCrashed and lean_process.out_of_memory(tail):
            error = ReplOutOfMemory
        raise error(f"{why}{': ' + tail.strip()[-1000:] if tail.strip() else ''}")

    def run(self, cmd: str, env: int | None, timeout: float) -> CommandResponse:
        """Command mode; a protocol-level refusal (``{"message": ...}``) raises ``ReplProtocolError``."""
        return _expect(self.send(Command(cmd, env), timeout), CommandResponse)

    def header_env(self, header: str, timeout: float) -> int:
        """The ``env`` holding ``header``, elaborated once per process."""
        if header not in self._headers or not self.alive:
            if not header.strip():
                return self._headers.setdefault(header, -1)
            reply = self.run(header, None, timeout)
            if reply.errors:
                raise ValueError(f"the header does not elaborate: {reply.errors[0].data}")
            self._headers[header] = reply.env
        return self._headers[header]

    # ------------------------------------------------------------------ tactic mode

    def start_proof(self, statement: str, header: str = "", timeout: float = 60.0) -> ProofStepResponse:
        """The initial proof state of ``statement`` (ending in ``:= by``) and its goals."""
        env = self.header_env(header, timeout)
        reply = self.run(statement.rstrip() + " sorry", None if env < 0 else env, timeout)
        first = reply.sorries[0] if reply.sorries and not reply.errors else None
        if first is None or first.proof_state is None:
            detail = reply.errors[0].data if reply.errors else "no proof state"
            raise ValueError(f"cannot start a proof of this statement: {detail}")
        return ProofStepResponse(first.proof_state, [first.goal], [], [], "Incomplete: open goals remain")

    def apply(self, proof_state: int, tactic: str, timeout: float = 60.0) -> ProofStepResponse:
        """Run ``tactic`` on ``proof_state``: the new state, its goals, Lean's errors and the status."""
        reply = self.send(ProofStep(tactic, proof_state), timeout)
        if isinstance(reply, ReplFailure) and reply.message.startswith("Lean error"):
            # the REPL reports some tactic errors (an unknown tactic) as a refusal: it is Lean's error
            error = Message("error", 1, 0, None, None, reply.message.removeprefix("Lean error:").strip())
            return ProofStepResponse(proof_state, [], [error], [], None)
        return _expect(reply, ProofStepResponse)


def _expect(reply: Response, kind: type) -> Any:
    """``reply`` if it is a ``kind``; the REPL's refusal or a reply of the wrong kind raises."""
    if isinstance(reply, ReplFailure):
        raise ReplProtocolError(reply.message)
    if not isinstance(reply, kind):
        raise ReplProtocolError(f"expected {kind.__name__}, got {reply!r}")
    return reply
