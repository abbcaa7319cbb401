"""A stand-in for a REPL that is wrong: it answers every command as if Lean accepted it (no error, and
`#print axioms X` answered "X does not depend on any axioms", or "depends on [X]" for a standard axiom's
own name). It stands in for the REPL's known false accepts, so that the tests can see the file checker
(real Lean) overrule it; it is never taken for Lean's judgement.

Usage: lying_repl.py   (requests on stdin, replies on stdout, as the REPL)
"""

import json
import re

from repl_io import requests

STANDARD = {"propext", "Classical.choice", "Quot.sound", "Lean.ofReduceBool", "Lean.trustCompiler"}
envs = 0
for request in requests():
    messages = []
    for number, line in enumerate(request.get("cmd", "").split("\n"), start=1):
        found = re.search(r"#print axioms (?:_root_\.)?(\S+)", line)
        if found:
            name = found.group(1)
            data = f"'{name}' depends on axioms: [{name}]" if name in STANDARD else f"'{name}' does not depend on any axioms"
            messages.append({"severity": "info", "pos": {"line": number, "column": 0}, "data": data})
    reply = {"env": envs}
    envs += 1
    if messages:
        reply["messages"] = messages
    print(json.dumps(reply, indent=1) + "\n", flush=True)
