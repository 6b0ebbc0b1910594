"""AIConfigurator's silicon measurements (``silicon_sample.csv`` of ``ai-dynamo/aiconfigurator``).

Only aggregated serving (``mode == agg``) is imported: one worker of ``tp x pp x attention_dp``
GPUs at client concurrency ``C``, read from ``silicon_concurrency=`` in the provenance column
(the per-rank ``batch_size`` where that is absent). Disaggregated runs (separate prefill and
decode pools) are counted and reported, not imported. The file has no throughput: it is derived
by the loader from the measured TTFT and TPOT (Little's law for a closed loop of ``C`` users),
and reported as derived. The parallel layout (``tp``, ``dp+ep``, ...) is part of the
configuration. A row without a precision serves the model's default (from the spec catalogue).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ala.errors import DataError
from ala.specs import SpecError

TOOL = "aiconfigurator"
REQUIRED = (
    "silicon_data_source",
    "system",
    "backend",
    "model_path",
    "mode",
    "isl",
    "osl",
    "silicon_ttft_ms",
    "silicon_tpot_ms",
)


def looks_like(header: str) -> bool:
    """Whether a CSV header line is AIConfigurator's silicon table."""
    return "silicon_data_source" in header and "silicon_ttft_ms" in header


def aiconfigurator_frame(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Canonical rows of the ``agg`` runs, and notes on what was not imported.

    Raises
    ------
    DataError
        For an unreadable file or a missing column, naming the file.
    """
    try:
        raw = pd.read_csv(path, low_memory=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path.name}: cannot read it as AIConfigurator CSV ({exc})") from None
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise DataError(f"{path.name}: missing AIConfigurator column(s) {missing}")
    agg = raw[raw["mode"].astype(str) == "agg"].copy()
    notes = []
    if len(agg) < len(raw):
        notes.append(
            f"{path.name}: {len(raw) - len(agg)} disaggregated rows not imported (prefill and "
            "decode run on separate pools: no single concurrency axis)"
        )
    concurrency = (
        agg["silicon_data_source"].astype(str).str.extract(r"silicon_concurrency=(\d+)")[0]
    )
    fallback = pd.to_numeric(agg.get("batch_size"), errors="coerce")
    agg["bb"] = pd.to_numeric(concurrency, errors="coerce").fillna(fallback)

    def size(column: str) -> pd.Series:
        values = pd.to_numeric(agg[column], errors="coerce") if column in agg else None
        return pd.Series(1.0, index=agg.index) if values is None else values.fillna(1).clip(lower=1)

    tp, pp, dp, ep = (size(c) for c in ("tp_size", "pp_size", "attention_dp_size", "moe_ep_size"))
    kinds = [np.where(x > 1, n, "") for x, n in ((tp, "tp"), (pp, "pp"), (dp, "dp"), (ep, "ep"))]
    layout = ["+".join(k for k in ks if k) or "single" for ks in zip(*kinds, strict=True)]
    precision = agg["precision"] if "precision" in agg else pd.Series(np.nan, index=agg.index)
    frame = pd.DataFrame(
        {
            "acc": agg["system"].astype(str),
            "acc_count": (tp * pp * dp).astype(int).astype(str),
            "back": agg["backend"].astype(str),
            "model": agg["model_path"].astype(str),
            "prec": precision.fillna(agg["model_path"].map(_default_precision)).astype(str),
            "layout": layout,
            "ii": agg["isl"],
            "oo": agg["osl"],
            "bb": agg["bb"],
            "ttft_ms": agg["silicon_ttft_ms"],
            "tpot_ms": agg["silicon_tpot_ms"],
            "source_tool": TOOL,
            "source_version": agg.get("backend_version", pd.Series("", index=agg.index))
            .fillna("")
            .astype(str),
            "source_file": path.name,
        }
    )
    return frame.reset_index(drop=True), notes


def _default_precision(model: str) -> str:
    """A row without a precision serves the model's own (the catalogue's default)."""
    from ala.physics import bundled_catalogue

    try:
        return bundled_catalogue().model(model).default_precision
    except SpecError:
        return "unknown"
