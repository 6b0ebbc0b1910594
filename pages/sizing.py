"""Sizing: one row per candidate configuration for the user's target, with ranges and cost."""

import streamlit as st

from ala.decision import display_table
from ala.files import csv_bytes
from ala.ui import context, state
from ala.ui.widgets import (
    caption,
    config_multiselect,
    latency_targets,
    plain,
    workload_inputs,
)

page = state.open_page("Sizing: which configuration, how many accelerators, at what cost")
model = page.model
assert model is not None
shared = workload_inputs(context.current(), batch=False)
if model.latency_ is not None:  # the data have latencies: size under TTFT / TPOT targets too
    shared = latency_targets(shared)
start = state.candidates(model, shared)
ids = config_multiselect(model, "Candidate configurations", "ctx-configs", default=0, start=start)
keys = tuple(model.configs_[i] for i in ids)
shared = context.update(configs=keys)
if not keys:
    st.info("Choose at least one configuration to size.")
    st.stop()
choice = state.transfer_choice()
label = " / ".join(v for _, v in choice[0]) if choice else ""
with_transfer = choice is not None and st.checkbox(
    f"Also size {plain(label)}, chosen on the Transfer page (never benchmarked)", key="sz-tr"
)
table = state.decision(page.dataset_id, shared, keys, choice if with_transfer else None)
best, shown = table.iloc[0], display_table(table)
if best["batch"] == best["batch"]:  # not NaN: the first row could be sized
    st.success(
        plain(
            f"Recommended: {best['configuration']}, {shown.iloc[0]['Accelerators']} "
            f"accelerators at batch {best['batch']:,.0f}; confidence {best['confidence']}."
        )
    )
st.dataframe(shown, hide_index=True, width="stretch")
common = shown.attrs.get("common")
caption(
    (f"all rows are {plain(common)}; " if common else "")
    + "one row per configuration, best first (cheapest with a price, else fewest accelerators; "
    "rows that rely on extrapolation last). Each figure comes with its range from the "
    f"{shared.level:.0%} intervals; click a column title to sort."
)
left, right = st.columns(2)
left.download_button(
    "Download the decision table (CSV)", csv_bytes(shown), "decision_table.csv", "text/csv"
)
if right.button("Add to report", icon=":material/add:", key="add-decision"):
    state.add_decision_to_report(page.dataset_id, shared, keys)
    st.toast("Added the decision table to the report.")
warned = table[table["warning"].fillna("") != ""]
for row in warned.itertuples(index=False):
    st.warning(plain(f"{row.configuration}: {row.warning}."))
