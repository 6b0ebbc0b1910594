"""Report: what the user added (predictions, decision tables) as a report for stakeholders."""

import streamlit as st

from ala.files import csv_bytes
from ala.ui import state
from ala.ui.widgets import plain

page = state.open_page("Report")
ws = state.workspace()
title = st.text_input("Title", "LLM inference: sizing recommendation and how far to trust it")
items = ws.report_items(page.dataset_id)
if not items:
    st.info(
        "Nothing added yet: use **Add to report** on the Predict and Sizing pages. Until then "
        "the report shows a standard grid of predictions and the curves."
    )
for item_id, kind, item_title, _ in items:
    left, right = st.columns([6, 1])
    left.write(f"{'Decision table' if kind == 'decision' else 'Prediction'}: {plain(item_title)}")
    if right.button("Remove", key=f"remove-{item_id}"):
        ws.remove_report_item(item_id)
        st.rerun()
html, predictions = state.report_html(page.dataset_id, title)
st.download_button(
    "Download HTML report", html.encode(), "ala-report.html", "text/html", type="primary"
)
st.download_button(
    "Download the predictions (CSV)",
    csv_bytes(predictions),
    "predictions.csv",
    "text/csv",
    disabled=predictions.empty,
)
assert page.model is not None
st.download_button(
    "Download the parameter table (CSV)", csv_bytes(page.model.database_), "parameters.csv"
)
with st.expander("Preview", expanded=True):
    st.iframe(html, height=900)  # user text in the report is HTML-escaped
