"""``prover search``: N attempts per benchmark theorem; a success counts only once the verifier accepts it.

Strategies: ``whole`` (N complete proofs per statement from one prompt), ``rollout`` (N independent
tactic-by-tactic attempts through the REPL's proof states; every live attempt of every theorem in a
batch advances with one generation call per step) and ``tree`` (best-first expansion ranked by
cumulative log-probability, ``n_eff`` tactics per expansion, an expansion budget per attempt). The REPL's
tactic mode has known false accepts, so a finished attempt is assembled into a complete proof and checked
by the verifier from scratch. The run directory is append-only and resumable: attempts are identified by
(theorem, attempt index), and a resumed run fills in exactly the missing indices.
"""

from __future__ import annotations

import hashlib
import heapq
import importlib.metadata
import json
import logging
import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from prover.benchmark import Theorem, load_theorems
from prover.config import SearchConfig, describe_changes, setting_changes
from prover.lean.setup import LeanSetup
from prover.prompts import format_goals
from prover.records import append_jsonl, atomic_write_text
from prover.run_records import Attempt, Greedy, Status, read_attempts, read_greedy
from prover.runs import summarize
from prover.sample import Sampler
from prover.verify import Reference, VerifyResult

logger = logging.getLogger(__name__)


def tactic_body(tactics: list[str]) -> str:
    """Tactics as the body after ``:= by``, one per line, multi-line tactics indented."""
    return "".join("\n  " + tactic.replace("\n", "\n  ") for tactic in tactics)


@dataclass
class _Tree:
    """One best-first search in progress: its open nodes (-log p, tiebreak, state, goals, tactics,
    logprobs), the expansions spent and the tokens generated."""

    theorem: Theorem
    index: int
    frontier: list
    expansions: int = 0
    counter: int = 1
    tokens: int = 0


