"""``prover report RUN [RUN ...]``: pass@k curves, per-problem table, confidence diagnostics, ensembles.

Reads only what search wrote (``attempts.jsonl``, ``greedy.jsonl``, ``config.json``) and writes
``report.json``, ``report.md`` and PNG plots into ``--output``.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict

from prover.metrics import confidence_split, pass_at_k_table
from prover.records import atomic_write_text, read_jsonl

logger = logging.getLogger(__name__)


def load_run(run_dir: str) -> dict:
    """Per theorem, the success of each attempt in attempt order; the greedy diagnostics; the settings."""
    path = os.path.join(run_dir, "attempts.jsonl")
    if not os.path.isfile(path):
        raise ValueError(f"{run_dir}: no attempts.jsonl (not a search run directory)")
    attempts: dict[str, dict[int, bool]] = defaultdict(dict)
    for record in read_jsonl(path):
        attempts[record["theorem"]][record["attempt"]] = record["status"] == "proved"
    config_path = os.path.join(run_dir, "config.json")
    config = {}
    if os.path.isfile(config_path):
        with open(config_path, encoding="utf-8") as handle:
            config = json.load(handle)["config"]
    greedy = list(read_jsonl(os.path.join(run_dir, "greedy.jsonl")))
    return {
        "name": os.path.basename(os.path.normpath(run_dir)),
        "results": {t: [a[i] for i in sorted(a)] for t, a in attempts.items()},
        "stop_on_first": bool(config.get("stop_on_first")),
        "confidence": confidence_split([g["confidence"] for g in greedy], [g["correct"] for g in greedy]),
    }


def run_report(run: dict) -> dict:
    results = run["results"]
    counts = {len(v) for v in results.values()}
    solved = sum(any(v) for v in results.values())
    entry = {"run": run["name"], "theorems": len(results), "solved": solved, "confidence": run["confidence"]}
    if run["stop_on_first"] or len(counts) != 1:
        entry["pass_at_k"] = None
        entry["note"] = (
            "attempts stopped at the first proof (or runs unfinished): only solved / theorems is estimable"
        )
    else:
        entry["pass_at_k"] = {str(k): v for k, v in pass_at_k_table(results).items()}
    return entry


def ensemble(runs: list[dict]) -> dict:
    """Pool the attempts of several runs per theorem and compare with each run at the same total budget."""
    names = set.intersection(*(set(r["results"]) for r in runs))
    pooled = {t: [s for r in runs for s in r["results"][t]] for t in sorted(names)}
    total = {len(v) for v in pooled.values()}
    if len(total) != 1:
        raise ValueError("ensemble needs every run to have the same number of attempts per theorem")
    (budget,) = total
    table = pass_at_k_table(pooled)
    comparison = {}
    for r in runs:
        n = len(next(iter(r["results"].values())))
        if n >= budget:  # the single run has at least the pooled budget: compare at that budget
            single = pass_at_k_table({t: r["results"][t] for t in pooled}, [budget])[budget]["pass_at_k"]
            comparison[r["name"]] = {"k": budget, "single": single, "ensemble": table[budget]["pass_at_k"]}
        else:
            comparison[r["name"]] = {
                "k": budget,
                "single": None,
                "note": f"the run has {n} < {budget} attempts",
            }
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


def markdown(report: dict) -> str:
    ks = sorted({int(k) for r in report["runs"] if r["pass_at_k"] for k in r["pass_at_k"]})
    lines = ["| run | solved | " + " | ".join(f"pass@{k}" for k in ks) + " |", "|---|---|" + "---|" * len(ks)]
    for r in report["runs"]:
        cells = []
        for k in ks:
            v = (r["pass_at_k"] or {}).get(str(k))
            cells.append(f"{100 * v['pass_at_k']:.1f} ± {100 * v['stderr']:.1f}" if v else "—")
        lines.append(f"| {r['run']} | {r['solved']}/{r['theorems']} | " + " | ".join(cells) + " |")
    notes = [f"- {r['run']}: {r['note']}" for r in report["runs"] if r.get("note")]
    if report.get("ensemble"):
        e = report["ensemble"]
        lines += ["", f"Ensemble of {', '.join(e['runs'])} (budget {e['budget']} per theorem):"]
        for name, c in e["same_budget"].items():
            lines.append(
                f"- vs {name} at k={c['k']}: "
                + (
                    f"ensemble {100 * c['ensemble']:.1f} vs single {100 * c['single']:.1f}"
                    if c["single"] is not None
                    else c["note"]
                )
            )
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def plot(report: dict, output: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    paths = []
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in report["runs"]:
        if r["pass_at_k"]:
            ks = sorted(int(k) for k in r["pass_at_k"])
            values = [100 * r["pass_at_k"][str(k)]["pass_at_k"] for k in ks]
            errors = [100 * r["pass_at_k"][str(k)]["stderr"] for k in ks]
            ax.errorbar(ks, values, yerr=errors, marker="o", capsize=3, label=r["run"])
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel("k (samples per theorem)")
    ax.set_ylabel("pass@k (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    paths.append(os.path.join(output, "pass_at_k.png"))
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    with_conf = [r for r in report["runs"] if r["confidence"]["correct"] or r["confidence"]["wrong"]]
    if with_conf:
        fig, axes = plt.subplots(1, len(with_conf), figsize=(4 * len(with_conf), 3.2), squeeze=False)
        for ax, r in zip(axes[0], with_conf):
            ax.hist(
                [r["confidence"]["correct"], r["confidence"]["wrong"]],
                bins=10,
                range=(0, 1),
                label=["correct", "wrong"],
            )
            ax.set_title(r["run"])
            ax.set_xlabel("probability of the greedy proof / first tactic")
            ax.legend()
        fig.tight_layout()
        paths.append(os.path.join(output, "confidence.png"))
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    return paths


def make_report(run_dirs: list[str], output: str, with_ensemble: bool = False) -> dict:
    runs = [load_run(d) for d in run_dirs]
    report = {"runs": [run_report(r) for r in runs], "per_problem": per_problem(runs)}
    if with_ensemble:
        report["ensemble"] = ensemble(runs)
    os.makedirs(output, exist_ok=True)
    report["plots"] = plot(report, output)
    atomic_write_text(os.path.join(output, "report.json"), json.dumps(report, indent=1))
    atomic_write_text(os.path.join(output, "report.md"), markdown(report))
    return report
