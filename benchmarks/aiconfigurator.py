"""AIConfigurator's measured serving runs as benchmark rows (for the benchmark scripts).

The product's own importer (:mod:`ala.importers.aiconfigurator`) reads the ``agg`` runs:
acc, acc_count (tp x pp x attention_dp), back, model, prec, layout, ii, oo, bb, ttft_ms and
tpot_ms. The loader derives throughput by Little's law for a closed loop of ``bb`` users,
``bb x (isl + osl) / (ttft + (osl - 1) x tpot)``, which overstates a measured figure by a
median 3 % (the data's SOURCE.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ala.importers import read_results

DATA = Path(__file__).parent / "data"
SILICON = DATA / "aiconfigurator-silicon" / "silicon_sample.csv"
INFERENCEX = DATA / "inferencex-vllm-bench" / "results"


def aiconfigurator_frame(path: Path = SILICON) -> pd.DataFrame:
    """Canonical rows of the ``agg`` runs (throughput is derived when they are loaded)."""
    return read_results([path]).frame