class Search:
    """One search run; ``sampler``, ``verify`` and ``repl_factory`` can be given (tests, notebooks)."""

    def __init__(
        self,
        cfg: SearchConfig,
        sampler: Sampler | None = None,
        verify: Callable[[Reference, str], VerifyResult] | None = None,
        repl_factory: Callable[[], object] | None = None,
    ):
        self.created = time.perf_counter()
        self.cfg = cfg
        self.theorems = load_theorems(cfg.benchmark, cfg.split, cfg.names)
        if cfg.shard:
            index, count = (int(x) for x in cfg.shard.split("/"))
            self.theorems = self.theorems[
                index::count
            ]  # SLURM arrays: shard i of n, merged by `prover merge`
        self.attempts_path = os.path.join(cfg.output_dir, "attempts.jsonl")
        self.fingerprint = run_fingerprint(cfg, self.theorems)
        self.overrides = self._check_run_dir()  # before any model is loaded or file written
        loading = time.perf_counter()
        self.sampler = sampler or build_sampler(cfg)
        self.load_seconds = time.perf_counter() - loading
        self._checker = None
        setup = LeanSetup.from_env()
        if verify is None:
            from prover.verify_run import Checker, CheckSettings

            settings = CheckSettings(cfg.backend, cfg.timeout, cfg.memory_mb, workers=cfg.workers)
            if cfg.ray:  # every node checks proofs with its own Lean
                from prover.distributed import RayVerifier

                self._checker = verify = RayVerifier(settings, cfg.ray, setup=setup)
            else:
                self._checker = verify = Checker(settings, setup)
        self.verify = verify
        self.repl_factory = repl_factory or _default_repl_factory(cfg, setup)
        self.gen_seconds = self.lean_seconds = 0.0
        self.tokens = self.lean_steps = 0  # generated tokens; Lean calls (tactics applied, proofs checked)
        self._counting = threading.Lock()  # Lean calls are counted from worker threads

    # ------------------------------------------------------------------ run directory

    def _check_run_dir(self) -> dict:
        """Refuse to mix runs: attempts in ``--output_dir`` need ``--resume``, and a resume must keep what
        the run samples (settings, model, statements, acceptance rules) unless ``--override_settings``.
        Returns the changes to record."""
        existing = os.path.isfile(self.attempts_path) and os.path.getsize(self.attempts_path) > 0
        if existing and not self.cfg.resume:
            raise ValueError(f"{self.cfg.output_dir} already holds attempts: pass --resume to continue it")
        path = os.path.join(self.cfg.output_dir, "config.json")
        if not self.cfg.resume or not os.path.isfile(path):
            return {}
        from prover.runs import read_run_config

        before = read_run_config(self.cfg.output_dir)
        old = before.get("fingerprint") or {
            "settings": {k: before["config"].get(k) for k in self.fingerprint["settings"]}
        }
        changes = fingerprint_changes(old, self.fingerprint)
        if changes and not self.cfg.override_settings:
            raise ValueError(
                f"--resume: {self.cfg.output_dir} was run with other settings: {'; '.join(changes)} "
                "(pass --override_settings to continue anyway; the change is recorded in config.json)"
            )
        return {"changes": changes, "before": before.get("overrides", [])} if changes else {}

    def _prepare_run_dir(self) -> tuple[dict[str, set[int]], set[str]]:
        """Write config.json; (attempt indices already done per theorem, theorems already proved)."""
        os.makedirs(self.cfg.output_dir, exist_ok=True)
        _rewrite_without_torn_line(self.attempts_path)
        existing = read_attempts(self.cfg.output_dir) if os.path.isfile(self.attempts_path) else []
        config = {
            "config": asdict(self.cfg),
            "fingerprint": self.fingerprint,
            "benchmark_sha256": _file_hash(self.cfg.benchmark),
            "theorems": len(self.theorems),
            "versions": {p: _version(p) for p in ("dco-prover", "torch", "transformers", "vllm")},
        }
        if self.overrides:
            config["overrides"] = [*self.overrides["before"], {"changes": self.overrides["changes"]}]
        atomic_write_text(os.path.join(self.cfg.output_dir, "config.json"), json.dumps(config, indent=1))
        done: dict[str, set[int]] = defaultdict(set)
        for record in existing:
            done[record.theorem].add(record.attempt)
        return done, {r.theorem for r in existing if r.proved}

    def _record(self, attempt: Attempt) -> None:
        append_jsonl(self.attempts_path, attempt.to_json())

    # ------------------------------------------------------------------ the run

    def run(self) -> dict:
        from tqdm.auto import tqdm

        cfg = self.cfg
        done, solved = self._prepare_run_dir()
        total = len(self.theorems) * cfg.n
        bar = tqdm(
            total=total,
            initial=sum(len(v) for v in done.values()),
            desc=f"search {cfg.strategy}",
            unit="attempt",
        )
        started = time.perf_counter()

        lock = threading.Lock()  # strategies report from worker threads

        def progress(attempt: Attempt) -> None:
            with lock:
                self._record(attempt)
                done[attempt.theorem].add(attempt.attempt)
                if attempt.proved:
                    solved.add(attempt.theorem)
                elapsed = max(time.perf_counter() - started, 1e-9)
                bar.set_postfix(
                    solved=f"{len(solved)}/{len(self.theorems)}",
                    tok_s=f"{self.tokens / elapsed:.0f}",
                    lean_calls_per_s=f"{self.lean_steps / elapsed:.1f}",
                )
                bar.update(1)

        try:
            for start in range(0, len(self.theorems), cfg.batch_theorems):
                batch = self.theorems[start : start + cfg.batch_theorems]
                todo = {}
                for t in batch:
                    if cfg.stop_on_first and t.name in solved:
                        continue
                    missing = [i for i in range(cfg.n) if i not in done[t.name]]
                    if missing:
                        todo[t] = missing
                if todo:
                    strategy = {"whole": self._whole, "rollout": self._rollout, "tree": self._tree}[
                        cfg.strategy
                    ]
                    strategy(todo, progress, solved)
            if cfg.greedy:
                self._greedy()
        finally:
            bar.close()
            if self._checker is not None:
                self._checker.close()
        return self.summarize(time.perf_counter() - started)

    def _check(self, theorem: Theorem, proof: str) -> VerifyResult:
        from prover.verify import Reason

        started = time.perf_counter()
        try:
            result = self.verify(theorem.reference, proof)
        except ValueError as error:  # the benchmark's statement itself is broken: record it, go on
            logger.error("%s", error)
            result = VerifyResult(Reason.BAD_STATEMENT, str(error))
        self._count_lean(time.perf_counter() - started)
        return result

    def _count_lean(self, seconds: float) -> None:
        with self._counting:
            self.lean_steps += 1
            self.lean_seconds += seconds

    def seed_for(self, theorem: Theorem, *where: int) -> int:
        """The sampling seed of one prompt: a function of the run's seed, the theorem and the attempt's
        position only, so that batching, sharding and resuming do not change what is sampled."""
        key = ":".join([str(self.cfg.seed), theorem.name, *map(str, where)])
        return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16)

    def _generate(
        self, prompts: list[str], n: int, max_tokens: int, seeds: list[int], stop=(), temperature=None
    ) -> list:
        started = time.perf_counter()
        cfg = self.cfg
        out = self.sampler.generate(
            prompts,
            n,
            cfg.temperature if temperature is None else temperature,
            cfg.top_p,
            max_tokens,
            stop,
            seeds,
        )
        self.gen_seconds += time.perf_counter() - started
        self.tokens += sum(c.tokens for cs in out for c in cs)
        return out

    # ------------------------------------------------------------------ whole proofs

    def _whole_prompt(self, theorem: Theorem) -> str:
        return self.cfg.whole_prompt.format(
            header=theorem.header,
            informal_prefix=theorem.informal_prefix,
            formal_statement=theorem.formal_statement,
        )

    def _whole(self, todo: dict[Theorem, list[int]], progress, solved) -> None:
        cfg = self.cfg
        while todo:
            width = 1 if cfg.stop_on_first else max(len(m) for m in todo.values())
            # one prompt per attempt, seeded by the attempt's index alone: what attempt i samples does not
            # depend on batching, shards or where a kill landed
            wanted = [(t, index) for t, missing in todo.items() for index in missing[:width]]
            completions = self._generate(
                [self._whole_prompt(t) for t, _ in wanted],
                1,
                cfg.max_tokens_proof,
                [self.seed_for(t, index) for t, index in wanted],
                [cfg.proof_stop],
            )
            jobs = [(t, index, cs[0]) for (t, index), cs in zip(wanted, completions)]
            with ThreadPoolExecutor(max_workers=cfg.workers) as pool:
                results = list(pool.map(lambda job: self._check(job[0], job[2].text), jobs))
            for (t, index, c), result in zip(jobs, results):
                progress(_attempt(t, index, "whole", c.text, [], [c.logprob], result, c.tokens))
            # each theorem's first `width` missing attempts were drawn in this round
            todo = {
                t: missing[width:]
                for t, missing in todo.items()
                if missing[width:] and not (cfg.stop_on_first and t.name in solved)
            }

    # ------------------------------------------------------------------ tactic strategies

    def _initial_states(self, repl, theorems: list[Theorem]) -> dict[Theorem, tuple[int, list[str]] | str]:
        states = {}
        for theorem in theorems:
            try:
                reply = repl.start_proof(theorem.formal_statement, theorem.header, self.cfg.timeout)
                states[theorem] = (reply.proof_state, reply.goals)
            except Exception as error:  # noqa: BLE001 - recorded as the attempts' failure
                states[theorem] = f"cannot start the proof: {error}"
        return states

    def _finish(
        self, theorem: Theorem, index: int, strategy: str, tactics, logprobs, tokens, status=""
    ) -> Attempt:
        body = tactic_body(tactics)
        result = None if status else self._check(theorem, body)
        return _attempt(theorem, index, strategy, body, tactics, logprobs, result, tokens, status)

    def _repls(self, theorems: list[Theorem]):
        """REPL processes for a batch (up to ``workers``), each owning some theorems: proof states live in
        the process that created them, and different processes work in parallel."""
        repls = [self.repl_factory() for _ in range(max(1, min(self.cfg.workers, len(theorems))))]
        return repls, {t: repls[i % len(repls)] for i, t in enumerate(theorems)}

    def _rollout(self, todo: dict[Theorem, list[int]], progress, solved) -> None:
        cfg = self.cfg
        repls, owner = self._repls(list(todo))
        try:
            with ThreadPoolExecutor(max_workers=len(repls)) as pool:
                starts: dict = {}
                for part in pool.map(
                    lambda r: self._initial_states(r, [t for t in todo if owner[t] is r]), repls
                ):
                    starts.update(part)
                live = []  # [theorem, index, state, goals, tactics, logprobs, tokens]
                for theorem, missing in todo.items():
                    for index in missing:
                        if isinstance(starts[theorem], str):
                            progress(_failed(theorem, index, "rollout", starts[theorem]))
                        else:
                            live.append([theorem, index, *starts[theorem], [], [], 0])
                for step in range(cfg.max_tactics):
                    live = [a for a in live if not (cfg.stop_on_first and a[0].name in solved)]
                    if not live:
                        break
                    # one generation call for every live attempt of every theorem in the batch
                    prompts = [cfg.tactic_prompt.format(state=format_goals(a[3])) for a in live]
                    seeds = [self.seed_for(a[0], a[1], step) for a in live]
                    generated = self._generate(prompts, 1, cfg.max_tokens_tactic, seeds)
                    steps = [(a, c) for a, (c,) in zip(live, generated)]

                    def advance(repl, steps=steps):
                        return [
                            (a, c, self._step(repl, a[2], c.text.strip()))
                            for a, c in steps
                            if owner[a[0]] is repl
                        ]

                    finished, live = [], []
                    for group in pool.map(advance, repls):
                        for (theorem, index, _, _, tactics, logprobs, tokens), c, outcome in group:
                            path = ([*tactics, c.text.strip()], [*logprobs, c.logprob], tokens + c.tokens)
                            if isinstance(outcome, str):
                                progress(self._finish(theorem, index, "rollout", *path, outcome))
                            elif outcome.completed:
                                finished.append((theorem, index, "rollout", *path))
                            else:
                                live.append([theorem, index, outcome.proof_state, outcome.goals, *path])
                    for attempt in pool.map(lambda f: self._finish(*f), finished):  # verified in parallel
                        progress(attempt)
                for theorem, index, _, _, tactics, logprobs, tokens in live:
                    progress(
                        self._finish(
                            theorem, index, "rollout", tactics, logprobs, tokens, Status.MAX_STEPS.value
                        )
                    )
        finally:
            for repl in repls:
                repl.close()

    def _step(self, repl, state: int, tactic: str):
        """The REPL's reply, or why the attempt ends here (a Lean error or a REPL failure)."""
        from prover.lean.repl import ReplError

        if not tactic:
            return Status.LEAN_ERROR.value
        started = time.perf_counter()
        try:
            reply = repl.apply(state, tactic, self.cfg.timeout)
        except ReplError:
            return Status.REPL_FAILURE.value
        finally:
            self._count_lean(time.perf_counter() - started)
        if reply.errors:
            return Status.LEAN_ERROR.value
        return reply

    def _tree(self, todo: dict[Theorem, list[int]], progress, solved) -> None:
        """Best-first search, one tree per theorem at a time (its attempts in order), every theorem of the
        batch advanced together: each round pops the best open node of every live tree, samples all their
        tactics in one generation call on this thread, and applies them in parallel, one worker per REPL.
        A node's tactics come from its own seed (theorem, attempt, expansion), so batching changes nothing."""
        cfg = self.cfg
        repls, owner = self._repls(list(todo))
        queue = {t: list(missing) for t, missing in todo.items()}
        try:
            with ThreadPoolExecutor(max_workers=len(repls)) as pool:
                starts: dict = {}
                for part in pool.map(
                    lambda r: self._initial_states(r, [t for t in todo if owner[t] is r]), repls
                ):
                    starts.update(part)

                def next_tree(theorem: Theorem) -> _Tree | None:
                    while queue[theorem] and not (cfg.stop_on_first and theorem.name in solved):
                        index = queue[theorem].pop(0)
                        if isinstance(starts[theorem], str):
                            progress(_failed(theorem, index, "tree", starts[theorem]))
                            continue
                        root, goals = starts[theorem]
                        return _Tree(theorem, index, [(0.0, 0, root, goals, [], [])])
                    return None

                live = {t: tree for t in todo if (tree := next_tree(t)) is not None}
                while live:
                    rounds = []  # (tree, node) of every live tree that still has a node to expand
                    for theorem, tree in list(live.items()):
                        if not tree.frontier or tree.expansions >= cfg.expansions:
                            progress(
                                self._finish(
                                    theorem, tree.index, "tree", [], [], tree.tokens, Status.BUDGET.value
                                )
                            )
                            self._replace(live, theorem, next_tree)
                        else:
                            rounds.append((tree, heapq.heappop(tree.frontier)))
                    if not rounds:
                        continue
                    prompts = [cfg.tactic_prompt.format(state=format_goals(node[3])) for _, node in rounds]
                    seeds = [self.seed_for(tree.theorem, tree.index, tree.expansions) for tree, _ in rounds]
                    generated = self._generate(prompts, cfg.n_eff, cfg.max_tokens_tactic, seeds)

                    work = list(zip(rounds, generated))
                    for group in pool.map(lambda repl, work=work: self._expand_all(repl, work, owner), repls):
                        for tree, attempt in group:
                            tree.expansions += 1
                            if attempt is not None:  # proved (and verified) or failed for good
                                progress(attempt)
                                self._replace(live, tree.theorem, next_tree)
        finally:
            for repl in repls:
                repl.close()

    def _expand_all(self, repl, work, owner) -> list:
        """The expansions of the trees this REPL owns, in order (run in the REPL's worker thread)."""
        return [
            (tree, self._expand(repl, tree, node, cs))
            for (tree, node), cs in work
            if owner[tree.theorem] is repl
        ]

    @staticmethod
    def _replace(live: dict, theorem: Theorem, next_tree) -> None:
        tree = next_tree(theorem)
        if tree is None:
            live.pop(theorem, None)
        else:
            live[theorem] = tree

    def _expand(self, repl, tree: _Tree, node, completions) -> Attempt | None:
        """Apply a node's distinct tactics (on the REPL that owns the tree): the verified attempt when one
        closes the proof, else None with the children pushed on the tree's frontier."""
        cfg = self.cfg
        neg, _, state, _, tactics, logprobs = node
        for completion in {c.text.strip(): c for c in completions}.values():  # distinct tactics only
            tree.tokens += completion.tokens
            tactic = completion.text.strip()
            outcome = self._step(repl, state, tactic)
            if isinstance(outcome, str) or len(tactics) + 1 > cfg.max_tactics:
                continue
            path, path_logprobs = [*tactics, tactic], [*logprobs, completion.logprob]
            if outcome.completed:
                return self._finish(tree.theorem, tree.index, "tree", path, path_logprobs, tree.tokens)
            heapq.heappush(
                tree.frontier,
                (
                    neg - completion.logprob,
                    tree.counter,
                    outcome.proof_state,
                    outcome.goals,
                    path,
                    path_logprobs,
                ),
            )
            tree.counter += 1
        return None

    # ------------------------------------------------------------------ diagnostics and summary

    def _greedy(self) -> None:
        """One greedy decode per theorem: the model's confidence in it, and whether it is right."""
        path = os.path.join(self.cfg.output_dir, "greedy.jsonl")
        seen = {g.theorem for g in read_greedy(self.cfg.output_dir)}
        theorems = [t for t in self.theorems if t.name not in seen]
        if not theorems:
            return
        if self.cfg.strategy == "whole":
            completions = self._generate(
                [self._whole_prompt(t) for t in theorems],
                1,
                self.cfg.max_tokens_proof,
                [0] * len(theorems),
                [self.cfg.proof_stop],
                0.0,
            )
            for theorem, (c,) in zip(theorems, completions):
                result = self._check(theorem, c.text)
                append_jsonl(path, Greedy(theorem.name, c.text, [], c.logprob, math.exp(c.logprob),
                                          result.accepted, result.reason.value).to_json())  # fmt: skip
            return
        repl = self.repl_factory()
        try:
            starts = self._initial_states(repl, theorems)
            for theorem in theorems:
                if isinstance(starts[theorem], str):
                    continue
                state, goals = starts[theorem]
                tactics, logprobs = [], []
                correct = False
                for _ in range(self.cfg.max_tactics):
                    prompt = self.cfg.tactic_prompt.format(state=format_goals(goals))
                    ((c,),) = self._generate([prompt], 1, self.cfg.max_tokens_tactic, [0], temperature=0.0)
                    tactics.append(c.text.strip())
                    logprobs.append(c.logprob)
                    outcome = self._step(repl, state, tactics[-1])
                    if isinstance(outcome, str):
                        break
                    if outcome.completed:
                        correct = self._check(theorem, tactic_body(tactics)).accepted
                        break
                    state, goals = outcome.proof_state, outcome.goals
                append_jsonl(path, Greedy(theorem.name, "", tactics, logprobs[0], math.exp(logprobs[0]),
                                          correct).to_json())  # fmt: skip
        finally:
            repl.close()

    def summarize(self, seconds: float) -> dict:
        timing = {
            "wall": time.perf_counter() - self.created,  # the whole run, model loading included
            "model_load": self.load_seconds,
            "search": seconds,  # wall time of the search itself
            "generation": self.gen_seconds,  # wall time of generation (main thread)
            "lean_worker_sum": self.lean_seconds,  # summed over parallel Lean workers: can exceed the wall
        }
        names = [t.name for t in self.theorems]
        records = read_attempts(self.cfg.output_dir)
        summary = summarize(records, names, self.cfg, timing, self.tokens, self.lean_steps)
        atomic_write_text(os.path.join(self.cfg.output_dir, "summary.json"), json.dumps(summary, indent=1))
        logger.info(
            "Success: %d / %d  wall %.1fs (model load %.1fs, generation %.1fs; Lean %.1fs summed over workers)",
            summary["solved"], summary["theorems"], timing["wall"], self.load_seconds, self.gen_seconds,
            self.lean_seconds,
        )  # fmt: skip
        return summary


