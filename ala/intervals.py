"""Prediction intervals and nearest benchmarks (numpy and pandas only).

What the paper lacks, a prediction interval whose coverage is measured: split-conformal
intervals on log-throughput residuals, *normalised* by a learned difficulty (each row's expected
residual size, from its configuration's curve-fit noise, the median APE of its fitted curves,
at least 0.5 %, and its log2 distance to the nearest measured point; :func:`fit_difficulty`)
and *Mondrian* by the situation of the prediction (a benchmarked length inside / beyond its
measured batch sizes, an unseen length inside / outside the benchmarked lengths). The
calibration scores are the out-of-fold residuals of every evaluation protocol
(:func:`ala.evaluate.calibrate_intervals`); the interval is ``pred * exp(scale * [q_lo,
q_hi])`` with the conformal finite-sample quantiles. MAPIE was
considered; its estimators expect one scikit-learn regressor, not per-configuration curve
models with situation-dependent residuals, so the standard method is written here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.errors import AlaError

Array = npt.NDArray[np.float64]
# Mondrian groups: a benchmarked length within / above / below its measured batch sizes, an
# unseen length inside / outside the benchmarked lengths.
SITUATIONS = (
    "database_within",
    "database_beyond",
    "database_below",
    "learned_inner",
    "learned_outer",
)
MIN_SCORES = 50
NOISE_FLOOR = 0.5  # percent
MAX_STORED_SCORES = 5000
# Subgroups whose coverage must hold on its own (Mondrian over groups): framework, accelerator.
GROUP_COLUMNS = ("back", "acc")
GROUP_PREFIX = "group:"
# A subgroup's width factor is shrunk toward 1 as n / (n + GROUP_PRIOR): a group of 100
# held-out points moves halfway to its own quantile.
GROUP_PRIOR = 100
# The learned difficulty: log residual size ~ log noise + log(1 + distance) + situation, a ridge
# fit shrunk toward "the noise alone" (the previous normalisation, also what a calibration
# without a learned difficulty uses). Learned only from this many configurations or more: on
# three (InferenceX) the fit moved with every fold and coverage fell to 74 %.
DIFFICULTY_KEY = "difficulty"
DIFFICULTY_MIN_CONFIGS = 20
DIFFICULTY_RIDGE = 10.0
DIFFICULTY_FLOOR = 1e-4  # |log residual| below 0.01 % counts as 0.01 % in the fit
MAX_DIFFICULTY_COEF = 50.0


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


def difficulty_features(
    noise: npt.ArrayLike | None,
    distance: npt.ArrayLike,
    situation: npt.ArrayLike,
    situations: Sequence[str] = SITUATIONS,
) -> Array:
    """Design matrix of a difficulty model: intercept, log noise fraction (0 without a noise),
    log(1 + log2 distance to the nearest measured point), one indicator per situation but
    the first and its product with the log distance (distance matters more beyond the
    measured batch sizes than between them)."""
    far = np.log1p(np.maximum(np.nan_to_num(np.asarray(distance, float), nan=0.0), 0))
    fraction = (
        np.ones(far.size)
        if noise is None
        else np.maximum(np.asarray(noise, float), NOISE_FLOOR) / 100
    )
    where = np.asarray(situation, dtype=object)
    indicators = [(where == name).astype(float) for name in situations[1:]]
    columns = [np.ones(far.size), np.log(fraction), far, *indicators]
    return np.column_stack(columns + [flag * far for flag in indicators])


def difficulty_prior(situations: Sequence[str] = SITUATIONS) -> Array:
    """Coefficients of "the noise alone", toward which :func:`fit_log_scale` shrinks."""
    return np.array([0.0, 1.0] + [0.0] * (2 * len(situations) - 1))


def fit_log_scale(residual: npt.ArrayLike, features: Array, prior: Array) -> Array:
    """Ridge fit of log |residual| (floored at :data:`DIFFICULTY_FLOOR`) on ``features``,
    shrunk toward ``prior``; the intercept is free and then dropped (the scores' conformal
    quantiles absorb the level: only the ratios between rows matter)."""
    y = np.log(np.abs(np.asarray(residual, float)) + DIFFICULTY_FLOOR)
    penalty = np.eye(features.shape[1]) * DIFFICULTY_RIDGE
    penalty[0, 0] = 0.0
    coef = np.linalg.solve(features.T @ features + penalty, features.T @ y + penalty @ prior)
    coef[0] = 0.0
    return np.clip(coef, -MAX_DIFFICULTY_COEF, MAX_DIFFICULTY_COEF)


def learns_difficulty(errors: pd.DataFrame) -> bool:
    """Whether held-out ``errors`` can teach a difficulty: they carry ``nearest_distance`` and
    come from :data:`DIFFICULTY_MIN_CONFIGS` configurations or more."""
    return "nearest_distance" in errors and errors["config"].nunique() >= DIFFICULTY_MIN_CONFIGS


def fit_difficulty(errors: pd.DataFrame) -> Array | None:
    """The throughput model's difficulty: :func:`fit_log_scale` of the log residuals on
    :func:`difficulty_features`; None where :func:`learns_difficulty` says no (the noise
    alone then normalises)."""
    if not learns_difficulty(errors):
        return None
    x = difficulty_features(errors["scale"], errors["nearest_distance"], errors["situation"])
    residual = np.log(errors["thpt"].to_numpy(float) / errors["thpt_pred"].to_numpy(float))
    return fit_log_scale(residual, x, DIFFICULTY_PRIOR)


def difficulty_scale(
    coef: Array | None,
    noise: npt.ArrayLike | None,
    distance: npt.ArrayLike,
    situation: npt.ArrayLike,
    situations: Sequence[str] = SITUATIONS,
) -> Array:
    """Each row's residual scale in log units: without coefficients the noise fraction (1
    without a noise), else the learned difficulty."""
    if coef is None:
        if noise is None:
            return np.ones(np.asarray(situation).size)
        return np.asarray(np.maximum(np.asarray(noise, float), 0) / 100, float)
    with np.errstate(over="ignore"):
        x = difficulty_features(noise, distance, situation, situations)
        scale: Array = np.exp(x @ coef)
    return scale


def _row_scale(coef: Array | None, rows: pd.DataFrame) -> Array:
    """:func:`difficulty_scale` of rows with ``scale``, ``situation`` and, optionally,
    ``nearest_distance`` (0 where absent: hand-made calibration frames)."""
    distance = rows["nearest_distance"] if "nearest_distance" in rows else np.zeros(len(rows))
    return difficulty_scale(coef, rows["scale"], distance, rows["situation"])


DIFFICULTY_PRIOR = difficulty_prior()


@dataclass(frozen=True, slots=True)
class IntervalCalibration:
    """Conformity scores per situation: log(actual / predicted) / the row's difficulty
    (:func:`difficulty_scale`: the configuration's noise, or with ``difficulty`` coefficients
    the learned difficulty)."""

    scores: Mapping[str, Array]
    difficulty: Array | None = None

    def scale(self, rows: pd.DataFrame) -> Array:
        """Residual scale (log units) of rows with ``scale``, ``situation`` and, optionally,
        ``nearest_distance``."""
        return _row_scale(self.difficulty, rows)

    def bounds(
        self,
        situation: pd.Series | npt.ArrayLike,
        level: float,
        groups: pd.DataFrame | None = None,
    ) -> tuple[Array, Array]:
        """Per-row lower and upper score quantiles (pooled where a situation has few scores).

        With ``groups`` (a row's framework and accelerator, :data:`GROUP_COLUMNS`) and group
        scores in the calibration, each row's quantiles are widened or narrowed by its
        subgroups' factor (:meth:`group_factor`: its framework's and its accelerator's,
        combined), so that coverage holds in each subgroup, not only overall.
        """
        if not 0 < level < 1:
            raise AlaError(f"interval level must be in (0, 1), got {level}")
        situations = {k: v for k, v in self.scores.items() if not k.startswith(GROUP_PREFIX)}
        pooled = np.concatenate([np.asarray(v, float) for v in situations.values()])
        table = {}
        for name in SITUATIONS:
            scores = np.asarray(situations.get(name, []), float)
            table[name] = conformal_quantiles(
                scores if scores.size >= MIN_SCORES else pooled, level
            )
        situation = np.asarray(situation, dtype=object)
        lo = np.array([table.get(s, table["learned_outer"])[0] for s in situation], float)
        hi = np.array([table.get(s, table["learned_outer"])[1] for s in situation], float)
        if groups is not None:
            factor = self.group_factor(groups, level, pooled)
            lo, hi = lo * factor, hi * factor
        return lo, hi

    def group_factor(self, groups: pd.DataFrame, level: float, pooled: Array) -> Array:
        """Per row, how much wider (or narrower) its subgroups' residuals are than all.

        For each group column, the ``level`` quantile of the group's absolute scores over that
        of all scores, shrunk toward 1 by ``n / (n + GROUP_PRIOR)``; the geometric mean over
        the columns. (The larger of the two over-covered, 91.7 % overall on AIConfigurator and
        wider; the mean kept every subgroup of LLM-Inference-Bench and AIConfigurator within
        85-95 % and narrowed the median width: benchmarks/coverage.py.)
        """
        overall = float(np.quantile(np.abs(pooled), level)) if pooled.size else 0.0
        log_factor = np.zeros(len(groups))
        found = False
        for column in groups.columns:
            values = groups[column].astype(str).to_numpy()
            column_factor = np.ones(len(groups))
            for value in pd.unique(values):
                scores = self.scores.get(f"{GROUP_PREFIX}{column}={value}")
                if scores is None or len(scores) == 0 or overall <= 0:
                    continue
                found = True
                raw = float(np.quantile(np.abs(np.asarray(scores, float)), level)) / overall
                weight = len(scores) / (len(scores) + GROUP_PRIOR)
                column_factor[values == value] = 1 + (raw - 1) * weight
            log_factor += np.log(column_factor) / len(groups.columns)
        return np.exp(log_factor) if found else np.ones(len(groups))

    def to_dict(self) -> dict[str, Any]:
        """The scores (and the difficulty coefficients, if learned) as JSON-ready lists."""
        doc = {k: np.asarray(v, float).tolist() for k, v in self.scores.items()}
        if self.difficulty is not None:
            doc[DIFFICULTY_KEY] = np.asarray(self.difficulty, float).tolist()
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> IntervalCalibration:
        """Rebuild from :meth:`to_dict`'s document.

        Raises
        ------
        AlaError
            If the difficulty coefficients are not :data:`DIFFICULTY_PRIOR`'s length of finite
            numbers within +-:data:`MAX_DIFFICULTY_COEF`.
        """
        scores = {k: np.asarray(v, float) for k, v in doc.items() if k != DIFFICULTY_KEY}
        if DIFFICULTY_KEY not in doc:
            return cls(scores)
        coef = np.asarray(doc[DIFFICULTY_KEY], float)
        if not (
            coef.shape == DIFFICULTY_PRIOR.shape
            and bool(np.all(np.abs(coef) <= MAX_DIFFICULTY_COEF))  # also false for NaN
        ):
            raise AlaError(
                f"calibration.{DIFFICULTY_KEY}: expected {DIFFICULTY_PRIOR.size} numbers within "
                f"+-{MAX_DIFFICULTY_COEF:g}; refit the model (ala fit) to rebuild it"
            )
        return cls(scores, coef)

    @classmethod
    def from_errors(
        cls, errors: pd.DataFrame, by_group: bool = True, learn_difficulty: bool = True
    ) -> IntervalCalibration:
        """Scores from held-out rows with ``thpt``, ``thpt_pred``, ``situation``, ``scale``
        (and ``nearest_distance``, for the learned difficulty); per situation, and
        (``by_group``) per framework and accelerator value where the rows carry those columns
        (:data:`GROUP_COLUMNS`), stored under ``group:<column>=<value>``. With
        ``learn_difficulty`` the scores are normalised by :func:`fit_difficulty`'s model where
        there are enough configurations, else by the noise alone."""
        usable = errors.dropna(subset=["situation", "scale"])
        usable = usable[(usable["thpt_pred"] > 0) & (usable["thpt"] > 0)]
        coef = fit_difficulty(usable) if learn_difficulty and len(usable) else None
        score = np.log(usable["thpt"] / usable["thpt_pred"]) / _row_scale(coef, usable)
        out = {}
        keys = [("", usable["situation"])]
        if by_group:
            keys += [
                (f"{GROUP_PREFIX}{c}=", usable[c].astype(str))
                for c in GROUP_COLUMNS
                if c in usable.columns
            ]
        for prefix, labels in keys:
            for name, values in score.groupby(labels):
                v = np.sort(values.to_numpy(float))
                if v.size > MAX_STORED_SCORES:  # keep the empirical quantiles, not every score
                    v = v[np.linspace(0, v.size - 1, MAX_STORED_SCORES).round().astype(int)]
                out[f"{prefix}{name}"] = v
        if not any(not k.startswith(GROUP_PREFIX) for k in out):
            raise AlaError("no held-out residuals to calibrate intervals with")
        return cls(out, coef)


def apply_interval(
    pred: pd.DataFrame, calibration: IntervalCalibration, level: float
) -> pd.DataFrame:
    """Add ``thpt_lo`` and ``thpt_hi`` to predictions that carry ``situation``, ``scale`` and
    ``nearest_distance`` (and the framework / accelerator columns, for the subgroup
    factors)."""
    groups = [c for c in GROUP_COLUMNS if c in pred.columns]
    lo, hi = calibration.bounds(pred["situation"], level, pred[groups] if groups else None)
    scale = calibration.scale(pred)
    out = pred.copy()
    out["thpt_lo"] = pred["thpt_pred"].to_numpy(float) * np.exp(scale * lo)
    out["thpt_hi"] = pred["thpt_pred"].to_numpy(float) * np.exp(scale * hi)
    return out


def min_distance(queries: Array, points: Array) -> Array:
    """Euclidean distance from each query row to the nearest point row (same coordinates,
    e.g. log2 (ii, oo, bb)), 2,048 queries at a time to bound memory."""
    out = np.empty(len(queries))
    for start in range(0, len(queries), 2048):
        chunk = queries[start : start + 2048]
        out[start : start + 2048] = np.sqrt(((chunk[:, None] - points[None]) ** 2).sum(-1).min(1))
    return out


def nearest_distance(points: pd.DataFrame, queries: pd.DataFrame) -> Array:
    """Log2 distance from each query to the nearest benchmarked (ii, oo, bb) of its
    configuration (NaN where the configuration has no points); ``points`` and ``queries``
    carry ``config, ii, oo, bb``."""
    out = np.full(len(queries), np.nan)
    q_config = queries["config"].to_numpy()
    q = np.log2(queries[["ii", "oo", "bb"]].to_numpy(float))
    by_config = points.groupby("config", sort=False)
    for config, mine in pd.Series(np.arange(len(queries))).groupby(q_config, sort=False):
        if config not in by_config.groups:
            continue
        p = np.log2(by_config.get_group(config)[["ii", "oo", "bb"]].to_numpy(float))
        rows = mine.to_numpy()
        out[rows] = min_distance(q[rows], p)
    return out


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
