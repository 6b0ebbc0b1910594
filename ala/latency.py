"""Latency metrics as targets: time to first token, time per output token, end-to-end latency.

Per configuration and metric, a physical latency model is fitted to the measured points and
corrected by their residuals, the same structure as the default throughput method
(:mod:`ala.prior`):

``ttft``
    ``t0 + p1 ii + p2 ii^2 + bb (q0 + q1 ii + q2 ii^2 + q3 ii / oo)``: the own prompt's prefill
    (linear and attention-quadratic in the prompt) plus queueing behind the prefills of the
    other ``bb`` users of a closed loop, who arrive more often when outputs are short.
``tpot``
    ``w + a ctx + bb (s + k ctx + f ii / oo)`` with ``ctx = ii + oo / 2``: per decode step the
    weight reads, attention over the context, a per-sequence cost growing with the batch,
    and the prefills of arriving requests interleaved with decoding (``ii / oo`` prompt
    tokens per generated token).
``e2e``
    ``ttft + (oo - 1) x tpot``, with both sets of terms.

Percentile metrics (``p99_*``) use their median's terms. Coefficients are non-negative
(:func:`scipy.optimize.nnls`), fitted for relative error. What the model misses is kept as a
log residual at each measured point: at a measured length it is interpolated along log batch
size (held flat below the measured range; above it, the last measured bend continues if it
bends down, so a latency that flattens at the engine's batch limit is not extrapolated
linearly); at an unseen length it is inverse-distance weighted
over the measured lengths in (log ii, log oo), as :class:`ala.prior.PriorLearner` does.

Intervals are split-conformal on the absolute log error of out-of-fold predictions, separately
for each situation: within, above (``beyond``) or below a measured length's batch sizes, an
unseen length inside
or outside the measured ones (:meth:`LatencyModel.calibrate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import nnls

from ala.configs import ConfigKey, config_keys
from ala.data import LATENCY_METRICS
from ala.errors import AlaError, DataError, UnknownConfigurationError
from ala.intervals import (
    MAX_DIFFICULTY_COEF,
    difficulty_features,
    difficulty_prior,
    difficulty_scale,
    fit_log_scale,
    learns_difficulty,
    min_distance,
)
from ala.prior import IDW_POWER

Array = npt.NDArray[np.float64]

# Out-of-fold situations whose scores calibrate intervals.
# Where a prediction lies relative to the measured points; each has its own interval width,
# calibrated on the protocol that puts points there.
# Above and below the measured batch sizes are apart: pooled, the largest-batch protocol was
# under-covered (84.0 % for AIConfigurator's TTFT) and the smallest over-covered (96.2 %).
SITUATIONS = ("within", "beyond", "below", "unseen_inner", "unseen_outer")
_PROTOCOL_SITUATION = {
    "loo_inner": "unseen_inner",
    "loo_extreme": "unseen_outer",
    "max_batch": "beyond",
    "min_batch": "below",
    "kfold": "within",
}
MAX_SCORES = 2000  # calibration scores kept per (metric, situation)
# How much the input and output lengths count in the distance between lengths that weights the
# measured residuals: time to first token hardly depends on the output length.
# Outside the measured lengths, a prediction is taken this far along the physical model's
# extrapolation from the nearest measured length (the rest: that length's value), in log space.
# Held out (leave the shortest / longest length out), halfway was best for TPOT on both serving
# datasets (median APE 18.3 -> 13.4 % on AIConfigurator, 20.0 -> 11.8 % on InferenceX; all the
# way to the nearest length: 16.2 and 9.0 %); for TTFT the prompt's effect is real and damping
# it cost InferenceX 15.0 -> 22.5 %, so TTFT and e2e extrapolate fully.
OUTER_DAMPING = {"ttft": 1.0, "tpot": 0.5, "e2e": 1.0}
LENGTH_SCALE = {
    "ttft": (1.0, 0.25),
    "tpot": (1.0, 1.0),
    "e2e": (1.0, 1.0),
}


def base_metric(metric: str) -> str:
    """``ttft``, ``tpot`` or ``e2e`` for any latency metric name."""
    return metric.removeprefix("p99_").removesuffix("_ms")


def latency_design(metric: str, ii: Array, oo: Array, bb: Array) -> Array:
    """Design matrix of ``metric``'s physical model: shape (n, terms)."""
    ii, oo, bb = np.broadcast_arrays(*(np.asarray(x, float) for x in (ii, oo, bb)))
    ttft = [np.ones_like(ii), ii, ii * ii, bb, bb * ii, bb * ii * ii, bb * ii / oo]
    ctx = ii + oo / 2
    tpot = [np.ones_like(ii), ctx, bb, bb * ctx, bb * ii / oo]
    kind = base_metric(metric)
    if kind == "ttft":
        return np.stack(ttft, axis=-1)
    if kind == "tpot":
        return np.stack(tpot, axis=-1)
    if kind == "e2e":
        steps = np.maximum(oo - 1, 0)
        return np.stack([*ttft, *(steps * t for t in tpot)], axis=-1)
    raise AlaError(f"unknown latency metric {metric!r}; choose from {', '.join(LATENCY_METRICS)}")


