"""Sweeps over many (policy, interval, load, seed) cells, in worker processes or on Dask.

A :class:`Cell` is one simulation described by value (the trace's arrays travel with it), so
cells run anywhere: :func:`run_cells` hands them to :func:`ala.parallel.map_tasks`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ala.errors import AlaError
from ala.parallel import map_tasks
from ala.scheduling.bounds import best_bound
from ala.scheduling.engine import Timing
from ala.scheduling.metrics import Slo
from ala.scheduling.policies import make_policy
from ala.scheduling.run import Scenario, make_instance, simulate
from ala.scheduling.traces import Trace
from ala.scheduling.workload import Process, retimed


@dataclass(frozen=True, slots=True)
class Cell:
    """One simulation: a policy on a trace under a scenario, optionally timed and re-timed.

    ``rate`` (requests/s) with ``process`` replays the trace's requests at that mean rate;
    ``policy_params`` are the policy's settings (e.g. ``(("aging", 0.5),)``); ``labels`` are
    copied into the result row (e.g. the load as a share of capacity).
    """

    trace: Trace
    scenario: Scenario
    policy: str
    timing: Timing | None = None
    rate: float | None = None
    process: Process = "trace"
    slo: Slo | None = None
    with_bound: bool = False
    labels: tuple[tuple[str, Any], ...] = ()
    policy_params: tuple[tuple[str, Any], ...] = ()


def run_cell(cell: Cell) -> dict[str, Any]:
    """Simulate one cell; the row of figures it adds to a sweep table."""
    trace = cell.trace
    if cell.rate is not None:
        trace = retimed(trace, cell.rate, cell.process, cell.scenario.seed)
    inst = make_instance(trace, cell.scenario)
    policy = make_policy(cell.policy, **dict(cell.policy_params))
    result = simulate(inst, policy, cell.scenario.memory, cell.timing)
    row: dict[str, Any] = {**dict(cell.labels), "policy": cell.policy, **result.row(cell.slo)}
    row["interval_coverage"] = float(inst.covered().mean()) if len(inst) else 1.0
    if cell.with_bound:
        bound = best_bound(inst, cell.scenario.memory, result.finished)
        row["bound"] = bound.value
        row["bound_method"] = bound.method
        row["vs_bound"] = row["total_latency"] / bound.value if bound.value else 1.0
    return row


def run_cells(
    cells: Sequence[Cell],
    processes: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Every cell's row, in order: on Dask at ``scheduler``, else in local processes;
    ``on_done(done, total)`` reports progress."""
    rows = map_tasks(
        run_cell,
        cells,
        processes=processes,
        scheduler=scheduler,
        preload=("ala.scheduling",),
        on_done=on_done,
    )
    return pd.DataFrame(rows)


def capacity_rps(trace: Trace, scenario: Scenario, timing: Timing) -> float:
    """Requests/s the server completes when saturated: every request at once under FCFS."""
    saturated = replace(scenario, all_at_zero=True)
    result = simulate(make_instance(trace, saturated), "fcfs", scenario.memory, timing)
    span = (result.summary().get("seconds") or {}).get("makespan", 0.0)
    if not span:
        raise AlaError("the capacity run took no time: check the timing")
    return float(result.finished.sum()) / float(span)


@dataclass(frozen=True, slots=True)
class LoadSweep:
    """Latency and SLO attainment per policy and load (a share of capacity)."""

    table: pd.DataFrame
    capacity_rps: float
    process: Process
    slo: Slo | None
    goal: float

    def breaking_load(self) -> dict[str, float | None]:
        """Per policy, the lowest load whose SLO attainment falls below the goal (None: none)."""
        out: dict[str, float | None] = {}
        for policy, rows in self.table.groupby("policy", sort=False):
            if self.slo is None or "slo_attainment" not in rows:
                out[str(policy)] = None
                continue
            failing = rows.loc[rows["slo_attainment"] < self.goal, "load"]
            out[str(policy)] = float(failing.min()) if not failing.empty else None
        return out

    def format(self) -> str:
        """p99 end-to-end seconds by load and policy, then where each policy breaks the SLO."""
        text = f"capacity {self.capacity_rps:.3g} requests/s ({self.process} arrivals); " + (
            pivot_text(self.table, "load", "p99_latency_s", "p99 end-to-end latency (s) by load")
        )
        if self.slo is not None:
            text += "\n" + pivot_text(self.table, "load", "slo_attainment", "SLO attainment")
            breaks = ", ".join(
                f"{p}: {'holds' if v is None else f'{v:.0%}'}"
                for p, v in self.breaking_load().items()
            )
            text += f"\nload at which attainment falls below {self.goal:.0%}: {breaks}"
        return text

    def __repr__(self) -> str:
        return self.format()


