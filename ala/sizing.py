"""Sizing a deployment: batch size, replicas and cost for a target throughput."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.errors import AlaError
from ala.model import ThroughputModel
from ala.physics import resolve
from ala.specs import Catalogue

# One replica short of the target: recommend the smallest batch reaching this share of the
# best predicted throughput (the knee), not the far end of a flat curve.
KNEE = 0.9


@dataclass(frozen=True, slots=True)
class SizingResult:
    """The answer for one configuration and workload.

    ``batch`` is the smallest batch size reaching the target on one replica, or the batch
    size of the highest predicted throughput when no batch size does (then several replicas
    are needed). Replicas and cost come as (pessimistic, expected, optimistic) using the
    interval's lower bound, the prediction and the upper bound. Where the data cannot
    identify the prediction (``note`` says why) there is no interval: the three are equal.
    """

    batch: float
    reaches_target: bool
    thpt: tuple[float, float, float]  # per replica at ``batch``: lo, pred, hi
    replicas: tuple[int, int, int]  # pessimistic, expected, optimistic
    cost_per_million: tuple[float, float, float] | None  # same order as replicas
    curve: pd.DataFrame  # bb, thpt_pred (and thpt_lo, thpt_hi if calibrated), situation
    note: str = ""  # what the answer rests on beyond the measurements ('' when nothing)
    extrapolated: bool = False  # a batch beyond the benchmarked ones, or an unidentified answer


def size_deployment(
    model: ThroughputModel,
    config: Mapping[str, str],
    ii: float,
    oo: float,
    target_tps: float,
    price_per_hour: float | None = None,
    max_batch: int | None = None,
    interval: float = 0.9,
    allow_extrapolation: bool = False,
    specs: Catalogue | None = None,
) -> SizingResult:
    """Smallest batch size, replicas and cost per million tokens to serve ``target_tps``.

    ``price_per_hour`` is per accelerator; the configuration's ``acc_count`` (if any)
    multiplies it. Cost per million tokens = accelerator-hours of all replicas per hour /
    tokens per hour delivered (the target) x 10^6.

    The batch size stays within the largest one benchmarked for the configuration unless
    ``allow_extrapolation`` (then up to twice it, or ``max_batch``). When one replica cannot
    reach the target, the recommended batch is the knee (the smallest batch within 90 % of
    the best predicted throughput), not the far end of a flat curve. ``extrapolated`` and
    ``note`` say when the answer rests on anything beyond the measurements.
    """
    if target_tps <= 0:
        raise AlaError("the target throughput must be positive")
    if price_per_hour is not None and price_per_hour < 0:
        raise AlaError("the price per accelerator-hour cannot be negative")
    config_id = model.config_id(config)
    measured = model.points_.loc[model.points_["config"] == config_id, "bb"]
    largest = float(measured.max()) if len(measured) else 1.0
    if max_batch is None:
        max_batch = int(max(1, 2 * largest if allow_extrapolation else largest))
    memory_note = ""
    deployment = resolve(config, specs)
    if isinstance(deployment, str):
        memory_note = f"memory not checked: {deployment}"
    elif deployment.accelerator.memory_gb is not None:
        fitting = deployment.largest_batch(ii, oo)
        if fitting < 1:
            raise AlaError(
                f"{deployment.model.name} does not fit on {deployment.count:g} x "
                f"{deployment.accelerator.name}: the weights alone need "
                f"{deployment.weights_gb():,.0f} GB of {deployment.memory_gb:,.0f} GB"
            )
        if fitting < max_batch:
            max_batch = fitting
            memory_note = (
                f"batch limited to {fitting} by memory: weights and the KV cache of "
                f"{ii + oo:g} tokens per sequence fill {deployment.memory_gb:,.0f} GB"
            )
    bb = np.arange(1, max_batch + 1, dtype=float)
    queries = model.batch_queries(config, ii, oo, bb)
    calibrated = model.calibration_ is not None
    pred = model.predict(queries, interval=interval if calibrated else None)
    if not calibrated:
        pred["thpt_lo"] = pred["thpt_hi"] = pred["thpt_pred"]
    unidentified = pred["thpt_lo"].isna() | pred["thpt_hi"].isna()
    pred.loc[unidentified, "thpt_lo"] = pred.loc[unidentified, "thpt_pred"]
    pred.loc[unidentified, "thpt_hi"] = pred.loc[unidentified, "thpt_pred"]
    thpt = pred["thpt_pred"].to_numpy().copy()
    thpt[pred["past_peak"].to_numpy(bool)] = -np.inf  # never past the throughput peak
    k, reaches = pick_batch(thpt, target_tps)
    lo, mid, hi = (float(pred[c].iloc[k]) for c in ("thpt_lo", "thpt_pred", "thpt_hi"))
    n_lo, n_mid, n_hi = (replicas_for(target_tps, v) for v in (lo, mid, hi))
    replicas = (n_lo, n_mid, n_hi)
    cost: tuple[float, float, float] | None = None
    if price_per_hour is not None:
        accelerators = accelerators_per_replica(config)
        per_replica = price_per_hour * accelerators / (target_tps * 3600) * 1e6
        cost = (per_replica * n_lo, per_replica * n_mid, per_replica * n_hi)
    columns = ["bb", "thpt_pred"] + (["thpt_lo", "thpt_hi"] if calibrated else []) + ["situation"]
    return SizingResult(
        batch=float(bb[k]),
        reaches_target=reaches,
        thpt=(lo, mid, hi),
        replicas=replicas,
        cost_per_million=cost,
        curve=pred[columns].reset_index(drop=True),
        note="; ".join(
            n
            for n in (
                str(pred["note"].iloc[k]),
                f"batch {bb[k]:g} is beyond the largest benchmarked ({largest:g})"
                if bb[k] > largest
                else "",
                memory_note,
            )
            if n
        ),
        extrapolated=bool(bb[k] > largest or not pred["identified"].iloc[k]),
    )


def pick_batch(thpt: npt.NDArray[np.float64], target_tps: float) -> tuple[int, bool]:
    """Index of the smallest batch whose throughput reaches the target on one replica, and
    True; or, when none does, of the knee (the smallest batch within 90 % of the best), and
    False. Entries set to -inf (past a peak) are never chosen."""
    reaching = np.flatnonzero(thpt >= target_tps)
    if reaching.size:
        return int(reaching[0]), True
    return int(np.argmax(thpt >= KNEE * thpt.max())), False


def replicas_for(target_tps: float, thpt: float) -> int:
    """Replicas of throughput ``thpt`` needed for the target (at least one)."""
    return max(1, math.ceil(target_tps / max(thpt, 1e-9)))


def accelerators_per_replica(config: Mapping[str, object]) -> float:
    """The configuration's ``acc_count``; 1 when it has none or it is not a number >= 1."""
    try:
        count = float(config.get("acc_count", 1))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0
    return count if math.isfinite(count) and count >= 1 else 1.0
