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
import numpy.typing as npt
import pandas as pd

from ala.configs import ConfigKey, config_dict, config_label
from ala.context import Context
from ala.errors import AlaError
from ala.model import SOURCE_WORDS, ThroughputModel, source_of
from ala.sizing import (
    KNEE,
    accelerators_per_replica,
    pick_batch,
    replicas_for,
    size_deployment,
)
from ala.specs import Catalogue

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
    known = key in model.config_index_
    values = config_dict(key, model.config_columns_) if known else {}
    row: dict[str, object] = {
        "config": key,
        "configuration": config_label(key),
        "currency": context.currency,
    }
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
    source = source_of(str(curve.loc[curve["bb"] == size.batch, "situation"].iloc[0]))
    return row | {
        "batch": size.batch,
        "batch_lo": batch_lo,
        "batch_hi": batch_hi,
        "knee": _knee(curve["bb"].to_numpy(float), curve["thpt_pred"].to_numpy(float)),
        **_figures(lo, mid, hi, accelerators_per_replica(values), target, context.price),
        "source": source,
        "confidence": confidence(source, (hi - lo) / mid if mid > 0 else np.inf, size.note),
        "extrapolated": size.extrapolated or source == "extrapolated",
        "warning": _warning(size.note, source, size.extrapolated),
    }


def _figures(
    lo: float, mid: float, hi: float, per_replica: float, target: float, price: float | None
) -> dict[str, float]:
    """Replicas, accelerators, tokens/s per accelerator and (with a price) cost per hour and
    per million tokens, each with ``_lo``/``_hi`` (the interval's optimistic and pessimistic
    ends), for one replica's throughput ``lo``/``mid``/``hi``."""
    out: dict[str, float] = {"gpus_per_replica": per_replica}
    # optimistic (upper throughput: fewer replicas), expected, pessimistic
    for suffix, thpt, per_gpu in (("_lo", hi, lo), ("", mid, mid), ("_hi", lo, hi)):
        replicas = replicas_for(target, thpt)
        out[f"replicas{suffix}"] = replicas
        out[f"gpus{suffix}"] = replicas * per_replica
        out[f"thpt_per_gpu{suffix}"] = per_gpu / per_replica
        hourly = np.nan if price is None else price * per_replica * replicas
        out[f"cost_per_hour{suffix}"] = hourly
        out[f"cost_per_million{suffix}"] = hourly / (target * 3600) * 1e6
    return out


def _knee(bb: npt.NDArray[np.float64], thpt: npt.NDArray[np.float64]) -> float:
    """The smallest batch within 90 % of the best predicted throughput (NaN without any)."""
    peak = float(thpt.max()) if thpt.size else 0.0
    return float(bb[np.argmax(thpt >= KNEE * peak)]) if peak > 0 else np.nan


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
    from ala.slo import sizing_for

    plan = sizing_for(model, context, list(configs or context.configs) or None)
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
    out["source"] = [str(s) if s in SOURCE_WORDS else "" for s in table["source"]]
    width = (table["thpt_hi"] - table["thpt_lo"]) / table["thpt"]
    out["confidence"] = [
        confidence(src, float(w) if w == w else np.inf)
        for src, w in zip(out["source"], width, strict=True)
    ]
    out["extrapolated"] = (out["source"] == "extrapolated") | ~table["meets_slo"].astype(bool)
    out["warning"] = table["note"].fillna("")
    return out.reset_index(drop=True)


def _transferred_row(item: Transferred, context: Context, target: float) -> dict[str, object]:
    """A row from a transferred curve: the smallest batch reaching the target on one replica,
    else the knee; replicas from the interval's ends (no interval: the prediction)."""
    curve = item.curve.sort_values("bb").reset_index(drop=True)
    bb = curve["bb"].to_numpy(float)
    pred = curve["thpt_pred"].to_numpy(float)
    lo = curve.get("thpt_lo", curve["thpt_pred"]).fillna(curve["thpt_pred"]).to_numpy(float)
    hi = curve.get("thpt_hi", curve["thpt_pred"]).fillna(curve["thpt_pred"]).to_numpy(float)
    k, _ = pick_batch(pred, target)
    per_replica = accelerators_per_replica(dict(zip(item.columns, item.config, strict=False)))
    width = (hi[k] - lo[k]) / pred[k] if pred[k] > 0 else np.inf
    return {
        "config": item.config,
        "configuration": config_label(item.config),
        "currency": context.currency,
        "batch": bb[k],
        "batch_lo": bb[k],
        "batch_hi": bb[k],
        "knee": _knee(bb, pred),
        **_figures(lo[k], pred[k], hi[k], per_replica, target, context.price),
        "source": "transferred",
        "confidence": confidence("transferred", width, item.note if width == 0 else ""),
        "extrapolated": False,
        "warning": "; ".join(n for n in ("transferred from measured siblings", item.note) if n),
    }


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
