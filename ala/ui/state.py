"""Cached access to the workspace, datasets and fitted models for the pages."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from ala.annealing import AnnealSettings
from ala.configs import ConfigKey, config_keys
from ala.context import Context
from ala.data import Benchmarks, load_benchmarks
from ala.datasets import sample_dataset_path
from ala.errors import AlaError, DataError, ModelFileError
from ala.model import ThroughputModel
from ala.results import CurvePrediction
from ala.service import PolicyComparison
from ala.sizing import SizingResult, size_deployment
from ala.store import Workspace
from ala.tables import read_table

SAMPLE_NAME = "LLM-Inference-Bench (sample, BSD-3-Clause)"
MAX_ROWS = 1_000_000


def workspace() -> Workspace:
    """This session's workspace (created with the bundled sample on first use).

    One shared workspace when the app is used on this machine; one per browser session,
    named in the URL (``?ws=``), when it is served to others or ``ALA_SESSION_WORKSPACES=1``.
    """
    return _workspace(session_name())


@st.cache_resource
def _workspace(name: str | None) -> Workspace:
    from ala.store import default_path, session_workspace_path

    ws = Workspace(None if name is None else session_workspace_path(default_path(), name))
    if ws.datasets().empty:
        _add_sample(ws)
    return ws


def session_name() -> str | None:
    """This browser session's workspace name, or None for the shared workspace.

    A name from the URL that is not a valid name is replaced by a new one (never used as a
    path), so a tampered link opens an empty workspace of its own.
    """
    import os
    import secrets
    from urllib.parse import urlparse

    from ala.store import SESSION_NAME, sessions_by_default

    try:
        host = urlparse(st.context.url or "").hostname
    except Exception:  # noqa: BLE001 - no browser (AppTest): treat as this machine
        host = None
    if not sessions_by_default(host, os.environ.get("ALA_SESSION_WORKSPACES")):
        return None
    name = st.session_state.get("ws") or st.query_params.get("ws", "")
    if not SESSION_NAME.fullmatch(name):
        name = secrets.token_urlsafe(12)
    st.session_state["ws"] = name
    if st.query_params.get("ws") != name:
        st.query_params["ws"] = name
    return str(name)


def _add_sample(ws: Workspace) -> None:
    content = sample_dataset_path().read_bytes()
    data = load_benchmarks(content, name=SAMPLE_NAME)
    ws.add_dataset(SAMPLE_NAME, content, None, data.report.rows_kept, data.report.summary())


def current_dataset_id() -> int:
    """The dataset this browser session works on.

    Kept in the URL (``?dataset=N``) so a reload or a shared link keeps it; otherwise the
    most recently added dataset.
    """
    datasets = workspace().datasets()
    ids = [int(i) for i in datasets["id"]]
    usable = [int(i) for i in datasets.loc[datasets["problem"] == "", "id"]] or ids[:1]
    chosen = st.session_state.get("dataset_id")
    if chosen not in ids:
        try:
            chosen = int(st.query_params.get("dataset", ""))
        except ValueError:
            chosen = None
    # An explicit choice (this session, or a shared link) is kept; the default never falls
    # on a dataset that could not be fitted.
    dataset_id = int(chosen) if chosen in ids else usable[-1]
    select_dataset(dataset_id)
    return dataset_id


def select_dataset(dataset_id: int) -> None:
    """Make ``dataset_id`` this session's dataset and put it in the URL."""
    st.session_state["dataset_id"] = dataset_id
    if st.query_params.get("dataset") != str(dataset_id):
        st.query_params["dataset"] = str(dataset_id)


def benchmarks(dataset_id: int) -> Benchmarks:
    """A stored dataset, parsed and validated with its current settings (cached by fingerprint)."""
    return _benchmarks(dataset_id, fingerprint(dataset_id))


def fingerprint(dataset_id: int) -> str:
    """What the cached results of a dataset are keyed by: its bytes and reading settings."""
    return workspace().settings(dataset_id).fingerprint