def _attempt(
    theorem, index, strategy, proof, tactics, logprobs, result: VerifyResult | None, tokens, status=""
) -> Attempt:
    if result is not None:
        from prover.verify import Reason

        status = (
            "proved"
            if result.accepted
            else "bad_statement"
            if result.reason is Reason.BAD_STATEMENT
            else "rejected"
        )
    return Attempt(
        theorem.name, theorem.statement_hash, index, strategy, proof, list(tactics), list(logprobs), status,
        "" if result is None else result.reason.value, "" if result is None else result.detail, tokens,
        0.0 if result is None else result.seconds,
    )  # fmt: skip


def _failed(theorem: Theorem, index: int, strategy: str, why: str) -> Attempt:
    return Attempt(
        theorem.name,
        theorem.statement_hash,
        index,
        strategy,
        "",
        [],
        [],
        Status.REPL_FAILURE.value,
        "",
        why,
        0,
        0.0,
    )


def _rewrite_without_torn_line(path: str) -> None:
    """A kill can leave half a line at the end; appending after it would corrupt the next record."""
    if os.path.exists(path):
        with open(path, "rb") as handle:
            data = handle.read()
        if data and not data.endswith(b"\n"):
            atomic_write_text(path, data[: data.rfind(b"\n") + 1].decode("utf-8"))


