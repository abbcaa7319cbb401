"""A run directory's records (prover/search/records.py): what each line must hold, attempt order, pass@k
or why it is not estimable, and what a run spent."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from prover.io import append_jsonl
from prover.metrics import estimate, unfinished
from prover.search.records import (
    Attempt,
    Greedy,
    Status,
    Summary,
    Timing,
    Usage,
    outcomes,
    read_attempts,
    read_greedy,
    read_summary,
    read_usage,
)


def attempt(theorem: str, index: int, status: str = "rejected", **changes) -> Attempt:
    record = Attempt(theorem, "h", index, "whole", "p", ["t"], [-0.5], status, "", "", 3, 0.25)
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def write_run(path, records, greedy=()):
    path.mkdir(parents=True, exist_ok=True)
    for record in records:
        append_jsonl(str(path / "attempts.jsonl"), record if isinstance(record, dict) else record.to_json())
    for record in greedy:
        append_jsonl(str(path / "greedy.jsonl"), record)
    return str(path)


# --------------------------------------------------------------------------- one line of attempts.jsonl


def test_an_attempt_round_trips_and_says_whether_it_proved():
    record = attempt("a", 3, "proved")
    assert Attempt.from_json(json.loads(json.dumps(record.to_json())), "x") == record
    assert record.proved and not attempt("a", 3, "rejected").proved
    assert [s.value for s in Status] == [
        "proved", "rejected", "bad_statement", "lean_error", "max_steps", "budget", "infrastructure_failure",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "change, message",
    [
        ({"attempt": "3"}, 'f.jsonl:7: field "attempt" must be an integer, got \'3\''),
        ({"attempt": True}, 'f.jsonl:7: field "attempt" must be an integer, got True'),
        ({"attempt": -1}, 'f.jsonl:7: field "attempt" must be >= 0'),
        ({"theorem": 1}, 'f.jsonl:7: field "theorem" must be a string, got 1'),
        ({"lean_seconds": "1"}, 'f.jsonl:7: field "lean_seconds" must be a number, got \'1\''),
        ({"tactics": "t"}, 'f.jsonl:7: field "tactics" must be a list, got \'t\''),
        ({"status": "solved"}, 'f.jsonl:7: field "status" cannot be \'solved\''),
        ({"status": None}, 'f.jsonl:7: field "status" must be a string, got None'),
    ],
)
def test_a_bad_field_is_named_by_line_and_field(change, message):
    with pytest.raises(ValueError) as error:
        Attempt.from_json({**attempt("a", 0).to_json(), **change}, "f.jsonl:7")
    assert str(error.value) == message


def test_a_missing_field_or_a_line_that_is_not_an_object_is_named():
    record = attempt("a", 0).to_json()
    del record["proof"]
    with pytest.raises(ValueError) as error:
        Attempt.from_json(record, "f.jsonl:2")
    assert str(error.value) == 'f.jsonl:2: missing field "proof"'
    with pytest.raises(ValueError) as error:
        Attempt.from_json([1], "f.jsonl:3")
    assert str(error.value) == "f.jsonl:3: expected a JSON object, got list"


def test_a_number_field_takes_integers_and_greedy_fields_have_defaults():
    assert Attempt.from_json({**attempt("a", 0).to_json(), "lean_seconds": 2}, "x").lean_seconds == 2
    assert Greedy.from_json({"theorem": "a"}, "x") == Greedy("a")
    with pytest.raises(ValueError, match='g:1: field "correct" must be true or false, got 1'):
        Greedy.from_json({"theorem": "a", "correct": 1}, "g:1")


# --------------------------------------------------------------------------- a run's files


def test_attempts_are_read_with_their_greedy_decodes(tmp_path):
    records = [attempt("a", 1), attempt("a", 0, "proved"), attempt("b", 0)]
    run = write_run(tmp_path / "run", records, [{"theorem": "a", "logprobs": [-0.5], "correct": True}])
    assert read_attempts(run) == records
    assert read_greedy(run) == [Greedy("a", logprobs=[-0.5], correct=True)]
    assert read_greedy(write_run(tmp_path / "no_greedy", records)) == []


def test_an_attempt_recorded_twice_names_both_lines(tmp_path):
    run = write_run(tmp_path / "run", [attempt("a", 0), attempt("b", 0), attempt("a", 0, "proved")])
    with pytest.raises(ValueError) as error:
        read_attempts(run)
    assert str(error.value) == f"{run}/attempts.jsonl:3: attempt 0 of a is already recorded at {run}/attempts.jsonl:1"


def test_a_directory_without_attempts_is_not_a_run(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no attempts.jsonl"):
        read_attempts(str(tmp_path / "empty"))


def test_a_torn_last_line_is_left_out(tmp_path, caplog):
    run = write_run(tmp_path / "run", [attempt("a", 0), attempt("a", 1)])
    with open(f"{run}/attempts.jsonl", "a") as handle:
        handle.write('{"theorem": "a", "attem')
    assert [r.attempt for r in read_attempts(run)] == [0, 1]


def test_summary_and_usage_files_round_trip(tmp_path):
    usage = Usage(Timing(1.0, 2.0, 3.0, 4.0, 5.0, 6.0), tokens=7, lean_calls=8, sessions=2, proof_checks=5, checks_reused=3)
    summary = Summary("whole", 4, 2, ["c"], 1, 8, {1: {"pass_at_k": 0.5, "stderr": 0.1}}, "", usage.seconds, 7, 8, 2, 5, 3)
    assert summary.pass_at_k == {"1": {"pass_at_k": 0.5, "stderr": 0.1}}  # JSON's keys, whatever was given
    assert read_summary(str(tmp_path)) is None and read_usage(str(tmp_path)) == Usage()
    (tmp_path / "summary.json").write_text(json.dumps(summary.to_json()))
    (tmp_path / "usage.json").write_text(json.dumps(usage.to_json()))
    assert read_summary(str(tmp_path)) == summary and read_usage(str(tmp_path)) == usage
    assert summary.usage == usage
    broken = {**usage.to_json(), "seconds": {"wall": "1"}}
    (tmp_path / "usage.json").write_text(json.dumps(broken))
    with pytest.raises(ValueError, match='usage.json: seconds: field "wall" must be a number'):
        read_usage(str(tmp_path))


def test_a_run_written_under_the_earlier_names_reads_as_one_written_now(tmp_path):
    """``repl_failure`` is now ``infrastructure_failure``, ``lean_steps`` is ``lean_calls``: a resume, merge
    or report of an older run reads them, and what it writes uses the new names."""
    old = write_run(tmp_path / "old", [{**attempt("a", 0).to_json(), "status": "repl_failure"}])
    new = write_run(tmp_path / "new", [attempt("a", 0, "infrastructure_failure")])
    assert read_attempts(old) == read_attempts(new) and Status("repl_failure") is Status.INFRASTRUCTURE
    usage = Usage(Timing(wall=1.0), tokens=2, lean_calls=3, sessions=1)
    legacy = {("lean_steps" if k == "lean_calls" else k): v for k, v in usage.to_json().items()}
    (tmp_path / "old" / "usage.json").write_text(json.dumps(legacy))
    assert "lean_steps" in legacy and read_usage(old) == usage
    with pytest.raises(ValueError):
        Status("lean_failure")


# --------------------------------------------------------------------------- what a run spent


def test_usage_and_timing_add_every_field():
    a = Usage(Timing(1, 2, 3, 4, 5, 6), 10, 20, 1, 30, 40)
    b = Usage(Timing(10, 20, 30, 40, 50, 60), 1, 2, 3, 4, 5)
    assert a + b == Usage(Timing(11, 22, 33, 44, 55, 66), 11, 22, 4, 34, 45)
    assert sum([a, b], Usage()) == a + b


def test_timing_describes_where_the_time_went():
    assert Timing(10, 1, 8, 5, 2.5, 7.25, 3.5, 0.5).describe() == (
        "wall 10.0s (model load 1.0s, search 8.0s: generation 5.0s, Lean 2.5s; Lean busy 3.5s, 0.5s of it "
        "while sampling; Lean summed over workers 7.2s)"
    )


# --------------------------------------------------------------------------- outcomes and pass@k


def test_outcomes_are_in_attempt_order_and_bad_statements_apart():
    records = [attempt("a", i, "proved" if i == 2 else "rejected") for i in (1, 3, 2, 0)]
    records += [attempt("b", 0, "bad_statement"), attempt("b", 1), attempt("c", 0, "proved")]
    assert outcomes(records) == ({"a": [False, False, True, False], "c": [True]}, ["b"])


def test_unfinished_counts_what_is_missing():
    results = {"a": [False, False], "b": [True], "c": []}
    assert unfinished(results, ["a", "b"], 2, False).startswith("unfinished: 3 of 4 attempts, 1 of 2 theorems done")
    assert unfinished(results, ["a", "b"], 2, True) is None  # b stopped at its proof
    assert unfinished(results, ["a", "b", "c"], 2, True).startswith("unfinished: 3 of 6 attempts, 2 of 3 theorems")
    assert unfinished({"a": [False, False, False]}, ["a"], 2, False) is None


def test_estimate_gives_pass_at_k_only_for_a_finished_run():
    finished = {"a": [True, False, False, False], "b": [False, False, False, False]}
    table, note = estimate(finished, ["a", "b"], 4, False)
    assert note == "" and set(table) == {"1", "2", "4"}
    assert table["1"]["pass_at_k"] == pytest.approx(0.125) and table["4"]["pass_at_k"] == pytest.approx(0.5)
    assert estimate({"a": [True]}, ["a", "b"], 1, False)[0] is None
    assert "unfinished" in estimate({"a": [True]}, ["a", "b"], 1, False)[1]
    assert estimate(finished, ["a", "b"], 4, True) == (
        None, "stop_on_first: attempts stopped at the first proof, so only solved / theorems is estimable",
    )  # fmt: skip
    assert estimate({}, None, None, False) == (None, "")
    uneven = estimate({"a": [True], "b": [False, False]}, None, None, False)
    assert uneven[0] is None and uneven[1].startswith("the theorems have different numbers of attempts")
    assert estimate({"a": [True], "b": [False]}, None, None, False)[0]["1"]["pass_at_k"] == 0.5


def test_summary_of_a_run():
    records = [attempt("a", i, "proved" if i == 1 else "rejected") for i in range(2)]
    records += [attempt("b", i) for i in range(2)] + [attempt("c", 0, "bad_statement")]
    usage = Usage(Timing(wall=3.0), tokens=9, lean_calls=4, sessions=2, proof_checks=3, checks_reused=1)
    cfg = SimpleNamespace(n=2, stop_on_first=False, strategy="whole")
    summary = Summary.of(records, ["a", "b", "c"], cfg, usage)
    assert (summary.theorems, summary.solved, summary.attempts, summary.bad_statements) == (2, 1, 4, ["c"])
    assert (summary.strategy, summary.n, summary.note) == ("whole", 2, "")
    assert summary.pass_at_k["1"]["pass_at_k"] == 0.25 and summary.pass_at_k["2"]["pass_at_k"] == 0.5
    assert summary.usage == usage
    # a theorem of the run without attempts yet: not estimable, and counted as a theorem
    short = Summary.of(records, ["a", "b", "c", "d"], cfg, usage)
    assert short.pass_at_k is None and short.theorems == 3 and short.note.startswith("unfinished: 4 of 6")


def test_what_a_summary_or_usage_field_must_be_is_named_with_its_file(tmp_path):
    summary = Summary("whole", 2, 1, [], 0, 2, None, "", Timing(), 0, 0).to_json()
    with pytest.raises(ValueError) as error:
        Summary.from_json({**summary, "pass_at_k": [1]}, "s.json")
    assert str(error.value) == 's.json: field "pass_at_k" must be an object or null, got [1]'
    with pytest.raises(ValueError) as error:
        Summary.from_json({**summary, "seconds": 3}, "s.json")
    assert str(error.value) == 's.json: field "seconds" must be an object, got 3'
    with pytest.raises(ValueError) as error:
        Summary.from_json({**summary, "seconds": {"wall": None}}, "s.json")
    assert str(error.value) == 's.json: seconds: field "wall" must be a number, got None'
    with pytest.raises(ValueError) as error:
        Usage.from_json({"tokens": "1"}, "u.json")
    assert str(error.value) == 'u.json: field "tokens" must be an integer, got \'1\''
    assert Usage.from_json({"tokens": 4}, "u.json") == Usage(tokens=4)  # an older usage.json: no seconds


def test_a_bad_line_in_a_run_is_named_by_file_and_line(tmp_path):
    run = write_run(tmp_path / "run", [attempt("a", 0), {**attempt("a", 1).to_json(), "tokens": "3"}])
    with pytest.raises(ValueError) as error:
        read_attempts(run)
    assert str(error.value) == f'{run}/attempts.jsonl:2: field "tokens" must be an integer, got \'3\''
    (tmp_path / "run" / "summary.json").write_text("{")
    with pytest.raises(ValueError, match=r"summary.json: not a run's summary.json"):
        read_summary(run)


def test_a_run_that_is_not_a_directory_is_named(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError) as error:
        read_attempts(str(tmp_path / "file"))
    assert str(error.value) == f"run {tmp_path / 'file'}: is a file, expected a directory"


def test_greedy_round_trips():
    greedy = Greedy("a", proof="p", tactics=["t", "u"], logprobs=[-1.0, -2.0], correct=True, verdict="ok")
    assert Greedy.from_json(json.loads(json.dumps(greedy.to_json())), "x") == greedy
    assert greedy.to_json()["confidence"] == greedy.confidence == pytest.approx(math.exp(-1.0))  # the first
    older = {"theorem": "a", "logprob": -1.0, "confidence": 0.37, "correct": True}  # an earlier run's line
    assert Greedy.from_json(older, "x") == Greedy("a", logprobs=[-1.0], correct=True)
    assert Greedy("b").confidence == 0.0


def test_a_stop_on_first_run_is_finished_at_its_proofs():
    records = [attempt("a", 0, "proved"), attempt("b", 0), attempt("b", 1)]
    cfg = SimpleNamespace(n=2, stop_on_first=True, strategy="whole")
    summary = Summary.of(records, ["a", "b"], cfg, Usage())
    assert summary.pass_at_k is None and summary.note.startswith("stop_on_first:") and summary.solved == 1
    assert estimate({"a": [True], "b": [False, False]}, ["a", "b"], 2, True)[1].startswith("stop_on_first:")


def test_a_run_is_finished_when_every_theorem_has_its_attempts():
    assert unfinished({"a": [True, False], "b": [False, False]}, ["a", "b"], 2, False) is None
    why = unfinished({"a": [True, False], "b": []}, ["a", "b"], 2, False)
    assert why.startswith("unfinished: 2 of 4 attempts, 1 of 2 theorems done")
    assert unfinished({"a": [False]}, ["a"], 2, False) is not None  # killed mid-theorem
    # stop_on_first: a proved theorem is done whatever its count; an unproved one needs all n
    assert unfinished({"a": [False, True], "b": [False, False]}, ["a", "b"], 3, True) is not None
    assert unfinished({"a": [False, True], "b": [False] * 3}, ["a", "b"], 3, True) is None


def test_pass_at_k_is_given_only_where_it_is_estimable():
    table, note = estimate({"a": [True, False], "b": [False, False]}, ["a", "b"], 2, False)
    assert table["2"]["pass_at_k"] == 0.5 and note == ""
    # more attempts for one theorem than another (n lowered with --override_settings, or an old run): none
    table, note = estimate({"a": [True, False, False], "b": [False, False]}, ["a", "b"], 2, False)
    assert table is None and "different numbers of attempts" in note
    table, note = estimate({"a": [True], "b": [False, False]}, None, None, False)  # no config to tell
    assert table is None and "different numbers of attempts" in note
    assert estimate({"a": [True]}, ["a"], 2, True)[0] is None
