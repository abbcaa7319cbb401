"""The guard every run directory has (``prover train`` and ``prover search``): one directory holds one run,
and a resume keeps what defines the run unless the user says otherwise. Each stage decides what "holds a
run" and "what defines it" mean; the refusals, and the words they use, are the same."""

from __future__ import annotations

from collections.abc import Sequence


def refuse_a_second_run(output_dir: str, holds_run: bool, resume: str) -> None:
    """A fresh run (no ``--resume``) needs a directory that holds no run."""
    if holds_run and not resume:
        raise ValueError(
            f"--output_dir {output_dir} already holds a run: pass --resume to continue it, or choose a new directory"
        )


def refuse_changes(run: str, changes: Sequence[str], override: bool, recorded_in: str) -> None:
    """A resume of ``run`` whose settings changed (``changes``, as ``--setting old -> new``) needs
    ``--override_settings``; the changes are then recorded in ``recorded_in``."""
    if changes and not override:
        raise ValueError(
            f"--resume: {run} was run with other settings: {'; '.join(changes)} "
            f"(pass --override_settings to continue anyway; the change is recorded in {recorded_in})"
        )
