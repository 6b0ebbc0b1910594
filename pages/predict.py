"""Predict: what-if throughput for a hypothetical deployment, and sizing for a target."""

import streamlit as st

from ala import plots
from ala.errors import AlaError
from ala.ui import panels, state
from ala.ui.widgets import caption, config_picker, plain, sizing_metrics

page = state.open_page("What-if prediction")
dataset_id, data = page.dataset_id, page.data
config = config_picker(data.frame, data.config_columns, key="predict")
c1, c2, c3, c4 = st.columns(4)
ii = c1.number_input("Input tokens (ii)", min_value=1, value=512, step=64, key="p-ii")
oo = c2.number_input("Output tokens (oo)", min_value=1, value=512, step=64, key="p-oo")
bb = c3.number_input("Batch size (bb)", min_value=1, value=32, step=1, key="p-bb")
level = c4.slider("Interval level", 0.5, 0.99, 0.9, 0.01, key="p-level")
s1, s2 = st.columns(2)
target = s1.number_input(
    "Target throughput (tokens/s)", min_value=1.0, value=20000.0, step=1000.0, key="s-target"
)
price = s2.number_input(
    "Price per accelerator-hour (0 = skip cost)", min_value=0.0, value=0.0, step=0.5, key="s-price"
)
key = tuple(config[c] for c in data.config_columns)
try:
    workload = state.Workload(key, float(ii), float(oo), float(bb), level, target, price or None)
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
panels.benchmark_next(dataset_id, key, float(ii), float(oo))
state.remember_prediction(config, prediction, bb)
st.subheader("Sizing")
sizing_metrics(size)
