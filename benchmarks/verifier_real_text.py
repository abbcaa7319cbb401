"""False rejects on real text: the verifier's lexer and token rules (no Lean) over honest Lean text.

- every statement of the MiniF2F benchmark in ../shared (its header and statement lex, the statement is
  read, its reference axiom is formed);
- the hand-written samples in data/;
- with ``--published DIR``: published model proofs, laid out as DIR/proofs_miniF2F-test/<problem>/<model>/
  <k>.txt with DIR/proof_outcomes_by_problem.json saying which Lean accepted (the layout of the
  script-jpg/non-overlapping-failures data: Goedel-Prover-SFT, DeepSeek-Prover-V2-7B and
  Kimina-Prover-Preview-Distill-7B, 24 attempts at each MiniF2F test problem; not part of this repo:
  fetch it, and pass its data/ folder).

A published text is cut at its first ``` (the end of the proof's code block, as ``prover search
--proof_stop`` cuts a whole proof). Prints, per source, how many texts the rules refuse and why (a refusal of a Lean-accepted proof is a
false reject unless the proof runs code, adds axioms or uses sorry).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from prover.lean.lexer import code_tokens
from prover.verify.policy import Reason, VerifyResult, lex, screen
from prover.verify.statement import parse_statement

ROOT = Path(__file__).resolve().parents[1]


def refusal(text: str) -> str | None:
    """Why the lexer or the rules refuse ``text`` (a proof or a whole file), or None."""
    found = lex(text)
    if isinstance(found, VerifyResult):
        return found.detail
    for reading in found:
        verdict = screen(code_tokens(reading))
        if verdict is not None and verdict.reason is not Reason.EMPTY:
            return f"{verdict.reason.value}: {verdict.detail}"
    return None


def _kind(why: str) -> str:
    """A refusal's class, without the names in it."""
    return re.sub(r"line \d+", "line N", why.split(" (")[0])[:90]


def statements(path: Path) -> dict:
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


def samples() -> dict:
    texts = []
    for line in (ROOT / "data" / "whole_proofs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts.append(row["formal_statement"] + row["proof"])
    for line in (ROOT / "data" / "tactic_pairs.jsonl").read_text(encoding="utf-8").splitlines():
        texts.append(json.loads(line)["tactic"])
    refused = Counter(_kind(why) for why in map(refusal, texts) if why)
    return {"texts": len(texts), "refused": sum(refused.values()), "why": dict(refused)}


def published(folder: Path) -> dict:
    outcomes = json.loads((folder / "proof_outcomes_by_problem.json").read_text())
    report = {}
    for problem_dir in sorted((folder / "proofs_miniF2F-test").iterdir(), key=lambda p: int(p.name)):
        for model_dir in problem_dir.iterdir():
            passed = outcomes.get(problem_dir.name, {}).get(model_dir.name, [])
            entry = report.setdefault(model_dir.name, {"texts": 0, "accepted": 0, "refused_accepted": Counter(),
                                                       "refused_other": Counter()})  # fmt: skip
            for path in model_dir.glob("*.txt"):
                k = int(path.stem) - 1
                accepted = 0 <= k < len(passed) and passed[k] == 1
                entry["texts"] += 1
                entry["accepted"] += accepted
                proof = path.read_text(encoding="utf-8").split("```")[0]  # as search's --proof_stop cuts
                why = refusal(proof)
                if why:
                    entry["refused_accepted" if accepted else "refused_other"][_kind(why)] += 1
    for entry in report.values():
        for key in ("refused_accepted", "refused_other"):
            entry[key] = dict(entry[key].most_common())
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minif2f", default=str(ROOT.parent / "shared" / "data" / "minif2f" / "minif2f.jsonl"))
    parser.add_argument("--published", default="", help="the data/ folder of the published proofs")
    args = parser.parse_args(argv)
    result = {"samples": samples()}
    if Path(args.minif2f).is_file():
        result["minif2f"] = statements(Path(args.minif2f))
    if args.published:
        result["published"] = published(Path(args.published))
    print(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