def fit_terms(x: Array, y: Array) -> Array:
    """Non-negative coefficients of ``x @ coef ~ y`` for relative error."""
    rel = x / y[:, None]
    scale = np.maximum(np.abs(rel).max(axis=0), 1e-300)
    coef, _ = nnls(rel / scale, np.ones_like(y))
    if not np.any(coef > 0):  # degenerate data: a constant
        coef = np.zeros(x.shape[1])
        coef[0] = float(np.median(y))
        return coef
    return np.asarray(coef / scale, float)


# Terms of the designs that are quadratic in the prompt (ttft and e2e share the first six).
QUADRATIC_TERMS = (2, 5)
# Prompt lengths needed to identify a curvature in the prompt length.
QUADRATIC_LENGTHS = 3


def fit_quadratic_if_needed(x: Array, y: Array, metric: str, prompts: int) -> Array:
    """:func:`fit_terms`, without the quadratic prompt terms when fewer than
    :data:`QUADRATIC_LENGTHS` distinct prompt lengths (``prompts``) were measured."""
    if base_metric(metric) == "tpot" or prompts >= QUADRATIC_LENGTHS:
        return fit_terms(x, y)
    linear = [j for j in range(x.shape[1]) if j not in QUADRATIC_TERMS]
    coef = np.zeros(x.shape[1])
    coef[linear] = fit_terms(x[:, linear], y)
    return coef


def conformal_abs_quantile(scores: Array, level: float) -> float:
    """The split-conformal ``level`` quantile of absolute scores (rank ceil((n + 1) level))."""
    ordered = np.sort(np.asarray(scores, float))
    rank = min(int(np.ceil((ordered.size + 1) * level)), ordered.size) - 1
    return float(ordered[rank])


# The noise term is absent here (its column is 0): the prior is "every row alike".
LATENCY_DIFFICULTY_PRIOR = difficulty_prior(SITUATIONS)


def fit_latency_difficulty(
    errors: pd.DataFrame, score: Array, situation: npt.ArrayLike
) -> Array | None:
    """How a latency metric's absolute log error grows with the distance to the nearest
    measurement, per situation (:func:`ala.intervals.fit_log_scale`); None where
    :func:`ala.intervals.learns_difficulty` says no (every row is then alike)."""
    if not learns_difficulty(errors):
        return None
    usable = np.isfinite(score) & np.isfinite(errors["nearest_distance"].to_numpy(float))
    x = difficulty_features(None, errors["nearest_distance"], situation, SITUATIONS)
    return fit_log_scale(score[usable], x[usable], LATENCY_DIFFICULTY_PRIOR)


def latency_difficulty(
    coef: Array | None, distance: npt.ArrayLike, situation: npt.ArrayLike
) -> Array:
    """Each row's relative error scale (:func:`ala.intervals.difficulty_scale` without a
    noise term): 1 without a learned difficulty."""
    return difficulty_scale(coef, None, distance, situation, SITUATIONS)


