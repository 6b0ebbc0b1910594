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


def width_sweep(
    trace_name: str,
    content: bytes | None,
    memory: int,
    limit: int,
    all_at_zero: bool,
    policies: tuple[str, ...],
) -> None:
    """The width sweep as a background job (optionally on a Dask cluster), with its chart."""
    from ala import plots
    from ala.jobs import width_sweep_result
    from ala.ui import jobs
    from ala.ui.widgets import caption, kept

    st.subheader("Sweep interval widths 0.1–0.9 (in the background)")
    dask = st.text_input(
        "Dask scheduler (optional, e.g. tcp://10.0.0.5:8786)", kept("sch-dask", ""), key="sch-dask"
    )
    params = state.sweep_params(trace_name, memory, limit, all_at_zero, policies, dask)
    job_id = state.find_job("width_sweep", params, content)
    job = jobs.watch(state.workspace(), job_id) if job_id is not None else None
    if (job is None or job.status not in ("queued", "running", "finished")) and st.button(
        "Start the sweep"
    ):
        state.submit_job("width_sweep", params, "Width sweep", content)
        st.rerun()
    doc = state.job_result(job.id) if job is not None and job.status == "finished" else None
    if doc is not None:
        sweep = width_sweep_result(doc)
        st.plotly_chart(plots.sweep_figure(sweep.table, sweep.bounds), width="stretch")
        caption(
            "total latency relative to hindsight as predictions get vaguer; grey lines are the "
            "papers' bounds for A_max and the shape of A_min's logarithmic guarantee."
        )
    elif job is not None and not job.active:
        st.info(f"The sweep ended {job.status}: {plain(job.message)}.")
