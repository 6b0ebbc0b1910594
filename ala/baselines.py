"""Baselines with the same ``fit`` / ``predict`` interface as :class:`ala.model.ThroughputModel`.

Each baseline fits one scikit-learn-style regressor per configuration on the raw features
(ii, oo, bb) -> thpt, as in the comparisons of Ray et al.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ala.configs import config_dict, config_keys
from ala.data import Benchmarks
from ala.errors import DataError, UnknownConfigurationError
from ala.model import training_frame

FEATURES = ["ii", "oo", "bb"]


def _linear(seed: int) -> Any:
    from sklearn.linear_model import LinearRegression

    return LinearRegression()


def _xgboost(seed: int) -> Any:
    import xgboost as xgb

    return xgb.XGBRegressor(n_estimators=100, random_state=seed, n_jobs=1, tree_method="hist")


def _random_forest(seed: int) -> Any:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1)


def _gradient_boosting(seed: int) -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

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
        self,
        make: Callable[[int], Any],
        config_columns: Sequence[str] | None = None,
        seed: int = 0,
        target: str = "thpt",
    ) -> None:
        self.make = make
        self.config_columns = config_columns
        self.seed = seed
        self.target = target

    def fit(self, data: Benchmarks | pd.DataFrame) -> PerConfigRegressor:
        """Fit one fresh regressor per configuration on (ii, oo, bb) -> the target."""
        frame, cols = training_frame(data, self.config_columns)
        frame = frame[np.isfinite(frame[self.target].to_numpy(float))]
        self.config_columns_ = cols
        self.models_: dict[tuple[str, ...], Any] = {}
        keys = config_keys(frame, cols)
        for _, rows in frame.groupby(pd.factorize(keys)[0], sort=False):
            self.models_[keys.loc[rows.index[0]]] = self.make(self.seed).fit(
                rows[FEATURES].to_numpy(float), rows[self.target].to_numpy(float)
            )
        return self

    def get_params(self) -> dict[str, Any]:
        """The constructor's settings."""
        return {
            "make": self.make,
            "config_columns": self.config_columns,
            "seed": self.seed,
            "target": self.target,
        }

    def predict(self, queries: pd.DataFrame) -> pd.DataFrame:
        """Copy of ``queries`` with ``<target>_pred`` and ``source`` (always ``learned``)."""
        missing = [c for c in [*self.config_columns_, *FEATURES] if c not in queries.columns]
        if missing:
            raise DataError(f"queries lack column(s) {missing}")
        keys = config_keys(queries, self.config_columns_)
        codes, uniques = pd.factorize(keys)
        pred = np.full(len(queries), np.nan)
        x = queries[FEATURES].to_numpy(float)
        for code, key in enumerate(uniques):
            if key not in self.models_:
                raise UnknownConfigurationError(
                    f"configuration {config_dict(key, self.config_columns_)} was never benchmarked"
                )
            rows = codes == code
            pred[rows] = self.models_[key].predict(x[rows])
        out = queries.copy()
        out[f"{self.target}_pred"] = pred
        out["source"] = "learned"
        return out


def _log_target(make: Callable[[int], Any]) -> Callable[[int], Any]:
    """The same regressor fitted on log(thpt) and predicting exp(.): positive, relative error."""

    def build(seed: int) -> Any:
        from sklearn.compose import TransformedTargetRegressor

        return TransformedTargetRegressor(
            regressor=make(seed), func=np.log, inverse_func=np.exp, check_inverse=False
        )

    return build


BASELINES: dict[str, Callable[[int], Any]] = {
    "linear": _linear,
    "xgboost": _xgboost,
    "random_forest": _random_forest,
    "gradient_boosting": _gradient_boosting,
    "linear_log": _log_target(_linear),
    "xgboost_log": _log_target(_xgboost),
}
