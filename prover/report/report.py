"""``prover report RUN [RUN ...]``: pass@k curves, per-problem table, confidence diagnostics, ensembles.

Reads only what search wrote (``attempts.jsonl``, ``greedy.jsonl``, ``config.json``) and writes
``report.json``, ``report.md`` and PNG plots into ``--output``.
"""

from __future__ import annotations

import json
import logging
import os
import textwrap
from dataclasses import asdict
from typing import Any

from prover import metrics
from prover.io import atomic_write_text
from prover.metrics import confidence_split, estimate, pass_at_k_table

logger = logging.getLogger(__name__)


def load_run(run_dir: str) -> dict:
    """Per theorem, the success of each attempt in attempt order; the greedy diagnostics; the settings (the
    run's label is given by ``make_report``)."""
    from prover.search.records import outcomes, read_attempts, read_greedy, read_summary
    from prover.search.store import read_run_config

    results, bad = outcomes(read_attempts(run_dir))
    run_config = read_run_config(run_dir) if os.path.isfile(os.path.join(run_dir, "config.json")) else {}
    config = run_config.get("config", {})
    greedy = read_greedy(run_dir)
    summary = read_summary(run_dir)
    return {
        "seconds": None if summary is None else {**asdict(summary.seconds), "sessions": summary.sessions,
                                                 "proof_checks": summary.proof_checks,
                                                 "checks_reused": summary.checks_reused},  # fmt: skip
        "settings": config,
        "step": run_config.get("model_step"),  # the training step of the model searched (None: unknown)
        "results": results,
        # what a finished run holds: its theorems (from the fingerprint) and n attempts each
        "expected": [t for t in (run_config.get("fingerprint") or {}).get("statements", {}) if t not in bad],
        "stop_on_first": bool(config.get("stop_on_first")),
        "bad_statements": bad,
        "confidence": confidence_split([g.confidence for g in greedy], [g.correct for g in greedy]),
    }


def unfinished(run: dict) -> str | None:
    """Why a run's attempts are not all there, or None (also when its config says too little to tell)."""
    n = run["settings"].get("n")
    if not run.get("expected") or not isinstance(n, int):  # no fingerprint: the attempts as they are
        return None
    return metrics.unfinished(run["results"], run["expected"], n, run["stop_on_first"])


def run_report(run: dict) -> dict:
    results, n = run["results"], run["settings"].get("n")
    pass_at_k, note = estimate(
        results, run.get("expected"), n if isinstance(n, int) else None, run["stop_on_first"]
    )
    theorems = max(len(results), len(run.get("expected") or []))  # theorems not yet started count, unsolved
    entry = {"run": run["name"], "method": run.get("method", run["name"]), "step": run.get("step"),
             "theorems": theorems, "solved": sum(any(v) for v in results.values()),
             "confidence": run["confidence"], "bad_statements": run.get("bad_statements", []),
             "seconds": run.get("seconds"), "pass_at_k": pass_at_k}  # fmt: skip
    if note:
        entry["note"] = note
    return entry


def ensemble(runs: list[dict]) -> dict:
    """Pool the attempts of several runs per theorem and compare with each run at the same total budget."""
    for r in runs:
        if (why := unfinished(r)) is not None:
            raise ValueError(f"--ensemble: {r['name']} is {why.split(';')[0]}")
    names = set.intersection(*(set(r["results"]) for r in runs))
    pooled = {t: [s for r in runs for s in r["results"][t]] for t in sorted(names)}
    total = {len(v) for v in pooled.values()}
    if len(total) != 1:
        raise ValueError("ensemble needs every run to have the same number of attempts per theorem")
    (budget,) = total
    table = pass_at_k_table(pooled)
    comparison = {}
    for r in runs:
        # equal total budget: k samples from the pooled attempts against k samples of the run alone
        n = min(len(r["results"][t]) for t in pooled)
        k = min(n, budget)
        single = pass_at_k_table({t: r["results"][t] for t in pooled}, [k])[k]["pass_at_k"]
        ensemble_k = pass_at_k_table(pooled, [k])[k]["pass_at_k"]
        comparison[r["name"]] = {"k": k, "single": single, "ensemble": ensemble_k}
    return {
        "runs": [r["name"] for r in runs],
        "budget": budget,
        "pass_at_k": {str(k): v for k, v in table.items()},
        "same_budget": comparison,
    }


def per_problem(runs: list[dict]) -> list[dict]:
    names = sorted(set().union(*(r["results"] for r in runs)))
    rows = []
    for name in names:
        row = {"theorem": name}
        for r in runs:
            successes = r["results"].get(name, [])
            row[r["name"]] = next(
                (i for i, ok in enumerate(successes) if ok), None
            )  # first successful attempt
        rows.append(row)
    return rows


