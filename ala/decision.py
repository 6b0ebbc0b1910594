"""Sizing as a decision table: one row per candidate configuration for one target load.

Each row answers "what would it take to serve the target on this configuration": the
recommended batch size (or concurrency), replicas, total accelerators, throughput per
accelerator, cost per hour and per million tokens, each with its range from the model's
intervals, where the answer comes from (measured, interpolated, extrapolated) and a warning
where it rests on anything beyond the measurements. Rows that meet the target come first,
cheapest (or fewest accelerators) first. Canonical column names stay machine-friendly;
:data:`COLUMN_TITLES` gives the human titles with units that the app and the report show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ala.configs import ConfigKey
from ala.context import Context
from ala.errors import AlaError
from ala.model import ThroughputModel
from ala.sizing import KNEE, size_deployment
from ala.specs import Catalogue

SOURCES = {"database_within": "measured", "database_below": "interpolated"}
SOURCES |= {"learned_inner": "interpolated"}

COLUMN_TITLES = {
    "configuration": "Configuration",
    "batch": "Batch / concurrency",
    "knee": "Knee (batch at 90 % of the best)",
    "replicas": "Replicas",
    "gpus": "Accelerators",
    "thpt_per_gpu": "Tokens/s per accelerator",
    "cost_per_hour": "Cost per hour",
    "cost_per_million": "Cost per million tokens",
    "source": "Source",
    "confidence": "Confidence",
    "warning": "Warning",
}


def source_of(situation: str) -> str:
    """``measured``, ``interpolated`` or ``extrapolated`` for a prediction's situation."""
    return SOURCES.get(situation, "extrapolated")


@dataclass(frozen=True, slots=True)
class Transferred:
    """A configuration never benchmarked, as the transfer model predicts it: its key and
    configuration columns, its curve over batch sizes (``bb``, ``thpt_pred`` and, when it
    has one, ``thpt_lo``, ``thpt_hi``) and what the transfer rests on (``note``)."""

    config: ConfigKey
    columns: tuple[str, ...]
    curve: pd.DataFrame = field(repr=False)
    note: str = ""


def decision_table(
    model: ThroughputModel,
    context: Context,
    configs: Sequence[ConfigKey] = (),
    specs: Catalogue | None = None,
    transferred: Sequence[Transferred] = (),
) -> pd.DataFrame:
    """Every candidate configuration sized for the context's target, best first.

    Parameters
    ----------
    model
        A fitted (preferably calibrated) throughput model.
    context
        The workload: lengths ``ii``/``oo``, the target (tokens/s or requests/s), the
        interval level, the price per accelerator-hour and currency.
    configs
        Candidate configuration keys; default: the context's, else all of the model's.
    transferred
        Unbenchmarked configurations predicted by the transfer model (:class:`Transferred`):
        sized on their transferred curve, with source ``transferred``.

    Returns
    -------
    pandas.DataFrame
        One row per configuration: ``config`` (its key), ``configuration`` (its label),
        ``batch``, ``batch_lo``, ``batch_hi``, ``knee`` (the smallest batch within 90 % of
        the best predicted throughput: beyond it a bigger batch buys little), ``replicas``
        (with ``_lo``/``_hi``: optimistic and pessimistic), ``gpus_per_replica``, ``gpus``
        (with range), ``thpt_per_gpu`` (with range), ``cost_per_hour`` and
        ``cost_per_million`` (with ranges; NaN without a price), ``currency``, ``source``,
        ``confidence`` (:func:`confidence`), ``extrapolated`` and ``warning``. A
        configuration that cannot be sized (it does not fit in memory, say) keeps its row
        with the reason in ``warning``.

    Raises
    ------
    AlaError
        If the target is not positive or no configuration is known.
    """
    candidates = list(configs or context.configs) or list(model.configs_)
    if not candidates:
        raise AlaError("the model knows no configuration to size")
    target = context.tokens_per_s
    if not target > 0:
        raise AlaError("the target load must be positive")
    rows = [_row(model, tuple(key), context, target, specs) for key in candidates]
    rows += [_transferred_row(t, context, target) for t in transferred]
    table = pd.DataFrame(rows)
    order = table["cost_per_million"].fillna(np.inf) if context.price else table["gpus"]
    table = table.assign(_failed=table["batch"].isna(), _order=order)
    table = table.sort_values(
        ["_failed", "extrapolated", "_order", "thpt_per_gpu"],
        ascending=[True, True, True, False],
        kind="stable",
    )
    return table.drop(columns=["_failed", "_order"]).reset_index(drop=True)


