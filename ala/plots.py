"""Plotly figure builders shared by the dashboard and the exported report.

One look everywhere: the Okabe-Ito colour-blind-safe palette, titles with units, hover text
with exact values. Each builder returns a ``plotly.graph_objects.Figure`` and does no I/O.
"""

from __future__ import annotations

import textwrap
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ala.curves import saturation

# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
THPT = "Throughput (tokens/s)"
BATCH = "Batch size (concurrent requests)"
GAUGE_TITLE_WIDTH = 24  # characters a gauge's title line holds in a one-third column


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",
        colorway=list(PALETTE),
        hovermode="closest",
        legend_title_text="",
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
    )
    return fig


def color(i: int) -> str:
    """The ``i``-th palette colour, cycling."""
    return PALETTE[i % len(PALETTE)]


class _Curve:
    """One database row with typed fields (pandas rows are untyped)."""

    def __init__(self, record: Mapping[Hashable, Any], label_column: str) -> None:
        self.label = str(record[label_column])
        self.ii, self.oo, self.a, self.b, self.c, self.knee = (
            float(record[k]) for k in ("ii", "oo", "a", "b", "c", "knee")
        )


def _rows(database: pd.DataFrame, label_column: str = "config") -> list[_Curve]:
    return [_Curve(r, label_column) for r in database.to_dict("records")]


DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SMALL_MULTIPLES = 4  # more configurations than this: one panel per configuration
# Configuration colours: Okabe-Ito without black, then Paul Tol's muted scheme, so a chart of
# up to 15 configurations never repeats a colour.
CONFIG_PALETTE = PALETTE[:7] + (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
)


def config_colors(chosen: Sequence[str], others: Sequence[str] = ()) -> dict[str, str]:
    """Configuration label -> colour. The chosen configurations (the shared context's, in the
    order the user chose them) take the palette first, so up to 15 never share a colour; the
    others follow. The app and the report draw with the same map, so a configuration keeps
    its colour on every page and in the report."""
    out: dict[str, str] = {}
    for label in [*chosen, *others]:
        if label not in out:
            out[label] = CONFIG_PALETTE[len(out) % len(CONFIG_PALETTE)]
    return out


