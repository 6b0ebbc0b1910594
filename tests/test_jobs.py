"""Background jobs: progress, reuse, cancel, failure and interruption, in the workspace."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from ala import jobs
from ala.data import load_benchmarks
from ala.errors import AlaError
from ala.store import Workspace

from .conftest import synthetic_frame


@pytest.fixture
def workspace(tmp_path):
    return Workspace(tmp_path)


def _dataset(workspace: Workspace) -> int:
    content = synthetic_frame(noise=0.02).to_csv(index=False).encode()
    data = load_benchmarks(content, name="synthetic.csv")
    return workspace.add_dataset("synthetic.csv", content, None, 1, data.report.summary())


def _evaluate(workspace: Workspace, **extra: object) -> int:
    dataset_id = _dataset(workspace)
    params = {
        "dataset_id": dataset_id,
        "methods": ["default"],
        "protocols": ["loo_inner"],
        "level": 0.9,
        "fingerprint": workspace.settings(dataset_id).fingerprint,
        **extra,
    }
    return jobs.submit(workspace, "evaluate", params, "Evaluate", start=False)


def test_a_job_reports_progress_and_stores_a_result_that_is_reused(workspace):
    job_id = _evaluate(workspace)
    seen: list[tuple[int, int]] = []
    original = workspace.job_progress

    def spy(job: int, done: int, total: int) -> bool:
        seen.append((done, total))
        return original(job, done, total)

    workspace.job_progress = spy  # type: ignore[method-assign]
    jobs.work(str(workspace.path), job_id)  # a fresh Workspace inside: progress still stored
    state = jobs.job_states(workspace)[0]
    assert state.status == "finished", state.message
    assert state.total > 1
    assert state.done == state.total
    assert state.fraction == 1.0
    result = jobs.comparison(workspace.job_result(job_id))
    assert result.summary.loc[0, "method"] == "default"
    assert isinstance(result.errors["config"].iloc[0], tuple)
    assert _evaluate(workspace) == job_id  # the same question reuses the finished job
    assert _evaluate(workspace, level=0.8) != job_id


def test_cancelling_stops_the_worker_at_its_next_report(workspace):
    job_id = _evaluate(workspace)
    workspace.cancel_job(job_id)
    jobs.work(str(workspace.path), job_id)
    state = jobs.job_states(workspace)[0]
    assert state.status == "cancelled"
    assert state.done == 1  # stopped after the first unit of work
    assert workspace.job_result(job_id) is None
    assert _evaluate(workspace) != job_id  # a cancelled job is not reused


def test_a_failing_job_records_why(workspace):
    job_id = jobs.submit(
        workspace,
        "evaluate",
        {"dataset_id": 99, "methods": [], "protocols": [], "level": 0.9},
        "Evaluate",
        start=False,
    )
    jobs.work(str(workspace.path), job_id)
    state = jobs.job_states(workspace)[0]
    assert state.status == "failed"
    assert "dataset 99 is not in the workspace" in state.message
    with pytest.raises(AlaError, match="unknown job kind"):
        jobs.submit(workspace, "mine bitcoin", {}, "x")


def test_a_job_whose_worker_died_is_marked_interrupted(workspace):
    job_id = _evaluate(workspace)
    with workspace._connect() as con:  # noqa: SLF001 - simulate a worker that vanished
        con.execute(
            "UPDATE jobs SET status = 'running', owner_pid = 999999999 WHERE id = ?", (job_id,)
        )
    reopened = Workspace(workspace.path)
    assert jobs.job_states(reopened)[0].status == "interrupted"


def test_eta_is_linear_in_the_work_done():
    frame = pd.DataFrame(
        [
            {
                "id": 1,
                "kind": "evaluate",
                "title": "t",
                "status": "running",
                "done": 2,
                "total": 6,
                "created": 0.0,
                "started": 100.0,
                "updated": 110.0,
                "message": "",
            }
        ]
    )

    class Fake:
        def jobs(self, limit: int) -> pd.DataFrame:
            return frame

    state = jobs.job_states(Fake(), now=120.0)[0]  # type: ignore[arg-type]
    assert state.elapsed_s == 20
    assert state.eta_s == pytest.approx(40)
    assert state.describe() == "2 of 6 · 20 s elapsed · about 40 s left"


def test_a_real_worker_process_runs_a_scheduling_sweep(workspace):
    """Spawned, outside the caller: the sweep's cells report progress and the result loads."""
    params = {
        "trace": "conv",
        "limit": 100,
        "memory": 4000,
        "all_at_zero": True,
        "policies": ["a_min", "fcfs"],
        "scheduler": "",
    }
    job_id = jobs.submit(workspace, "width_sweep", params, "Sweep")
    deadline = time.monotonic() + 120
    while jobs.job_states(workspace)[0].active and time.monotonic() < deadline:
        time.sleep(0.5)
    state = jobs.job_states(workspace)[0]
    assert state.status == "finished", state.message
    assert state.done == state.total > 0
    sweep = jobs.width_sweep_result(workspace.job_result(job_id))
    jobs._reap()  # noqa: SLF001 - the finished worker is reaped, not left a zombie
    assert set(sweep.table["policy"]) == {"a_min", "fcfs"}


def test_an_annealing_run_is_annealed_by_its_own_worker_process(workspace):
    """The run's rows and settings go through the workspace to a spawned worker, which logs
    every step and finishes the run."""
    from ala.annealing import AnnealSettings

    dataset_id = _dataset(workspace)
    universe = synthetic_frame(noise=0.02)
    universe = universe[universe["acc"] == "GPU-A"][["ii", "oo", "bb", "thpt"]]
    settings = AnnealSettings(iterations=5, seed=1)
    run_id = jobs.start_anneal(workspace, dataset_id, "GPU-A", universe, settings)
    deadline = time.monotonic() + 120
    while workspace.run_status(run_id) == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert workspace.run_status(run_id) == "finished"
    assert len(workspace.run_trace(run_id)) == 5  # one logged step per iteration
    state = next(s for s in jobs.run_states(workspace) if s.id == run_id)
    assert (state.done, state.total, state.fraction) == (5, 5, 1.0)  # a finished run is full
    jobs._reap()  # noqa: SLF001 - the finished worker is reaped