def _row(
    model: ThroughputModel,
    key: ConfigKey,
    context: Context,
    target: float,
    specs: Catalogue | None,
) -> dict[str, object]:
    label = model.labels_[model.config_id(key)] if key in model.configs_ else " / ".join(key)
    values = model.config_values(model.config_id(key)) if key in model.configs_ else {}
    per_replica = _accelerators(values)
    row: dict[str, object] = {"config": key, "configuration": label, "currency": context.currency}
    try:
        size = size_deployment(
            model,
            values,
            context.ii,
            context.oo,
            target,
            context.price,
            interval=context.level,
            specs=specs,
        )
    except AlaError as exc:
        return row | {"batch": np.nan, "source": "", "extrapolated": True, "warning": str(exc)}
    curve = size.curve
    batch_lo = batch_hi = size.batch
    if size.reaches_target and "thpt_lo" in curve:
        batch_lo = _first_batch(curve, "thpt_hi", target, size.batch)
        batch_hi = _first_batch(curve, "thpt_lo", target, size.batch)
    lo, mid, hi = size.thpt
    peak = float(curve["thpt_pred"].max())
    near_peak = curve.loc[curve["thpt_pred"] >= KNEE * peak, "bb"]
    knee = float(near_peak.iloc[0]) if peak > 0 and len(near_peak) else np.nan
    optimistic, expected, pessimistic = size.replicas[2], size.replicas[1], size.replicas[0]
    source = source_of(str(curve.loc[curve["bb"] == size.batch, "situation"].iloc[0]))
    row |= {
        "batch": size.batch,
        "batch_lo": batch_lo,
        "batch_hi": batch_hi,
        "knee": knee,
        "replicas": expected,
        "replicas_lo": optimistic,
        "replicas_hi": pessimistic,
        "gpus_per_replica": per_replica,
        "gpus": expected * per_replica,
        "gpus_lo": optimistic * per_replica,
        "gpus_hi": pessimistic * per_replica,
        "thpt_per_gpu": mid / per_replica,
        "thpt_per_gpu_lo": lo / per_replica,
        "thpt_per_gpu_hi": hi / per_replica,
        "source": source,
        "confidence": confidence(source, (hi - lo) / mid if mid > 0 else np.inf, size.note),
        "extrapolated": size.extrapolated or source == "extrapolated",
        "warning": _warning(size.note, source, size.extrapolated),
    }
    if context.price is not None:
        hourly = context.price * per_replica
        cost = size.cost_per_million or (np.nan, np.nan, np.nan)
        row |= {
            "cost_per_hour": hourly * expected,
            "cost_per_hour_lo": hourly * optimistic,
            "cost_per_hour_hi": hourly * pessimistic,
            "cost_per_million": cost[1],
            "cost_per_million_lo": cost[2],
            "cost_per_million_hi": cost[0],
        }
    else:
        row |= {k: np.nan for k in ("cost_per_hour", "cost_per_million")}
    return row


WORDS = ("measured", "interpolated", "extrapolated")
# Columns an SLO plan leaves out when no configuration meets the targets.
SLO_COLUMNS = ("source", "thpt", "thpt_lo", "thpt_hi", "thpt_per_gpu", "note")


