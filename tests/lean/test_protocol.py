"""The REPL protocol against the REPL's own recorded transcripts (../shared/data/repl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.lean.protocol import (
    Command,
    CommandResponse,
    ProofStep,
    ProofStepResponse,
    ReplFailure,
    encode,
    parse_response,
    split_replies,
    split_requests,
)

TRANSCRIPTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "repl"
# The transcripts these tests expect, listed here so that a clone without ../shared skips each test with its
# reason instead of collecting none of them.
LISTED = Path(__file__).with_name("transcripts.txt").read_text(encoding="utf-8").split()
MISSING = (
    "the Lean REPL's recorded transcripts are not at {} (the shared/ folder beside the checkout; they come "
    "from github.com/leanprover-community/repl test/, see SOURCE.md there)"
)


def transcript(name: str) -> Path:
    """The transcript ``name``; the test skips, saying what is missing and where it comes from, without it."""
    path = TRANSCRIPTS / name
    if not path.is_file():
        pytest.skip(MISSING.format(path))
    return path


CASES = [n for n in LISTED if n.endswith(".expected.out")]


def _requests(path: Path) -> list[dict]:
    return split_requests(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", CASES)
def test_every_recorded_reply_decodes(name):
    replies = split_replies(transcript(name).read_text(encoding="utf-8"))
    assert replies
    for raw in replies:
        reply = parse_response(raw)
        if isinstance(reply, CommandResponse):
            assert reply.env == raw["env"] and len(reply.messages) == len(raw.get("messages", []))
            assert [s.goal for s in reply.sorries] == [s["goal"] for s in raw.get("sorries", [])]
        elif isinstance(reply, ProofStepResponse):
            assert reply.goals == raw.get("goals", []) and reply.proof_status == raw.get("proofStatus")
        else:
            assert isinstance(reply, ReplFailure) and reply.message == raw["message"]


@pytest.mark.parametrize("name", [n for n in LISTED if n.endswith(".in")])
def test_recorded_requests_reencode_to_one_line_each(name):
    for raw in _requests(transcript(name)):
        if "cmd" in raw and set(raw) <= {"cmd", "env"}:
            request = Command(raw["cmd"], raw.get("env"))
        elif "tactic" in raw and set(raw) <= {"tactic", "proofState"}:
            request = ProofStep(raw["tactic"], raw["proofState"])
        else:
            continue  # options this client does not send (pickling, infotrees, files)
        line = encode(request)
        assert line.endswith("\n\n") and "\n" not in line[:-2]
        assert json.loads(line) == raw


def test_readme_session_types():
    replies = [
        parse_response(r)
        for r in split_replies(transcript("readme.expected.out").read_text(encoding="utf-8"))
    ]
    first, second, third = replies
    assert (
        isinstance(first, CommandResponse)
        and first.sorries[0].goal == "x : Unit\n⊢ Nat"
        and first.sorries[0].proof_state == 0
    )
    assert first.messages[0].data == "declaration uses `sorry`" and not first.errors
    assert (
        isinstance(second, ProofStepResponse) and second.goals == ["x : Unit\n⊢ Int"] and not second.completed
    )
    assert isinstance(third, ProofStepResponse) and third.completed and third.goals == []


def test_raw_newlines_in_a_request_are_lost_as_in_the_repl():
    (request,) = split_requests('{"cmd": "theorem bar : 1 = 1 := by\nrfl"}\n')
    assert request["cmd"] == "theorem bar : 1 = 1 := byrfl"  # the REPL answers: Unknown identifier `byrfl`
    assert json.loads(encode(Command("a\nb")))["cmd"] == "a\nb"


def test_repl_info_severity_reads_as_lean_information():
    (_, reply) = [
        parse_response(r)
        for r in split_replies(transcript("def_eval.expected.out").read_text(encoding="utf-8"))
    ][:2]
    assert reply.messages[0].severity == "information" and reply.messages[0].data == "rfl : f = f"


def test_unknown_fields_are_ignored_and_garbage_is_refused():
    assert parse_response({"env": 3, "newField": [1]}) == CommandResponse(3)
    with pytest.raises(ValueError):
        parse_response({"what": 1})
    with pytest.raises(ValueError):
        parse_response([1, 2])
