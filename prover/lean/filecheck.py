"""The file checker: ``lean --json FILE`` per proof, the ground truth a person would run by hand.

With a ``check``, the text is compiled as a module of its own (``lean -o``) and the check runs in a second
file that imports it: a fresh command scope (root namespace, no ``open``, ``variable`` or option of the
text) over the environment the text produced. Lean writes the module only when the text has no error, so
the check runs only then. Each process runs in its own process group with an address-space limit; on
timeout the whole group is killed (``lake env`` forks ``lean``: killing the pid alone would leave an
orphan). It reports Lean's messages or an infrastructure failure; it never decides whether a proof is
accepted (``verify/policy.py`` does).
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from prover.lean import process as lean_process
from prover.lean.launch_lean import STAGE_MARK
from prover.lean.messages import Message, parse_json_lines
from prover.lean.modules import header_words, source_roots


@dataclass(frozen=True)
class LeanCommand:
    """How to start Lean: ``argv`` (``--json FILE`` is appended), run in ``cwd``; ``search_path``: more
    directories of ``.olean`` files (``LEAN_PATH``, before the one inherited)."""

    argv: tuple[str, ...]
    cwd: str | None = None
    search_path: tuple[str, ...] = ()
    both_steps: bool = False  # the launcher runs a check's two steps in one start (``launch_lean.py --then``)

    def source_roots(self) -> tuple[str, ...]:
        """Where this Lean's module sources are (``lean/modules.py``): its project, the packages in it,
        ``search_path``, the toolchain's ``src/lean``."""
        return _source_roots(self)

    def environment(self, *first: str) -> dict[str, str]:
        """The process environment: ``LEAN_PATH`` with ``first`` and ``search_path`` in front."""
        inherited = os.environ.get("LEAN_PATH", "")
        path = [*first, *self.search_path, *([inherited] if inherited else [])]
        return {**os.environ, "LEAN_PATH": os.pathsep.join(path)} if path else dict(os.environ)


@dataclass
class FileRun:
    """What one Lean process did: its messages, or why there are none."""

    messages: list[Message] = field(default_factory=list)
    check_messages: list[Message] | None = None  # the check's (lines of the check text); None: not run
    returncode: int | None = None
    timed_out: bool = False
    out_of_memory: bool = False
    crashed: bool = False
    stderr: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Lean ran to its end (its messages are its verdict)."""
        return not (self.timed_out or self.out_of_memory or self.crashed)


MODULE = "ProverOutput"  # the module the check imports


@functools.lru_cache(maxsize=64)
def _source_roots(command: LeanCommand) -> tuple[str, ...]:
    try:
        printed = subprocess.run([*command.argv, "--print-prefix"], cwd=command.cwd, env=command.environment(),
                                 capture_output=True, text=True, timeout=120).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        printed = ""
    return source_roots(command.cwd, command.search_path, printed.splitlines()[-1] if printed else None)


def run_lean_file(
    code: str,
    command: LeanCommand,
    timeout: float = 60.0,
    memory_mb: int | None = None,
    check: str | None = None,
) -> FileRun:
    """Check ``code`` as a file with ``command``; with ``check``, then ``check`` in a fresh scope over the
    environment ``code`` produced (``check_preamble``), if Lean wrote it. One deadline for both."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="prover-check-") as tmp:
        path = os.path.join(tmp, f"{MODULE}.lean")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(code)
        output = ["-R", tmp, "-o", os.path.join(tmp, f"{MODULE}.olean")] if check is not None else []
        if check is not None:
            preamble = check_preamble(code)
            second = os.path.join(tmp, "Check.lean")
            with open(second, "w", encoding="utf-8") as handle:
                handle.write(preamble + check)
        if check is not None and command.both_steps:
            args = [*output, path, "--then", output[-1], "--json", second]
            both, text = _run(command, args, timeout, memory_mb, command.environment(tmp), raw=True)
            run, checked = _split(both, text) if both.ok else (both, None)
            if run.ok and not os.path.exists(output[-1]):  # no module (an error): the check did not run
                run.seconds = time.perf_counter() - started
                return run
        else:
            run = _run(command, [*output, path], timeout, memory_mb, command.environment())
            if check is None or not run.ok or not os.path.exists(output[-1]):
                run.seconds = time.perf_counter() - started
                return run
            left = timeout - (time.perf_counter() - started)
            checked = _run(command, [second], left, memory_mb, command.environment(tmp)) if left > 0 else None
    if checked is None or not checked.ok:
        checked = checked or FileRun(timed_out=True)
        checked.messages, checked.check_messages = run.messages, None
        checked.seconds = time.perf_counter() - started
        return checked
    run.check_messages = [m.shifted(preamble.count("\n")) for m in checked.messages]
    run.seconds = time.perf_counter() - started
    return run


