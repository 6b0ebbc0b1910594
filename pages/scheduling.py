"""Scheduling: policies under output-length uncertainty on a real request trace."""

import streamlit as st

from ala import plots
from ala.errors import AlaError
from ala.ui import panels, state
from ala.ui.widgets import caption, plain, scenario_inputs

state.page_header("Scheduling under output-length uncertainty")
st.caption(
    "One worker with a KV cache of M tokens; output lengths are known only as an interval: "
    "[(1−x)·o, (1+x)·o] around the truth, or a length predictor's, fitted on the first half "
    "of the trace. Azure LLM inference trace 2023 (CC-BY-4.0)."
)
trace_name, memory, kind, width, limit, all_at_zero, policies = scenario_inputs()
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
