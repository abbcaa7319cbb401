"""Search checks each distinct proof once: an over-confident model draws the same proof many times, and
Lean's verdict on it is shared (prover/search/run.py: Search.check). Pure: the sampler and the verifier are
functions here; the verdicts are not Lean's, and nothing here judges a proof."""

from __future__ import annotations

import json
import threading
from collections import Counter

from prover.config import SearchConfig
from prover.search.run import Search
from prover.search.samplers import Completion
from prover.verify.policy import Reason, VerifyResult


class Confident:
    """Draws attempt i of every theorem as proof number (seed % 3): three distinct proofs per theorem."""

    def generate(self, prompts, n, temperature=1.0, top_p=0.95, max_tokens=256, stop=(), seed=None):
        seeds = seed if isinstance(seed, list) else [0] * len(prompts)
        return [[Completion(f" proof{s % 3}", -1.0, (1, 2)) for _ in range(n)] for s in seeds]


class Verifier:
    def __init__(self, fail_first: int = 0):
        self.calls, self.lock, self.fail_first = Counter(), threading.Lock(), fail_first

    def __call__(self, reference, proof):
        with self.lock:
            self.calls[(reference.name, proof)] += 1
            if self.fail_first:
                self.fail_first -= 1
                return VerifyResult(Reason.TIMEOUT, "killed")
        return VerifyResult(Reason.OK if proof == " proof0" else Reason.ERROR, "")


def _config(tmp_path, **overrides) -> SearchConfig:
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps({"name": f"t{i}", "split": "test", "header": "",
                                         "formal_statement": f"theorem t{i} : True :="}) + "\n" for i in range(3)))  # fmt: skip
    settings = dict(model="m", benchmark=str(bench), strategy="whole", n=12, workers=4, greedy=False,
                    output_dir=str(tmp_path / "run"), batch_theorems=3)  # fmt: skip
    return SearchConfig(**{**settings, **overrides})


def test_each_distinct_proof_is_checked_once_and_the_summary_says_so(tmp_path):
    verify = Verifier()
    summary = Search(_config(tmp_path), sampler=Confident(), verify=verify).run()
    assert max(verify.calls.values()) == 1  # every (theorem, proof) once, concurrent draws included
    distinct = len(verify.calls)
    assert summary.proof_checks == distinct and summary.checks_reused == summary.attempts - distinct
    assert summary.attempts == 36 and distinct <= 9
    records = [json.loads(line) for line in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    assert all((r["verdict"] == "ok") == (r["proof"] == " proof0") for r in records)  # verdicts shared right


def test_a_resumed_run_does_not_check_what_it_knows(tmp_path):
    cfg = _config(tmp_path)
    Search(cfg, sampler=Confident(), verify=Verifier()).run()
    attempts = tmp_path / "run" / "attempts.jsonl"
    lines = attempts.read_text().splitlines(keepends=True)
    attempts.write_text("".join(lines[:20]))  # a kill after 20 records
    known = {(r["theorem"], r["proof"]) for r in map(json.loads, lines[:20])}
    verify = Verifier()
    summary = Search(_config(tmp_path, resume="latest"), sampler=Confident(), verify=verify).run()
    assert summary.attempts == 36 and not set(verify.calls) & known


def test_an_infrastructure_failure_is_not_shared(tmp_path):
    verify = Verifier(fail_first=1)
    summary = Search(_config(tmp_path, n=4, workers=1), sampler=Confident(), verify=verify).run()
    assert sum(verify.calls.values()) == len(verify.calls) + 1  # the timed-out proof was checked again
    assert summary.proof_checks == len(verify.calls) + 1
