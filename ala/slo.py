"""SLO-aware sizing: the largest concurrency that meets latency targets, per configuration.

For a workload (``ii`` input and ``oo`` output tokens per request), latency targets (time to first
token and time per output token, at the median or the 99th percentile) and a target load
(tokens/s or requests/s), each configuration with latency measurements gets:

* the largest concurrency whose predicted latencies meet every target, never past the
  throughput peak; its range comes from the latency intervals (the upper bounds meeting the
  targets give the cautious end, the lower bounds the hopeful one);
* the throughput there (with its interval), per GPU and per user (output tokens/s a user sees,
  ``1000 / tpot``);
* the replicas and GPUs to serve the load, the cost per hour and per million tokens;
* where the answer comes from: ``measured`` (a benchmarked length within the benchmarked batch
  sizes), ``interpolated`` (an unseen length between benchmarked ones) or ``extrapolated``.

Configurations are ranked cheapest first among those that meet the SLO ("cheapest that meets
the SLO"); the Pareto view (:func:`pareto_frame`) gives tokens/s per GPU against tokens/s per
user along each configuration's concurrency grid, with the measured points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ala.configs import ConfigKey, config_dict, config_label
from ala.context import Context
from ala.errors import AlaError
from ala.model import SOURCE_WORDS, ThroughputModel, source_of

PERCENTILES = {"p50": ("ttft_ms", "tpot_ms"), "p99": ("p99_ttft_ms", "p99_tpot_ms")}
GRID_POINTS = 80
MAX_PAIRS = 40  # requests drawn from a length distribution


@dataclass(frozen=True, slots=True)
class SLO:
    """Latency targets (ms); None leaves a metric free. ``percentile`` is ``p50`` or ``p99``."""

    ttft_ms: float | None = None
    tpot_ms: float | None = None
    percentile: str = "p50"

    def __post_init__(self) -> None:
        if self.percentile not in PERCENTILES:
            raise AlaError(f"percentile must be one of {', '.join(PERCENTILES)}")
        for name, value in (("ttft_ms", self.ttft_ms), ("tpot_ms", self.tpot_ms)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise AlaError(f"the {name} target must be a positive number of ms, not {value}")

    def targets(self) -> dict[str, float]:
        """Metric column -> limit (ms), for the metrics with a target."""
        ttft, tpot = PERCENTILES[self.percentile]
        return {m: v for m, v in ((ttft, self.ttft_ms), (tpot, self.tpot_ms)) if v is not None}

    def describe(self) -> str:
        """E.g. ``p50 TTFT <= 500 ms, p50 TPOT <= 33 ms``."""
        parts = [
            f"{self.percentile} {name} <= {v:g} ms"
            for name, v in (("TTFT", self.ttft_ms), ("TPOT", self.tpot_ms))
            if v is not None
        ]
        return ", ".join(parts) or "no latency target"


@dataclass(frozen=True, slots=True)
class SloPlan:
    """The ranked answer: one row per configuration (``table``) and the grids behind it."""

    table: pd.DataFrame
    slo: SLO
    ii: float
    oo: float
    target_tokens_s: float
    currency: str
    requests: int  # request lengths sized for (1: fixed ii/oo; more: a distribution)
    curves: pd.DataFrame = field(repr=False)  # config label, bb, predictions on the grid

    def best(self) -> pd.Series | None:
        """The cheapest configuration that meets the SLO (None when none does)."""
        ok = self.table[self.table["meets_slo"]]
        return None if ok.empty else ok.iloc[0]

    def format(self) -> str:
        """A readable summary and table."""
        best = self.best()
        head = (
            f"{self.slo.describe()}; {self.ii:,.0f} in / {self.oo:,.0f} out tokens"
            f"{f' on average over {self.requests} requests' if self.requests > 1 else ''}; load "
            f"{self.target_tokens_s:,.0f} tokens/s"
        )
        if best is None:
            head += "\nno configuration meets the SLO"
        else:
            head += (
                f"\ncheapest that meets it: {best['configuration']} at concurrency "
                f"{best['concurrency']:g} ({best['concurrency_lo']:g}-{best['concurrency_hi']:g}),"
                f" {best['gpus']:g} GPUs ({best['gpus_lo']:g}-{best['gpus_hi']:g})"
            )
        shown = self.table.drop(columns=["config"], errors="ignore")
        return head + "\n" + str(shown.to_string(index=False, float_format=lambda v: f"{v:,.3g}"))


def _gpus(key: ConfigKey, columns: Sequence[str]) -> tuple[float, str]:
    values = config_dict(key, columns)
    try:
        count = float(values.get("acc_count", "1"))
    except ValueError:
        return 1.0, "GPU count unknown (acc_count not a number): counted as 1 per replica"
    note = "" if "acc_count" in values else "no acc_count column: 1 GPU per replica assumed"
    return max(count, 1.0), note


def sizing_for(
    model: ThroughputModel, context: Context, configs: Sequence[ConfigKey] | None = None
) -> SloPlan:
    """:func:`slo_sizing` for the question a shared :class:`ala.context.Context` asks: its
    lengths, latency targets and percentile, load, price, currency and interval level."""
    return slo_sizing(
        model,
        context.ii,
        context.oo,
        SLO(context.ttft_ms, context.tpot_ms, context.percentile),
        tokens_per_s=context.tokens_per_s,
        price_per_gpu_hour=context.price,
        currency=context.currency,
        configs=configs,
        level=context.level,
    )


def _largest_meeting(bb: np.ndarray, ok: np.ndarray) -> float:
    """Largest batch size of the leading run of True in ``ok`` (NaN when bb[0] fails)."""
    if not ok[0]:
        return float("nan")
    fails = np.flatnonzero(~ok)
    return float(bb[fails[0] - 1] if fails.size else bb[-1])


def slo_sizing(
    model: ThroughputModel,
    ii: float,
    oo: float,
    slo: SLO,
    tokens_per_s: float | None = None,
    requests_per_s: float | None = None,
    price_per_gpu_hour: float | None = None,
    currency: str = "USD",
    configs: Sequence[ConfigKey] | None = None,
    level: float = 0.9,
    lengths: pd.DataFrame | None = None,
    seed: int = 0,
) -> SloPlan:
    """Size every configuration (or ``configs``) for ``slo`` and the target load.

    Parameters
    ----------
    model
        A fitted model with latency metrics (data with TTFT/TPOT, e.g. from a benchmark tool).
    ii, oo
        Input and output tokens per request.
    slo
        The latency targets.
    tokens_per_s, requests_per_s
        The load to serve (total tokens/s, or requests/s x (ii + oo)); one of them.
    price_per_gpu_hour, currency
        Price of one GPU-hour; without it, configurations rank by GPU count.
    configs
        Configuration keys to consider (default: every one with the SLO's metrics).
    level
        Interval level of the ranges (needs a calibrated model; point values otherwise).
    lengths
        A length distribution instead of fixed ``ii``/``oo``: rows with ``ii`` and ``oo``
        (e.g. a request trace), of which up to :data:`MAX_PAIRS` are drawn (``seed``). The
        targets then hold for that share of requests (p50: the median request's predicted
        median latency; p99: the 99th-percentile request's predicted p99) and throughput is
        that of the mix; ``ii``/``oo`` are ignored.

    Raises
    ------
    AlaError
        For bad inputs, or a model without the latency metrics the SLO needs.
    """
    if lengths is not None:
        usable = lengths[["ii", "oo"]].astype(float)
        usable = usable[(usable > 0).all(axis=1) & np.isfinite(usable).all(axis=1)]
        if usable.empty:
            raise AlaError("the length distribution has no row with positive ii and oo")
        n = min(MAX_PAIRS, len(usable))
        pairs = (
            usable.sample(n, random_state=seed).to_numpy(float)
            if len(usable) > n
            else usable.to_numpy(float)
        )
        ii, oo = float(usable["ii"].mean()), float(usable["oo"].mean())
    else:
        pairs = np.array([[ii, oo]], float)
    if ii <= 0 or oo <= 0:
        raise AlaError("input and output tokens must be positive")
    if (tokens_per_s is None) == (requests_per_s is None):
        raise AlaError("give the load as tokens/s or as requests/s (one of them)")
    load = tokens_per_s if tokens_per_s is not None else (requests_per_s or 0) * (ii + oo)
    if not load > 0:
        raise AlaError("the load must be positive")
    if price_per_gpu_hour is not None and not price_per_gpu_hour >= 0:
        raise AlaError("the price per GPU-hour cannot be negative")
    targets = slo.targets()
    if not targets:
        raise AlaError(
            "give at least one latency target (a TTFT or TPOT limit in ms); to size for "
            "throughput alone use the Sizing page or ala size"
        )
    latency = model.latency_
    modelled = set() if latency is None else set(latency.metrics_)
    missing = [m for m in targets if m not in modelled]
    if missing:
        raise AlaError(
            f"the model has no {', '.join(missing)}: fit it on data with those latencies "
            "(e.g. benchmark-tool results: ala fit FOLDER/)"
        )
    assert latency is not None
    quantile = 0.5 if slo.percentile == "p50" else 0.99
    candidates = list(configs) if configs is not None else list(model.configs_)
    interval = level if model.calibration_ is not None else None
    rows, curves = [], []
    for key in candidates:
        key = model.configs_[model.config_id(key)]
        if targets and not all(key in latency.learners_[m] for m in targets):
            continue
        row, curve = _size_one(
            model, key, pairs, targets, load, price_per_gpu_hour, interval, quantile
        )
        rows.append(row)
        curves.append(curve)
    if not rows:
        raise AlaError("no configuration has the latency measurements this SLO needs")
    table = pd.DataFrame(rows)
    order = "cost_per_million" if price_per_gpu_hour is not None else "gpus"
    table = table.sort_values(["meets_slo", order], ascending=[False, True], kind="stable")
    return SloPlan(
        table.reset_index(drop=True),
        slo,
        float(ii),
        float(oo),
        float(load),
        currency,
        len(pairs),
        pd.concat(curves, ignore_index=True),
    )


def _workload_predictions(
    model: ThroughputModel,
    key: ConfigKey,
    pairs: np.ndarray,
    grid: np.ndarray,
    interval: float | None,
    quantile: float,
) -> pd.DataFrame:
    """Predictions on ``grid`` for a mix of request lengths ``pairs`` (n, 2), one row per
    batch size: latencies as the ``quantile`` over the requests, throughput of the mix (each
    request's share of the cycle time, ``(ii + oo) / thpt``, averaged), the worst situation."""
    queries = pd.concat(
        [model.batch_queries(key, float(i), float(o), grid) for i, o in pairs], ignore_index=True
    )
    pred = model.predict(queries, interval=interval)
    pred["at"] = np.tile(np.arange(len(grid)), len(pairs))
    by = pred.groupby("at", sort=True)
    tokens = pred["ii"] + pred["oo"]
    out = pd.DataFrame({"bb": grid})
    for column in ("thpt_pred", "thpt_lo", "thpt_hi"):
        if column in pred:
            cycle = (tokens / pred[column]).groupby(pred["at"]).mean()
            out[column] = (tokens.groupby(pred["at"]).mean() / cycle).to_numpy()
    for column in pred.columns:
        if column.endswith(("_ms_pred", "_ms_lo", "_ms_hi")):
            out[column] = by[column].quantile(quantile).to_numpy()
    rank = pred["situation"].map(lambda v: SOURCE_WORDS.index(source_of(str(v))))
    out["situation"] = [SOURCE_WORDS[i] for i in rank.groupby(pred["at"]).max()]
    out["past_peak"] = by["past_peak"].any().to_numpy()
    out["note"] = by["note"].agg(lambda v: next((n for n in v if n), "")).to_numpy()
    return out


def _size_one(
    model: ThroughputModel,
    key: ConfigKey,
    pairs: np.ndarray,
    targets: dict[str, float],
    load: float,
    price: float | None,
    interval: float | None,
    quantile: float,
) -> tuple[dict[str, object], pd.DataFrame]:
    cid = model.config_id(key)
    measured = model.points_[model.points_["config"] == cid]
    top = float(measured["bb"].max())
    points = GRID_POINTS if len(pairs) == 1 else GRID_POINTS // 2
    grid = np.unique(np.concatenate([np.round(np.geomspace(1, 2 * top, points)), measured["bb"]]))
    pred = _workload_predictions(model, key, pairs, grid, interval, quantile)
    thpt = pred["thpt_pred"].to_numpy(float)
    peak = int(np.argmax(thpt))
    # never past the throughput peak (the predicted one, or a measured neighbour's)
    allowed = (np.arange(len(grid)) <= peak) & ~pred["past_peak"].to_numpy(bool)
    ok = allowed.copy()
    cautious, hopeful = allowed.copy(), allowed.copy()
    for metric, limit in targets.items():
        value = pred[f"{metric}_pred"].to_numpy(float)
        ok &= value <= limit
        hi = pred.get(f"{metric}_hi", pred[f"{metric}_pred"]).to_numpy(float)
        lo = pred.get(f"{metric}_lo", pred[f"{metric}_pred"]).to_numpy(float)
        cautious &= np.where(np.isfinite(hi), hi, value) <= limit
        hopeful &= np.where(np.isfinite(lo), lo, value) <= limit
    gpus_per_replica, gpu_note = _gpus(key, model.config_columns_)
    label = config_label(key)
    curve = pd.DataFrame(
        {
            "configuration": label,
            "bb": grid,
            "thpt_pred": thpt,
            "thpt_per_gpu": thpt / gpus_per_replica,
            "tpot_ms_pred": pred["tpot_ms_pred"].to_numpy(float)
            if "tpot_ms_pred" in pred
            else np.nan,
            "meets_slo": ok,
            "past_peak": ~allowed,
        }
    )
    bb = _largest_meeting(grid, ok)
    row: dict[str, object] = {"configuration": label, "config": key}
    if not math.isfinite(bb):
        first = {m: float(pred[f"{m}_pred"].iloc[0]) for m in targets}
        worst = ", ".join(
            f"{m} {v:,.0f} ms > {targets[m]:g}" for m, v in first.items() if v > targets[m]
        )
        return {
            **row,
            "meets_slo": False,
            "concurrency": np.nan,
            "concurrency_lo": np.nan,
            "concurrency_hi": np.nan,
            "note": f"even concurrency 1 misses the SLO ({worst})",
            **dict.fromkeys(_NUMBERS, np.nan),
        }, curve
    k = int(np.flatnonzero(grid == bb)[0])
    bb_lo, bb_hi = _largest_meeting(grid, cautious), _largest_meeting(grid, hopeful)
    t_mid = thpt[k]
    t_lo = float(pred["thpt_lo"].iloc[k]) if "thpt_lo" in pred else t_mid
    t_hi = float(pred["thpt_hi"].iloc[k]) if "thpt_hi" in pred else t_mid
    t_lo = t_mid if not math.isfinite(t_lo) else t_lo
    t_hi = t_mid if not math.isfinite(t_hi) else t_hi
    replicas = math.ceil(load / t_mid)
    replicas_lo, replicas_hi = math.ceil(load / t_hi), math.ceil(load / max(t_lo, 1e-9))
    per_million = None if price is None else price * gpus_per_replica / (t_mid * 3600) * 1e6
    source = str(pred["situation"].iloc[k])
    tpot = float(pred["tpot_ms_pred"].iloc[k]) if "tpot_ms_pred" in pred else np.nan
    notes = [n for n in (gpu_note, str(pred["note"].iloc[k])) if n]
    if source == "extrapolated":
        notes.append("relies on extrapolation beyond the benchmarked lengths or batch sizes")
    if peak < len(grid) - 1:
        notes.append(f"throughput peaks at concurrency {grid[peak]:g}")
    return {
        **row,
        "meets_slo": True,
        "concurrency": bb,
        "concurrency_lo": bb_lo if math.isfinite(bb_lo) else 0.0,
        "concurrency_hi": bb_hi,
        "thpt": t_mid,
        "thpt_lo": t_lo,
        "thpt_hi": t_hi,
        "thpt_per_gpu": t_mid / gpus_per_replica,
        "tokens_per_user_s": 1000 / tpot if tpot > 0 else np.nan,
        "replicas": replicas,
        "replicas_lo": replicas_lo,
        "replicas_hi": replicas_hi,
        "gpus": replicas * gpus_per_replica,
        "gpus_lo": replicas_lo * gpus_per_replica,
        "gpus_hi": replicas_hi * gpus_per_replica,
        "cost_per_hour": np.nan if price is None else replicas * gpus_per_replica * price,
        "cost_per_million": np.nan if per_million is None else per_million,
        "cost_per_million_lo": np.nan
        if price is None
        else price * gpus_per_replica / (t_hi * 3600) * 1e6,
        "cost_per_million_hi": np.nan
        if price is None
        else price * gpus_per_replica / (max(t_lo, 1e-9) * 3600) * 1e6,
        "source": source,
        "note": "; ".join(notes),
    }, curve


_NUMBERS = (
    "thpt",
    "thpt_lo",
    "thpt_hi",
    "thpt_per_gpu",
    "tokens_per_user_s",
    "replicas",
    "replicas_lo",
    "replicas_hi",
    "gpus",
    "gpus_lo",
    "gpus_hi",
    "cost_per_hour",
    "cost_per_million",
    "cost_per_million_lo",
    "cost_per_million_hi",
)


def pareto_frame(model: ThroughputModel, plan: SloPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Pareto view's data: predicted (``curves``: up to each peak) and measured points of
    tokens/s per GPU against output tokens/s per user (``1000 / tpot``) at the plan's lengths.

    Measured points are those of each configuration at the plan's (ii, oo) with a TPOT.
    """
    curves = plan.curves[~plan.curves["past_peak"]].copy()
    curves["tokens_per_user_s"] = 1000 / curves["tpot_ms_pred"]
    measured = []
    learners = {} if model.latency_ is None else model.latency_.learners_.get("tpot_ms", {})
    for label, key in zip(plan.table["configuration"], plan.table["config"], strict=True):
        if key not in learners:
            continue
        bb, tpot = learners[key].measured_at(plan.ii, plan.oo)
        if bb.size == 0:  # this length was not measured for the configuration
            continue
        points = model.points_[model.points_["config"] == model.config_id(key)]
        at = points[np.isclose(points["ii"], plan.ii) & np.isclose(points["oo"], plan.oo)]
        mean = at.groupby("bb")["thpt"].mean()  # sorted by bb; the same rows as the TPOT
        thpt = np.interp(bb, mean.index.to_numpy(float), mean.to_numpy(float))
        measured.append(
            pd.DataFrame(
                {
                    "configuration": label,
                    "bb": bb,
                    "tokens_per_user_s": 1000 / tpot,
                    "thpt_per_gpu": thpt / _gpus(key, model.config_columns_)[0],
                }
            )
        )
    points = (
        pd.concat(measured, ignore_index=True)
        if measured
        else pd.DataFrame(columns=["configuration", "bb", "tokens_per_user_s", "thpt_per_gpu"])
    )
    return curves, points
