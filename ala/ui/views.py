"""Small data views the pages show: filtered curves, what-if predictions, histories."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ala.curves import curve_residuals
from ala.errors import AlaError
from ala.model import ThroughputModel


def curve_view(
    model: ThroughputModel, configs: Sequence[str], lengths: Sequence[str] = ()
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Database rows, measured points and residuals of the chosen configurations and lengths."""
    db = model.database_[model.database_["config"].isin(configs)]
    if lengths:
        db = db[_length_label(db).isin(lengths)]
    points = model.points_.merge(db[["config", "ii", "oo"]], on=["config", "ii", "oo"])
    residuals = curve_residuals(points, db, ["config"])
    return db.reset_index(drop=True), points, residuals


def length_options(model: ThroughputModel, configs: Sequence[str]) -> list[str]:
    db = model.database_[model.database_["config"].isin(configs)]
    order = (db["ii"] + db["oo"]).argsort(kind="stable")
    return list(dict.fromkeys(_length_label(db.iloc[order])))


def _length_label(db: pd.DataFrame) -> pd.Series:
    return "ii=" + db["ii"].map("{:g}".format) + ", oo=" + db["oo"].map("{:g}".format)


def whatif(
    model: ThroughputModel,
    config: dict[str, str],
    ii: float,
    oo: float,
    batches: Sequence[float],
    level: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions (with intervals when calibrated) on a batch grid, and nearest benchmarks."""
    if ii <= 0 or oo <= 0 or not batches or min(batches) <= 0:
        raise AlaError("input tokens, output tokens and batch sizes must be positive")
    top = max(2 * max(batches), 64.0)  # show where the curve saturates, past the query
    grid = np.unique(
        np.concatenate([np.unique(np.round(np.geomspace(1, top, 60))), np.asarray(batches, float)])
    )
    queries = pd.DataFrame(
        {
            **{c: [v] * grid.size for c, v in config.items()},
            "ii": float(ii),
            "oo": float(oo),
            "bb": grid,
        }
    )
    interval = level if model.calibration_ is not None else None
    curve = model.predict(queries, interval=interval)
    near = model.nearest(queries[queries["bb"].isin(list(batches))].head(1), k=5)
    return curve, near


def standard_predictions(model: ThroughputModel, configs: Sequence[str]) -> pd.DataFrame:
    """Predictions with intervals at typical workloads, for a report with no what-if history."""
    points = model.points_[model.points_["config"].isin(configs)]
    if points.empty:
        return pd.DataFrame()
    values = {
        label: dict(zip(model.config_columns_, values, strict=True))
        for label, values in model.configs_.items()
        if label in set(configs)
    }
    rows = [
        {**values[label], "ii": length, "oo": length, "bb": bb}
        for label in values
        for length in (512.0, 2048.0)
        for bb in (1.0, 16.0, 32.0, 64.0)
    ]
    queries = pd.DataFrame(rows)
    interval = 0.9 if model.calibration_ is not None else None
    pred = model.predict(queries, interval=interval)
    keep = [*model.config_columns_, "ii", "oo", "bb", "thpt_pred", "source"]
    keep += ["thpt_lo", "thpt_hi", "confidence"] if interval else []
    return pred[keep].round(1)
