"""Background annealing runs: a thread per run that writes every step to the workspace.

The worker never calls ``st.*``; pages poll the workspace from a fragment. Threads live in the
server process, so a run keeps going across page switches and browser reloads; cancelling
sets a flag in the database that the worker's ``should_stop`` reads.
"""

from __future__ import annotations

import threading

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
    """Create a run in the workspace and start annealing it in a daemon thread."""
    run_id = workspace.create_run(dataset_id, config, settings, universe)

    def work() -> None:
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

    threading.Thread(target=work, name=f"ala-anneal-{run_id}", daemon=True).start()
    return run_id
