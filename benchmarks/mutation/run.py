"""Mutation testing of the modules that decide a verdict or a number (mutmut: `pip install -e ".[mutation]"`).

    python benchmarks/mutation/run.py                      # every module below (about an hour on 2 cores)
    python benchmarks/mutation/run.py prover/verify/rules.py

Each module is mutated (operators, comparisons, constants, arguments, branches) and, for each mutant, the
tests of its own test files that reach the mutated function run; a mutant they do not fail survives.
mutmut works on a copy (runs/mutation/<module>/mutants/), never on the working tree, and keeps its
results there: a killed run resumes, and a rerun tests what changed and the last survivors again. The score per
module and every survivor's diff are printed and written to runs/mutation/<module>.txt. Survivors that
cannot change behaviour (equivalent mutants) are listed, with why, in tests/mutation/EQUIVALENT.md; the
scores measured are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The module's own tests: the fast pure ones first, Lean's where only real Lean reaches the code.
MODULES = {
    "prover/verify/policy.py": "tests/test_verify_rules.py tests/test_verdict_cache.py tests/lean/test_verify_prelude.py "
    "tests/lean/test_verify_reading.py tests/lean/test_verify_cli.py tests/lean/test_interactive.py tests/lean/test_check_file.py "
    "tests/lean/test_axioms_lean.py",
    "prover/verify/rules.py": "tests/test_verify_rules.py",
    "prover/verify/statement.py": "tests/test_verify_rules.py tests/lean/test_verify_reading.py",
    # the fuzz's other tests check the fuzz's own power (a lexer without a token class), not the lexer
    "prover/lean/lexer.py": "tests/test_verify_rules.py tests/lean/test_lexer_fuzz.py::test_the_lexer_agrees_with_lean_on_what_is_code",
    "prover/verify/cache.py": "tests/test_verdict_cache.py",
    "prover/search/records.py": "tests/test_run_records.py",
    "prover/search/store.py": "tests/test_run_store.py tests/test_misuse.py",
    "prover/search/merge.py": "tests/test_merge.py",
    "prover/train/units.py": "tests/test_units.py",
    "prover/train/loss.py": "tests/test_loss.py",
    "prover/metrics.py": "tests/test_metrics.py",
}
COPIED = ("prover", "tests", "data", "benchmarks", "scripts", "configs", "lean_project", "README.md")
KILLED = {"killed", "timeout", "segfault"}  # a mutant that hangs or crashes the tests is caught
EQUIVALENT = ROOT / "tests" / "mutation" / "EQUIVALENT.md"
FUZZ_CACHE = ROOT / "runs" / "mutation" / "lexer_fuzz.json"  # Lean's messages on the fuzz texts, asked once


def equivalent() -> set[str]:
    """The mutants read and found equivalent: their names in EQUIVALENT.md (each with why, there)."""
    return set(re.findall(r"`(prover\.\S+?__mutmut_\d+)`", EQUIVALENT.read_text()))


def work_path(module: str) -> Path:
    return ROOT / "runs" / "mutation" / module.replace("/", ".").removesuffix(".py")


def workdir(module: str, tests: str) -> Path:
    """A copy of the project whose pyproject.toml tells mutmut what to mutate and which tests to run."""
    work = work_path(module)
    work.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", ".lake"))
        else:
            shutil.copy2(source, work / name)
    shared = work / "shared"  # the tests read MiniF2F and the REPL's transcripts beside their checkout (mutants/)
    if (ROOT.parent / "shared").is_dir() and not shared.exists():
        shared.symlink_to(ROOT.parent / "shared")
    if (work / "mutants" / "prover").exists():  # mutmut copies the sources once: keep the unmutated ones current
        for source in (ROOT / "prover").rglob("*.py"):
            if (relative := source.relative_to(ROOT)).as_posix() != module:
                shutil.copy2(source, work / "mutants" / relative)
    selection = ", ".join(f'"{t}"' for t in tests.split())
    also = ", ".join(f'"{name}"' for name in COPIED if name != "prover")  # the tests as they are now
    (work / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text()
        + f'\n[tool.mutmut]\nsource_paths = ["prover/"]\nonly_mutate = ["{module}"]\n'
        f"pytest_add_cli_args_test_selection = [{selection}]\n"
        f'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\nalso_copy = [{also}]\n'
        # torch is not fork-safe once its thread pool runs: fork workers from a clean server
        f'process_isolation = "forkserver"\n'
    )
    return work


def mutmut(work: Path, *args: str, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mutmut", *args], cwd=work, check=True, text=True,
        stdout=subprocess.PIPE if capture else None, env={**os.environ, "PROVER_LEXER_FUZZ_CACHE": str(FUZZ_CACHE)},
    )  # fmt: skip
    return done.stdout or ""


def statuses(work: Path) -> dict[str, str]:
    listing = mutmut(work, "results", "--all", "true", capture=True)
    return dict(re.findall(r"^\s*(\S+__mutmut_\d+): (.+?)\s*$", listing, re.M))


def score(module: str, tests: str, run: bool = True, children: int = 2) -> tuple[Counter, str]:
    work = workdir(module, tests) if run else work_path(module)
    listed = equivalent()
    if run:
        (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)  # which tests reach what: ask again
        known = statuses(work) if (work / "mutants").exists() else {}
        mutmut(work, "run", "--max-children", str(children))  # the mutants not yet tested
        again = [n for n in statuses(work) if known.get(n, "killed") not in KILLED | {"not checked"} and n not in listed]
        if again:  # earlier runs' survivors that still exist, against the tests as they are now
            mutmut(work, "run", "--max-children", str(children), *again)
    statuses_now = statuses(work)
    counts = Counter("equivalent" if s not in KILLED and n in listed else s for n, s in statuses_now.items())
    survivors = [name for name, status in sorted(statuses_now.items()) if status not in KILLED and name not in listed]
    diffs = [mutmut(work, "show", name, capture=True) for name in survivors]
    report = f"{module}: {summary(counts)}\n\n" + "\n".join(diffs)
    (work.parent / f"{work.name}.txt").write_text(report)
    return counts, report


def summary(counts: Counter) -> str:
    """The score over the mutants that can be killed (all but the listed equivalent ones), and the raw one."""
    total, killed, same = sum(counts.values()), sum(counts[s] for s in KILLED), counts["equivalent"]
    rest = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()) if status not in KILLED | {"equivalent"})
    return (f"{killed} / {total - same} killable mutants killed ({100 * killed / max(total - same, 1):.1f}%; "
            f"{same} equivalent, listed; raw {killed} / {total}); not killed: {rest or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES), choices=list(MODULES), metavar="MODULE")
    parser.add_argument("--report", action="store_true", help="score the last run again (after EQUIVALENT.md changed)")
    parser.add_argument("--children", type=int, default=2, help="mutants tested at once")
    args = parser.parse_args(argv)
    lines = []
    for module in args.modules:
        try:
            counts, _ = score(module, MODULES[module], run=not args.report, children=args.children)
        except subprocess.CalledProcessError as error:  # mutmut says why above; go on with the next module
            lines.append(f"{module}: mutmut failed ({error.returncode})")
        else:
            lines.append(f"{module}: {summary(counts)}")
        print(lines[-1], flush=True)
    if len(lines) > 1:
        print("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
