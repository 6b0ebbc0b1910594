"""Benchmark this next: which unmeasured (ii, oo, bb) would shrink the intervals that matter.

For one configuration and the predictions a user cares about (the targets: a what-if grid, a
sizing workload, or by default every benchmarked length over the batch grid), each candidate
point is scored by how much nearer it brings the targets to a measured point (the summed
reduction of each target's log2 distance to its nearest measured point, in (ii, oo, bb)), the
distance that drives held-out error. The narrowing of the targets' calibrated intervals is
reported beside it (a first point of a length turns its targets into database curves and
identifies them; a point extends a length's measured batch range); as a tie-break it made the
simulation worse, so ties keep the candidates' order (targets first). Points are picked
greedily, each pick assumed measured before the next is scored, so the list spreads over the
targets instead of repeating one.

Scoring by the calibrated interval widths alone was tried first and did no better than random
picks (benchmarks/suggest.py): the situation-based widths of then did not shrink with
proximity. The widths now do, where the calibration learned a difficulty (:mod:`ala.intervals`),
and the reported narrowing follows the distance too. No library does this for
per-configuration curve models, so the greedy search is written here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.configs import ConfigKey, config_label
from ala.errors import AlaError
from ala.model import ThroughputModel

# An interval that cannot be shown (wider than the display limit, or none) counts as this wide.
UNKNOWN_WIDTH = 10.0


def default_targets(model: ThroughputModel, key: ConfigKey) -> pd.DataFrame:
    """Every benchmarked length of a configuration over powers of two up to twice its largest
    measured batch size."""
    cid = model.config_id(key)
    points = model.points_[model.points_["config"] == cid]
    top = float(points["bb"].max())
    grid = 2.0 ** np.arange(0, int(np.log2(2 * top)) + 1)
    lengths = points[["ii", "oo"]].drop_duplicates()
    return pd.DataFrame(
        [(i, o, b) for i, o in lengths.itertuples(index=False) for b in grid],
        columns=["ii", "oo", "bb"],
    )


def _situations(
    ii: npt.NDArray[np.float64],
    oo: npt.NDArray[np.float64],
    bb: npt.NDArray[np.float64],
    measured: pd.DataFrame,
    inner: tuple[float, float],
) -> npt.NDArray[np.object_]:
    """The situation each target would have, given the measured points (ii, oo, bb)."""
    ranges = measured.groupby(["ii", "oo"])["bb"].agg(["min", "max"])
    out = np.empty(len(ii), dtype=object)
    length = ii + oo
    out[:] = np.where((length >= inner[0]) & (length <= inner[1]), "learned_inner", "learned_outer")
    index = pd.MultiIndex.from_arrays([ii, oo])
    found = ranges.reindex(index)
    known = found["min"].notna().to_numpy()
    low, high = found["min"].to_numpy(float), found["max"].to_numpy(float)
    out[known] = np.where(
        bb[known] < low[known] - 1e-9,
        "database_below",
        np.where(bb[known] > high[known] + 1e-9, "database_beyond", "database_within"),
    )
    return out


def suggest_points(
    model: ThroughputModel,
    config: Mapping[str, object] | ConfigKey,
    targets: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    k: int = 5,
    level: float = 0.9,
) -> pd.DataFrame:
    """The ``k`` points to benchmark next for ``config``, best first.

    Parameters
    ----------
    model
        A fitted, calibrated model.
    config
        The configuration (mapping or key).
    targets
        Rows ``ii, oo, bb`` whose intervals should shrink (default: :func:`default_targets`).
    candidates
        Rows ``ii, oo, bb`` that could be measured (default: the targets and the benchmarked
        lengths over the batch grid, less what is measured).
    k
        How many points.
    level
        Interval level of the widths compared.

    Returns
    -------
    pandas.DataFrame
        ``rank, ii, oo, bb``, ``distance_gain`` (summed log2 distance reduction),
        ``width_gain`` (summed narrowing of the targets' calibrated interval widths, % of a
        prediction), ``targets_helped`` (targets brought nearer) and ``why``.

    Raises
    ------
    AlaError
        For a model without calibrated intervals, or nothing left to measure.
    """
    calibration = model.calibration_
    if calibration is None:
        raise AlaError("suggestions need calibrated intervals: fit the model with calibration")
    key = model.configs_[model.config_id(config)]
    cid = model.config_id(key)
    measured = model.points_.loc[model.points_["config"] == cid, ["ii", "oo", "bb"]]
    targets = default_targets(model, key) if targets is None else targets[["ii", "oo", "bb"]]
    targets = targets.astype(float).drop_duplicates().reset_index(drop=True)
    if candidates is None:
        candidates = pd.concat([targets, default_targets(model, key)])
    candidates = candidates[["ii", "oo", "bb"]].astype(float).drop_duplicates()
    seen = candidates.merge(measured.assign(_m=1), on=["ii", "oo", "bb"], how="left")
    candidates = candidates[seen["_m"].isna().to_numpy()].reset_index(drop=True)
    if candidates.empty:
        raise AlaError(f"{config_label(key)}: every candidate point is measured already")
    queries = pd.DataFrame(dict(zip(model.config_columns_, key, strict=True)), index=targets.index)
    base = model.predict(pd.concat([queries, targets], axis=1))
    noise = base["scale"].to_numpy(float)
    stats = model.config_stats_.loc[cid]
    inner = (float(stats["length_min"]), float(stats["length_max"]))
    ii, oo, bb = (targets[c].to_numpy(float) for c in ("ii", "oo", "bb"))
    log_targets = np.log2(np.column_stack([ii, oo, bb]))

    def distances(points: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Log2 distance from each target (rows) to each point (columns)."""
        p = np.log2(points[["ii", "oo", "bb"]].to_numpy(float))
        return np.asarray(np.sqrt(((log_targets[:, None] - p[None]) ** 2).sum(-1)), float)

    def widths(points: pd.DataFrame, nearest: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        situation = _situations(ii, oo, bb, points, inner)
        lo, hi = calibration.bounds(situation, level)
        rows = pd.DataFrame({"scale": noise, "situation": situation, "nearest_distance": nearest})
        scale = calibration.scale(rows)
        width = (np.exp(scale * hi) - np.exp(scale * lo)) * 100
        cap = UNKNOWN_WIDTH * 100
        return np.asarray(np.where(np.isfinite(width), np.minimum(width, cap), cap), float)

    distance = distances(measured).min(1)  # to the nearest measured point
    # A target the data cannot identify (a factor that never varied) has no interval at all;
    # one that is measured itself keeps only the curve noise (about +-1.645 noise units).
    unidentified = ~base["identified"].to_numpy(bool)
    measured_width = 2 * 1.645 * noise
    current = np.where(unidentified, UNKNOWN_WIDTH * 100, widths(measured, distance))
    to_candidate = distances(candidates)
    available = np.ones(len(candidates), bool)
    picks = []
    for rank in range(1, min(k, len(candidates)) + 1):
        closer = np.minimum(distance[:, None], to_candidate)
        gain = np.where(available, (distance[:, None] - closer).sum(0), 0.0)
        best = int(np.argmax(gain))  # ties keep the first candidate (the targets come first)
        if gain[best] <= 1e-9:
            break
        chosen = candidates.iloc[best]
        trial = pd.concat([measured, chosen.to_frame().T], ignore_index=True)
        same = (ii == chosen["ii"]) & (oo == chosen["oo"])
        after = current.copy()
        # measuring never widens an interval: the model may weigh the new point little
        after[same] = np.minimum(current[same], widths(trial, closer[:, best])[same])
        exact = same & (bb == chosen["bb"])
        after[exact] = np.minimum(after[exact], measured_width[exact])
        first = not ((measured["ii"] == chosen["ii"]) & (measured["oo"] == chosen["oo"])).any()
        picks.append(
            {
                "rank": rank,
                "ii": chosen["ii"],
                "oo": chosen["oo"],
                "bb": chosen["bb"],
                "distance_gain": float(gain[best]),
                "width_gain": float((current - after).sum()),
                "targets_helped": int((closer[:, best] < distance - 1e-9).sum()),
                "why": (
                    "first measurement of this length"
                    if first
                    else "fills a gap in the measured batch sizes of this length"
                ),
            }
        )
        measured, current, distance = trial, after, closer[:, best]
        available[best] = False
    if not picks:
        raise AlaError(f"{config_label(key)}: no candidate point is nearer the targets")
    return pd.DataFrame(picks)
