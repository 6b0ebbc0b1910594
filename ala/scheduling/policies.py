"""Scheduling policies, a registry keyed by name.

Every policy but ``fcfs`` admits the waiting requests in ascending order of a priority built
from its *estimate* of their output length, as long as the memory projected with those
estimates stays within ``M`` at every future round (checked at the projected completions,
where memory peaks). Admission stops at the first request that does not fit (the longest
feasible prefix, as in MC-SF).

Priority (``order=``): ``"length"``, the estimated output (shortest first, the papers'), or
``"area"``, the estimated memory-time ``prompt x output + output^2 / 2`` a request will hold,
which also counts the prompt. ``aging`` subtracts that many priority units per round waited, so
a long request cannot starve for ever (0: none).

``hindsight`` (H-SF) and ``hindsight_area``
    Know every true output length. Yardsticks, not schedulers; never overflow.
``a_max``
    Estimates every request by its upper bound ``u`` (clipped to ``M - prompt``, the most a
    request that finishes can need). Never overflows while the intervals hold; when a
    predictor's upper bound is too low, it evicts and restarts as ``a_min`` does.
``a_min`` and ``a_min_area``
    Start from the lower bound ``l`` and refine (Chen, Ye, Zhou 2025). Choices where the
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
    MC-SF (Jaillet et al. 2025) with point predictions: the instance's ``point`` (a length
    predictor's median) when it has one, else the geometric mean ``sqrt(l u)`` of the interval,
    or any point predictor via ``point=``. It never reads the true length: with intervals centred
    on the truth the midpoint would be an oracle. Point predictions can be too low, so it shares
    ``a_min``'s overflow handling.
``fcfs``
    vLLM-like: admits in arrival order while the current memory fits; on overflow evicts the
    most recently admitted request, which waits at the front again (ordered by arrival).
"""

from __future__ import annotations

import bisect
import heapq
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import partial
from typing import Literal

import numpy as np
import numpy.typing as npt

from ala.scheduling.engine import State

IntArray = npt.NDArray[np.int64]
Order = Literal["length", "area"]


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

    def next_fit(self, state: State, t: int, horizon: int) -> int | None:
        """The earliest round in ``(t, horizon)`` at which :meth:`admit` could launch a request
        it holds back now, with the running batch unchanged; ``None`` if none can.

        The engine adds it as an event. Answering too early costs only a wasted event;
        answering too late makes the policy idle while a request would fit.
        """
        return None


