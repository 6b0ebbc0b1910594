"""How far to trust a prediction.

The paper's method (Ray et al., Algorithms 7 and 8):

* :class:`SubsetEncoder` turns a dataset into a binary vector, one entry per unique ii, bb and
  oo value of the universe (1 if the value occurs).
* :class:`ErrorPredictor` is an XGBoost regressor from those vectors to the error logged by
  the annealer.
* :func:`trust` predicts a new dataset's error and its confidence ``1 / (1 + d_min)``, where
  ``d_min`` is the smallest (over logged subsets) mean (over ii, oo, bb, thpt) cosine distance
  between histograms with shared bin edges.

What the paper lacks, a prediction interval whose coverage is measured:

* Split-conformal intervals on log-throughput residuals, *normalised* by each configuration's
  curve-fit noise (the median APE of its fitted curves, at least 0.5 %) and *Mondrian* by the
  situation of the prediction (a benchmarked length inside / beyond its measured batch sizes,
  an unseen length inside / outside the benchmarked lengths). Calibration scores are the
  out-of-fold residuals of every evaluation protocol (:func:`calibrate`); the interval is
  ``pred * exp(scale * [q_lo, q_hi])`` with the conformal finite-sample quantiles. MAPIE was
  considered; its estimators expect one scikit-learn regressor, not per-configuration
  curve models with situation-dependent residuals, so the standard method is written here.
* :func:`interval_coverage` measures coverage honestly: configurations are split into folds,
  and each fold's intervals are calibrated only on the other folds' scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xgboost as xgb

from ala.errors import AlaError

if TYPE_CHECKING:
    from ala.annealing import AnnealRun
    from ala.evaluate import EvaluationResult

Array = npt.NDArray[np.float64]
FEATURES = ("ii", "oo", "bb", "thpt")
SITUATIONS = ("database_within", "database_beyond", "learned_inner", "learned_outer")
MIN_SCORES = 50
NOISE_FLOOR = 0.5  # percent
MAX_STORED_SCORES = 5000


# --------------------------------------------------------------------------- Algorithm 7
@dataclass(frozen=True, slots=True)
class SubsetEncoder:
    """Binary encoding of a dataset over the universe's unique ii, bb and oo values."""

    ii: tuple[float, ...]
    bb: tuple[float, ...]
    oo: tuple[float, ...]

    @classmethod
    def from_frames(cls, frames: Sequence[pd.DataFrame]) -> SubsetEncoder:
        both = pd.concat([f[["ii", "oo", "bb"]] for f in frames])
        return cls(*(tuple(float(v) for v in np.unique(both[c])) for c in ("ii", "bb", "oo")))

    def encode(self, frame: pd.DataFrame) -> Array:
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


# ------------------------------------------------------------------- conformal intervals
def conformal_quantiles(scores: Array, level: float) -> tuple[float, float]:
    """Lower and upper conformal quantiles of ``scores`` for a two-sided ``level`` interval."""
    s = np.sort(np.asarray(scores, float))
    n = s.size
    if n == 0:
        return -np.inf, np.inf
    tail = (1 - level) / 2
    k_hi = int(np.ceil((n + 1) * (1 - tail) - 1e-9)) - 1
    k_lo = int(np.floor((n + 1) * tail + 1e-9)) - 1
    hi = s[k_hi] if k_hi < n else np.inf
    lo = s[k_lo] if k_lo >= 0 else -np.inf
    return float(lo), float(hi)


@dataclass(frozen=True, slots=True)
class IntervalCalibration:
    """Conformity scores per situation: log(actual / predicted) / configuration noise."""

    scores: Mapping[str, Array]

    def bounds(self, situation: pd.Series | npt.ArrayLike, level: float) -> tuple[Array, Array]:
        """Per-row lower and upper score quantiles (pooled where a situation has few scores)."""
        if not 0 < level < 1:
            raise AlaError(f"interval level must be in (0, 1), got {level}")
        pooled = np.concatenate([np.asarray(v, float) for v in self.scores.values()])
        table = {}
        for name in SITUATIONS:
            scores = np.asarray(self.scores.get(name, []), float)
            table[name] = conformal_quantiles(
                scores if scores.size >= MIN_SCORES else pooled, level
            )
        situation = np.asarray(situation, dtype=object)
        lo = np.array([table.get(s, table["learned_outer"])[0] for s in situation], float)
        hi = np.array([table.get(s, table["learned_outer"])[1] for s in situation], float)
        return lo, hi

    def to_dict(self) -> dict[str, Any]:
        return {k: np.asarray(v, float).tolist() for k, v in self.scores.items()}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> IntervalCalibration:
        return cls({k: np.asarray(v, float) for k, v in doc.items()})

    @classmethod
    def from_errors(cls, errors: pd.DataFrame) -> IntervalCalibration:
        """Scores from held-out rows with ``thpt``, ``thpt_pred``, ``situation``, ``scale``."""
        usable = errors.dropna(subset=["situation", "scale"])
        usable = usable[(usable["thpt_pred"] > 0) & (usable["thpt"] > 0)]
        score = np.log(usable["thpt"] / usable["thpt_pred"]) / (usable["scale"] / 100)
        out = {}
        for name, values in score.groupby(usable["situation"]):
            v = np.sort(values.to_numpy(float))
            if v.size > MAX_STORED_SCORES:  # keep the empirical quantiles, not every score
                v = v[np.linspace(0, v.size - 1, MAX_STORED_SCORES).round().astype(int)]
            out[str(name)] = v
        if not out:
            raise AlaError("no held-out residuals to calibrate intervals with")
        return cls(out)