@st.cache_data(show_spinner=False, max_entries=8)
def _benchmarks(dataset_id: int, fingerprint: str) -> Benchmarks:
    from ala.jobs import stored_benchmarks

    data: Benchmarks = stored_benchmarks(workspace(), dataset_id)
    return data


def model(dataset_id: int, method: str = "default") -> ThroughputModel:
    """The fitted (and calibrated) model, from the workspace if it was fitted before."""
    return _model(dataset_id, fingerprint(dataset_id), method)


@st.cache_resource(show_spinner="Fitting curves and calibrating intervals...", max_entries=8)
def _model(dataset_id: int, fingerprint: str, method: str) -> ThroughputModel:
    ws = workspace()
    doc = ws.load_model(dataset_id, method)
    if doc is not None:
        try:
            return ThroughputModel.from_dict(doc)
        except ModelFileError:
            pass  # written by another version of ala: fit again and replace it
    data = benchmarks(dataset_id)
    try:
        try:
            fitted = ThroughputModel(method).fit(data, calibrate=True)
        except AlaError:  # too little data for held-out residuals: no intervals
            fitted = ThroughputModel(method).fit(data)
    except (AlaError, ArithmeticError, ValueError) as exc:
        problem = f"{data.report.source} cannot be fitted: {exc}"
        ws.mark_unusable(dataset_id, problem)
        raise AlaError(f"{problem}. Choose another dataset on the Data page.") from None
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
    """Validate an upload and store it only if it is usable (a rejected file changes nothing).

    Parsing is cached by content hash, so reruns of the Data page do not parse the file again.
    """
    digest = hashlib.sha256(content).hexdigest()
    outcome = _validate(name, digest, content, tuple(sorted((mapping or {}).items())))
    if outcome.data is None:
        return outcome
    report = outcome.data.report
    ws = workspace()
    dataset_id = ws.add_dataset(name, content, mapping, report.rows_kept, report.summary())
    if mapping and ws.settings(dataset_id).columns != mapping:
        # The same bytes again with another mapping: the new mapping wins.
        ws.remap_dataset(dataset_id, mapping, None, report.rows_kept, report.summary())
    return UploadOutcome(dataset_id, outcome.data, None)


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs={bytes: lambda _: None})
def _validate(
    name: str, digest: str, content: bytes, mapping: tuple[tuple[str, str], ...]
) -> UploadOutcome:
    # ``digest`` is the cache key; the bytes themselves are not hashed again (hash_funcs).
    try:
        data = load_benchmarks(content, columns=dict(mapping) or None, name=name)
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
    return UploadOutcome(None, data, None)


def evaluation_params(
    dataset_id: int, methods: tuple[str, ...], protocols: tuple[str, ...], level: float
) -> dict[str, Any]:
    """The parameters of an ``evaluate`` job; the fingerprint keeps reuse honest."""
    return {
        "dataset_id": dataset_id,
        "methods": list(methods),
        "protocols": list(protocols),
        "level": level,
        "fingerprint": fingerprint(dataset_id),
    }


def find_job(kind: str, params: dict[str, Any], payload: bytes | None = None) -> int | None:
    """The newest job for exactly this work, in any state, if any."""
    from ala.jobs import job_key

    return workspace().latest_job(job_key(kind, params, payload))


def submit_job(kind: str, params: dict[str, Any], title: str, payload: bytes | None = None) -> int:
    """Start (or reuse) a background job; returns its id."""
    from ala.jobs import submit

    return submit(workspace(), kind, params, title, payload)


def job_result(job_id: int) -> dict[str, Any] | None:
    """A finished job's result document, parsed once (call it only once the job finished:
    a finished job never changes, so the answer is cached)."""
    return _job_result(str(workspace().path), job_id)


@st.cache_data(show_spinner=False, max_entries=16)
def _job_result(path: str, job_id: int) -> dict[str, Any] | None:
    return workspace().job_result(job_id)


