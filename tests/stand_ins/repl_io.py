"""What the REPL stand-ins share: reading requests as the REPL does (JSON objects separated by blank lines)."""

import json
import sys


def requests():
    chunk = []
    for line in sys.stdin:
        if line.strip():
            chunk.append(line)
        elif chunk:
            yield json.loads("".join(chunk))
            chunk = []
