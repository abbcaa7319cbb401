"""A catalogue of plausible mistakes, written by hand: do the tests catch what a tired developer gets wrong?

    python benchmarks/mutation/catalogue.py                 # every mistake (about 30 minutes on 2 cores)
    python benchmarks/mutation/catalogue.py --stage search  # one stage
    python benchmarks/mutation/catalogue.py --list          # what each mistake is

mutmut's operator mutations (benchmarks/mutation/run.py) flip `<` to `<=` and `+` to `-`; these are the
mistakes people make instead: orderings, off-by-ones in windows and budgets, keys missing a field, fields
written but not restored, swapped arguments, dropped checks, wrong defaults. Each is one exact edit of one
file (the catalogue refuses an edit that does not apply exactly once, so it cannot rot silently), applied
to a copy of the project (runs/catalogue/work, never the working tree); the stage's tests run there
(`pytest -x`: the first failure kills it). Prints the kill rate per stage and every survivor, and writes
runs/catalogue/results.jsonl (a killed run resumes where it stopped); docs/benchmarks.md has the scores and why each survivor survives.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "runs" / "catalogue"

# the tests each stage's mistakes are run against (the stage's own, as a contributor would run them)
TESTS = {
    "train": "tests/test_loss.py tests/test_units.py tests/test_data.py tests/test_prompts.py tests/test_train.py "
    "tests/test_invariants.py",
    "search": "tests/test_run_records.py tests/test_run_store.py tests/test_merge.py tests/test_invariants.py "
    "tests/test_sample.py tests/lean/test_strategies.py tests/lean/test_search_resume.py "
    "tests/lean/test_search_checks.py tests/lean/test_search_tactics.py tests/lean/test_search_whole.py",
    "verify": "tests/test_verify_rules.py tests/test_verdict_cache.py tests/test_invariants.py "
    "tests/lean/test_verify_prelude.py tests/lean/test_verify_reading.py tests/lean/test_verify_scopes.py "
    "tests/lean/test_verify_imports.py tests/lean/test_verify_cli.py tests/lean/test_check_file.py "
    "tests/lean/test_interactive.py",
    "lean": "tests/test_process.py tests/test_modules.py tests/lean/test_filecheck.py tests/lean/test_repl.py tests/lean/test_pool.py "
    "tests/lean/test_protocol.py tests/lean/test_axioms_lean.py tests/test_verify_rules.py "
    "tests/lean/test_verify_prelude.py",
    "report": "tests/test_metrics.py tests/test_report.py tests/test_run_records.py",
    "shared": "tests/test_cli.py tests/test_misuse.py tests/test_invariants.py tests/test_data.py "
    "tests/test_prompts.py tests/test_run_store.py",
}


@dataclass(frozen=True)
class Mistake:
    stage: str
    path: str
    old: str
    new: str
    what: str


M = Mistake
MISTAKES = [
    # ------------------------------------------------------------------ train
    M("train", "prover/train/loss.py", "group_ids if spec.over_traces else None)",
      'group_ids if spec.budget == "n_eff" else None)',
      "trace DCO and step DCO swapped: the whole proof's p weights the step objective"),
    M("train", "prover/train/loss.py", "total = weighted.mean() if num_items_in_batch is None else weighted.sum() / num_items_in_batch",
      "total = weighted.mean() if num_items_in_batch is None else weighted.mean() / num_items_in_batch",
      "gradient accumulation normalised twice"),
    M("train", "prover/train/loss.py", "    logp = (token_logp * mask).sum(dim=1)  # (B,)",
      "    logp = token_logp.sum(dim=1)  # (B,)", "padding and prompt tokens counted in log p (mask dropped)"),
    M("train", "prover/train/loss.py", "    shifted = torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], IGNORE_INDEX)], dim=1)  # (B, T)",
      "    shifted = labels  # (B, T)", "the causal shift forgotten"),
    M("train", "prover/train/loss.py", "        return coverage_weight(scored, n)", "        return coverage_weight(scored, n) * 0 + 1",
      "DCO weights silently all one (DCO trains as CE)"),
    M("train", "prover/train/loss.py", "    return torch.where(n == 1, torch.zeros_like(log_f), log_f)  # F(1, p) = 1 exactly",
      "    return log_f", "N = 1 no longer exactly CE"),
    M("train", "prover/train/loop.py", "        labels[r, t.n_prompt : len(ids)] = ids[t.n_prompt :]",
      "        labels[r, : len(ids)] = ids", "the prompt trained on (prompt masking dropped)"),
    M("train", "prover/train/loop.py", "        attention[r, : len(ids)] = 1", "        attention[r, :] = 1",
      "padding attended to"),
    M("train", "prover/train/loop.py", '        self.step, self.last_eval_epoch = state["step"], state["last_eval_epoch"]',
      '        self.step, self.last_eval_epoch = state["step"], 0', "last_eval_epoch written but not restored"),
    M("train", "prover/train/loop.py", """        lr = self.scheduler.get_last_lr()[0]  # the rate this step used
        self.scheduler.step()""", """        self.scheduler.step()
        lr = self.scheduler.get_last_lr()[0]  # the rate this step used""", "the logged learning rate one step late"),
    M("train", "prover/train/loop.py", "            if self.step % cfg.save_steps == 0 and self.step < self.total_steps:",
      "            if self.step % cfg.save_steps == 1 and self.step < self.total_steps:", "checkpoints one step off"),
    M("train", "prover/train/checkpoint.py", "    return sorted(found)", "    return sorted(found, key=lambda f: f[1])",
      "checkpoints ordered by name: checkpoint-9 after checkpoint-10"),
    M("train", "prover/train/checkpoint.py", "        for _, path in complete_checkpoints(output_dir)[:-keep]:",
      "        for _, path in complete_checkpoints(output_dir)[keep:]:", "pruning deletes the newest checkpoints"),
    M("train", "prover/train/units.py", "        self.pending, self.drop_rate = list(state.get(\"pending\", [])), float(state.get(\"drop_rate\", 0.0))",
      "        self.pending, self.drop_rate = [], float(state.get(\"drop_rate\", 0.0))", "pending units not restored"),
    M("train", "prover/train/units.py", "            generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)",
      "            generator = torch.Generator().manual_seed(self.seed * 100_003)", "every epoch the same order"),
    M("train", "prover/train/units.py", "                if self.score is not None and scores[unit] <= self.epsilon:",
      "                if self.score is not None and scores[unit] < self.epsilon:", "epsilon itself kept (the filter's boundary)"),
    M("train", "prover/train/setup.py", "        held = set(order[: int(len(units) * cfg.eval_fraction)])",
      "        held = set(range(int(len(units) * cfg.eval_fraction)))", "the held-out units are the first ones, not a seeded draw"),
    M("train", "prover/train/tokenize.py", "            out.append(TokenizedExample(ids, len(prompt_ids)) if len(ids) <= max_length else None)",
      "            out.append(TokenizedExample(ids[:max_length], len(prompt_ids)))", "long examples truncated, not dropped"),
    M("train", "prover/train/tokenize.py", "                units.append(traces[trace_id])  # first appearance fixes the unit's order",
      "                units.insert(0, traces[trace_id])  # first appearance fixes the unit's order", "trace units reordered"),
    M("train", "prover/train/data.py", "    bad_traces = {e.trace_id for e in examples if isinstance(e, TacticExample) and e.trace_id and hit(e)}",
      "    bad_traces = set()", "a contaminated trace keeps its other steps"),
    # ------------------------------------------------------------------ search
    M("search", "prover/search/run.py", "    return items[index::count]", "    return items[index - 1 :: count]",
      "--shard i/n read 1-based"),
    M("search", "prover/search/run.py", '        key = ":".join([str(self.cfg.seed), theorem.name, *map(str, where)])',
      '        key = ":".join([theorem.name, *map(str, where)])', "the sampling seed ignores --seed"),
    M("search", "prover/search/run.py", "                if missing and not (cfg.stop_on_first and t.name in solved):",
      "                if missing:", "a resume of a stop_on_first run draws past the proof"),
    M("search", "prover/search/strategies.py", "            if not t.frontier or t.expansions >= cfg.expansions:",
      "            if not t.frontier or t.expansions > cfg.expansions:", "the tree's expansion budget off by one"),
    M("search", "prover/search/strategies.py", "        child = Node(node.cost - completion.logprob, tree.created, ref, outcome.goals, path)",
      "        child = Node(node.cost + completion.logprob, tree.created, ref, outcome.goals, path)",
      "the tree worst-first instead of best-first"),
    M("search", "prover/search/strategies.py", "        if isinstance(outcome, Status) or len(node.path.tactics) + 1 > search.cfg.max_tactics:",
      "        if isinstance(outcome, Status) or len(node.path.tactics) > search.cfg.max_tactics:",
      "the tree's depth limit off by one"),
    M("search", "prover/search/strategies.py", "    for completion in {c.text.strip(): c for c in completions}.values():  # distinct tactics only",
      "    for completion in completions:  # distinct tactics only", "duplicate tactics expanded twice"),
    M("search", "prover/search/strategies.py", "                    if cfg.stop_on_first or CHUNKS == 1:  # the next round needs this one's proofs",
      "                    if CHUNKS == 1:  # the next round needs this one's proofs",
      "whole with stop_on_first draws the next round before this one's proofs are in"),
    M("search", "prover/search/strategies.py", "                }\n        finish()",
      "                }\n            finish()\n        finish()", "whole checks a batch's last part before the next batch samples"),
    M("search", "prover/search/strategies.py", "            live = [a for a in live if not (cfg.stop_on_first and a.theorem.name in solved)]",
      "            live = list(live)", "rollout ignores stop_on_first"),
    M("search", "prover/search/records.py", "        if record.theorem not in bad and not Status(record.status).is_infrastructure:",
      "        if record.theorem not in bad:", "infrastructure failures counted as the model's"),
    M("search", "prover/metrics.py", "    done = [t for t in started if len(results[t]) >= n or (stop_on_first and any(results[t]))]",
      "    done = [t for t in started if len(results[t]) >= n - 1 or (stop_on_first and any(results[t]))]",
      "a run missing its last attempt called finished"),
    M("search", "prover/search/records.py", "        if not Status(record.status).is_infrastructure:  # a failure of Lean's machinery is drawn again",
      "        if True:  # a failure of Lean's machinery is drawn again", "a redone infrastructure failure is a duplicate"),
    M("search", "prover/search/store.py", "        sampler[\"tensor_parallel_size\"] = cfg.tensor_parallel_size",
      "        pass", "tensor parallelism left out of the fingerprint"),
    M("search", "prover/search/store.py", "        \"policy_version\": POLICY_VERSION,", "", "the acceptance rules' version left out of the fingerprint"),
    M("search", "prover/search/store.py", '        files[entry.name] = [entry.stat().st_size, file_sha256(entry.path)]',
      "        files[entry.name] = [entry.stat().st_size, 0]", "the model fingerprint by sizes only"),
    M("search", "prover/search/merge.py", '        n, stop = config["config"].get("n"), config["config"].get("stop_on_first")',
      '        n, stop = config["config"].get("n"), False', "merge ignores stop_on_first"),
    # ------------------------------------------------------------------ verify
    M("verify", "prover/verify/policy.py", 'STANDARD_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})',
      'STANDARD_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound", "sorryAx"})', "sorryAx standard"),
    M("verify", "prover/verify/policy.py", "    if any(_SORRY_WARNING.search(m.data) for m in messages):",
      "    if any(_SORRY_WARNING.search(m.data) for m in own):", "sorry looked for among errors only (it is a warning)"),
    M("verify", "prover/verify/policy.py", "    if check_messages is None:\n        return VerifyResult(Reason.ERROR, \"the appended checks did not run\", shown)",
      "    if check_messages is None:\n        return VerifyResult(Reason.OK, shown)", "no check run: accepted (fail open)"),
    M("verify", "prover/verify/policy.py", "        if m.severity != \"error\":\n            continue",
      "        if m.severity != \"error\" or m.line == a.check_line:\n            continue", "the statement check's error ignored"),
    M("verify", "prover/verify/policy.py", "    reference_errors = [m for m in messages if m.severity == \"error\" and m.line < a.region_line]",
      "    reference_errors = [m for m in messages if m.severity == \"error\" and m.line < a.region_line - 1]",
      "the reference's last line taken for the output's"),
    M("verify", "prover/verify/cache.py", "        reference.formal_statement,\n", "", "the verdict cache key without the statement"),
    M("verify", "prover/verify/cache.py", "        if result.reason.is_infrastructure:\n            return",
      "        if False:\n            return", "timeouts cached as verdicts"),
    M("verify", "prover/verify/cache.py", "        allow_native_decide,\n", "", "the verdict cache key without --allow_native_decide"),
    M("verify", "prover/verify/interactive.py", """        reply = self.repl.apply(self.current.state, tactic, self.timeout)
        if reply.errors:
            return Outcome(self.goals, reply.errors)
        self.steps.append(Step(tactic, reply.proof_state, reply.goals))""", """        reply = self.repl.apply(self.current.state, tactic, self.timeout)
        self.steps.append(Step(tactic, reply.proof_state, reply.goals))
        if reply.errors:
            return Outcome(self.goals, reply.errors)""", "a failed tactic advances prover prove's state"),
    M("verify", "prover/verify/interactive.py", "        if self.steps:\n            self.steps.pop()",
      "        if len(self.steps) > 1:\n            self.steps.pop()", "undo cannot undo the first tactic"),
    M("verify", "prover/verify/checker.py", '        order = ["file", "repl+file", "repl"]', '        order = ["repl", "repl+file", "file"]',
      "a REPL-alone accept answers a confirmed run"),
    M("verify", "prover/verify/checker.py", '        return f"{self.setup.identity()} | {question or self.question}"',
      '        return f"{self.setup.identity()}"', "the cache identity without the question"),
    M("verify", "prover/verify/rules.py", '    "unsafe": "unsafe",\n', "", "unsafe declarations allowed"),
    M("verify", "prover/verify/rules.py", '    "run_tac": _ELAB_TIME,\n', "", "run_tac (tactic code at elaboration) allowed"),
    # ------------------------------------------------------------------ lean
    M("lean", "prover/lean/process.py", 'OOM_MARKERS = ("out of memory", "std::bad_alloc", "cannot allocate memory", "failed to allocate")',
      'OOM_MARKERS = ("out of memory",)', "out-of-memory seen as a crash"),
    M("lean", "prover/lean/filecheck.py", "        return not (self.timed_out or self.out_of_memory or self.crashed)",
      "        return not (self.timed_out or self.crashed)", "an out-of-memory run's messages taken as a verdict"),
    M("lean", "prover/lean/filecheck.py", "            checked = _run(command, [second], left, memory_mb, command.environment(tmp)) if left > 0 else None",
      "            checked = _run(command, [second], timeout, memory_mb, command.environment(tmp)) if left > 0 else None",
      "the check gets a fresh deadline (two timeouts per proof)"),
    M("lean", "prover/lean/filecheck.py", "    run.check_messages = [m.shifted(preamble.count(\"\\n\")) for m in checked.messages]",
      "    run.check_messages = checked.messages", "the check's lines not shifted past its preamble"),
    M("lean", "prover/lean/lexer.py", '        if text[i + 1 : i + 2] == "\'":  # Mathlib\'s image `f \'\' s`: never a character',
      '        if False:  # Mathlib\'s image `f \'\' s`: never a character', "`f '' s` read as a character"),
    M("lean", "prover/lean/lexer.py", "        if previous.text == \"|>.\":  # `e |>.2.le`: the pipeline's projection\n            return True",
      "        if previous.text == \"|>.\":  # `e |>.2.le`: the pipeline's projection\n            return False",
      "`|>.2` read as a number"),
    M("lean", "prover/lean/lexer.py", "        return Token(\"comment\", text[i:end], i, end)\n\n    def string_literal",
      "        return Token(\"comment\", text[i:end], i, end + 1)\n\n    def string_literal", "a block comment's end one past"),
    M("lean", "prover/lean/process.py", "        os.killpg(process.pid, signal.SIGKILL)", "        process.kill()",
      "only the leader killed, not its process group"),
    M("lean", "prover/lean/modules.py", "        if module not in seen:\n            seen.add(module)\n            todo.extend(_direct_imports(module, roots))",
      "        if module not in seen:\n            seen.add(module)", "the import closure not transitive"),
    M("lean", "prover/lean/protocol.py", '            [str(g) for g in obj.get("goals", [])],', '            [str(g) for g in obj.get("goals", [])][:1],',
      "only the first goal kept"),
    M("lean", "prover/lean/protocol.py", '    if "env" in obj:\n        return CommandResponse', '    if "env" in obj and not messages:\n        return CommandResponse',
      "a command reply with messages not read as one"),
    M("lean", "prover/lean/pool.py", "                if check is not None and not reply.errors:", "                if check is not None:",
      "the REPL checks the statement after an error"),
    M("lean", "prover/lean/pool.py", "            messages = [m.shifted(-lines) for m in reply.messages]",
      "            messages = reply.messages", "the REPL's lines not shifted past the header"),
    M("lean", "prover/lean/pool.py", "                if attempt == 2:", "                if attempt == 3:", "a crash retried without bound"),
    # ------------------------------------------------------------------ report
    M("report", "prover/metrics.py", "    if n - c < k:\n        return 1.0", "    if n - c <= k:\n        return 1.0",
      "pass@k one when k equals the failures"),
    M("report", "prover/metrics.py", "    groups = np.asarray(successes[: (n // k) * k], dtype=bool).reshape(-1, k)",
      "    groups = np.asarray(successes[: (n // k) * k], dtype=bool).reshape(k, -1)", "groups transposed"),
    M("report", "prover/metrics.py", "    ks = [2**i for i in range(int(math.log2(n)) + 1)] if n >= 1 else []",
      "    ks = [2**i for i in range(int(math.log2(n)))] if n >= 1 else []", "the default ks stop one power short"),
    M("report", "prover/metrics.py", '        stderr = float(unbiased.std(ddof=1) / math.sqrt(len(unbiased))) if len(unbiased) > 1 else 0.0',
      '        stderr = float(unbiased.std(ddof=0) / math.sqrt(len(unbiased))) if len(unbiased) > 1 else 0.0',
      "the standard error with the biased deviation"),
    M("report", "prover/metrics.py", '        "wrong": [float(p) for p, ok in zip(confidence, correct) if not ok],',
      '        "wrong": [float(p) for p, ok in zip(confidence, correct) if ok],', "the confidence split's wrong side"),
    M("report", "prover/report/report.py", "    theorems = max(len(results), len(run.get(\"expected\") or []))  # theorems not yet started count, unsolved",
      "    theorems = len(results)  # theorems not yet started count, unsolved", "unstarted theorems left out of the count"),
    M("report", "prover/report/report.py", "        k = min(n, budget)", "        k = budget", "ensemble compared at unequal budgets"),
    # ------------------------------------------------------------------ shared
    M("shared", "prover/flags.py", '            return value.lower() in ("true", "yes", "1")', "            return bool(value)",
      "'false' from YAML read as true"),
    M("shared", "prover/io.py", "        or name.count(\"/\") >= 2", "        or name.count(\"/\") >= 1",
      "every hub name taken for a local path"),
    M("shared", "prover/io.py", '            cut = number == len(lines) and not raw.endswith(b"\\n")',
      "            cut = number == len(lines)", "a complete last record without its newline called torn"),
    M("shared", "prover/prompts.py", '    return "\\n\\n".join(goal.strip("\\n") for goal in goals) if goals else "no goals"',
      '    return "\\n".join(goal.strip("\\n") for goal in goals) if goals else "no goals"',
      "goals joined unlike LeanDojo (the prompt the model was trained on)"),
    M("shared", "prover/prompts.py", '    return "".join("\\n  " + tactic.replace("\\n", "\\n  ") for tactic in tactics)',
      '    return "".join("\\n  " + tactic for tactic in tactics)', "multi-line tactics not indented"),
    M("shared", "prover/io.py", "    if not data or data.endswith(b\"\\n\"):\n        return", "    if not data:\n        return",
      "the torn-line repair cuts a complete last record"),
    M("shared", "prover/config.py", 'at the per-step budget --n_eff", "n_eff"),', 'at the per-step budget --n_eff", "dco_n"),',
      "DCO-step trains at N, not N_eff"),
    M("shared", "prover/config.py", '            raise ValueError(f"epsilon must be in [0, 1), got {self.epsilon}")', "            pass",
      "a confidence threshold of 1 or more accepted"),
]