def config_rows(dataset_id: int, key: ConfigKey) -> pd.DataFrame:
    """The benchmark rows (ii, oo, bb, thpt) of one configuration."""
    data = benchmarks(dataset_id)
    rows = data.frame[config_keys(data.frame, data.config_columns) == tuple(key)]
    return rows[["ii", "oo", "bb", "thpt"]].reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class Workload:
    """One what-if question: configuration, lengths, batch, interval level, target, price."""

    config: ConfigKey
    ii: float
    oo: float
    bb: float
    level: float
    target: float
    price: float | None


def whatif(dataset_id: int, q: Workload) -> tuple[CurvePrediction, pd.DataFrame, SizingResult]:
    """One what-if: the predicted curve, the nearest benchmarks and the sizing, computed once."""
    return _whatif(dataset_id, fingerprint(dataset_id), q)


@st.cache_data(show_spinner=False, max_entries=64)
def _whatif(
    dataset_id: int, fingerprint: str, q: Workload
) -> tuple[CurvePrediction, pd.DataFrame, SizingResult]:
    fitted = model(dataset_id)
    interval = q.level if fitted.calibration_ is not None else None
    curve = fitted.predict_curve(q.config, q.ii, q.oo, [q.bb], interval=interval)
    near = fitted.nearest(fitted.batch_queries(q.config, q.ii, q.oo, [q.bb]), k=5)
    values = fitted.config_values(fitted.config_id(q.config))
    sizing = size_deployment(fitted, values, q.ii, q.oo, q.target, q.price, interval=q.level)
    return curve, near, sizing


def few_points_note(dataset_id: int, key: ConfigKey) -> str:
    """What to know about a configuration measured at very few points (empty otherwise)."""
    from ala.service import few_points_note as note

    return note(model(dataset_id), key)


def run_title(runs: pd.DataFrame, run_id: int) -> str:
    """A run's one-line title for the run picker."""
    row = runs[runs["id"] == run_id].iloc[0]
    best = f", best {float(row.best_error):.2f} %" if pd.notna(row.best_error) else ""
    method = f"{row.method} model" if isinstance(row.method, str) else "model not recorded"
    return f"#{run_id} · {row.config} · {method} · {row.status} · {row.steps} steps{best}"


def run_progress(dataset_id: int, run_id: int) -> Any:
    """An annealing run's progress (iterations of those asked for, elapsed, ETA)."""
    from ala.jobs import run_states

    return next(r for r in run_states(workspace(), dataset_id) if r.id == run_id)


def trust_report(run_id: int) -> Any:
    """Algorithm 8 for the run's own configuration rows, from the run's logs."""
    from ala.trust import TrustModel

    run = workspace().load_run(run_id)
    return TrustModel().fit([run]).trust(run.universe)


def _trace(trace_name: str, content: bytes | None, limit: int) -> Any:
    from ala.datasets import sample_trace_path
    from ala.service import read_trace

    if content is not None:
        return read_trace(content, limit, name="upload.csv")
    return read_trace(sample_trace_path("code" if trace_name == "code" else "conv"), limit)


@st.cache_data(show_spinner="Simulating...", max_entries=32)
def schedule(
    trace_name: str,
    content: bytes | None,
    memory: int,
    width: float,
    limit: int,
    all_at_zero: bool,
    policies: tuple[str, ...],
    intervals: str = "symmetric",
) -> PolicyComparison:
    """Each policy simulated on the trace: summary per policy and memory traces.

    ``intervals`` is a :class:`ala.scheduling.run.Scenario` interval kind; for ``predicted``
    the width slider is read as the predictor's coverage level.
    """
    from ala.scheduling.run import Scenario
    from ala.service import compare_policies

    scenario = Scenario(
        memory=memory,
        width=width if intervals != "predicted" else 0.5,
        interval_kind=intervals,  # type: ignore[arg-type]  # the page offers only valid kinds
        level=width if intervals == "predicted" else 0.9,
        all_at_zero=all_at_zero,
    )
    return compare_policies(_trace(trace_name, content, limit), scenario, policies)


