"""Background annealing runs: a worker process per run that writes every step to the workspace.

The worker never calls ``st.*`` and does not share the server's interpreter, so it neither
slows rendering nor dies with a page switch; pages poll the workspace from a fragment. The
store is process-safe (SQLite in WAL mode, one connection per call). Cancelling sets a flag in
the database that the worker's ``should_stop`` reads.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pandas as pd

from ala.annealing import AnnealSettings, anneal
from ala.errors import AlaError
from ala.store import Workspace


def start_run(
    workspace: Workspace,
    dataset_id: int,
    config: str,
    universe: pd.DataFrame,
    settings: AnnealSettings,
) -> int:
    """Create a run in the workspace and start annealing it in a separate process."""
    run_id = workspace.create_run(dataset_id, config, settings, universe)
    # "spawn": a fresh interpreter, never a fork of the server with its threads and sockets.
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=work,
        args=(str(workspace.path), run_id, config, universe, settings),
        name=f"ala-anneal-{run_id}",
        daemon=True,
    )
    process.start()
    return run_id


def work(
    workspace_path: str, run_id: int, config: str, universe: pd.DataFrame, settings: AnnealSettings
) -> None:
    """The worker process: anneal, writing each step, and record how the run ended."""
    workspace = Workspace(Path(workspace_path))
    workspace.claim_run(run_id)
    try:
        run = anneal(
            universe,
            settings,
            config=config,
            on_step=lambda step: workspace.add_step(run_id, step),
            should_stop=lambda: workspace.cancel_requested(run_id),
        )
        workspace.finish_run(run_id, "cancelled" if run.stopped else "finished")
    except AlaError as exc:
        workspace.finish_run(run_id, "failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - a worker must record any failure, not vanish
        workspace.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}")
