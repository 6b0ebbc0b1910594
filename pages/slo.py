"""SLO sizing: per configuration, the largest concurrency meeting latency targets, and its cost."""

import streamlit as st

from ala import plots
from ala.errors import AlaError
from ala.ui import state
from ala.ui.widgets import caption, plain

page = state.open_page("SLO sizing")
c1, c2, c3, c4 = st.columns(4)
ii = c1.number_input("Input tokens per request", min_value=1, value=1024, step=128, key="slo-ii")
oo = c2.number_input("Output tokens per request", min_value=1, value=128, step=32, key="slo-oo")
ttft = c3.number_input("TTFT target (ms, 0 = none)", min_value=0.0, value=2000.0, key="slo-ttft")
tpot = c4.number_input("TPOT target (ms, 0 = none)", min_value=0.0, value=50.0, key="slo-tpot")
d1, d2, d3, d4 = st.columns(4)
percentile = d1.radio("Targets hold at", ["p50", "p99"], horizontal=True, key="slo-pct")
load = d2.number_input("Load (tokens/s)", min_value=1.0, value=50000.0, step=1000.0, key="slo-load")
price = d3.number_input("Price per GPU-hour (0 = skip)", min_value=0.0, value=0.0, key="slo-price")
currency = d4.text_input("Currency", value="USD", max_chars=8, key="slo-cur")
question = state.SloQuestion(
    float(ii), float(oo), ttft or None, tpot or None, percentile, load, price or None, currency, 0.9
)
try:
    plan, curves, measured = state.slo_plan(page.dataset_id, question)
except AlaError as exc:
    st.error(plain(exc))
    st.stop()
best = plan.best()
if best is None:
    st.warning(
        "No configuration meets these targets at any concurrency before its throughput peak."
    )
else:
    st.success(plain(f"Cheapest that meets the SLO: {best['configuration']}"))
    b, c = st.columns(2)
    b.metric(
        "Concurrency per replica",
        f"{best['concurrency']:g}",
        help=f"range {best['concurrency_lo']:g}-{best['concurrency_hi']:g} (90 % intervals)",
    )
    cost = f"; {best['cost_per_hour']:,.2f} {currency}/hour" if price else ""
    c.metric(
        "GPUs", f"{best['gpus']:g}", help=f"range {best['gpus_lo']:g}-{best['gpus_hi']:g}{cost}"
    )
shown = plan.table.drop(columns="config").round(2)
st.dataframe(shown, hide_index=True, width="stretch")
st.download_button(
    "Download the table (CSV)", shown.to_csv(index=False), "slo_sizing.csv", "text/csv"
)
caption(
    "one row per configuration with latency measurements, cheapest first among those meeting "
    "the SLO; ranges come from the 90 % intervals; source says whether the answer rests on "
    "measured, interpolated or extrapolated points."
)
st.plotly_chart(plots.pareto_figure(curves, measured), width="stretch")
caption(
    "each line runs along a configuration's concurrency up to its throughput peak: solid where "
    "the SLO holds, dotted beyond; markers are measured points at these lengths."
)
