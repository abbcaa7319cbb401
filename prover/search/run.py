"""``prover search``: N attempts per benchmark theorem; a success counts only once the verifier accepts it.

This module runs a search: it loads the benchmark, opens the run directory (``store.py``), builds the
sampler (``build_sampler``) and the checker, hands each batch of theorems to a strategy
(``strategies``) and accounts for time. The run directory is append-only and resumable: attempts are
identified by (theorem, attempt index), and a resumed run fills in exactly the missing indices.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from prover import threads
from prover.benchmark import Theorem, load_theorems
from prover.config import STRATEGY_REGISTRY, SearchConfig
from prover.lean.repl import TacticRepl
from prover.lean.setup import LeanSetup
from prover.search.ray import RaySampler
from prover.search.records import Attempt, Greedy, Status, Summary, Timing, Usage
from prover.search.samplers import Completion, HFSampler, Sampler, VLLMSampler, resolve_engine
from prover.search.store import RunStore, done_and_solved
from prover.search.strategies import STRATEGIES, NoStart
from prover.verify.checker import Checker, CheckSettings
from prover.verify.policy import BadReference, Reason, Reference, VerifyResult
from prover.verify.ray import RayVerifier

logger = logging.getLogger(__name__)
USAGE_SAVE_SECONDS = 10.0  # how often usage.json is saved while a run goes


def shard(items: list, spec: str) -> list:
    """Shard ``i/n`` (0-based) of ``items``: every n-th from the i-th, so the n shards partition them."""
    index, count = (int(x) for x in spec.split("/"))
    return items[index::count]


class Search:
    """One search run; ``sampler``, ``verify`` and ``repl_factory`` can be given (tests, notebooks)."""

    def __init__(
        self,
        cfg: SearchConfig,
        sampler: Sampler | None = None,
        verify: Callable[[Reference, str], VerifyResult] | None = None,
        repl_factory: Callable[[], TacticRepl] | None = None,
    ):
        created = time.perf_counter()
        self.cfg = cfg
        self.theorems = load_theorems(cfg.benchmark, cfg.split, cfg.names)
        if cfg.shard:  # SLURM arrays: shard i of n, merged by `prover merge`
            self.theorems = shard(self.theorems, cfg.shard)
        # before any model is loaded or file written: a refused resume changes nothing
        setup = LeanSetup.from_env()
        engine = type(sampler).__name__ if sampler is not None else resolve_engine(cfg.sampler)
        lean = setup.describe() if verify is None else "given by the caller"
        self.store = RunStore(cfg, {t.name: t.statement_hash for t in self.theorems}, engine, lean)
        self.timing = Timing()
        self._created = created
        # Lean before the model: a missing Lean is said in a second, not after minutes of loading
        if repl_factory is None and STRATEGY_REGISTRY[cfg.strategy].tactics:
            setup.require_repl(cfg.memory_mb or None)
        if verify is None:
            setup.require_for(Reference.of(t) for t in self.theorems)
            logger.info("Lean: %s", lean)
        self._checker: Checker | RayVerifier | None = None
        if verify is None:
            settings = CheckSettings.of(cfg, allow_native_decide=False, confirm=True)
            if cfg.ray:  # every node checks proofs with its own Lean
                self._checker = verify = RayVerifier(settings, cfg.ray, setup=setup)
            else:
                self._checker = verify = Checker(settings, setup)
        self.verify = verify
        self.repl_factory = repl_factory or _default_repl_factory(cfg, setup)
        loading = time.perf_counter()
        self._owns_sampler = sampler is None  # engines this run starts (Ray actors, vLLM) end with it
        try:
            self.sampler = sampler if sampler is not None else build_sampler(cfg, engine)
        except BaseException:
            if self._checker is not None:
                self._checker.close()
            raise
        self.timing.model_load = time.perf_counter() - loading
        self.tokens = self.lean_calls = 0  # generated tokens; Lean calls
        self.proof_checks = self.checks_reused = 0
        self._verdicts: dict[tuple[str, str], _Verdict] = {}  # (theorem, proof) -> its verdict
        self._counting = threading.Lock()  # Lean calls are counted from worker threads
        self._lean_active, self._busy_since = 0, 0.0  # Lean calls running now, and since when any has
        self._bad_statements: set[str] = set()  # logged once each

    # ------------------------------------------------------------------ the run

    def run(self) -> Summary:
        from tqdm.auto import tqdm

        cfg = self.cfg
        existing = self.store.open(len(self.theorems))
        self._known_verdicts(existing)
        done, solved = done_and_solved(existing)
        self._before = self.store.usage() if cfg.resume else Usage()  # the sessions before this one
        self._started = time.perf_counter()
        saved = self._started
        bar = tqdm(
            total=len(self.theorems) * cfg.n,
            initial=sum(len(v) for v in done.values()),
            desc=f"search {cfg.strategy}",
            unit="attempt",
        )

        def record(attempt: Attempt) -> None:  # strategies call it on this thread
            nonlocal saved
            self.store.append(attempt)
            done[attempt.theorem].add(attempt.attempt)
            if attempt.proved:
                solved.add(attempt.theorem)
            elapsed = max(time.perf_counter() - self._started, 1e-9)
            bar.set_postfix(
                solved=f"{len(solved)}/{len(self.theorems)}",
                tok_s=f"{self.tokens / elapsed:.0f}",
                gen_s=f"{self.timing.generation:.0f}",
                lean_s=f"{self.timing.lean_wall:.0f}",
                lean_sum_s=f"{self.timing.lean_worker_sum:.0f}",
            )
            bar.update(1)
            if time.perf_counter() - saved >= USAGE_SAVE_SECONDS:  # a kill loses at most this much accounting
                saved = time.perf_counter()
                self.store.save_usage(self.usage())

        try:
            STRATEGIES[cfg.strategy](self, self._batches(done, solved), record, solved)
            if cfg.greedy:
                self._greedy()
        finally:
            bar.close()
            if self._checker is not None:
                self._checker.close()
            if self._owns_sampler and hasattr(self.sampler, "close"):
                self.sampler.close()  # Ray engines and vLLM do not outlive the run (a notebook keeps going)
        return self.summarize()

    def _batches(self, done: dict[str, set[int]], solved: set[str]) -> Iterator[dict[Theorem, list[int]]]:
        """Each batch's theorems with their missing attempts, worked out when the strategy pulls it."""
        cfg = self.cfg
        for start in range(0, len(self.theorems), cfg.batch_theorems):
            todo = {}
            for t in self.theorems[start : start + cfg.batch_theorems]:
                missing = [i for i in range(cfg.n) if i not in done[t.name]]
                if missing and not (cfg.stop_on_first and t.name in solved):
                    todo[t] = missing
            if todo:
                yield todo

    # ------------------------------------------------------------------ what strategies call

    def seed_for(self, theorem: Theorem, *where: int) -> int:
        """The sampling seed of one prompt: a function of the run's seed, the theorem and the attempt's
        position only, so that batching, sharding and resuming do not change what is sampled."""
        key = ":".join([str(self.cfg.seed), theorem.name, *map(str, where)])
        return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16)

    def generate(
        self, prompts: list[str], n: int, max_tokens: int, seeds: list[int], stop=(), temperature=None
    ) -> list[list[Completion]]:
        started = time.perf_counter()
        cfg = self.cfg
        temperature = cfg.temperature if temperature is None else temperature
        out = self.sampler.generate(prompts, n, temperature, cfg.top_p, max_tokens, stop, seeds)
        self.timing.generation += time.perf_counter() - started
        self.tokens += sum(c.tokens for cs in out for c in cs)
        return out

    def whole_prompt(self, theorem: Theorem) -> str:
        return self.cfg.whole_prompt.format(
            header=theorem.header,
            informal_prefix=theorem.informal_prefix,
            formal_statement=theorem.formal_statement,
        )

    @contextmanager
    def waiting_on_lean(self) -> Iterator[None]:
        """Wall time the run spends waiting on Lean (``lean_wall``)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timing.lean_wall += time.perf_counter() - started

    def lean_map(self, pool, fn, items) -> list:
        """``fn`` over ``items`` in Lean's worker threads, results in order."""
        with self.waiting_on_lean():
            return list(pool.map(fn, items))

    @contextmanager
    def _lean_call(self) -> Iterator[None]:
        """One call into Lean (a check, a proof start, a tactic): counted, its time summed over workers, and
        the wall time during which any call ran (``lean_busy``, the union of the calls' intervals)."""
        started = time.perf_counter()
        with self._counting:
            if self._lean_active == 0:
                self._busy_since = started
            self._lean_active += 1
        try:
            yield
        finally:
            ended = time.perf_counter()
            with self._counting:
                self.lean_calls += 1
                self.timing.lean_worker_sum += ended - started
                self._lean_active -= 1
                if self._lean_active == 0:
                    self.timing.lean_busy += ended - self._busy_since

    def check(self, theorem: Theorem, proof: str) -> VerifyResult:
        """The verifier's verdict on ``proof``: Lean runs once per distinct (theorem, proof) in a run (an
        over-confident model draws the same proof many times); an infrastructure failure is not shared."""
        key = (theorem.name, proof)
        with self._counting:
            known = self._verdicts.get(key)
            if known is None:
                self._verdicts[key] = known = _Verdict()
                mine = True
            else:
                mine = False
        if not mine:
            known.ready.wait()
            if known.result is not None:
                with self._counting:
                    self.checks_reused += 1
                return dataclasses.replace(known.result, seconds=0.0)
        result = self._run_check(theorem, proof)
        if mine:
            if result.reason.is_infrastructure:
                with self._counting:
                    del self._verdicts[key]
            else:
                known.result = result
            known.ready.set()
        return result

    def _run_check(self, theorem: Theorem, proof: str) -> VerifyResult:
        try:
            with self._lean_call():
                result = self.verify(Reference.of(theorem), proof)
        except BadReference as error:  # a bare check_proof raises where the Checker answers bad_statement
            result = VerifyResult(Reason.BAD_STATEMENT, str(error))
        finally:
            with self._counting:
                self.proof_checks += 1
        if result.reason is Reason.BAD_STATEMENT and theorem.name not in self._bad_statements:
            self._bad_statements.add(theorem.name)  # the benchmark's statement is broken: said once, go on
            logger.error("%s: %s", theorem.name, result.detail)
        return result

    def _known_verdicts(self, attempts: list[Attempt]) -> None:
        """A resumed run knows the verdicts its records hold: those proofs are not checked again."""
        for a in attempts:
            if a.verdict and not Reason(a.verdict).is_infrastructure:
                known = _Verdict(VerifyResult(Reason(a.verdict), a.detail))
                known.ready.set()
                self._verdicts.setdefault((a.theorem, a.proof), known)

    def start(self, repl, theorem: Theorem) -> tuple[int, list[str]] | NoStart:
        """The initial proof state and goals of ``theorem`` on ``repl``, or why there is none: Lean's error
        on the statement (``bad_statement``, as the verifier says of it in every strategy), or the REPL
        failing twice (an infrastructure failure, no judgement)."""
        from prover.lean.repl import ReplError

        with self._lean_call():
            for tries in (1, 2):
                try:
                    reply = repl.start_proof(theorem.formal_statement, theorem.header, self.cfg.timeout)
                    return reply.proof_state, reply.goals
                except ReplError as error:  # the REPL restarts on the next request
                    if tries == 2:
                        return NoStart(Status.INFRASTRUCTURE, f"the REPL failed twice starting the proof: {error}")
                except ValueError as error:  # Lean's error on the statement
                    return NoStart(Status.BAD_STATEMENT, str(error))
            raise AssertionError("unreachable")

    def step(self, repl, state: int, tactic: str):
        """The REPL's reply to ``tactic`` on ``state``, or the Status that ends it here: ``lean_error`` when
        Lean refuses the tactic or it outlives the time limit (the tactic's own cost, as a proof that times
        out is rejected), ``infrastructure_failure`` when the REPL failed otherwise (crashed, or lost the state)."""
        from prover.lean.repl import ReplError, ReplTimeout

        tactic = tactic.strip()
        if not tactic:
            return Status.LEAN_ERROR
        try:
            with self._lean_call():
                reply = repl.apply(state, tactic, self.cfg.timeout)
        except ReplTimeout:
            return Status.LEAN_ERROR
        except ReplError:
            return Status.INFRASTRUCTURE
        return Status.LEAN_ERROR if reply.errors else reply

    # ------------------------------------------------------------------ diagnostics and summary

    def _greedy(self) -> None:
        """One greedy decode per theorem: the model's confidence in it, and whether it is right. It is an
        attempt of the strategy's kind (a whole proof, or a rollout for tactic models) at temperature 0;
        one that Lean's machinery failed is left for a resume, one that never started (nothing decoded) out."""
        seen = {g.theorem for g in self.store.greedy()}
        todo = {t: [0] for t in self.theorems if t.name not in seen}
        if not todo:
            return

        def record(a: Attempt) -> None:
            if a.logprobs and not Status(a.status).is_infrastructure:
                self.store.append_greedy(Greedy(a.theorem, a.proof, a.tactics, a.logprobs, a.proved, a.verdict))

        strategy = "rollout" if STRATEGY_REGISTRY[self.cfg.strategy].tactics else "whole"
        STRATEGIES[strategy](_GreedyView(self), [todo], record, set())

    def usage(self) -> Usage:
        """All sessions' usage so far: the earlier ones' and this one's."""
        now = time.perf_counter()
        self.timing.wall, self.timing.search = now - self._created, now - self._started
        with self._counting:  # a Lean call still running counts up to now
            busy = self.timing.lean_busy + (now - self._busy_since if self._lean_active else 0.0)
        self.timing.overlap = max(0.0, self.timing.generation + busy - self.timing.search)
        return self._before + Usage(dataclasses.replace(self.timing), self.tokens, self.lean_calls, 1,
                                    self.proof_checks, self.checks_reused)  # fmt: skip

    def summarize(self) -> Summary:
        usage = self.usage()
        self.store.save_usage(usage)
        summary = Summary.of(self.store.attempts(), [t.name for t in self.theorems], self.cfg, usage)
        self.store.write_summary(summary)
        sessions = f" over {usage.sessions} sessions" if usage.sessions > 1 else ""
        logger.info(
            "Success: %d / %d  %s%s; Lean checked %d distinct proofs (attempts and greedy decodes), %d of "
            "the %d attempts reused a verdict",
            summary.solved, summary.theorems, usage.seconds.describe(), sessions, usage.proof_checks,
            usage.checks_reused, summary.attempts,
        )  # fmt: skip
        return summary


