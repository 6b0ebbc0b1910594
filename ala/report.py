"""A self-contained HTML report for stakeholders: figures, provenance, settings, accuracy."""

from __future__ import annotations

import html
import time
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from ala.data import LoadReport
from ala.model import ThroughputModel

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;
color:#222}h1{color:#0072B2}table{border-collapse:collapse;font-size:.9rem;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}th{background:#f2f5f8}
.note{color:#555;font-size:.9rem}pre{background:#f7f7f7;padding:.8rem;white-space:pre-wrap}
"""


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:,.3f}", border=0)


def build_report(
    title: str,
    report: LoadReport,
    model: ThroughputModel,
    accuracy: pd.DataFrame | None,
    predictions: pd.DataFrame,
    figures: Sequence[tuple[str, go.Figure]],
) -> str:
    """The report as one HTML string; plotly.js is embedded once, so it opens offline."""
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
        f"({(model.database_['status'] == 'ok').sum()} fully determined). Intervals: "
        f"{'split-conformal, calibrated out of fold' if model.calibration_ else 'none'}."
        "</p>",
    ]
    if accuracy is not None and len(accuracy):
        parts += [
            "<h2>Accuracy on held-out data</h2>",
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
