"""Report: a self-contained HTML report and CSVs to share with stakeholders."""

import pandas as pd
import streamlit as st

from ala.files import csv_bytes
from ala.report import build_report
from ala.ui import state
from ala.ui.widgets import config_multiselect

page = state.open_page("Report")
data, model = page.data, page.model
assert model is not None
configs = config_multiselect(model, "Configurations to show", "rep-cfg", default=2)
title = st.text_input("Title", "LLM inference throughput: predictions and how far to trust them")
predictions = pd.DataFrame(st.session_state.get("predictions", []))
if predictions.empty:
    st.write(
        "No what-if predictions in this session yet: the report shows a standard grid "
        "(ii = oo = 512 and 2048 tokens, batch 1-64). Predictions made on the Predict "
        "page replace it."
    )
else:
    st.write(f"{len(predictions)} what-if predictions from this session will be included.")
html = build_report(data, model, title, predictions, configs)
st.download_button(
    "Download HTML report", html.encode(), "ala-report.html", "text/html", type="primary"
)
st.download_button(
    "Download parameter table (CSV)",
    csv_bytes(model.database_),
    "parameters.csv",
    "text/csv",
)
st.download_button(
    "Download predictions (CSV)",
    csv_bytes(predictions),
    "predictions.csv",
    "text/csv",
    disabled=predictions.empty,
)
with st.expander("Preview"):
    st.iframe(html, height=700)  # user text in the report is HTML-escaped
