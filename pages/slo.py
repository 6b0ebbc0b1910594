"""SLO sizing: per configuration, the largest concurrency meeting latency targets, and its cost."""

import streamlit as st

from ala import plots
from ala.errors import AlaError
from ala.ui import context, state
from ala.ui.widgets import caption, plain

page = state.open_page("SLO sizing")
ctx = context.current()
c1, c2, c3, c4 = st.columns(4)
ii = c1.number_input("Input tokens per request", 1, None, int(ctx.ii), 128, key="ctx-ii")
oo = c2.number_input("Output tokens per request", 1, None, int(ctx.oo), 32, key="ctx-oo")
ttft = c3.number_input(
    "TTFT target (ms, 0 = none)", 0.0, None, ctx.ttft_ms or 2000.0, key="slo-ttft"
)
tpot = c4.number_input("TPOT target (ms, 0 = none)", 0.0, None, ctx.tpot_ms or 50.0, key="slo-tpot")
d1, d2, d3, d4 = st.columns(4)
percentile = d1.radio(
    "Targets hold at",
    ["p50", "p99"],
    ["p50", "p99"].index(ctx.percentile),
    horizontal=True,
    key="slo-pct",
)
load = d2.number_input("Load (tokens/s)", 1.0, None, ctx.tokens_per_s, 1000.0, key="slo-load")
price = d3.number_input(
    "Price per GPU-hour (0 = skip)", 0.0, None, ctx.price or 0.0, key="ctx-price"
)
currency = d4.text_input("Currency", ctx.currency, max_chars=8, key="ctx-currency") or "USD"
ctx = context.update(
    ii=float(ii),
    oo=float(oo),
    ttft_ms=ttft or None,
    tpot_ms=tpot or None,
    percentile=percentile,
    price=price or None,
    currency=currency.upper(),
)
question = state.SloQuestion(
    ctx.ii, ctx.oo, ctx.ttft_ms, ctx.tpot_ms, ctx.percentile, load, ctx.price, ctx.currency, 0.9
)
try:
    plan, curves, measured, colors = state.slo_plan(page.dataset_id, question)
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
st.plotly_chart(plots.pareto_figure(curves, measured, colors=colors), width="stretch")
caption(
    "each line runs along a configuration's concurrency up to its throughput peak: solid where "
    "the SLO holds, dotted beyond; markers are measured points at these lengths."
)
