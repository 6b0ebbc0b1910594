"""A self-contained HTML report for stakeholders: figures, provenance, settings, accuracy."""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ala.configs import ConfigKey
from ala.data import Benchmarks, LoadReport
from ala.files import write_text

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from ala.model import ThroughputModel

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;
color:#222}h1{color:#0072B2}table{border-collapse:collapse;font-size:.9rem;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}th{background:#f2f5f8}
.note{color:#555;font-size:.9rem}pre{background:#f7f7f7;padding:.8rem;white-space:pre-wrap}
"""


def _number(value: float) -> str:
    """Integers as integers (512, not 512.000); other numbers to three decimals."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3f}"


def _table(frame: pd.DataFrame) -> str:
    return str(frame.to_html(index=False, float_format=_number, border=0, na_rep="—"))


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
    keep += ["thpt_lo", "thpt_hi", "proximity"] if interval else []
    keep += ["note"]
    return pred[keep].round(1)


def report_figures(model: ThroughputModel, configs: Sequence[int]) -> list[tuple[str, go.Figure]]:
    """The report's figures for ``configs``: fitted curves and their residuals."""
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
            plots.curves_figure(points, db, label_column="label"),
        ),
        ("Residuals of the fitted curves.", plots.residuals_figure(residuals)),
    ]


def build_report(
    data: Benchmarks,
    model: ThroughputModel,
    title: str = "LLM inference throughput: predictions and trust",
    predictions: pd.DataFrame | None = None,
    configs: Sequence[int] | None = None,
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
        Predictions to list; default: a standard grid for ``configs``.
    configs
        Configuration ids to draw; default: the two with the most benchmarked points.
    """
    chosen = list(configs) if configs is not None else default_configs(model)
    if predictions is None or predictions.empty:
        predictions = standard_predictions(model, chosen)
    return _render(
        title, data.report, model, model.accuracy_, predictions, report_figures(model, chosen)
    )


def write_report(
    data: Benchmarks,
    model_path: str | Path,
    output: str | Path,
    title: str = "LLM inference throughput: predictions and trust",
    configs: Sequence[ConfigKey] = (),
) -> None:
    """Load a saved model, build the report for ``configs`` (keys) and write it to ``output``."""
    from ala.model import ThroughputModel

    model = ThroughputModel.load(model_path)
    ids = [model.config_id(k) for k in configs] or None
    write_text(output, build_report(data, model, title, configs=ids))


def _render(
    title: str,
    report: LoadReport,
    model: ThroughputModel,
    accuracy: pd.DataFrame | None,
    predictions: pd.DataFrame,
    figures: Sequence[tuple[str, go.Figure]],
) -> str:
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='note'>Generated {time.strftime('%Y-%m-%d %H:%M')} by ala.</p>",
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
    if accuracy is not None and len(accuracy):
        parts += [
            "<h2>Accuracy on held-out data (out of fold, from calibration)</h2>",
            _table(accuracy),
            "<p class='note'>Absolute percentage errors of points each method did not "
            "see; coverage is the share of those points inside their interval.</p>",
        ]
    parts += [
        "<h2>Predictions</h2>",
        _table(predictions)
        if len(predictions)
        else "<p>No predictions were made in this session.</p>",
    ]
    for i, (caption, fig) in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False))
        parts.append(f"<p class='note'>{html.escape(caption)}</p>")
    body = "\n".join(parts)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )
