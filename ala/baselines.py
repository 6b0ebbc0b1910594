"""Baselines with the same ``fit`` / ``predict`` interface as :class:`ala.model.ThroughputModel`.

Each baseline fits one scikit-learn-style regressor per configuration on the raw features
(ii, oo, bb) -> thpt, as in the comparisons of Ray et al.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression

from ala.data import Benchmarks, config_labels
from ala.errors import DataError, UnknownConfigurationError
from ala.model import ThroughputModel, training_frame

FEATURES = ["ii", "oo", "bb"]


def _linear(seed: int) -> Any:
    return LinearRegression()


def _xgboost(seed: int) -> Any:
    return xgb.XGBRegressor(n_estimators=100, random_state=seed, n_jobs=1, tree_method="hist")


def _random_forest(seed: int) -> Any:
    return RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1)


def _gradient_boosting(seed: int) -> Any:
    return GradientBoostingRegressor(random_state=seed)


class PerConfigRegressor:
    """One regressor per configuration on (ii, oo, bb).

    Parameters
    ----------
    make
        Builds a fresh regressor from a seed.
    config_columns
        Columns identifying a configuration; default: those found by the loader.
    seed
        Seed passed to ``make``.
    """

    def __init__(
        self, make: Callable[[int], Any], config_columns: Sequence[str] | None = None, seed: int = 0
    ) -> None:
        self.make = make
        self.config_columns = config_columns
        self.seed = seed

    def fit(self, data: Benchmarks | pd.DataFrame) -> PerConfigRegressor:
        frame, cols = training_frame(data, self.config_columns)
        self.config_columns_ = cols
        self.models_: dict[str, Any] = {}
        for label, rows in frame.groupby(config_labels(frame, cols), sort=False):
            self.models_[str(label)] = self.make(self.seed).fit(
                rows[FEATURES].to_numpy(float), rows["thpt"].to_numpy(float)
            )
        return self

    def predict(self, queries: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in [*self.config_columns_, *FEATURES] if c not in queries.columns]
        if missing:
            raise DataError(f"queries lack column(s) {missing}")
        labels = config_labels(queries, self.config_columns_).to_numpy()
        pred = np.full(len(queries), np.nan)
        x = queries[FEATURES].to_numpy(float)
        for label in pd.unique(labels):
            if label not in self.models_:
                raise UnknownConfigurationError(f"configuration {label!r} was never benchmarked")
            rows = labels == label
            pred[rows] = self.models_[label].predict(x[rows])
        out = queries.copy()
        out["thpt_pred"] = pred
        out["source"] = "learned"
        return out


BASELINES: dict[str, Callable[[int], Any]] = {
    "linear": _linear,
    "xgboost": _xgboost,
    "random_forest": _random_forest,
    "gradient_boosting": _gradient_boosting,
}
METHOD_NAMES = ("default", "paper", *BASELINES)


def make_method(
    name: str, config_columns: Sequence[str] | None = None, seed: int = 0
) -> ThroughputModel | PerConfigRegressor:
    """An unfitted estimator for any method name in :data:`METHOD_NAMES`."""
    if name in ("default", "paper"):
        return ThroughputModel(name, config_columns=config_columns, seed=seed)
    if name in BASELINES:
        return PerConfigRegressor(BASELINES[name], config_columns=config_columns, seed=seed)
    raise ValueError(f"unknown method {name!r}; choose from {', '.join(METHOD_NAMES)}")
