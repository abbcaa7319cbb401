"""Seconds to read adversarial outputs (every reading the verifier's lexer takes), up to 64 KB each.

    python benchmarks/lexer_adversarial.py [--sizes 1000 8000 64000] [--repeat 3]

Each generator writes text that once made reading blow up or crash: interpolations nested deep (with
escapes and with closed braces), runs of primes after symbols, runs of `{` and `"`, deep brackets, long
and nested comments, and ambiguous strings one after the other; beside them an honest proof repeated to
the same size. Prints seconds per output (median of --repeat runs), how it ended (readings, or the refusal),
and the max over all; the goal is at most 0.1 s at 64 KB on this machine, and no exception but a refusal.
"""

from __future__ import annotations

import argparse
import statistics
import time

from prover.lean.lexer import LexError, readings

HONEST = (
    "theorem foo (a b : ℕ) (h₀ : 0 < a) (h₁ : a ≤ b ∧ b ≤ 3) : a + b = b + a := by\n"
    "  nlinarith [sq_nonneg (a - b), h₀.le, h₁.1.trans h₁.2, mul_pos h₀ h₀]\n"
    '  -- a comment with "quotes" and {braces}\n  simp [Nat.add_comm] at *\n'
)


def fill(unit: str, size: int) -> str:
    """``unit`` repeated to at most ``size`` bytes of UTF-8."""
    text = unit * (size // max(1, len(unit.encode())) + 1)
    while len(text.encode()) > size:
        text = text[: len(text) - max(1, (len(text.encode()) - size) // 4)]
    return text


GENERATORS = {
    "honest proof": lambda n: fill(HONEST, n),
    'nested s!"{': lambda n: fill('s!"{', n // 2) + fill('}"', n // 2),
    'nested "\\{{': lambda n: fill('s!"\\{{', n),
    'nested "{ never closed': lambda n: fill('s!"{', n),
    'ambiguous strings x s!"{" s!"}"': lambda n: fill('x s!"{"\n#print s!"}"\n', n),
    '#print "{" lines': lambda n: fill('#print "{"\n', n),
    "primes after symbols": lambda n: fill("f ⁻¹' '", n),
    "primes and chars": lambda n: fill("∑' 'a' ", n),
    "runs of {": lambda n: fill("{", n),
    'runs of "': lambda n: fill('"', n),
    "deep brackets": lambda n: fill("(", n // 2) + fill(")", n // 2),
    "long comment": lambda n: "/-" + fill("x", n - 4) + "-/",
    "nested comments": lambda n: fill("/-", n // 2) + fill("-/", n // 2),
    "unterminated comments": lambda n: fill("/- ", n),
    "projections": lambda n: fill("h.1.2.le.1 ", n),
}


def measure(text: str, repeat: int) -> tuple[float, str]:
    """Median seconds of ``repeat`` readings (a busy machine's spikes are its load, not the lexer's cost)."""
    times, outcome = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            outcome = f"{len(readings(text))} reading(s)"
        except LexError as error:
            outcome = f"refused: {str(error)[:70]}"
        times.append(time.perf_counter() - started)
    return statistics.median(times), outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 8000, 64000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    worst = 0.0
    print(f"{'generator':34} {'bytes':>7} {'seconds':>8}  outcome")
    for name, make in GENERATORS.items():
        for size in args.sizes:
            text = make(size)
            seconds, outcome = measure(text, args.repeat)
            worst = max(worst, seconds) if len(text.encode()) <= 65536 else worst
            print(f"{name:34} {len(text.encode()):>7} {seconds:>8.3f}  {outcome}")
    print(f"max seconds per output (up to 64 KB): {worst:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
