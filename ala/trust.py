"""How far to trust a model trained on a dataset: the paper's Algorithms 7 and 8 (Ray et al.).

* :class:`SubsetEncoder` turns a dataset into a binary vector, one entry per unique ii, bb and
  oo value of the universe (1 if the value occurs).
* :class:`ErrorPredictor` is an XGBoost regressor from those vectors to the error logged by
  the annealer.
* :class:`TrustModel` predicts a new dataset's error and its confidence ``1 / (1 + d_min)``,
  where ``d_min`` is the smallest (over logged subsets) mean (over ii, oo, bb, thpt) cosine
  distance between histograms with shared bin edges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.errors import AlaError

if TYPE_CHECKING:
    from ala.annealing import AnnealRun
    from ala.model import ThroughputModel

Array = npt.NDArray[np.float64]
FEATURES = ("ii", "oo", "bb", "thpt")


@dataclass(frozen=True, slots=True)
class SubsetEncoder:
    """Binary encoding of a dataset over the universe's unique ii, bb and oo values."""

    ii: tuple[float, ...]
    bb: tuple[float, ...]
    oo: tuple[float, ...]

    @classmethod
    def from_frames(cls, frames: Sequence[pd.DataFrame]) -> SubsetEncoder:
        """The universe's unique ii, bb and oo values."""
        both = pd.concat([f[["ii", "oo", "bb"]] for f in frames])
        return cls(*(tuple(float(v) for v in np.unique(both[c])) for c in ("ii", "bb", "oo")))

    def encode(self, frame: pd.DataFrame) -> Array:
        """1 for each universe value present in ``frame``, else 0."""
        parts = [
            np.isin(np.asarray(values), frame[col].to_numpy(float))
            for col, values in (("ii", self.ii), ("bb", self.bb), ("oo", self.oo))
        ]
        return np.concatenate(parts).astype(float)


def logged_subsets(runs: Sequence[AnnealRun]) -> list[tuple[pd.DataFrame, float]]:
    """Every non-degenerate logged subset as (rows, error)."""
    out = []
    for run in runs:
        for step in run.steps:
            if not step.degenerate:
                out.append((run.universe.iloc[list(step.subset)], step.error))
    if not out:
        raise AlaError("the annealing logs hold no usable subset to learn from")
    return out


class ErrorPredictor:
    """XGBoost from a subset's binary encoding to its logged error (Algorithm 7)."""

    def __init__(self, seed: int = 0, n_estimators: int = 200) -> None:
        self.seed = seed
        self.n_estimators = n_estimators

    def fit(self, runs: Sequence[AnnealRun]) -> ErrorPredictor:
        """Learn from every non-degenerate logged subset of ``runs``."""
        import xgboost as xgb

        subsets = logged_subsets(runs)
        self.encoder_ = SubsetEncoder.from_frames([r.universe for r in runs])
        x = np.stack([self.encoder_.encode(rows) for rows, _ in subsets])
        y = np.array([err for _, err in subsets])
        self.model_ = xgb.XGBRegressor(
            n_estimators=self.n_estimators, random_state=self.seed, n_jobs=1, max_depth=4
        )
        self.model_.fit(x, y)
        return self

    def predict(self, frame: pd.DataFrame) -> float:
        """Predicted error (same units as the logs, % APE) of a model trained on ``frame``."""
        x = self.encoder_.encode(frame)[None, :]
        return float(max(self.model_.predict(x)[0], 0.0))


# --------------------------------------------------------------------------- Algorithm 8
@dataclass(frozen=True, slots=True)
class HistogramBank:
    """Histograms (shared log-space bin edges) of every logged subset, per feature."""

    edges: Mapping[str, Array]
    histograms: Mapping[str, Array]  # feature -> (n_subsets, n_bins)
    labels: tuple[tuple[str, int], ...]  # (config, iteration) of each subset

    @classmethod
    def from_runs(cls, runs: Sequence[AnnealRun], bins: int = 12) -> HistogramBank:
        """Shared log-space bin edges and every logged subset's histograms."""
        universe = pd.concat([r.universe for r in runs])
        edges = {}
        for f in FEATURES:
            logs = np.log(universe[f].to_numpy(float))
            n = int(min(bins, max(np.unique(logs).size, 1)))
            lo, hi = logs.min(), logs.max()
            edges[f] = np.linspace(lo - 1e-9, hi + 1e-9, n + 1)
        subsets, labels = [], []
        for run in runs:
            for step in run.steps:
                if not step.degenerate:
                    subsets.append(run.universe.iloc[list(step.subset)])
                    labels.append((run.config, step.iteration))
        if not subsets:
            raise AlaError("the annealing logs hold no usable subset to compare with")
        hists = {f: np.stack([_histogram(s, f, edges[f]) for s in subsets]) for f in FEATURES}
        return cls(edges, hists, tuple(labels))

    def distances(self, frame: pd.DataFrame) -> Array:
        """Mean cosine distance (over features) from ``frame`` to each logged subset."""
        total = np.zeros(len(self.labels))
        for f in FEATURES:
            h = _histogram(frame, f, self.edges[f])
            bank = self.histograms[f]
            norms = np.linalg.norm(bank, axis=1) * np.linalg.norm(h)
            cosine = np.where(norms > 0, bank @ h / np.where(norms > 0, norms, 1), 0.0)
            total += 1 - cosine
        return total / len(FEATURES)


def _histogram(frame: pd.DataFrame, feature: str, edges: Array) -> Array:
    """Counts in the bins of ``edges`` plus one overflow bin on each side.

    The overflow bins are our addition: with the paper's fixed edges alone, data far outside
    the logged universe would be clipped into the end bins and look similar to it.
    """
    logs = np.log(frame[feature].to_numpy(float))
    idx = np.searchsorted(edges, logs, side="right")  # 0: below, len(edges): above
    return np.bincount(idx, minlength=edges.size + 1).astype(float)


@dataclass(frozen=True, slots=True)
class TrustReport:
    """Algorithm 8's answer for one dataset."""

    predicted_error: float
    confidence: float
    distance: float
    nearest_config: str
    nearest_iteration: int


class TrustModel:
    """Error predictor + histogram bank learned from annealing logs."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, runs: Sequence[AnnealRun]) -> TrustModel:
        """Fit the error predictor and the histogram bank on ``runs``."""
        self.predictor_ = ErrorPredictor(self.seed).fit(runs)
        self.bank_ = HistogramBank.from_runs(runs)
        return self

    def trust(self, frame: pd.DataFrame) -> TrustReport:
        """Predicted error and confidence for a model trained on ``frame``."""
        d = self.bank_.distances(frame)
        k = int(np.argmin(d))
        config, iteration = self.bank_.labels[k]
        return TrustReport(
            self.predictor_.predict(frame), float(1 / (1 + d[k])), float(d[k]), config, iteration
        )


def trust_by_config(
    trust_model: TrustModel, model: ThroughputModel, config_ids: Sequence[int]
) -> dict[int, TrustReport]:
    """Algorithm 8 for the training rows of each configuration id of ``model``."""
    points = model.points_
    return {
        int(c): trust_model.trust(points[points["config"] == c])
        for c in dict.fromkeys(int(c) for c in config_ids)
    }
