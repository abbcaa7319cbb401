"""Wrong refusals on real text: what the verifier decides before Lean runs (lexer, header copy and imports,
token rules: ``policy.precheck``), over published Lean-checked proofs and human-written Lean files.

    python benchmarks/verifier_real_text.py \
        --published DIR/data --order DeepSeek-Prover-V1.5/datasets/minif2f.jsonl \
        --human compfiles=DIR --human formal-conjectures=DIR --human batteries=DIR --human repl-tests=DIR \
        --sources MATHLIB_SOURCES [--json out.json]

Corpora (fetched, never committed; docs/verification.md says which and how):
- ``--published``: model proofs of the MiniF2F test problems, laid out as DIR/proofs_miniF2F-test/<problem>/
  <model>/<k>.txt with DIR/proof_outcomes_by_problem.json saying which ones Lean accepted (the
  script-jpg/non-overlapping-failures data: Goedel-Prover-SFT, DeepSeek-Prover-V2-7B and
  Kimina-Prover-Preview-Distill-7B, 24 attempts each). ``--order``: a MiniF2F JSONL in the order the
  problems are numbered there. Each proof is checked twice: as written, a proof body after its own
  prompt's header and statement; and as the whole file the model meant (the standard prover header,
  `import Aesop` and `maxHeartbeats 400000` included, the statement, the proof) against
  ../shared/data/minif2f's header. A refusal of a proof Lean accepted is a wrong refusal.
- ``--human NAME=DIR``: every ``.lean`` file under DIR, read as ``prover check`` reads a person's file:
  the lexer (each must read: these files compile) and the rules after the module header (by class: a
  library file may well define syntax or run meta code, which a proof may not).
- ``--sources``: where module sources are (a Lean project, or a copy of the parts of one), for the
  closure of the header's imports; without it only the header's own imports may be repeated.

Prints a table per corpus: texts, refused, wrong refusals, texts per second, and each refusal's class.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

from prover.lean.lexer import code_tokens
from prover.lean.modules import import_closure, module_header, source_roots
from prover.verify.policy import Reason, Reference, VerifyResult, lex, precheck, screen
from prover.verify.statement import parse_statement

ROOT = Path(__file__).resolve().parents[1]
MINIF2F = ROOT.parent / "shared" / "data" / "minif2f" / "minif2f.jsonl"
# the header of HaimingW/miniF2F-lean4, which the published proofs were sampled with (most provers use it)
PROVER_HEADER = "import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 400000\n\nopen BigOperators Real Nat Topology Rat\n\n"
# rule classes that stand for code run at elaboration time or trust added: a library file has them, a
# proof must not (a refusal of one of these in a human file is the policy, not a misreading)
RUNS_CODE = re.compile(
    r"^(forbidden: )?(axiom declaration|unsafe|opaque|import|prelude|code run at elaboration time|new syntax|"
    r"macro|notation|elaborator|simproc|meta program|unification hint|sudo|options past|kernel|#\S+ command|"
    r"set_option|attribute|implemented_by|extern|.*\(the runtime or metaprogramming API|.*\(unsafe code\)|sorry|"
    r"admit|eval%)"
)


def _kind(why: str) -> str:
    """A refusal's class, without the names in it."""
    why = re.sub(r"line \d+", "line N", why)
    why = re.sub(r"^(forbidden: )?\S+ \((the runtime|unsafe code)", r"\1NAME (\2", why)
    why = re.sub(r"^(forbidden: )?(import|set_option|attribute) \S+", r"\1\2 NAME", why)
    return why.split("; ")[0][:100]


def _brought(header: str, roots: tuple[str, ...]) -> frozenset[str]:
    from prover.lean.lexer import tokenize

    _, imported = module_header(code_tokens(tokenize(header)))
    return import_closure((*imported, "Init"), roots)


def published(folder: Path, order: Path, roots: tuple[str, ...]) -> dict:
    """Both ways of checking each published proof; per model."""
    rows = [json.loads(line) for line in order.read_text(encoding="utf-8").splitlines() if line.strip()]
    tests = [r for r in rows if r.get("split") == "test"]
    shared = {r["name"]: r for r in map(json.loads, MINIF2F.read_text(encoding="utf-8").splitlines())} if MINIF2F.is_file() else {}
    outcomes = json.loads((folder / "proof_outcomes_by_problem.json").read_text())
    report: dict = {}
    for problem_dir in sorted((folder / "proofs_miniF2F-test").iterdir(), key=lambda p: int(p.name)):
        row = tests[int(problem_dir.name)]
        own = Reference(row["name"], row["formal_statement"], PROVER_HEADER)
        target = shared.get(row["name"])
        theirs = Reference(row["name"], target["formal_statement"], target["header"]) if target else None
        for model_dir in sorted(problem_dir.iterdir()):
            passed = outcomes.get(problem_dir.name, {}).get(model_dir.name, [])
            for path in model_dir.glob("*.txt"):
                k = int(path.stem) - 1
                accepted = 0 <= k < len(passed) and passed[k] == 1
                body = path.read_text(encoding="utf-8").split("```")[0]  # as search's --proof_stop cuts
                whole = PROVER_HEADER + row["formal_statement"] + "\n  " + body
                checks = [(f"{model_dir.name} (own header)", own, body, frozenset())]
                if theirs is not None:
                    checks.append((f"{model_dir.name} (shared header)", theirs, whole, _brought(theirs.header, roots)))
                for corpus, reference, text, brought in checks:
                    entry = report.setdefault(corpus, _entry())
                    started = time.perf_counter()
                    verdict = precheck(reference, text, brought)
                    entry["seconds"] += time.perf_counter() - started
                    _count(entry, verdict if isinstance(verdict, VerifyResult) else None, accepted)
    return report


