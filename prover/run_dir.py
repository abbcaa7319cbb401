"""The guard every run directory has (``prover train`` and ``prover search``): one directory holds one run,
and a resume keeps what defines the run unless the user says otherwise. Each stage decides what "holds a
run" and "what defines it" mean; the refusals, and the words they use, are the same. Also the names of a
training run's checkpoints, which training writes and search reads (``training_step``)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence

CHECKPOINT_PREFIX = "checkpoint-"  # checkpoint-N: the model after N optimizer steps (Hugging Face's name)
STATE_FILE = "trainer_state.json"  # a checkpoint's training state, written last (Hugging Face's name)


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


def training_step(model: str) -> int | None:
    """The training step of a model directory, for the report's curves over training: its ``STATE_FILE``
    (``step`` as ``prover train`` writes it, or Hugging Face's ``global_step``), else a ``checkpoint-N``
    directory's N; None for a hub name or a model that says neither."""
    try:
        with open(os.path.join(model, STATE_FILE), encoding="utf-8") as handle:
            state = json.load(handle)
        for key in ("step", "global_step"):
            if isinstance(state.get(key), int) and not isinstance(state.get(key), bool):
                return state[key]
    except (OSError, ValueError, AttributeError):
        pass
    match = re.fullmatch(re.escape(CHECKPOINT_PREFIX) + r"(\d+)", os.path.basename(os.path.normpath(model)))
    return int(match.group(1)) if match else None
