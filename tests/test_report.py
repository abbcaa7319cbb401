"""`prover report` on small run directories: numbers, tables, plots, ensembles."""

from __future__ import annotations

import json
import math

import pytest

from prover.cli import main
from prover.io import append_jsonl


def attempt(theorem: str, index: int, status: str) -> dict:
    """A complete attempts.jsonl record, as search writes it."""
    from prover.search.records import Attempt

    return Attempt(theorem, "h", index, "whole", "p", [], [], status, "", "", 1, 0.0).to_json()


def make_run(path, successes: dict[str, list[bool]], stop_on_first=False, greedy=()):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"config": {"stop_on_first": stop_on_first}}))
    for theorem, flags in successes.items():
        for i, ok in enumerate(flags):
            append_jsonl(str(path / "attempts.jsonl"), attempt(theorem, i, "proved" if ok else "rejected"))
    for theorem, confidence, correct in greedy:
        append_jsonl(
            str(path / "greedy.jsonl"), {"theorem": theorem, "logprobs": [math.log(confidence)], "correct": correct}
        )
    return path


def test_report_numbers_tables_and_plots(tmp_path, capsys):
    ce = make_run(
        tmp_path / "ce",
        {"a": [True, True, True, True], "b": [False] * 4},
        greedy=[("a", 0.99, True), ("b", 0.95, False)],
    )
    dco = make_run(
        tmp_path / "dco",
        {"a": [False, True, False, False], "b": [False, False, True, False]},
        greedy=[("a", 0.4, True)],
    )
    out = tmp_path / "report"
    assert main(["report", str(ce), str(dco), "-o", str(out), "--ensemble"]) == 0
    report = json.loads((out / "report.json").read_text())
    ce_row, dco_row = report["runs"]
    assert ce_row["pass_at_k"]["1"]["pass_at_k"] == pytest.approx(0.5) and ce_row["pass_at_k"]["4"][
        "pass_at_k"
    ] == pytest.approx(0.5)
    assert dco_row["pass_at_k"]["1"]["pass_at_k"] == pytest.approx(0.25) and dco_row["pass_at_k"]["4"][
        "pass_at_k"
    ] == pytest.approx(1.0)
    assert report["per_problem"] == [
        {"theorem": "a", "ce": 0, "dco": 1},
        {"theorem": "b", "ce": None, "dco": 2},
    ]
    assert ce_row["confidence"] == {"correct": [0.99], "wrong": [0.95]}
    assert report["ensemble"]["budget"] == 8 and report["ensemble"]["pass_at_k"]["8"]["pass_at_k"] == 1.0
    # each run has 4 attempts: compared at the same total budget, k = 4 pooled attempts against 4 of the run
    assert report["ensemble"]["same_budget"]["ce"] == {"k": 4, "single": 0.5, "ensemble": pytest.approx(0.75)}
    for name in ("report.md", "pass_at_k.png", "confidence.png"):
        assert (out / name).stat().st_size > 0
    printed = capsys.readouterr().out
    assert "| dco | 2/2 |" in printed and "the ensemble 75.0% against ce alone 50.0%" in printed
    assert "| theorem | ce | dco |" in printed and printed.index("| b | — | 2 |") < printed.index(
        "| a | 0 | 1 |"
    )