def curves_figure(
    points: pd.DataFrame,
    database: pd.DataFrame,
    label_column: str = "config",
    title: str = "Throughput vs batch size",
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """Measured points and fitted saturation curves: colour = configuration, line style =
    (ii, oo) length; one panel per configuration when more than four are drawn.

    ``points``: ``label_column, ii, oo, bb, thpt``; ``database``: ``label_column, ii, oo, a,
    b, c, knee``. ``colors`` maps a label to its colour (:func:`config_colors`); default: the
    palette in the order drawn. Saturation throughput ``c`` is drawn as a dotted line, the
    knee as a diamond on the curve.
    """
    from plotly.subplots import make_subplots

    labels = list(dict.fromkeys(database[label_column].astype(str)))
    colors = {**config_colors(labels), **(colors or {})}
    lengths = list(dict.fromkeys(zip(database["ii"], database["oo"], strict=True)))
    facets = len(labels) > SMALL_MULTIPLES
    cols = 2 if facets else 1
    rows_n = (len(labels) + 1) // 2 if facets else 1
    fig = (
        make_subplots(
            rows=rows_n,
            cols=cols,
            subplot_titles=[_short(label) for label in labels],
            shared_xaxes=False,
            vertical_spacing=min(0.3 / max(rows_n - 1, 1), 0.12),
        )
        if facets
        else go.Figure()
    )
    legend_seen: set[str] = set()
    for row in _rows(database, label_column):
        panel = labels.index(row.label)
        where = {"row": panel // 2 + 1, "col": panel % 2 + 1} if facets else {}
        mine = points[
            (points[label_column] == row.label)
            & (points["ii"] == row.ii)
            & (points["oo"] == row.oo)
        ]
        length = f"ii={row.ii:g}, oo={row.oo:g}"
        name = f"{row.label} · {length}"
        top = max(float(mine["bb"].max()) if len(mine) else 1.0, 1.0)
        grid = np.linspace(1, top * 1.25, 80)
        c = colors[row.label]
        dash = DASHES[lengths.index((row.ii, row.oo)) % len(DASHES)]
        # the legend names each configuration once (by colour) and each length once (by style)
        show = not facets and row.label not in legend_seen
        legend_seen.add(row.label)
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=saturation(grid, row.a, row.b, row.c),
                mode="lines",
                name=row.label if len(labels) > 1 else length,
                line={"color": c, "dash": dash},
                legendgroup=row.label,
                showlegend=show or len(labels) == 1,
                hovertemplate=f"{name}<br>fitted: %{{y:,.1f}} tokens/s at batch %{{x:.1f}}"
                "<extra></extra>",
            ),
            **where,
        )
        fig.add_trace(
            go.Scatter(
                x=mine["bb"],
                y=mine["thpt"],
                mode="markers",
                name=f"{name} (measured)",
                marker={"color": c, "size": 8},
                legendgroup=row.label,
                showlegend=False,
                hovertemplate=f"{name}<br>measured: %{{y:,.1f}} tokens/s at batch %{{x}}"
                "<extra></extra>",
            ),
            **where,
        )
        fig.add_trace(
            go.Scatter(
                x=[grid[0], grid[-1]],
                y=[row.c, row.c],
                mode="lines",
                showlegend=False,
                line={"color": c, "dash": "dot", "width": 1},
                legendgroup=row.label,
                hovertemplate=f"{name}: saturation c = {row.c:,.1f} tokens/s<extra></extra>",
            ),
            **where,
        )
        if np.isfinite(row.knee) and row.knee <= grid[-1]:
            fig.add_trace(
                go.Scatter(
                    x=[row.knee],
                    y=[saturation(row.knee, row.a, row.b, row.c)],
                    mode="markers",
                    marker={
                        "symbol": "diamond",
                        "size": 11,
                        "color": c,
                        "line": {"color": "black", "width": 1},
                    },
                    showlegend=False,
                    legendgroup=row.label,
                    hovertemplate=f"{name}: knee at batch {row.knee:.1f} (90 % of c)"
                    "<extra></extra>",
                ),
                **where,
            )
    if len(labels) > 1:
        for i, (ii, oo) in enumerate(lengths):  # one grey legend entry per line style
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="lines",
                    name=f"ii={ii:g}, oo={oo:g}",
                    line={"color": "#777777", "dash": DASHES[i % len(DASHES)]},
                    legendgroup=f"length {i}",
                ),
                **({"row": 1, "col": 1} if facets else {}),
            )
    fig = _layout(fig, title, BATCH, THPT)
    if facets:
        fig.update_layout(height=max(450, 300 * rows_n))
        fig.update_annotations(font_size=11)
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0})
    return fig


def _short(label: str, width: int = 60) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "star", "hexagon")


def residuals_figure(residuals: pd.DataFrame, colors: Mapping[str, str] | None = None) -> go.Figure:
    """Residuals (measured - fitted, % of measured) by batch size: colour = configuration
    (``colors`` maps its ``label``), marker = (ii, oo) length."""
    fig = go.Figure()
    if "label" in residuals:
        colors = {**config_colors(list(dict.fromkeys(residuals["label"]))), **(colors or {})}
    by_config = "config" in residuals and residuals["config"].nunique() > 1
    lengths = list(dict.fromkeys(zip(residuals["ii"], residuals["oo"], strict=True)))
    keys = ["config", "ii", "oo"] if "config" in residuals else ["ii", "oo"]
    for i, (group, rows) in enumerate(residuals.groupby(keys, sort=False)):
        config, ii, oo = group if len(keys) == 3 else (None, *group)
        pct = rows["residual"] / rows["thpt"] * 100
        label = str(rows["label"].iloc[0]) if "label" in rows else ""
        length = f"ii={ii:g}, oo={oo:g}"
        fig.add_trace(
            go.Scatter(
                x=rows["bb"],
                y=pct,
                mode="markers",
                name=f"{label} · {length}" if by_config else length,
                marker={
                    "color": (colors or {}).get(label, color(i)),
                    "symbol": SYMBOLS[lengths.index((ii, oo)) % len(SYMBOLS)],
                    "size": 8,
                },
                hovertemplate=f"{label} {length}<br>batch %{{x}}: %{{y:+.2f}} %<extra></extra>",
            )
        )
    fig.add_hline(y=0, line_color="grey")
    return _layout(fig, "Residuals of the fitted curves", BATCH, "Residual (% of measured)")


def _has_band(curve: pd.DataFrame) -> bool:
    """Whether a curve has an interval to draw (withheld intervals are NaN)."""
    return {"thpt_lo", "thpt_hi"} <= set(curve.columns) and bool(
        np.isfinite(curve["thpt_lo"]).any()
    )