@dataclass(frozen=True, slots=True)
class LatencyLearner:
    """One configuration's model of one latency metric.

    ``pairs`` are the measured (ii, oo); point ``j`` belongs to ``pairs[length[j]]`` and has
    log batch size ``log_bb[j]`` and log residual ``log_r[j]`` (sorted by length, then bb).
    """

    metric: str
    coef: Array
    pairs: Array
    length: npt.NDArray[np.int64]
    log_bb: Array
    log_r: Array

    @classmethod
    def fit(cls, metric: str, ii: Array, oo: Array, bb: Array, y: Array) -> LatencyLearner:
        """Fit the physical terms and keep the residuals of every measured point.

        The attention-quadratic prompt terms need three prompt lengths: with two, a curvature
        is not identified, and an arbitrary one would decide every length in between.
        """
        x = latency_design(metric, ii, oo, bb)
        coef = fit_quadratic_if_needed(x, y, metric, int(np.unique(ii).size))
        prior = np.maximum(latency_design(metric, ii, oo, bb) @ coef, 1e-12)
        codes, uniques = pd.factorize(pd.MultiIndex.from_arrays([ii, oo]))
        pairs = np.array(list(uniques), float).reshape(-1, 2)
        order = np.lexsort((bb, codes))
        return cls(
            metric=metric,
            coef=coef,
            pairs=pairs,
            length=codes[order].astype(np.int64),
            log_bb=np.log(bb[order]),
            log_r=np.log(y[order] / prior[order]),
        )

    def prior(self, ii: Array, oo: Array, bb: Array) -> Array:
        """The physical model alone."""
        return np.asarray(
            np.maximum(latency_design(self.metric, ii, oo, bb) @ self.coef, 1e-9), float
        )

    def predict(self, ii: Array, oo: Array, bb: Array) -> Array:
        """Corrected prediction (ms) for each (ii, oo, bb)."""
        log_bb = np.log(bb)
        per_length = np.empty((len(ii), len(self.pairs)))
        for k in range(len(self.pairs)):
            mine = self.length == k
            x, r = self.log_bb[mine], self.log_r[mine]
            per_length[:, k] = np.interp(log_bb, x, r)
            if x.size >= 2 and x[-1] > x[-2]:  # beyond: the measured bend, never steeper
                slope = min((r[-1] - r[-2]) / (x[-1] - x[-2]), 0.0)
                beyond = log_bb > x[-1]
                per_length[beyond, k] = r[-1] + slope * (log_bb[beyond] - x[-1])
        scale = np.asarray(LENGTH_SCALE[base_metric(self.metric)])
        q = np.log(np.column_stack([ii, oo])) * scale
        p = np.log(self.pairs) * scale
        dist = np.sqrt(((q[:, None, :] - p[None, :, :]) ** 2).sum(-1))
        weight = np.where(dist < 1e-12, 1e12, 1 / np.maximum(dist, 1e-12) ** IDW_POWER)
        weight /= weight.sum(1, keepdims=True)
        pred = self.prior(ii, oo, bb) * np.exp((weight * per_length).sum(1))
        damp = OUTER_DAMPING[base_metric(self.metric)]
        total = self.pairs.sum(1)
        outer = (ii + oo < total.min() - 1e-9) | (ii + oo > total.max() + 1e-9)
        if damp < 1 and outer.any():  # outside the measured lengths: toward the nearest one
            k = np.argmin(dist[outer], axis=1)
            near = self.pairs[k]
            anchor = self.prior(near[:, 0], near[:, 1], bb[outer]) * np.exp(
                per_length[np.flatnonzero(outer), k]
            )
            pred[outer] = np.exp(damp * np.log(pred[outer]) + (1 - damp) * np.log(anchor))
        return np.asarray(pred, float)

    def measured_at(self, ii: float, oo: float) -> tuple[Array, Array]:
        """The measured batch sizes and values of one length (empty if not measured): the
        physical terms times the kept residual give back each measurement."""
        k = np.flatnonzero(np.isclose(self.pairs[:, 0], ii) & np.isclose(self.pairs[:, 1], oo))
        mine = np.isin(self.length, k)
        bb = np.exp(self.log_bb[mine])
        values = self.prior(np.full(bb.size, ii), np.full(bb.size, oo), bb) * np.exp(
            self.log_r[mine]
        )
        return np.asarray(bb, float), np.asarray(values, float)

    def distance(self, ii: Array, oo: Array, bb: Array) -> Array:
        """Log2 distance from each query to the nearest measured (ii, oo, bb)."""
        points = np.column_stack([np.log(self.pairs[self.length]), self.log_bb]) / np.log(2)
        return min_distance(np.log2(np.column_stack([ii, oo, bb])), points)

    def situation(self, ii: Array, oo: Array, bb: Array) -> npt.NDArray[np.object_]:
        """Per query, one of :data:`SITUATIONS`: at a measured length, ``within``, above
        (``beyond``) or ``below`` its measured batch sizes; at an unseen length,
        ``unseen_inner`` (between the shortest and longest measured ii + oo) or
        ``unseen_outer``."""
        match = np.isclose(ii[:, None], self.pairs[None, :, 0]) & np.isclose(
            oo[:, None], self.pairs[None, :, 1]
        )
        log_bb = np.log(bb)
        out = np.empty(len(ii), dtype=object)
        total = self.pairs.sum(1)
        inner = (ii + oo >= total.min() - 1e-9) & (ii + oo <= total.max() + 1e-9)
        out[:] = np.where(inner, "unseen_inner", "unseen_outer")
        for k in range(len(self.pairs)):
            rows = match[:, k]
            if rows.any():
                mine = self.log_bb[self.length == k]
                inside = (log_bb[rows] >= mine.min() - 1e-9) & (log_bb[rows] <= mine.max() + 1e-9)
                below = log_bb[rows] < mine.min() - 1e-9
                out[rows] = np.where(inside, "within", np.where(below, "below", "beyond"))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready lists."""
        return {
            "metric": self.metric,
            "coef": self.coef.tolist(),
            "pairs": self.pairs.tolist(),
            "length": self.length.tolist(),
            "log_bb": self.log_bb.tolist(),
            "log_r": self.log_r.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str) -> LatencyLearner:
        """Rebuild from :meth:`to_dict`'s document, checking every number and shape."""
        from ala.modelfile import field, numbers, require

        metric = field(data, "metric", str, where)
        require(metric in LATENCY_METRICS, f"{where}.metric", "expected a latency metric")
        coef = np.asarray(numbers(field(data, "coef", list, where), f"{where}.coef"))
        terms = latency_design(metric, np.ones(1), np.ones(1), np.ones(1)).shape[1]
        require(
            coef.size == terms and bool(np.all((coef >= 0) & (coef < 1e12))),
            f"{where}.coef",
            f"expected {terms} non-negative costs",
        )
        rows = field(data, "pairs", list, where)
        pairs = np.asarray([numbers(p, f"{where}.pairs", 2) for p in rows]).reshape(-1, 2)
        require(
            len(pairs) > 0 and bool(np.all((pairs > 0) & (pairs <= 1e7))),
            f"{where}.pairs",
            "expected lengths",
        )
        length = np.asarray(numbers(field(data, "length", list, where), f"{where}.length"))
        log_bb = np.asarray(numbers(field(data, "log_bb", list, where), f"{where}.log_bb"))
        log_r = np.asarray(numbers(field(data, "log_r", list, where), f"{where}.log_r"))
        require(
            length.size == log_bb.size == log_r.size > 0
            and bool(np.all((length >= 0) & (length < len(pairs)) & (length % 1 == 0)))
            and set(length.astype(int).tolist()) == set(range(len(pairs))),
            f"{where}.length",
            "expected a length index per point, every length measured",
        )
        require(bool(np.all(np.abs(log_bb) <= 20)), f"{where}.log_bb", "out of range")
        require(bool(np.all(np.abs(log_r) <= 50)), f"{where}.log_r", "out of range")
        order = np.lexsort((log_bb, length))
        return cls(metric, coef, pairs, length.astype(np.int64)[order], log_bb[order], log_r[order])


