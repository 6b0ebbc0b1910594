"""ala dashboard: navigation only; each page lives in pages/.

A page that fails shows one message, never a traceback: a user's mistake (an ``AlaError``)
as itself, anything else as an unexpected error with its details in the server log.
"""

import streamlit as st

from ala.ui.widgets import run_page

st.set_page_config(page_title="ala · LLM throughput", page_icon=":material/speed:", layout="wide")
page = st.navigation(
    {
        "Benchmarks": [
            st.Page("pages/data.py", title="Data", icon=":material/upload_file:", default=True),
            st.Page("pages/curves.py", title="Curves", icon=":material/show_chart:"),
        ],
        "Predict": [
            st.Page("pages/predict.py", title="Predict", icon=":material/online_prediction:"),
            st.Page("pages/transfer.py", title="Transfer", icon=":material/swap_horiz:"),
            st.Page("pages/sizing.py", title="Sizing", icon=":material/table:"),
            st.Page("pages/slo.py", title="SLO sizing", icon=":material/timer:"),
            st.Page("pages/compare.py", title="Compare", icon=":material/leaderboard:"),
            st.Page("pages/annealing.py", title="Annealing", icon=":material/thermostat:"),
        ],
        "Operate": [
            st.Page("pages/scheduling.py", title="Scheduling", icon=":material/schedule:"),
            st.Page("pages/report.py", title="Report", icon=":material/summarize:"),
        ],
    }
)
run_page(page)