def model_fingerprint(model: str) -> dict:
    """A local model by its path and the size and time of its files (no hash of many GB); a hub name as is."""
    if not os.path.isdir(model):
        return {"name": model}
    entries = sorted((e for e in os.scandir(model) if e.is_file()), key=lambda e: e.name)
    stats = {e.name: [(st := e.stat()).st_size, st.st_mtime_ns] for e in entries}
    return {"path": os.path.abspath(model), "files": stats}


def run_fingerprint(cfg: SearchConfig, theorems: list[Theorem]) -> dict:
    """What a run samples and how its samples are judged: a resume must find the same."""
    from prover.verify import POLICY_VERSION

    return {
        "settings": cfg.run_settings,
        "model": model_fingerprint(cfg.model),
        "statements": {t.name: t.statement_hash for t in theorems},
        "policy_version": POLICY_VERSION,
    }


def fingerprint_changes(before: dict, now: dict) -> list[str]:
    """Each difference between two fingerprints, in words."""
    changes = describe_changes(setting_changes(before.get("settings", {}), now["settings"]))
    if "model" in before and before["model"] != now["model"]:
        changes.append(
            f"the model ({now['model'].get('path') or now['model'].get('name')} is not the one the run used)"
        )
    old, new = before.get("statements"), now["statements"]
    if old is not None:
        changed = sorted(n for n in new if n in old and old[n] != new[n])
        added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
        for what, names in (
            ("statement changed", changed),
            ("theorem added", added),
            ("theorem removed", removed),
        ):
            if names:
                changes.append(f"{what}: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")
    if "policy_version" in before and before["policy_version"] != now["policy_version"]:
        changes.append(f"the acceptance rules (policy {before['policy_version']} -> {now['policy_version']})")
    return changes


