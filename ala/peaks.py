"""Throughput curves that peak and then fall (serving at long prompts past the engine's sweet spot).

A group (configuration, ii, oo) is *peaked* when its last measured batch size delivers less than
its best one by more than :data:`DECLINE_TOLERANCE` (beyond measurement noise; a dip that
recovers is noise). The saturation curve of such a group is fitted only up to the peak
(:func:`before_peak`); past the peak the prediction follows the measured decline
(:func:`decline`): the curve times ``measured(bb) / measured(peak)``, interpolated in log-log
between measured points and extended beyond the last one with the last segment's slope
(between -1 and 0). An unseen length borrows the decline of the measured lengths of its
configuration, inverse-distance weighted in (log ii, log oo), a length that does not peak
counting as no decline.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.prior import IDW_POWER

Array = npt.NDArray[np.float64]

# The last measured point must fall this far (relative) below the peak for a group to peak.
DECLINE_TOLERANCE = 0.03
MIN_POINTS = 3
PEAK_COLUMNS = ("config", "ii", "oo", "bb_peak", "thpt_peak", "drop_pct")


def find_peaks(points: pd.DataFrame, tolerance: float = DECLINE_TOLERANCE) -> pd.DataFrame:
    """One row per peaked group of ``points`` (config, ii, oo, bb, thpt).

    Columns: config, ii, oo, ``bb_peak`` and ``thpt_peak`` (the best measured point) and
    ``drop_pct``: how far the last measured point lies below the peak (%).
    """
    ordered = points.sort_values(["config", "ii", "oo", "bb"])
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


def _length_decline(points: pd.DataFrame, peak: pd.Series, bb: Array) -> Array:
    """log(measured / peak) of one peaked group at batch sizes ``bb`` (0 up to the peak)."""
    mine = points[
        (points["config"] == peak["config"])
        & np.isclose(points["ii"], peak["ii"])
        & np.isclose(points["oo"], peak["oo"])
        & (points["bb"] >= peak["bb_peak"])
    ].sort_values("bb")
    x = np.log(mine["bb"].to_numpy(float))
    y = np.minimum(np.log(mine["thpt"].to_numpy(float) / float(peak["thpt_peak"])), 0.0)
    q = np.log(bb)
    out = np.interp(q, x, y)
    if x.size >= 2:
        slope = float(np.clip((y[-1] - y[-2]) / max(x[-1] - x[-2], 1e-9), -1.0, 0.0))
        beyond = q > x[-1]
        out[beyond] = y[-1] + slope * (q[beyond] - x[-1])
    out[q <= x[0]] = 0.0
    return np.asarray(out, float)


def decline(
    points: pd.DataFrame,
    peaks: pd.DataFrame,
    lengths: pd.DataFrame,
    config: npt.NDArray[np.int64],
    ii: Array,
    oo: Array,
    bb: Array,
) -> tuple[Array, Array]:
    """Per query, the log factor (<= 0) of the measured decline and the batch size of the peak
    (inf where no peak is near): the prediction is the saturation curve at
    ``min(bb, peak)`` times ``exp(factor)``.

    ``lengths`` lists every measured (config, ii, oo) (the parameter database); the decline of
    the peaked ones is inverse-distance weighted over all of them, per configuration, and so
    is the log of the peak batch size (over the peaked lengths).
    """
    out = np.zeros(len(config))
    peak_log = np.zeros(len(config))
    peak_weight = np.zeros(len(config))
    for code in np.unique(peaks["config"].to_numpy(np.int64)):
        rows = np.flatnonzero(config == code)
        if rows.size == 0:
            continue
        measured = lengths[lengths["config"] == code][["ii", "oo"]].drop_duplicates()
        pairs = np.log(measured.to_numpy(float))
        q = np.log(np.column_stack([ii[rows], oo[rows]]))
        dist = np.sqrt(((q[:, None, :] - pairs[None, :, :]) ** 2).sum(-1))
        weight = np.where(dist < 1e-12, 1e12, 1 / np.maximum(dist, 1e-12) ** IDW_POWER)
        weight /= weight.sum(1, keepdims=True)
        mine = peaks[peaks["config"] == code]
        for _, peak in mine.iterrows():
            k = np.flatnonzero(
                np.isclose(measured["ii"].to_numpy(float), peak["ii"])
                & np.isclose(measured["oo"].to_numpy(float), peak["oo"])
            )
            if k.size:
                out[rows] += weight[:, k[0]] * _length_decline(points, peak, bb[rows])
                peak_log[rows] += weight[:, k[0]] * np.log(float(peak["bb_peak"]))
                peak_weight[rows] += weight[:, k[0]]
    with np.errstate(invalid="ignore", divide="ignore"):
        cap = np.where(out < 0, np.exp(peak_log / peak_weight), np.inf)
    return out, cap


def peak_batch(bb: Array, thpt: Array) -> float:
    """The batch size of the highest predicted throughput on a grid (the first, if tied)."""
    return float(bb[int(np.argmax(thpt))])
