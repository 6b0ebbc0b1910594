"""Progress of background work on every page: jobs and annealing runs, with ETA and cancel.

The sidebar panel is a fragment that polls the workspace every two seconds while anything
runs, so a long evaluation shows its progress on whatever page the user is on and after a
reload; the work itself runs in worker processes (:mod:`ala.jobs`) and never in the server.
"""

from __future__ import annotations

import streamlit as st

from ala.jobs import JobState, job_states, run_states
from ala.store import Workspace

POLL_S = 2.0


def sidebar(workspace: Workspace) -> None:
    """Draw the background-work panel in the sidebar (polling only while work is active)."""
    states = job_states(workspace, limit=8) + run_states(workspace)
    active = any(s.active for s in states)
    with st.sidebar:
        st.fragment(_panel, run_every=POLL_S if active else None)(workspace)


def _panel(workspace: Workspace) -> None:
    states = job_states(workspace, limit=8)
    runs = [r for r in run_states(workspace) if r.active]
    if not states and not runs:
        return
    st.markdown("**Background work**")
    for state in states:
        if state.active:
            job_progress(workspace, state, key="side")
    for run in runs:  # cancelled on the Annealing page, which owns the run's chart
        st.progress(run.fraction, text=f"#{run.id} {run.title}: {run.describe()}")
    done = [s for s in states if not s.active][:3]
    for state in done:
        st.caption(f"#{state.id} {state.title}: {state.status} ({state.describe()})")


def job_progress(workspace: Workspace, state: JobState, key: str) -> None:
    """One job's progress bar with its ETA, and a Cancel button while it runs."""
    st.progress(state.fraction, text=f"#{state.id} {state.title}: {state.describe()}")
    if state.active and st.button("Cancel", key=f"cancel-job-{key}-{state.id}"):
        workspace.cancel_job(state.id)
        st.toast(f"Cancelling #{state.id}...")


def watch(workspace: Workspace, job_id: int) -> JobState | None:
    """Poll one job in a fragment on the page that started it; when it ends, rerun the page
    so it draws the result. Returns the job's state at this run."""
    state = next((s for s in job_states(workspace, limit=50) if s.id == job_id), None)
    if state is None or not state.active:
        return state

    def poll() -> None:
        now = next((s for s in job_states(workspace, limit=50) if s.id == job_id), None)
        if now is None or not now.active:
            st.rerun(scope="app")
        job_progress(workspace, now, key="page")

    st.fragment(poll, run_every=1.0)()
    return state
