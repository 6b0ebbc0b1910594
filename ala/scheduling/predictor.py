"""Output-length intervals from what is known at arrival, with conformal calibration.

A request's output length is unknown when it arrives; its prompt length is known. The predictor
splits the prompt lengths into buckets (quantiles of the training prompts), takes in each bucket
the empirical quantiles of log output length (the ``(1 - level) / 2`` and ``(1 + level) / 2``
quantiles and the median), and then widens every interval by one conformal margin computed on a
separate calibration slice (conformalised quantile regression, Romano et al. 2019), so that the
stated coverage holds on exchangeable future requests. Output lengths are integers with heavy
ties (a coding trace has 9% of its requests at 9 tokens), which would make a deterministic
interval cover far more than asked; so lengths are jittered uniformly within their token for
calibration, and the bounds are rounded to whole tokens at random to match (seeded), which
makes the coverage of whole-token intervals equal, on average, to that of the jittered lengths.
Buckets with few requests borrow the pooled quantiles. Hand-written because it is a few array
operations; scikit-learn's quantile regressors would add a fit per level for one feature.

Two calibrations, by name:

* ``"split"``: one margin from the calibration slice, kept for every later request (plain
  split-conformal). Traffic drifts, so its coverage on the later half of an Azure trace is off
  by up to 2.6 points.
* ``"rolling"`` (default): the margin is recomputed for each request from the scores of the
  ``window`` most recent requests whose lengths are known by then, taken as those that arrived
  at least ``lag`` requests earlier (they have finished: a running request's length is not
  known yet). This is how a deployed predictor would be kept calibrated, and it follows drift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.errors import AlaError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
MIN_BUCKET = 30
Calibration = Literal["rolling", "split"]
WINDOW = 2000  # recent requests whose scores set the rolling margin
LAG = 200  # requests that arrived since and may still be running (lengths unknown)


@dataclass(frozen=True, slots=True)
class LengthPredictor:
    """Fitted bucket quantiles (log tokens) and the conformal margin; see the module notes."""

    level: float
    edges: FloatArray
    low: FloatArray
    high: FloatArray
    median: FloatArray
    margin: float
    calibrated_from: int = 0  # index of the first request of the calibration slice

    @classmethod
    def fit(
        cls,
        prompt: npt.ArrayLike,
        output: npt.ArrayLike,
        level: float = 0.9,
        calibration_share: float = 1 / 3,
        buckets: int = 10,
        seed: int = 0,
    ) -> LengthPredictor:
        """Fit on the first requests, calibrate on the last ``calibration_share`` of them.

        Raises
        ------
        AlaError
            If the level is not in (0, 1) or there are too few requests to calibrate.
        """
        if not 0 < level < 1:
            raise AlaError(f"the interval level must lie between 0 and 1, got {level}")
        p = np.asarray(prompt, float)
        jitter = np.random.default_rng(seed).uniform(-0.5, 0.5, p.size)
        y = np.log(np.asarray(output, float) + jitter)
        n_cal = int(round(p.size * calibration_share))
        if p.size - n_cal < MIN_BUCKET or n_cal < 20:
            raise AlaError(
                f"the length predictor needs at least {MIN_BUCKET + 20} requests to fit and "
                f"calibrate, got {p.size}"
            )
        fit_p, fit_y = p[: p.size - n_cal], y[: p.size - n_cal]
        cuts = np.unique(np.quantile(np.log1p(fit_p), np.linspace(0, 1, buckets + 1)[1:-1]))
        which = np.searchsorted(cuts, np.log1p(fit_p), "right")
        qs = ((1 - level) / 2, (1 + level) / 2, 0.5)
        pooled = np.quantile(fit_y, qs)
        table = np.tile(pooled, (cuts.size + 1, 1))
        for b in range(cuts.size + 1):
            mine = fit_y[which == b]
            if mine.size >= MIN_BUCKET:
                table[b] = np.quantile(mine, qs)
        first = p.size - n_cal
        unfitted = cls(level, cuts, table[:, 0], table[:, 1], table[:, 2], 0.0, first)
        scores = np.sort(unfitted._scores_of(p[first:], y[first:]))
        rank = min(math.ceil((n_cal + 1) * level), n_cal) - 1
        return cls(level, cuts, table[:, 0], table[:, 1], table[:, 2], float(scores[rank]), first)

    def _log_bounds(self, prompt: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        which = np.searchsorted(self.edges, np.log1p(prompt), "right")
        return self.low[which], self.high[which], self.median[which]

    def scores(self, prompt: npt.ArrayLike, output: npt.ArrayLike, seed: int = 0) -> FloatArray:
        """Conformity scores (log tokens outside the bucket interval) of jittered lengths."""
        prompts = np.asarray(prompt, float)
        jitter = np.random.default_rng(seed).uniform(-0.5, 0.5, prompts.size)
        return self._scores_of(prompts, np.log(np.asarray(output, float) + jitter))

    def _scores_of(self, prompt: FloatArray, log_output: FloatArray) -> FloatArray:
        low, high, _ = self._log_bounds(prompt)
        return np.asarray(np.maximum(low - log_output, log_output - high), float)

    def predict(
        self, prompt: npt.ArrayLike, seed: int = 0, margin: FloatArray | float | None = None
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Lower bound, upper bound and point (median) prediction of each output length.

        ``margin`` (per request, or one) replaces the fitted conformal margin.
        """
        prompts = np.asarray(prompt, float)
        low, high, median = self._log_bounds(prompts)
        widen = self.margin if margin is None else np.asarray(margin, float)
        # a jittered length o + V - 1/2 lies in [L, U] as often as o lies in
        # [floor(L + W + 1/2), floor(U + W' - 1/2)] for uniform W, W'
        w = np.random.default_rng(seed).uniform(0, 1, (2, prompts.size))
        lower = np.maximum(np.floor(np.exp(low - widen) + w[0] + 0.5), 1).astype(np.int64)
        upper = np.floor(np.exp(high + widen) + w[1] - 0.5)
        upper = np.maximum(upper, lower).astype(np.int64)
        point = np.clip(np.round(np.exp(median)), lower, upper).astype(np.int64)
        return lower, upper, point


