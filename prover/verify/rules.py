"""What a model's text may contain: the token rules of the acceptance policy (``policy.py`` applies them).

They refuse what would let a text change the rules instead of proving: axioms, ``unsafe`` and ``opaque``
code, imports, ``#`` commands, new syntax, macros, notation and elaborators, simprocs, code run at
elaboration time, names of the runtime and metaprogramming APIs (so that what Lean evaluates while it
elaborates has no side effects), and options and attributes outside allow-lists. They read tokens
(``lean/lexer.py``), never raw text, so comments and strings cannot hide or fake a keyword.
"""

from __future__ import annotations

import re

from prover.lean.lexer import CLOSE, HASH_COMMANDS, OPEN, Token, full_name, walk

_ELAB_TIME = "code run at elaboration time"
_FORBIDDEN_KEYWORDS = {
    "axiom": "axiom declaration",
    "unsafe": "unsafe",
    "opaque": "opaque",
    "import": "import",
    "prelude": "prelude",
    "initialize": _ELAB_TIME,
    "builtin_initialize": _ELAB_TIME,
    "run_cmd": _ELAB_TIME,
    "run_elab": _ELAB_TIME,
    "run_meta": _ELAB_TIME,
    "run_tac": _ELAB_TIME,
    "run_conv": _ELAB_TIME,  # Mathlib: `conv => run_conv <TacticM code>`
    "by_elab": _ELAB_TIME,
    "compile_def": _ELAB_TIME,
    "compile_inductive": _ELAB_TIME,
    "lrat_proof": _ELAB_TIME,
    "sudo": "sudo (options past the allow-list)",
    "unlock_limits": "options past the allow-list",
    "init_quot": "kernel initialisation",
    "unif_hint": "unification hint",
    "syntax": "new syntax",
    "declare_syntax_cat": "new syntax",
    "macro": "macro",
    "macro_rules": "macro",
    "elab": "elaborator",
    "elab_rules": "elaborator",
    "elab_stx_quot": "elaborator",
    "tactic_extension": "elaborator",
    "notation": "notation",
    "notation3": "notation",
    "infix": "notation",
    "infixl": "notation",
    "infixr": "notation",
    "prefix": "notation",
    "postfix": "notation",
    "binder_predicate": "notation",
    "name_poly_vars": "notation",
    "name_power_vars": "notation",
    "deprecated_syntax": "notation",
}
# commands of Lean and Mathlib that declare simprocs, options, attributes, configuration elaborators, rule
# sets or hints: meta programs all (their `#help command`, Lean 4.34); matched as whole keywords, so a
# helper named `declare_x` or `notation_ok` is a name like any other
for (
    _keyword
) in """simproc dsimproc simproc_decl dsimproc_decl simproc_pattern builtin_simproc builtin_dsimproc
        builtin_simproc_decl builtin_dsimproc_decl builtin_simproc_pattern cbv_simproc cbv_simproc_decl
        cbv_simproc_pattern builtin_cbv_simproc builtin_cbv_simproc_decl builtin_cbv_simproc_pattern
        builtin_grind_propagator grind_propagator grind_pattern init_grind_norm reset_grind_attrs
        register_grind_attr register_builtin_option register_option register_simp_attr register_label_attr
        register_error_explanation register_hint register_linter_set register_sym_dsimp register_sym_simp
        register_tactic_tag register_try declare_aesop_rule_sets add_aesop_rules erase_aesop_rules
        declare_bitwise_int_theorems declare_bitwise_uint_theorems declare_command_config_elab
        declare_command_config_elab_legacy declare_config_elab declare_config_elab_legacy
        declare_core_config_elab declare_int_theorems declare_simp_like_tactic declare_sint_simprocs
        declare_term_config_elab declare_uint_simprocs declare_uint_theorems def_eval_config_item
        set_library_suggestions insert_to_additive_translation to_dual_insert_cast to_dual_insert_cast_fun
        initialize_simps_projections show_panel_widgets""".split():
    _FORBIDDEN_KEYWORDS.setdefault(
        _keyword, "simproc" if "simproc" in _keyword else "meta program (options, attributes, rule sets, hints)"
    )
