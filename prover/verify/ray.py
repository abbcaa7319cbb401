"""Verification on a Ray cluster: one verifier actor per node (its Lean processes and header caches stay on
that node), verdicts streamed back in input order, and no proof lost when a node dies.

An item whose actor died is re-queued to the remaining actors, so every item gets exactly one verdict.
Back-pressure: at most ``max_in_flight`` items per live actor are submitted, and the input iterator is
read only as capacity frees up, so a fast generator cannot queue unbounded work in memory. Ray is
imported only when used (``pip install ray``).
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from prover.lean.setup import LeanSetup
from prover.verify.checker import Checker, CheckSettings
from prover.verify.policy import Reference, VerifyResult

logger = logging.getLogger(__name__)

RAY_HINT = "--ray needs Ray: pip install ray"


class _Verifier:
    """The actor: a ``Checker`` (REPL pool or file checker) living on one node."""

    def __init__(self, settings: dict, env: dict[str, str]):
        setup = LeanSetup.from_env({**os.environ, **env})  # the driver's variables win over the node's
        try:
            self.checker = Checker(CheckSettings(**settings), setup)  # the driver's, field for field
        except RuntimeError as error:
            raise RuntimeError(f"on node {os.uname().nodename}: {error}") from None

    def check(self, reference: dict, output: str) -> dict:
        return self.checker(Reference(**reference), output).to_json()

    def node(self) -> str:
        return os.uname().nodename


class RayVerifier:
    """``verify_many(items)`` yields ``(index, VerifyResult)`` in input order; ``__call__`` checks one."""

    def __init__(
        self,
        cfg: CheckSettings,
        address: str = "auto",
        actors_per_node: int = 1,
        max_in_flight: int | None = None,
        setup: LeanSetup | None = None,
    ):
        try:
            import ray
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        except ImportError as error:
            raise RuntimeError(RAY_HINT) from error
        self.ray = ray
        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            ray.init(address=None if address == "local" else address, log_to_driver=False)
        settings = cfg.to_dict()
        env = (setup or LeanSetup.from_env()).environment()  # where Lean is, as this process knows it
        actor = ray.remote(_Verifier)
        self.actors: list[Any] = []
        nodes = [n for n in ray.nodes() if n["Alive"]]
        for node in nodes:
            for _ in range(actors_per_node):
                strategy = NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
                options = {"scheduling_strategy": strategy, "max_concurrency": cfg.workers, "num_cpus": 0}
                self.actors.append(actor.options(**options).remote(settings, env))
        if not self.actors:
            raise RuntimeError("the Ray cluster has no live node")
        self.max_in_flight = max_in_flight or 2 * cfg.workers
        self._lock = threading.Lock()
        self._in_flight: collections.Counter[int] = collections.Counter()
        logger.info("Ray: %d verifier actors on %d nodes", len(self.actors), len(nodes))

    def _live(self) -> list:
        with self._lock:
            if not self.actors:
                raise RuntimeError("every verifier actor died: no node is left to check proofs")
            return list(self.actors)

    def _dead(self, actor) -> None:
        with self._lock:
            if actor in self.actors:
                self.actors.remove(actor)
                logger.warning(
                    "a verifier actor died; its unfinished proofs go to the %d others", len(self.actors)
                )

    def verify_many(self, items: Iterable[tuple[Reference, str]]) -> Iterator[tuple[int, VerifyResult]]:
        ray = self.ray
        source = enumerate(items)
        retry: collections.deque = collections.deque()
        pending: dict = {}  # ObjectRef -> (index, reference, output, actor)
        done: dict[int, VerifyResult] = {}
        next_index, exhausted = 0, False
        while True:
            actors = self._live()
            while len(pending) < self.max_in_flight * len(actors) and (retry or not exhausted):
                if retry:
                    index, reference, output = retry.popleft()
                else:
                    try:
                        index, (reference, output) = next(source)
                    except StopIteration:
                        exhausted = True
                        continue
                actor = min(actors, key=lambda a: self._in_flight[id(a)])
                self._in_flight[id(actor)] += 1
                ref = actor.check.remote(dataclasses.asdict(reference), output)
                pending[ref] = (index, reference, output, actor)
            if not pending:
                break
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                index, reference, output, actor = pending.pop(ref)
                self._in_flight[id(actor)] -= 1
                try:
                    done[index] = VerifyResult.from_json(ray.get(ref))
                except ray.exceptions.RayActorError:
                    self._dead(actor)
                    retry.append((index, reference, output))
                except ray.exceptions.RayTaskError as error:  # the check itself raised: surface it here
                    raise error.as_instanceof_cause() from None
            while next_index in done:
                yield next_index, done.pop(next_index)
                next_index += 1

    def __call__(self, reference: Reference, output: str) -> VerifyResult:
        ((_, result),) = list(self.verify_many([(reference, output)]))
        return result

    def close(self) -> None:
        for actor in list(self.actors):
            self.ray.kill(actor)
        self.actors = []
        if self._started_ray:
            self.ray.shutdown()