class _GreedyView:
    """A search seen at temperature 0 with no early stop: its strategies then make greedy decodes. Each
    member of ``SearchView`` is spelled out, so the type checker holds it to the protocol."""

    def __init__(self, search: Search):
        self._search = search
        self.cfg = dataclasses.replace(search.cfg, temperature=0.0, stop_on_first=False)
        self.repl_factory = search.repl_factory
        self.seed_for, self.whole_prompt, self.lean_map = search.seed_for, search.whole_prompt, search.lean_map
        self.waiting_on_lean, self.check = search.waiting_on_lean, search.check
        self.start, self.step = search.start, search.step

    def generate(self, prompts, n, max_tokens, seeds, stop=(), temperature=None) -> list[list[Completion]]:
        return self._search.generate(prompts, n, max_tokens, seeds, stop, 0.0)


def _default_repl_factory(cfg: SearchConfig, setup: LeanSetup) -> Callable[[], TacticRepl]:
    def make() -> TacticRepl:
        from prover.lean.repl import LeanRepl

        return LeanRepl(setup.require_repl(cfg.memory_mb or None))

    return make


def run_search(cfg: SearchConfig) -> Summary:
    return Search(cfg).run()


@dataclass
class _Verdict:
    """A check in flight or done: attempts that draw the same proof wait for it and share its verdict."""

    result: VerifyResult | None = None
    ready: threading.Event = field(default_factory=threading.Event)


def build_sampler(cfg: SearchConfig, engine: str | None = None) -> Sampler:
    """The sampler ``prover search`` asked for (``engine``: ``cfg.sampler`` resolved, when the caller has it):
    vLLM on a GPU when it is installed (``auto``), else transformers; several engines as Ray actors."""
    engine = engine or resolve_engine(cfg.sampler)
    vllm_options: dict[str, Any] = {
        "tensor_parallel_size": cfg.tensor_parallel_size,
        "gpu_memory_utilization": cfg.gpu_memory_utilization,
        "seed": cfg.seed,
        "engine_kwargs": cfg.engine_kwargs,
    }
    if cfg.engines > 1:
        gpus = cfg.tensor_parallel_size if engine == "vllm" else 0
        options = vllm_options if engine == "vllm" else {}
        return RaySampler(engine, cfg.model, cfg.engines, gpus, cfg.ray or "auto", **options)
    if engine == "vllm":
        return VLLMSampler(cfg.model, **vllm_options)
    sampler = HFSampler.from_pretrained(cfg.model)
    if sampler.model.device.type == "cpu":
        threads.apply(cfg.threads, model=sampler.model)
    return sampler
