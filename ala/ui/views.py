"""Small data views the pages show: the chosen curves with their labels."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ala.curves import curve_residuals
from ala.model import ThroughputModel


def curve_view(
    model: ThroughputModel, configs: Sequence[int], lengths: Sequence[str] = ()
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Database rows, measured points and residuals of the chosen configuration ids and lengths.

    The database rows and points carry ``label``, the configuration's display label.
    """
    table = model.database_table()
    db = table[table["config"].isin(list(configs))]
    if lengths:
        db = db[_length_label(db).isin(lengths)]
    db = db.assign(label=[model.labels_[c] for c in db["config"]])
    points = model.points_.merge(db[["config", "label", "ii", "oo"]], on=["config", "ii", "oo"])
    residuals = curve_residuals(points, db, ["config"])
    return db.reset_index(drop=True), points, residuals


def length_options(model: ThroughputModel, configs: Sequence[int]) -> list[str]:
    """Distinct ``ii=…, oo=…`` labels of the chosen configurations, shortest first."""
    db = model.database_[model.database_["config"].isin(list(configs))]
    order = (db["ii"] + db["oo"]).argsort(kind="stable")
    return list(dict.fromkeys(_length_label(db.iloc[order])))


def _length_label(db: pd.DataFrame) -> pd.Series:
    return "ii=" + db["ii"].map("{:g}".format) + ", oo=" + db["oo"].map("{:g}".format)
