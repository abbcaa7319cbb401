"""Runs ``lean_main`` of a ``libleanshared.so``: ``python -I -S launch_lean.py LIBRARY [lean args]``.

Standalone on purpose (no package import, no site): it starts in a third of the time ``python -m`` takes,
which matters because the verifier starts Lean once or twice per proof (``embedded.py`` says which Lean).
"""

import ctypes
import sys


def main() -> int:
    lean = ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_GLOBAL)
    lean.lean_main.restype = ctypes.c_int
    lean.lean_main.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    argv = [b"lean", *(a.encode() for a in sys.argv[2:])]
    code = lean.lean_main(len(argv), (ctypes.c_char_p * (len(argv) + 1))(*argv, None))
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
