"""The command line: help, YAML < flags, validation messages, exit codes, and no heavy imports."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from conftest import DATA, ROOT

from prover.cli import build_parser, main
from prover.config import TrainConfig
from prover.flags import config_from_namespace


def parse_train(argv):
    return config_from_namespace(TrainConfig, build_parser().parse_args(["train", *argv]))


def test_every_train_option_is_documented(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for f in dataclasses.fields(TrainConfig):
        assert f"--{f.name}" in text, f.name
        assert f.metadata["help"].split("(")[0].strip()[:30] in " ".join(text.split()), f.name


def test_yaml_sets_defaults_and_flags_override(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(
        "data: a.jsonl\nloss: dco_step\nn_eff: 8\nlearning_rate: 1.0e-4\ntiny: true\nlora: true\n"
    )
    cfg = parse_train(["--config", str(config), "--n_eff", "32", "--no-lora"])
    assert (cfg.data, cfg.loss, cfg.n_eff, cfg.learning_rate, cfg.tiny, cfg.lora) == (
        "a.jsonl",
        "dco_step",
        32,
        1e-4,
        True,
        False,
    )
    assert cfg.dco_n == TrainConfig.__dataclass_fields__["dco_n"].default


def test_dashed_flags_are_accepted():
    cfg = parse_train(
        ["--tiny", "--data", "a.jsonl", "--learning-rate", "0.5", "--model-init-kwargs", '{"a": 1}']
    )
    assert cfg.learning_rate == 0.5 and cfg.model_init_kwargs == {"a": 1}


def test_resume_flag_alone_means_latest():
    assert parse_train(["--tiny", "--data", "a.jsonl", "--resume"]).resume == "latest"
    assert (
        parse_train(["--tiny", "--data", "a.jsonl", "--resume", "run/checkpoint-3"]).resume
        == "run/checkpoint-3"
    )


def test_unknown_yaml_key_names_file_and_key(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text("data: a.jsonl\ntiny: true\nlearning_rte: 0.1\n")
    assert main(["train", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert str(config) in err and "learning_rte" in err
    assert "(did you mean 'learning_rate'?)" in err and "TrainConfig" not in err  # the closest name, no class


def test_yaml_value_of_wrong_type_is_named(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text("data: a.jsonl\ntiny: true\ndco_n: many\n")
    assert main(["train", "--config", str(config)]) == 2
    assert f"{config}: dco_n: expected an integer" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tiny", "--data", "a.jsonl", "--dco_n", "0"], "dco_n must be >= 1"),
        (["--tiny", "--data", "a.jsonl", "--epsilon", "1.5"], "epsilon must be in [0, 1)"),
        (["--tiny"], "data is required"),
        (["--data", "a.jsonl"], "model is required"),
    ],
)
def test_invalid_settings_exit_2_with_the_field_named(capsys, argv, message):
    assert main(["train", *argv]) == 2
    assert message in capsys.readouterr().err


def test_bad_choice_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--tiny", "--data", "a.jsonl", "--loss", "focal"])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_data_check_counts_examples(capsys):
    assert main(["data", "check", str(DATA / "tactic_pairs.jsonl")]) == 0
    assert "23 tactic pairs; 14 traces; 0 bad skipped" in capsys.readouterr().out


def test_data_check_reports_bad_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"state": "⊢ True"}\n')
    assert main(["data", "check", str(bad), "--kind", "tactic"]) == 2
    assert f'{bad}:1: missing field "tactic"' in capsys.readouterr().err


def test_data_trace_without_leandojo_says_how_to_install(capsys):
    if subprocess.run([sys.executable, "-c", "import lean_dojo"], capture_output=True).returncode == 0:
        pytest.skip("lean_dojo is installed")
    assert main(["data", "trace", "https://github.com/example/repo", "abc", "-o", "x.jsonl"]) == 2
    assert "pip install 'dco-prover[dojo]'" in capsys.readouterr().err


def test_help_and_import_never_load_torch():
    code = "import sys, prover, prover.cli; prover.cli.build_parser().format_help(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'vllm')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "[]"


def test_python_dash_m_prover_works():
    result = subprocess.run(
        [sys.executable, "-m", "prover", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0 and "train" in result.stdout and "data" in result.stdout


def test_without_lean_says_how_to_set_it_up(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PROVER_LEAN_CMD", raising=False)
    monkeypatch.delenv("PROVER_LEAN_PROJECT", raising=False)
    proof = tmp_path / "proof.lean"
    proof.write_text(" trivial")
    assert main(["verify", str(proof), "--statement", "theorem t : True :="]) == 2
    assert "scripts/setup_lean.sh" in capsys.readouterr().err


def test_search_settings_validate_and_default_without_the_command():
    from prover.config import SearchConfig

    assert SearchConfig(model="m", benchmark="b.jsonl").workers >= 1  # 0 means: as many as the machine allows
    with pytest.raises(ValueError, match="--shard must be i/n"):
        SearchConfig(model="m", benchmark="b.jsonl", shard="3/2")


def test_resume_means_the_same_in_train_and_search(tmp_path):
    """``--resume`` alone continues the run in --output_dir ('latest'); ``--resume PATH`` names what to
    resume from, in both stages."""
    from prover.config import SearchConfig
    from prover.flags import config_from_namespace

    def search(*argv):
        args = build_parser().parse_args(["search", "--model", "m", "--benchmark", "b.jsonl", *argv])
        return config_from_namespace(SearchConfig, args)

    assert parse_train(["--tiny", "--data", "a.jsonl", "--resume"]).resume == "latest"
    assert search("--resume").resume == "latest"
    resumed = search("--resume", str(tmp_path / "run"))
    assert resumed.resume == resumed.output_dir == str(tmp_path / "run")
    assert search().resume == "" and SearchConfig(model="m", benchmark="b", resume=True).resume == "latest"


def test_a_switch_named_as_a_negation_has_no_double_negative(capsys):
    parser = build_parser()
    assert parser.parse_args(["verify", "x.jsonl", "--no_cache"]).no_cache is True
    assert parser.parse_args(["verify", "x.jsonl", "--no-cache"]).no_cache is True
    with pytest.raises(SystemExit):  # an unknown flag to argparse
        parser.parse_args(["verify", "x.jsonl", "--no-no_cache"])


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["search", "--loss", "dco"], "prover search: error: unrecognized arguments: --loss dco; --loss belongs to prover train"),
        (["train", "--strategy=tree"], "prover train: error: unrecognized arguments: --strategy=tree; --strategy belongs to prover search"),
        (["data", "check", "x.jsonl", "--bogus"], "prover data check: error: unrecognized arguments: --bogus"),
    ],
)
def test_a_flag_of_another_stage_is_answered_by_the_stage_naming_where_it_belongs(capsys, argv, said):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and capsys.readouterr().err.strip().splitlines()[-1] == said
