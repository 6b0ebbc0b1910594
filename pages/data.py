"""Data: upload benchmark CSVs or use the bundled sample; see what was kept and dropped."""

import streamlit as st

from ala.data import ALIASES, REQUIRED, config_summary
from ala.ui import state
from ala.ui.panels import dataset_settings
from ala.ui.widgets import plain

state.page_header("Benchmark data")
st.caption(
    "Upload benchmark CSVs (ii, oo, bb, throughput + configuration columns) or work on "
    "the bundled LLM-Inference-Bench sample (BSD-3-Clause, Argonne)."
)
ws = state.workspace_or_stop()

uploads = st.file_uploader(
    "Drop benchmark CSVs, or benchmark-tool results (vllm bench serve, GuideLLM, AIPerf, "
    "LLMPerf, inference-perf JSON, several at once or zipped; AIConfigurator CSV)",
    type=["csv", "tsv", "txt", "json", "zip"],
    accept_multiple_files=True,
    key="uploads",
)
for name, content in state.tool_uploads(uploads):
    mapping = st.session_state.get(f"map-{name}")
    outcome, new = state.ingest_once(name, content, mapping)
    if outcome.error:
        st.error(plain(outcome.error), icon=":material/error:")
        if outcome.columns:
            with st.expander(f"Map the columns of {plain(name)}", expanded=True):
                picks = {
                    c: st.selectbox(c, ["—", *outcome.columns], key=f"pick-{name}-{c}")
                    for c in REQUIRED
                }
                if st.button("Apply mapping", key=f"apply-{name}"):
                    st.session_state[f"map-{name}"] = {k: v for k, v in picks.items() if v != "—"}
                    st.rerun()
        continue
    if new:
        state.select_dataset(outcome.dataset_id)
    st.success(
        f"{plain(name)}: {outcome.data.report.rows_kept:,} rows kept, "
        f"{outcome.data.report.rows_dropped:,} dropped; saved to the workspace."
    )

datasets = ws.datasets()
names = dict(zip(datasets["id"], datasets["name"], strict=True))
unusable = dict(zip(datasets["id"], datasets["problem"] != "", strict=True))
current = state.current_dataset_id()
chosen = st.selectbox(
    "Dataset to work on",
    list(names),
    index=list(names).index(current),
    format_func=lambda i: f"{names[i]} (#{i})" + (" · cannot be fitted" if unusable[i] else ""),
)
state.select_dataset(chosen)
data = state.benchmarks(chosen)
report = data.report

left, mid, right = st.columns(3)
left.metric("Rows kept", f"{report.rows_kept:,}")
mid.metric("Rows dropped", f"{report.rows_dropped:,}")
right.metric("Repeats averaged", f"{report.repeats_merged:,}")
for note in report.notes:
    st.info(plain(note), icon=":material/info:")
dataset_settings(chosen, data)
with st.expander("Validation report", expanded=bool(report.dropped)):
    st.code(report.summary(), language=None)
    st.write("Columns used:", {k: v for k, v in report.column_map.items()})
st.subheader("Configurations")
st.dataframe(config_summary(data.frame, data.config_columns), width="stretch", hide_index=True)
st.subheader("Preview")
st.dataframe(data.frame.head(200), width="stretch", hide_index=True)
st.caption(
    "Recognised column spellings: "
    + "; ".join(f"{k}: {', '.join(v[:4])}…" for k, v in ALIASES.items() if k in REQUIRED)
)
