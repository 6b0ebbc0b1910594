"""How large will the error be on a new dataset? A predictor from what drives error.

The paper's error predictor (Algorithm 7, :mod:`ala.trust`) encodes a dataset by which ii, bb
and oo values occur; between configurations of one benchmark those vectors barely differ, so it
cannot tell an easy dataset from a hard one. This predictor describes a dataset (one
configuration's measurements) by what drives error:

* ``internal``: the dataset's own two-fold error (the default model trained on one half of its
  rows, scored on the other, both ways), averaged over :data:`INTERNAL_SPLITS` random splits:
  the most direct evidence, pessimistic because each fold sees half the data;
* ``noise``: the median error of its fitted curves (how regular the measurements are);
* coverage: how many lengths and batch sizes, over what log range, whether ii/oo varied;
* its size.

A ridge regression on the log of these, fitted on other configurations whose actual error is
measured with the same protocol as Table I of the paper (a random half of the rows trains the
default model, the other half scores it), predicts the log of the error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.errors import AlaError

Array = npt.NDArray[np.float64]
FEATURES = (
    "log_internal",
    "log_noise",
    "log_rows",
    "lengths",
    "batch_sizes",
    "log_bb_span",
    "log_length_span",
    "ratio_varies",
)
MIN_ROWS = 8
# Random two-fold splits averaged for the internal error (one split is a noisy estimate).
INTERNAL_SPLITS = 3


def _median_ape(train: pd.DataFrame, test: pd.DataFrame) -> float:
    from ala.annealing import median_ape

    return median_ape(train, test, "default")


def dataset_features(frame: pd.DataFrame, seed: int = 0) -> dict[str, float]:
    """The features of one configuration's rows (``ii, oo, bb, thpt``).

    Raises
    ------
    AlaError
        For fewer than :data:`MIN_ROWS` rows.
    """
    from ala.model import ThroughputModel

    rows = frame[["ii", "oo", "bb", "thpt"]].reset_index(drop=True)
    if len(rows) < MIN_ROWS:
        raise AlaError(f"a dataset needs at least {MIN_ROWS} rows to judge its error")
    rng = np.random.default_rng(seed)
    folds = []
    for _ in range(INTERNAL_SPLITS):
        order = rng.permutation(len(rows))
        a, b = rows.iloc[order[: len(rows) // 2]], rows.iloc[order[len(rows) // 2 :]]
        folds += [_median_ape(a, b), _median_ape(b, a)]
    internal = float(np.mean(folds))
    noise = float(ThroughputModel(config_columns=()).fit(rows).config_stats_["noise"].iloc[0])
    length = rows["ii"] + rows["oo"]
    return {
        "log_internal": float(np.log(max(internal, 0.05))),
        "log_noise": float(np.log(max(noise, 0.05))),
        "log_rows": float(np.log(len(rows))),
        "lengths": float(len(rows[["ii", "oo"]].drop_duplicates())),
        "batch_sizes": float(rows["bb"].nunique()),
        "log_bb_span": float(np.log(rows["bb"].max() / rows["bb"].min())),
        "log_length_span": float(np.log(length.max() / length.min())),
        "ratio_varies": float((rows["ii"] / rows["oo"]).round(9).nunique() > 1),
    }


def table_one_example(rows: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, float]:
    """Table I's protocol on one configuration: a random half (the new dataset) and the
    actual error of the default model trained on it and scored on the other half."""
    rows = rows[["ii", "oo", "bb", "thpt"]].reset_index(drop=True)
    mask = np.zeros(len(rows), bool)
    mask[np.random.default_rng(seed).permutation(len(rows))[: len(rows) // 2]] = True
    return rows[mask], _median_ape(rows[mask], rows[~mask])


class DatasetErrorModel:
    """Predict the median APE (%) the default model will have on a new dataset.

    Parameters
    ----------
    alpha
        Ridge penalty on the standardised features.
    seed
        Seed of the internal two-fold split.
    """

    def __init__(self, alpha: float = 1.0, seed: int = 0) -> None:
        self.alpha = alpha
        self.seed = seed

    def fit(self, datasets: Sequence[pd.DataFrame], errors: Sequence[float]) -> DatasetErrorModel:
        """Learn from datasets whose actual error is known (median APE %, positive)."""
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if len(datasets) != len(errors) or len(datasets) < 5:
            raise AlaError("the error model needs at least 5 datasets with their errors")
        x = self._matrix(datasets)
        self.training_errors_ = np.asarray(errors, float)
        y = np.log(np.maximum(self.training_errors_, 0.05))
        self.model_: Any = make_pipeline(StandardScaler(), Ridge(alpha=self.alpha)).fit(x, y)
        self.low_, self.high_ = x.min(axis=0), x.max(axis=0)
        return self

    def _matrix(self, datasets: Sequence[pd.DataFrame]) -> Array:
        features = [dataset_features(d, self.seed) for d in datasets]
        return np.array([[f[name] for name in FEATURES] for f in features], float)

    def predict(self, datasets: Sequence[pd.DataFrame]) -> Array:
        """Predicted median APE (%) of the default model trained on each dataset."""
        if not hasattr(self, "model_"):
            raise AlaError("fit the error model first")
        # A dataset unlike any seen (other benchmark, other lengths) is judged at the edge of
        # what was seen, not by extrapolating a linear model: features and the answer clipped.
        x = np.clip(self._matrix(datasets), self.low_, self.high_)
        y = np.log(np.maximum(self.training_errors_, 0.05))
        return np.asarray(np.exp(np.clip(self.model_.predict(x), y.min(), y.max())), float)

    @classmethod
    def from_configurations(
        cls, groups: Sequence[pd.DataFrame], seed: int = 0, alpha: float = 1.0
    ) -> DatasetErrorModel:
        """Fit on configurations' rows, each turned into a Table I example (seeded)."""
        datasets, errors = [], []
        for i, rows in enumerate(g for g in groups if len(g) >= 2 * MIN_ROWS):
            half, error = table_one_example(rows, seed + i)
            datasets.append(half)
            errors.append(error)
        return cls(alpha, seed).fit(datasets, errors)
