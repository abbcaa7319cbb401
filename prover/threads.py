"""How many CPU threads torch may use: what this process may run on, less what else runs beside it.

torch's default (one thread per core of the machine) is what a busy machine punishes: on a 2-core machine
with other work running, training took 2.2 s a step with the default against 10-17 steps a second with one
thread (OpenMP threads spin waiting for a core another process holds). The policy:

- the CPUs this process may use: its affinity mask (``taskset``, Slurm's cgroups), bounded by a cgroup CPU
  quota (containers: ``cpu.max``), never the machine's core count;
- less the cores others are already using (the load average beyond our own), and less ``reserved`` cores
  for work this process starts beside torch (Lean workers during search);
- at least 1; a small model (under ``SMALL`` parameters: the tiny models of smoke runs and tests) gets 1,
  whose matrices are too small for threads to pay for their synchronization;
- ``OMP_NUM_THREADS`` or ``--threads`` override all of it.

Pure apart from reading the affinity, the cgroup files and the load average (``plan``); ``apply`` sets it.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)


def usable_cpus(affinity: int | None = None, quota: float | None = None) -> int:
    """CPUs this process may run on: its affinity, bounded by the cgroup quota (rounded up)."""
    if affinity is None:
        affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if quota is None:
        quota = cgroup_quota()
    return max(1, min(affinity, math.ceil(quota)) if quota else affinity)


def cgroup_quota(root: str = "/sys/fs/cgroup") -> float | None:
    """CPUs the cgroup may use (``cpu.max`` of cgroup v2, ``cpu.cfs_quota_us`` of v1), None when unlimited."""
    try:
        with open(os.path.join(root, "cpu.max")) as handle:
            quota, period = handle.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(root, "cpu", "cpu.cfs_quota_us")) as q, open(os.path.join(root, "cpu", "cpu.cfs_period_us")) as p:
            quota_us, period_us = int(q.read()), int(p.read())
        return None if quota_us <= 0 else quota_us / period_us
    except (OSError, ValueError):
        return None


SMALL = 20_000_000  # parameters


@dataclass(frozen=True)
class ThreadPlan:
    threads: int
    why: str


def plan(requested: int = 0, reserved: int = 0, parameters: int | None = None, cpus: int | None = None,
         busy: float | None = None, environ: Mapping[str, str] | None = None) -> ThreadPlan:  # fmt: skip
    """torch's thread count: ``requested`` (``--threads``) or ``OMP_NUM_THREADS`` when given; 1 for a model
    of fewer than ``SMALL`` ``parameters``; else the usable CPUs less the ones others keep busy (``busy``:
    the 1-minute load average) and ``reserved`` for our own other workers, at least 1."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    if requested > 0:
        return ThreadPlan(requested, "--threads")
    if env.get("OMP_NUM_THREADS", "").isdigit() and int(env["OMP_NUM_THREADS"]) > 0:
        return ThreadPlan(int(env["OMP_NUM_THREADS"]), "OMP_NUM_THREADS")
    if parameters is not None and parameters < SMALL:
        return ThreadPlan(1, f"a small model ({parameters:,} parameters): one thread is fastest")
    cpus = usable_cpus() if cpus is None else cpus
    if busy is None:
        busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    others = min(cpus, int(busy + 0.5))  # cores other processes keep running
    threads = max(1, cpus - others - reserved)
    return ThreadPlan(threads, f"{cpus} usable CPU(s), about {others} busy with other work, {reserved} reserved")


def apply(requested: int = 0, reserved: int = 0, model=None) -> int:
    """Set torch's intra-op threads by ``plan`` for ``model`` (its size) and log why; returns the count."""
    import torch

    parameters = sum(p.numel() for p in model.parameters()) if model is not None else None
    chosen = plan(requested, reserved, parameters)
    torch.set_num_threads(chosen.threads)
    logger.info("torch threads: %d (%s; --threads or OMP_NUM_THREADS to set)", chosen.threads, chosen.why)
    return chosen.threads
