"""AIConfigurator's measured serving runs as throughput benchmarks (for the transfer benchmark).

Only aggregated serving (``mode == agg``) is used: one worker of ``tp x pp x attention_dp`` GPUs
at client concurrency ``C`` (from ``silicon_concurrency=`` in the provenance). Throughput is
derived by Little's law for a closed loop of ``C`` users, as the data's SOURCE.md says:
``C x (isl + osl) / (ttft + (osl - 1) x tpot)``; it overstates a measured figure by a median 3 %.
A row without a precision serves the model's default precision (from the spec catalogue).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ala.physics import bundled_catalogue

SILICON = Path(__file__).parent / "data" / "aiconfigurator-silicon" / "silicon_sample.csv"


def aiconfigurator_frame(path: Path = SILICON) -> pd.DataFrame:
    """Canonical rows (acc, acc_count, back, model, prec, layout, ii, oo, bb, thpt) of the agg
    runs; ``layout`` names the kinds of parallelism used (``tp``, ``dp+ep``, ...)."""
    raw = pd.read_csv(path)
    agg = raw[raw["mode"] == "agg"].copy()
    concurrency = agg["silicon_data_source"].str.extract(r"silicon_concurrency=(\d+)")[0]
    agg["bb"] = pd.to_numeric(concurrency, errors="coerce").fillna(agg["batch_size"])
    tp, pp, dp, ep = (
        agg[c].fillna(1).replace(0, 1)
        for c in ("tp_size", "pp_size", "attention_dp_size", "moe_ep_size")
    )
    gpus = tp * pp * dp
    # The parallel layout is part of the configuration (SOURCE.md): which kinds of
    # parallelism split the work, the count being acc_count.
    kinds = [
        np.where(x > 1, name, "") for x, name in ((tp, "tp"), (pp, "pp"), (dp, "dp"), (ep, "ep"))
    ]
    layout = ["+".join(k for k in ks if k) or "single" for ks in zip(*kinds, strict=True)]
    e2e_s = (agg["silicon_ttft_ms"] + (agg["osl"] - 1) * agg["silicon_tpot_ms"]) / 1000
    frame = pd.DataFrame(
        {
            "acc": agg["system"],
            "acc_count": gpus.astype(int).astype(str),
            "back": agg["backend"],
            "model": agg["model_path"],
            "prec": agg["precision"].fillna(agg["model_path"].map(_default_precision)),
            "layout": layout,
            "ii": agg["isl"].astype(float),
            "oo": agg["osl"].astype(float),
            "bb": agg["bb"].astype(float),
            "thpt": agg["bb"] * (agg["isl"] + agg["osl"]) / e2e_s,
        }
    )
    return frame[np.isfinite(frame["thpt"]) & (frame["thpt"] > 0)].reset_index(drop=True)


def _default_precision(model: str) -> str:
    """A row without a precision serves the model's own (the catalogue's default)."""
    return bundled_catalogue().model(model).default_precision