def apply_interval(
    pred: pd.DataFrame, calibration: IntervalCalibration, level: float
) -> pd.DataFrame:
    """Add ``thpt_lo`` and ``thpt_hi`` to predictions that carry ``situation`` and ``scale``."""
    lo, hi = calibration.bounds(pred["situation"], level)
    scale = pred["scale"].to_numpy(float) / 100
    out = pred.copy()
    out["thpt_lo"] = pred["thpt_pred"].to_numpy(float) * np.exp(scale * lo)
    out["thpt_hi"] = pred["thpt_pred"].to_numpy(float) * np.exp(scale * hi)
    return out


def calibrate(data: Any, method: str = "default", seed: int = 0) -> IntervalCalibration:
    """Calibration scores from every evaluation protocol's out-of-fold predictions."""
    from ala.evaluate import PROTOCOLS, evaluate

    result = evaluate(data, methods=[method], protocols=PROTOCOLS, seed=seed)
    return IntervalCalibration.from_errors(result.errors)


def interval_coverage(
    result: EvaluationResult, level: float = 0.9, folds: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Empirical coverage and median relative width per protocol and method.

    Configurations are split into ``folds`` groups; the intervals of each group's held-out
    rows are calibrated on the scores of the other groups only (all protocols pooled by
    situation), so no row is covered by an interval calibrated on itself.
    """
    errors = result.errors.dropna(subset=["situation", "scale"]).copy()
    if errors.empty:
        raise AlaError("these methods give no situation/scale: intervals need default or paper")
    configs = errors["config"].unique()
    group = dict(
        zip(
            np.random.default_rng(seed).permutation(configs),
            np.arange(configs.size) % folds,
            strict=True,
        )
    )
    errors["group"] = errors["config"].map(group)
    parts = []
    for (_, g), rows in errors.groupby(["method", "group"]):
        others = errors[(errors["method"] == rows["method"].iloc[0]) & (errors["group"] != g)]
        calibration = IntervalCalibration.from_errors(others)
        parts.append(apply_interval(rows, calibration, level))
    covered = pd.concat(parts)
    covered["covered"] = (covered["thpt"] >= covered["thpt_lo"]) & (
        covered["thpt"] <= covered["thpt_hi"]
    )
    covered["rel_width"] = (covered["thpt_hi"] - covered["thpt_lo"]) / covered["thpt_pred"] * 100
    grouped = covered.groupby(["protocol", "method"], sort=False)
    return pd.DataFrame(
        {
            "coverage": grouped["covered"].mean() * 100,
            "median_rel_width": grouped["rel_width"].median(),
            "mean_rel_width": grouped["rel_width"].mean(),
            "n": grouped.size(),
        }
    ).reset_index()


# ------------------------------------------------------------------ nearest benchmarks
def nearest_points(points: pd.DataFrame, queries: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The ``k`` benchmarked (ii, oo, bb) nearest each query, in log2 units, per config.

    ``points`` and ``queries`` carry ``config, ii, oo, bb``. A distance of 1 means one doubling
    away in one dimension. Returns one row per (query position, rank).
    """
    rows = []
    q_config = queries["config"].to_numpy()
    q = np.log2(queries[["ii", "oo", "bb"]].to_numpy(float))
    for config in pd.unique(q_config):
        mine = np.flatnonzero(q_config == config)
        pts = points[points["config"] == config]
        if pts.empty:
            continue
        p = np.log2(pts[["ii", "oo", "bb"]].to_numpy(float))
        d = np.sqrt(((q[mine, None, :] - p[None, :, :]) ** 2).sum(-1))
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
        values = pts[["ii", "oo", "bb", "thpt"]].to_numpy(float)
        for pos, (row, idx) in enumerate(zip(mine, order, strict=True)):
            for rank, j in enumerate(idx):
                rows.append(
                    {
                        "query": int(row),
                        "rank": rank + 1,
                        **dict(zip(("ii", "oo", "bb", "thpt"), values[j], strict=True)),
                        "distance": float(d[pos, j]),
                    }
                )
    return pd.DataFrame(rows, columns=["query", "rank", "ii", "oo", "bb", "thpt", "distance"])