def human(folder: Path) -> dict:
    """Every ``.lean`` file under ``folder``: the lexer must read it; the rules' refusals by class."""
    entry = _entry()
    for path in sorted(folder.rglob("*.lean")):
        if ".lake" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        started = time.perf_counter()
        found = lex(text)
        verdict = found if isinstance(found, VerifyResult) else None
        for reading in [] if verdict else found:
            code = code_tokens(reading)
            verdict = screen(code[module_header(code)[0] :])
            if verdict is not None:
                break
        entry["seconds"] += time.perf_counter() - started
        if verdict is not None and verdict.reason is Reason.EMPTY:
            verdict = None
        wrong = verdict is not None and not RUNS_CODE.match(_why(verdict))
        if wrong and "too many readings" in verdict.detail and _code_in_first_reading(text):
            wrong = False  # meta code whose strings the imports decide: the rules refuse it in any reading
        _count(entry, verdict, accepted=wrong, path=path)
    return entry


def _code_in_first_reading(text: str) -> bool:
    """Whether the rules refuse the first reading of ``text`` for code it runs (every reading is refused
    then, however many there are: the first is enough to show the file can never be a proof)."""
    from prover.lean.lexer import _Lexer

    code = code_tokens(_Lexer(text, {}, [10**12]).tokens(0, stop_at_brace=False)[0])
    verdict = screen(code[module_header(code)[0] :])
    return verdict is not None and bool(RUNS_CODE.match(_why(verdict)))


def _why(verdict: VerifyResult) -> str:
    return f"{verdict.reason.value}: {verdict.detail}"


def _entry() -> dict:
    return {"texts": 0, "accepted_by_lean": 0, "refused": 0, "wrong": 0, "seconds": 0.0, "classes": Counter(), "examples": []}


def _count(entry: dict, verdict: VerifyResult | None, accepted: bool, path: Path | None = None) -> None:
    """``accepted``: Lean accepts the text (a published proof), or the refusal is no code the policy keeps
    out (a human file): refusing it is wrong."""
    entry["texts"] += 1
    entry["accepted_by_lean"] += accepted if path is None else 0
    if verdict is None or verdict.reason in (Reason.EMPTY,):
        return
    if path is None and verdict.reason is Reason.ERROR and not accepted:
        return  # an output that declares another theorem and that Lean rejects too: no refusal of ours
    entry["refused"] += 1
    kind = _kind(_why(verdict))
    entry["classes"][kind] += 1
    if accepted:
        entry["wrong"] += 1
        if len(entry["examples"]) < 5:
            entry["examples"].append(f"{path or ''} {kind}".strip())


def table(results: dict) -> str:
    lines = ["| corpus | texts | refused | wrong refusals | texts/s | refusal classes (count) |", "|---|---:|---:|---:|---:|---|"]
    for name, e in results.items():
        rate = e["texts"] / e["seconds"] if e["seconds"] else float("inf")
        classes = "; ".join(f"{k} ({v})" for k, v in Counter(e["classes"]).most_common(4)) or "-"
        lines.append(f"| {name} | {e['texts']} | {e['refused']} | {e['wrong']} | {rate:,.0f} | {classes} |")
    return "\n".join(lines)


def minif2f_statements(path: Path) -> dict:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    problems = Counter()
    for row in rows:
        for field in ("header", "formal_statement"):
            found = lex(row.get(field, ""))
            if isinstance(found, VerifyResult):
                problems[f"{field} does not lex: {_kind(found.detail)}"] += 1
        try:
            parse_statement(row["formal_statement"]).axiom("_prover_reference")
        except ValueError as error:
            problems[f"statement not read: {_kind(str(error))}"] += 1
    return {"statements": len(rows), "problems": dict(problems)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--published", default="", help="the data/ folder of the published proofs")
    parser.add_argument("--order", default="", help="a MiniF2F JSONL in the published proofs' problem order")
    parser.add_argument("--human", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--sources", action="append", default=[], help="module sources (repeatable)")
    parser.add_argument("--json", default="", help="also write the results here")
    args = parser.parse_args(argv)
    roots = source_roots(None, args.sources)
    results: dict = {}
    if args.published:
        results.update(published(Path(args.published), Path(args.order), roots))
    for spec in args.human:
        name, _, folder = spec.partition("=")
        results[name] = human(Path(folder))
    print(table(results))
    for name, e in results.items():
        for example in e["examples"]:
            print(f"  wrong refusal ({name}): {example}")
    if MINIF2F.is_file():
        print("minif2f statements:", minif2f_statements(MINIF2F))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=dict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
