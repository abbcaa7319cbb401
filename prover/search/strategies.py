"""How the attempts at a theorem are drawn: ``whole`` (complete proofs from one prompt), ``rollout``
(independent tactic-by-tactic attempts through the REPL's proof states) and ``tree`` (best-first expansion
ranked by cumulative log-probability, ``branching`` tactics per expansion, an expansion budget per attempt).

Every strategy samples on the calling thread, one generation call for all live attempts of a batch of
theorems, and runs Lean in parallel workers. Each prompt is seeded by (theorem, attempt, step or
expansion) only, so what attempt i of theorem t samples does not depend on batching, threads, shards or
where a kill landed: a resumed run redraws its missing attempts exactly. The REPL's tactic mode has known
false accepts, so a finished tactic attempt is checked by the verifier from scratch.

``search`` is what a strategy sees of the running search (``SearchView``, which
:class:`prover.search.run.Search` provides); ``batches`` yields, when pulled, a batch of theorems each with
its missing attempt indices (``todo``); ``record`` takes each finished attempt (on this thread); ``solved``
holds the names proved so far.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from prover.benchmark import Theorem
from prover.config import SearchConfig
from prover.lean.repl import TacticRepl
from prover.prompts import format_goals, tactic_body
from prover.search.records import Attempt, Status
from prover.search.samplers import Completion
from prover.verify.policy import Reason, VerifyResult


class SearchView(Protocol):
    """What the strategies use of a running search: the settings, sampling, and Lean (each call counted)."""

    cfg: SearchConfig
    repl_factory: Callable[[], TacticRepl]

    def seed_for(self, theorem: Theorem, *where: int) -> int: ...

    def generate(
        self, prompts: list[str], n: int, max_tokens: int, seeds: list[int], stop=(), temperature=None
    ) -> list[list[Completion]]: ...

    def whole_prompt(self, theorem: Theorem) -> str: ...

    def lean_map(self, pool: Executor, fn: Callable, items) -> list: ...

    def waiting_on_lean(self) -> AbstractContextManager[None]: ...

    def check(self, theorem: Theorem, proof: str) -> VerifyResult: ...

    def start(self, repl, theorem: Theorem) -> tuple[int, list[str]] | NoStart: ...

    def step(self, repl, state: int, tactic: str) -> Any: ...


Record = Callable[[Attempt], None]
Batches = Iterable[dict[Theorem, list[int]]]  # each maps a theorem to its missing attempt indices
Strategy = Callable[[SearchView, Batches, Record, set[str]], None]


CHUNKS = 4  # a round is sampled in this many parts: Lean works on one while the next samples; 1: one after the other


def whole(search: SearchView, batches: Batches, record: Record, solved: set[str]) -> None:
    """Rounds of one attempt per missing slot (one per theorem with ``stop_on_first``), each sampled in
    ``CHUNKS`` parts: Lean checks a part while the next is sampled, the next batch's first part included,
    so Lean idles only before the run's first part and sampling only after its last. What a part samples
    depends on its seeds only, so the records are those of one part after the other, in the same order.
    With ``stop_on_first`` the next round depends on the proofs found: a round is one part, checked before
    the next is drawn; so is every part with ``CHUNKS = 1``."""
    cfg = search.cfg
    with ThreadPoolExecutor(max_workers=cfg.workers) as pool:
        checking = None  # the part Lean is checking: its draws and their verdicts to come

        def finish() -> None:
            nonlocal checking
            if checking is None:
                return
            (drawn, verdicts), checking = checking, None
            with search.waiting_on_lean():
                results = [v.result() for v in verdicts]
            for (t, index, c), result in zip(drawn, results):
                record(attempt(t, index, "whole", c.text, [], [c.logprob], c.tokens, result))

        for todo in batches:  # pulled when the previous batch's last part is in Lean's hands
            while todo:
                width = 1 if cfg.stop_on_first else max(len(m) for m in todo.values())
                wanted = [(t, index) for t, missing in todo.items() for index in missing[:width]]
                size = len(wanted) if cfg.stop_on_first else -(-len(wanted) // CHUNKS)
                for start in range(0, len(wanted), size):
                    chunk = wanted[start : start + size]
                    completions = search.generate(
                        [search.whole_prompt(t) for t, _ in chunk],
                        1,
                        cfg.max_tokens_proof,
                        [search.seed_for(t, index) for t, index in chunk],
                        [cfg.proof_stop],
                    )
                    drawn = [(t, index, c) for (t, index), (c,) in zip(chunk, completions)]
                    finish()  # the previous part's verdicts, recorded before this part's
                    checking = (drawn, [pool.submit(search.check, t, c.text) for t, _, c in drawn])
                    if cfg.stop_on_first or CHUNKS == 1:  # the next round needs this one's proofs
                        finish()
                # each theorem's first `width` missing attempts were drawn in this round
                todo = {
                    t: missing[width:]
                    for t, missing in todo.items()
                    if missing[width:] and not (cfg.stop_on_first and t.name in solved)
                }
        finish()


# --------------------------------------------------------------------------- tactic by tactic


@dataclass
class Path:
    """The tactics an attempt has applied so far, their log-probabilities and the tokens generated."""

    tactics: list[str] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    tokens: int = 0

    def then(self, completion: Completion) -> Path:
        return Path([*self.tactics, completion.text.strip()], [*self.logprobs, completion.logprob],
                    self.tokens + completion.tokens)  # fmt: skip


class Ref(NamedTuple):
    """A proof state and the process of its REPL that handed it out (``_Repls.valid``): a REPL that died
    and started again knows none of its earlier states."""

    process: int
    state: int


class NoStart(NamedTuple):
    """Why a theorem's proof could not start: ``bad_statement`` (Lean's error on it) or ``infrastructure_failure``."""

    status: Status
    why: str


@dataclass
class Rollout:
    """A rollout in progress: the proof state it is in and how it got there."""

    theorem: Theorem
    index: int
    state: Ref
    goals: list[str]
    path: Path


@dataclass(order=True)
class Node:
    """An open node of a tree: ordered by cost (-log p of its path), ties by creation order."""

    cost: float
    order: int
    state: Ref = field(compare=False)
    goals: list[str] = field(compare=False)
    path: Path = field(compare=False)


@dataclass
class Tree:
    """One best-first search in progress (attempt ``index`` of ``theorem``)."""

    theorem: Theorem
    index: int
    frontier: list[Node]
    expansions: int = 0
    created: int = 1
    tokens: int = 0


def in_parts(search: SearchView, lean: Executor, items: list, sample: Callable[[list], list],
             apply: Callable[[list], Any]) -> list:  # fmt: skip
    """``apply`` to each of ``CHUNKS`` parts of ``items`` with what ``sample`` drew for it: ``apply`` runs in
    ``lean`` (one part at a time, the REPLs take one request each) while the next part is sampled here. A
    part holds at least ``workers`` items, so that it keeps every REPL busy. Results in part order; what a
    part samples depends on its seeds only, so they are the one-after-the-other results."""
    size, pending, results = max(-(-len(items) // CHUNKS), search.cfg.workers, 1), None, []
    for first in range(0, len(items), size):
        part = items[first : first + size]
        drawn = sample(part)
        if pending is not None:  # the previous part's Lean, which ran while this part sampled
            with search.waiting_on_lean():
                results.append(pending.result())
        pending = lean.submit(apply, list(zip(part, drawn)))
    if pending is not None:
        with search.waiting_on_lean():
            results.append(pending.result())
    return results


def per_batch(strategy: Callable[[SearchView, dict[Theorem, list[int]], Record, set[str]], None]) -> Strategy:
    """A strategy that takes its batches one at a time (a tactic step needs the previous step's states)."""

    @functools.wraps(strategy)
    def run(search: SearchView, batches: Batches, record: Record, solved: set[str]) -> None:
        for todo in batches:
            strategy(search, todo, record, solved)

    return run


@per_batch
def rollout(search: SearchView, todo: dict[Theorem, list[int]], record: Record, solved: set[str]) -> None:
    """Every live attempt advanced one tactic per step. A step's attempts are sampled in ``CHUNKS`` parts:
    Lean applies a part's tactics (and checks the proofs they complete) while the next part is sampled.
    What an attempt samples depends on its seeds only and the REPLs take one part at a time, so each
    attempt ends as it would one part after the other; a step's records are made before the next step."""
    cfg = search.cfg
    with _Repls(search, list(todo)) as repls, ThreadPoolExecutor(max_workers=1) as lean:
        live: list[Rollout] = []
        for theorem, missing in todo.items():
            start = repls.starts[theorem]
            for index in missing:
                if isinstance(start, NoStart):
                    record(failed(theorem, index, "rollout", start))
                else:
                    live.append(Rollout(theorem, index, *start, Path()))

        def advance(part: list[tuple[Rollout, Completion]]) -> tuple[list[Attempt], list[Rollout]]:
            """Lean's side of one part, in Lean's worker threads: the attempts it ends, those still live."""

            def on(repl):
                return [(a, c, *repls.step(repl, a.theorem, a.path, a.state, c.text))
                        for a, c in part if repls.owner[a.theorem] is repl]  # fmt: skip

            ended: list[Attempt] = []
            moved: list[Rollout] = []
            completed: list[Rollout] = []
            for group in repls.pool.map(on, repls.repls):
                for a, c, outcome, ref in group:
                    path = a.path.then(c)
                    if isinstance(outcome, Status):
                        ended.append(finish(search, a.theorem, a.index, "rollout", path, outcome))
                    else:
                        advanced = Rollout(a.theorem, a.index, ref, outcome.goals, path)
                        (completed if outcome.completed else moved).append(advanced)
            check = lambda a: finish(search, a.theorem, a.index, "rollout", a.path)  # noqa: E731
            return ended + list(repls.pool.map(check, completed)), moved  # proofs checked in parallel

        for step in range(cfg.max_tactics):
            live = [a for a in live if not (cfg.stop_on_first and a.theorem.name in solved)]
            if not live:
                break

            def sample(part: list[Rollout], step=step) -> list[Completion]:
                prompts = [cfg.tactic_prompt.format(state=format_goals(a.goals)) for a in part]
                seeds = [search.seed_for(a.theorem, a.index, step) for a in part]
                return [c for (c,) in search.generate(prompts, 1, cfg.max_tokens_tactic, seeds)]

            parts, live = in_parts(search, lean, live, sample, advance), []
            for ended, moved in parts:
                for done in ended:
                    record(done)
                live += moved
        for a in live:
            record(finish(search, a.theorem, a.index, "rollout", a.path, Status.MAX_STEPS))


@per_batch
def tree(search: SearchView, todo: dict[Theorem, list[int]], record: Record, solved: set[str]) -> None:
    """One tree per theorem at a time (its attempts in order), every theorem of the batch advanced together:
    each round pops the best open node of every live tree, samples their tactics in ``CHUNKS`` parts and
    applies them in parallel, one worker per REPL, Lean expanding one part while the next is sampled. A
    node's tactics come from the seed (theorem, attempt, expansion)."""
    with _Repls(search, list(todo)) as repls, ThreadPoolExecutor(max_workers=1) as lean:
        forest = _Forest(search, repls, lean, todo, record, solved)
        while forest.live:
            forest.round()


class _Forest:
    """The live tree of each theorem of a batch, and the attempts still to make of each."""

    def __init__(self, search: SearchView, repls: _Repls, lean: Executor, todo: dict[Theorem, list[int]],
                 record: Record, solved: set[str]):  # fmt: skip
        self.search, self.repls, self.lean, self.record, self.solved = search, repls, lean, record, solved
        self.queue = {t: list(missing) for t, missing in todo.items()}
        self.live = {t: fresh for t in todo if (fresh := self._next_tree(t)) is not None}

    def _next_tree(self, theorem: Theorem) -> Tree | None:
        while self.queue[theorem] and not (self.search.cfg.stop_on_first and theorem.name in self.solved):
            index, start = self.queue[theorem].pop(0), self.repls.starts[theorem]
            if not isinstance(start, NoStart):
                return Tree(theorem, index, [Node(0.0, 0, *start, Path())])
            self.record(failed(theorem, index, "tree", start))
        return None

    def _replace(self, theorem: Theorem) -> None:
        if (fresh := self._next_tree(theorem)) is None:
            self.live.pop(theorem, None)
        else:
            self.live[theorem] = fresh

    def round(self) -> None:
        """Expand the best node of every live tree; a tree out of nodes or budget ends its attempt."""
        search, cfg = self.search, self.search.cfg
        rounds = []  # (tree, node) of every live tree that still has a node to expand
        for theorem, t in list(self.live.items()):
            if not t.frontier or t.expansions >= cfg.expansions:
                self.record(finish(search, theorem, t.index, "tree", Path(tokens=t.tokens), Status.BUDGET))
                self._replace(theorem)
            else:
                rounds.append((t, heapq.heappop(t.frontier)))
        if not rounds:
            return

        def expand_part(work):  # in Lean's workers: each tree on the worker that owns its REPL
            def on(repl):
                return [(t, expand(search, self.repls, repl, t, node, cs)) for (t, node), cs in work
                        if self.repls.owner[t.theorem] is repl]  # fmt: skip

            return [pair for group in self.repls.pool.map(on, self.repls.repls) for pair in group]

        def sample(part):
            prompts = [cfg.tactic_prompt.format(state=format_goals(node.goals)) for _, node in part]
            seeds = [search.seed_for(t.theorem, t.index, t.expansions) for t, _ in part]
            return search.generate(prompts, cfg.branching, cfg.max_tokens_tactic, seeds)

        # each tree's node, seeds and REPL are its own: it grows as it would with the parts one after the other
        for t, finished in [pair for part in in_parts(search, self.lean, rounds, sample, expand_part) for pair in part]:
            t.expansions += 1
            if finished is not None:  # proved (and verified), or ended for good
                self.record(finished)
                self._replace(t.theorem)


def expand(search: SearchView, repls: _Repls, repl, tree: Tree, node: Node, completions: list[Completion]) -> Attempt | None:
    """Apply a node's distinct tactics on the REPL that owns the tree: the checked attempt when one closes
    the proof, else None with the children pushed on the tree's frontier."""
    for completion in {c.text.strip(): c for c in completions}.values():  # distinct tactics only
        tree.tokens += completion.tokens
        outcome, ref = repls.step(repl, tree.theorem, node.path, node.state, completion.text)
        if outcome is Status.INFRASTRUCTURE:  # Lean's machinery, even after a replay: no judgement
            return finish(search, tree.theorem, tree.index, "tree", Path(tokens=tree.tokens), outcome)
        if isinstance(outcome, Status) or len(node.path.tactics) + 1 > search.cfg.max_tactics:
            continue
        path = node.path.then(completion)
        if outcome.completed:
            return finish(
                search, tree.theorem, tree.index, "tree", Path(path.tactics, path.logprobs, tree.tokens)
            )
        child = Node(node.cost - completion.logprob, tree.created, ref, outcome.goals, path)
        heapq.heappush(tree.frontier, child)
        tree.created += 1
    return None


class _Repls:
    """REPL processes for a batch (up to ``workers``), each owning some theorems: proof states live in the
    process that created them, and different processes work in parallel. ``starts``: each theorem's initial
    state and goals, or why the proof could not start."""

    def __init__(self, search: SearchView, theorems: list[Theorem]):
        self.search = search
        self.repls = [search.repl_factory() for _ in range(max(1, min(search.cfg.workers, len(theorems))))]
        self.owner = {t: self.repls[i % len(self.repls)] for i, t in enumerate(theorems)}
        self.pool = ThreadPoolExecutor(max_workers=len(self.repls))
        self.starts: dict[Theorem, tuple[Ref, list[str]] | NoStart] = {}

    @staticmethod
    def process(repl) -> int:
        """Which process of ``repl`` is running (a REPL without a process count has one)."""
        return getattr(repl, "starts", 0)

    def valid(self, repl, ref: Ref) -> bool:
        """Whether ``ref`` is a state of ``repl``'s running process."""
        return getattr(repl, "alive", True) and ref.process == self.process(repl)

    def begin(self, repl, theorem: Theorem) -> tuple[Ref, list[str]] | NoStart:
        start = self.search.start(repl, theorem)
        return start if isinstance(start, NoStart) else (Ref(self.process(repl), start[0]), start[1])

    def replay(self, repl, theorem: Theorem, path: Path) -> Ref | None:
        """The state ``path`` reaches, made again on ``repl``'s new process (its tactics applied afresh),
        or None when that fails too."""
        start = self.begin(repl, theorem)
        if isinstance(start, NoStart):
            return None
        ref = start[0]
        for tactic in path.tactics:
            outcome = self.search.step(repl, ref.state, tactic)
            if isinstance(outcome, Status) or not self.valid(repl, ref):
                return None
            ref = Ref(self.process(repl), outcome.proof_state)
        return ref

    def step(self, repl, theorem: Theorem, path: Path, ref: Ref, tactic: str, tries: int = 2):
        """``(outcome, the new state's Ref)`` of ``tactic`` on ``ref``; the state made again on a fresh
        process first when the REPL died since it was handed out (another attempt's timeout, a crash), and
        the tactic tried once more after a crash (``tries`` in all): a failure of Lean's machinery is never
        the attempt's (``Status.INFRASTRUCTURE`` only when it keeps failing)."""
        for _ in range(tries):
            if not self.valid(repl, ref):
                fresh = self.replay(repl, theorem, path)
                if fresh is None:
                    continue
                ref = fresh
            outcome = self.search.step(repl, ref.state, tactic)
            if outcome is not Status.INFRASTRUCTURE:
                return outcome, None if isinstance(outcome, Status) else Ref(self.process(repl), outcome.proof_state)
            ref = Ref(-1, -1)  # the REPL failed: it starts again on the next request
        return Status.INFRASTRUCTURE, None

    def map(self, fn) -> list:
        """``fn(repl)`` for every REPL, in parallel."""
        return self.search.lean_map(self.pool, fn, self.repls)

    def __enter__(self) -> _Repls:
        try:
            for part in self.map(lambda repl: {t: self.begin(repl, t) for t in self.owner if self.owner[t] is repl}):
                self.starts.update(part)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown()
        for repl in self.repls:
            repl.close()


# --------------------------------------------------------------------------- records


def finish(
    search: SearchView, theorem: Theorem, index: int, strategy: str, path: Path, status: Status | None = None
) -> Attempt:
    """A tactic attempt that ended: checked by the verifier when its tactics closed the proof."""
    body = tactic_body(path.tactics)
    result = None if status is not None else search.check(theorem, body)
    return attempt(theorem, index, strategy, body, path.tactics, path.logprobs, path.tokens, result, status)


def attempt(theorem: Theorem, index: int, strategy: str, proof: str, tactics: list[str], logprobs: list[float],
            tokens: int, result: VerifyResult | None, status: Status | None = None) -> Attempt:  # fmt: skip
    if result is not None:
        status = (
            Status.PROVED
            if result.accepted
            else Status.BAD_STATEMENT
            if result.reason is Reason.BAD_STATEMENT
            else Status.INFRASTRUCTURE  # the checker timed out, ran out of memory or crashed: no judgement
            if result.reason.is_infrastructure
            else Status.REJECTED
        )
    assert status is not None
    return Attempt(
        theorem.name, theorem.statement_hash, index, strategy, proof, list(tactics), list(logprobs), status.value,
        "" if result is None else result.reason.value, "" if result is None else result.detail, tokens,
        0.0 if result is None else result.seconds,
    )  # fmt: skip


def failed(theorem: Theorem, index: int, strategy: str, why: NoStart) -> Attempt:
    """An attempt whose proof could not start: the statement's fault (left out, as in every strategy) or
    Lean's machinery's (left out, drawn again on resume)."""
    return Attempt(theorem.name, theorem.statement_hash, index, strategy, "", [], [], why.status.value,
                   "", why.why, 0, 0.0)  # fmt: skip


STRATEGIES: dict[str, Strategy] = {"whole": whole, "rollout": rollout, "tree": tree}