# commands of Lean that a proof may use: declarations, scopes and checks, none of which runs code of the
# output's (every command Lean's parser knows is either here, refused above, or a `#` command: the lexer's
# differential test asks the embedded Lean for its command table and fails on one that is none of these)
PROOF_COMMANDS = frozenset(
    """theorem lemma def abbrev instance example structure class inductive coinductive namespace section end
    open export variable universe include omit mutual attribute set_option deriving recall assert_not_exists
    assert_not_imported with_weak_namespace deprecated_module recommended_spelling docs_to_verso noncomputable
    private protected public""".split()
)
for _keyword in ("gen_injective_theorems%", "recall?", "register_error_explanation"):
    _FORBIDDEN_KEYWORDS.setdefault(_keyword, "meta program (options, attributes, rule sets, hints)")
# `#` commands that only read: printing cannot change a verdict now that the kernel checks the statement
READ_ONLY_COMMANDS = frozenset({"#print", "#check", "#adaptation_note"})
# after these a term must follow, so a `#` there is notation (Mathlib's cardinality `#s`), not a command
_TERM_EXPECTED = frozenset(
    "( [ { ⟨ ⦃ , : := = ≠ < > ≤ ≥ + - * / ^ ∣ → ↔ ∧ ∨ ¬ ∈ ∉ ⊆ ⊂ ∩ ∪ • ∘ × % | ← ≡ ⟪ ∑ ∏ <;> => @ ; ·".split()
)
_TERM_EXPECTED_KEYWORDS = (
    "have",
    "suffices",
    "obtain",
    "show",
    "exact",
    "from",
    "refine",
    "use",
    "calc",
    "fun",
    "λ",
    "if",
    "then",
    "else",
)
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
# namespaces of core's `Lean` that hold lemmas and their structures only (what `grind`, `omega` and `order`
# prove with): nothing in them runs code, and models name them (`grind only [= Lean.Grind.toInt_fin]`)
LEMMA_NAMESPACES = ("Lean.Grind.", "Lean.Omega.", "Lean.Order.")
RUNTIME_NAMES = frozenset(
    {"println", "println!", "timeit", "allocprof", "dbgSleep"}
)  # root-level side effects
# sockets, files and the event loop (libuv), also as named after `open Std`
RUNTIME_PREFIXES = ("Std.Internal.", "Std.Net.", "Std.Runtime.")
# the same after `open Std` (or inside `namespace Std`): refused only where the text or the reference names
# `Std` at all, so that a namespace of the output's own may be called `Internal`
RUNTIME_PREFIXES_UNDER_STD = ("Runtime.", "Internal.", "Net.", "UV.")
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
_ALLOWED_OPTION_PREFIXES = ("linter.", "pp.")  # pp.*: printing only
ALLOWED_ATTRIBUTES = frozenset(
    {
        "simp", "reducible", "irreducible", "semireducible", "instance", "default_instance", "inline",
        "noinline", "specialize", "ext", "symm", "refl", "trans", "congr", "elab_as_elim",
        "induction_eliminator", "cases_eliminator", "match_pattern", "norm_cast", "push_cast",
        "field_simps", "mono", "gcongr", "nolint", "deprecated", "coe",
        "nontriviality", "continuity", "measurability", "fun_prop", "grind", "local", "scoped",
        "expose",  # the module system: a definition's body visible to importers
    }
)  # fmt: skip


def _names_the_runtime(name: str, std_open: bool = True) -> bool:
    name = full_name(name)
    dotted = name + "."
    if dotted.startswith(LEMMA_NAMESPACES) and not any(p in RUNTIME_PARTS - {"Lean"} for p in name.split(".")):
        return False
    return (
        name in RUNTIME_NAMES
        or dotted.startswith(RUNTIME_PREFIXES)
        or (std_open and dotted.startswith(RUNTIME_PREFIXES_UNDER_STD))
        or any(part in RUNTIME_PARTS for part in name.split("."))
    )


