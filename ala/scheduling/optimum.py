"""Exact hindsight optimum of tiny instances (all requests at time 0) as an integer program.

Variables ``x[i, p] = 1`` if request ``i`` (true output ``o_i``) starts at round ``p``. Each
request starts once; in every round ``r`` the memory of the requests running then,
``sum x[i, p] * (s_i + r - p + 1)`` over ``p <= r < p + o_i``, stays within ``M``; the total
completion time ``sum x[i, p] * (p + o_i)`` is minimised. Evictions never help when every
length is known, so the program has none. Solved with :func:`scipy.optimize.milp` (HiGHS).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from ala.scheduling.engine import Instance


def hindsight_optimum(inst: Instance, memory: int, time_limit: float = 30.0) -> float:
    """Minimum total latency (rounds) of ``inst``; requests must all arrive at round 0.

    Raises
    ------
    ValueError
        If arrivals are not all zero, a request cannot fit alone, or no optimum was proven.
    """
    if np.any(inst.arrival != 0):
        raise ValueError("the exact optimum is implemented for all requests at time 0")
    s, o = inst.prompt.astype(int), inst.output.astype(int)
    if np.any(s + o > memory):
        raise ValueError("a request does not fit in memory even alone")
    n, horizon = len(inst), int(o.sum())
    var = np.arange(n * horizon).reshape(n, horizon)
    cost = np.array([p + o[i] for i in range(n) for p in range(horizon)], float)
    once = lil_matrix((n, n * horizon))
    for i in range(n):
        once[i, var[i]] = 1
    rounds = horizon + int(o.max())
    mem = lil_matrix((rounds, n * horizon))
    for i in range(n):
        for p in range(horizon):
            for r in range(p, p + o[i]):
                mem[r, var[i, p]] = s[i] + r - p + 1
    result = milp(
        cost,
        integrality=np.ones(n * horizon),
        bounds=Bounds(0, 1),
        constraints=[
            LinearConstraint(once.tocsr(), 1, 1),
            LinearConstraint(mem.tocsr(), -np.inf, memory),
        ],
        options={"time_limit": time_limit},
    )
    if result.status != 0 or result.x is None:
        raise ValueError(f"no proven optimum: {result.message}")
    return float(result.fun)
