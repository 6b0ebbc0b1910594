"""Lower bounds on total latency, so that every policy is measured against the best possible.

* :func:`fluid_bound` scales to any trace. Request ``j`` holds ``prompt + k`` tokens in the
  ``k``-th round of its run, ``area_j = prompt * o + o (o + 1) / 2`` token-rounds in all, and
  the server has ``M`` token-rounds per round. Relax everything else (a request may use any
  share of the memory in a round, and be paused) and the problem is one machine of speed ``M``
  with preemption and release dates, where shortest remaining work first (SRPT) minimises the
  total completion time. No schedule beats it, nor the sum of the outputs (a request needs
  ``o`` rounds at least); the bound is the larger.
* :func:`lp_bound` is the linear relaxation of the time-indexed program of
  :mod:`ala.scheduling.optimum`, for small instances (a few dozen requests).
* :func:`best_bound` takes the largest that applies.

All are in rounds (untimed runs).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ala.scheduling.engine import Instance
from ala.scheduling.optimum import time_indexed_program

BoolArray = npt.NDArray[np.bool_]
LP_MAX_REQUESTS = 40


@dataclass(frozen=True, slots=True)
class Bound:
    """A lower bound on total latency (rounds) and how it was obtained."""

    value: float
    method: str


def fluid_bound(inst: Instance, memory: int, keep: BoolArray | None = None) -> Bound:
    """SRPT on memory-time areas at rate ``M`` per round, or the sum of outputs if larger.

    ``keep`` selects the requests counted (e.g. those a simulation finished).
    """
    ids = np.flatnonzero(keep) if keep is not None else np.arange(len(inst))
    if ids.size == 0:
        return Bound(0.0, "empty")
    prompt = inst.prompt[ids].astype(float)
    out = inst.output[ids].astype(float)
    arrival = inst.arrival[ids].astype(float)
    area = prompt * out + out * (out + 1) / 2
    order = np.argsort(arrival, kind="stable")
    rate = float(memory)
    heap: list[float] = []
    total_completion, now, k = 0.0, 0.0, 0
    while k < order.size or heap:
        if not heap:
            now = max(now, arrival[order[k]])
        next_release = arrival[order[k]] if k < order.size else np.inf
        while k < order.size and arrival[order[k]] <= now:
            heapq.heappush(heap, float(area[order[k]]))
            k += 1
            next_release = arrival[order[k]] if k < order.size else np.inf
        work = heapq.heappop(heap)
        finish = now + work / rate
        if finish <= next_release:
            now = finish
            total_completion += finish
        else:  # a release preempts: the remaining work goes back
            heapq.heappush(heap, work - (next_release - now) * rate)
            now = float(next_release)
    fluid = total_completion - float(arrival.sum())
    outputs = float(out.sum())
    return Bound(fluid, "fluid SRPT") if fluid > outputs else Bound(outputs, "sum of outputs")


def lp_bound(inst: Instance, memory: int, keep: BoolArray | None = None) -> Bound:
    """The time-indexed program's linear relaxation (small instances only)."""
    from scipy.optimize import linprog

    ids = np.flatnonzero(keep) if keep is not None else np.arange(len(inst))
    program = time_indexed_program(inst, memory, ids)
    result = linprog(
        program.cost,
        A_ub=program.memory_rows,
        b_ub=np.full(program.memory_rows.shape[0], float(memory)),
        A_eq=program.once_rows,
        b_eq=np.ones(ids.size),
        bounds=(0, 1),
        method="highs",
    )
    if result.status != 0:
        raise ValueError(f"the LP relaxation did not solve: {result.message}")
    return Bound(float(result.fun) - float(inst.arrival[ids].sum()), "LP relaxation")


def best_bound(inst: Instance, memory: int, keep: BoolArray | None = None) -> Bound:
    """The largest lower bound available for this instance's size."""
    bound = fluid_bound(inst, memory, keep)
    n = int(keep.sum()) if keep is not None else len(inst)
    if n <= LP_MAX_REQUESTS:
        lp = lp_bound(inst, memory, keep)
        if lp.value > bound.value:
            bound = lp
    return bound