def slo_decision_table(
    model: ThroughputModel, context: Context, configs: Sequence[ConfigKey] = ()
) -> pd.DataFrame:
    """The decision table under the context's latency targets (TTFT / TPOT at its
    percentile): per configuration, the largest concurrency that meets them before the
    throughput peak, and what serving the target there takes (see
    :func:`ala.slo.slo_sizing`). Same columns as :func:`decision_table`; a configuration
    that misses the targets even at concurrency 1 keeps its row with the reason.

    Raises
    ------
    AlaError
        Without a latency target, or for a model without the metrics the targets need.
    """
    from ala.slo import SLO, slo_sizing

    plan = slo_sizing(
        model,
        context.ii,
        context.oo,
        SLO(context.ttft_ms, context.tpot_ms, context.percentile),
        tokens_per_s=context.tokens_per_s,
        price_per_gpu_hour=context.price,
        currency=context.currency,
        configs=list(configs or context.configs) or None,
        level=context.level,
    )
    table = plan.table.assign(**{c: np.nan for c in SLO_COLUMNS if c not in plan.table})
    per = (table["gpus"] / table["replicas"]).fillna(1.0)
    out = pd.DataFrame(
        {
            "config": table["config"],
            "configuration": table["configuration"],
            "currency": context.currency,
            "batch": table["concurrency"],
            "batch_lo": table["concurrency_lo"],
            "batch_hi": table["concurrency_hi"],
            "knee": np.nan,
            "replicas": table["replicas"],
            "replicas_lo": table["replicas_lo"],
            "replicas_hi": table["replicas_hi"],
            "gpus_per_replica": per,
            "gpus": table["gpus"],
            "gpus_lo": table["gpus_lo"],
            "gpus_hi": table["gpus_hi"],
            "thpt_per_gpu": table["thpt_per_gpu"],
            "thpt_per_gpu_lo": table["thpt_lo"] / per,
            "thpt_per_gpu_hi": table["thpt_hi"] / per,
            "cost_per_hour": table["cost_per_hour"],
            "cost_per_hour_lo": table["gpus_lo"] * (context.price or np.nan),
            "cost_per_hour_hi": table["gpus_hi"] * (context.price or np.nan),
            "cost_per_million": table["cost_per_million"],
            "cost_per_million_lo": table["cost_per_million_lo"],
            "cost_per_million_hi": table["cost_per_million_hi"],
        }
    )
    out["source"] = [str(s) if s in WORDS else "" for s in table["source"]]
    width = (table["thpt_hi"] - table["thpt_lo"]) / table["thpt"]
    out["confidence"] = [
        confidence(src, float(w) if w == w else np.inf)
        for src, w in zip(out["source"], width, strict=True)
    ]
    out["extrapolated"] = (out["source"] == "extrapolated") | ~table["meets_slo"].astype(bool)
    out["warning"] = table["note"].fillna("")
    if context.price is None:
        out = out.drop(columns=[c for c in out if c.startswith("cost_per_hour_")])
    return out.reset_index(drop=True)


def _transferred_row(item: Transferred, context: Context, target: float) -> dict[str, object]:
    """A row from a transferred curve: the smallest batch reaching the target on one replica,
    else the knee; replicas from the interval's ends (no interval: the prediction)."""
    curve = item.curve.sort_values("bb").reset_index(drop=True)
    pred = curve["thpt_pred"].to_numpy(float)
    lo = curve.get("thpt_lo", curve["thpt_pred"]).fillna(curve["thpt_pred"]).to_numpy(float)
    hi = curve.get("thpt_hi", curve["thpt_pred"]).fillna(curve["thpt_pred"]).to_numpy(float)
    reaching = np.flatnonzero(pred >= target)
    k = int(reaching[0]) if reaching.size else int(np.argmax(pred >= KNEE * pred.max()))
    per_replica = _accelerators(dict(zip(item.columns, item.config, strict=False)))
    replicas = [max(1, math.ceil(target / max(v, 1e-9))) for v in (hi[k], pred[k], lo[k])]
    width = (hi[k] - lo[k]) / pred[k] if pred[k] > 0 else np.inf
    note = "; ".join(n for n in ("transferred from measured siblings", item.note) if n)
    row: dict[str, object] = {
        "config": item.config,
        "configuration": " / ".join(item.config),
        "currency": context.currency,
        "batch": float(curve["bb"].iloc[k]),
        "batch_lo": float(curve["bb"].iloc[k]),
        "batch_hi": float(curve["bb"].iloc[k]),
        "knee": float(curve["bb"].iloc[int(np.argmax(pred >= KNEE * pred.max()))]),
        "replicas": replicas[1],
        "replicas_lo": replicas[0],
        "replicas_hi": replicas[2],
        "gpus_per_replica": per_replica,
        "gpus": replicas[1] * per_replica,
        "gpus_lo": replicas[0] * per_replica,
        "gpus_hi": replicas[2] * per_replica,
        "thpt_per_gpu": pred[k] / per_replica,
        "thpt_per_gpu_lo": lo[k] / per_replica,
        "thpt_per_gpu_hi": hi[k] / per_replica,
        "source": "transferred",
        "confidence": confidence("transferred", width, item.note if width == 0 else ""),
        "extrapolated": False,
        "warning": note,
    }
    if context.price is not None:
        hourly = context.price * per_replica
        per_million = hourly / (target * 3600) * 1e6
        row |= {
            f"cost_per_hour{suffix}": hourly * n
            for suffix, n in zip(("_lo", "", "_hi"), replicas, strict=True)
        }
        row |= {
            f"cost_per_million{suffix}": per_million * n
            for suffix, n in zip(("_lo", "", "_hi"), replicas, strict=True)
        }
    else:
        row |= {k: np.nan for k in ("cost_per_hour", "cost_per_million")}
    return row


