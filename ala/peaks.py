"""Throughput curves that peak and then fall (serving at long prompts past the engine's sweet spot).

A group (configuration, ii, oo) is *peaked* when its last measured batch size delivers less than
its best one by more than :data:`DECLINE_TOLERANCE` (beyond measurement noise; a dip that
recovers is noise). The saturation curve of such a group is fitted only up to the peak
(:func:`before_peak`); past the peak the prediction follows the measured decline
(:class:`Declines`): the curve times ``measured(bb) / measured(peak)``, interpolated in log-log
between measured points and extended beyond the last one with the last segment's slope
(between -1 and 0). An unseen length near peaked ones is flagged past their peak, and sizing
stays below it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.prior import IDW_POWER

Array = npt.NDArray[np.float64]

# The last measured point must fall this far (relative) below the peak for a group to peak.
DECLINE_TOLERANCE = 0.03
MIN_POINTS = 3


def find_peaks(points: pd.DataFrame, tolerance: float = DECLINE_TOLERANCE) -> pd.DataFrame:
    """One row per peaked group of ``points`` (config, ii, oo, bb, thpt).

    Columns: config, ii, oo, ``bb_peak`` and ``thpt_peak`` (the best measured point) and
    ``drop_pct``: how far the last measured point lies below the peak (%).
    """
    # Repeats of one batch size (data loaded with duplicates kept) count as their mean.
    ordered = (
        points.groupby(["config", "ii", "oo", "bb"], as_index=False, sort=True)["thpt"]
        .mean()
        .sort_values(["config", "ii", "oo", "bb"])
    )
    groups = ordered.groupby(["config", "ii", "oo"], sort=False)
    size = groups["thpt"].transform("size")
    best = groups["thpt"].transform("max")
    last = groups["thpt"].transform("last")
    is_best = ordered["thpt"] == best
    first_best_bb = (
        ordered["bb"]
        .where(is_best)
        .groupby([ordered[c] for c in ("config", "ii", "oo")])
        .transform("min")
    )
    peaked = (
        (size >= MIN_POINTS) & (last < best * (1 - tolerance)) & (ordered["bb"] == first_best_bb)
    )
    found = ordered[peaked.to_numpy()]
    return pd.DataFrame(
        {
            "config": found["config"].to_numpy(np.int64),
            "ii": found["ii"].to_numpy(float),
            "oo": found["oo"].to_numpy(float),
            "bb_peak": found["bb"].to_numpy(float),
            "thpt_peak": found["thpt"].to_numpy(float),
            "drop_pct": (1 - last[peaked].to_numpy(float) / found["thpt"].to_numpy(float)) * 100,
        }
    ).reset_index(drop=True)


def past_peak(points: pd.DataFrame, peaks: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Per row of ``points``, whether it lies beyond its group's peak batch size."""
    joined = points[["config", "ii", "oo"]].merge(
        peaks[["config", "ii", "oo", "bb_peak"]], on=["config", "ii", "oo"], how="left"
    )
    return np.asarray(
        points["bb"].to_numpy(float) > joined["bb_peak"].fillna(np.inf).to_numpy(), bool
    )


def before_peak(points: pd.DataFrame, peaks: pd.DataFrame) -> pd.DataFrame:
    """``points`` without the rows past their group's peak (what a saturation curve can fit)."""
    return points[~past_peak(points, peaks)]


@dataclass(frozen=True, slots=True)
class PeakedLength:
    """One peaked (ii, oo): log batch sizes from the peak on and log(measured / peak) there."""

    ii: float
    oo: float
    bb_peak: float
    log_bb: Array
    log_factor: Array

    def factor(self, bb: Array) -> Array:
        """log(measured / peak) at batch sizes ``bb``: 0 up to the peak, interpolated in
        log-log between measured points, beyond the last one its segment's slope (-1 to 0)."""
        x, y, q = self.log_bb, self.log_factor, np.log(bb)
        out = np.interp(q, x, y)
        if x.size >= 2:
            slope = float(np.clip((y[-1] - y[-2]) / max(x[-1] - x[-2], 1e-9), -1.0, 0.0))
            beyond = q > x[-1]
            out[beyond] = y[-1] + slope * (q[beyond] - x[-1])
        out[q <= x[0]] = 0.0
        return np.asarray(out, float)


