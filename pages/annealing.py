"""Annealing: run Algorithm 6 in the background, watch its trace live, train the predictor."""

import streamlit as st

from ala import plots
from ala.annealing import AnnealSettings
from ala.errors import AlaError
from ala.ui import context, state
from ala.ui.widgets import caption, config_picker, plain

ANNEAL_CAPTION = (
    "dots: error of each proposed subset; orange: the accepted chain; green: the best so far; "
    "dotted: temperature (right axis). Worse subsets are accepted less often as it falls."
)
page = state.open_page("Simulated annealing over training subsets", fit=False)
ws, dataset_id, data = state.workspace(), page.dataset_id, page.data
shared = context.current().configs
config = config_picker(data.frame, data.config_columns, "anneal", shared[0] if shared else ())
key = tuple(config[c] for c in data.config_columns)
with st.form("anneal-settings"):
    c0, c1, c2, c3, c4, c5 = st.columns(6)
    method = c0.selectbox("Model in the chain", ["paper", "default"], help="paper: Algorithm 6")
    iterations = c1.number_input("Iterations", 10, 5000, 300, 10)
    temperature = c2.number_input("Initial temperature", 0.01, 100.0, 1.0)
    cooling = c3.number_input("Cooling rate", 0.5, 1.0, 0.97)
    moves = c4.number_input("Moves per step", 1, 10, 2)
    seed = c5.number_input("Seed", 0, 10_000, 0)
    start = st.form_submit_button("Start run", type="primary")
if start:
    settings = AnnealSettings(
        int(iterations), float(temperature), float(cooling), int(moves), method=method
    )
    try:
        st.session_state["run_id"] = state.start_anneal(dataset_id, key, settings, int(seed))
    except AlaError as exc:
        st.error(str(exc))

runs = ws.runs(dataset_id)
if runs.empty:
    st.info("No runs yet for this dataset: choose settings and start one.")
    st.stop()
run_ids = runs["id"].tolist()
default = st.session_state.get("run_id", run_ids[0])
run_id = st.selectbox(
    "Run",
    run_ids,
    index=run_ids.index(default) if default in run_ids else 0,
    format_func=lambda r: state.run_title(runs, r),
)
st.session_state["run_id"] = run_id


def live_trace() -> None:
    status = ws.run_status(run_id)
    trace = ws.run_trace(run_id)
    progress = state.run_progress(page.dataset_id, run_id)
    st.progress(progress.fraction, text=f"Status: {status} · {progress.describe()}")
    if status == "running" and st.button("Cancel run", key=f"cancel-{run_id}"):
        ws.request_cancel(run_id)
    if len(trace):
        st.plotly_chart(plots.anneal_figure(trace), width="stretch")
        caption(ANNEAL_CAPTION)


# Poll only while the run is running; a finished run is drawn once.
running = ws.run_status(run_id) == "running"
st.fragment(live_trace, run_every=1.0 if running else None)()
if not running:
    run_config = runs.loc[runs["id"] == run_id, "config"].iloc[0]
    if st.button(f"Train the error predictor from run #{run_id} ({plain(run_config)})"):
        try:
            report = state.trust_report(run_id)
            st.success(
                f"Predicted error for {plain(run_config)}: {report.predicted_error:.2f} % (median "
                f"APE); confidence {report.confidence:.3f} (Algorithm 8)."
            )
        except AlaError as exc:
            st.error(str(exc))