def sweep_params(
    trace_name: str,
    memory: int,
    limit: int,
    all_at_zero: bool,
    policies: tuple[str, ...],
    scheduler: str,
) -> dict[str, Any]:
    """The parameters of a ``width_sweep`` job (an uploaded trace goes as its payload)."""
    return {
        "trace": trace_name,
        "memory": memory,
        "limit": limit,
        "all_at_zero": all_at_zero,
        "policies": list(policies),
        "scheduler": scheduler.strip(),
    }


# ------------------------------------------------------------------------- report items
def add_prediction_to_report(
    dataset_id: int, config: dict[str, str], prediction: CurvePrediction, bb: float
) -> int:
    """Keep the what-if at batch ``bb`` (with its interval and confidence) for the report."""
    from ala.decision import confidences

    row = prediction.at(bb)
    record: dict[str, Any] = {
        **config,
        "ii": prediction.ii,
        "oo": prediction.oo,
        "bb": float(bb),
        "thpt_pred": float(row["thpt_pred"]),
    }
    if "thpt_lo" in prediction.frame and pd.notna(row["thpt_lo"]):
        record |= {"thpt_lo": float(row["thpt_lo"]), "thpt_hi": float(row["thpt_hi"])}
        record["confidence"] = confidences(pd.DataFrame([row]))[0]
    else:
        record["confidence"] = "low"
    title = " / ".join(config.values()) + f" · ii={prediction.ii:g}, oo={prediction.oo:g}"
    return workspace().add_report_item(dataset_id, "prediction", f"{title}, batch {bb:g}", record)


def add_decision_to_report(dataset_id: int, context: Context, keys: Sequence[ConfigKey]) -> int:
    """Keep a sizing question (its context and candidates) for the report."""
    from ala.context import to_query

    doc = {
        "query": to_query(context),
        "configs": [list(k) for k in keys],
    }
    title = f"Sizing for {context.target:,.6g} {context.target_unit}, ii={context.ii:g}, "
    return workspace().add_report_item(dataset_id, "decision", title + f"oo={context.oo:g}", doc)


def report_html(dataset_id: int, title: str) -> tuple[str, pd.DataFrame]:
    """The report from the items added in this workspace, and the predictions it lists."""
    from ala.context import from_query
    from ala.report import build_report

    items = workspace().report_items(dataset_id)
    predictions = pd.DataFrame([doc for _, kind, _, doc in items if kind == "prediction"])
    decisions = [doc for _, kind, _, doc in items if kind == "decision"]
    context = table = None
    fitted = model(dataset_id)
    if decisions:
        last = decisions[-1]
        context = from_query(last["query"])
        keys = [tuple(k) for k in last["configs"]]
        table = decision(dataset_id, context, tuple(keys))
    if len(predictions):  # stored sorted by name: back in reading order
        order = [*fitted.config_columns_, "ii", "oo", "bb", "thpt_pred", "thpt_lo", "thpt_hi"]
        first = [c for c in order if c in predictions]
        predictions = predictions[first + [c for c in predictions if c not in first]]
    ids = [fitted.config_id(k) for k in table["config"][:4]] if table is not None else None
    if ids is None and len(predictions):
        cols = fitted.config_columns_
        added = {tuple(str(v) for v in row) for row in predictions[cols].itertuples(index=False)}
        ids = [fitted.config_id(k) for k in sorted(added) if k in fitted.configs_][:4] or None
    html = build_report(benchmarks(dataset_id), fitted, title, predictions, ids, context, table)
    return html, predictions


# ------------------------------------------------------------------------- decision table
def candidates(fitted: ThroughputModel, context: Context) -> list[ConfigKey]:
    """The configurations to size: the context's; without any, those of the first
    configuration's model (or all when the data have no model column)."""
    chosen = [k for k in context.configs if k in fitted.configs_]
    if chosen:
        return chosen
    columns = fitted.config_columns_
    if "model" not in columns:
        return list(fitted.configs_)[:24]
    where = columns.index("model")
    first = fitted.configs_[0][where]
    return [k for k in fitted.configs_ if k[where] == first]


