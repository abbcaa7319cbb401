"""Where Lean is: resolved once, from the environment, by the command that starts; passed down from there.

The only place that reads the ``PROVER_*`` variables:
  ``PROVER_LEAN_PROJECT``  a built ``lean_project/`` (``lake env lean`` and the REPL built inside it);
  ``PROVER_LEAN_CMD``      a ``lean`` command line used instead (``--json FILE`` is appended);
  ``PROVER_REPL_CMD``      a REPL command line used instead.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from prover.lean.filecheck import LeanCommand
from prover.lean.repl import ReplSettings

PROJECT_ENV, LEAN_CMD_ENV, REPL_CMD_ENV = "PROVER_LEAN_PROJECT", "PROVER_LEAN_CMD", "PROVER_REPL_CMD"
VARIABLES = (PROJECT_ENV, LEAN_CMD_ENV, REPL_CMD_ENV)
NOT_SET_UP = (
    f"Lean is not set up: run scripts/setup_lean.sh, then export {PROJECT_ENV}=$PWD/lean_project "
    f"(or set {LEAN_CMD_ENV} to a lean command line)"
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
        """``lean`` for the file checker: ``PROVER_LEAN_CMD``, else ``lake env lean`` in the project."""
        if self.lean_cmd:
            return LeanCommand(self.lean_cmd, self.project)
        return LeanCommand(("lake", "env", "lean"), self.project) if self.project else None

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
