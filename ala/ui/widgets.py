"""Widgets shared by several pages."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from ala.data import config_labels

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


def label_of(chosen: dict[str, str], columns: Sequence[str]) -> str:
    return " / ".join(chosen[c] for c in columns) if columns else "all"


def config_options(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    return sorted(config_labels(frame, columns).unique())


def _natural(text: str) -> tuple[int, float | str]:
    try:
        return (0, float(text))
    except ValueError:
        return (1, text.lower())


def caption(text: str) -> None:
    """The 'how to read this' line under a chart."""
    st.caption(f"How to read this: {text}")
