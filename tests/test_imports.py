"""The package's import graph: no cycles, function-level imports included (a lazy import that only dodges
a cycle is still a cycle), and the stages layered as the data flows."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "prover"
# Optional or heavy dependencies may stay lazy; imports of the package's own modules are edges wherever
# they are written.


def module_name(path: pathlib.Path, root: pathlib.Path = ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: pathlib.Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package modules it imports (at any depth of the file)."""
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from prover.train import checkpoint`` imports the module prover.train.checkpoint
                targets = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules]
                targets = targets or [node.module]
            else:
                continue
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle_added_to_a_copy(tmp_path):
    copy = tmp_path / "prover"
    for path in ROOT.rglob("*.py"):
        target = copy / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert find_cycle(import_graph(copy)) is None
    lexer = copy / "lean" / "lexer.py"  # the lexer is imported by the policy; a lazy import back
    lexer.write_text(lexer.read_text() + "\n\ndef _late():\n    from prover.verify.policy import check_proof\n")
    cycle = find_cycle(import_graph(copy))
    assert cycle and "prover.lean.lexer" in cycle and "prover.verify.policy" in cycle


# Which stage may import which: the data flows train -> search -> report, search checking its proofs with
# the verifier (verify, over lean); the CLI and the shared modules (config, flags, io, prompts, threads, run_dir,
# benchmark: reading the statements to prove, metrics: pass@k) sit around them. Lazy imports count.
LAYERS = {
    "prover.lean": set(),
    "prover.verify": {"prover.lean"},
    "prover.train": set(),
    "prover.search": {"prover.lean", "prover.verify"},
    "prover.report": {"prover.search"},
}
SHARED = {"prover", "prover.io", "prover.config", "prover.flags", "prover.prompts", "prover.threads",
          "prover.benchmark", "prover.metrics", "prover.run_dir"}  # fmt: skip


def stage(module: str) -> str:
    return next((s for s in LAYERS if module == s or module.startswith(s + ".")), module)


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_a_stage_imports_only_the_stages_before_it(package):
    graph = import_graph()
    wrong = sorted(
        f"{a} -> {b}"
        for a, targets in graph.items()
        if stage(a) == package
        for b in targets
        if stage(b) != package and stage(b) not in LAYERS[package] and b not in SHARED
    )
    assert not wrong, "\n".join(wrong)


def test_check_settings_are_built_one_way_and_name_what_a_command_lacks():
    from prover.config import CheckConfig, SearchConfig, VerifyConfig
    from prover.verify.checker import CheckSettings

    verify = VerifyConfig(input="a.lean", confirm=False, allow_native_decide=True, workers=3)
    assert CheckSettings.of(verify) == CheckSettings("auto", 300.0, 16384, True, False, 3)
    search = SearchConfig(model="m", benchmark="b.jsonl", workers=2)
    with pytest.raises(TypeError, match="say allow_native_decide, confirm"):
        CheckSettings.of(search)  # no silent default for what search has no setting for
    assert CheckSettings.of(search, allow_native_decide=False, confirm=True).workers == 2
    check = CheckConfig(file="a.lean", allow_native_decide=True)
    settings = CheckSettings.of(check, backend="file", confirm=False, workers=1)
    assert settings.allow_native_decide and settings.backend == "file"


def test_the_shared_modules_import_no_stage():
    """What every stage reads (config, benchmarks, pass@k, ...) depends on no stage, lazily or not."""
    graph = import_graph()
    wrong = sorted(f"{a} -> {b}" for a in SHARED for b in graph.get(a, ()) if stage(b) in LAYERS)
    assert not wrong, "\n".join(wrong)
