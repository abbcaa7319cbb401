"""Split Lean source into its header (imports, ``open``, ``set_option``, comments) and the rest; pure."""

from __future__ import annotations

import re

_HEADER_LINE = re.compile(r"^\s*(prelude\s*$|import\s|open\s|set_option\s|--|$)")


def split_header(code: str) -> tuple[str, str, int]:
    """(header, body, line offset of the body) with ``header + body == code``.

    The header is the longest prefix of whole lines that are blank, line comments, block comments,
    ``prelude``, ``import``, ``open`` or ``set_option`` commands (``open ... in`` / ``set_option ... in`` modify the
    next command, so they stay with the body).
    """
    lines = code.splitlines(keepends=True)
    end = 0
    in_block = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if in_block:
            if "-/" in stripped:
                in_block = False
            end = i + 1
            continue
        if stripped.startswith("/-") and not stripped.startswith("/--"):  # a doc comment belongs to the body
            in_block = "-/" not in stripped[2:]
            end = i + 1
            continue
        if _HEADER_LINE.match(line) and not re.search(r"\bin\s*$", stripped):
            end = i + 1
            continue
        break
    header = "".join(lines[:end])
    return header, code[len(header) :], end
