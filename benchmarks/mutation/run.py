"""Mutation testing of the modules that decide a verdict or a number (cosmic-ray: `pip install cosmic-ray`).

    python benchmarks/mutation/run.py                      # every module below (hours on 2 cores)
    python benchmarks/mutation/run.py prover/verify/rules.py

Each module is mutated in place, one mutant at a time, and its own tests run (the command beside it): a
mutant the tests do not fail is a survivor. Sessions are kept in runs/mutation/ (a killed run resumes
where it stopped); the score per module and every survivor's diff are printed and written to
runs/mutation/<module>.txt. Survivors that cannot change behaviour (equivalent mutants) are listed, with
why, in tests/mutation/EQUIVALENT.md; the scores measured are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTEST = "python -m pytest -x -q -p no:cacheprovider"
MODULES = {
    "prover/verify/policy.py": "tests/test_verify_rules.py tests/lean/test_verify_prelude.py tests/lean/test_verify_reading.py",
    "prover/verify/rules.py": "tests/test_verify_rules.py",
    "prover/verify/statement.py": "tests/test_verify_rules.py",
    "prover/lean/lexer.py": "tests/test_verify_rules.py tests/lean/test_lexer_fuzz.py",
    "prover/verify/cache.py": "tests/lean/test_pool.py",
    "prover/search/records.py": "tests/test_report.py tests/test_run_store.py",
    "prover/search/store.py": "tests/test_run_store.py tests/test_misuse.py",
    "prover/search/merge.py": "tests/lean/test_search_whole.py",
    "prover/train/units.py": "tests/test_train.py",
    "prover/train/loss.py": "tests/test_loss.py",
    "prover/report/metrics.py": "tests/test_metrics.py",
}


def run(module: str, tests: str) -> tuple[int, int, str]:
    out = ROOT / "runs" / "mutation"
    out.mkdir(parents=True, exist_ok=True)
    stem = module.replace("/", ".").removesuffix(".py")
    config, session = out / f"{stem}.toml", out / f"{stem}.sqlite"
    config.write_text(
        f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = 300.0\nexcluded-modules = []\n'
        f'test-command = "{PYTEST} {tests}"\n\n[cosmic-ray.distributor]\nname = "local"\n'
    )
    if not session.exists():
        subprocess.run(["cosmic-ray", "init", str(config), str(session)], cwd=ROOT, check=True)
    subprocess.run(["cosmic-ray", "exec", str(config), str(session)], cwd=ROOT, check=True)
    report = subprocess.run(["cr-report", str(session)], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    (out / f"{stem}.txt").write_text(report)
    total = int(re.search(r"total jobs: (\d+)", report).group(1))
    survived = int(re.search(r"surviving mutants: (\d+)", report).group(1))
    return total, survived, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    args = parser.parse_args(argv)
    for module in args.modules:
        total, survived, _ = run(module, MODULES[module])
        print(f"{module}: {total - survived} / {total} mutants killed ({100 * (total - survived) / total:.1f}%)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