class LatencyModel:
    """Predict latency metrics for (configuration, ii, oo, bb) from benchmark rows.

    Parameters
    ----------
    config_columns
        Columns identifying a configuration (required: a plain frame does not say).
    metrics
        Metrics to model; default every latency metric with values in the data.
    """

    def __init__(
        self, config_columns: Sequence[str] = (), metrics: Sequence[str] | None = None
    ) -> None:
        self.config_columns = tuple(config_columns)
        self.metrics = None if metrics is None else tuple(metrics)

    def get_params(self) -> dict[str, Any]:
        """The constructor's settings."""
        return {"config_columns": self.config_columns, "metrics": self.metrics}

    def fit(self, frame: pd.DataFrame) -> LatencyModel:
        """Fit one learner per (metric, configuration) with measured values of that metric.

        Raises
        ------
        DataError
            If no asked metric has a value.
        """
        wanted = self.metrics or LATENCY_METRICS
        self.learners_: dict[str, dict[ConfigKey, LatencyLearner]] = {}
        keys = config_keys(frame, self.config_columns)
        for metric in (m for m in wanted if m in frame.columns):
            values = frame[metric].to_numpy(float)
            usable = np.isfinite(values) & (values > 0)
            if not usable.any():
                continue
            rows = frame[usable]
            by_key: dict[ConfigKey, LatencyLearner] = {}
            for idx in rows.groupby(keys[usable].to_numpy(), sort=False).indices.values():
                part = rows.iloc[idx]
                ii, oo, bb = (part[c].to_numpy(float) for c in ("ii", "oo", "bb"))
                by_key[keys[usable].iloc[idx[0]]] = LatencyLearner.fit(
                    metric, ii, oo, bb, part[metric].to_numpy(float)
                )
            self.learners_[metric] = by_key
        if not self.learners_:
            raise DataError(f"no values of {', '.join(wanted)} to learn latency from")
        self.scores_: dict[str, dict[str, Array]] = {}
        self.difficulty_: dict[str, Array] = {}
        return self

    @property
    def metrics_(self) -> tuple[str, ...]:
        """The metrics modelled."""
        return tuple(self.learners_)

    def predict(self, queries: pd.DataFrame, interval: float | None = None) -> pd.DataFrame:
        """Copy of ``queries`` with ``<metric>_pred`` (ms) for every modelled metric, NaN for a
        configuration that never measured it, and ``<metric>_distance``, the log2 distance to
        the nearest measurement of it; with ``interval``, ``<metric>_lo/_hi`` too.

        Raises
        ------
        UnknownConfigurationError
            If no metric knows a queried configuration.
        """
        out = queries.copy()
        codes, uniques = pd.factorize(config_keys(queries, self.config_columns))
        groups = pd.Series(np.arange(len(codes))).groupby(codes).indices
        known = np.zeros(len(queries), bool)
        ii, oo, bb = (queries[c].to_numpy(float) for c in ("ii", "oo", "bb"))
        for metric, by_key in self.learners_.items():
            pred = np.full(len(queries), np.nan)
            distance = np.full(len(queries), np.nan)
            situation = np.full(len(queries), "within", dtype=object)
            for code, rows in groups.items():
                learner = by_key.get(uniques[int(code)])
                if learner is None:
                    continue
                pred[rows] = learner.predict(ii[rows], oo[rows], bb[rows])
                distance[rows] = learner.distance(ii[rows], oo[rows], bb[rows])
                situation[rows] = learner.situation(ii[rows], oo[rows], bb[rows])
                known[rows] = True
            out[f"{metric}_pred"] = pred
            out[f"{metric}_distance"] = distance
            if interval is not None:
                half = self.half_width(metric, interval, situation, distance)
                out[f"{metric}_lo"] = pred * np.exp(-half)
                out[f"{metric}_hi"] = pred * np.exp(half)
        if not known.all():
            missing = uniques[codes[~known][0]]
            raise UnknownConfigurationError(
                f"configuration {dict(zip(self.config_columns, missing, strict=True))} has no "
                "latency measurement"
            )
        return out

    def half_width(
        self,
        metric: str,
        level: float,
        situation: npt.NDArray[np.object_],
        distance: npt.ArrayLike | None = None,
    ) -> Array:
        """Conformal half-width in log space per row, by situation (NaN when uncalibrated;
        a situation without scores takes the pooled ones), times the row's learned difficulty
        (:func:`latency_difficulty`) where the calibration learned one."""
        if not 0 < level < 1:
            raise AlaError(f"interval level must lie in (0, 1), not {level}")
        out = np.full(len(situation), np.nan)
        for name in SITUATIONS:
            scores = self.scores_.get(metric, {}).get(name)
            if scores is None or scores.size == 0:
                pooled = list(self.scores_.get(metric, {}).values())
                scores = np.concatenate(pooled) if pooled else np.empty(0)
            if scores.size:
                out[situation == name] = conformal_abs_quantile(scores, level)
        coef = self.difficulty_.get(metric)
        far = np.zeros(len(situation)) if distance is None else distance
        return out * latency_difficulty(coef, far, situation)

    def calibrate(self, frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
        """Learn interval scores from out-of-fold predictions; returns the held-out errors."""
        from ala.evaluate import CALIBRATION_PROTOCOLS, evaluate

        errors = []
        for metric in self.metrics_:
            columns, metrics = self.config_columns, (metric,)
            usable = frame[np.isfinite(frame[metric].to_numpy(float))]
            try:
                result = evaluate(
                    usable,
                    {"default": partial(LatencyModel, columns, metrics)},
                    CALIBRATION_PROTOCOLS,
                    config_columns=self.config_columns,
                    seed=seed,
                    target=metric,
                )
            except DataError:
                continue
            part = result.errors.assign(metric=metric)
            score = np.abs(np.log(part[f"{metric}_pred"] / part[metric])).to_numpy(float)
            situation = part["protocol"].map(_PROTOCOL_SITUATION).to_numpy()
            coef = fit_latency_difficulty(part, score, situation)
            if coef is not None:
                self.difficulty_[metric] = coef
                score = score / latency_difficulty(coef, part["nearest_distance"], situation)
            rng = np.random.default_rng(seed)
            self.scores_[metric] = {}
            for name in SITUATIONS:
                mine = score[(situation == name) & np.isfinite(score)]
                if mine.size > MAX_SCORES:
                    mine = rng.choice(mine, MAX_SCORES, replace=False)
                self.scores_[metric][name] = np.sort(mine)
            errors.append(part)
        return pd.concat(errors, ignore_index=True) if errors else pd.DataFrame()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready document."""
        return {
            "config_columns": list(self.config_columns),
            "learners": [
                {"values": list(key), "learner": learner.to_dict()}
                for by_key in self.learners_.values()
                for key, learner in by_key.items()
            ],
            "scores": {m: {s: v.tolist() for s, v in by.items()} for m, by in self.scores_.items()},
            "difficulty": {m: coef.tolist() for m, coef in self.difficulty_.items()},
        }

    @classmethod
    def from_dict(cls, doc: Any, columns: Sequence[str]) -> LatencyModel:
        """Rebuild from :meth:`to_dict`'s document (validated field by field)."""
        from ala.modelfile import field, key_values, numbers, require

        entries = field(doc, "learners", list, "latency")
        require(0 < len(entries) <= 1_000_000, "latency.learners", "expected learners")
        model = cls(columns)
        model.learners_ = {}
        for i, entry in enumerate(entries):
            key = key_values(entry, columns, f"latency.learners[{i}]")
            learner = LatencyLearner.from_dict(
                field(entry, "learner", dict, f"latency.learners[{i}]"),
                f"latency.learners[{i}]",
            )
            model.learners_.setdefault(learner.metric, {})[key] = learner
        scores = field(doc, "scores", dict, "latency")
        model.scores_ = {}
        for metric, by in scores.items():
            require(metric in model.learners_, f"latency.scores.{metric}", "no such metric")
            require(isinstance(by, dict), f"latency.scores.{metric}", "expected an object")
            model.scores_[metric] = {}
            for situation, values in by.items():
                require(situation in SITUATIONS, f"latency.scores.{metric}", "unknown situation")
                arr = np.sort(np.asarray(numbers(values, f"latency.scores.{metric}"), float))
                require(bool(np.all((arr >= 0) & (arr <= 1e4))), "latency.scores", "out of range")
                model.scores_[metric][situation] = arr
        model.difficulty_ = {}
        difficulty = doc.get("difficulty") or {}  # absent from files written before it
        require(isinstance(difficulty, dict), "latency.difficulty", "expected an object")
        for metric, values in difficulty.items():
            where = f"latency.difficulty.{metric}"
            require(metric in model.scores_, where, "no such calibrated metric")
            coef = np.asarray(numbers(values, where), float)
            require(
                coef.shape == LATENCY_DIFFICULTY_PRIOR.shape
                and bool(np.all(np.abs(coef) <= MAX_DIFFICULTY_COEF)),
                where,
                f"expected {LATENCY_DIFFICULTY_PRIOR.size} numbers within "
                f"+-{MAX_DIFFICULTY_COEF:g}",
            )
            model.difficulty_[metric] = coef
        return model


def metric_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    """The latency metrics with at least one value in a canonical frame."""
    return tuple(
        m
        for m in LATENCY_METRICS
        if m in frame.columns and bool(np.isfinite(frame[m].to_numpy(float)).any())
    )


def latency_coverage(
    errors: pd.DataFrame,
    metric: str,
    level: float = 0.9,
    folds: int = 5,
    seed: int = 0,
    learn_difficulty: bool = True,
) -> pd.DataFrame:
    """Coverage (%) and median relative width (%) of ``level`` intervals per protocol.

    ``errors`` are out-of-fold predictions of one method (:func:`ala.evaluate.evaluate` with
    ``target=metric``). Configurations are split into ``folds`` groups; each group's rows are
    covered by intervals calibrated on the other groups' scores (by situation, from the
    calibration protocols, normalised by a difficulty learned on them with
    ``learn_difficulty``), so no row is covered by an interval fitted on itself.
    """
    from ala.evaluate import CALIBRATION_PROTOCOLS

    rows = errors.copy()
    rows["score"] = np.abs(np.log(rows[f"{metric}_pred"] / rows[metric]))
    rows["situation"] = rows["protocol"].map(_PROTOCOL_SITUATION).fillna("within")
    codes, uniques = pd.factorize(rows["config"])
    group = np.random.default_rng(seed).permutation(len(uniques)) % folds
    rows["group"] = group[codes]
    pool = rows[rows["protocol"].isin(CALIBRATION_PROTOCOLS)]
    half = np.full(len(rows), np.nan)
    for g in range(folds):
        others = pool[pool["group"] != g]
        score = others["score"].to_numpy(float)
        coef = (
            fit_latency_difficulty(others, score, others["situation"]) if learn_difficulty else None
        )
        others = others.assign(
            score=score / latency_difficulty(coef, others["nearest_distance"], others["situation"])
        )
        mine = rows["group"].to_numpy() == g
        scale = latency_difficulty(
            coef, rows.loc[mine, "nearest_distance"], rows.loc[mine, "situation"]
        )
        for situation in SITUATIONS:
            scores = np.sort(others.loc[others["situation"] == situation, "score"].to_numpy())
            if scores.size == 0:
                scores = np.sort(others["score"].to_numpy())
            if scores.size == 0:
                continue
            here = rows.loc[mine, "situation"].to_numpy() == situation
            half[np.flatnonzero(mine)[here]] = conformal_abs_quantile(scores, level) * scale[here]
    rows["covered"] = rows["score"].to_numpy() <= half
    rows["rel_width"] = (np.exp(half) - np.exp(-half)) * 100
    grouped = rows.groupby("protocol", sort=False)
    return pd.DataFrame(
        {
            "coverage": grouped["covered"].mean() * 100,
            "median_rel_width": grouped["rel_width"].median(),
            "n": grouped.size(),
        }
    ).reset_index()
