"""SLO sizing: per configuration, the largest concurrency meeting latency targets, and its cost."""

import streamlit as st

from ala import plots
from ala.errors import AlaError
from ala.ui import context, state
from ala.ui.widgets import caption, plain, slo_inputs

page = state.open_page("SLO sizing")
ctx = slo_inputs(context.current())
try:
    plan, curves, measured = state.slo_plan(page.dataset_id, ctx)
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
    cost = f"; {best['cost_per_hour']:,.2f} {ctx.currency}/hour" if ctx.price else ""
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
st.plotly_chart(
    plots.pareto_figure(curves, measured, colors=state.colors(page.model)), width="stretch"
)
caption(
    "each line runs along a configuration's concurrency up to its throughput peak: solid where "
    "the SLO holds, dotted beyond; markers are measured points at these lengths."
)
