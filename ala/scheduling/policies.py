"""Scheduling policies, a registry keyed by name.

Every policy but ``fcfs`` admits the waiting requests in ascending order of its *estimate* of
their output length, as long as the memory projected with those estimates stays within ``M``
at every future round (checked at the projected completions, where memory peaks). Admission
stops at the first request that does not fit (the longest feasible prefix, as in MC-SF).

``hindsight`` (H-SF)
    Knows every true output length. The benchmark; never overflows.
``a_max``
    Estimates every request by its upper bound ``u`` (clipped to ``M - prompt``, the most a
    feasible request can need). Never overflows.
``a_min``
    Starts from the lower bound ``l`` and refines (Chen, Ye, Zhou 2025). Choices where the
    paper's text was not available to us, each a parameter:

    * ``evict_order="generated"`` (default): on overflow, evict running requests in ascending
      order of tokens generated so far (the least progress lost first); ``"estimate"`` evicts
      in ascending order of current estimate (the paper summary's reading).
    * ``raise_rule="generated"`` (default): an evicted request's estimate becomes the number of
      tokens it had generated (it is now known to need at least that many);
      ``"generated+1"`` adds the one more token it is known to need; ``"double"`` doubles the
      estimate until it exceeds what was generated.
    * A running request that outlives its estimate has its estimate raised by the same rule
      (lazily, when the policy next looks at it).
``mc_sf``
    MC-SF (Jaillet et al. 2025) with point predictions: the interval midpoint by default, or
    any point predictor via ``point=``. Point predictions can be too low, so it shares
    ``a_min``'s overflow handling.
``fcfs``
    vLLM-like: admits in arrival order while the current memory fits; on overflow evicts the
    most recently admitted request, which waits at the front again (ordered by arrival).
"""

from __future__ import annotations

import heapq
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt

from ala.scheduling.engine import State, peak_memory

IntArray = npt.NDArray[np.int64]


class Policy(ABC):
    """What the engine needs from a policy; subclasses register in :data:`POLICIES`.

    ``can_overflow`` says whether the policy may let memory exceed ``M`` (then the engine
    calls :meth:`on_overflow` first in every round where it would).
    """

    name: str = "policy"
    can_overflow: bool = False

    @abstractmethod
    def reset(self, state: State) -> None:
        """Set the initial estimates before the first round."""

    @abstractmethod
    def enqueue(self, state: State, i: int) -> None:
        """Request ``i`` has arrived: put it in the waiting queue."""

    @abstractmethod
    def admit(self, state: State, t: int) -> None:
        """Launch waiting requests at round ``t``."""

    def on_overflow(self, state: State, t: int) -> None:
        """Evict until memory fits at round ``t`` (policies that cannot overflow never do)."""
        raise AssertionError(f"{self.name} cannot overflow")


class ShortestEstimateFirst(Policy):
    """Admission by ascending estimate with a projected-peak memory check."""

    name = "shortest_estimate_first"
    can_overflow = False

    def initial_estimate(self, state: State) -> IntArray:
        """Each request's output-length estimate before it runs."""
        raise NotImplementedError

    def reset(self, state: State) -> None:
        # No feasible request needs more than the memory left after its prompt.
        """Initial estimates, capped at the memory left after the prompt."""
        cap = np.maximum(state.memory - state.inst.prompt, 1)
        state.est[:] = np.clip(self.initial_estimate(state), 1, cap)

    def enqueue(self, state: State, i: int) -> None:
        """Queue request ``i`` by its estimate (ties: arrival, id)."""
        heapq.heappush(state.waiting, (int(state.est[i]), int(state.inst.arrival[i]), i))

    def running_estimates(self, state: State, t: int, run: IntArray) -> IntArray:
        """Current estimates of the running requests ``run``."""
        return state.est[run]

    def admit(self, state: State, t: int) -> None:
        """Launch the shortest estimates while the projected peak fits."""
        if not state.waiting:
            return
        run = np.asarray(state.running, np.int64)
        prompt = list(state.inst.prompt[run])
        start = list(state.start[run])
        end = list(state.start[run] + self.running_estimates(state, t, run) - 1)
        while state.waiting:
            _, _, j = state.waiting[0]
            prompt.append(int(state.inst.prompt[j]))
            start.append(t)
            end.append(t + int(state.est[j]) - 1)
            peak = peak_memory(np.asarray(prompt), np.asarray(start), np.asarray(end), t)
            if peak > state.memory:
                break
            heapq.heappop(state.waiting)
            state.launch(j, t)


class Hindsight(ShortestEstimateFirst):
    """H-SF: shortest true output first."""

    name = "hindsight"

    def initial_estimate(self, state: State) -> IntArray:
        """The true output lengths (hindsight)."""
        return state.inst.output.copy()


class AMax(ShortestEstimateFirst):
    """A_max: every request is as long as its upper bound."""

    name = "a_max"

    def initial_estimate(self, state: State) -> IntArray:
        """The upper bounds of the intervals."""
        return state.inst.upper.copy()