class ShortestEstimateFirst(Policy):
    """Admission by ascending estimate (or estimated area) with a projected-peak memory check.

    Parameters
    ----------
    order
        ``"length"`` (shortest estimated output first) or ``"area"`` (least estimated
        memory-time first).
    aging
        Priority units taken off per round waited (0: none), against starvation.
    """

    base_name = "shortest_estimate_first"
    can_overflow = False

    def __init__(self, order: Order = "length", aging: float = 0.0) -> None:
        if order not in ("length", "area"):
            raise ValueError(f"order must be 'length' or 'area', not {order!r}")
        if not np.isfinite(aging) or aging < 0:
            raise ValueError(f"aging must be a non-negative number, not {aging!r}")
        self.order: Order = order
        self.aging = float(aging)
        self.name = self.base_name + ("_area" if order == "area" else "")

    def initial_estimate(self, state: State) -> IntArray:
        """Each request's output-length estimate before it runs."""
        raise NotImplementedError

    def reset(self, state: State) -> None:
        """Initial estimates, capped at the memory left after the prompt."""
        self._projection: tuple[int, int, Projection] | None = None
        # (batch version, head id, searched up to, first fitting round or None)
        self._blocked: tuple[int, int, int, int | None] | None = None
        # No request that can finish needs more than the memory left after its prompt.
        cap = np.maximum(state.memory - state.inst.prompt, 1)
        state.est[:] = np.clip(self.initial_estimate(state), 1, cap)

    def priority(self, state: State, i: int) -> float:
        """Request ``i``'s queue key: its estimate or estimated area, less its aging credit."""
        est = float(state.est[i])
        key = est if self.order == "length" else float(state.inst.prompt[i]) * est + est * est / 2
        # waiting since round e: key - aging * (t - e) orders like key + aging * e
        return key + self.aging * float(state.enqueued[i])

    def enqueue(self, state: State, i: int) -> None:
        """Queue request ``i`` by its priority (ties: arrival, id)."""
        heapq.heappush(state.waiting, (self.priority(state, i), int(state.inst.arrival[i]), i))

    def running_estimates(self, state: State, t: int, run: IntArray) -> IntArray:
        """Current estimates of the running requests ``run``."""
        return state.est[run]

    def admit(self, state: State, t: int) -> None:
        """Launch the highest priorities while the projected peak fits."""
        if not state.waiting or self._still_blocked(state, t):
            return
        projection = self._projection_of_batch(state, t)
        while state.waiting:
            _, _, j = state.waiting[0]
            prompt, est = int(state.inst.prompt[j]), int(state.est[j])
            if projection.peak_if_started(t, prompt, est, state.memory) > state.memory:
                break
            heapq.heappop(state.waiting)
            state.launch(j, t)
            projection = projection.with_request(prompt - t + 1, t + est - 1)
        self._projection = (t, state.version, projection)

    def _projection_of_batch(self, state: State, t: int) -> Projection:
        """The running batch's projection at round ``t`` (reused if ``admit`` just built it)."""
        cached = self._projection
        if cached is not None and cached[:2] == (t, state.version):
            return cached[2]
        run = np.asarray(state.running, np.int64)
        held = state.inst.prompt[run] - state.start[run] + 1
        return Projection.of(held, state.start[run] + self.running_estimates(state, t, run) - 1)

    def _still_blocked(self, state: State, t: int) -> bool:
        """Whether the head is known not to fit yet: the batch and the head are unchanged since
        a search found its first fitting round after ``t`` (or none before ``checked``).

        Outlived estimates are raised meanwhile, which only delays the fit, so skipping is safe.
        """
        blocked = self._blocked
        if blocked is None or blocked[:2] != (state.version, state.waiting[0][2]):
            return False
        _, _, checked, found = blocked
        return t < (found if found is not None else checked)

    def next_fit(self, state: State, t: int, horizon: int) -> int | None:
        """The first round at which the head of the queue fits beside the running batch.

        Candidate rounds are checked in growing vectorised chunks. At round ``r`` a running
        request is projected to end at ``max(end, r)`` (an estimate is raised once outlived).
        """
        if not state.waiting or horizon <= t + 1:
            return None
        j = state.waiting[0][2]
        lo = t + 1
        blocked = self._blocked
        if blocked is not None and blocked[:2] == (state.version, j):
            found = blocked[3]
            if found is not None:
                return found if found < horizon else None
            lo = max(lo, blocked[2])
        projection = self._projection_of_batch(state, t)
        prompt, est = int(state.inst.prompt[j]), int(state.est[j])
        result = None
        # memory in the start round only grows with it: past the first round where it alone
        # overflows, nothing fits before the horizon
        if projection.round_peak(lo, prompt) > state.memory:
            self._blocked = (state.version, j, horizon, None)
            return None
        # a few rounds one by one (most fits come soon), then growing vectorised chunks
        for r in range(lo, min(lo + 8, horizon)):
            if projection.peak_if_started(r, prompt, est, state.memory) <= state.memory:
                result = r
                break
        lo, step = (min(lo + 8, horizon), 32) if result is None else (horizon, 0)
        while lo < horizon:
            rounds = np.arange(lo, min(lo + step, horizon), dtype=np.int64)
            fits = np.flatnonzero(projection.peaks(rounds, prompt, est) <= state.memory)
            if fits.size:
                result = int(rounds[fits[0]])
                break
            lo += step
            step *= 4
        # searched every round before the horizon (or up to the fit)
        self._blocked = (state.version, j, horizon, result)
        return result


