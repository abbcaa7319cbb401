"""The bundled Lean-checked benchmark: arithmetic theorems in a `prelude` file, so that the embedded Lean
decides every success (no Mathlib, no network). `python data/lean_arith/make.py` writes the files beside it
(seeded: the same files every time).

Each theorem asks for a witness: `Ex (fun x => MyEq (add x B) C)` (find x with x + B = C; 0 <= x, B < 31)
or `Ex (fun x => MyEq (mul x B) C)` (x * B = C, 1 <= B < 31). The proof gives it in digits,
`fun _ k => k (N D3 D0) MyEq.refl`, and the kernel checks it by computing with unary numbers. `Ex` is
Church-encoded and `add`/`mul` recurse on the unknown, so Lean cannot find the witness itself (`k _ MyEq.refl`
is refused) and no proof text proves two theorems with different answers. As in the paper's setting (and
benchmarks/overconfidence), the test theorems mix two kinds: subtractions, a pattern a tiny model learns
to generalize, and divisions, which it cannot learn at this scale and can only memorize. Train: 60% of the
subtractions and 35% of the divisions; valid and test: 200 each of the rest.

Files: header.lean (the prelude), train.jsonl (whole proofs: formal_statement, proof; the header is
header.lean),
benchmark.jsonl (the valid and test theorems, MiniF2F schema with `split`), answers.jsonl (every
theorem's kind and witness, for the tests and for reading results; search never reads it).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 0
RANGE = 31
TRAIN_SHARE = {"sub": 0.60, "div": 0.35}
HELD_OUT = 200  # valid and test, each

HEADER = """prelude
set_option maxRecDepth 100000
universe u

inductive MyNat where
  | zero : MyNat
  | succ : MyNat → MyNat

inductive MyEq {α : Sort u} (a : α) : α → Prop where
  | refl : MyEq a a

/-- There is a witness `w` with `p w` (Church-encoded: a prelude has no `Exists`). -/
def Ex (p : MyNat → Prop) : Prop := ∀ (C : Prop), (∀ w, p w → C) → C

noncomputable def add (a b : MyNat) : MyNat := MyNat.rec b (fun _ ih => MyNat.succ ih) a
noncomputable def mul (a b : MyNat) : MyNat := MyNat.rec MyNat.zero (fun _ ih => add b ih) a

noncomputable def D0 : MyNat := MyNat.zero
noncomputable def D1 : MyNat := MyNat.succ D0
noncomputable def D2 : MyNat := MyNat.succ D1
noncomputable def D3 : MyNat := MyNat.succ D2
noncomputable def D4 : MyNat := MyNat.succ D3
noncomputable def D5 : MyNat := MyNat.succ D4
noncomputable def D6 : MyNat := MyNat.succ D5
noncomputable def D7 : MyNat := MyNat.succ D6
noncomputable def D8 : MyNat := MyNat.succ D7
noncomputable def D9 : MyNat := MyNat.succ D8
noncomputable def ten : MyNat := MyNat.succ D9
/-- Two and three decimal digits. -/
noncomputable def N (t u : MyNat) : MyNat := add (mul t ten) u
noncomputable def H (h t u : MyNat) : MyNat := add (mul h (mul ten ten)) (N t u)

"""


@dataclass(frozen=True)
class Problem:
    name: str
    kind: str  # sub | div
    b: int
    c: int
    answer: int

    @property
    def statement(self) -> str:
        op = "add" if self.kind == "sub" else "mul"
        return f"theorem {self.name} : Ex (fun x => MyEq ({op} x {numeral(self.b)}) {numeral(self.c)}) :="

    def proof(self, witness: int | None = None) -> str:
        return f" fun _ k => k {numeral(self.answer if witness is None else witness)} MyEq.refl"


def numeral(n: int) -> str:
    """``n`` in the header's digits: ``D7``, ``(N D4 D2)``, ``(H D8 D7 D0)``."""
    digits = [f"D{d}" for d in str(n)]
    if len(digits) == 1:
        return digits[0]
    return f"({'N' if len(digits) == 2 else 'H'} {' '.join(digits)})"


def problems() -> list[Problem]:
    """Every problem, named in a shuffled order (a name says nothing of its kind or answer)."""
    pairs = [("sub", a, b) for a in range(RANGE) for b in range(RANGE)]
    pairs += [("div", a, b) for a in range(RANGE) for b in range(1, RANGE)]
    random.Random(SEED).shuffle(pairs)
    return [
        Problem(f"p{i:04d}", kind, b, a + b if kind == "sub" else a * b, a) for i, (kind, a, b) in enumerate(pairs)
    ]


def splits(all_problems: list[Problem]) -> dict[str, list[Problem]]:
    rng = random.Random(SEED + 1)
    out: dict[str, list[Problem]] = {"train": [], "held": []}
    for kind, share in TRAIN_SHARE.items():
        group = [p for p in all_problems if p.kind == kind]
        rng.shuffle(group)
        cut = round(share * len(group))
        out["train"] += group[:cut]
        out["held"] += group[cut:]
    rng.shuffle(out["held"])
    return {
        "train": sorted(out["train"], key=lambda p: p.name),
        "valid": sorted(out["held"][:HELD_OUT], key=lambda p: p.name),
        "test": sorted(out["held"][HELD_OUT : 2 * HELD_OUT], key=lambda p: p.name),
    }


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write(folder: Path = HERE) -> dict[str, int]:
    parts = splits(problems())
    (folder / "header.lean").write_text(HEADER, encoding="utf-8")
    train = [{"name": p.name, "formal_statement": p.statement, "proof": p.proof()} for p in parts["train"]]
    (folder / "train.jsonl").write_text(_jsonl(train), encoding="utf-8")
    bench = [{"name": p.name, "split": split, "header": HEADER, "informal_prefix": "", "formal_statement": p.statement}
             for split in ("valid", "test") for p in parts[split]]  # fmt: skip
    (folder / "benchmark.jsonl").write_text(_jsonl(bench), encoding="utf-8")
    answers = [{"name": p.name, "split": split, "kind": p.kind, "answer": p.answer}
               for split, group in parts.items() for p in group]  # fmt: skip
    (folder / "answers.jsonl").write_text(_jsonl(sorted(answers, key=lambda r: r["name"])), encoding="utf-8")
    return {split: len(group) for split, group in parts.items()}


if __name__ == "__main__":
    print(write())
