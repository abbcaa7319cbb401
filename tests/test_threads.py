"""The thread policy (prover/threads.py): pure, from the usable CPUs, the load beside us and the model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prover import threads


@given(st.integers(1, 128), st.floats(0, 256), st.integers(0, 16))
def test_never_more_threads_than_free_usable_cpus_and_never_fewer_than_one(cpus, busy, reserved):
    chosen = threads.plan(reserved=reserved, cpus=cpus, busy=busy, environ={}).threads
    assert 1 <= chosen <= cpus
    assert chosen == max(1, cpus - min(cpus, int(busy + 0.5)) - reserved)


def test_an_idle_machine_uses_its_cpus_a_busy_one_fewer_and_a_tiny_model_one():
    assert threads.plan(cpus=8, busy=0.0, environ={}).threads == 8
    assert threads.plan(cpus=2, busy=6.0, environ={}).threads == 1  # six busy processes on two cores
    assert threads.plan(cpus=8, busy=0.0, reserved=2, environ={}).threads == 6  # Lean workers beside us
    assert threads.plan(cpus=8, busy=0.0, parameters=200_000, environ={}).threads == 1


def test_the_flag_and_omp_num_threads_override_the_policy():
    assert threads.plan(requested=3, cpus=2, busy=6.0, environ={"OMP_NUM_THREADS": "5"}) == threads.ThreadPlan(3, "--threads")
    assert threads.plan(cpus=2, busy=6.0, parameters=10, environ={"OMP_NUM_THREADS": "5"}).threads == 5
    assert threads.plan(cpus=4, busy=0.0, environ={"OMP_NUM_THREADS": "x"}).threads == 4  # not a number: ignored


@pytest.mark.parametrize(("text", "quota"), [("max 100000\n", None), ("150000 100000\n", 1.5), ("50000 100000", 0.5)])
def test_a_cgroup_quota_bounds_the_affinity(tmp_path, text, quota):
    (tmp_path / "cpu.max").write_text(text)
    assert threads.cgroup_quota(str(tmp_path)) == quota
    assert threads.usable_cpus(affinity=8, quota=threads.cgroup_quota(str(tmp_path))) == (8 if quota is None else max(1, -(-quota // 1)))
    assert threads.cgroup_quota(str(tmp_path / "none")) is None  # no cgroup files: unlimited


def test_training_logs_and_sets_the_threads_it_chose(tmp_path, caplog, monkeypatch):
    import torch
    from conftest import DATA

    from prover.config import TrainConfig
    from prover.train.loop import run_train

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        with caplog.at_level("INFO"):
            run_train(TrainConfig(tiny=True, data=str(DATA / "tactic_pairs.jsonl"), output_dir=str(tmp_path / "r"),
                                  max_steps=1, global_batch_size=2, per_device_batch_size=2, warmup_steps=0))  # fmt: skip
        assert torch.get_num_threads() == 1
        assert any("torch threads: 1 (a small model" in r.message for r in caplog.records)
    finally:
        torch.set_num_threads(before)
