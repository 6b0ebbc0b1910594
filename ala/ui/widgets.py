"""Widgets shared by several pages."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from ala.configs import COLUMN_TITLES
from ala.errors import AlaError
from ala.model import ThroughputModel
from ala.sizing import SizingResult

LABELS = COLUMN_TITLES


def config_picker(frame: pd.DataFrame, columns: Sequence[str], key: str) -> dict[str, str]:
    """Cascading select boxes, one per configuration column; returns the chosen values."""
    chosen: dict[str, str] = {}
    rows = frame
    cells = st.columns(max(len(columns), 1))
    for cell, col in zip(cells, columns, strict=False):
        options = sorted(rows[col].astype(str).unique(), key=_natural)
        value = cell.selectbox(plain(LABELS.get(col, col)), options, key=f"{key}-{col}")
        chosen[col] = str(value)
        rows = rows[rows[col].astype(str) == str(value)]
    return chosen


def config_multiselect(model: ThroughputModel, label: str, key: str, default: int = 1) -> list[int]:
    """Pick configurations by id; shown by label, sorted by label."""
    labels = model.labels_
    options = sorted(range(len(labels)), key=lambda i: labels[i])
    return [
        int(i)
        for i in st.multiselect(
            label, options, default=options[:default], key=key, format_func=labels.__getitem__
        )
    ]


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