def over_training(report: dict) -> dict[str, list[dict]]:
    """Per method (a label given to several runs), its runs in training-step order: drawn against the step
    when a method has at least two checkpoints searched."""
    methods: dict[str, list[dict]] = {}
    for r in report["runs"]:
        if r.get("step") is not None and r["pass_at_k"]:
            methods.setdefault(r["method"], []).append(r)
    if not any(len(runs) > 1 for runs in methods.values()):
        return {}
    return {m: sorted(runs, key=lambda r: r["step"]) for m, runs in methods.items()}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cells(run: dict, ks: list[int]) -> list[str]:
    """A run's pass@k for each k, in % ± one standard error ("—" where the run has no such k)."""
    values = [(run["pass_at_k"] or {}).get(str(k)) for k in ks]
    return [f"{100 * v['pass_at_k']:.1f} ± {100 * v['stderr']:.1f}" if v else "—" for v in values]


def markdown(report: dict) -> str:
    ks = sorted({int(k) for r in report["runs"] if r["pass_at_k"] for k in r["pass_at_k"]})
    header = ["run", "solved", *(f"pass@{k}" for k in ks)]
    runs = ", ".join(r["run"] for r in report["runs"])
    lines = [f"# {report.get('title') or 'pass@k'}: {runs}", ""]
    lines += [f"![{os.path.splitext(os.path.basename(p))[0]}]({os.path.basename(p)})" for p in report.get("plots", [])]
    lines += ["", _row(header), _row(["---"] * len(header))]
    for r in report["runs"]:
        lines.append(_row([r["run"], f"{r['solved']}/{r['theorems']}", *_cells(r, ks)]))
    lines.append("")
    lines.append("pass@k in % (unbiased estimator), ± one standard error over theorems.")
    curves = over_training(report)
    if curves:
        n = max(ks)
        lines += ["", f"Over training: pass@1 and pass@{n} of each method at each checkpoint searched.", "",
                  _row(["method", "step", "solved", "pass@1", f"pass@{n}"]), _row(["---"] * 5)]  # fmt: skip
        for method, checkpoints in curves.items():
            for r in checkpoints:
                lines.append(_row([method, str(r["step"]), f"{r['solved']}/{r['theorems']}", *_cells(r, [1, n])]))
    notes = [f"- {r['run']}: {r['note']}" for r in report["runs"] if r.get("note")]
    notes += [
        f"- {r['run']}: {len(r['bad_statements'])} statement(s) do not elaborate and are left out: "
        + ", ".join(r["bad_statements"])
        for r in report["runs"]
        if r.get("bad_statements")
    ]
    if report.get("ensemble"):
        e = report["ensemble"]
        pooled = e["pass_at_k"].get(str(e["budget"]))
        lines += ["", f"Ensemble of {', '.join(e['runs'])}: {e['budget']} pooled attempts per theorem"
                  + (f", pass@{e['budget']} {100 * pooled['pass_at_k']:.1f}%" if pooled else "") + "."]  # fmt: skip
        for name, c in e["same_budget"].items():
            lines.append(
                f"- at the same budget k={c['k']}: the ensemble {100 * c['ensemble']:.1f}% against {name} alone "
                f"{100 * c['single']:.1f}%"
            )
    timed = [r for r in report["runs"] if r.get("seconds")]
    if timed:
        columns = [("wall", "wall"), ("model_load", "model load"), ("generation", "generation"),
                   ("lean_wall", "Lean (wall)"), ("lean_worker_sum", "Lean (summed over workers)"),
                   ("proof_checks", "proofs Lean checked"), ("checks_reused", "attempts that reused a verdict")]  # fmt: skip
        lines += ["", "Time in seconds: wall is the whole run, model loading included, summed over its sessions (a "
                  "killed and resumed run has several); generation and Lean (wall) are the parts of the search "
                  "spent sampling and waiting on Lean; Lean summed over parallel workers can exceed the wall.",
                  "", _row(["run", *(c for _, c in columns), "sessions"]), _row(["---"] * (len(columns) + 2))]  # fmt: skip
        for r in timed:
            cells = [f"{r['seconds'].get(k, 0.0):.1f}" if k not in _COUNTS else str(r["seconds"].get(k, 0))
                     for k, _ in columns]  # fmt: skip
            lines.append(_row([r["run"], *cells, str(r["seconds"].get("sessions", 1))]))
    rows = report.get("per_problem") or []
    if rows and len(report["runs"]) > 0:
        names = [r["run"] for r in report["runs"]]
        differs = [row for row in rows if len({row[n] is None for n in names}) > 1]
        same = [row for row in rows if row not in differs]
        lines += ["", "Per problem: the first successful attempt (0-based) of each run; — none. Problems solved by "
                  "some runs and not others first.", "", _row(["theorem", *names]), _row(["---"] * (len(names) + 1))]  # fmt: skip
        for row in differs + same:
            lines.append(_row([row["theorem"], *("—" if row[n] is None else str(row[n]) for n in names)]))
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


