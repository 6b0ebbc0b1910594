"""Curves: measured throughput and fitted saturation curves per configuration and length."""

import streamlit as st

from ala import plots
from ala.files import csv_bytes
from ala.ui import context, panels, state, views
from ala.ui.widgets import caption, config_multiselect, kept

page = state.open_page("Throughput curves")
model = page.model
assert model is not None
configs = config_multiselect(
    model,
    "Configurations (pick several to compare hardware or frameworks)",
    "ctx-configs",
    start=context.current().configs,
)
context.update(configs=tuple(model.configs_[i] for i in configs))
if not configs:
    st.info("Pick at least one configuration.")
    st.stop()
lengths = st.multiselect(
    "Input/output lengths (all when empty)",
    views.length_options(model, configs),
    default=[v for v in kept("curve-lengths", []) if v in views.length_options(model, configs)],
    key="curve-lengths",
)
db, points, residuals = views.curve_view(model, configs, lengths)
peaked = db[db["peak_bb"].notna()]
if len(peaked):
    st.warning(
        f"{len(peaked)} curve(s) peak and then fall (see peak_bb below): the fitted curve stops "
        "at the peak; predictions past it follow the measured decline, and sizing stays before it."
    )
colors = state.colors(model)
figure = plots.curves_figure(points, db, label_column="label", colors=colors)
overlay = state.transferred_overlay(page.dataset_id)
if overlay and st.checkbox(f"Overlay {overlay[0]}, chosen on the Transfer page", key="c-ovl"):
    figure = plots.add_transferred(figure, overlay[1], overlay[0])
st.plotly_chart(figure, width="stretch")
caption(
    "dots are measurements, lines the fitted curve thpt = c − a·exp(−b·bb); the dotted "
    "line is the saturation throughput c and the diamond the knee, the batch size that "
    "reaches 90 % of c. Beyond the knee a bigger batch buys little throughput."
)
st.plotly_chart(plots.residuals_figure(residuals, colors), width="stretch")
caption("how far each measurement lies from its curve, in % of the measurement.")
with st.expander("Fit diagnostics", expanded=True):
    shown = db[["label", "ii", "oo", "c", "knee", "peak_bb", "r2", "mape", "n_points", "status"]]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "label": st.column_config.TextColumn("Configuration", width="medium"),
            "ii": st.column_config.NumberColumn("ii", format="%d", width="small"),
            "oo": st.column_config.NumberColumn("oo", format="%d", width="small"),
            "c": st.column_config.NumberColumn("c (tokens/s)", format="%.0f", width="small"),
            "knee": st.column_config.NumberColumn("Knee", format="%.0f", width="small"),
            "peak_bb": st.column_config.NumberColumn("Peak", format="%.0f", width="small"),
            "mape": st.column_config.NumberColumn("MAPE %", format="%.2f", width="small"),
            "r2": st.column_config.NumberColumn("R²", format="%.3f", width="small"),
            "n_points": st.column_config.NumberColumn("Points", width="small"),
            "status": st.column_config.TextColumn("Fit", width="small"),
        },
    )
panels.benchmark_next(page.dataset_id, model.configs_[configs[0]])
st.download_button(
    "Download the parameter table (CSV)",
    csv_bytes(model.database_table()),
    "parameters.csv",
    "text/csv",
)