def project_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    return [p for p in listed if (ROOT / p).is_file()]


def copy_project(work: Path) -> None:
    """The project's files, and ../shared beside the copy as beside the checkout (MiniF2F and the REPL's
    transcripts: without them those tests skip, and a mistake only they catch would seem to survive)."""
    shutil.rmtree(work, ignore_errors=True)
    for path in project_files():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, target)
    shared = work.parent / "shared"
    if (ROOT.parent / "shared").is_dir() and not shared.exists():
        shared.symlink_to(ROOT.parent / "shared")


def check_applies(mistake: Mistake, root: Path = ROOT) -> str:
    text = (root / mistake.path).read_text(encoding="utf-8")
    count = text.count(mistake.old)
    if count != 1:
        raise SystemExit(f"{mistake.path}: the edit for {mistake.what!r} matches {count} places (needs exactly 1)")
    return text


def run_one(mistake: Mistake, work: Path, timeout: int) -> tuple[str, float, str]:
    """(killed | survived | timeout, seconds, the first failing test)."""
    original = check_applies(mistake, work)  # the copy's text: edits to the checkout meanwhile change nothing
    target = work / mistake.path
    target.write_text(original.replace(mistake.old, mistake.new), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(work), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header",
                               *TESTS[mistake.stage].split()], cwd=work, env=env, capture_output=True, text=True,
                              timeout=timeout)  # fmt: skip
        failed = next((line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))), "")
        outcome = "survived" if done.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        outcome, failed = "timeout", ""
    finally:
        target.write_text(original, encoding="utf-8")
    return outcome, time.perf_counter() - started, failed