def confidence(source: str, relative_width: float, note: str = "") -> str:
    """``high``, ``medium`` or ``low`` in plain words: measured ground and a narrow interval
    (under 20 % of the prediction) is high; interpolated or under 50 % is medium; extrapolated,
    unidentified (zero width with a note) or wider is low."""
    if source == "extrapolated" or relative_width >= 0.5 or (relative_width == 0 and note):
        return "low"
    if source == "measured" and relative_width < 0.2:
        return "high"
    return "medium"


def confidences(predictions: pd.DataFrame) -> list[str]:
    """:func:`confidence` of each prediction row: its source from ``situation`` (else a
    ``source`` column in words, else extrapolated), its interval's width relative to
    ``thpt_pred``, and ``note``."""
    index = predictions.index
    if "situation" in predictions:
        sources = predictions["situation"].map(lambda v: source_of(str(v)))
    else:
        sources = predictions.get("source", pd.Series("extrapolated", index=index))
    width = (predictions["thpt_hi"] - predictions["thpt_lo"]) / predictions["thpt_pred"]
    notes = predictions.get("note", pd.Series("", index=index)).fillna("")
    return [
        confidence(str(src), float(w) if pd.notna(w) else np.inf, str(n))
        for src, w, n in zip(sources, width, notes, strict=True)
    ]


def _accelerators(values: dict[str, str]) -> int:
    try:
        count = float(values.get("acc_count", 1))
    except ValueError:
        return 1
    return max(1, math.ceil(count)) if math.isfinite(count) else 1


def _first_batch(curve: pd.DataFrame, column: str, target: float, fallback: float) -> float:
    reaching = curve.loc[curve[column] >= target, "bb"]
    return float(reaching.iloc[0]) if len(reaching) else fallback


def _warning(note: str, source: str, extrapolated: bool) -> str:
    parts = [note] if note else []
    if source == "extrapolated" and not extrapolated:
        parts.insert(0, "these lengths lie outside the benchmarked ones")
    return "; ".join(parts)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The decision table for people: each figure with its range in one cell
    (``"8 (7 – 9)"``), human titles with units, integers as integers; columns without values
    (no price: no cost) are left out. Configuration values shared by every row are left out
    of the labels (so the table fits the page) and kept in ``attrs["common"]``."""
    labels, common = short_labels(list(table["config"]))
    out = pd.DataFrame({"configuration": labels or list(table["configuration"])})
    currency = str(table["currency"].iloc[0]) if len(table) else ""
    for name, digits in (
        ("batch", 0),
        ("knee", 0),
        ("replicas", 0),
        ("gpus", 0),
        ("thpt_per_gpu", 0),
        ("cost_per_hour", 2),
        ("cost_per_million", 3),
    ):
        if name not in table or table[name].isna().all():
            continue
        values = [_fmt(v, digits) for v in table[name]]
        if f"{name}_lo" in table:
            values = [
                value
                if _fmt(lo, digits) == _fmt(hi, digits)
                else f"{value} ({_fmt(lo, digits)} – {_fmt(hi, digits)})"
                for value, lo, hi in zip(
                    values, table[f"{name}_lo"], table[f"{name}_hi"], strict=True
                )
            ]
        out[name] = values
    out["source"] = table["source"]
    out["confidence"] = table["confidence"].fillna("low")
    out["warning"] = table["warning"].fillna("")
    titles = dict(COLUMN_TITLES)
    for name in ("cost_per_hour", "cost_per_million"):
        titles[name] = f"{titles[name]} ({currency})"
    out = out.rename(columns=titles)
    out.attrs["common"] = common
    return out


def short_labels(keys: Sequence[ConfigKey]) -> tuple[list[str], str]:
    """Labels with only the values that differ between ``keys``, and the shared values
    (``"vLLM / meta-llama/Meta-Llama-3-8B"``); with fewer than two keys, full labels."""
    if len(keys) < 2 or len({len(k) for k in keys}) != 1:
        return [" / ".join(k) for k in keys], ""
    same = [len({k[i] for k in keys}) == 1 for i in range(len(keys[0]))]
    labels = [" / ".join(v for v, s in zip(k, same, strict=True) if not s) for k in keys]
    common = " / ".join(v for v, s in zip(keys[0], same, strict=True) if s)
    return labels, common


def _fmt(value: object, digits: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.{digits}f}"
