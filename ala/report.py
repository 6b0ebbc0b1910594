"""A self-contained HTML report for stakeholders.

It opens with a summary (the question, the recommendation with its range and confidence, the
caveats in plain words), then the evidence: the decision table, the predictions the user
added, the curves (one colour per configuration, as in the app), accuracy on held-out data in
plain language, the data provenance and the model settings. Column titles are human and carry
units; integers print as integers.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ala.configs import COLUMN_TITLES, ConfigKey
from ala.context import Context
from ala.data import Benchmarks, LoadReport
from ala.files import write_text

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from ala.model import ThroughputModel

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;
color:#222;padding:0 1rem}h1{color:#0072B2}table{border-collapse:collapse;font-size:.85rem;
margin:1rem 0;display:block;overflow-x:auto}td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:right}th{background:#f2f5f8}td:first-child,th:first-child{text-align:left}
.note{color:#555;font-size:.9rem}pre{background:#f7f7f7;padding:.8rem;white-space:pre-wrap}
.summary{background:#f2f8fc;border-left:4px solid #0072B2;padding:.6rem 1.2rem;margin:1rem 0}
.caveat{color:#8a4b00}
"""

# Human titles with units for the columns a report shows.
TITLES = {
    **COLUMN_TITLES,
    "ii": "Input tokens",
    "oo": "Output tokens",
    "bb": "Batch size",
    "thpt_pred": "Predicted tokens/s",
    "thpt_lo": "Lower bound (tokens/s)",
    "thpt_hi": "Upper bound (tokens/s)",
    "proximity": "Proximity to benchmarks (0–1)",
    "confidence": "Confidence",
    "source": "Source",
    "note": "Note",
    "protocol": "Held out",
    "n": "Points",
    "median_ape": "Median error (%)",
    "p90_ape": "90th percentile error (%)",
    "mean_ape": "Mean error (%)",
    "coverage": "Inside the interval (%)",
    "median_rel_width": "Median interval width (%)",
    "mean_rel_width": "Mean interval width (%)",
    "withheld": "Without an interval (%)",
}
PROTOCOL_WORDS = {
    "loo_inner": "a length between benchmarked ones",
    "loo_extreme": "the shortest or longest length",
    "max_batch": "each configuration's largest batch",
    "min_batch": "each configuration's smallest batch",
    "kfold": "random fifths of the points",
}


def _number(value: float) -> str:
    """Integers as integers (512, not 512.000); large numbers without decimals, small ones
    to two or three."""
    number = float(value)
    if number.is_integer() or abs(number) >= 100:
        return f"{number:,.0f}"
    return f"{number:,.2f}" if abs(number) >= 1 else f"{number:,.3f}"


