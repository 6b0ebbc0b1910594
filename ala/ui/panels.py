"""Larger page sections that read widgets and call ``state`` (kept out of the thin pages)."""

from __future__ import annotations

import streamlit as st

from ala.configs import ConfigKey
from ala.data import REQUIRED, Benchmarks
from ala.errors import AlaError
from ala.ui import state
from ala.ui.widgets import plain

KEEP = "(as detected)"


def dataset_settings(dataset_id: int, data: Benchmarks) -> None:
    """Change a stored dataset's configuration columns or column mapping, or delete it."""
    with st.expander("Configuration columns, column mapping, delete"):
        columns = state.file_columns(dataset_id)
        mapped = {k: v for k, v in data.report.column_map.items() if k in REQUIRED}
        candidates = [c for c in data.frame.columns if c not in (*REQUIRED, "source_row")]
        chosen = st.multiselect(
            "Configuration columns: what identifies one setup (hardware, framework, ...)",
            [c for c in candidates if c != "n_repeats"],
            default=list(data.config_columns),
            key=f"cfg-{dataset_id}",
        )
        cells = st.columns(len(REQUIRED))
        mapping = {
            canonical: cell.selectbox(
                f"{canonical} is column",
                [KEEP, *columns],
                key=f"map-{dataset_id}-{canonical}",
                help=f"now: {mapped.get(canonical, '?')}",
            )
            for cell, canonical in zip(cells, REQUIRED, strict=True)
        }
        rows = [int(r) for r in data.frame["source_row"]]
        excluded = st.multiselect(
            "Exclude rows as outliers (spreadsheet row numbers; kept in the report)",
            sorted({*rows, *state.workspace().settings(dataset_id).excluded}),
            default=state.workspace().settings(dataset_id).excluded,
            key=f"exclude-{dataset_id}",
        )
        if st.button("Apply", key=f"apply-settings-{dataset_id}"):
            new_map = {k: v for k, v in mapping.items() if v != KEEP} or None
            problem = state.remap(dataset_id, new_map, chosen or None, excluded)
            if problem:
                st.error(plain(problem), icon=":material/error:")
            else:
                st.rerun()
        sure = st.checkbox(
            "Delete this dataset with its fitted models and annealing runs",
            key=f"sure-{dataset_id}",
        )
        if st.button("Delete dataset", disabled=not sure, key=f"delete-{dataset_id}"):
            state.delete(dataset_id)
            st.rerun()


def benchmark_next(
    dataset_id: int, key: ConfigKey, ii: float | None = None, oo: float | None = None
) -> None:
    """The three points to benchmark next for this workload (or, without one, for the
    configuration's benchmarked lengths), or why there are none."""
    with st.expander("Benchmark this next"):
        try:
            table = state.suggestions(dataset_id, key, ii, oo)
        except AlaError as exc:
            st.info(plain(exc))
            return
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(
            "the measurements that bring these predictions nearest to measured "
            "points; on the bundled data, 6 such points cut the held-out error to 8.7 % "
            "against 9.7 % for random ones (benchmarks/suggest.py)."
        )
