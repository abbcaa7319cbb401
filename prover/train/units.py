"""Which training units each optimizer step trains: a reproducible order of units per process
(``UnitStream``), and the confidence filter over it (``UnitSampler``), which drops units the model is
already sure of at the objective's budget and refills the step from the stream."""

from __future__ import annotations

import math
from collections.abc import Callable


class AllConfident(RuntimeError):
    """Every training unit has F <= epsilon: nothing is left to learn at this budget."""


class UnitStream:
    """An endless, reproducible order of training units: epoch e is a permutation seeded by (seed, e),
    and rank r of w takes every w-th unit of it. ``position`` is the resume point."""

    def __init__(self, n_units: int, seed: int, rank: int = 0, world: int = 1):
        if n_units < world:
            raise ValueError(f"{n_units} training units cannot feed {world} processes")
        self.n_units, self.seed, self.rank, self.world = n_units, seed, rank, world
        self.epoch, self.position = 0, 0
        self._order: list[int] | None = None

    def _current(self) -> list[int]:
        if self._order is None:
            import torch

            generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            self._order = torch.randperm(self.n_units, generator=generator).tolist()[self.rank :: self.world]
        return self._order

    def next(self) -> int:
        if self.position >= len(self._current()):
            self.epoch, self.position, self._order = self.epoch + 1, 0, None
        unit = self._current()[self.position]
        self.position += 1
        return unit

    @property
    def epoch_length(self) -> int:
        """Units of one epoch on this rank."""
        return len(self._current())

    @property
    def epochs_done(self) -> float:
        return self.epoch + self.position / len(self._current())

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "position": self.position, "rank": self.rank, "world": self.world}

    def load_state_dict(self, state: dict) -> None:
        if state["world"] != self.world:
            raise ValueError(
                f"checkpoint was written by {state['world']} processes, this run has {self.world}"
            )
        if state.get("rank", self.rank) != self.rank:  # each rank resumes its own share of the order
            raise ValueError(f"this is rank {state['rank']}'s place in the unit order; this process is rank {self.rank}")
        self.epoch, self.position, self._order = state["epoch"], state["position"], None


class UnitSampler:
    """Draws the micro-batches of one optimizer step from the stream.

    With a scorer (the confidence filter) a unit whose F(N, p) <= epsilon under the current weights is
    dropped and replaced by the next one, so every micro-batch stays full. The weights do not change while
    a step is drawn, so a unit is scored at most once per step (a cache), and candidates are scored in
    batches of up to ``score_batch``, sized by the last step's drop rate; surplus survivors of a scoring
    batch wait in ``pending`` and are served first next step (scored again there: the weights have changed).
    A step that crosses an epoch boundary can hold a unit twice (the end of one permutation and the start
    of the next); that is harmless: every epoch still trains each unit exactly once, so the stream's
    expected gradient is unchanged, and avoiding it would reorder the stream. The run stops (``AllConfident``)
    only when every unit has F <= epsilon under the current weights: after a full epoch share of drops in
    a row, the units not yet scored this step are scored before that is declared.
    """

    def __init__(
        self,
        stream: UnitStream,
        epsilon: float,
        score: Callable[[list[int]], list[float]] | None = None,
        score_batch: int = 64,
    ):
        self.stream, self.epsilon, self.score, self.score_batch = stream, epsilon, score, score_batch
        self.pending: list[int] = []
        self.drop_rate = 0.0  # of the last step: how many candidates to score for each unit still needed

    def take(self, count: int) -> list[int]:
        """The next ``count`` units, unscored (pending first)."""
        taken, self.pending = self.pending[:count], self.pending[count:]
        return taken + [self.stream.next() for _ in range(count - len(taken))]

    def draw_step(self, sizes: list[int]) -> tuple[list[list[int]], int, int]:
        """(one list of unit ids per micro-batch of ``sizes``, units drawn, units dropped as confident)."""
        need = sum(sizes)
        kept: list[int] = []
        deferred: list[int] = []
        scores: dict[int, float] = {}
        drawn = dropped = streak = 0
        scanned = False
        while len(kept) < need:
            remaining = need - len(kept)
            if self.score is None:
                count = remaining
            else:
                count = min(
                    max(remaining, math.ceil(remaining / max(1.0 - self.drop_rate, 1 / 16))), self.score_batch
                )
            candidates = self.take(count)
            fresh = [u for u in dict.fromkeys(candidates) if u not in scores]
            if self.score is not None and fresh:
                scores.update(zip(fresh, self.score(fresh)))
            for unit in candidates:
                drawn += 1
                if self.score is not None and scores[unit] <= self.epsilon:
                    dropped += 1
                    streak += 1
                    continue
                streak = 0
                if len(kept) < need:
                    kept.append(unit)
                else:
                    deferred.append(unit)  # a surplus survivor of the scoring batch
            if (
                self.score is not None
                and len(kept) < need
                and streak >= self.stream.epoch_length
                and not scanned
            ):
                scanned = True
                unscored = [u for u in range(self.stream.n_units) if u not in scores]
                if unscored:
                    scores.update(zip(unscored, self.score(unscored)))
                if all(scores[u] <= self.epsilon for u in range(self.stream.n_units)):
                    raise AllConfident(f"every training unit has F(N, p) <= epsilon={self.epsilon}")
        self.pending = deferred + self.pending
        self.drop_rate = dropped / drawn if drawn else 0.0
        batches, start = [], 0
        for size in sizes:
            batches.append(kept[start : start + size])
            start += size
        return batches, drawn, dropped

    def state_dict(self) -> dict:
        return {**self.stream.state_dict(), "pending": list(self.pending), "drop_rate": self.drop_rate}

    def load_state_dict(self, state: dict) -> None:
        self.stream.load_state_dict(state)
        self.pending, self.drop_rate = list(state.get("pending", [])), float(state.get("drop_rate", 0.0))
