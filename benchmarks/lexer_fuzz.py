"""Differential fuzzing of the verifier's lexer against real Lean: what is code?

Random `prelude` files mix every token class Lean has (command and term tokens from Lean's own parser
tables, asked of the Lean under test, glued to noise or to lines of real Lean text with `--seed_corpus`; numbers in every form, identifiers with `!`, `?`,
`'`, subscripts and `«»` parts, character literals next to primes after identifiers and symbols, strings
with escapes and gaps after words that may or may not be interpolation prefixes, raw strings, nested,
doc and module-doc comments, name literals, `#` commands, tokens glued with no space, every Unicode space
and line break) around named markers: `#print "mK"` and `theorem mK : MyNat := ...`, which Lean reports
(an information `mK`, an error naming `mK`) exactly when it reads them as code. The lexer's verdict is the
set of markers it reads as code in each of its readings (`prover.lean.lexer.readings`). Per text:

- `unsafe`: Lean ran a marker that no reading sees as code (code the rules would not see);
- `disagree`: Lean parsed the text without error, but no reading sees exactly Lean's markers;
- `agree`; `refused` (the lexer refuses the text: fail closed); `parse_error` (Lean reports a parse error:
  such a text is rejected whatever it holds, and what Lean's error recovery then runs, from wherever it
  resumes, is not modelled: the checker runs Lean in its own process group under limits).

`python benchmarks/lexer_fuzz.py --count 5000` runs a long fuzz on the embedded Lean (`--lean` for another)
and prints the counts; the tests run a fixed seed range and remove each token class from the lexer in turn.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from prover.lean import embedded
from prover.lean.filecheck import LeanCommand, run_lean_file
from prover.lean.lexer import LexError, readings, walk
from prover.lean.messages import Message

HEADER = "prelude\ninductive MyNat where\n  | zero : MyNat\n\n"
SPACES = ["\u00a0", "\u2028", "\u2029", "\u0085", "\x0c", "\t", "\r", "\u3000", "\u200b", "\ufeff", "\x0b"]
ID_CHARS = list("abxyzABZ_019!?'") + ["α", "β", "λ", "Π", "Σ", "ℕ", "é", "ÿ", "×", "ā", "ſ", "₀", "ₐ", "ᵢ", "¹", "𝒜", "ⱼ"]
NOISE = ["/-", "-/", "--", '"', "'", "«", "»", "\\", 'r#"', '"#', "`", "/--", "x", " ", "\n", "é", "{", "}", "-",
         "/", "#", "#print", "theorem", "\\n", '\\"', "\\{", "s!", "''"]  # fmt: skip
PARSE_ERROR = re.compile(
    r"unexpected|expected|unterminated|missing end|invalid escape|tabs are not allowed|isolated carriage"
    r"|missing exponent|invalid|additional newline|string gap"
)
CLASSES = ("number", "identifier", "char", "string", "raw", "line_comment", "block_comment", "doc",
           "guillemet", "name_literal", "hash", "space", "command")  # fmt: skip
_DRAWN = CLASSES[:-1]  # what a segment draws; a text's command segment comes from a stream of its own
# Lean's own token tables (``lean_tokens``), set by the harness before generating: commands and the
# other tokens of its term parsers; the generator falls back to a few commands when they are not set
COMMAND_TOKENS: list[str] = []  # (but `#exit`, after which Lean reads nothing: no marker could agree)
TERM_TOKENS: list[str] = []
FRAGMENTS: list[str] = []
# how a command of Lean's table stands as code in a prelude file (the others are glued to noise)
COMMAND_TEMPLATES = {
    "open": "open MyNat in", "section": "section S{i}\nend S{i}", "namespace": "namespace N{i}\nend N{i}",
    "universe": "universe u{i}", "variable": "variable (v{i} : MyNat)", "example": "example : MyNat := MyNat.zero",
    "abbrev": "abbrev a{i} := MyNat.zero", "def": "def e{i} := MyNat.zero", "#check": "#check MyNat.zero",
    "#print": "#print MyNat", "set_option": "set_option pp.all true in", "instance": "instance i{i} : Sort 1 := Sort 0",
    "inductive": "inductive I{i} where\n  | c", "structure": "structure T{i} where", "class": "class C{i} where",
    "attribute": "attribute [local reducible] MyNat", "mutual": "mutual\nend", "export": "export MyNat (zero)",
    "#check_failure": "#check_failure MyNat.zero", "#reduce": "#reduce MyNat.zero",
}  # lines of real Lean text (``--seed_corpus``), mixed into the texts when given


@dataclass
class Case:
    seed: int
    text: str
    markers: int
    classes: set[str] = field(default_factory=set)


class _Gen:
    def __init__(self, seed: int):
        self.rng, self.k, self.classes = random.Random(seed), 0, set()

    def marker(self) -> str:
        self.k += 1
        if self.rng.random() < 0.5:
            return f'#print "m{self.k}"'
        return f"theorem m{self.k} : MyNat := MyNat.zero"

    def maybe_marker(self) -> str:
        return self.marker() if self.rng.random() < 0.6 else ""

    def noise(self, without: str = "") -> str:
        pieces = (self.rng.choice(NOISE) for _ in range(self.rng.randint(0, 4)))
        text = "".join(p for p in pieces if not (without and without in p))
        if self.rng.random() < 0.05:
            text += self.rng.choice(SPACES)
        return text

    def glue(self) -> str:
        if self.rng.random() < 0.03:
            return self.rng.choice(SPACES)
        return self.rng.choice(["", "", " ", "\n"])

    def number(self) -> str:
        r, digits = self.rng, lambda pool, n: "".join(self.rng.choice(pool) for _ in range(n))
        kind = r.choice(["dec", "sep", "prefix", "sci", "dot"])
        if kind == "dec":
            return digits("0123456789", r.randint(1, 4))
        if kind == "sep":
            return digits("0123456789_", r.randint(1, 3)).lstrip("_") or "1" + digits("0123456789_", r.randint(1, 4))
        if kind == "prefix":
            prefix = r.choice(["0x", "0X", "0b", "0B", "0o", "0O"])
            return prefix + digits("0123456789abcdefABCDEF_gxo", r.randint(0, 4))
        if kind == "sci":
            return digits("0123456789", r.randint(1, 2)) + r.choice(["e", "E"]) + r.choice(["", "+", "-"]) + digits("0123456789_", r.randint(0, 3))
        return digits("0123456789", r.randint(1, 2)) + "." + digits("0123456789_", r.randint(0, 3))

    def identifier(self) -> str:
        r = self.rng
        parts = []
        for _ in range(r.randint(1, 2)):
            if r.random() < 0.25:
                parts.append("«" + self.noise("»") + "»")
            else:
                parts.append(r.choice("abxyz_αℕé") + "".join(r.choice(ID_CHARS) for _ in range(r.randint(0, 4))))
        return ".".join(parts)

    def segment(self, i: int, kind: str = "") -> str:
        r = self.rng
        kind = kind or r.choice(_DRAWN)
        self.classes.add(kind)
        if kind == "number":
            pre = r.choice([f"abbrev L{i} := Sort ", f"def d{i} := ", f"def d{i} := x."])
            return f"{pre}{self.number()}{self.glue()}{self.marker()}\n"
        if kind == "identifier":
            return f"def d{i} := {self.identifier()}{self.glue()}{self.marker()}\n"
        if kind == "char":
            body = r.choice(['"', "\\\\", "-", "{", "}", "/", "«", "»", " ", "a", "λ", "`", "#", "\\n", "\\t",
                             "\\x41", "\\u0041", "\\'", '\\"', "r"])  # fmt: skip
            if r.random() < 0.2:  # what Lean refuses, or reads otherwise: glued primes, symbols before
                pre, post = r.choice(["x", "x'", "∑", "×", "⁻¹", "'", "x.", "1"]), r.choice(["", "'", "x", "''"])
                body = r.choice([body, "ab", "", "\\q"])
            else:
                pre, post = r.choice([("", ""), ("(", ")"), ("f ", ""), ("(f ", ")"), ("(", " )")])
            return f"def c{i} : MyNat := {pre}'{body}'{post}{self.glue()}{self.maybe_marker()}\n"
        if kind == "string":
            pre = r.choice(["", "s! ", "s!", "m! ", "x ", "f! "])
            inner = f"{self.noise()}{self.maybe_marker()}{self.noise()}"
            return f'def s{i} : MyNat := {pre}"{inner}"{self.glue()}{self.maybe_marker()}\n'
        if kind == "raw":
            if r.random() < 0.3:  # quotes inside that a plain string would end at
                self.k += 1
                return f'def r{i} : MyNat := r#"a" #print "m{self.k}" ""#{self.glue()}{self.maybe_marker()}\n'
            hashes = "#" * r.randint(0, 2)
            return f'def r{i} : MyNat := r{hashes}"{self.noise()}{self.maybe_marker()}"{hashes}{self.glue()}{self.maybe_marker()}\n'
        if kind == "line_comment":
            return f"{self.glue()}-- {self.noise(chr(10))}{self.maybe_marker()}\n"
        if kind == "block_comment":
            return f"/-{self.noise()}{self.maybe_marker()}{self.noise()}-/{self.glue()}{self.maybe_marker()}\n"
        if kind == "doc":
            opener = r.choice(["/--", "/-!"])
            follow = f"def q{i} : MyNat := MyNat.zero" if opener == "/--" else self.maybe_marker()
            return f"{opener}{self.noise()}{self.maybe_marker()}-/\n{follow}\n"
        if kind == "guillemet":
            return f"def «{self.noise('»')}{self.maybe_marker()}» : MyNat := MyNat.zero{self.glue()}{self.maybe_marker()}\n"
        if kind == "name_literal":
            if r.random() < 0.4:  # a name literal of a keyword is a name, not the keyword
                self.k += 1
                return f"def n{i} := (`theorem m{self.k}, MyNat.zero)\n{self.maybe_marker()}\n"
            tick = r.choice(["`", "``"])
            return f"def n{i} := {tick}{self.identifier()}{self.glue()}{self.marker()}\n"
        if kind == "command":  # a command token of Lean's own table, where it is code or where it is not
            tokens = [t for t in COMMAND_TOKENS + TERM_TOKENS if t != "#exit"] or ["theorem", "#print", "open", "end"]
            token = r.choice(tokens)
            fragment = r.choice(FRAGMENTS) if FRAGMENTS and r.random() < 0.3 else self.noise("\n")
            where = r.choice(["line", "block", "guillemet", "code", "code"])
            if where == "code" and token not in COMMAND_TEMPLATES:  # glued to noise: a parse error, no text
                where = "block"  # to compare; as text Lean reads past, it still tests what is code
            if where == "line":
                text = f"--{self.glue().strip(chr(10))}{token}{fragment}"
            elif where == "block":
                text = f"/-{self.glue()}{token}{self.glue()}{fragment.replace('-/', '')}-/"
            elif where == "guillemet" and "»" not in token:
                text = f"def «{token}{i}» : MyNat := MyNat.zero"
            else:
                text = COMMAND_TEMPLATES[token].replace("{i}", str(i))
            return f"{text}{self.glue()}\n{self.maybe_marker()}\n"
        if kind == "hash":
            k = self.k = self.k + 1
            return r.choice([f'#print"m{k}"', f'#printx "m{k}"', f'#print "m{k}"', f'#print  "m{k}"', f'# print "m{k}"', f'#print\u00a0"m{k}"']) + "\n"
        space = r.choice(SPACES)
        return r.choice([f"{space}{self.maybe_marker()}\n", f"-- {space}{self.maybe_marker()}\n",
                         f"/- {space} -/{self.maybe_marker()}\n", f'def w{i} : MyNat := "{space}"\n'])


def generate(seed: int) -> Case:
    gen = _Gen(seed)
    body = "".join(gen.segment(i) for i in range(3))
    if random.Random(seed * 7919 + 1).random() < 0.5:  # a command of Lean's table (its own stream: the
        rng, gen.rng = gen.rng, random.Random(seed * 7919 + 2)  # other segments stay as they were)
        body += gen.segment(3, "command")
        gen.rng = rng
    text = HEADER + body + gen.marker() + "\n"
    return Case(seed, text, gen.k, gen.classes)


# places where Lean's parser lists what it expects (a `$` no parser reads), as commands and in terms,
# binders and structures: one file, each probe a command (Lean's recovery resumes at the next one)
TOKEN_PROBES = (
    "$", "def x : MyNat := fun $", "def x : MyNat := let $", "def x : MyNat := (MyNat.zero $",
    "def x : MyNat := have $", "def x : MyNat := ⟨$", "def x : MyNat := ∀ $", "def x : MyNat := do $",
    "def x : MyNat := match MyNat.zero $", "def x $", "theorem t $", "open $", "attribute $",
    "instance $", "def x : MyNat := $(", "def x : MyNat := { $", "def x : MyNat := fun x => $",
)  # fmt: skip


def lean_tokens(lean: LeanCommand) -> tuple[list[str], list[str]]:
    """Tokens of ``lean``'s builtin parser tables, as Lean itself lists them where a `$` cannot be read
    ("unexpected token '$'; expected '#check', ..., 'with_weak_namespace' or ..."): the commands (what
    can start one) and the other tokens of its term, binder and structure parsers."""
    run = run_lean_file(HEADER + "".join(f"{probe}\n" for probe in TOKEN_PROBES), lean, timeout=120)
    listed = [m.data.split("; expected ", 1)[1] for m in run.messages if "; expected '" in m.data]
    lists = [re.findall(r"'([^']+)'", said) for said in listed]
    commands = max(lists, key=len, default=[])  # the longest list: every command Lean knows
    others = sorted({t for tokens in lists for t in tokens} - set(commands) - {"$"})
    if len(commands) < 20 or len(others) < 10:
        raise RuntimeError(f"Lean did not list its tokens: {listed[:3]!r}")
    return commands, others


def lean_ran(messages: list[Message], markers: int) -> tuple[set[int], bool]:
    """(markers Lean ran, whether Lean reported a parse error)."""
    ran = set()
    for m in messages:
        found = re.fullmatch(r"m(\d+)", m.data) if m.severity == "information" else None
        found = found or re.match(r"type of theorem [`']m(\d+)[`']", m.data)
        if found and 1 <= int(found.group(1)) <= markers:
            ran.add(int(found.group(1)))
    parse_error = any(m.severity == "error" and PARSE_ERROR.search(m.data.split("\n")[0]) for m in messages)
    return ran, parse_error


def lexer_sees(text: str) -> list[set[int]] | None:
    """The markers each reading sees as code, or None when the lexer refuses the text."""
    try:
        found = readings(text)
    except LexError:
        return None
    seen = []
    for reading in found:
        flat, markers = list(walk(reading)), set()
        for a, b in zip(flat, flat[1:]):
            if a.kind == "symbol" and a.text == "#print" and b.kind == "string":
                marker = re.fullmatch(r'"m(\d+)"', b.text)
            elif a.is_keyword("theorem") and b.kind == "word":
                marker = re.fullmatch(r"m(\d+)", b.text)
            else:
                marker = None
            if marker:
                markers.add(int(marker.group(1)))
        seen.append(markers)
    return seen


def compare(case: Case, messages: list[Message]) -> str:
    ran, parse_error = lean_ran(messages, case.markers)
    seen = lexer_sees(case.text)
    if seen is None:
        return "refused"
    if parse_error:  # rejected whatever it holds; what Lean's error recovery then runs is not modelled
        return "parse_error"
    if not ran <= set().union(*seen):
        return "unsafe"
    return "agree" if ran in seen else "disagree"


def lean_messages(cases: list[Case], lean: LeanCommand, workers: int, cache: Path | None = None) -> list[list[Message]]:
    """Lean's messages on each text. ``cache`` (a JSON file) keeps them by Lean command and text: they do not
    depend on the lexer, so a mutation run asks Lean once, not once per mutant of the lexer."""
    keys = [hashlib.sha256(json.dumps([lean.argv, lean.cwd, c.text]).encode()).hexdigest() for c in cases]
    known = json.loads(cache.read_text()) if cache is not None and cache.exists() else {}
    todo = [(k, c) for k, c in zip(keys, cases) if k not in known]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        runs = list(pool.map(lambda kc: run_lean_file(kc[1].text, lean, timeout=120), todo))
    for (k, case), run in zip(todo, runs):
        if run.timed_out or run.crashed:
            raise RuntimeError(f"seed {case.seed}: Lean did not finish ({run.stderr[-300:]})")
        known[k] = [asdict(m) for m in run.messages]
    if cache is not None and todo:
        partial = cache.with_name(cache.name + ".partial")
        partial.write_text(json.dumps(known))
        partial.replace(cache)
    return [[Message(**m) for m in known[k]] for k in keys]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--first_seed", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lean", default="", help="a lean command line (default: the embedded Lean)")
    parser.add_argument("--show", type=int, default=3, help="texts to print per bad outcome")
    parser.add_argument("--seed_corpus", default="", help="a folder of real Lean text (.lean, .txt) to take lines from")
    args = parser.parse_args(argv)
    lean = LeanCommand(tuple(args.lean.split())) if args.lean else embedded.command()
    if lean is None:
        raise SystemExit(embedded.HINT)
    COMMAND_TOKENS[:], TERM_TOKENS[:] = lean_tokens(lean)
    if args.seed_corpus:
        FRAGMENTS[:] = sorted({line.strip() for path in sorted(Path(args.seed_corpus).rglob("*"))
                               if path.suffix in (".lean", ".txt") and path.is_file()
                               for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
                               if 0 < len(line.strip()) <= 120})  # fmt: skip
    started = time.perf_counter()
    cases = [generate(seed) for seed in range(args.first_seed, args.first_seed + args.count)]
    outcomes = [compare(c, m) for c, m in zip(cases, lean_messages(cases, lean, args.workers))]
    counts = Counter(outcomes)
    per_class = {k: Counter(o for c, o in zip(cases, outcomes) if k in c.classes) for k in CLASSES}
    for bad in ("unsafe", "disagree"):
        for case in [c for c, o in zip(cases, outcomes) if o == bad][: args.show]:
            print(f"--- {bad}: seed {case.seed}\n{case.text}")
    summary = {
        "texts": len(cases),
        "seeds": [args.first_seed, args.first_seed + args.count - 1],
        "outcomes": dict(counts),
        "per_class": {k: dict(v) for k, v in per_class.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary, indent=1))
    return 1 if counts["unsafe"] or counts["disagree"] else 0


if __name__ == "__main__":
    sys.exit(main())
