"""Scheduling: policies under output-length uncertainty on a real request trace."""

import streamlit as st

from ala import plots
from ala.errors import AlaError
from ala.scheduling.policies import POLICIES
from ala.ui import panels, state
from ala.ui.widgets import caption, plain

state.page_header("Scheduling under output-length uncertainty")
st.caption(
    "One worker with a KV cache of M tokens; output lengths are known only as an interval: "
    "[(1−x)·o, (1+x)·o] around the truth, or a length predictor's, fitted on the first half "
    "of the trace. Azure LLM inference trace 2023 (CC-BY-4.0)."
)
c1, c2, c3 = st.columns(3)
TRACES = {"conv": "Azure conversation", "code": "Azure coding", "upload": "Upload a trace"}
trace_name = c1.selectbox("Trace", list(TRACES), key="sch-trace", format_func=TRACES.get)
memory = c2.number_input("KV-cache memory M (tokens)", 1000, 10_000_000, 16492, key="sch-mem")
kind = c3.selectbox("Intervals", ["symmetric", "random", "predicted"], key="sch-kind")
label = "Predictor coverage level" if kind == "predicted" else "Interval width x"
width = c3.slider(label, 0.05 if kind == "predicted" else 0.0, 0.95, 0.5, 0.05, key="sch-width")
c4, c5, c6 = st.columns(3)
limit = c4.number_input("Requests (first N)", 10, 30000, 2000, 500, key="sch-limit")
all_at_zero = c5.toggle("All requests at time 0 (paper's setting)", True, key="sch-zero")
policies = c6.multiselect("Policies", list(POLICIES), default=list(POLICIES), key="sch-pol")
upload = (
    st.file_uploader(
        "Trace: CSV or JSON lines (arrival time, prompt tokens, output tokens)",
        type=["csv", "jsonl", "json"],
        key="sch-upload",
    )
    if trace_name == "upload"
    else None
)
content = upload.getvalue() if upload is not None else None
if trace_name == "upload" and content is None:
    st.info("Upload a trace to simulate it.")
    st.stop()
try:
    result = state.schedule(
        trace_name,
        content,
        int(memory),
        float(width),
        int(limit),
        all_at_zero,
        tuple(policies),
        kind,
    )
except (AlaError, ValueError) as exc:
    st.error(plain(exc))
    st.stop()
st.markdown("\n".join(f"- {note}" for note in result.notes))
st.dataframe(result.summary, width="stretch")
st.plotly_chart(plots.latency_bars(result.summary), width="stretch")
caption(
    "hindsight knows every length but is a heuristic, not the optimum: the lower bound is what "
    "no schedule can beat (memory-time at full capacity), so its bar is the honest gap."
)
shown = st.selectbox("Memory over time of", list(result.memory), key="sch-memplot")
rounds, values = result.memory[shown]
st.plotly_chart(plots.memory_figure(rounds, values, int(memory)), width="stretch")
caption(
    "memory grows by one token per running request per round and drops when a request "
    "finishes or is evicted; the dashed line is the capacity."
)
panels.width_sweep(trace_name, content, int(memory), int(limit), all_at_zero, tuple(policies))
