"""``prover data trace``: extract (state, tactic) pairs from a Lean repository with LeanDojo.

Needs the ``dojo`` extra (``pip install 'dco-prover[dojo]'``) plus network and a Lean toolchain; it is the
only code path that imports ``lean_dojo``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prover.train.data import write_jsonl

logger = logging.getLogger(__name__)

INSTALL_HINT = "prover data trace needs LeanDojo: pip install 'dco-prover[dojo]'"


def traced_pairs(url: str, commit: str) -> Iterator[dict]:
    """Tactic pairs of every traced theorem of ``url`` at ``commit``, in the tactic-pairs JSONL schema."""
    try:
        from lean_dojo import LeanGitRepo, trace
    except ImportError as error:
        raise RuntimeError(INSTALL_HINT) from error
    from tqdm.auto import tqdm

    traced = trace(LeanGitRepo(url, commit))
    for theorem in tqdm(traced.get_traced_theorems(), desc="theorems", unit="thm"):
        name = theorem.theorem.full_name
        trace_id = f"{theorem.theorem.file_path}:{name}"
        for step, tactic in enumerate(theorem.get_traced_tactics()):
            yield {
                "state": tactic.state_before,
                "tactic": tactic.tactic,
                "trace_id": trace_id,
                "step": step,
                "theorem": name,
            }


def trace_to_jsonl(url: str, commit: str, output: str) -> int:
    count = write_jsonl(output, traced_pairs(url, commit))
    logger.info("wrote %d tactic pairs to %s", count, output)
    return count