@dataclass(frozen=True, slots=True)
class PredictedIntervals:
    """A predictor's intervals for the held-out part of a trace and how they did there."""

    held_out: IntArray  # indices of the requests predicted (the later part of the trace)
    lower: IntArray
    upper: IntArray
    point: IntArray
    level: float
    coverage: float
    median_ratio: float  # median upper / lower
    calibration: Calibration = "rolling"

    def describe(self) -> str:
        """One line: level, calibration, held-out coverage and typical width."""
        return (
            f"length predictor at {self.level:.0%} ({self.calibration} calibration): "
            f"{self.coverage:.1%} of {self.held_out.size} held-out requests inside their "
            f"interval, median upper/lower {self.median_ratio:.1f}"
        )


def predicted_intervals(
    prompt: npt.ArrayLike,
    output: npt.ArrayLike,
    level: float = 0.9,
    train_share: float = 0.5,
    seed: int = 0,
    calibration: Calibration = "rolling",
) -> PredictedIntervals:
    """Fit and calibrate on the first ``train_share`` of the requests, predict the rest.

    The requests are taken in arrival order, so the held-out ones come later, as in service.
    """
    p, o = np.asarray(prompt, np.int64), np.asarray(output, np.int64)
    if not 0 < train_share < 1:
        raise AlaError(f"the training share must lie between 0 and 1, got {train_share}")
    cut = int(round(p.size * train_share))
    if p.size - cut < 1:
        raise AlaError("no requests are left to predict after the training share")
    model = LengthPredictor.fit(p[:cut], o[:cut], level, seed=seed)
    rest = np.arange(cut, p.size)
    if calibration == "split":
        margin = None
    elif calibration == "rolling":
        margin = rolling_margins(model, p, o, cut, seed)
    else:
        raise AlaError(f"unknown calibration {calibration!r}; choose rolling or split")
    lower, upper, point = model.predict(p[rest], seed=seed + 1, margin=margin)
    inside = (lower <= o[rest]) & (o[rest] <= upper)
    return PredictedIntervals(
        rest,
        lower,
        upper,
        point,
        level,
        float(inside.mean()),
        float(np.median(upper / lower)),
        calibration,
    )


def rolling_margins(
    model: LengthPredictor,
    prompt: IntArray,
    output: IntArray,
    first: int,
    seed: int = 0,
    window: int = WINDOW,
    lag: int = LAG,
) -> FloatArray:
    """The conformal margin for each request from ``first`` on, from the last ``window``
    requests that arrived at least ``lag`` requests before it (see the module notes).

    Only the calibration slice (the last third before ``first``) and later requests count, so
    no score comes from the requests the bucket quantiles were fitted on.
    """
    start = model.calibrated_from
    lag = min(lag, max((first - start) // 4, 1))  # a short trace keeps most of its slice
    scores = pd.Series(model.scores(prompt[start:], output[start:], seed))
    # the ceil((k + 1) level) / k quantile of k scores, for a full window
    q = min(math.ceil((window + 1) * model.level) / window, 1.0)
    rolling = scores.rolling(window, min_periods=min(window, first - start - lag)).quantile(
        q, interpolation="higher"
    )
    margins = rolling.shift(lag).to_numpy(float)[first - start :]
    return np.where(np.isfinite(margins), margins, model.margin)
