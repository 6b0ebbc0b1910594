"""Transfer: predict a configuration that was never benchmarked, from its specs and siblings."""

import streamlit as st

from ala import plots
from ala.errors import AlaError
from ala.ui import context, state
from ala.ui.widgets import caption, plain

page = state.open_page("Predict an unbenchmarked configuration", fit=False)
dataset_id, data = page.dataset_id, page.data
upload = st.file_uploader(
    "Extra specs (optional CSV or TOML with the catalogue's columns)", type=["csv", "toml"]
)
specs_key = (upload.getvalue(), upload.name) if upload else (None, "")
try:
    choices = state.transfer_choices(dataset_id, specs_key)
except AlaError as exc:
    st.error(plain(exc))
    st.stop()
columns = st.columns(len(data.config_columns))
values = tuple(
    (col, box.selectbox(col, choices[col], key=f"t-{col}"))
    for col, box in zip(data.config_columns, columns, strict=True)
)
shared = context.current()
c1, c2, c3, c4 = st.columns(4)
ii = c1.number_input("Input tokens (ii)", 1, None, int(shared.ii), 64, key="ctx-ii")
oo = c2.number_input("Output tokens (oo)", 1, None, int(shared.oo), 64, key="ctx-oo")
bb = c3.number_input("Batch size (bb)", 1, None, int(shared.bb), 1, key="ctx-bb")
level = c4.slider("Interval level", 0.5, 0.99, float(shared.level), 0.01, key="ctx-level")
context.update(ii=float(ii), oo=float(oo), bb=float(bb), level=float(level))
state.remember_transfer(values, ii, oo, specs_key)
try:
    answer = state.transfer_whatif(dataset_id, values, ii, oo, bb, level, specs_key)
except AlaError as exc:
    st.error(plain(exc))
    st.stop()
row = answer.curve[answer.curve["bb"] == bb].iloc[0]
memory = answer.memory[answer.curve["bb"] == bb].iloc[0]
left, right = st.columns([2, 1])
with left:
    st.metric("Predicted throughput", f"{row.thpt_pred:,.0f} tokens/s")
    if row.thpt_lo == row.thpt_lo:  # not NaN: an interval is given
        st.write(f"**{level:.0%} interval:** {row.thpt_lo:,.0f} – {row.thpt_hi:,.0f} tokens/s")
    elif answer.note:
        st.warning(plain(answer.note))
    st.write(answer.source_note)
    st.plotly_chart(plots.transfer_figure(answer.curve, answer.siblings, [bb]), width="stretch")
    caption(
        "the thick line is the transferred curve (band: its interval, calibrated by holding "
        "out each accelerator, model, count and framework in turn); dotted lines are the "
        "measured siblings it leans on most, at this length."
    )
with right:
    st.plotly_chart(
        plots.proximity_gauge(answer.proximity, "Proximity in configuration space"),
        width="stretch",
    )
    caption("1 for a measured configuration; 0.5 one attribute from the nearest sibling.")
    st.write("**Memory**")
    if memory.fits_memory is None:
        st.info(plain(memory.memory_note))
    else:
        need, have = memory.memory_need_gb, memory.memory_gb
        (st.success if memory.fits_memory else st.error)(
            f"needs {need:,.0f} GB (weights + KV cache) of {have:,.0f} GB"
        )
    st.write("**Siblings at this length**")
    st.dataframe(answer.siblings, hide_index=True, width="stretch")
