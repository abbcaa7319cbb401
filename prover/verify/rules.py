"""What a model's text may contain: the token rules of the acceptance policy (``verify.py`` applies them).

They refuse what would let a text change the rules instead of proving: axioms, ``unsafe`` and ``opaque``
code, imports, ``#`` commands, new syntax, macros, notation and elaborators, simprocs, code run at
elaboration time, names of the runtime and metaprogramming APIs (so that what Lean evaluates while it
elaborates has no side effects), options and attributes outside allow-lists, and blocks left open. They read tokens
(``lean/lexer.py``), never raw text, so comments and strings cannot hide or fake a keyword.
"""

from __future__ import annotations

import re

from prover.lean.lexer import CLOSE, OPEN, Token, code_tokens, walk

_FORBIDDEN_KEYWORDS = {
    "axiom": "axiom declaration",
    "unsafe": "unsafe",
    "opaque": "opaque",
    "import": "import",
    "prelude": "prelude",
    "initialize": "code run at elaboration time",
    "run_cmd": "code run at elaboration time",
    "run_elab": "code run at elaboration time",
    "run_meta": "code run at elaboration time",
    "run_tac": "code run at elaboration time",
    "run_conv": "code run at elaboration time",  # Mathlib: `conv => run_conv <TacticM code>`
    "by_elab": "code run at elaboration time",
    "syntax": "new syntax",
    "macro": "macro",
    "macro_rules": "macro",
    "elab": "elaborator",
    "elab_rules": "elaborator",
    "notation": "notation",
    "infix": "notation",
    "infixl": "notation",
    "infixr": "notation",
    "prefix": "notation",
    "postfix": "notation",
    "binder_predicate": "notation",
    "simproc": "simproc",
    "dsimproc": "simproc",
    "simproc_decl": "simproc",
    "dsimproc_decl": "simproc",
}
_FORBIDDEN_KEYWORD_PREFIXES = ("notation", "builtin_", "register_", "declare_")
SORRY_WORDS = ("sorry", "admit")
_FORBIDDEN_NAMES = frozenset({"implemented_by", "extern"})  # attributes, however spelled
# Lean evaluates some terms while it elaborates (tactic configurations such as `(config := ...)`,
# `native_decide`, aesop options): a term that names the runtime (IO: files, processes, stdout, where the
# checker reads Lean's answer) or the metaprogramming API (the environment, the message log) would run
# with side effects there. A proof has no use for either, so no name with one of these parts may appear.
RUNTIME_PARTS = frozenset(
    {"IO", "EIO", "BaseIO", "EStateM", "Lean", "Lake", "System",  # the runtime and Lean's own API
     "Meta", "Elab", "Tactic", "Mathlib", "Batteries", "Aesop", "Qq"}  # the libraries' meta code
)  # fmt: skip
RUNTIME_NAMES = frozenset(
    {"println", "println!", "timeit", "allocprof", "dbgSleep"}
)  # root-level side effects
# sockets, files and the event loop (libuv), also as named after `open Std`
RUNTIME_PREFIXES = ("Std.Internal.", "Std.Net.", "Runtime.", "Internal.", "Net.", "UV.")
ALLOWED_OPTIONS = frozenset(
    {
        "maxHeartbeats",
        "maxRecDepth",
        "synthInstance.maxHeartbeats",
        "synthInstance.maxSize",
        "maxSynthPendingDepth",
        "autoImplicit",
        "relaxedAutoImplicit",
        "tactic.hygienic",
        "push_neg.use_distrib",
        "simprocs",
        "exponentiation.threshold",
    }
)
_ALLOWED_OPTION_PREFIXES = ("linter.",)
ALLOWED_ATTRIBUTES = frozenset(
    {
        "simp", "reducible", "irreducible", "semireducible", "instance", "default_instance", "inline",
        "noinline", "specialize", "ext", "symm", "refl", "trans", "congr", "elab_as_elim",
        "induction_eliminator", "cases_eliminator", "match_pattern", "norm_cast", "push_cast",
        "field_simps", "mono", "gcongr", "nolint", "deprecated", "coe",
        "nontriviality", "continuity", "measurability", "fun_prop", "grind", "local", "scoped",
    }
)  # fmt: skip