_COUNTS = ("proof_checks", "checks_reused")
_STYLES = [("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", "-"), ("P", "--")]


def plot(report: dict, output: str) -> list[str]:
    """The report's PNGs: pass@k curves, and the confidence histograms when runs have greedy decodes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for name, figure in (
        ("over_training.png", over_training_figure(report)),
        ("pass_at_k.png", pass_at_k_figure(report)),
        ("confidence.png", confidence_figure(report)),
    ):
        if figure is not None:
            paths.append(os.path.join(output, name))
            figure.savefig(paths[-1], dpi=120)
            plt.close(figure)
    return paths


def over_training_figure(report: dict):
    """pass@1 and pass@N against the training step, one curve per method: what the paper is about (CE's
    pass@N falls as training goes on, DCO's holds)."""
    import matplotlib.pyplot as plt

    curves = over_training(report)
    if not curves:
        return None
    n = max(int(k) for runs in curves.values() for r in runs for k in r["pass_at_k"])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharex=True)
    for ax, k in zip(axes, (1, n)):
        points = {method: [(r["step"], 100 * r["pass_at_k"][str(k)]["pass_at_k"], 100 * r["pass_at_k"][str(k)]["stderr"])
                           for r in runs if str(k) in r["pass_at_k"]] for method, runs in curves.items()}  # fmt: skip
        step_panel(ax, points, f"pass@{k}")
    axes[0].legend(fontsize=8)
    fig.suptitle(textwrap.fill("over training: " + report.get("title", ""), 90), fontsize=9)
    fig.text(0.01, 0.01, "error bars: ± 1 standard error over theorems", fontsize=7)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def step_panel(ax, points: dict[str, list[tuple[int, float, float]]], label: str) -> None:
    """One panel over training: per method, its (step, value %, error) points. Methods are drawn side by side
    (equal values stay visible) and nothing goes below 0 %."""
    steps = sorted({step for method in points.values() for step, _, _ in method})
    width = 0.012 * (steps[-1] - steps[0] or 1)
    for i, (method, drawn) in enumerate(points.items()):
        shift = width * (i - (len(points) - 1) / 2)
        _percent_errorbar(ax, [step + shift for step, _, _ in drawn], [v for _, v, _ in drawn],
                          [e for _, _, e in drawn], i, method)  # fmt: skip
    ax.set_xticks(steps)
    ax.set_xlabel("training step")
    ax.set_ylabel(f"{label} (%)")
    ax.set_title(label, fontsize=9)
    _from_zero(ax)
    ax.grid(alpha=0.3)


def _percent_errorbar(ax, xs: list[float], values: list[float], errors: list[float], i: int, label: str) -> None:
    """A curve of percentages in the ``i``-th style; its error bars never reach below 0 %."""
    marker, line = _STYLES[i % len(_STYLES)]
    below = [min(e, v) for e, v in zip(errors, values)]
    ax.errorbar(xs, values, yerr=[below, errors], marker=marker, linestyle=line, capsize=3, label=label)


def _from_zero(ax) -> None:
    ax.set_ylim(bottom=0, top=max(5.0, ax.get_ylim()[1]))  # all zeros: 0-5 %, not -0.04 to 0.04


