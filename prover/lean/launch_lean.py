"""Runs ``lean_main`` of a ``libleanshared.so``: ``python -I -S launch_lean.py LIBRARY [lean args]``.

Standalone on purpose (no package import, no site): it starts in a third of the time ``python -m`` takes,
which matters because the verifier starts Lean once or twice per proof (``embedded.py`` says which Lean).
``[first args] --then FILE [second args]``: the first run in a forked child (``lean_main`` ends its
process), then ``STAGE_MARK`` and the first run's exit code on a line of their own, then the second run if
FILE exists: the verifier's two steps for the price of one start.
"""

import ctypes
import os
import sys

STAGE_MARK = "\x1fprover-second-stage"


def run(lean, args: list[str]) -> int:
    argv = [b"lean", *(a.encode() for a in args)]
    code = lean.lean_main(len(argv), (ctypes.c_char_p * (len(argv) + 1))(*argv, None))
    sys.stdout.flush()
    return code


def main() -> int:
    lean = ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_GLOBAL)
    lean.lean_main.restype = ctypes.c_int
    lean.lean_main.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    args = sys.argv[2:]
    if "--then" not in args:
        return run(lean, args)
    cut = args.index("--then")
    first, needed, second = args[:cut], args[cut + 1], args[cut + 2 :]
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        os._exit(run(lean, first))
    code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    sys.stdout.write(f"\n{STAGE_MARK} {code}\n")
    sys.stdout.flush()
    if code not in (0, 1) or not os.path.exists(needed):
        return code
    return run(lean, second)


if __name__ == "__main__":
    sys.exit(main())
