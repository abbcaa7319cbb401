"""A stand-in for the REPL *process*: it replays Lean's recorded replies (../shared/data/repl) in order,
or misbehaves the way a REPL process can. It never decides anything about a proof.

Usage: fake_repl.py MODE [TRANSCRIPT.expected.out]
  replay        answer the n-th request with the n-th recorded reply
  hang          read a request, never answer
  die           answer half a reply, then exit
  garbage       answer a line that is not JSON
  flood         allocate memory until the cap stops it, then report it as Lean does
  crash_first   exit at the first request if $STAND_IN_MARK does not exist (creating it), else replay
  hang_after    replay the first $STAND_IN_HANG_AFTER replies, then never answer (a tactic that runs forever)
"""

import os
import sys
import time

from repl_io import requests

mode = sys.argv[1]
replies = []
if len(sys.argv) > 2:
    chunk = []
    for line in open(sys.argv[2], encoding="utf-8").read().splitlines() + [""]:
        if line.strip():
            chunk.append(line)
        elif chunk:
            replies.append("\n".join(chunk))
            chunk = []


if mode == "crash_first":
    mark = os.environ["STAND_IN_MARK"]
    if not os.path.exists(mark):
        open(mark, "w").close()
        next(requests())
        sys.exit(3)
    mode = "replay"

hang_at = -1
if mode == "hang_after":
    hang_at, mode = int(os.environ["STAND_IN_HANG_AFTER"]), "replay"

for n, _ in enumerate(requests()):
    if n == hang_at:
        time.sleep(3600)
    if mode == "replay":
        print(replies[n] + "\n", flush=True)
    elif mode == "hang":
        time.sleep(3600)
    elif mode == "die":
        print(replies[n][: len(replies[n]) // 2], flush=True)
        sys.exit(1)
    elif mode == "garbage":
        print("Lean (version 4.x) <not a reply>\n", flush=True)
    elif mode == "flood":
        blocks = []
        try:
            while True:
                blocks.append(bytearray(64 * 2**20))
        except MemoryError:
            blocks.clear()
            print("INTERNAL PANIC: out of memory", file=sys.stderr, flush=True)
            sys.exit(1)