def identity(mistake: Mistake) -> str:
    """The mistake, its file and its stage's test files: a result is reused only while none changed."""
    digest = hashlib.sha256(json.dumps([mistake.stage, mistake.path, mistake.old, mistake.new]).encode())
    for path in sorted({*TESTS[mistake.stage].split(), mistake.path}):
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", choices=sorted(TESTS), action="append", help="only these stages")
    parser.add_argument("--list", action="store_true", help="print the catalogue and stop")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per mistake (a hang is caught)")
    parser.add_argument("--fresh", action="store_true", help="run every mistake again (default: resume)")
    args = parser.parse_args(argv)
    order = args.stage or list(dict.fromkeys(m.stage for m in MISTAKES))  # stages in the order asked
    chosen = sorted((m for m in MISTAKES if m.stage in order), key=lambda m: order.index(m.stage))
    for mistake in chosen:
        check_applies(mistake)
    if args.list:
        for m in chosen:
            print(f"{m.stage:7} {m.path:32} {m.what}")
        print(f"{len(chosen)} mistakes: {dict(Counter(m.stage for m in chosen))}")
        return 0
    work = WORK / "work"
    copy_project(work)
    # a killed run resumes: each result is kept as it comes, under the mistake's identity and the tests' code
    kept = {}
    if (WORK / "results.jsonl").is_file() and not args.fresh:
        kept = {r["id"]: r for r in map(json.loads, (WORK / "results.jsonl").read_text().splitlines()) if r}
    results = []
    for i, mistake in enumerate(chosen, 1):
        key = identity(mistake)
        if key in kept:
            results.append(kept[key])
            continue
        outcome, seconds, failed = run_one(mistake, work, args.timeout)
        results.append({"id": key, "stage": mistake.stage, "path": mistake.path, "what": mistake.what,
                        "outcome": outcome, "seconds": round(seconds, 1), "caught_by": failed})  # fmt: skip
        with open(WORK / "results.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(results[-1]) + "\n")
        print(f"[{i}/{len(chosen)}] {outcome:8} {seconds:6.1f}s {mistake.stage:7} {mistake.what}", flush=True)
    print("\nstage     mistakes  killed  score")
    for stage in sorted({r["stage"] for r in results}):
        rows = [r for r in results if r["stage"] == stage]
        killed = sum(r["outcome"] != "survived" for r in rows)
        print(f"{stage:9} {len(rows):8} {killed:7} {100 * killed / len(rows):5.0f}%")
    total = sum(r["outcome"] != "survived" for r in results)
    print(f"{'all':9} {len(results):8} {total:7} {100 * total / max(1, len(results)):5.0f}%")
    for r in results:
        if r["outcome"] == "survived":
            print(f"survived: {r['stage']}: {r['path']}: {r['what']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
