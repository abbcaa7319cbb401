"""Checkpoint directories that a kill cannot corrupt.

A checkpoint is written as ``checkpoint-N.tmp`` and renamed to ``checkpoint-N`` only when complete, its
``trainer_state.json`` written last; resume takes the newest complete one. Each is a Hugging Face model
directory (``from_pretrained`` works on it) plus ``state/`` (optimizer, scheduler, RNG from accelerate) and
one ``data_state_R.json`` per process.
"""

from __future__ import annotations

import logging
import os
import shutil

from prover.run_dir import CHECKPOINT_PREFIX, STATE_FILE

logger = logging.getLogger(__name__)


def checkpoint_dir(output_dir: str, step: int) -> str:
    return os.path.join(output_dir, f"{CHECKPOINT_PREFIX}{step}")


def complete_checkpoints(output_dir: str) -> list[tuple[int, str]]:
    """(step, path) of every complete checkpoint in ``output_dir``, oldest first."""
    found = []
    if os.path.isdir(output_dir):
        for name in os.listdir(output_dir):
            suffix = name[len(CHECKPOINT_PREFIX) :]
            path = os.path.join(output_dir, name)
            if (
                name.startswith(CHECKPOINT_PREFIX)
                and suffix.isdigit()
                and os.path.isfile(os.path.join(path, STATE_FILE))
            ):
                found.append((int(suffix), path))
    return sorted(found)


def find_checkpoint(output_dir: str, resume: str) -> str | None:
    """The checkpoint to resume from: ``resume`` itself, or the newest complete one for 'latest'."""
    if not resume:
        return None
    if resume != "latest":
        if not os.path.isfile(os.path.join(resume, STATE_FILE)):
            raise ValueError(f"--resume {resume}: not a complete checkpoint (no {STATE_FILE})")
        return resume
    found = complete_checkpoints(output_dir)
    if not found:
        logger.warning("--resume latest: no complete checkpoint in %s; starting from scratch", output_dir)
        return None
    return found[-1][1]


def fresh_dir(path: str) -> None:
    """An empty directory at ``path`` (the leftovers of a killed save are removed)."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def publish(tmp: str, target: str) -> None:
    """Make the finished ``tmp`` directory visible as ``target`` in one rename."""
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


def prune(output_dir: str, keep: int) -> None:
    """Delete all but the newest ``keep`` complete checkpoints (``keep`` <= 0 keeps all)."""
    if keep > 0:
        for _, path in complete_checkpoints(output_dir)[:-keep]:
            shutil.rmtree(path, ignore_errors=True)


def export_model(checkpoint: str, final: str) -> None:
    """``final/``: the model, tokenizer and config files of ``checkpoint``, hard-linked (no second copy)."""
    tmp = final + ".tmp"
    fresh_dir(tmp)
    for name in os.listdir(checkpoint):
        source = os.path.join(checkpoint, name)
        if os.path.isfile(source) and not name.startswith("data_state_") and name != STATE_FILE:
            try:
                os.link(source, os.path.join(tmp, name))
            except OSError:  # another file system
                shutil.copy2(source, os.path.join(tmp, name))
    publish(tmp, final)