def test_runs_with_the_same_basename_keep_apart_and_tables_are_well_formed(tmp_path):
    first = make_run(tmp_path / "x" / "run", {"a": [True, False]})
    second = make_run(tmp_path / "y" / "run", {"a": [False, False]})
    out = tmp_path / "report"
    assert main(["report", str(first), str(second), "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert [r["run"] for r in report["runs"]] == ["x/run", "y/run"]
    assert main(["report", str(first), str(second), "-o", str(out), "--label", "ce", "dco"]) == 0
    text = (out / "report.md").read_text()
    assert "| ce | 1/1 |" in text and "| dco | 0/1 |" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len({line.count("|") for line in table[:4]}) == 1


def test_stop_on_first_runs_report_no_pass_at_k(tmp_path):
    run = make_run(tmp_path / "sof", {"a": [False, True], "b": [False] * 4}, stop_on_first=True)
    assert main(["report", str(run)]) == 0
    report = json.loads((run / "report.json").read_text())
    assert report["runs"][0]["pass_at_k"] is None and "only solved" in report["runs"][0]["note"]


def test_not_a_run_directory_is_an_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a search run directory" in capsys.readouterr().err


def test_statements_that_do_not_elaborate_are_counted_apart(tmp_path):
    run = make_run(tmp_path / "run", {"a": [True, False]})
    from prover.io import append_jsonl

    for i in range(2):
        append_jsonl(str(run / "attempts.jsonl"), attempt("broken", i, "bad_statement"))
    out = tmp_path / "report"
    assert main(["report", str(run), "-o", str(out)]) == 0
    (row,) = json.loads((out / "report.json").read_text())["runs"]
    assert row["theorems"] == 1 and row["bad_statements"] == ["broken"]
    assert row["pass_at_k"]["2"]["pass_at_k"] == 1.0  # pass@k over the statements that elaborate
    assert "1 statement(s) do not elaborate and are left out: broken" in (out / "report.md").read_text()


def test_report_states_where_each_runs_time_went(tmp_path):
    from prover.search.records import Summary, Timing
    from prover.search.store import write_record

    run = make_run(tmp_path / "ce", {"a": [True, False]})
    seconds = Timing(
        wall=100.0, model_load=20.0, search=79.0, generation=50.0, lean_wall=25.0, lean_worker_sum=90.0
    )
    summary = Summary("whole", 2, 1, [], 1, 2, None, "", seconds, 10, 3, proof_checks=2, checks_reused=7)
    write_record(str(run), "summary.json", summary)
    out = tmp_path / "report"
    assert main(["report", str(run), "-o", str(out)]) == 0
    text = (out / "report.md").read_text()
    assert text.startswith("# pass@k on ") and text.splitlines()[0].endswith(": ce")  # names what it reports
    assert "![pass_at_k](pass_at_k.png)" in text
    assert (
        "| run | wall | model load | generation | Lean (wall) | Lean (summed over workers) | proofs Lean checked "
        "| attempts that reused a verdict | sessions |" in text
    )
    assert "| ce | 100.0 | 20.0 | 50.0 | 25.0 | 90.0 | 2 | 7 | 1 |" in text
    assert json.loads((out / "report.json").read_text())["runs"][0]["seconds"]["lean_wall"] == 25.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"solved": "1"}, 'field "solved" must be an integer'),
        ({"seconds": {"wall": "fast"}}, 'seconds: field "wall" must be a number'),
        ({"pass_at_k": []}, 'field "pass_at_k" must be an object or null'),
    ],
)
def test_a_broken_summary_is_named_by_file_and_field(tmp_path, capsys, change, message):
    from prover.search.records import Summary, Timing

    run = make_run(tmp_path / "ce", {"a": [True]})
    record = {**Summary("whole", 1, 1, [], 1, 1, None, "", Timing(), 0, 0).to_json(), **change}
    (run / "summary.json").write_text(json.dumps(record))
    assert main(["report", str(run), "-o", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "summary.json" in err and message in err and len(err.strip().splitlines()) == 1


def test_plots_say_what_they_show(tmp_path):
    """Two runs named `run` in different folders, and their ensemble: the figure's title, legend, ticks,
    axes and caption, as a reader sees them."""
    import matplotlib

    matplotlib.use("Agg")
    from prover.report.report import confidence_figure, make_report, pass_at_k_figure

    runs = []
    for folder, flags in (("x", [True, False, False, True]), ("y", [False, False, True, False])):
        run = make_run(tmp_path / folder / "run", {"a": flags, "b": [False] * 4}, greedy=[("a", 0.7, True)])
        config = {"stop_on_first": False, "benchmark": "data/minif2f.jsonl", "split": "valid", "n": 4}
        (run / "config.json").write_text(json.dumps({"config": config}))
        runs.append(str(run))
    report = make_report(runs, str(tmp_path / "report"), with_ensemble=True)
    (ax,) = pass_at_k_figure(report).axes
    assert ax.get_title() == "pass@k on minif2f.jsonl (valid split), N = 4"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "x/run",
        "y/run",
        "ensemble of 2 (pooled attempts)",
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4", "8"]
    assert ax.get_xlabel() == "k (samples per theorem)" and ax.get_ylabel() == "pass@k (%)"
    assert "standard error" in " ".join(t.get_text() for t in ax.figure.texts)
    (hist,) = confidence_figure(report).axes[:1]
    assert hist.get_ylabel() == "theorems" and hist.get_title() == "x/run"
    text = (tmp_path / "report" / "report.md").read_text()
    assert "| x/run | 1/2 |" in text and "| y/run | 1/2 |" in text
    assert "at the same budget k=4: the ensemble" in text and "against x/run alone" in text


def test_an_unfinished_run_is_reported_as_such_not_as_a_smaller_benchmark(tmp_path, capsys):
    """A run killed after theorem a: its pass@k would be over the theorems it reached, so none is given."""
    run = make_run(tmp_path / "killed", {"a": [True, False, False, False]})
    fingerprint = {"statements": {"a": "1", "b": "2"}}
    (run / "config.json").write_text(
        json.dumps({"config": {"n": 4, "stop_on_first": False}, "fingerprint": fingerprint})
    )
    out = tmp_path / "report"
    assert main(["report", str(run), "-o", str(out)]) == 0
    (row,) = json.loads((out / "report.json").read_text())["runs"]
    assert row["pass_at_k"] is None and row["solved"] == 1 and row["theorems"] == 2
    assert row["note"].startswith("unfinished: 4 of 8 attempts, 1 of 2 theorems done")
    assert "| killed | 1/2 |" in (out / "report.md").read_text()
    finished = make_run(tmp_path / "finished", {"a": [True] * 4, "b": [False] * 4})
    (finished / "config.json").write_text(
        json.dumps({"config": {"n": 4, "stop_on_first": False}, "fingerprint": fingerprint})
    )
    assert main(["report", str(finished), str(run), "-o", str(out), "--ensemble"]) == 2
    assert "--ensemble: killed is unfinished: 4 of 8 attempts" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{a}", "{b}", "--label", "ce"], "--label: 1 label(s) for 2 runs"),
        (["{a}", "{b}", "--label", "ce", "dco", "x"], "--label: 3 label(s) for 2 runs"),
        (["{a}", "{a}/"], "the same run is given twice"),
        (["{a}", "{b}", "--label", "ce", "ce"], "--label: the runs need distinct labels"),
    ],
)
def test_labels_and_runs_must_match_one_to_one(tmp_path, capsys, argv, message):
    """A run left out or shown twice would change the comparison without a word."""
    a, b = make_run(tmp_path / "a", {"t": [True]}), make_run(tmp_path / "b", {"t": [False]})
    out = tmp_path / "report"
    assert main(["report", *(x.format(a=a, b=b) for x in argv), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and not out.exists()


def test_attempts_written_out_of_order_are_read_in_attempt_order(tmp_path):
    """Rollout writes attempts as they finish (1, 3, 4, 0, 2, 5): the per-problem first success and the
    group estimator read them by attempt index, not by line."""
    run = tmp_path / "rollout"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"config": {"stop_on_first": False}}))
    for i in (1, 3, 4, 0, 2, 5):
        append_jsonl(str(run / "attempts.jsonl"), attempt("a", i, "proved" if i in (2, 5) else "rejected"))
    out = tmp_path / "report"
    assert main(["report", str(run), "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["per_problem"] == [{"theorem": "a", "rollout": 2}]  # attempt 2, not the 5th line
    from prover.search.records import outcomes, read_attempts

    assert outcomes(read_attempts(str(run)))[0] == {"a": [False, False, True, False, False, True]}


def _checkpoint_run(path, flags: dict[str, list[bool]], step: int | None):
    run = make_run(path, flags)
    config = {"config": {"stop_on_first": False, "n": 4, "benchmark": "b.jsonl", "split": "test"},
              "model_step": step}  # fmt: skip
    (run / "config.json").write_text(json.dumps(config))
    return str(run)


def test_checkpoints_of_one_method_are_drawn_over_training(tmp_path):
    """One label for several checkpoints: a curve per method against the step, pass@1 and pass@N, in step
    order whatever the order given; equal curves side by side; nothing below 0 %."""
    from prover.report.report import make_report, over_training, over_training_figure

    flags = {"a": [True, False, False, False], "b": [False] * 4}
    runs = [_checkpoint_run(tmp_path / "ce-late", {"a": [False] * 4, "b": [False] * 4}, 1200),
            _checkpoint_run(tmp_path / "ce-early", flags, 300),
            _checkpoint_run(tmp_path / "dco-early", flags, 300),
            _checkpoint_run(tmp_path / "dco-late", {"a": [True] * 4, "b": [True, False, False, False]}, 1200)]  # fmt: skip
    report = make_report(runs, str(tmp_path / "report"), names=["CE", "CE", "DCO", "DCO"])
    assert [r["run"] for r in report["runs"]] == ["CE @ 1200", "CE @ 300", "DCO @ 300", "DCO @ 1200"]
    curves = over_training(report)
    assert {m: [r["step"] for r in rs] for m, rs in curves.items()} == {"CE": [300, 1200], "DCO": [300, 1200]}
    fig = over_training_figure(report)
    left, right = fig.axes
    assert left.get_ylabel() == "pass@1 (%)" and right.get_ylabel() == "pass@4 (%)"
    for ax in fig.axes:
        assert ax.get_ylim()[0] == 0 and ax.get_xlabel() == "training step"
        ce, dco = (c.lines[0].get_xydata() for c in ax.containers)  # each method's points
        assert (ce[0][0] < 300 < dco[0][0]) and ce[0][1] == dco[0][1]  # equal at 300: both visible
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["CE", "DCO"]
    text = (tmp_path / "report" / "report.md").read_text()
    assert "![over_training](over_training.png)" in text
    assert "| CE | 300 | 1/2 | 12.5 ± 12.5 | 50.0 ± 50.0 |" in text and "| CE | 1200 | 0/2 | 0.0 ± 0.0 | 0.0 ± 0.0 |" in text
    assert (tmp_path / "report" / "over_training.png").stat().st_size > 0


def test_one_label_for_runs_of_the_same_step_or_of_unknown_steps_is_refused(tmp_path, capsys):
    from prover.report.report import make_report, over_training

    same = [_checkpoint_run(tmp_path / f"r{i}", {"a": [True]}, 300) for i in range(2)]
    unknown = [_checkpoint_run(tmp_path / f"u{i}", {"a": [True]}, step) for i, step in enumerate((None, 300))]
    for runs in (same, unknown):
        assert main(["report", *runs, "--label", "CE", "CE", "-o", str(tmp_path / "out")]) == 2
        assert "a label may name several runs only when they searched checkpoints" in capsys.readouterr().err
    one_each = make_report(same, str(tmp_path / "distinct"), names=["CE", "DCO"])  # one checkpoint each
    assert over_training(one_each) == {} and not (tmp_path / "distinct" / "over_training.png").exists()


def test_a_pass_at_k_figure_of_zeros_shows_no_negative_percentage(tmp_path):
    from prover.report.report import make_report, pass_at_k_figure

    run = make_run(tmp_path / "zero", {"a": [False] * 4, "b": [False] * 4})
    (ax,) = pass_at_k_figure(make_report([str(run)], str(tmp_path / "report"))).axes
    assert ax.get_ylim() == (0.0, 5.0)


def test_the_training_step_of_a_searched_model(tmp_path):
    from prover.run_dir import training_step

    ours, hf, named, neither = (tmp_path / n for n in ("ours", "hf", "checkpoint-40", "final"))
    for d in (ours, hf, named, neither):
        d.mkdir()
    (ours / "trainer_state.json").write_text(json.dumps({"step": 300}))
    (hf / "trainer_state.json").write_text(json.dumps({"global_step": 1200, "epoch": 3.0}))
    (named / "trainer_state.json").write_text("not json")
    assert [training_step(str(d)) for d in (ours, hf, named, neither)] == [300, 1200, 40, None]
    assert training_step("deepseek-ai/DeepSeek-Prover-V1.5-RL") is None
