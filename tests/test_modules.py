"""A module header's imports and the closure of imports, read from sources (prover/lean/modules.py)."""

from __future__ import annotations

from prover.lean.modules import import_closure, imports_in, source_roots


def test_a_header_is_read_up_to_its_first_command():
    text = "/- © -/\nmodule\n\npublic import Mathlib\nimport all Aesop -- x\nmeta import A.B\n/-! doc -/\nopen Nat\nimport X"
    assert imports_in(text) == ["Mathlib", "Aesop", "A.B"]
    assert imports_in("prelude\nimport Init.Core\ntheorem x : True := trivial") == ["Init.Core"]
    assert imports_in("theorem t : True := trivial\nimport Late") == []


def test_the_closure_follows_every_module_once_and_stops_where_no_source_is(tmp_path):
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "B.lean").write_text("import A.C\nimport Missing\n")
    (tmp_path / "A" / "C.lean").write_text("import A.B\nimport D\n")  # a cycle is read once
    (tmp_path / "D.lean").write_text("prelude\n")
    roots = source_roots(None, [str(tmp_path)])
    assert import_closure(("A.B",), roots) == {"A.B", "A.C", "Missing", "D"}
    assert import_closure(("D",), roots) == {"D"}
    assert import_closure(("A.B",), ()) == {"A.B"}  # no sources: the names given, nothing more


def test_a_projects_packages_are_roots(tmp_path):
    (tmp_path / ".lake" / "packages" / "mathlib").mkdir(parents=True)
    (tmp_path / ".lake" / "packages" / "aesop").mkdir(parents=True)
    assert source_roots(str(tmp_path)) == (
        str(tmp_path), str(tmp_path / ".lake" / "packages" / "aesop"), str(tmp_path / ".lake" / "packages" / "mathlib")
    )  # fmt: skip
