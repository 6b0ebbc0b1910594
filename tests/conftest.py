"""Shared fixtures: seeded generators, synthetic benchmark frames with known curves."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

from ala.curves import saturation
from ala.data import Benchmarks, load_benchmarks
from ala.datasets import sample_dataset_path

# Property tests draw the same examples on every run, so CI is reproducible and a failure
# in it can be replayed; ALA_FUZZ_EXPLORE=1 draws new ones to look for new defects.
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if os.environ.get("ALA_FUZZ_EXPLORE") else "fixed")


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


@pytest.fixture(scope="session")
def sample_model(shared_benchmarks):
    """The default model fitted (and calibrated) on the bundled sample, once per session."""
    from ala.model import ThroughputModel

    return ThroughputModel().fit(shared_benchmarks, calibrate=True)


@dataclass(frozen=True)
class CliResult:
    """What one in-process run of the ``ala`` CLI returned and printed."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: object, cwd: object = None) -> CliResult:
    """Run ``ala ARGS`` in this process (``main(argv)``), capturing its output.

    Only the smoke test in ``test_cli.py`` spawns a real process; everything else calls
    ``main`` directly, which is much faster than a new interpreter per command.
    """
    from ala.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(str(cwd))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse's usage errors
                code = int(exc.code or 0)
    finally:
        os.chdir(previous)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    yield cluster
    cluster.close()
