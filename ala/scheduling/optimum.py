"""Exact hindsight optimum of tiny instances as an integer program, and its relaxation.

Variables ``x[i, p] = 1`` if request ``i`` (true output ``o_i``) starts at round ``p`` (not
before its arrival). Each request starts once; in every round ``r`` the memory of the requests
running then, ``sum x[i, p] * (s_i + r - p + 1)`` over ``p <= r < p + o_i``, stays within
``M``; the total completion time ``sum x[i, p] * (p + o_i)`` is minimised. Evictions never help
when every length is known, so the program has none. Solved with :func:`scipy.optimize.milp`
(HiGHS); :func:`ala.scheduling.bounds.lp_bound` solves its relaxation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ala.scheduling.engine import Instance

if TYPE_CHECKING:  # scipy loads when a program is built: not on every CLI start-up
    from scipy.sparse import csr_matrix


@dataclass(frozen=True, slots=True)
class TimeIndexedProgram:
    """Cost vector and constraint rows of the time-indexed program."""

    cost: npt.NDArray[np.float64]
    once_rows: csr_matrix
    memory_rows: csr_matrix


def time_indexed_program(
    inst: Instance, memory: int, ids: npt.NDArray[np.int64] | None = None
) -> TimeIndexedProgram:
    """The program over requests ``ids`` (default all).

    Raises
    ------
    ValueError
        If a request cannot fit alone.
    """
    from scipy.sparse import lil_matrix

    ids = np.arange(len(inst)) if ids is None else ids
    s, o = inst.prompt[ids].astype(int), inst.output[ids].astype(int)
    a = inst.arrival[ids].astype(int)
    if np.any(s + o > memory):
        raise ValueError("a request does not fit in memory even alone")
    n = ids.size
    horizon = int(a.max(initial=0) + o.sum())
    var = np.arange(n * horizon).reshape(n, horizon)
    cost = np.array([p + o[i] if p >= a[i] else 1e9 for i in range(n) for p in range(horizon)])
    once = lil_matrix((n, n * horizon))
    for i in range(n):
        once[i, var[i, a[i] :]] = 1
    rounds = horizon + int(o.max(initial=0))
    mem = lil_matrix((rounds, n * horizon))
    for i in range(n):
        for p in range(a[i], horizon):
            for r in range(p, p + o[i]):
                mem[r, var[i, p]] = s[i] + r - p + 1
    return TimeIndexedProgram(cost.astype(float), once.tocsr(), mem.tocsr())


def hindsight_optimum(inst: Instance, memory: int, time_limit: float = 30.0) -> float:
    """Minimum total latency (rounds) of ``inst``; requests must all arrive at round 0.

    Raises
    ------
    ValueError
        If arrivals are not all zero, a request cannot fit alone, or no optimum was proven.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    if np.any(inst.arrival != 0):
        raise ValueError("the exact optimum is implemented for all requests at time 0")
    program = time_indexed_program(inst, memory)
    size = program.cost.size
    result = milp(
        program.cost,
        integrality=np.ones(size),
        bounds=Bounds(0, 1),
        constraints=[
            LinearConstraint(program.once_rows, 1, 1),
            LinearConstraint(program.memory_rows, -np.inf, memory),
        ],
        options={"time_limit": time_limit},
    )
    if result.status != 0 or result.x is None:
        raise ValueError(f"no proven optimum: {result.message}")
    return float(result.fun)
