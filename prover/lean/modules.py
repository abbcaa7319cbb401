"""Lean modules: a file's module header (``module``? ``prelude``? imports) and the imports a set of modules
brings in, transitively, read from the Lean project's own sources; pure but for reading those files.

The verifier drops an output's import that the reference header already brings in (``import Aesop`` under
``import Mathlib``): what Lean would load anyway changes nothing. The closure comes from the modules' own
import lists, read once per project and kept, never from a hand-kept list; a module whose source is not
found adds its name only, so the closure can only be smaller than Lean's (fail closed).
"""

from __future__ import annotations

import functools
import glob
import os
from collections.abc import Iterable

from prover.lean.lexer import Token


def module_header(tokens: list[Token]) -> tuple[int, list[str]]:
    """(index of the first code token after the module header, the modules it imports). The header is
    ``module``? ``prelude``? then import commands (``import_command``)."""
    k = 1 if tokens[:1] and tokens[0].is_keyword("module") else 0
    k += 1 if tokens[k : k + 1] and tokens[k].is_keyword("prelude") else 0
    imported = []
    while (found := import_command(tokens, k)) is not None:
        k, name = found
        imported.append(name)
    return k, imported


def import_command(tokens: list[Token], k: int) -> tuple[int, str] | None:
    """The import command at ``tokens[k]``, ``public``? ``meta``? ``private``? ``import`` ``all``? NAME, as
    (index after it, NAME); None when there is none."""
    m = k
    while m < len(tokens) and tokens[m].is_keyword("public", "meta", "private"):
        m += 1
    if not (m < len(tokens) and tokens[m].is_keyword("import")):
        return None
    m += 1 + (m + 1 < len(tokens) and tokens[m + 1].is_keyword("all"))
    if m >= len(tokens) or tokens[m].kind != "word":
        return None
    return m + 1, tokens[m].name


def module_header_end(tokens: list[Token]) -> int:
    """Index of the first code token after the module header (``module_header``)."""
    return module_header(tokens)[0]


def header_words(text: str) -> list[str]:
    """The words of ``text``'s module header, comments skipped (a header holds no strings)."""
    words, i, n = [], 0, len(text)
    expect_name = False
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            i = n if (j := text.find("\n", i)) < 0 else j
        elif text.startswith("/-", i):
            depth, i = 1, i + 2
            while i < n and depth:
                depth += text.startswith("/-", i) - text.startswith("-/", i)
                i += 2 if text.startswith(("/-", "-/"), i) else 1
        else:
            j = i
            while j < n and not text[j].isspace() and not text.startswith(("--", "/-"), j):
                j += 1
            word = text[i:j]
            if not expect_name and word not in ("module", "prelude", "public", "meta", "private", "import", "all"):
                break
            expect_name = word in ("import", "all") and not (word == "all" and not expect_name)
            words.append(word)
            i = j
    return words


def imports_in(text: str) -> list[str]:
    """The modules a file's header imports (``import Mathlib``, ``public import all A.B``), read from its
    first words; what does not follow the header's grammar ends it."""
    words, found = header_words(text), []
    for k, word in enumerate(words):
        if word == "import":
            name = words[k + 2] if k + 2 < len(words) and words[k + 1] == "all" else (words[k + 1] if k + 1 < len(words) else "")
            if name and name not in ("all",):
                found.append(name.replace("«", "").replace("»", ""))
    return found


def source_roots(project: str | None, search_path: Iterable[str] = (), prefix: str | None = None) -> tuple[str, ...]:
    """Where module sources live: the project, each Lake package in it, the ``.olean`` directories given
    (sources beside them), and the toolchain's own sources (``PREFIX/src/lean``)."""
    roots = []
    if project:
        roots += [project, *sorted(glob.glob(os.path.join(project, ".lake", "packages", "*")))]
    roots += list(search_path)
    if prefix:
        roots.append(os.path.join(prefix, "src", "lean"))
    return tuple(os.path.abspath(r) for r in roots if os.path.isdir(r))


def _source(module: str, roots: tuple[str, ...]) -> str | None:
    relative = os.path.join(*module.split(".")) + ".lean"
    for root in roots:
        path = os.path.join(root, relative)
        if os.path.isfile(path):
            return path
    return None


@functools.lru_cache(maxsize=65536)
def _direct_imports(module: str, roots: tuple[str, ...]) -> tuple[str, ...]:
    path = _source(module, roots)
    if path is None:
        return ()
    with open(path, encoding="utf-8", errors="replace") as handle:
        return tuple(imports_in(handle.read(16384)))  # a header is at the top


@functools.lru_cache(maxsize=1024)
def import_closure(modules: tuple[str, ...], roots: tuple[str, ...]) -> frozenset[str]:
    """``modules`` and every module they import, transitively, as their sources under ``roots`` say;
    ``Init`` (and what it imports) too unless the header is a ``prelude``, which the caller says by not
    listing it."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_direct_imports(module, roots))
    return frozenset(seen)
