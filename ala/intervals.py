"""Prediction intervals and nearest benchmarks (numpy and pandas only).

What the paper lacks, a prediction interval whose coverage is measured: split-conformal
intervals on log-throughput residuals, *normalised* by each configuration's curve-fit noise
(the median APE of its fitted curves, at least 0.5 %) and *Mondrian* by the situation of the
prediction (a benchmarked length inside / beyond its measured batch sizes, an unseen length
inside / outside the benchmarked lengths). The calibration scores are the out-of-fold residuals
of every evaluation protocol (:func:`ala.evaluate.calibration_errors`); the interval is
``pred * exp(scale * [q_lo, q_hi])`` with the conformal finite-sample quantiles. MAPIE was
considered; its estimators expect one scikit-learn regressor, not per-configuration curve
models with situation-dependent residuals, so the standard method is written here.
"""

from __future__ import annotations

from collections.abc import Mapping
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
        """The scores as JSON-ready lists."""
        return {k: np.asarray(v, float).tolist() for k, v in self.scores.items()}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> IntervalCalibration:
        """Rebuild from :meth:`to_dict`'s document."""
        return cls({k: np.asarray(v, float) for k, v in doc.items()})

    @classmethod
    def from_errors(cls, errors: pd.DataFrame, by_group: bool = True) -> IntervalCalibration:
        """Scores from held-out rows with ``thpt``, ``thpt_pred``, ``situation``, ``scale``;
        per situation, and (``by_group``) per framework and accelerator value where the rows
        carry those columns (:data:`GROUP_COLUMNS`), stored under ``group:<column>=<value>``."""
        usable = errors.dropna(subset=["situation", "scale"])
        usable = usable[(usable["thpt_pred"] > 0) & (usable["thpt"] > 0)]
        score = np.log(usable["thpt"] / usable["thpt_pred"]) / (usable["scale"] / 100)
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
        return cls(out)


def apply_interval(
    pred: pd.DataFrame, calibration: IntervalCalibration, level: float
) -> pd.DataFrame:
    """Add ``thpt_lo`` and ``thpt_hi`` to predictions that carry ``situation`` and ``scale``
    (and the framework / accelerator columns, for the subgroup factors)."""
    groups = [c for c in GROUP_COLUMNS if c in pred.columns]
    lo, hi = calibration.bounds(pred["situation"], level, pred[groups] if groups else None)
    scale = pred["scale"].to_numpy(float) / 100
    out = pred.copy()
    out["thpt_lo"] = pred["thpt_pred"].to_numpy(float) * np.exp(scale * lo)
    out["thpt_hi"] = pred["thpt_pred"].to_numpy(float) * np.exp(scale * hi)
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
