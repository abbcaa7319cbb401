"""Files in and out: paths a user names (checked before any work, read with ``file:line`` errors), and the
package's own writes that survive a kill (atomic whole-file writes, whole-line JSONL appends).

One policy for a torn JSONL line: a last line without its newline that does not parse is what a process
killed while appending leaves. Readers skip it with a warning (``read_jsonl``); a run that resumes cuts it
off before it appends again (``repair_jsonl``); a user's file with such a line is named ``file:line``.

A name that looks local (an existing path, one starting with ``/``, ``.`` or ``~``, one with two slashes or
more, or a data or model file extension) is never sent to the Hugging Face hub: when it is missing the user
gets one line at once instead of a 30 s hub lookup and a traceback. Pure, apart from reading the files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

_LOCAL_SUFFIXES = (
    ".jsonl",
    ".json",
    ".lean",
    ".yaml",
    ".yml",
    ".txt",
    ".parquet",
    ".csv",
    ".safetensors",
    ".bin",
)


def looks_local(name: str) -> bool:
    """Whether ``name`` is meant as a local path rather than a hub name (``org/name``)."""
    return (
        os.path.exists(name)
        or name.startswith(("/", ".", "~"))
        or name.count("/") >= 2
        or name.lower().endswith(_LOCAL_SUFFIXES)
    )


def require_file(path: str, flag: str) -> str:
    """``path`` if it is a readable file; else ``ValueError`` naming ``flag`` (``-`` is stdin)."""
    if path == "-":
        return path
    if os.path.isdir(path):
        raise ValueError(f"{flag} {path}: is a directory, expected a file")
    if not os.path.isfile(path):
        raise ValueError(f"{flag} {path}: no such file")
    return path


def require_dir(path: str, flag: str) -> str:
    if os.path.isfile(path):
        raise ValueError(f"{flag} {path}: is a file, expected a directory")
    if not os.path.isdir(path):
        raise ValueError(f"{flag} {path}: no such directory")
    return path


def require_local_or_hub(name: str, flag: str) -> str:
    """A local path that exists, or a hub name; a missing local-looking path is refused."""
    if name and looks_local(name) and not os.path.exists(os.path.expanduser(name)):
        raise ValueError(f"{flag} {name}: no such file or directory")
    return name


def resolve_model(name: str, flag: str = "--model") -> str:
    """A model directory (``config.json``), a training run (its ``final/``), or a hub name."""
    name = require_local_or_hub(name, flag)
    if not name or not os.path.isdir(name) or os.path.isfile(os.path.join(name, "config.json")):
        return name
    final = os.path.join(name, "final")
    if os.path.isfile(os.path.join(final, "config.json")):
        return final
    raise ValueError(
        f"{flag} {name}: not a model directory (no config.json); pass a run's final/ or a checkpoint-N/ directory"
    )


def read_text(path: str, flag: str) -> str:
    """A user's text file (UTF-8, an optional BOM dropped); bytes that are not UTF-8 name the line."""
    if path == "-":
        import sys

        data = sys.stdin.buffer.read()
    else:
        with open(require_file(path, flag), "rb") as handle:
            data = handle.read()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x})") from None


class TruncatedLine(ValueError):
    """A last line cut short (no newline, not JSON): what a process killed while appending leaves."""


def jsonl_records(path: str) -> Iterator[tuple[str, Any]]:
    """(``path:line``, the parsed value) per non-blank line of a JSONL file a user gave; a line that is not
    UTF-8, not JSON, or cut short (a last line without its newline that does not parse) yields a ValueError
    naming ``path:line`` in place of the value, so that callers can stop or skip it. A BOM is allowed."""
    with open(path, "rb") as handle:
        lines = handle.readlines()
    for number, raw in enumerate(lines, start=1):
        where = f"{path}:{number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield (
                where,
                ValueError(
                    f"{where}: not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1})"
                ),
            )
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as error:
            cut = number == len(lines) and not raw.endswith(b"\n")
            what = "a truncated last line" if cut else "malformed JSON"
            message = f"{where}: {what} ({error.msg.removesuffix(' at')} at column {error.colno})"
            yield where, (TruncatedLine if cut else ValueError)(message)


def jsonl_objects(path: str, what: str = "a JSON object") -> Iterator[tuple[str, dict]]:
    """(``path:line``, object) per line of a JSONL file that must hold only objects; the first bad line
    raises a ValueError naming it."""
    for where, record in jsonl_records(path):
        if isinstance(record, ValueError):
            raise record
        if not isinstance(record, dict):
            raise ValueError(f"{where}: expected {what}, got {type(record).__name__}")
        yield where, record


def read_json(path: str, what: str) -> Any:
    """A JSON file this package wrote (``what`` names it in the error), or None when there is none."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not {what} ({error})") from None


# --------------------------------------------------------------------------- the package's own files


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB pieces (model weights are gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for piece in iter(lambda: handle.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a torn one."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def append_jsonl(path: str, record: dict[str, Any]) -> None:
    """Append one record as one ``write`` of a whole line (O_APPEND), flushed to disk."""
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def repair_jsonl(path: str) -> None:
    """Before appending to a file a killed run wrote: cut a torn last line off (appending after it would
    glue two records), and end a whole last line that lost only its newline."""
    if not os.path.exists(path):
        return
    with open(path, "rb") as handle:
        data = handle.read()
    if not data or data.endswith(b"\n"):
        return
    start = data.rfind(b"\n") + 1
    try:
        json.loads(data[start:])
        keep = data + b"\n"
    except ValueError:
        keep = data[:start]
    atomic_write_text(path, keep.decode("utf-8"))


def own_jsonl(path: str) -> Iterator[tuple[str, Any]]:
    """(``path:line``, record) per line of a JSONL file this package wrote; a torn last line is left out
    with a warning, any other bad line raises a ValueError naming it. A missing file has no records."""
    if not os.path.isfile(path):
        return
    for where, record in jsonl_records(path):
        if isinstance(record, TruncatedLine):
            logger.warning("%s (a killed run: resuming it completes the record)", record)
            continue
        if isinstance(record, ValueError):
            raise record
        yield where, record


def read_jsonl(path: str) -> Iterator[Any]:
    """The records of a JSONL file this package wrote (see ``own_jsonl``)."""
    for _, record in own_jsonl(path):
        yield record
