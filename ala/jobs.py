"""Background jobs: long work in a worker process that writes its progress to the workspace.

A job is a kind (``evaluate``, ``width_sweep``), JSON parameters and an optional payload
(an uploaded trace). :func:`submit` stores it and starts a fresh interpreter
(``python -m ala.jobs WORKSPACE job ID``: never a fork of a server with threads) that claims
it, reports ``(done, total)`` after each unit of work and stores a JSON result. The same
kind, parameters and payload submitted again reuse the queued, running or finished job
instead of computing it again; parameters carry the dataset's fingerprint, so a changed
dataset never reuses a stale result. Cancelling sets a flag that the next progress report
turns into :class:`Cancelled`. Nothing here imports streamlit: the app polls
:meth:`ala.store.Workspace.jobs` and draws the progress.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ala.errors import AlaError
from ala.store import Workspace

if TYPE_CHECKING:
    from ala.annealing import AnnealSettings

Progress = Callable[[int, int], None]
JobFunction = Callable[[Workspace, dict[str, Any], bytes | None, Progress], dict[str, Any]]


class Cancelled(AlaError):
    """Raised inside a job's worker when the user cancelled it."""


def job_key(kind: str, params: Mapping[str, Any], payload: bytes | None = None) -> str:
    """What makes two jobs the same work: kind, parameters and payload bytes."""
    text = json.dumps([kind, dict(params)], sort_keys=True)
    digest = hashlib.sha256(text.encode())
    digest.update(hashlib.sha256(payload or b"").digest())
    return digest.hexdigest()


def submit(
    workspace: Workspace,
    kind: str,
    params: Mapping[str, Any],
    title: str,
    payload: bytes | None = None,
    start: bool = True,
) -> int:
    """Run ``kind`` with ``params`` in a worker process; returns the job id.

    A queued, running or finished job with the same key is returned instead (its result is
    reused). ``start=False`` only records the job (tests run :func:`work` in-process).

    Raises
    ------
    AlaError
        For an unknown kind.
    """
    if kind not in KINDS:
        raise AlaError(f"unknown job kind {kind!r}; known: {', '.join(KINDS)}")
    key = job_key(kind, params, payload)
    found = workspace.latest_job(key, reusable=True)
    if found is not None:
        return found
    job_id = workspace.create_job(kind, key, title, params, payload)
    if start:
        _spawn(workspace, "job", job_id)
    return job_id