def decision(
    dataset_id: int, context: Context, keys: tuple[ConfigKey, ...], transferred: Any = None
) -> pd.DataFrame:
    """The sizing decision table for ``keys`` and, with ``transferred`` (the Transfer page's
    choice, :func:`transfer_choice`), that unbenchmarked configuration (cached per question)."""
    return _decision(dataset_id, fingerprint(dataset_id), context, keys, transferred)


@st.cache_data(show_spinner="Sizing each configuration...", max_entries=32)
def _decision(
    dataset_id: int,
    fingerprint: str,
    context: Context,
    keys: tuple[ConfigKey, ...],
    transferred: Any,
) -> pd.DataFrame:
    from ala.decision import Transferred, decision_table, slo_decision_table

    fitted = model(dataset_id)
    if fitted.latency_ is not None and (context.ttft_ms or context.tpot_ms):
        return slo_decision_table(fitted, context, list(keys))  # measured configurations only
    extra, chosen = [], list(keys)
    if transferred is not None:
        values, _, _, specs_key = transferred
        key = tuple(v for _, v in values)
        if key in fitted.configs_:  # benchmarked after all: sized on its own curves
            chosen += [key] if key not in chosen else []
        else:
            answer = transfer_whatif(
                dataset_id, values, context.ii, context.oo, context.bb, context.level, specs_key
            )
            columns = tuple(c for c, _ in values)
            extra.append(Transferred(key, columns, answer.curve, answer.note))
    return decision_table(fitted, context, chosen, transferred=extra)


def transfer_choice() -> Any:
    """The configuration last chosen on the Transfer page, or None."""
    return st.session_state.get(TRANSFER_CHOICE)


def start_anneal(dataset_id: int, key: ConfigKey, settings: AnnealSettings, seed: int) -> int:
    """Start Algorithm 6 on one configuration's rows in a worker process; returns the run id."""
    from dataclasses import replace

    from ala.configs import config_label
    from ala.jobs import start_anneal as start

    universe = config_rows(dataset_id, key)
    return start(workspace(), dataset_id, config_label(key), universe, replace(settings, seed=seed))


@dataclass(frozen=True, slots=True)
class PageContext:
    """What every page starts from: the session's dataset, its benchmarks and fitted model."""

    dataset_id: int
    data: Benchmarks
    model: ThroughputModel | None


def page_header(title: str) -> None:
    """The page title, and the background-work panel in the sidebar (on every page)."""
    from ala.ui import jobs
    from ala.ui.widgets import keep

    keep()
    st.title(title)
    jobs.sidebar(workspace_or_stop())


def open_page(title: str, fit: bool = True) -> PageContext:
    """Draw the title and restore the shared context; a failure is one message, then stop.

    Parameters
    ----------
    title
        The page title.
    fit
        Also load (or fit) the dataset's model.
    """
    from ala.ui.widgets import plain

    page_header(title)
    try:
        dataset_id = current_dataset_id()
        data = benchmarks(dataset_id)
        fitted = model(dataset_id) if fit else None
    except AlaError as exc:
        st.error(plain(exc), icon=":material/error:")
        st.stop()
    return PageContext(dataset_id, data, fitted)


def workspace_or_stop() -> Workspace:
    """The workspace, or one message naming its database and the fix, then stop the page."""
    from ala.ui.widgets import plain

    try:
        return workspace()
    except AlaError as exc:
        st.error(plain(exc), icon=":material/error:")
        st.stop()


def remap(
    dataset_id: int,
    columns: dict[str, str] | None,
    config_columns: list[str] | None,
    excluded: list[int] | None = None,
) -> str | None:
    """Re-read a stored dataset with another mapping, configuration columns or exclusions.

    Returns the loader's message when the new settings do not work (nothing changes then);
    otherwise stores them, drops the dataset's fitted models and returns None.
    """
    ws = workspace()
    name, content, _ = ws.dataset(dataset_id)
    try:
        data = load_benchmarks(
            content,
            columns=columns or None,
            config_columns=config_columns,
            exclude_rows=excluded or (),
            name=name,
        )
    except DataError as exc:
        return str(exc)
    report = data.report
    ws.remap_dataset(
        dataset_id, columns, config_columns, report.rows_kept, report.summary(), excluded
    )
    return None