def _band(curve: pd.DataFrame, fill: str, name: str) -> go.Scatter:
    """The interval of a curve (bb, thpt_lo, thpt_hi) as a filled band."""
    return go.Scatter(
        x=np.concatenate([curve["bb"], curve["bb"][::-1]]),
        y=np.concatenate([curve["thpt_hi"], curve["thpt_lo"][::-1]]),
        fill="toself",
        fillcolor=fill,
        line={"width": 0},
        mode="lines",
        name=name,
        hoverinfo="skip",
    )


def prediction_figure(
    curve: pd.DataFrame, query_bb: Sequence[float] = (), title: str = "Predicted throughput"
) -> go.Figure:
    """A predicted curve with its interval band; ``curve`` has bb, thpt_pred, thpt_lo, thpt_hi."""
    fig = go.Figure()
    band = _has_band(curve)
    if band:  # withheld intervals (NaN) draw no band and no legend entry
        fig.add_trace(_band(curve, "rgba(0,114,178,0.18)", "interval"))
    custom = curve[["thpt_lo", "thpt_hi"]].to_numpy() if band else None
    fig.add_trace(
        go.Scatter(
            x=curve["bb"],
            y=curve["thpt_pred"],
            mode="lines",
            name="prediction",
            line={"color": PALETTE[0], "width": 3},
            customdata=custom,
            hovertemplate=(
                "batch %{x}: %{y:,.1f} tokens/s"
                + (" [%{customdata[0]:,.1f}, %{customdata[1]:,.1f}]" if custom is not None else "")
                + "<extra></extra>"
            ),
        )
    )
    marks = curve[curve["bb"].isin(list(query_bb))]
    if len(marks):
        fig.add_trace(
            go.Scatter(
                x=marks["bb"],
                y=marks["thpt_pred"],
                mode="markers",
                name="your batch size",
                marker={"color": PALETTE[3], "size": 13, "symbol": "x"},
                hovertemplate="batch %{x}: %{y:,.1f} tokens/s<extra></extra>",
            )
        )
    return _layout(fig, title, BATCH, THPT)


def proximity_gauge(proximity: float, title: str = "Proximity to benchmarks") -> go.Figure:
    """A 0-1 gauge: red below 0.5 (far from anything benchmarked), green above 0.8."""
    # the gauge sits in a narrow column: a long title wraps instead of being clipped
    lines = textwrap.wrap(title, GAUGE_TITLE_WIDTH)
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=float(proximity),
            number={"valueformat": ".2f"},
            title={"text": "<br>".join(lines)},
            gauge={
                "axis": {"range": [0, 1]},
                "bar": {"color": PALETTE[0]},
                "steps": [
                    {"range": [0, 0.5], "color": "#F4C7B8"},
                    {"range": [0.5, 0.8], "color": "#FBE3B0"},
                    {"range": [0.8, 1], "color": "#BFE6D9"},
                ],
            },
        )
    )
    fig.update_layout(
        height=240 + 20 * len(lines), margin={"l": 30, "r": 30, "t": 30 + 20 * len(lines), "b": 10}
    )
    return fig