def _spawn(workspace: Workspace, what: str, item_id: int) -> None:
    """Start ``python -m ala.jobs WORKSPACE job|anneal ID``: a process of its own (not a
    multiprocessing child of the server), so it may start its own worker pool, outlives a
    page switch or a server restart, and its owner token lets the workspace tell when it
    died."""
    _reap()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        [sys.executable, "-m", "ala.jobs", str(workspace.path.resolve()), what, str(item_id)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _CHILDREN.append(process)


_CHILDREN: list[subprocess.Popen[bytes]] = []  # kept until they exit, then reaped


def _reap() -> None:
    _CHILDREN[:] = [p for p in _CHILDREN if p.poll() is None]


def work(workspace_path: str, job_id: int) -> None:
    """The worker: claim the job, run it with progress reports, store how it ended."""
    workspace = Workspace(Path(workspace_path))
    kind, params, payload = workspace.claim_job(job_id)

    def progress(done: int, total: int) -> None:
        if workspace.job_progress(job_id, done, total):
            raise Cancelled("cancelled by the user")

    try:
        result = KINDS[kind](workspace, params, payload, progress)
    except Cancelled:
        workspace.finish_job(job_id, "cancelled", "cancelled by the user")
    except AlaError as exc:
        workspace.finish_job(job_id, "failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - a worker must record any failure, not vanish
        workspace.finish_job(job_id, "failed", f"{type(exc).__name__}: {exc}")
    else:
        workspace.finish_job(job_id, "finished", "", result)


@dataclass(frozen=True, slots=True)
class JobState:
    """A job as the progress bar shows it."""

    id: int
    kind: str
    title: str
    status: str
    done: int
    total: int
    elapsed_s: float
    eta_s: float | None  # None until the first unit of work is done
    message: str

    @property
    def fraction(self) -> float:
        """Share of the work done, 0-1."""
        return min(1.0, self.done / self.total) if self.total else 0.0

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.status in ("queued", "running")

    def describe(self) -> str:
        """``"3 of 12 folds · 20 s elapsed · about 1 min left"``-style progress text."""
        parts = [f"{self.done} of {self.total}" if self.total else "starting"]
        parts.append(f"{_duration(self.elapsed_s)} elapsed")
        if self.active and self.eta_s is not None:
            parts.append(f"about {_duration(self.eta_s)} left")
        return " · ".join(parts)


def job_states(workspace: Workspace, limit: int = 20, now: float | None = None) -> list[JobState]:
    """The newest jobs with elapsed time and a linear ETA (time per unit so far)."""
    now = time.time() if now is None else now
    _reap()  # finished workers of this process are collected, not left as zombies
    out = []
    for row in workspace.jobs(limit).itertuples(index=False):
        started = float(row.started) if pd.notna(row.started) else None
        end = now if row.status in ("queued", "running") else float(row.updated)
        elapsed = max(0.0, end - started) if started is not None else 0.0
        out.append(
            _state(row, str(row.kind), str(row.title), int(row.done), int(row.total), elapsed)
        )
    return out


def _state(row: Any, kind: str, title: str, done: int, total: int, elapsed: float) -> JobState:
    """A job or run row (``id``, ``status``, ``message``) as a progress state, with a linear
    ETA (the time per unit of work so far) while it is active."""
    status = str(row.status)
    active = status in ("queued", "running")
    eta = elapsed / done * max(total - done, 0) if done and active else None
    return JobState(int(row.id), kind, title, status, done, total, elapsed, eta, str(row.message))


def run_states(workspace: Workspace, dataset_id: int | None = None) -> list[JobState]:
    """Annealing runs as progress states: iterations logged of those asked for, with ETA."""
    now = time.time()
    out = []
    for row in workspace.runs(dataset_id).itertuples(index=False):
        active = row.status == "running"
        elapsed = max(0.0, (now if active else float(row.updated)) - float(row.created))
        done = int(row.steps)
        total = int(row.iterations) if pd.notna(row.iterations) else done  # a step each
        out.append(_state(row, "anneal", f"Annealing {row.config}", done, total, elapsed))
    return out


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ------------------------------------------------------------------ frames as JSON
def frame_doc(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as a JSON-able document (tuples become lists)."""
    doc: dict[str, Any] = json.loads(frame.to_json(orient="split", index=False))
    return doc


def doc_frame(doc: Mapping[str, Any], tuple_columns: tuple[str, ...] = ("config",)) -> pd.DataFrame:
    """The frame :func:`frame_doc` wrote; ``tuple_columns`` get their tuples back."""
    text = json.dumps(dict(doc))
    frame = pd.read_json(io.StringIO(text), orient="split", dtype=False)
    for column in tuple_columns:
        if column in frame.columns:
            frame[column] = [tuple(v) if isinstance(v, list) else v for v in frame[column]]
    return frame


# ------------------------------------------------------------------ job kinds
def stored_benchmarks(workspace: Workspace, dataset_id: int) -> Any:
    """A stored dataset, read with its current settings (as the app reads it)."""
    from ala.data import load_benchmarks

    name, content, _ = workspace.dataset(dataset_id)
    settings = workspace.settings(dataset_id)
    return load_benchmarks(
        content,
        columns=settings.columns or None,
        config_columns=settings.config_columns,
        exclude_rows=settings.excluded,
        name=name,
    )


def _evaluate(
    workspace: Workspace, params: dict[str, Any], payload: bytes | None, progress: Progress
) -> dict[str, Any]:
    """Compare methods under hold-out protocols on a stored dataset (the Compare page)."""
    from ala.service import compare

    data = stored_benchmarks(workspace, int(params["dataset_id"]))
    result = compare(
        data, params["methods"], params["protocols"], level=params["level"], on_fold=progress
    )
    errors = result.errors
    if "model" in data.config_columns:
        where = data.config_columns.index("model")
        errors = errors.assign(model=[key[where] for key in errors["config"]])
    return {
        "summary": frame_doc(result.summary.round(2)),
        "errors": frame_doc(errors),
        "skipped": frame_doc(result.skipped),
        "level": result.level,
    }


def comparison(doc: Mapping[str, Any]) -> Any:
    """The :class:`ala.service.Comparison` an ``evaluate`` job stored."""
    from ala.service import Comparison

    return Comparison(
        doc_frame(doc["summary"]),
        doc_frame(doc["errors"]),
        doc_frame(doc["skipped"]),
        doc.get("level"),
    )


def _width_sweep(
    workspace: Workspace, params: dict[str, Any], payload: bytes | None, progress: Progress
) -> dict[str, Any]:
    """Scheduling policies over interval widths (the Scheduling page's sweep)."""
    from ala.datasets import sample_trace_path
    from ala.scheduling.run import Scenario
    from ala.service import read_trace, width_sweep

    limit = int(params["limit"])
    if payload is not None:
        trace = read_trace(payload, limit, name="upload.csv")
    else:
        trace = read_trace(
            sample_trace_path("code" if params["trace"] == "code" else "conv"), limit
        )
    scenario = Scenario(memory=int(params["memory"]), all_at_zero=bool(params["all_at_zero"]))
    sweep = width_sweep(
        trace,
        scenario,
        params["policies"],
        processes=None,
        scheduler=params.get("scheduler") or None,
        on_done=progress,
    )
    return {"table": frame_doc(sweep.table), "bounds": frame_doc(sweep.bounds)}


def width_sweep_result(doc: Mapping[str, Any]) -> Any:
    """The :class:`ala.service.WidthSweep` a ``width_sweep`` job stored."""
    from ala.service import WidthSweep

    return WidthSweep(doc_frame(doc["table"]), doc_frame(doc["bounds"]))


KINDS: dict[str, JobFunction] = {"evaluate": _evaluate, "width_sweep": _width_sweep}


# ------------------------------------------------------------------ annealing runs
def start_anneal(
    workspace: Workspace,
    dataset_id: int,
    config: str,
    universe: pd.DataFrame,
    settings: AnnealSettings,
) -> int:
    """Record an annealing run (its rows and settings) and anneal it in a worker process.

    Runs keep their own tables (every step is logged for the live chart and Algorithm 8),
    so they are not generic jobs; their worker is started the same way and reads the run
    back from the workspace.
    """
    run_id = workspace.create_run(dataset_id, config, settings, universe)
    _spawn(workspace, "anneal", run_id)
    return run_id


def anneal_worker(workspace_path: str, run_id: int) -> None:
    """The annealing worker: anneal the stored run, writing each step, and record how it
    ended."""
    from ala.annealing import anneal

    workspace = Workspace(Path(workspace_path))
    workspace.claim_run(run_id)
    try:
        stored = workspace.load_run(run_id)
        run = anneal(
            stored.universe,
            stored.settings,
            config=stored.config,
            on_step=lambda step: workspace.add_step(run_id, step),
            should_stop=lambda: workspace.cancel_requested(run_id),
        )
        workspace.finish_run(run_id, "cancelled" if run.stopped else "finished")
    except AlaError as exc:
        workspace.finish_run(run_id, "failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - a worker must record any failure, not vanish
        workspace.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    path, what, item = sys.argv[1], sys.argv[2], int(sys.argv[3])
    (anneal_worker if what == "anneal" else work)(path, item)