class Projection:
    """The running batch's projected memory, to test a newcomer in O(batch) per start round.

    A running request ``k`` holds ``held_k + x`` tokens in round ``x`` until its projected
    ``end_k``. Ends are kept sorted with suffix sums, so the memory at any round after ``r``
    is ``suffix[i] + x * (n - i)`` for the first end ``i`` at or after ``x``. Memory peaks at
    an end, so a newcomer started at ``r`` fits if it fits at round ``r``, at every running
    end after ``r`` (with its own share while it lives) and at its own end.

    Batches hold tens of requests, where plain Python lists beat numpy's per-call overhead;
    :meth:`peaks` (many start rounds at once) is vectorised.
    """

    __slots__ = ("at_ends", "ends", "held_total", "pairs", "suffix")

    def __init__(self, pairs: list[tuple[int, int]]) -> None:
        """``pairs`` of (end, held), sorted."""
        self.pairs = pairs
        self.ends = [e for e, _ in pairs]
        n = len(pairs)
        suffix = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            suffix[i] = suffix[i + 1] + pairs[i][1]
        self.suffix = suffix
        self.held_total = suffix[0]
        # at an end shared by several requests all of them are still live: count from the first
        at_ends, first = [0] * n, 0
        for i, e in enumerate(self.ends):
            if i and e != self.ends[i - 1]:
                first = i
            at_ends[i] = suffix[first] + e * (n - first)
        self.at_ends = at_ends

    @classmethod
    def of(cls, held: IntArray, ends: IntArray) -> Projection:
        """The projection of requests holding ``held + x`` in round ``x`` until ``ends``."""
        return cls(sorted(zip(ends.tolist(), held.tolist(), strict=True)))

    def with_request(self, held: int, end: int) -> Projection:
        """The projection with one more running request."""
        pairs = list(self.pairs)
        bisect.insort(pairs, (end, held))
        return Projection(pairs)

    def round_peak(self, t: int, prompt: int) -> int:
        """Memory in round ``t`` itself if the request starts then: a lower bound on its peak
        that grows with ``t`` (every running request is live and growing)."""
        return self.held_total + len(self.ends) * t + prompt + 1

    def peak_if_started(self, t: int, prompt: int, est: int, limit: float = np.inf) -> int:
        """Peak memory if a request (``prompt``, estimate ``est``) starts at round ``t``; stops
        early with a value above ``limit`` once the peak exceeds it.

        Every running request is live at ``t`` (its projected end is at least ``t``: an
        outlived estimate is raised).
        """
        ends, n = self.ends, len(self.ends)
        peak = self.round_peak(t, prompt)
        if peak > limit:
            return peak
        own_end = t + est - 1
        k = bisect.bisect_left(ends, own_end)
        peak = max(peak, self.suffix[k] + own_end * (n - k) + prompt + est)
        for e, memory in zip(ends, self.at_ends, strict=True):
            if e > t:
                peak = max(peak, memory + (prompt + e - t + 1 if e <= own_end else 0))
                if peak > limit:
                    return peak
        return peak

    def peaks(self, rounds: IntArray, prompt: int, est: int) -> IntArray:
        """:meth:`peak_if_started` for each of ``rounds``, vectorised."""
        ends, n = np.asarray(self.ends, np.int64), len(self.ends)
        at_ends, suffix = np.asarray(self.at_ends, np.int64), np.asarray(self.suffix, np.int64)
        r = rounds[:, None]
        own_end = rounds + est - 1
        peak = self.held_total + n * rounds + prompt + 1
        share = np.where(ends[None, :] <= own_end[:, None], prompt + ends[None, :] - r + 1, 0)
        later = np.where(ends[None, :] > r, at_ends[None, :] + share, 0)
        peak = np.maximum(peak, later.max(axis=1, initial=0))
        k = np.searchsorted(ends, own_end, "left")
        own = suffix[k] + own_end * (n - k) + prompt + est
        return np.asarray(np.maximum(peak, own), np.int64)


class Hindsight(ShortestEstimateFirst):
    """H-SF: shortest true output first (a yardstick)."""

    base_name = "hindsight"

    def initial_estimate(self, state: State) -> IntArray:
        """The true output lengths (hindsight)."""
        return state.inst.output.copy()


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
        order: Order = "length",
        aging: float = 0.0,
    ) -> None:
        super().__init__(order, aging)
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
            state.evict(t, i, key=self.priority(state, i))


class AMax(AdaptiveShortestFirst):
    """A_max: every request is as long as its upper bound (evicts only if a bound was wrong)."""

    base_name = "a_max"

    def initial_estimate(self, state: State) -> IntArray:
        """The upper bounds of the intervals."""
        return state.inst.upper.copy()


class AMin(AdaptiveShortestFirst):
    """A_min: start from the lower bound, refine on evictions and overruns."""

    base_name = "a_min"

    def initial_estimate(self, state: State) -> IntArray:
        """The lower bounds of the intervals."""
        return state.inst.lower.copy()


class MCSF(AdaptiveShortestFirst):
    """MC-SF with point predictions (the instance's, else the interval's geometric mean)."""

    base_name = "mc_sf"

    def __init__(
        self,
        point: IntArray | None = None,
        evict_order: Literal["generated", "estimate"] = "generated",
        raise_rule: RaiseRule = "generated",
        order: Order = "length",
        aging: float = 0.0,
    ) -> None:
        super().__init__(evict_order, raise_rule, order, aging)
        self.point = point

    def initial_estimate(self, state: State) -> IntArray:
        """The point predictions; never the true lengths."""
        if self.point is not None:
            return np.asarray(self.point, np.int64)
        if state.inst.point is not None:
            return state.inst.point.copy()
        lower, upper = state.inst.lower.astype(float), state.inst.upper.astype(float)
        return np.asarray(np.round(np.sqrt(lower * upper)), np.int64)


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
    "hindsight_area": partial(Hindsight, order="area"),
    "a_max": AMax,
    "a_min": AMin,
    "a_min_area": partial(AMin, order="area"),
    "mc_sf": MCSF,
    "fcfs": FCFS,
}


def make_policy(name: str, **params: object) -> Policy:
    """A policy by registry name, e.g. ``make_policy("a_min", raise_rule="double")``."""
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
    return POLICIES[name](**params)