def check_preamble(code: str) -> str:
    """The check file's header: the checked text's leading ``module``/``prelude`` keywords (a prelude
    module's importer is a prelude too) and ``import`` of it (``import all`` in the module system, where
    the text's declarations are private to it). A wrong reading only makes the check fail (fail closed)."""
    words = header_words(code)[:2]
    module = words[:1] == ["module"]
    prelude = words[module : module + 1] == ["prelude"]
    return ("module\n" if module else "") + ("prelude\n" if prelude else "") + (
        f"import all {MODULE}\n" if module else f"import {MODULE}\n"
    )


def file_runner(command: LeanCommand, timeout: float = 60.0, memory_mb: int | None = None):
    """``(header, body, check=None) -> FileRun`` over ``command``: the transport the policy runs."""

    def run(header: str, body: str, check: str | None = None) -> FileRun:
        return run_lean_file(header + body, command, timeout, memory_mb, check)

    run.cache_key = command  # type: ignore[attr-defined]  # the same command answers the same way
    run.source_roots = command.source_roots  # type: ignore[attr-defined]
    return run


def _split(both: FileRun, text: str) -> tuple[FileRun, FileRun]:
    """The two steps of one ``--then`` run (``launch_lean.py``), from its output ``text``."""
    first, mark, rest = text.partition(STAGE_MARK)
    if not mark:  # the launcher ended before its first step did
        return FileRun(crashed=True, returncode=both.returncode, stderr=both.stderr), FileRun()
    code, _, second = rest.partition("\n")
    runs = []
    for part, returncode in ((first, int(code.strip() or -1)), (second, both.returncode)):
        run = FileRun(returncode=returncode, stderr=both.stderr, crashed=returncode not in (0, 1))
        try:
            run.messages = parse_json_lines(part)
        except ValueError as error:
            run.crashed, run.stderr = True, f"{error}\n{both.stderr}"
        runs.append(run)
    return runs[0], runs[1]


def _run(command: LeanCommand, args: list[str], timeout: float, memory_mb: int | None, env, raw: bool = False):
    """One Lean process; kills its process group after ``timeout`` seconds. ``raw``: (the run, its output
    as text) for the caller to parse (``_split``); else the run with its messages."""
    run, text = _process(command, args, timeout, memory_mb, env)
    if raw or not run.ok:
        return (run, text) if raw else run
    try:
        run.messages = parse_json_lines(text)
    except ValueError as error:
        run.crashed, run.stderr = True, f"{error}\n{run.stderr}"
    return run


def _process(command: LeanCommand, args: list[str], timeout: float, memory_mb: int | None, env) -> tuple[FileRun, str]:
    started = time.perf_counter()
    started_process = lean_process.start([*command.argv, "--json", *args], command.cwd, env, memory_mb)
    try:
        stdout, stderr = started_process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        return FileRun(timed_out=True, seconds=time.perf_counter() - started), ""
    finally:
        lean_process.kill_group(started_process)  # nothing of the group outlives the check
    run = FileRun(returncode=started_process.returncode, stderr=stderr.decode("utf-8", "replace")[-4000:])
    run.seconds = time.perf_counter() - started
    text = stdout.decode("utf-8", "replace")
    if started_process.returncode not in (0, 1) or lean_process.out_of_memory(run.stderr):
        run.out_of_memory = lean_process.out_of_memory(run.stderr)
        run.crashed = not run.out_of_memory
    return run, text