def delete(dataset_id: int) -> None:
    """Delete a dataset with its models and runs; the sample comes back if none is left."""
    ws = workspace()
    ws.delete_dataset(dataset_id)
    st.session_state.pop("dataset_id", None)
    st.query_params.pop("dataset", None)
    if ws.datasets().empty:
        _add_sample(ws)


def file_columns(dataset_id: int) -> list[str]:
    """The column names of a stored dataset's file, as written there."""
    name, content, _ = workspace().dataset(dataset_id)
    return [str(c) for c in read_table(content, name).frame.columns]


def tool_uploads(uploads: Sequence[Any] | None) -> list[tuple[str, bytes]]:
    """Uploaded files as (name, CSV bytes): benchmark-tool results converted (all JSON and zip
    files together as one dataset), errors shown, each naming its file."""
    from ala.ui.widgets import plain

    files = [(u.name, u.getvalue()) for u in uploads or []]
    converted, errors = _convert_uploads(tuple(files))
    for error in errors:
        st.error(plain(error), icon=":material/error:")
    return converted


@st.cache_data(show_spinner="Importing benchmark-tool results...", max_entries=8)
def _convert_uploads(
    files: tuple[tuple[str, bytes], ...],
) -> tuple[list[tuple[str, bytes]], list[str]]:
    from ala.importers import convert_uploads

    return convert_uploads(files)


def ingest_once(
    name: str, content: bytes, mapping: dict[str, str] | None
) -> tuple[UploadOutcome, bool]:
    """:func:`ingest` an upload once per session; reruns see the same outcome, not a new add.

    Returns the outcome and whether this call stored it. A file that stays in the uploader
    is not added again after its dataset was deleted, nor selected again after the user
    chose another dataset.
    """
    key = f"{hashlib.sha256(content).hexdigest()}:{sorted((mapping or {}).items())}"
    seen: dict[str, UploadOutcome] = st.session_state.setdefault("ingested", {})
    if key in seen:
        return seen[key], False
    outcome = ingest(name, content, mapping)
    if outcome.error is None:
        seen[key] = outcome
    return outcome, True


# ------------------------------------------------------------------------- transfer
def specs_catalogue(content: bytes | None, name: str = "specs.csv") -> Any:
    """The bundled catalogue, extended by an uploaded specs file (CSV or TOML)."""
    return _specs_catalogue(content, name)


@st.cache_resource(show_spinner=False, max_entries=8)
def _specs_catalogue(content: bytes | None, name: str) -> Any:
    from ala.physics import bundled_catalogue
    from ala.specs import parse_specs

    base = bundled_catalogue()
    return base if content is None else base.extended(parse_specs(content, name))


def transfer_model(dataset_id: int, specs_key: tuple[bytes | None, str] = (None, "")) -> Any:
    """The transfer model of a dataset (fitted once per dataset and specs file)."""
    return _transfer_model(dataset_id, fingerprint(dataset_id), specs_key)


@st.cache_resource(show_spinner="Learning efficiencies across configurations...", max_entries=4)
def _transfer_model(dataset_id: int, fingerprint: str, specs_key: tuple[bytes | None, str]) -> Any:
    from ala.transfer import TransferModel

    catalogue = specs_catalogue(*specs_key)
    return TransferModel(specs=catalogue).fit(benchmarks(dataset_id))


def transfer_choices(
    dataset_id: int, specs_key: tuple[bytes | None, str] = (None, "")
) -> dict[str, list[str]]:
    """Values to offer per configuration column: the data's (the first measured configuration's
    first), then the catalogue's."""
    data = benchmarks(dataset_id)
    catalogue = specs_catalogue(*specs_key)
    extra = {
        "acc": catalogue.accelerators["name"].tolist(),
        "model": catalogue.models["name"].tolist(),
        "acc_count": ["1", "2", "4", "8"],
    }
    out = {}
    first = data.frame.iloc[0]
    for col in data.config_columns:
        # the first measured configuration comes first, so the page opens on measured ground
        seen = sorted(data.frame[col].astype(str).unique(), key=lambda v: v != str(first[col]))
        out[col] = seen + [v for v in extra.get(col, []) if v not in seen]
    return out


