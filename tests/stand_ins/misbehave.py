"""A process that misbehaves the way a Lean process can: it stands in for a broken process, never for
Lean's judgement of a proof. Usage: misbehave.py MODE [--json FILE] (the checker's arguments are ignored).

hang      sleep forever, after starting a child that sleeps forever too (the orphan test)
crash     die from SIGSEGV
oom       allocate until the address-space limit stops it, then report it as Lean does
garbage   print a line that is not a Lean JSON message
slow      take STAND_IN_SLEEP seconds, then succeed with no message (writing the `-o` module when asked)
"""

import os
import signal
import subprocess
import sys
import time

mode = sys.argv[1]
if mode == "hang":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    with open(os.environ["STAND_IN_PIDS"], "w") as handle:
        handle.write(f"{os.getpid()} {child.pid}\n")
    time.sleep(3600)
elif mode == "crash":
    os.kill(os.getpid(), signal.SIGSEGV)
elif mode == "oom":
    blocks = []
    try:
        while True:
            blocks.append(bytearray(64 * 1024 * 1024))
    except MemoryError:
        blocks.clear()
        print("INTERNAL PANIC: out of memory", file=sys.stderr)
        sys.exit(1)
elif mode == "garbage":
    print("this is not JSON")
elif mode == "slow":
    time.sleep(float(os.environ["STAND_IN_SLEEP"]))
    if "-o" in sys.argv:
        open(sys.argv[sys.argv.index("-o") + 1], "wb").close()
