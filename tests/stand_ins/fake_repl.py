"""A stand-in for the REPL *process*: it replays Lean's recorded replies (../shared/data/repl) in order,
or misbehaves the way a REPL process can. It never decides anything about a proof.

Usage: fake_repl.py MODE [TRANSCRIPT.expected.out | TRANSCRIPT ...]
  replay        answer the n-th request with the n-th recorded reply
  keyed         answer each request with the reply recorded for that same request in one of the
                transcripts (TRANSCRIPT: a path without .in / .expected.out), in any order and any number
                of times; proof states are renumbered apart per transcript. A request never recorded gets
                a protocol refusal, which a client reports as a REPL failure: nothing is made up.
                $STAND_IN_DELAY: seconds to wait before each reply (Lean takes time);
                $STAND_IN_HANG_TACTIC: a tactic that never returns (one that runs forever)
  hang          read a request, never answer
  die           answer half a reply, then exit
  garbage       answer a line that is not JSON
  flood         allocate memory until the cap stops it, then report it as Lean does
  crash_first   exit at the first request if $STAND_IN_MARK does not exist (creating it), else replay
  hang_after    replay the first $STAND_IN_HANG_AFTER replies, then never answer (a tactic that runs forever)
"""

import json
import os
import sys
import time

from repl_io import requests


def chunks(path):
    """The blank-line separated blocks of a transcript file."""
    out, chunk = [], []
    for line in open(path, encoding="utf-8").read().splitlines() + [""]:
        if line.strip():
            chunk.append(line)
        elif chunk:
            out.append("\n".join(chunk))
            chunk = []
    return out


def keyed_table(stems):
    """(request kind, proof state, text) -> reply, from every transcript, proof states of transcript k
    shifted by 1000 k so that sessions never share a number."""
    table = {}
    for k, stem in enumerate(stems):
        shift = 1000 * k
        for request, reply in zip(
            map(json.loads, chunks(stem + ".in")), map(json.loads, chunks(stem + ".expected.out"))
        ):
            for holder in [reply, *reply.get("sorries", []), *reply.get("tactics", [])]:
                if "proofState" in holder:
                    holder["proofState"] += shift
            if "tactic" in request:
                table[("tactic", request["proofState"] + shift, request["tactic"])] = reply
            else:
                table[("cmd", None, request["cmd"])] = reply
    return table


def key(request):
    if "tactic" in request:
        return ("tactic", request.get("proofState"), request["tactic"])
    return ("cmd", None, request.get("cmd"))


mode = sys.argv[1]
replies = chunks(sys.argv[2]) if len(sys.argv) > 2 and mode != "keyed" else []
table = keyed_table(sys.argv[2:]) if mode == "keyed" else {}


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

def unknown_id(request, reply_ids):
    """The REPL's refusal of an environment or proof state this process never handed out, or None."""
    if "env" in request and request["env"] not in reply_ids["env"]:
        return {"message": "Unknown environment."}
    if "proofState" in request and request["proofState"] not in reply_ids["proofState"]:
        return {"message": "Unknown proof state."}
    return None


def handed_out(reply, reply_ids):
    reply_ids["env"].update([reply["env"]] if "env" in reply else [])
    for holder in [reply, *reply.get("sorries", []), *reply.get("tactics", [])]:
        reply_ids["proofState"].update([holder["proofState"]] if "proofState" in holder else [])


reply_ids = {"env": set(), "proofState": set()}  # strict as the REPL: ids are this process's own
for n, request in enumerate(requests()):
    if n == hang_at:
        time.sleep(3600)
    if mode in ("replay", "keyed") and (refusal := unknown_id(request, reply_ids)) is not None:
        print(json.dumps(refusal) + "\n", flush=True)
        continue
    if mode == "replay":
        print(replies[n] + "\n", flush=True)
        handed_out(json.loads(replies[n]), reply_ids)
    elif mode == "keyed":
        time.sleep(float(os.environ.get("STAND_IN_DELAY", "0")))
        if "tactic" in request and request["tactic"] == os.environ.get("STAND_IN_HANG_TACTIC"):
            time.sleep(3600)
        reply = table.get(key(request), {"message": "stand-in: no recorded reply to this request"})
        handed_out(reply, reply_ids)
        print(json.dumps(reply, ensure_ascii=False, indent=1) + "\n", flush=True)
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
