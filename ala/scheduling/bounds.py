"""Lower bounds on total latency, so that every policy is measured against the best possible.

* :func:`fluid_bound` scales to any trace. Request ``j`` holds ``prompt + k`` tokens in the
  ``k``-th round of its run, ``area_j = prompt * o + o (o + 1) / 2`` token-rounds in all, and
  the server has ``M`` token-rounds per round. Relax everything else (a request may use any
  share of the memory in a round, and be paused) and the problem is one machine of speed ``M``
  with preemption and release dates. There, shortest remaining work first (SRPT) completes,
  for every ``k``, its ``k``-th request no later than any schedule can; and in the real
  problem request ``j`` also finishes no earlier than ``release_j + o_j`` (a token per round).
  So the ``k``-th completion of any schedule is at least the larger of SRPT's ``k``-th
  completion and the ``k``-th smallest ``release + o``, rank by rank; the bound is their sum.
  It is at least both the fluid SRPT total and the sum of the outputs, and much above them
  under queueing, where the early completions are floored by the outputs and the late ones
  by the memory.
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
    """Rank by rank, the later of SRPT's completion on memory-time areas at rate ``M`` per
    round and the ``release + o`` order statistic (see the module's notes).

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
    completions: list[float] = []
    now, k = 0.0, 0
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
            completions.append(finish)
        else:  # a release preempts: the remaining work goes back
            heapq.heappush(heap, work - (next_release - now) * rate)
            now = float(next_release)
    srpt = np.asarray(completions)  # in completion order, so already sorted
    floors = np.sort(arrival + out)
    released = float(arrival.sum())
    value = float(np.maximum(srpt, floors).sum()) - released
    if value <= float(out.sum()) + 1e-9:
        return Bound(value, "sum of outputs")
    if value <= float(srpt.sum()) - released + 1e-9:
        return Bound(value, "fluid SRPT")
    return Bound(value, "fluid SRPT floored by outputs")


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