@dataclass(frozen=True, slots=True)
class Declines:
    """The measured declines of a model's peaked curves, read once from its points, so that
    predicting (a hot path) only interpolates arrays.

    ``lengths[config]`` holds the log (ii, oo) of every measured length of a configuration
    that has a peaked one; ``peaked[config]`` its peaked lengths with their index there.
    """

    lengths: dict[int, Array]
    peaked: dict[int, list[tuple[int, PeakedLength]]]

    @classmethod
    def build(cls, points: pd.DataFrame, peaks: pd.DataFrame, database: pd.DataFrame) -> Declines:
        """From the measured points, their peaks and the parameter database (the lengths)."""
        lengths: dict[int, Array] = {}
        peaked: dict[int, list[tuple[int, PeakedLength]]] = {}
        for code, mine in peaks.groupby("config"):
            code = int(code)
            measured = database.loc[database["config"] == code, ["ii", "oo"]].drop_duplicates()
            pairs = measured.to_numpy(float)
            lengths[code] = np.log(pairs)
            rows = points[points["config"] == code]
            for peak in mine.itertuples(index=False):
                k = np.flatnonzero(
                    np.isclose(pairs[:, 0], peak.ii) & np.isclose(pairs[:, 1], peak.oo)
                )
                if k.size == 0:
                    continue
                after = rows[
                    np.isclose(rows["ii"], peak.ii)
                    & np.isclose(rows["oo"], peak.oo)
                    & (rows["bb"] >= peak.bb_peak)
                ]
                after = after.groupby("bb", as_index=False)["thpt"].mean()  # repeats count once
                log_factor = np.minimum(np.log(after["thpt"].to_numpy(float) / peak.thpt_peak), 0)
                peaked.setdefault(code, []).append(
                    (
                        int(k[0]),
                        PeakedLength(
                            float(peak.ii),
                            float(peak.oo),
                            float(peak.bb_peak),
                            np.log(after["bb"].to_numpy(float)),
                            np.asarray(log_factor, float),
                        ),
                    )
                )
        return cls(lengths, peaked)

    def apply(
        self, config: npt.NDArray[np.int64], ii: Array, oo: Array, bb: Array
    ) -> tuple[Array, Array, Array]:
        """Per query: the log factor (<= 0) of the measured decline, the batch size of the
        peak (inf where the query's length did not peak) and the peak of its neighbours.

        A measured length that peaked gets its own measured decline: the prediction is the
        saturation curve at ``min(bb, peak)`` times ``exp(factor)``. An unseen length gets no
        decline (held out, borrowing the neighbours' decline was worse on LLM-Inference-Bench:
        p90 APE 13.4 % against 9.6 % at unseen inner lengths), but where peaked lengths weigh
        at least half of the inverse-distance weights over the configuration's measured
        lengths (log ii, log oo), the weighted peak is returned as the neighbours' peak:
        sizing stays below it and predictions beyond it are flagged.
        """
        factor = np.zeros(len(config))
        own = np.full(len(config), np.inf)
        peak_log = np.zeros(len(config))
        peak_weight = np.zeros(len(config))
        for code, peaked in self.peaked.items():
            rows = np.flatnonzero(config == code)
            if rows.size == 0:
                continue
            q = np.log(np.column_stack([ii[rows], oo[rows]]))
            dist = np.sqrt(((q[:, None, :] - self.lengths[code][None, :, :]) ** 2).sum(-1))
            weight = np.where(dist < 1e-12, 1e12, 1 / np.maximum(dist, 1e-12) ** IDW_POWER)
            weight /= weight.sum(1, keepdims=True)
            for k, length in peaked:
                exact = np.isclose(ii[rows], length.ii) & np.isclose(oo[rows], length.oo)
                mine = rows[exact]
                factor[mine] = length.factor(bb[mine])
                own[mine] = length.bb_peak
                peak_log[rows] += weight[:, k] * np.log(length.bb_peak)
                peak_weight[rows] += weight[:, k]
        with np.errstate(invalid="ignore", divide="ignore"):
            neighbour = np.where(peak_weight >= 0.5, np.exp(peak_log / peak_weight), np.inf)
        return factor, own, neighbour