def pass_at_k_figure(report: dict):
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(6, 4))
    drawn = [r for r in report["runs"] if r["pass_at_k"]]
    for i, r in enumerate(drawn):
        ks = sorted(int(k) for k in r["pass_at_k"])
        values = [100 * r["pass_at_k"][str(k)]["pass_at_k"] for k in ks]
        errors = [100 * r["pass_at_k"][str(k)]["stderr"] for k in ks]
        shift = 1.04 ** (i - (len(drawn) - 1) / 2)  # side by side on the log axis: equal curves stay visible
        _percent_errorbar(ax, [k * shift for k in ks], values, errors, i, r["run"])
    ensemble = report.get("ensemble")
    if ensemble:
        ks = sorted(int(k) for k in ensemble["pass_at_k"])
        pooled = [ensemble["pass_at_k"][str(k)] for k in ks]
        ax.errorbar(ks, [100 * p["pass_at_k"] for p in pooled], yerr=[100 * p["stderr"] for p in pooled],
                    fmt="k--", marker=".", capsize=3, label=f"ensemble of {len(ensemble['runs'])} (pooled attempts)")  # fmt: skip
    ax.set_xscale("log", base=2)
    all_ks = sorted({int(k) for r in report["runs"] if r["pass_at_k"] for k in r["pass_at_k"]}
                    | ({int(k) for k in ensemble["pass_at_k"]} if ensemble else set()))  # fmt: skip
    if all_ks:
        ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(all_ks))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%d"))
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("k (samples per theorem)")
    ax.set_ylabel("pass@k (%)")
    _from_zero(ax)
    ax.set_title(textwrap.fill(report.get("title", "pass@k"), 60), fontsize=9)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[1]:
        ax.legend(fontsize=8)
    fig.text(0.01, 0.01, "error bars: ± 1 standard error over theorems; runs drawn side by side", fontsize=7)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def confidence_figure(report: dict):
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    with_conf = [r for r in report["runs"] if r["confidence"]["correct"] or r["confidence"]["wrong"]]
    if not with_conf:
        return None
    fig, axes = plt.subplots(1, len(with_conf), figsize=(4 * len(with_conf), 3.2), squeeze=False)
    for ax, r in zip(axes[0], with_conf):
        ax.hist([r["confidence"]["correct"], r["confidence"]["wrong"]], bins=10, range=(0, 1),
                label=["correct", "wrong"])  # fmt: skip
        ax.set_title(r["run"], fontsize=9)
        ax.set_xlabel("probability of the greedy proof / first tactic")
        ax.set_ylabel("theorems")
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.legend()
    fig.suptitle(textwrap.fill("probability of the greedy decode, right against wrong: "
                               + report.get("title", ""), 90), fontsize=9)  # fmt: skip
    fig.tight_layout()
    return fig


def _title(runs: list[dict]) -> str:
    """Benchmark, split and N of the runs, from their settings."""
    seen = {
        (os.path.basename(str(r["settings"].get("benchmark", "?"))), r["settings"].get("split", "?"),
         r["settings"].get("n", "?"))
        for r in runs
    }  # fmt: skip
    return "; ".join(f"pass@k on {b} ({s} split), N = {n}" for b, s, n in sorted(seen, key=str))


def labels(run_dirs: list[str]) -> list[str]:
    """The shortest path suffixes that tell the runs apart (``a/ce`` and ``b/ce``, not ``ce`` twice)."""
    parts = [os.path.normpath(os.path.abspath(d)).split(os.sep) for d in run_dirs]
    for depth in range(1, max(len(p) for p in parts) + 1):
        names = [os.sep.join(p[-depth:]) for p in parts]
        if len(set(names)) == len(names):
            return names
    return [os.path.normpath(d) for d in run_dirs]


def make_report(
    run_dirs: list[str], output: str, with_ensemble: bool = False, names: list[str] | None = None
) -> dict:
    real = [os.path.realpath(d) for d in run_dirs]
    twice = sorted({d for d, r in zip(run_dirs, real) if real.count(r) > 1})
    if twice:
        raise ValueError(f"the same run is given twice: {', '.join(twice)}")
    if names and len(names) != len(run_dirs):
        raise ValueError(
            f"--label: {len(names)} label(s) for {len(run_dirs)} runs; give one per run, in order"
        )
    names = names or labels(run_dirs)
    runs = [{**load_run(d), "method": name, "name": name} for d, name in zip(run_dirs, names)]
    if len(set(names)) != len(names):  # one label for several checkpoints of a method: told apart by step
        keys = [(r["method"], r["step"]) for r in runs]
        if any(step is None for _, step in keys) or len(set(keys)) != len(keys):
            raise ValueError(
                f"--label: the runs need distinct labels, got {names} (a label may name several runs only when "
                "they searched checkpoints of different training steps)"
            )
        for r in runs:
            r["name"] = f"{r['method']} @ {r['step']}"
    report: dict[str, Any] = {
        "runs": [run_report(r) for r in runs],
        "per_problem": per_problem(runs),
        "title": _title(runs),
    }
    if with_ensemble:
        report["ensemble"] = ensemble(runs)
    os.makedirs(output, exist_ok=True)
    report["plots"] = plot(report, output)
    atomic_write_text(os.path.join(output, "report.json"), json.dumps(report, indent=1))
    atomic_write_text(os.path.join(output, "report.md"), markdown(report))
    return report
