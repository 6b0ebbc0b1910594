"""Shared fixtures: seeded generators, synthetic benchmark frames with known curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ala.curves import saturation
from ala.data import Benchmarks, load_benchmarks, sample_dataset_path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def synthetic_frame(noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Two configurations, five lengths, four batch sizes, throughput on known curves."""
    rng = np.random.default_rng(seed)
    rows = []
    for acc, scale in (("GPU-A", 1.0), ("GPU-B", 2.0)):
        for length in (128, 256, 512, 1024, 2048):
            c = scale * 20000 / (1 + length / 1024)
            a, b = 0.95 * c, 0.02 + 0.01 * np.log2(length / 128)
            for bb in (1, 16, 32, 64):
                thpt = saturation(bb, a, b, c) * (1 + noise * rng.standard_normal())
                rows.append({"acc": acc, "ii": length, "oo": length, "bb": bb, "thpt": thpt})
    return pd.DataFrame(rows)


def physical_frame() -> pd.DataFrame:
    """One configuration whose latency follows prefill + per-step decode costs."""
    rows = []
    for length in (128, 256, 512, 1024, 2048):
        for bb in (1, 16, 32, 64):
            latency = (
                0.02 + 2e-5 * bb * length + length * (0.012 + 2e-4 * bb + 1e-7 * bb * 1.5 * length)
            )
            rows.append(
                {
                    "acc": "GPU-P",
                    "ii": length,
                    "oo": length,
                    "bb": bb,
                    "thpt": bb * 2 * length / latency,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def synthetic() -> Benchmarks:
    return load_benchmarks(synthetic_frame())


@pytest.fixture(scope="session")
def shared_benchmarks() -> Benchmarks:
    return load_benchmarks(sample_dataset_path())