RaiseRule = Literal["generated", "generated+1", "double"]


def raised(estimate: IntArray, generated: IntArray, rule: RaiseRule) -> IntArray:
    """A new estimate for requests known to need at least ``generated`` tokens."""
    if rule == "generated":
        return np.maximum(estimate, generated)
    if rule == "generated+1":
        return np.maximum(estimate, generated + 1)
    if rule == "double":
        est = np.maximum(estimate, 1).astype(np.int64)
        short = est <= generated
        if short.any():
            factor = np.ceil(np.log2((generated[short] + 1) / est[short]))
            est[short] = est[short] * (2 ** factor.astype(np.int64))
        return est
    raise ValueError(f"unknown raise rule {rule!r}")


class AdaptiveShortestFirst(ShortestEstimateFirst):
    """Shortest-estimate-first whose estimates can be too low: evicts on overflow and refines."""

    can_overflow = True

    def __init__(
        self,
        evict_order: Literal["generated", "estimate"] = "generated",
        raise_rule: RaiseRule = "generated",
    ) -> None:
        if evict_order not in ("generated", "estimate"):
            raise ValueError(f"evict_order must be 'generated' or 'estimate', not {evict_order!r}")
        raised(np.ones(1, np.int64), np.ones(1, np.int64), raise_rule)  # validate the name
        self.evict_order = evict_order
        self.raise_rule: RaiseRule = raise_rule

    def running_estimates(self, state: State, t: int, run: IntArray) -> IntArray:
        """Estimates raised by the tokens already generated."""
        generated = state.generated(t, list(run))
        # a running request is known to need at least one more token than it has made
        est = raised(state.est[run], generated, self.raise_rule)
        est = np.minimum(np.maximum(est, generated + 1), state.memory - state.inst.prompt[run])
        state.est[run] = est
        return est

    def on_overflow(self, state: State, t: int) -> None:
        """Evict running requests until memory fits, raising estimates."""
        run = np.asarray(state.running, np.int64)
        generated = state.generated(t, list(run))
        est = self.running_estimates(state, t, run)
        primary = generated if self.evict_order == "generated" else est
        order = np.lexsort((run, primary))
        for k in order:
            if state.memory_at(t) <= state.memory:
                break
            i = int(run[k])
            new = int(raised(state.est[i : i + 1], generated[k : k + 1], self.raise_rule)[0])
            state.est[i] = min(max(new, 1), state.memory - int(state.inst.prompt[i]))
            state.evict(t, i, key=int(state.est[i]))


class AMin(AdaptiveShortestFirst):
    """A_min: start from the lower bound, refine on evictions and overruns."""

    name = "a_min"

    def initial_estimate(self, state: State) -> IntArray:
        """The lower bounds of the intervals."""
        return state.inst.lower.copy()


class MCSF(AdaptiveShortestFirst):
    """MC-SF with point predictions (default: the interval midpoint)."""

    name = "mc_sf"

    def __init__(
        self,
        point: IntArray | None = None,
        evict_order: Literal["generated", "estimate"] = "generated",
        raise_rule: RaiseRule = "generated",
    ) -> None:
        super().__init__(evict_order, raise_rule)
        self.point = point

    def initial_estimate(self, state: State) -> IntArray:
        """The point predictions (default: interval midpoints)."""
        if self.point is not None:
            return np.asarray(self.point, np.int64)
        return np.ceil((state.inst.lower + state.inst.upper) / 2).astype(np.int64)


class FCFS(Policy):
    """First come, first served while the current memory fits; evict the newest on overflow."""

    name = "fcfs"
    can_overflow = True

    def reset(self, state: State) -> None:
        """FCFS uses no estimates."""
        state.est[:] = 0

    def enqueue(self, state: State, i: int) -> None:
        """Queue request ``i`` by arrival."""
        arrival = int(state.inst.arrival[i])
        heapq.heappush(state.waiting, (arrival, arrival, i))

    def admit(self, state: State, t: int) -> None:
        """Launch in arrival order while the current memory fits."""
        used = state.memory_at(t)
        while state.waiting:
            _, _, j = state.waiting[0]
            need = int(state.inst.prompt[j]) + 1
            if used + need > state.memory:
                break
            heapq.heappop(state.waiting)
            state.launch(j, t)
            used += need

    def on_overflow(self, state: State, t: int) -> None:
        """Evict the most recently started requests until memory fits."""
        while state.memory_at(t) > state.memory:
            newest = max(state.running, key=lambda i: (state.start[i], i))
            state.evict(t, newest, key=int(state.inst.arrival[newest]))


POLICIES: dict[str, Callable[..., Policy]] = {
    "hindsight": Hindsight,
    "a_max": AMax,
    "a_min": AMin,
    "mc_sf": MCSF,
    "fcfs": FCFS,
}


def make_policy(name: str, **params: object) -> Policy:
    """A policy by registry name, e.g. ``make_policy("a_min", raise_rule="double")``."""
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
    return POLICIES[name](**params)