def transfer_whatif(
    dataset_id: int,
    values: tuple[tuple[str, str], ...],
    ii: float,
    oo: float,
    bb: float,
    level: float,
    specs_key: tuple[bytes | None, str] = (None, ""),
) -> Any:
    """The transferred curve over the dataset's batch sizes (and ``bb``) for a configuration."""
    from ala.service import transfer_whatif as answer

    fitted = transfer_model(dataset_id, specs_key)
    measured = benchmarks(dataset_id).frame["bb"].unique().tolist()
    batches = sorted({float(b) for b in [*measured, bb, 1.0]})
    return answer(fitted, dict(values), ii, oo, batches, level, specs_catalogue(*specs_key))


TRANSFER_CHOICE = "transfer-choice"


def remember_transfer(
    values: tuple[tuple[str, str], ...], ii: float, oo: float, specs_key: tuple[bytes | None, str]
) -> None:
    """Keep the Transfer page's configuration for other pages (widget state is per page)."""
    st.session_state[TRANSFER_CHOICE] = (values, float(ii), float(oo), specs_key)


def transferred_overlay(dataset_id: int) -> tuple[str, pd.DataFrame] | None:
    """The curve of the configuration last chosen on the Transfer page, with its label, at
    the lengths chosen there; None when none was chosen."""
    choice = st.session_state.get(TRANSFER_CHOICE)
    if choice is None:
        return None
    values, ii, oo, specs_key = choice
    answer = transfer_whatif(dataset_id, values, ii, oo, 1.0, 0.9, specs_key)
    label = " / ".join(v for _, v in values) + f" · ii={ii:g}, oo={oo:g} ({answer.source})"
    return label, answer.curve


# ------------------------------------------------------------------------- SLO sizing
def slo_plan(dataset_id: int, context: Context) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """The ranked plan over every configuration and its Pareto data for the context's SLO
    question (cached; fields the plan does not read are not part of the key)."""
    question = context.with_(dataset=None, configs=(), bb=Context().bb)
    return _slo_plan(dataset_id, fingerprint(dataset_id), question)


@st.cache_data(show_spinner="Sizing every configuration...", max_entries=32)
def _slo_plan(
    dataset_id: int, fingerprint: str, question: Context
) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    from ala.slo import pareto_frame, sizing_for

    fitted = model(dataset_id)
    plan = sizing_for(fitted, question)
    curves, measured = pareto_frame(fitted, plan)
    return plan, curves, measured


def colors(fitted: ThroughputModel) -> dict[str, str]:
    """Configuration label -> colour, the shared context's configurations first: the same
    configuration has the same colour on every page and in the report."""
    from ala.configs import config_label
    from ala.plots import config_colors
    from ala.ui import context

    chosen = [config_label(k) for k in context.current().configs]
    return config_colors(chosen, fitted.labels_)


# ------------------------------------------------------------------------- benchmark this next
def suggestions(
    dataset_id: int, key: ConfigKey, ii: float | None = None, oo: float | None = None
) -> pd.DataFrame:
    """The points to benchmark next for a what-if workload, or (no ``ii``/``oo``) for every
    benchmarked length of the configuration (cached per dataset and question)."""
    return _suggestions(dataset_id, fingerprint(dataset_id), key, ii, oo)


@st.cache_data(show_spinner=False, max_entries=32)
def _suggestions(
    dataset_id: int, fingerprint: str, key: ConfigKey, ii: float | None, oo: float | None
) -> pd.DataFrame:
    from ala.service import suggest_next

    return suggest_next(model(dataset_id), key, ii, oo, k=3)