def _option_allowed(name: str) -> bool:
    return name in ALLOWED_OPTIONS or name.startswith(_ALLOWED_OPTION_PREFIXES)


def _term_expected(previous: Token | None) -> bool:
    """Whether a bare ``#`` after ``previous`` is notation (Mathlib's cardinality ``#s``, core's ``#v[..]``):
    after an operator, a binder or a term-taking keyword, or on the same line as a term it is applied to
    (``_applied_to``). Every ``#`` command of Lean, Batteries, Aesop and Mathlib is one token of its own
    (``HASH_COMMANDS``); a bare ``#`` is refused where a command starts in real text, first in the output or
    on a line after a complete term (defence in depth, should a command be missing from that list)."""
    if previous is None:
        return False
    return (previous.kind == "symbol" and previous.text in _TERM_EXPECTED) or previous.is_keyword(
        *_TERM_EXPECTED_KEYWORDS
    )


def _applied_to(previous: Token | None) -> bool:
    """Whether ``previous`` ends a term that a ``#s`` on the same line is an argument of."""
    return previous is not None and (
        previous.kind in ("word", "number") or (previous.kind == "symbol" and previous.text in CLOSE)
    )


def _attribute_names(tokens: list[Token], i: int) -> list[Token]:
    """The attribute names of the list opened at ``tokens[i]`` (``@[`` or ``[``)."""
    names: list[Token] = []
    depth, expect_name, j = 0, True, i + 1
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


def rule_violations(tokens: list[Token], reference_names: frozenset[str] = frozenset()) -> list[str]:
    """What the token rules refuse in ``tokens`` (comments are not code), in order found, without repeats.
    ``reference_names``: the names the reference header and statement use; using them is never held
    against the output (keywords are keywords wherever they stand)."""
    found: list[str] = []

    def add(what: str) -> None:
        if what not in found:
            found.append(what)

    flat = list(walk(tokens))
    std_open = any(
        "Std" in n.split(".") for n in [*(t.name for t in flat if t.kind == "word"), *reference_names]
    )  # fmt: skip
    for i, t in enumerate(flat):
        following = flat[i + 1] if i + 1 < len(flat) else None
        if t.kind == "word":
            _word_violations(t, following, reference_names, add, std_open)
        elif t.kind == "symbol":
            _symbol_violations(t, flat[i - 1] if i else None, add)
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
    return found


def _word_violations(
    t: Token, following: Token | None, reference_names: frozenset[str], add, std_open: bool = True
) -> None:
    if not t.escaped:
        if t.text in SORRY_WORDS:
            add(t.text)
        elif t.text == "import":
            module = following.name if following is not None and following.kind == "word" else ""
            module = module if module != "all" else ""
            add(f"import {module} (the header does not bring it in)".replace("import  ", "import "))
        elif t.text in _FORBIDDEN_KEYWORDS:
            add(_FORBIDDEN_KEYWORDS[t.text])
        if following is not None and following.text == "%" and following.start == t.end:  # `eval%`-like tokens
            if t.text == "eval":
                add("eval% (code run at elaboration time)")
            elif t.text + "%" in _FORBIDDEN_KEYWORDS:
                add(_FORBIDDEN_KEYWORDS[t.text + "%"])
    if full_name(t.name) in reference_names:
        return
    last = t.name.rsplit(".", 1)[-1]
    if last in _FORBIDDEN_NAMES:
        add(last)
    if re.match(r"unsafe[A-Z]", last):  # unsafeCast, unsafeBaseIO...
        add(f"{t.name} (unsafe code)")
    if _names_the_runtime(t.name, std_open):
        add(f"{t.name} (the runtime or metaprogramming API: side effects while Lean elaborates)")


def _symbol_violations(t: Token, previous: Token | None, add) -> None:
    if t.text in HASH_COMMANDS and t.text not in READ_ONLY_COMMANDS:
        add(f"{t.text} command")
    elif t.text == "#" and not (_term_expected(previous) or (_applied_to(previous) and not t.line_start)):
        add("a # where a command could start (an unknown # command)")
