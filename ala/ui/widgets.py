"""Widgets shared by several pages."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from ala.model import ThroughputModel

LABELS = {
    "acc": "Accelerator",
    "acc_count": "Accelerators",
    "back": "Framework",
    "model": "Model",
    "prec": "Precision",
    "cpu": "CPU",
    "cpu_count": "CPUs",
    "dev": "Device",
    "mode": "Mode",
}


def config_picker(frame: pd.DataFrame, columns: Sequence[str], key: str) -> dict[str, str]:
    """Cascading select boxes, one per configuration column; returns the chosen values."""
    chosen: dict[str, str] = {}
    rows = frame
    cells = st.columns(max(len(columns), 1))
    for cell, col in zip(cells, columns, strict=False):
        options = sorted(rows[col].astype(str).unique(), key=_natural)
        value = cell.selectbox(LABELS.get(col, col), options, key=f"{key}-{col}")
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


def caption(text: str) -> None:
    """The 'how to read this' line under a chart."""
    st.caption(f"How to read this: {text}")
