"""Predict: what-if throughput for a hypothetical deployment, and sizing for a target."""

import streamlit as st

from ala import plots
from ala.errors import AlaError
from ala.ui import context, panels, state
from ala.ui.widgets import caption, config_picker, plain, sizing_metrics, workload_inputs

page = state.open_page("What-if prediction")
dataset_id, data = page.dataset_id, page.data
shared = context.current()
start = shared.configs[0] if shared.configs else ()
config = config_picker(data.frame, data.config_columns, key="predict", start=start)
key = tuple(config[c] for c in data.config_columns)
rest = tuple(k for k in shared.configs[1:] if k != key)  # the picker replaces the first
shared = context.update(configs=(key, *rest))
shared = workload_inputs(shared)
ii, oo, bb, level = shared.ii, shared.oo, shared.bb, shared.level
try:
    workload = state.Workload(key, ii, oo, bb, level, shared.tokens_per_s, shared.price)
    prediction, near, size = state.whatif(dataset_id, workload)
except AlaError as exc:
    st.error(plain(exc))
    st.stop()
curve = prediction.frame
row = prediction.at(bb)
has_interval = "thpt_lo" in curve.columns
left, right = st.columns([2, 1])
with left:
    st.metric(
        "Predicted throughput",
        f"{row.thpt_pred:,.0f} tokens/s",
        help="tokens/s counting input and output tokens, as in the benchmarks",
    )
    latency = [m for m in ("ttft_ms", "tpot_ms", "e2e_ms") if row.get(f"{m}_pred", 0) > 0]
    for cell, metric in zip(st.columns(len(latency) or 1), latency, strict=False):
        lo, hi = row.get(f"{metric}_lo"), row.get(f"{metric}_hi")
        band = f"{level:.0%} interval {lo:,.0f}–{hi:,.0f} ms" if has_interval else None
        cell.metric(metric[:-3].upper(), f"{row[f'{metric}_pred']:,.1f} ms", help=band)
    if row.fits_memory is False:
        st.error(plain(f"Infeasible: {row.memory_note}."))
    if bool(row.get("past_peak", False)):
        st.warning(plain(f"Past the throughput peak: {row.note}."))
    if not row.identified:
        st.warning(f"Not identified by the data: {row.note}. No interval is given.")
    elif has_interval:
        st.write(f"**{level:.0%} interval:** {row.thpt_lo:,.0f} – {row.thpt_hi:,.0f} tokens/s")
    source = (
        "a benchmarked curve (this length was measured)"
        if row.source == "database"
        else "a learned curve (this length was never benchmarked)"
    )
    st.write(f"**Source:** {source}; situation `{row.situation}`.")
    if note := state.few_points_note(dataset_id, key):
        st.warning(note)
    st.plotly_chart(plots.prediction_figure(curve, [bb]), width="stretch")
    caption(
        "the line is the predicted saturation curve for this workload, the band the "
        "interval at the chosen level; the cross marks your batch size."
    )
with right:
    if has_interval:
        st.plotly_chart(plots.proximity_gauge(row.proximity), width="stretch")
        caption("1 on a benchmarked point; 0.5 one doubling away from the nearest one.")
    st.write("**Nearest benchmarked points**")
    st.dataframe(near[["ii", "oo", "bb", "thpt", "distance"]], hide_index=True, width="stretch")
    if len(near) and near["distance"].iloc[0] > 1.5:
        st.warning("Nothing benchmarked near here: treat this number as a rough guide.")
    if st.button("Add to report", icon=":material/add:", key="add-prediction"):
        state.add_prediction_to_report(dataset_id, config, prediction, bb)
        st.toast("Added to the report.")
panels.benchmark_next(dataset_id, key, ii, oo)
st.subheader("Sizing")
sizing_metrics(size)
st.page_link(
    "pages/sizing.py", label="Compare configurations side by side", icon=":material/table:"
)
