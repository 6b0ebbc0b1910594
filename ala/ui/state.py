"""Cached access to the workspace, datasets and fitted models for the pages."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ala.data import (
    Benchmarks,
    config_labels,
    load_benchmarks,
    read_table,
    sample_dataset_path,
)
from ala.errors import AlaError, DataError
from ala.model import ThroughputModel
from ala.store import Workspace

SAMPLE_NAME = "LLM-Inference-Bench (sample, BSD-3-Clause)"
MAX_ROWS = 1_000_000


@st.cache_resource
def workspace() -> Workspace:
    ws = Workspace()
    if ws.datasets().empty:
        content = sample_dataset_path().read_bytes()
        data = load_benchmarks(content, name=SAMPLE_NAME)
        ws.add_dataset(SAMPLE_NAME, content, None, data.report.rows_kept, data.report.summary())
    return ws


def current_dataset_id() -> int:
    """The dataset this browser session works on.

    Kept in the URL (``?dataset=N``) so a reload or a shared link keeps it; otherwise the
    most recently added dataset.
    """
    ids = workspace().datasets()["id"].tolist()
    chosen = st.session_state.get("dataset_id")
    if chosen not in ids:
        try:
            chosen = int(st.query_params.get("dataset", ""))
        except ValueError:
            chosen = None
    if chosen not in ids:
        chosen = ids[-1]
    select_dataset(int(chosen))  # type: ignore[arg-type]
    return int(chosen)  # type: ignore[arg-type]


def select_dataset(dataset_id: int) -> None:
    st.session_state["dataset_id"] = dataset_id
    if st.query_params.get("dataset") != str(dataset_id):
        st.query_params["dataset"] = str(dataset_id)


@st.cache_data(show_spinner=False, max_entries=8)
def benchmarks(dataset_id: int) -> Benchmarks:
    name, content, columns = workspace().dataset(dataset_id)
    return load_benchmarks(content, columns=columns or None, name=name)


@st.cache_resource(show_spinner="Fitting curves and calibrating intervals...", max_entries=8)
def model(dataset_id: int, method: str = "default") -> ThroughputModel:
    """The fitted (and calibrated) model, from the workspace if it was fitted before."""
    ws = workspace()
    doc = ws.load_model(dataset_id, method)
    if doc is not None:
        return ThroughputModel.from_dict(doc)
    data = benchmarks(dataset_id)
    fitted = ThroughputModel(method).fit(data)
    try:
        fitted.calibrate(data)
    except AlaError:
        pass  # too little data for held-out residuals: predictions come without intervals
    ws.save_model(dataset_id, method, fitted.to_dict())
    return fitted


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    """What happened to an upload: accepted (with its dataset id), or why not."""

    dataset_id: int | None
    data: Benchmarks | None
    error: str | None
    columns: tuple[str, ...] = ()  # the file's columns, for the mapping step


def ingest(name: str, content: bytes, mapping: dict[str, str] | None = None) -> UploadOutcome:
    """Validate an upload and store it only if it is usable (a rejected file changes nothing)."""
    try:
        data = load_benchmarks(content, columns=mapping or None, name=name)
    except DataError as exc:
        columns: tuple[str, ...] = ()
        try:
            columns = tuple(read_table(content, name).frame.columns)
        except DataError:
            pass
        return UploadOutcome(None, None, str(exc), columns)
    if data.report.rows_kept > MAX_ROWS:
        return UploadOutcome(
            None,
            None,
            f"{name}: {data.report.rows_kept:,} rows is more than "
            f"the app handles ({MAX_ROWS:,}); use the ala CLI for this file",
        )
    dataset_id = workspace().add_dataset(
        name, content, mapping, data.report.rows_kept, data.report.summary()
    )
    return UploadOutcome(dataset_id, data, None)


@st.cache_data(show_spinner=False, max_entries=16)
def evaluation(dataset_id: int, methods: tuple[str, ...], protocols: tuple[str, ...], level: float):  # type: ignore[no-untyped-def]
    """Summary table (with interval coverage where available) and per-row errors."""
    from ala.evaluate import evaluate
    from ala.uncertainty import interval_coverage

    data = benchmarks(dataset_id)
    result = evaluate(data, methods=list(methods), protocols=list(protocols))
    table = result.summary()
    if {"default", "paper"} & set(methods):
        table = table.merge(
            interval_coverage(result, level).drop(columns="n"),
            on=["protocol", "method"],
            how="left",
        )
    errors = result.errors
    if "model" in data.config_columns:
        labels = config_labels(data.frame, data.config_columns)
        model_of = dict(zip(labels, data.frame["model"], strict=True))
        errors = errors.assign(model=errors["config"].map(model_of))
    return table.round(2), errors


def config_rows(dataset_id: int, label: str):  # type: ignore[no-untyped-def]
    """The benchmark rows (ii, oo, bb, thpt) of one configuration."""
    data = benchmarks(dataset_id)
    rows = data.frame[config_labels(data.frame, data.config_columns) == label]
    return rows[["ii", "oo", "bb", "thpt"]].reset_index(drop=True)


def run_title(runs, run_id: int) -> str:  # type: ignore[no-untyped-def]
    import pandas as pd

    row = runs[runs["id"] == run_id].iloc[0]
    best = f", best {float(row.best_error):.2f} %" if pd.notna(row.best_error) else ""
    return f"#{run_id} · {row.config} · {row.status} · {row.steps} steps{best}"


def trust_report(run_id: int, dataset_id: int, label: str):  # type: ignore[no-untyped-def]
    """Algorithm 8 for the configuration's data, from a stored run's logs."""
    from ala.uncertainty import TrustModel

    run = workspace().load_run(run_id)
    return TrustModel().fit([run]).trust(config_rows(dataset_id, label))


def _trace(trace_name: str, content: bytes | None, limit: int):  # type: ignore[no-untyped-def]
    from ala.scheduling import load_trace, sample_trace_path

    trace = (
        load_trace(content, name="upload.csv")
        if content is not None
        else load_trace(sample_trace_path("code" if trace_name == "code" else "conv"))
    )
    return trace.head(limit)


@st.cache_data(show_spinner="Simulating...", max_entries=32)
def schedule(
    trace_name: str,
    content: bytes | None,
    memory: int,
    width: float,
    limit: int,
    all_at_zero: bool,
    policies: tuple[str, ...],
):  # type: ignore[no-untyped-def]
    """Summary per policy (rows) and each policy's memory trace."""
    import pandas as pd

    from ala.scheduling import make_instance, simulate
    from ala.scheduling.run import Scenario

    inst = make_instance(
        _trace(trace_name, content, limit),
        Scenario(memory=memory, width=width, all_at_zero=all_at_zero),
    )
    results = {p: simulate(inst, p, memory) for p in policies}
    summary = pd.DataFrame({p: r.summary() for p, r in results.items()}).T
    return summary, {p: (r.memory_rounds, r.memory_values) for p, r in results.items()}


@st.cache_data(show_spinner="Sweeping widths...", max_entries=8)
def schedule_sweep(
    trace_name: str,
    content: bytes | None,
    memory: int,
    limit: int,
    all_at_zero: bool,
    policies: tuple[str, ...],
):  # type: ignore[no-untyped-def]
    from ala.scheduling.run import Scenario, paper_bounds, sweep

    widths = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    chosen = tuple(dict.fromkeys(("hindsight", *policies)))
    table = sweep(
        _trace(trace_name, content, limit),
        Scenario(memory=memory, all_at_zero=all_at_zero),
        widths,
        chosen,
    )
    return table, paper_bounds(widths)