def _file_hash(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def build_sampler(cfg: SearchConfig) -> Sampler:
    import importlib.util

    engine = cfg.sampler
    if engine == "auto":
        import torch

        engine = "vllm" if torch.cuda.is_available() and importlib.util.find_spec("vllm") else "hf"
    vllm_options = {
        "tensor_parallel_size": cfg.tensor_parallel_size,
        "gpu_memory_utilization": cfg.gpu_memory_utilization,
        "seed": cfg.seed,
        "engine_kwargs": cfg.engine_kwargs,
    }
    if cfg.engines > 1:
        from prover.distributed import RaySampler

        gpus = cfg.tensor_parallel_size if engine == "vllm" else 0
        options = vllm_options if engine == "vllm" else {}
        return RaySampler(engine, cfg.model, cfg.engines, gpus, cfg.ray or "auto", **options)
    if engine == "vllm":
        from prover.sample import VLLMSampler

        return VLLMSampler(cfg.model, **vllm_options)
    from prover.sample import HFSampler

    return HFSampler.from_pretrained(cfg.model)


def _default_repl_factory(cfg: SearchConfig, setup: LeanSetup):
    def make():
        from prover.lean.repl import LeanRepl

        return LeanRepl(setup.require_repl(cfg.memory_mb or None))

    return make


def run_search(cfg: SearchConfig) -> dict:
    return Search(cfg).run()
