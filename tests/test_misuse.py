"""Every command under misuse: exit code 2, one line on stderr naming the file, line and field or the flag,
and nothing written or changed in the directories involved."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import DATA

from prover.cli import main

LEAN = f"{sys.executable} -m prover.lean.embedded"
STATEMENT = "theorem t : True :="


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.fixture
def files(tmp_path):
    """Inputs a user might get wrong, made once per test."""
    made = {
        "dir": tmp_path / "a_folder",
        "empty": tmp_path / "empty.jsonl",
        "binary": tmp_path / "binary.jsonl",
        "latin1": tmp_path / "latin1.jsonl",
        "types": tmp_path / "types.jsonl",
        "control": tmp_path / "control.jsonl",
        "proof5": tmp_path / "proof5.jsonl",
        "binary_lean": tmp_path / "binary.lean",
        "bench": tmp_path / "bench.jsonl",
        "dup_bench": tmp_path / "dup_bench.jsonl",
        "run": tmp_path / "run",
        "bad_run": tmp_path / "bad_run",
        "model_run": tmp_path / "model_run",
    }
    made["dir"].mkdir()
    made["empty"].write_text("")
    made["binary"].write_bytes(b"\x00\xff\xfe\x01garbage")
    made["latin1"].write_bytes(b'{"state": "a", "tactic": "b"}\n{"state": "caf\xe9", "tactic": "b"}\n')
    made["types"].write_text('{"state": 5, "tactic": "simp"}\n')
    made["control"].write_text('{"state": "a\tb\x01", "tactic": "simp"}\n')
    bench = {"name": "t", "split": "test", "header": "", "formal_statement": STATEMENT}
    made["bench"].write_text(json.dumps(bench) + "\n")
    made["dup_bench"].write_text(json.dumps(bench) + "\n" + json.dumps(bench) + "\n")
    made["proof5"].write_text(json.dumps({"name": "t", "proof": 5}) + "\n")
    made["binary_lean"].write_bytes(b"theorem t : True := \xff\xfe trivial\n")
    made["run"].mkdir()
    (made["run"] / "config.yaml").write_text("loss: dco\n")
    made["bad_run"].mkdir()
    (made["bad_run"] / "config.json").write_text(json.dumps({"config": {"n": 2}}))
    made["model_run"].mkdir()  # a training run without final/: not a model directory
    return {k: str(v) for k, v in made.items()}


CASES = {
    # prover data check
    "data: missing file": (["data", "check", "{tmp}/nope.jsonl"], "no such file"),
    "data: folder": (["data", "check", "{dir}", "--kind", "tactic"], "a folder that datasets cannot read"),
    "data: empty file": (["data", "check", "{empty}", "--kind", "tactic"], "no examples"),
    "search: empty benchmark": (["search", "--model", "org/model", "--benchmark", "{empty}", "--output_dir", "{tmp}/s"],
                                "empty.jsonl: the file is empty"),
    "verify: empty benchmark": (["verify", "{empty}", "--benchmark", "{empty}", "-o", "{tmp}/v.jsonl"],
                                "empty.jsonl: the file is empty"),
    "data: binary": (["data", "check", "{binary}", "--kind", "tactic"], "binary.jsonl:1: not UTF-8"),
    "data: invalid UTF-8 on line 2": (["data", "check", "{latin1}"], "latin1.jsonl:2: not UTF-8"),
    "data: wrong JSON type": (["data", "check", "{types}"], 'types.jsonl:1: field "state" must be a string'),
    "data: control character": (["data", "check", "{control}", "--kind", "tactic"], "malformed JSON (Invalid control character at column"),
    # prover train
    "train: missing data": (["train", "--tiny", "--data", "{tmp}/nope.jsonl", "--output_dir", "{tmp}/out"], "--data {tmp}/nope.jsonl: no such file"),
    "train: nan learning rate": (["train", "--tiny", "--data", "{data}", "--learning_rate", "nan"], "--learning_rate must be a finite number > 0"),
    "train: negative learning rate": (["train", "--tiny", "--data", "{data}", "--learning_rate", "-1"], "--learning_rate must be a finite number > 0"),
    "train: unknown scheduler": (["train", "--tiny", "--data", "{data}", "--lr_scheduler", "bogus"], "--lr_scheduler must be one of"),
    "train: nan epochs": (["train", "--tiny", "--data", "{data}", "--num_epochs", "nan"], "--num_epochs must be a finite number"),
    "train: N with CE": (["train", "--tiny", "--data", "{data}", "--loss", "ce", "--dco_n", "64"], "--loss ce trains with N = 1"),
    "train: search's name for the budget": (["train", "--tiny", "--data", "{data}", "--n", "64"], "--n is now --dco_n here"),
    "train: existing run without resume": (["train", "--tiny", "--data", "{data}", "--output_dir", "{run}"], "already holds a run: pass --resume"),
    "train: missing model": (["train", "--model", "/nonexistent/model", "--data", "{data}"], "--model /nonexistent/model: no such file or directory"),
    "train: a run directory as model": (["train", "--model", "{model_run}", "--data", "{data}"], "not a model directory"),
    # prover search
    "search: missing benchmark": (["search", "--model", "{model_run}/x", "--benchmark", "{tmp}/nope.jsonl"], "--benchmark {tmp}/nope.jsonl: no such file"),
    "search: negative temperature": (["search", "--model", "m", "--benchmark", "{bench}", "--temperature", "-1"], "--temperature must be a finite number >= 0"),
    "search: the training budget's name for the tree's branching": (["search", "--model", "m", "--benchmark", "{bench}", "--n_eff", "2"], "--n_eff is now --branching here"),
    "search: bad shard": (["search", "--model", "m", "--benchmark", "{bench}", "--shard", "3/2"], "--shard must be i/n with 0 <= i < n"),
    "search: top_p above 1": (["search", "--model", "m", "--benchmark", "{bench}", "--top_p", "2"], "--top_p must be a finite number <= 1 and > 0"),
    "search: --resume of a path that is no run": (["search", "--model", "m", "--benchmark", "{bench}", "--resume", "{tmp}/no_run"], "--resume {tmp}/no_run: not a search run directory"),
    "search: tactics without a REPL, before loading a model": (["search", "--model", "m", "--benchmark", "{bench}", "--strategy", "tree", "--output_dir", "{tmp}/r"], "this needs Lean's REPL"),
    # prover verify
    "verify: missing input": (["verify", "{tmp}/nope.lean", "--statement", STATEMENT], "input {tmp}/nope.lean: no such file"),
    "verify: directory input": (["verify", "{dir}", "--statement", STATEMENT], "is a directory"),
    "verify: empty batch": (["verify", "{empty}", "--benchmark", "{bench}", "-o", "{tmp}/v.jsonl"], "no proofs to check"),
    "verify: proof that is not a string": (["verify", "{proof5}", "--benchmark", "{bench}", "-o", "{tmp}/v.jsonl"], 'proof5.jsonl:1: field "proof" must be a string, got 5'),
    "verify: binary proof file": (["verify", "{binary_lean}", "--statement", STATEMENT], "binary.lean:1: not UTF-8"),
    "verify: two references": (["verify", "{binary_lean}", "--statement", STATEMENT, "--benchmark", "{bench}", "--name", "t"], "give the reference one way"),
    "verify: --name in batch mode": (["verify", "{proof5}", "--benchmark", "{bench}", "--name", "t"], "apply to a single proof"),
    "verify: negative memory": (["verify", "{binary_lean}", "--statement", STATEMENT, "--memory_mb", "-5"], "--memory_mb must be a finite number >= 0"),
    "verify: nan timeout": (["verify", "{binary_lean}", "--statement", STATEMENT, "--timeout", "nan"], "--timeout must be a finite number > 0"),
    "verify: duplicate theorem names": (["verify", "{proof5}", "--benchmark", "{dup_bench}"], "dup_bench.jsonl:2: duplicate theorem name 't'"),
    # prover check and prove
    "check: missing file": (["check", "{tmp}/nope.lean"], "file {tmp}/nope.lean: no such file"),
    "check: benchmark without name": (["check", "{binary_lean}", "--benchmark", "{bench}"], "--benchmark and --name go together"),
    "check: binary file": (["check", "{binary_lean}"], "binary.lean:1: not UTF-8"),
    "prove: negative timeout": (["prove", "--statement", STATEMENT, "--timeout", "-1"], "--timeout must be a finite number > 0"),
    # prover report and merge
    "report: missing run": (["report", "{tmp}/nope"], "run {tmp}/nope: no such directory"),
    "report: not a run": (["report", "{dir}"], "no attempts.jsonl"),
    "merge: missing shard": (["merge", "{tmp}/nope", "-o", "{tmp}/merged"], "no config.json"),
    "merge: not the shards of one search": (["merge", "{bad_run}", "-o", "{tmp}/merged"], "merge needs the shards of one search"),
}  # fmt: skip

FULL = {
    "theorem": "t",
    "statement_hash": "h",
    "attempt": 0,
    "strategy": "whole",
    "proof": "p",
    "tactics": [],
    "logprobs": [],
    "status": "proved",
    "verdict": "ok",
    "detail": "",
    "tokens": 1,
    "lean_seconds": 0.1,
}
ATTEMPTS = {
    "report: a line that is not an object": ('[1, 2]\n', "attempts.jsonl:1: expected a JSON object"),
    "report: missing status": (json.dumps({k: v for k, v in FULL.items() if k != "status"}) + "\n", 'attempts.jsonl:1: missing field "status"'),
    "report: attempt is not a number": (json.dumps({**FULL, "attempt": "three"}) + "\n", 'field "attempt" must be an integer'),
    "report: unknown status": (json.dumps({**FULL, "status": "maybe"}) + "\n", 'field "status" cannot be \'maybe\''),
    "report: an attempt recorded twice": (2 * (json.dumps(FULL) + "\n"), "attempts.jsonl:2: attempt 0 of t is already recorded at"),
}  # fmt: skip


def _run(argv, capsys, monkeypatch):
    monkeypatch.setenv("PROVER_LEAN_CMD", LEAN)
    for name in ("PROVER_LEAN_PROJECT", "PROVER_REPL_CMD"):
        monkeypatch.delenv(name, raising=False)
    capsys.readouterr()
    code = main(argv)
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, err


@pytest.mark.parametrize("case", CASES)
def test_misuse_is_one_line_and_exit_code_2(case, files, tmp_path, capsys, monkeypatch):
    template, expected = CASES[case]
    values = {**files, "tmp": str(tmp_path), "data": str(DATA / "tactic_pairs.jsonl")}
    argv = [part.format(**values) for part in template]
    before = _tree(tmp_path)
    code, err = _run(argv, capsys, monkeypatch)
    assert code == 2, (case, err)
    assert len(err) == 1 and err[0].startswith(f"prover {argv[0]}: error: "), (case, err)
    assert expected.format(**values) in err[0], (case, err[0])
    assert _tree(tmp_path) == before, f"{case}: the command changed files"


@pytest.mark.parametrize("case", ATTEMPTS)
def test_report_names_the_bad_attempt_record(case, tmp_path, capsys, monkeypatch):
    text, expected = ATTEMPTS[case]
    run = tmp_path / "run"
    run.mkdir()
    (run / "attempts.jsonl").write_text(text)
    before = _tree(tmp_path)
    code, err = _run(["report", str(run), "-o", str(tmp_path / "out")], capsys, monkeypatch)
    assert code == 2 and len(err) == 1 and expected in err[0], err
    assert _tree(tmp_path) == before


def test_a_bom_and_skip_bad_are_handled(files, tmp_path, capsys, monkeypatch):
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + (DATA / "tactic_pairs.jsonl").read_bytes())
    code, _ = _run(["data", "check", str(bom)], capsys, monkeypatch)
    assert code == 0
    code, err = _run(["data", "check", files["latin1"], "--skip_bad"], capsys, monkeypatch)
    assert code == 0  # the line that is not UTF-8 is skipped and counted
    code, _ = _run(["--log-level", "ERROR", "data", "check", str(bom)], capsys, monkeypatch)
    code_after, _ = _run(["data", "check", str(bom), "--log-level", "ERROR"], capsys, monkeypatch)
    assert code == code_after == 0  # --log-level before or after the stage


def test_a_run_directory_is_found_by_its_final_model(tmp_path):
    from prover.io import resolve_model

    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path)) == os.path.join(str(tmp_path), "final")
    assert resolve_model("org/model") == "org/model"  # a hub name is left to the hub