def load_sweep(
    trace: Trace,
    scenario: Scenario,
    policies: Sequence[str],
    timing: Timing,
    loads: Sequence[float] = (0.5, 0.7, 0.8, 0.9, 0.95),
    process: Process = "poisson",
    slo: Slo | None = None,
    goal: float = 0.9,
    processes: int | None = None,
    scheduler: str | None = None,
) -> LoadSweep:
    """Each policy at each load, a share of the capacity measured on the same requests.

    Raises
    ------
    AlaError
        If a load is not positive or the goal is not in (0, 1].
    """
    if not loads or any(not (np.isfinite(x) and x > 0) for x in loads):
        raise AlaError("loads must be positive shares of capacity, e.g. 0.5,0.8,0.95")
    if not 0 < goal <= 1:
        raise AlaError(f"the SLO attainment goal must lie in (0, 1], got {goal}")
    capacity = capacity_rps(trace, scenario, timing)
    timed = replace(scenario, all_at_zero=False)
    cells = [
        Cell(
            trace,
            timed,
            p,
            timing,
            capacity * load,
            process,
            slo,
            labels=(("load", float(load)), ("rate_rps", capacity * load)),
        )
        for load in loads
        for p in policies
    ]
    return LoadSweep(run_cells(cells, processes, scheduler), capacity, process, slo, goal)


def level_sweep(
    trace: Trace,
    scenario: Scenario,
    policies: Sequence[str],
    levels: Sequence[float] = (0.5, 0.7, 0.8, 0.9, 0.95),
    processes: int | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Policies on a length predictor's intervals at each coverage level, against the bound."""
    if not levels or any(not 0 < lv < 1 for lv in levels):
        raise AlaError("coverage levels must lie between 0 and 1, e.g. 0.5,0.8,0.9")
    cells = [
        Cell(
            trace,
            replace(scenario, interval_kind="predicted", level=float(level)),
            p,
            with_bound=True,
            labels=(("level", float(level)),),
        )
        for level in levels
        for p in policies
    ]
    return run_cells(cells, processes, scheduler)


def pivot_text(table: pd.DataFrame, index: str, values: str, title: str) -> str:
    """``title:`` and ``values`` as an ``index`` x policy text table."""
    pivot = table.pivot(index=index, columns="policy", values=values)
    return f"{title}:\n" + str(pivot.to_string(float_format="%.4g"))


def width_sweep_table(
    trace: Trace,
    scenario: Scenario,
    widths: Sequence[float],
    policies: Sequence[str],
    timing: Timing | None = None,
    processes: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Each policy at each synthetic interval width; ``ratio`` = total latency / hindsight's,
    ``vs_bound`` = total latency / the best lower bound (untimed runs only)."""
    chosen = tuple(dict.fromkeys(("hindsight", *policies)))
    cells = [
        Cell(
            trace,
            replace(scenario, width=float(width)),
            p,
            timing,
            with_bound=timing is None,
            labels=(("width", float(width)),),
        )
        for width in widths
        for p in chosen
    ]
    table = run_cells(cells, processes, scheduler, on_done)
    base = table[table["policy"] == "hindsight"].set_index("width")["total_latency"]
    table["ratio"] = table["total_latency"] / table["width"].map(base).replace(0, np.nan)
    return table[table["policy"].isin(policies)].reset_index(drop=True)
