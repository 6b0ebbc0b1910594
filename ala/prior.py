"""The default method's learner: a physical latency prior corrected by measured residuals.

For one configuration, the latency of a static batch is modelled as

    latency = t0 + p * bb * ii + oo * (d0 + d1 * bb + d2 * bb * (ii + oo / 2))

(fixed overhead; prefill work proportional to the prompt tokens of the batch; per decode step a
weight-loading cost, a per-sequence cost and an attention cost growing with the context). All
five coefficients are fitted non-negative (:func:`scipy.optimize.nnls`) on latency derived from
throughput, ``latency = bb * (ii + oo) / thpt``, weighted for relative error. The prior alone
interpolates and extrapolates (ii, oo, bb) with physically sensible shapes.

What the prior misses is kept as a multiplicative residual ``r = thpt / prior`` at every
measured point. For a benchmarked (ii, oo) the residual at an unmeasured batch size is the one at
the nearest measured batch size; for an unseen (ii, oo) it is an inverse-distance-weighted mean
of the benchmarked lengths' residuals in (log ii, log oo). Every prediction is finally expressed
as a saturation curve ``c - a * exp(-b * bb)`` fitted to measured points and these corrected
prior values on the configuration's batch grid, so each answer can be drawn and explained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import nnls

Array = npt.NDArray[np.float64]

# Weight of a prior-derived point relative to a measured one in the curve fit (equal weight:
# evaluated 0.1-4 on the shared data, the medians move by < 0.4 points; see the closing note).
PRIOR_WEIGHT = 1.0
IDW_POWER = 2.0


def latency_features(ii: npt.ArrayLike, oo: npt.ArrayLike, bb: npt.ArrayLike) -> Array:
    """Design matrix of the latency model: the inputs broadcast, features on the last axis."""
    ii, oo, bb = np.broadcast_arrays(*(np.asarray(x, float) for x in (ii, oo, bb)))
    return np.stack([np.ones_like(ii), bb * ii, oo, bb * oo, bb * oo * (ii + oo / 2)], axis=-1)


def fit_latency(ii: Array, oo: Array, bb: Array, thpt: Array) -> Array:
    """Non-negative latency coefficients for one configuration (relative-error weighted)."""
    latency = bb * (ii + oo) / thpt
    x = latency_features(ii, oo, bb) / latency[:, None]
    scale = np.maximum(np.abs(x).max(axis=0), 1e-300)
    coef, _ = nnls(x / scale, np.ones_like(latency))
    if not np.any(coef > 0):  # degenerate data: fall back to a constant-latency model
        coef = np.zeros(x.shape[1])
        coef[0] = float(np.median(latency)) * scale[0]
    return np.asarray(coef / scale, float)


def prior_throughput(coef: Array, ii: npt.ArrayLike, oo: npt.ArrayLike, bb: npt.ArrayLike) -> Array:
    """Throughput predicted by the latency prior."""
    ii, oo, bb = (np.asarray(x, float) for x in (ii, oo, bb))
    latency = latency_features(ii, oo, bb) @ coef
    return np.asarray(bb * (ii + oo) / np.maximum(latency, 1e-12), float)


@dataclass(frozen=True, slots=True)
class PriorLearner:
    """The fitted prior of one configuration and its residual table.

    ``residuals[i, j]`` is ``log(thpt / prior)`` for benchmarked length ``pairs[i]`` at
    ``grid[j]``, filled from the nearest measured batch size where not measured.
    """

    coef: Array
    pairs: Array  # (n_pairs, 2): ii, oo
    grid: Array  # (n_grid,): batch sizes at which curves are anchored
    residuals: Array  # (n_pairs, n_grid)

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> PriorLearner:
        """Fit the prior and its residual table on one configuration's rows."""
        ii, oo, bb, thpt = (frame[c].to_numpy(float) for c in ("ii", "oo", "bb", "thpt"))
        coef = fit_latency(ii, oo, bb, thpt)
        log_r = np.log(thpt / prior_throughput(coef, ii, oo, bb))
        measured = np.unique(bb)
        # Anchored from batch 1 (the prior, not a fitted curve, decides below the measured
        # range) to twice the largest measured batch.
        grid = np.unique(np.concatenate([[1.0], measured, [2 * measured.max()]]))
        pair_codes, pairs = pd.factorize(pd.MultiIndex.from_arrays([ii, oo]))
        pair_arr = np.array(list(pairs), float).reshape(-1, 2)
        residuals = np.empty((len(pair_arr), grid.size))
        log_grid = np.log(grid)
        for k in range(len(pair_arr)):
            rows = pair_codes == k
            # nearest measured batch size of this length, in log space
            dist = np.abs(log_grid[:, None] - np.log(bb[rows])[None, :])
            residuals[k] = log_r[rows][np.argmin(dist, axis=1)]
        return cls(coef=coef, pairs=pair_arr, grid=grid, residuals=residuals)

    def length_distances(self, ii: Array, oo: Array) -> Array:
        """Distance in (log ii, log oo) from each queried length to each benchmarked one:
        shape (n, n_pairs)."""
        q = np.log(np.column_stack([ii, oo]))
        p = np.log(self.pairs)
        return np.asarray(np.sqrt(((q[:, None, :] - p[None, :, :]) ** 2).sum(-1)), float)

    def residuals_by_length(self, distances: Array) -> Array:
        """Log residuals on ``grid``, inverse-distance weighted over the benchmarked lengths
        (``distances`` from :meth:`length_distances`): shape (n, n_grid)."""
        exact = distances < 1e-12
        weight = np.where(exact, 1e12, 1.0 / np.maximum(distances, 1e-12) ** IDW_POWER)
        weight /= weight.sum(1, keepdims=True)
        return np.asarray(weight @ self.residuals, float)

    def anchor_points(self, ii: Array, oo: Array) -> Array:
        """Corrected prior throughput on ``grid`` for each queried length: shape (n, n_grid)."""
        log_r = self.residuals_by_length(self.length_distances(ii, oo))
        return prior_throughput(self.coef, ii[:, None], oo[:, None], self.grid[None, :]) * np.exp(
            log_r
        )

    def to_dict(self) -> dict[str, Any]:
        """The learner as JSON-ready lists."""
        return {
            "coef": self.coef.tolist(),
            "pairs": self.pairs.tolist(),
            "grid": self.grid.tolist(),
            "residuals": self.residuals.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PriorLearner:
        """Rebuild from :meth:`to_dict`'s document, checking every number and shape."""
        from ala.modelfile import field, numbers, require

        coef = np.asarray(numbers(field(data, "coef", list, "learner"), "learner.coef", 5))
        require(
            bool(np.all((coef >= 0) & (coef < 1e6))), "learner.coef", "expected plausible costs"
        )
        grid = np.asarray(numbers(field(data, "grid", list, "learner"), "learner.grid"))
        require(
            grid.size > 0 and bool(np.all((grid > 0) & (grid <= 1e7))),
            "learner.grid",
            "expected batch sizes",
        )
        pairs_doc = field(data, "pairs", list, "learner")
        pairs = np.asarray([numbers(p, "learner.pairs", 2) for p in pairs_doc]).reshape(-1, 2)
        require(
            len(pairs) > 0 and bool(np.all((pairs > 0) & (pairs <= 1e7))),
            "learner.pairs",
            "expected lengths",
        )
        rows = field(data, "residuals", list, "learner")
        require(len(rows) == len(pairs), "learner.residuals", "expected a row per length")
        residuals = np.asarray([numbers(r, "learner.residuals", grid.size) for r in rows]).reshape(
            len(pairs), grid.size
        )
        # log(measured / prior): beyond +-50 the file was edited, not fitted.
        require(bool(np.all(np.abs(residuals) <= 50)), "learner.residuals", "out of range")
        return cls(coef=coef, pairs=pairs, grid=grid, residuals=residuals)