def _names_the_runtime(name: str) -> bool:
    name = name.removeprefix("_root_.")
    return (
        name in RUNTIME_NAMES
        or (name + ".").startswith(RUNTIME_PREFIXES)
        or any(part in RUNTIME_PARTS for part in name.split("."))
    )


def _option_allowed(name: str) -> bool:
    return name in ALLOWED_OPTIONS or name.startswith(_ALLOWED_OPTION_PREFIXES)


def _attribute_names(tokens: list[Token], i: int) -> list[Token]:
    """The attribute names of the list opened at ``tokens[i]`` (``@[`` or ``[``)."""
    names, depth, expect_name, j = [], 0, True, i + 1
    while j < len(tokens):
        t = tokens[j]
        if t.kind == "symbol" and t.text in OPEN:
            depth += 1
        elif t.kind == "symbol" and t.text in CLOSE:
            if depth == 0:
                return names
            depth -= 1
        elif depth == 0 and t.kind == "symbol" and t.text == ",":
            expect_name = True
        elif (
            expect_name and not (t.kind == "symbol" and t.text == "-") and not t.is_keyword("local", "scoped")
        ):
            names.append(t)
            expect_name = False
        j += 1
    return names


def rule_violations(tokens: list[Token]) -> list[str]:
    """What the token rules refuse in ``tokens`` (comments are not code), in order found, without repeats."""
    found: list[str] = []

    def add(what: str) -> None:
        if what not in found:
            found.append(what)

    flat = list(walk(tokens))
    for i, t in enumerate(flat):
        if t.kind == "word" and not t.escaped:
            if t.text in SORRY_WORDS:
                add(t.text)
            elif t.text in _FORBIDDEN_KEYWORDS:
                add(_FORBIDDEN_KEYWORDS[t.text])
            elif t.text.startswith(_FORBIDDEN_KEYWORD_PREFIXES):
                add(f"{t.text} (new syntax or code run at elaboration time)")
        last = t.name.rsplit(".", 1)[-1]
        if t.kind == "word" and last in _FORBIDDEN_NAMES:
            add(last)
        if t.kind == "word" and re.match(r"unsafe[A-Z]", last):  # unsafeCast, unsafeBaseIO...
            add(f"{t.name} (unsafe code)")
        if t.kind == "word" and _names_the_runtime(t.name):
            add(f"{t.name} (the runtime or metaprogramming API: side effects while Lean elaborates)")
        following = flat[i + 1] if i + 1 < len(flat) else None
        if (
            t.is_keyword("eval")
            and following is not None
            and following.text == "%"
            and following.start == t.end
        ):
            add("eval% (code run at elaboration time)")
        if t.kind == "symbol" and t.text.startswith("#") and len(t.text) > 1 and t.text != "#[":
            add(f"{t.text} command")
        if t.is_keyword("set_option") and (
            following is None or following.kind != "word" or not _option_allowed(following.name)
        ):
            shown = following.name or following.text if following else ""
            add(f"set_option {shown} (not an option a proof may set)")
        attributes = []
        if t.kind == "symbol" and t.text == "@[":
            attributes = _attribute_names(flat, i)
        elif t.is_keyword("attribute") and following is not None and following.text == "[":
            attributes = _attribute_names(flat, i + 1)
        for a in attributes:
            if a.kind != "word" or a.name not in ALLOWED_ATTRIBUTES:
                add(f"attribute {a.name or a.text} (not an attribute a proof may use)")
    problem = _scope_problem(code_tokens(tokens))
    if problem:
        add(problem)
    return found


def _scope_problem(tokens: list[Token]) -> str | None:
    """Why the ``namespace``/``section``/``mutual`` blocks are not balanced, or None. Balanced blocks end
    inside the model's own section, so nothing of its scope reaches the checks."""
    depth = 0
    for t in tokens:
        if t.is_keyword("namespace", "section", "mutual"):
            depth += 1
        elif t.is_keyword("end"):
            if depth == 0:
                return "an `end` that closes nothing the output opened"
            depth -= 1
    return "a namespace, section or mutual block left open" if depth else None
