"""Widgets shared by several pages."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from ala.configs import COLUMN_TITLES
from ala.context import PERCENTILES, TARGET_UNITS, Context
from ala.errors import AlaError
from ala.model import ThroughputModel
from ala.sizing import SizingResult

LABELS = COLUMN_TITLES


def config_picker(
    frame: pd.DataFrame, columns: Sequence[str], key: str, start: Sequence[str] = ()
) -> dict[str, str]:
    """Cascading select boxes, one per configuration column, starting from the values
    ``start`` (the shared context's first configuration); returns the chosen values."""
    chosen: dict[str, str] = {}
    rows = frame
    cells = st.columns(max(len(columns), 1))
    for i, (cell, col) in enumerate(zip(cells, columns, strict=False)):
        options = sorted(rows[col].astype(str).unique(), key=_natural)
        wanted = start[i] if i < len(start) else None
        index = options.index(wanted) if wanted in options else 0
        value = cell.selectbox(
            plain(LABELS.get(col, col)), options, index=index, key=f"{key}-{col}"
        )
        chosen[col] = str(value)
        rows = rows[rows[col].astype(str) == str(value)]
    return chosen


def config_multiselect(
    model: ThroughputModel, label: str, key: str, default: int = 1, start: Sequence[Any] = ()
) -> list[int]:
    """Pick configurations by id; shown by label, sorted by label. The shared context's
    configurations (``start``, keys) are chosen first; else the first ``default``."""
    labels = model.labels_
    options = sorted(range(len(labels)), key=lambda i: labels[i])
    chosen = [model.config_id(k) for k in start if k in model.configs_]
    return [
        int(i)
        for i in st.multiselect(
            label,
            options,
            default=chosen or options[:default],
            key=key,
            format_func=labels.__getitem__,
        )
    ]


# Page-specific choices that are not part of the shared context but must survive a visit to
# another page (the Compare page's methods, the Scheduling page's scenario, ...).
KEPT = (
    "cmp-methods",
    "cmp-protocols",
    "cmp-level",
    "curve-lengths",
    "sch-trace",
    "sch-mem",
    "sch-kind",
    "sch-width",
    "sch-limit",
    "sch-zero",
    "sch-pol",
    "sch-dask",
)


def keep(keys: Sequence[str] = KEPT) -> None:
    """Remember these widgets' values (called at the start of every page's run).

    Streamlit forgets the state of a widget that was not drawn in a run. Each run copies the
    value to a key of its own, which :func:`kept` gives back as the widget's starting value
    when the user returns (setting the widget's own key would draw a warning).
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[f"kept:{key}"] = st.session_state[key]


def kept(key: str, fallback: Any) -> Any:
    """The starting value of widget ``key``: what it had when the user last left its page."""
    return st.session_state.get(f"kept:{key}", fallback)


def workload_inputs(context: Context, batch: bool = True) -> Context:
    """Lengths, batch, interval level, target and price, starting from the shared context;
    what the user changes goes back into it (and the URL)."""
    from ala.ui import context as shared

    c1, c2, c3, c4 = st.columns(4)
    ii = c1.number_input("Input tokens (ii)", 1, None, int(context.ii), 64, key="ctx-ii")
    oo = c2.number_input("Output tokens (oo)", 1, None, int(context.oo), 64, key="ctx-oo")
    bb = (
        c3.number_input("Batch size / concurrency", 1, None, int(context.bb), 1, key="ctx-bb")
        if batch
        else context.bb
    )
    level = c4.slider("Interval level", 0.5, 0.99, float(context.level), 0.01, key="ctx-level")
    t1, t2, t3, t4 = st.columns(4)
    target = t1.number_input("Target load", 0.01, None, float(context.target), key="ctx-target")
    unit = t2.radio(
        "Target in",
        TARGET_UNITS,
        index=TARGET_UNITS.index(context.target_unit),
        horizontal=True,
        key="ctx-unit",
    )
    price, currency = _price_inputs(t3, t4, context)
    return shared.update(
        ii=float(ii),
        oo=float(oo),
        bb=float(bb),
        level=float(level),
        target=float(target),
        target_unit=unit,
        price=price,
        currency=currency,
    )


def _price_inputs(
    price_cell: Any, currency_cell: Any, context: Context
) -> tuple[float | None, str]:
    """Price per accelerator-hour (None for 0) and currency code, from the shared context."""
    price = price_cell.number_input(
        "Price per accelerator-hour (0 = skip cost)",
        0.0,
        None,
        float(context.price or 0.0),
        0.5,
        key="ctx-price",
    )
    currency = currency_cell.text_input(
        "Currency", context.currency, max_chars=8, key="ctx-currency"
    )
    if not (currency.isalpha() and currency):
        st.warning("A currency is a code of letters (USD, EUR, ...): USD is used.")
        currency = "USD"
    return float(price) or None, str(currency).upper()


def _natural(text: str) -> tuple[int, float | str]:
    try:
        return (0, float(text))
    except ValueError:
        return (1, text.lower())


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: object) -> str:
    """``text`` with every markdown character escaped, so Streamlit shows it as typed.

    Anything that comes from a user's file (names, column names, configuration values, error
    messages quoting them) goes through here before a markdown-rendering element: an image
    link in a file name must not make every browser fetch the attacker's URL.
    """
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", "  \n")


def caption(text: str) -> None:
    """The 'how to read this' line under a chart."""
    st.caption(f"How to read this: {text}")


def sizing_metrics(size: SizingResult) -> None:
    """Batch size, replicas and cost per million tokens, each with its range."""
    k1, k2, k3 = st.columns(3)
    k1.metric(
        "Batch size",
        f"{size.batch:g}",
        help="smallest batch reaching the target"
        if size.reaches_target
        else "highest-throughput batch; the target needs several replicas",
    )
    k2.metric(
        "Replicas",
        f"{size.replicas[1]}",
        help=f"{size.replicas[2]} if the upper bound holds, {size.replicas[0]} at the lower",
    )
    k2.caption(f"range {size.replicas[2]} – {size.replicas[0]}")
    if size.note:
        st.warning(f"{'Extrapolated: ' if size.extrapolated else ''}{plain(size.note)}.")
    if size.cost_per_million:
        k3.metric("Cost per million tokens", f"{size.cost_per_million[1]:,.3f}")
        k3.caption(f"range {size.cost_per_million[2]:,.3f} – {size.cost_per_million[0]:,.3f}")


def run_page(page: Any) -> None:
    """Run a page; an error becomes one message on the page, never a traceback."""
    try:
        page.run()
    except AlaError as exc:
        st.error(plain(exc), icon=":material/error:")
    except Exception:  # noqa: BLE001 - the last line of defence before a user's screen
        logging.getLogger("ala").exception("unexpected error on page %s", page.title)
        st.error(
            "Unexpected error: this is a bug in ala, not in your data. The details are in "
            "the server log; please report them.",
            icon=":material/bug_report:",
        )


def slo_inputs(context: Context) -> Context:
    """Lengths, latency targets, load and price for SLO sizing, from and into the shared
    context (a target of 0 means none; the page suggests 2,000 ms TTFT and 50 ms TPOT)."""
    from ala.ui import context as shared

    c1, c2, c3, c4, c5 = st.columns(5)
    ii = c1.number_input("Input tokens per request", 1, None, int(context.ii), 128, key="ctx-ii")
    oo = c2.number_input("Output tokens per request", 1, None, int(context.oo), 32, key="ctx-oo")
    load = c3.number_input("Load (tokens/s)", 1.0, None, context.tokens_per_s, 1000.0)
    price, currency = _price_inputs(c4, c5, context)
    latency_targets(context, suggest=True)
    return shared.update(
        ii=float(ii),
        oo=float(oo),
        target=float(load),
        target_unit="tokens/s",
        price=price,
        currency=currency,
    )


TRACES = {"conv": "Azure conversation", "code": "Azure coding", "upload": "Upload a trace"}
INTERVAL_KINDS = ["symmetric", "random", "predicted"]


def scenario_inputs() -> tuple[str, int, str, float, int, bool, tuple[str, ...]]:
    """The Scheduling page's scenario: trace, memory M, interval kind, width (or predictor
    level), number of requests, all at time 0, policies; kept across page switches."""
    from ala.scheduling.policies import POLICIES

    c1, c2, c3 = st.columns(3)
    names = list(TRACES)
    trace = str(
        c1.selectbox(
            "Trace",
            names,
            names.index(kept("sch-trace", "conv")),
            lambda name: TRACES[name],
            "sch-trace",
        )
    )
    memory = c2.number_input(
        "KV-cache memory M (tokens)", 1000, 10_000_000, kept("sch-mem", 16492), key="sch-mem"
    )
    start = INTERVAL_KINDS.index(kept("sch-kind", "symmetric"))
    kind = str(c3.selectbox("Intervals", INTERVAL_KINDS, start, key="sch-kind"))
    lowest = 0.05 if kind == "predicted" else 0.0
    width = c3.slider(
        "Predictor coverage level" if kind == "predicted" else "Interval width x",
        lowest,
        0.95,
        max(float(kept("sch-width", 0.5)), lowest),
        0.05,
        key="sch-width",
    )
    c4, c5, c6 = st.columns(3)
    limit = c4.number_input(
        "Requests (first N)", 10, 30000, kept("sch-limit", 2000), 500, key="sch-limit"
    )
    all_at_zero = c5.toggle(
        "All requests at time 0 (paper's setting)", kept("sch-zero", True), key="sch-zero"
    )
    policies = c6.multiselect(
        "Policies", list(POLICIES), default=kept("sch-pol", list(POLICIES)), key="sch-pol"
    )
    return trace, int(memory), kind, float(width), int(limit), bool(all_at_zero), tuple(policies)


def latency_targets(context: Context, suggest: bool = False) -> Context:
    """TTFT and TPOT targets (0 = none) and their percentile, from and into the shared
    context; with ``suggest``, a context without any target starts at 2,000 ms and 50 ms."""
    from ala.ui import context as shared

    first = suggest and context.ttft_ms is None and context.tpot_ms is None
    c1, c2, c3 = st.columns(3)
    ttft = c1.number_input(
        "TTFT target (ms, 0 = none)", 0.0, None, 2000.0 if first else context.ttft_ms or 0.0
    )
    tpot = c2.number_input(
        "TPOT target (ms, 0 = none)", 0.0, None, 50.0 if first else context.tpot_ms or 0.0
    )
    pct = c3.radio(
        "Targets hold at", PERCENTILES, PERCENTILES.index(context.percentile), horizontal=True
    )
    return shared.update(ttft_ms=ttft or None, tpot_ms=tpot or None, percentile=pct)