def human_table(frame: pd.DataFrame, titles: Mapping[str, str] = TITLES) -> pd.DataFrame:
    """``frame`` for people: numbers as text (:func:`_number`), human column titles."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map({True: "yes", False: "no"})
        elif pd.api.types.is_numeric_dtype(out[column]):
            out[column] = [("—" if pd.isna(v) else _number(v)) for v in out[column]]
    return out.rename(columns=lambda c: titles.get(str(c), str(c).replace("_", " ")))


def _table(frame: pd.DataFrame) -> str:
    return str(human_table(frame).to_html(index=False, border=0, na_rep="—", escape=True))


def default_configs(model: ThroughputModel, count: int = 2) -> list[int]:
    """The ``count`` configuration ids with the most benchmarked points."""
    sizes = model.points_["config"].value_counts()
    return [int(c) for c in sizes.index[:count]]


def standard_predictions(model: ThroughputModel, configs: Sequence[int]) -> pd.DataFrame:
    """Predictions (with intervals when calibrated) at typical workloads of ``configs``."""
    if not configs:
        return pd.DataFrame()
    queries = pd.concat(
        [
            model.batch_queries(model.configs_[c], length, length, [1.0, 16.0, 32.0, 64.0])
            for c in configs
            for length in (512.0, 2048.0)
        ],
        ignore_index=True,
    )
    interval = 0.9 if model.calibration_ is not None else None
    pred = model.predict(queries, interval=interval)
    keep = [*model.config_columns_, "ii", "oo", "bb", "thpt_pred", "source"]
    keep += ["thpt_lo", "thpt_hi", "proximity", "situation"] if interval else []
    keep += ["note"]
    return pred[keep].round(1)


def report_figures(
    model: ThroughputModel, configs: Sequence[int], colors: Mapping[str, str] | None = None
) -> list[tuple[str, go.Figure]]:
    """The report's figures for ``configs``: fitted curves and their residuals, each
    configuration in its colour (``colors``: label -> colour, as in the app)."""
    from ala import plots
    from ala.curves import curve_residuals

    db = model.database_[model.database_["config"].isin(list(configs))]
    db = db.assign(label=[model.labels_[c] for c in db["config"]])
    points = model.points_.merge(db[["config", "label", "ii", "oo"]], on=["config", "ii", "oo"])
    residuals = curve_residuals(points, db, ["config"])
    return [
        (
            "Measured points and fitted saturation curves; dotted: saturation throughput c, "
            "diamond: knee (90 % of c).",
            plots.curves_figure(points, db, label_column="label", colors=colors),
        ),
        ("Residuals of the fitted curves.", plots.residuals_figure(residuals, colors)),
    ]


def prediction_confidence(predictions: pd.DataFrame) -> pd.DataFrame:
    """``predictions`` with a ``confidence`` column in plain words (see
    :func:`ala.decision.confidences`) where it has intervals and has none yet."""
    from ala.decision import confidences

    if predictions.empty or "thpt_lo" not in predictions or "confidence" in predictions:
        return predictions
    return predictions.assign(confidence=confidences(predictions))


def build_report(
    data: Benchmarks,
    model: ThroughputModel,
    title: str = "LLM inference throughput: predictions and trust",
    predictions: pd.DataFrame | None = None,
    configs: Sequence[int] | None = None,
    context: Context | None = None,
    decision: pd.DataFrame | None = None,
) -> str:
    """The report as one self-contained HTML string (plotly.js embedded once, opens offline).

    Parameters
    ----------
    data
        The benchmarks the model was fitted on (for the provenance section).
    model
        The fitted model; its calibration's held-out accuracy (``accuracy_``) is reported,
        so nothing is evaluated again.
    predictions
        Predictions the user added; default: a standard grid for ``configs``.
    configs
        Configuration ids to draw; default: those of the decision table (up to four), else
        the two with the most benchmarked points.
    context
        The question asked (lengths, target, price), for the summary.
    decision
        A :func:`ala.decision.decision_table`; its first row is the recommendation.
    """
    if configs is not None:
        chosen = list(configs)
    elif decision is not None and len(decision):
        known = [k for k in decision["config"] if k in model.configs_]
        chosen = [model.config_id(k) for k in known[:4]] or default_configs(model)
    else:
        chosen = default_configs(model)
    standard = predictions is None or predictions.empty
    if standard:
        predictions = standard_predictions(model, chosen)
    assert predictions is not None
    from ala.configs import config_label
    from ala.plots import config_colors

    chosen_labels = [config_label(k) for k in (context.configs if context else ())]
    colors = config_colors(chosen_labels, [model.labels_[c] for c in chosen])
    return _render(
        title,
        data.report,
        model,
        model.accuracy_,
        prediction_confidence(predictions),
        report_figures(model, chosen, colors),
        _summary(context, decision, model.accuracy_),
        decision,
        standard,
    )


def write_report(
    data: Benchmarks,
    model_path: str | Path,
    output: str | Path,
    title: str = "LLM inference throughput: predictions and trust",
    configs: Sequence[ConfigKey] = (),
    context: Context | None = None,
) -> None:
    """Load a saved model, build the report and write it to ``output``.

    With a ``context`` the report answers its question: a decision table over ``configs``
    (keys; default: every configuration of the model) with the recommendation in the summary.
    """
    from ala.decision import decision_table
    from ala.model import ThroughputModel

    model = ThroughputModel.load(model_path)
    ids = [model.config_id(k) for k in configs] or None
    decision = decision_table(model, context, list(configs)) if context is not None else None
    write_text(
        output, build_report(data, model, title, configs=ids, context=context, decision=decision)
    )


def _summary(
    context: Context | None, decision: pd.DataFrame | None, accuracy: pd.DataFrame | None
) -> str:
    """The summary in plain words: question, recommendation with range and confidence,
    caveats."""
    parts = []
    if context is not None:
        target = f"{context.target:,.6g} {context.target_unit}"
        slo = [
            f"time to first token ≤ {context.ttft_ms:g} ms" if context.ttft_ms else "",
            f"time per output token ≤ {context.tpot_ms:g} ms" if context.tpot_ms else "",
        ]
        slo_text = " and ".join(x for x in slo if x)
        parts.append(
            f"<p><b>The question.</b> What does it take to serve {html.escape(target)} of "
            f"requests with {context.ii:,.0f} input and {context.oo:,.0f} output tokens"
            + (f", with {html.escape(slo_text)} ({context.percentile})" if slo_text else "")
            + (
                f", and what does it cost at {context.price:,.2f} "
                f"{html.escape(context.currency)} per accelerator-hour"
                if context.price
                else ""
            )
            + f"? Ranges are {context.level:.0%} intervals.</p>"
        )
    caveats = []
    if decision is not None and len(decision) and pd.notna(decision["batch"].iloc[0]):
        best = decision.iloc[0]
        currency = html.escape(str(best["currency"]))
        cost = ""
        if pd.notna(best.get("cost_per_hour", float("nan"))):
            cost = (
                f" It costs {best['cost_per_hour']:,.2f} {currency} per hour "
                f"({_range(best, 'cost_per_hour', 2)}), {best['cost_per_million']:,.3f} "
                f"{currency} per million tokens ({_range(best, 'cost_per_million', 3)})."
            )
        parts.append(
            f"<p><b>Recommendation.</b> {html.escape(str(best['configuration']))}: "
            f"<b>{best['gpus']:,.0f} accelerators</b> ({best['replicas']:,.0f} replicas of "
            f"{best['gpus_per_replica']:,.0f}; {_range(best, 'gpus', 0)}) at batch size "
            f"{best['batch']:,.0f}, {best['thpt_per_gpu']:,.0f} tokens/s per accelerator "
            f"({_range(best, 'thpt_per_gpu', 0)}).{cost} Confidence: "
            f"<b>{html.escape(str(best['confidence']))}</b> (the answer rests on "
            f"{html.escape(str(best['source']))} points).</p>"
        )
        if best["warning"]:
            caveats.append(f"For the recommendation: {best['warning']}.")
        others = int(decision["extrapolated"].sum())
        if others:
            caveats.append(
                f"{others} of {len(decision)} configurations rely on extrapolation beyond "
                "the benchmarks; their rows carry a warning."
            )
    elif decision is not None:
        caveats.append("No configuration could be sized: see the warnings in the table.")
    if accuracy is not None and len(accuracy):
        inner = accuracy.iloc[0]
        where = PROTOCOL_WORDS.get(str(inner["protocol"]), str(inner["protocol"]))
        caveats.append(
            f"On benchmark points the model did not see ({where}),"
            f" half of the predictions were within {inner['median_ape']:.1f} % of the "
            f"measurement and 9 in 10 within {inner['p90_ape']:.0f} %."
        )
    else:
        caveats.append("The model was not evaluated on held-out data: no accuracy is known.")
    if caveats:
        parts.append(
            "<p><b>Caveats.</b></p><ul>"
            + "".join(f"<li class='caveat'>{html.escape(c)}</li>" for c in caveats)
            + "</ul>"
        )
    return "<div class='summary'>" + "".join(parts) + "</div>" if parts else ""


def _range(row: pd.Series, name: str, digits: int) -> str:
    lo, hi = float(row[f"{name}_lo"]), float(row[f"{name}_hi"])
    if f"{lo:,.{digits}f}" == f"{hi:,.{digits}f}":
        return "the same at both ends of the interval"
    return f"range {lo:,.{digits}f} to {hi:,.{digits}f}"


def _accuracy_words(accuracy: pd.DataFrame) -> str:
    lines = []
    for row in accuracy.itertuples(index=False):
        where = PROTOCOL_WORDS.get(str(row.protocol), str(row.protocol))
        text = (
            f"Holding out {where}: half of {row.n:,.0f} predictions within "
            f"{row.median_ape:.1f} % of the measurement, 9 in 10 within {row.p90_ape:.0f} %"
        )
        if "coverage" in accuracy and pd.notna(row.coverage):
            text += f"; {row.coverage:.0f} % of the measurements fell inside their interval"
        lines.append(f"<li>{html.escape(text)}.</li>")
    return "<ul>" + "".join(lines) + "</ul>"


def _render(
    title: str,
    report: LoadReport,
    model: ThroughputModel,
    accuracy: pd.DataFrame | None,
    predictions: pd.DataFrame,
    figures: Sequence[tuple[str, go.Figure]],
    summary: str = "",
    decision: pd.DataFrame | None = None,
    standard: bool = False,
) -> str:
    from ala.decision import display_table

    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='note'>Generated {time.strftime('%Y-%m-%d %H:%M')} by ala from "
        f"{html.escape(report.source)}.</p>",
        "<h2>Summary</h2>",
        summary or "<p>No sizing question was asked: the report shows the evidence only.</p>",
    ]
    if decision is not None:
        shown = display_table(decision)
        common = shown.attrs.get("common", "")
        parts += [
            "<h2>Decision table</h2>",
            f"<p>Every configuration below is {html.escape(common)}.</p>" if common else "",
            str(shown.to_html(index=False, border=0, escape=True)),
            "<p class='note'>One row per candidate configuration, best first. Ranges come "
            "from the intervals; source says whether the answer rests on measured, "
            "interpolated or extrapolated points.</p>",
        ]
    shown = predictions.drop(columns=["situation"], errors="ignore")
    parts += [
        "<h2>Predictions</h2>",
        "<p class='note'>"
        + (
            "No predictions were added: a standard grid of workloads is shown."
            if standard
            else "The predictions added to this report."
        )
        + "</p>",
        _table(shown) if len(shown) else "<p>No predictions.</p>",
        "<h2>Curves</h2>",
    ]
    for i, (caption, fig) in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False))
        parts.append(f"<p class='note'>{html.escape(caption)}</p>")
    if accuracy is not None and len(accuracy):
        parts += [
            "<h2>Accuracy on held-out data</h2>",
            "<p>Measured out of fold, on benchmark points each fit did not see:</p>",
            _accuracy_words(accuracy),
            _table(accuracy.assign(protocol=accuracy["protocol"].map(PROTOCOL_WORDS))),
        ]
    parts += [
        "<h2>Data provenance</h2>",
        f"<pre>{html.escape(report.summary())}</pre>",
        "<p class='note'>Columns used: "
        + html.escape(", ".join(f"{k} ← {v}" for k, v in report.column_map.items()))
        + "</p>",
        "<h2>Model settings</h2>",
        f"<p>Method <b>{html.escape(model.method)}</b>, seed {model.seed}; "
        f"{len(model.configs_)} configurations, {len(model.database_)} fitted curves "
        f"({model.database_['status'].isin(['ok', 'poor']).sum()} fully determined, "
        f"{(model.database_['status'] == 'poor').sum()} of them poorly described by a "
        "saturation curve). Intervals: "
        f"{'split-conformal, calibrated out of fold' if model.calibration_ else 'none'}."
        "</p>",
    ]
    body = "\n".join(parts)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )
