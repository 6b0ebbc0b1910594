"""Compare: every method under the paper's hold-out protocols, in a background job."""

import streamlit as st

from ala import plots
from ala.evaluate import PROTOCOLS
from ala.jobs import comparison
from ala.service import ALL_METHODS
from ala.ui import jobs, state
from ala.ui.widgets import caption, kept, plain

dataset_id = state.open_page("Compare methods", fit=False).dataset_id
methods = st.multiselect(
    "Methods",
    ALL_METHODS,
    default=kept("cmp-methods", ["default", "paper", "xgboost"]),
    key="cmp-methods",
)
protocols = st.multiselect(
    "Protocols",
    PROTOCOLS,
    default=kept("cmp-protocols", ["loo_inner", "max_batch"]),
    key="cmp-protocols",
)
level = st.slider(
    "Interval level for coverage", 0.5, 0.99, kept("cmp-level", 0.9), 0.01, key="cmp-level"
)
st.caption(
    "loo_inner / loo_extreme: leave one (ii, oo) length out; max_batch: hold out each "
    "configuration's largest batch; kfold: random 5-fold. Runs in the background: you can "
    "switch pages or reload, the progress stays in the sidebar, and the same question asked "
    "again reuses its result."
)
if not methods or not protocols:
    st.info("Pick at least one method and one protocol.")
    st.stop()
params = state.evaluation_params(dataset_id, tuple(methods), tuple(protocols), level)
job_id = state.find_job("evaluate", params)
job = jobs.watch(state.workspace(), job_id) if job_id is not None else None
doc = state.job_result(job_id) if job is not None and job.status == "finished" else None
if doc is None:
    if job is not None and not job.active:
        reason = "nothing to compare on this dataset yet" if job.status == "failed" else job.status
        st.info(f"Evaluation {reason}: {plain(job.message)}.")
    if (job is None or not job.active) and st.button("Run evaluation", type="primary"):
        state.submit_job("evaluate", params, f"Evaluate {', '.join(methods)}")
        st.rerun()
    st.stop()
result = comparison(doc)
errors = result.errors
st.dataframe(result.summary, hide_index=True, width="stretch")
caption(
    "median/p90/mean absolute percentage error of held-out points (lower is better); "
    "coverage: share of held-out points inside their interval (aim: the level)."
)
for protocol, rows in errors.groupby("protocol", sort=False):
    st.plotly_chart(
        plots.error_histogram(rows, "method", f"Errors under {protocol}"), width="stretch"
    )
caption("each colour is a method; mass near 0 % is good, a long right tail is risk.")
st.plotly_chart(
    plots.error_box(errors, "model" if "model" in errors else "method"), width="stretch"
)
caption("errors per model across all protocols: which models are hard to predict.")
