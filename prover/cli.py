"""The ``prover`` command: one subcommand per stage, each parsed into its config and handed to ``run_<stage>``.

Heavy libraries are imported inside the subcommands, so ``prover --help`` is instant on any machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prover import __version__
from prover.config import (
    CheckConfig,
    ProveConfig,
    SearchConfig,
    TrainConfig,
    VerifyConfig,
)
from prover.flags import add_dataclass_arguments, config_from_namespace

logger = logging.getLogger("prover")
LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]


def _train(args: argparse.Namespace) -> int:
    cfg = config_from_namespace(TrainConfig, args)
    cfg.check_paths()
    from prover.train.loop import run_train

    final = run_train(cfg)
    if os.environ.get("RANK", "0") == "0":  # one line under torchrun / accelerate launch too
        print(final)
    return 0


def _verify(args: argparse.Namespace) -> int:
    cfg = config_from_namespace(VerifyConfig, args)
    cfg.check_paths()
    from prover.verify.command import run_verify

    return run_verify(cfg)


def _search(args: argparse.Namespace) -> int:
    cfg = config_from_namespace(SearchConfig, args)
    cfg.check_paths()
    from prover.search.run import run_search

    summary = run_search(cfg)
    print(f"solved {summary.solved} / {summary.theorems} -> {cfg.output_dir}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from prover.search.merge import merge_runs

    summary = merge_runs(args.shards, args.output)
    print(f"merged {len(args.shards)} shards: solved {summary.solved} / {summary.theorems} -> {args.output}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from prover.report.report import make_report

    output = args.output or (args.runs[0] if len(args.runs) == 1 else "report")
    report = make_report(args.runs, output, args.ensemble, args.label or None)
    from prover.report.report import markdown

    print(markdown(report), end="")
    print(f"-> {output}/report.json, report.md, " + ", ".join(os.path.basename(p) for p in report["plots"]))
    return 0


def _check(args: argparse.Namespace) -> int:
    cfg = config_from_namespace(CheckConfig, args)
    cfg.check_paths()
    from prover.io import read_text
    from prover.lean.setup import LeanSetup
    from prover.verify.checker import Checker, CheckSettings
    from prover.verify.command import reference_from
    from prover.verify.interactive import main_check
    from prover.verify.policy import Reference

    source = "<stdin>" if cfg.file == "-" else cfg.file
    code = read_text(cfg.file, "file")
    reference = reference_from(cfg.statement, cfg.header, cfg.benchmark, cfg.name)
    settings = CheckSettings.of(cfg, backend="file", confirm=False, workers=1)  # one file, one Lean
    setup = LeanSetup.from_env()
    setup.require_for([reference] if reference else [Reference("the file", "", code)])
    logger.info("Lean: %s", setup.describe())
    checker = Checker(settings, setup)
    return main_check(code, source, checker.run, reference, cfg.allow_native_decide)


def _prove(args: argparse.Namespace) -> int:
    cfg = config_from_namespace(ProveConfig, args)
    cfg.check_paths()
    from prover.lean.repl import LeanRepl
    from prover.lean.setup import LeanSetup
    from prover.verify.checker import Checker, CheckSettings
    from prover.verify.command import reference_from
    from prover.verify.interactive import ProofSession, interact

    setup = LeanSetup.from_env()
    settings = setup.require_repl(cfg.memory_mb or None)  # the session drives Lean's REPL
    checks = CheckSettings.of(cfg, backend="file", confirm=False, workers=1, allow_native_decide=False)
    verify = Checker(checks, setup).file_check
    reference = reference_from(cfg.statement, cfg.header, cfg.benchmark, cfg.name)
    assert reference is not None  # ProveConfig.check_paths asked for one
    sampler = None
    if cfg.model:
        from prover.search.samplers import HFSampler

        sampler = HFSampler.from_pretrained(cfg.model)
    session = ProofSession(
        reference, lambda: LeanRepl(settings), verify, sampler, cfg.timeout, cfg.tactic_prompt
    )
    return interact(session)


def _data_check(args: argparse.Namespace) -> int:
    from collections import Counter

    from prover.train.data import ProofExample, ReadReport, drop_contaminated, read_examples

    report = ReadReport()
    examples = read_examples(args.file, args.kind, args.split, args.skip_bad, report)
    if args.benchmark:
        examples = drop_contaminated(examples, args.benchmark, report)
    kinds = Counter("whole proof" if isinstance(e, ProofExample) else "tactic pair" for e in examples)
    traces = {e.trace_id for e in examples if not isinstance(e, ProofExample) and e.trace_id is not None}
    if not examples:
        raise ValueError(
            f"{args.file}: no examples ({report.bad} bad skipped, {report.contaminated} contaminated)"
        )
    summary = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items()))
    print(
        f"{args.file}: {summary}; {len(traces)} traces; {report.bad} bad skipped; {report.contaminated} contaminated"
    )
    return 0


def _data_trace(args: argparse.Namespace) -> int:
    from prover.train.dojo import trace_to_jsonl

    trace_to_jsonl(args.repo, args.commit, args.output)
    return 0


def _data_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", help=".jsonl (tactic pairs / whole proofs), LeanDojo .json, folder or hub name"
    )
    parser.add_argument("--kind", default="auto", choices=["auto", "tactic", "leandojo", "whole"])
    parser.add_argument("--split", default="train", help="split for dataset names and folders")
    parser.add_argument(
        "--skip-bad",
        "--skip_bad",
        dest="skip_bad",
        action="store_true",
        help="count bad lines instead of stopping",
    )
    parser.add_argument(
        "--benchmark", default="", help="benchmark JSONL whose theorems are dropped (contamination guard)"
    )


def _data_trace_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repo", help="git URL of the Lean 4 repository")
    parser.add_argument("commit", help="commit hash or tag")
    parser.add_argument("-o", "--output", required=True, help="output tactic-pairs JSONL")


def _merge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shards", nargs="+", metavar="SHARD", help="shard run directories")
    parser.add_argument("-o", "--output", required=True, help="the merged run directory")


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN", help="search run directories")
    parser.add_argument(
        "-o", "--output", default="", help="output folder (default: the run itself, or ./report)"
    )
    parser.add_argument("--ensemble", action="store_true", help="also pool the runs' attempts per theorem")
    parser.add_argument(
        "--label",
        nargs="+",
        default=[],
        help="one name per run (default: the shortest distinguishing path); one name for several checkpoints "
        "of a method draws pass@1 and pass@N over training",
    )


@dataclass(frozen=True)
class Subcommand:
    """One subcommand: its handler, help, and its arguments (a config dataclass, or a function adding them);
    or a group of subcommands."""

    handler: Callable[[argparse.Namespace], int] | None
    help: str
    arguments: type | Callable[[argparse.ArgumentParser], None] | None = None
    description: str = ""
    subcommands: dict[str, Subcommand] | None = None


DATA_COMMANDS = {
    "check": Subcommand(_data_check, "validate a data file and count its examples", _data_check_arguments),
    "trace": Subcommand(
        _data_trace, "extract tactic pairs from a Lean repository with LeanDojo", _data_trace_arguments
    ),
}
COMMANDS = {
    "data": Subcommand(None, "inspect and prepare training data", subcommands=DATA_COMMANDS),
    "train": Subcommand(
        _train, "fine-tune a causal LM with CE, DCO or DCO-step", TrainConfig,
        "Fine-tune a causal LM on tactic pairs, tactic traces or whole proofs. Settings: defaults < --config "
        "YAML < flags. Multi-GPU: accelerate launch -m prover train ...",
    ),
    "search": Subcommand(
        _search, "N attempts per benchmark theorem with Lean in the loop", SearchConfig,
        "Sample N attempts per theorem (vLLM on a GPU, transformers otherwise); every success is checked by "
        "the verifier. Resumable: --resume fills in exactly the missing attempts.",
    ),
    "merge": Subcommand(
        _merge, "join the shard directories of a search (--shard i/n) into one run", _merge_arguments,
        "Join the shard directories of one search (--shard i/n) into one run directory. Refuses shards of "
        "other settings, an incomplete set of shards and shards whose theorems lack attempts.",
    ),
    "verify": Subcommand(
        _verify, "check proofs with Lean: one file for a person, or a JSONL batch", VerifyConfig,
        "Check proofs against reference statements with Lean. A proof is accepted only with no error, no "
        "sorry, the reference statement unchanged and standard axioms only. Single proof: exit code 0 only "
        "when accepted.",
    ),
    "report": Subcommand(
        _report, "pass@k curves, per-problem table and confidence plots of search runs", _report_arguments,
        "pass@k (unbiased estimator) per run, the per-problem table, confidence diagnostics and ensembles "
        "of search runs, as report.json, report.md and PNG plots.",
    ),
    "check": Subcommand(
        _check, "check a Lean file a person wrote: messages, axioms, and the verdict against a reference",
        CheckConfig,
        "Lean's messages with line and column and each theorem's axioms; with --statement or "
        "--benchmark/--name the batch verifier's rules. Exit code 0 only when accepted.",
    ),
    "prove": Subcommand(
        _prove, "build a proof tactic by tactic at the terminal (suggestions from a model)", ProveConfig,
        "A terminal session over Lean's REPL: goals after every tactic, undo, restart, suggest, try, save. "
        "Closed goals count as proved only once the verifier accepts the whole proof.",
    ),
}  # fmt: skip


def _add_commands(parent: argparse.ArgumentParser, commands: dict[str, Subcommand], dest: str, metavar: str,
                  common: argparse.ArgumentParser, stages: dict[str, argparse.ArgumentParser],
                  prefix: str = "") -> None:  # fmt: skip
    subparsers = parent.add_subparsers(dest=dest, metavar=metavar, required=True)
    for name, command in commands.items():
        parser = subparsers.add_parser(
            name, parents=[common], help=command.help, description=command.description or None
        )
        stages[f"{prefix}{name}"] = parser
        if command.subcommands:
            _add_commands(parser, command.subcommands, f"{name}_command", "COMMAND", common, stages, f"{name} ")
        elif dataclasses.is_dataclass(command.arguments):
            add_dataclass_arguments(parser, command.arguments)
        elif command.arguments is not None:
            command.arguments(parser)
        if command.handler is not None:
            parser.set_defaults(handler=command.handler)


class _Parser(argparse.ArgumentParser):
    stages: dict[str, argparse.ArgumentParser]  # "train", "data check", ...: each command's own parser


def build_parser() -> _Parser:
    parser = _Parser(
        prog="prover", description="Lean 4 proving co-designed for test-time search."
    )
    parser.add_argument("--version", action="version", version=f"dco-prover {__version__}")
    parser.add_argument("--log-level", default="INFO", choices=LOG_LEVELS)
    common = argparse.ArgumentParser(add_help=False)  # --log-level after the stage too
    common.add_argument("--log-level", default=argparse.SUPPRESS, choices=LOG_LEVELS, help="logging level")
    parser.stages = {}
    _add_commands(parser, COMMANDS, "stage", "STAGE", common, parser.stages)
    return parser


def _unknown_flags(extra: list[str], stage: str, stages: dict[str, argparse.ArgumentParser]) -> str:
    """The error for flags ``stage`` does not take, naming the command each one belongs to."""
    said = f"unrecognized arguments: {' '.join(extra)}"
    for flag in dict.fromkeys(a.split("=", 1)[0] for a in extra if a.startswith("--")):
        owners = [name for name, p in stages.items() if name != stage and flag in p._option_string_actions]
        if owners:
            said += f"; {flag} belongs to {' and '.join(f'prover {o}' for o in owners)}"
    return said


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # answered by the command's own parser ("prover search: error: ..."), not the top level's
        sub = getattr(args, f"{args.stage}_command", None)  # `prover data check`
        stage = f"{args.stage} {sub}" if sub else args.stage
        parser.stages[stage].error(_unknown_flags(extra, stage, parser.stages))
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if args.log_level != "DEBUG":  # accelerate narrates every checkpoint file at INFO
        logging.getLogger("accelerate").setLevel(logging.WARNING)
    from tqdm.contrib.logging import logging_redirect_tqdm

    from prover.train.data import DataError

    try:
        with logging_redirect_tqdm():  # log lines above the progress bars, not onto them
            return args.handler(args)
    except (DataError, ValueError, OSError) as error:  # the user's input: one line, exit code 2
        logger.debug("traceback", exc_info=True)
        print(f"prover {args.stage}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # the setting up of a tool (Lean, Ray): one line, exit code 2
        logger.debug("traceback", exc_info=True)
        print(f"prover {args.stage}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except Exception:  # a bug, not the user's input: the traceback, and where to send it
        import traceback

        traceback.print_exc()
        print(f"prover {args.stage}: internal error (a bug): please report it with the command and the "
              "traceback above", file=sys.stderr)  # fmt: skip
        return 1


def _one_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, OSError) and error.filename and str(error.filename) not in text:
        text = f"{error.filename}: {text}"
    return " ".join(text.split())
