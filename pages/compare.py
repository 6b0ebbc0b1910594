"""Compare: every method under the paper's hold-out protocols, with error distributions."""

import streamlit as st

from ala import plots
from ala.errors import AlaError
from ala.evaluate import PROTOCOLS
from ala.service import ALL_METHODS
from ala.ui import state
from ala.ui.widgets import caption, plain

dataset_id = state.open_page("Compare methods", fit=False).dataset_id
methods = st.multiselect(
    "Methods", ALL_METHODS, default=["default", "paper", "xgboost"], key="cmp-methods"
)
protocols = st.multiselect(
    "Protocols", PROTOCOLS, default=["loo_inner", "max_batch"], key="cmp-protocols"
)
level = st.slider("Interval level for coverage", 0.5, 0.99, 0.9, 0.01, key="cmp-level")
st.caption(
    "loo_inner / loo_extreme: leave one (ii, oo) length out; max_batch: hold out each "
    "configuration's largest batch; kfold: random 5-fold. Fits many models: on the "
    "full sample this takes from seconds (default) to minutes (random forest)."
)
if not methods or not protocols:
    st.info("Pick at least one method and one protocol.")
    st.stop()
if st.button("Run evaluation", type="primary") or st.session_state.get("cmp-done"):
    st.session_state["cmp-done"] = True
    try:
        with st.spinner("Evaluating..."):
            result = state.evaluation(dataset_id, tuple(methods), tuple(protocols), level)
    except AlaError as exc:
        st.info(f"Nothing to compare on this dataset yet: {plain(exc)}.")
        st.stop()
    errors = result.errors
    st.dataframe(result.summary, hide_index=True, width="stretch")
    caption(
        "median/p90/mean absolute percentage error of held-out points (lower is better); "
        "coverage: share of held-out points inside their interval (aim: the level)."
    )
    for protocol, rows in errors.groupby("protocol", sort=False):
        st.plotly_chart(
            plots.error_histogram(rows, "method", f"Errors under {protocol}"),
            width="stretch",
        )
    caption("each colour is a method; mass near 0 % is good, a long right tail is risk.")
    st.plotly_chart(
        plots.error_box(errors, "model" if "model" in errors else "method"),
        width="stretch",
    )
    caption("errors per model across all protocols: which models are hard to predict.")