def anneal_figure(trace: pd.DataFrame) -> go.Figure:
    """Annealing trace: candidate, current and best error, and temperature (right axis)."""
    fig = go.Figure()
    series = (  # column, name, mode, style, axis
        ("error", "candidate error", "markers", {"marker": {"color": PALETTE[5], "size": 5}}, "y"),
        ("current_error", "accepted (current)", "lines", {"line": {"color": PALETTE[1]}}, "y"),
        ("best_error", "best so far", "lines", {"line": {"color": PALETTE[2], "width": 3}}, "y"),
        (
            "temperature",
            "temperature",
            "lines",
            {"line": {"color": PALETTE[7], "dash": "dot"}},
            "y2",
        ),
    )
    for column, name, mode, style, axis in series:
        unit = "tau %{y:.4f}" if axis == "y2" else "%{y:.3f} %"
        fig.add_trace(
            go.Scatter(
                x=trace["iteration"],
                y=trace[column],
                mode=mode,
                name=name,
                yaxis=axis,
                hovertemplate=f"iteration %{{x}}: {unit}<extra></extra>",
                **style,
            )
        )
    _layout(
        fig,
        "Simulated annealing over training subsets",
        "Iteration",
        "Median APE on held-out rows (%)",
    )
    fig.update_layout(
        yaxis2={"title": "Temperature", "overlaying": "y", "side": "right", "showgrid": False},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def error_histogram(
    errors: pd.DataFrame,
    by: str = "method",
    title: str = "Distribution of absolute percentage errors",
) -> go.Figure:
    """Overlaid histograms of APE (%) per ``by`` (method, model, protocol...)."""
    fig = go.Figure()
    top = float(np.nanpercentile(errors["ape"], 97)) if len(errors) else 1.0
    for i, (name, rows) in enumerate(errors.groupby(by, sort=False)):
        fig.add_trace(
            go.Histogram(
                x=rows["ape"].clip(upper=top),
                name=str(name),
                opacity=0.6,
                marker_color=color(i),
                xbins={"start": 0, "end": top, "size": top / 40},
                hovertemplate=f"{name}: %{{y}} points at %{{x:.1f}} %<extra></extra>",
            )
        )
    fig.update_layout(barmode="overlay")
    return _layout(fig, title, "Absolute percentage error (%, clipped at p97)", "Points")


def error_box(
    errors: pd.DataFrame, by: str, color_by: str = "method", title: str = "Errors per model"
) -> go.Figure:
    """Box plots of APE (%) per ``by`` category, one colour per ``color_by``."""
    fig = go.Figure()
    for i, (name, rows) in enumerate(errors.groupby(color_by, sort=False)):
        fig.add_trace(
            go.Box(
                x=rows[by], y=rows["ape"], name=str(name), marker_color=color(i), boxpoints=False
            )
        )
    fig.update_layout(boxmode="group", yaxis_type="log")
    return _layout(fig, title, by, "Absolute percentage error (%, log scale)")


def memory_figure(
    rounds: np.ndarray, values: np.ndarray, capacity: int, title: str = "KV-cache memory over time"
) -> go.Figure:
    """Memory used (tokens) against round, with the capacity line; thinned for the browser."""
    step = max(1, rounds.size // 4000)
    fig = go.Figure(
        go.Scatter(
            x=rounds[::step],
            y=values[::step],
            mode="lines",
            line={"color": PALETTE[0]},
            name="memory used",
            hovertemplate="round %{x:,}: %{y:,} tokens<extra></extra>",
        )
    )
    fig.add_hline(
        y=capacity,
        line_dash="dash",
        line_color=PALETTE[3],
        annotation_text=f"capacity {capacity:,} tokens",
    )
    return _layout(fig, title, "Round", "Memory (tokens)")


def sweep_figure(table: pd.DataFrame, bounds: pd.DataFrame | None = None) -> go.Figure:
    """Total latency / hindsight against interval width per policy, with the papers' shapes."""
    fig = go.Figure()
    for i, (policy, rows) in enumerate(table.groupby("policy", sort=False)):
        fig.add_trace(
            go.Scatter(
                x=rows["width"],
                y=rows["ratio"],
                mode="lines+markers",
                name=str(policy),
                line={"color": color(i)},
                hovertemplate=f"{policy}: width %{{x}} → x%{{y:.3f}}<extra></extra>",
            )
        )
    if bounds is not None:
        for col, label, dash in (
            ("a_max_upper", "A_max upper bound", "dash"),
            ("a_max_lower", "A_max lower bound", "dot"),
            ("a_min_shape", "A_min O(log 1/α) shape", "dashdot"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=bounds["width"],
                    y=bounds[col],
                    mode="lines",
                    name=label,
                    line={"color": "grey", "dash": dash},
                    hovertemplate=f"{label}: %{{y:.2f}}<extra></extra>",
                )
            )
    fig.update_layout(yaxis_type="log")
    return _layout(
        fig,
        "Latency relative to hindsight vs interval width",
        "Interval width x (interval [(1-x)o, (1+x)o])",
        "Total latency / hindsight (log scale)",
    )


def latency_bars(summary: pd.DataFrame) -> go.Figure:
    """Total, mean and p99 latency per policy relative to hindsight, and total latency relative
    to the best lower bound where the summary has it (``vs_bound``)."""
    fig = go.Figure()
    for i, col in enumerate(("total_latency", "mean_latency", "p99_latency")):
        base = float(summary.at["hindsight", col]) if "hindsight" in summary.index else 1.0
        fig.add_trace(
            go.Bar(
                x=summary.index,
                y=summary[col].astype(float) / base,
                name=f"{col.replace('_', ' ')} / hindsight",
                marker_color=color(i),
                hovertemplate="%{x}: x%{y:.3f}<extra></extra>",
            )
        )
    if "vs_bound" in summary:
        fig.add_trace(
            go.Bar(
                x=summary.index,
                y=summary["vs_bound"].astype(float),
                name="total latency / lower bound",
                marker_color=color(3),
                hovertemplate="%{x}: x%{y:.3f} of the bound<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    return _layout(fig, "Latency per policy, relative", "Policy", "Ratio")


def transfer_figure(
    curve: pd.DataFrame, siblings: pd.DataFrame, query_bb: Sequence[float] = ()
) -> go.Figure:
    """A transferred curve with its band, over the measured points of the siblings it leans
    on (one colour per sibling; ``siblings`` has bb, thpt, sibling)."""
    fig = prediction_figure(curve, query_bb, title="Transferred curve and measured siblings")
    for i, (label, rows) in enumerate(siblings.groupby("sibling", sort=False)):
        fig.add_trace(
            go.Scatter(
                x=rows["bb"],
                y=rows["thpt"],
                mode="markers+lines",
                name=f"measured: {label}",
                line={"color": color(i + 1), "dash": "dot", "width": 1},
                marker={"color": color(i + 1), "size": 8},
                hovertemplate="batch %{x}: %{y:,.1f} tokens/s measured<extra></extra>",
            )
        )
    # Sibling labels are long: the legend goes under the plot, not over it.
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0})
    return fig


def add_transferred(fig: go.Figure, curve: pd.DataFrame, label: str) -> go.Figure:
    """Overlay a transferred curve (bb, thpt_pred, optional thpt_lo / thpt_hi) on a figure."""
    if _has_band(curve):
        fig.add_trace(_band(curve, "rgba(0,0,0,0.08)", f"interval: {label}"))
    fig.add_trace(
        go.Scatter(
            x=curve["bb"],
            y=curve["thpt_pred"],
            mode="lines",
            name=f"transferred: {label}",
            line={"color": PALETTE[7], "width": 3, "dash": "dash"},
            hovertemplate="batch %{x}: %{y:,.1f} tokens/s (transferred)<extra></extra>",
        )
    )
    return fig


def pareto_figure(
    curves: pd.DataFrame,
    measured: pd.DataFrame,
    title: str = "",
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """Tokens/s per GPU against output tokens/s per user: one line per configuration along its
    concurrency grid (up to the throughput peak; where the SLO holds drawn solid, beyond it
    dotted), measured points as markers of the same colour.

    ``curves`` has configuration, bb, tokens_per_user_s, thpt_per_gpu and meets_slo;
    ``measured`` has configuration, bb, tokens_per_user_s, thpt_per_gpu. ``colors`` maps a
    configuration label to its colour (see :func:`config_colors`).
    """
    fig = go.Figure()
    for i, (label, rows) in enumerate(curves.groupby("configuration", sort=False)):
        c = (colors or {}).get(str(label), color(i))
        for ok, dash in ((True, "solid"), (False, "dot")):
            part = rows[rows["meets_slo"] == ok]
            if part.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=part["tokens_per_user_s"],
                    y=part["thpt_per_gpu"],
                    mode="lines",
                    name=f"{label}" if ok else f"{label} (misses the SLO)",
                    legendgroup=str(label),
                    line={"color": c, "dash": dash, "width": 3 if ok else 1.5},
                    customdata=part["bb"],
                    hovertemplate="concurrency %{customdata:g}: %{x:.1f} tokens/s per user, "
                    "%{y:,.0f} tokens/s per GPU<extra></extra>",
                )
            )
        points = measured[measured["configuration"] == label]
        if len(points):
            fig.add_trace(
                go.Scatter(
                    x=points["tokens_per_user_s"],
                    y=points["thpt_per_gpu"],
                    mode="markers",
                    name=f"measured: {label}",
                    legendgroup=str(label),
                    marker={"color": c, "size": 9, "line": {"color": "black", "width": 1}},
                    customdata=points["bb"],
                    hovertemplate="measured at concurrency %{customdata:g}: %{x:.1f} tokens/s "
                    "per user, %{y:,.0f} tokens/s per GPU<extra></extra>",
                )
            )
    fig = _layout(
        fig,
        title or "Throughput per GPU against interactivity",
        "Output tokens/s per user (1000 / TPOT)",
        "Tokens/s per GPU",
    )
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0})
    return fig
