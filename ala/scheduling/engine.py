"""The round-based scheduling simulator (one worker, KV-cache capacity ``M`` tokens).

Model (Jaillet et al. 2025; Chen, Ye, Zhou 2025):

* Time runs in rounds. A request admitted at round ``p`` produces one token in each of rounds
  ``p, p+1, ...``; during round ``t`` it holds ``prompt + (t - p + 1)`` tokens of memory. With
  ``o`` output tokens it completes at time ``p + o`` (the end of its last round), and its
  latency is ``completion - arrival >= o``.
* The memory of all running requests may never exceed ``M`` in a round. A policy that would
  overflow must evict first; an evicted request loses its cache and progress, waits again, and
  restarts from scratch. Its generated tokens count as wasted.
* Only what is known at arrival decides admission: a request whose prompt plus the lower bound
  of its output interval exceeds ``M`` is refused when it arrives; one that outgrows ``M`` on
  its own later (its true output was longer than its interval said) is dropped in the round it
  would, and its tokens count as wasted. The true output length only ends requests.

With a :class:`Timing`, one clock runs in seconds: a round lasts the decode time of its batch
plus the prefill of the prompts launched in it (a restart after an eviction prefills again), and
requests arrive at their ``arrival_s``, joining at the first round that starts at or after it.
Without one, arrivals are given in rounds (the papers' setting).

The loop is event-driven: between two events nothing can change a policy's decision, so the loop
jumps from event to event instead of stepping every round. Events are arrivals, completions,
a round where memory would overflow or a request outgrows ``M``, and the earliest round at which
the request a policy is holding back would fit (asked of the policy).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ala.scheduling.metrics import SimulationResult

if TYPE_CHECKING:  # policies import the engine's State; the engine needs their type only
    from ala.scheduling.policies import Policy

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(slots=True)
class Instance:
    """The requests of one simulation.

    ``arrival`` is the arrival round (untimed runs), ``arrival_s`` the arrival second (timed
    runs), ``[lower, upper]`` the output-length interval a predictor gave, which may miss the
    true ``output``, and ``point`` an optional point prediction (MC-SF's default input).
    """

    arrival: IntArray
    prompt: IntArray
    output: IntArray
    lower: IntArray
    upper: IntArray
    arrival_s: FloatArray | None = None
    point: IntArray | None = None

    def __post_init__(self) -> None:
        n = self.arrival.size
        arrays = (self.prompt, self.output, self.lower, self.upper, self.arrival_s, self.point)
        if not all(x.size == n for x in arrays if x is not None):
            raise ValueError("all request arrays must have the same length")
        if np.any(self.output < 1) or np.any(self.lower < 1) or np.any(self.prompt < 0):
            raise ValueError("outputs and lower bounds must be >= 1, prompts >= 0")
        if np.any(self.lower > self.upper):
            raise ValueError("every interval needs lower <= upper")
        if self.arrival_s is not None and not np.all(np.isfinite(self.arrival_s)):
            raise ValueError("arrival times must be finite numbers of seconds")

    def __len__(self) -> int:
        return int(self.arrival.size)

    def covered(self) -> npt.NDArray[np.bool_]:
        """Which intervals contain the true output length."""
        return (self.lower <= self.output) & (self.output <= self.upper)


@dataclass(frozen=True, slots=True)
class Timing:
    """How long a round takes: decode seconds by batch size, plus prefill per prompt token.

    ``decode_s[b]`` is one decode round with ``b`` running requests (index 0 is unused). Past
    the last batch size given, a round grows in proportion to the batch (throughput flat), or
    keeps the last duration with ``flat=True`` (:meth:`fixed`: every round alike).
    """

    decode_s: FloatArray
    prefill_s_per_token: float = 0.0
    flat: bool = False

    @classmethod
    def fixed(cls, round_s: float) -> Timing:
        """Every round lasts ``round_s`` seconds whatever the batch (the papers' unit)."""
        return cls(np.full(2, float(round_s)), flat=True)

    def __post_init__(self) -> None:
        d = np.asarray(self.decode_s, float)
        if d.ndim != 1 or d.size < 2 or not np.all(np.isfinite(d[1:])) or np.any(d[1:] <= 0):
            raise ValueError("decode_s needs positive round times for batch sizes 1, 2, ...")
        if not math.isfinite(self.prefill_s_per_token) or self.prefill_s_per_token < 0:
            raise ValueError("prefill_s_per_token must be a non-negative number of seconds")

    def round_s(self, batch: int) -> float:
        """Seconds of one decode round with ``batch`` running requests."""
        last = self.decode_s.size - 1
        if batch <= last:
            return float(self.decode_s[max(batch, 1)])
        return float(self.decode_s[last]) * (1.0 if self.flat else batch / last)

    def scaled(self, factor: float) -> Timing:
        """Every duration multiplied by ``factor`` (e.g. a model's interval end)."""
        return Timing(self.decode_s * factor, self.prefill_s_per_token * factor, self.flat)


@dataclass(slots=True)
class State:
    """What a policy may look at and change: running and waiting requests and estimates.

    ``est`` is a policy's current estimate of each output length; policies that do not know
    the true ``output`` must not read it (only the engine does, to finish requests).
    """

    inst: Instance
    memory: int
    start: IntArray
    est: IntArray
    running: list[int] = field(default_factory=list)
    waiting: list[tuple[float, int, int]] = field(default_factory=list)  # heap (key, tie, id)
    evictions: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    enqueued: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    wasted: int = 0
    # sum over running requests of (prompt - start + 1): memory in round t is base + n * t
    base: int = 0
    launched_tokens: int = 0  # prompt tokens launched in the current round (prefill)
    launched: list[int] = field(default_factory=list)  # requests launched this round
    version: int = 0  # bumped whenever the running batch changes

    def generated(self, t: int, ids: list[int]) -> IntArray:
        """Tokens generated before round ``t`` by running requests ``ids``."""
        return t - self.start[ids]

    def memory_at(self, t: int) -> int:
        """Memory held during round ``t`` by the running requests."""
        return self.base + len(self.running) * t

    def launch(self, i: int, t: int) -> None:
        """Start request ``i`` at round ``t``."""
        self.start[i] = t
        self.running.append(i)
        self.base += int(self.inst.prompt[i]) - t + 1
        self.launched_tokens += int(self.inst.prompt[i])
        self.launched.append(i)
        self.version += 1

    def finish(self, i: int) -> None:
        """Remove request ``i`` from the running batch (completed, evicted or dropped)."""
        self.running.remove(i)
        self.base -= int(self.inst.prompt[i]) - int(self.start[i]) + 1
        self.version += 1

    def evict(self, t: int, i: int, key: float) -> None:
        """Stop running request ``i``, discard its progress and queue it again under ``key``."""
        self.finish(i)
        self.wasted += int(t - self.start[i])
        self.evictions[i] += 1
        self.start[i] = -1
        heapq.heappush(self.waiting, (key, int(self.inst.arrival[i]), i))


class Clock:
    """Seconds at round boundaries: the one clock of a timed run (rounds only without one)."""

    def __init__(self, timing: Timing | None, now: float) -> None:
        self.timing = timing
        self.now = now
        self.rounds: list[int] = []
        self.seconds: list[float] = []

    def advance(self, t: int, t_next: int, batch: int, prefill_tokens: int) -> None:
        """Rounds ``t .. t_next - 1`` ran ``batch`` requests; round ``t`` also prefilled."""
        if self.timing is None:
            return
        self.rounds.append(t)
        self.seconds.append(self.now)
        d = self.timing.round_s(batch)
        first = self.now + prefill_tokens * self.timing.prefill_s_per_token + d
        if t_next > t + 1:
            self.rounds.append(t + 1)
            self.seconds.append(first)
        self.now = first + (t_next - t - 1) * d

    def idle_until(self, t: int, arrival_s: float) -> None:
        """Nothing runs in round ``t``; the next round starts when the next request arrives."""
        if self.timing is not None:
            self.rounds.append(t)
            self.seconds.append(self.now)
            self.now = max(self.now, arrival_s)

    def round_reaching(self, t: int, batch: int, prefill_tokens: int, arrival_s: float) -> int:
        """The first round after ``t`` that starts at or after ``arrival_s``."""
        assert self.timing is not None
        d = self.timing.round_s(batch)
        first = self.now + prefill_tokens * self.timing.prefill_s_per_token + d
        if arrival_s <= first:
            return t + 1
        return t + 1 + math.ceil((arrival_s - first) / d - 1e-9)

    def close(self, t: int) -> tuple[IntArray, FloatArray] | None:
        """Round boundaries and their seconds, ending at round ``t``."""
        if self.timing is None:
            return None
        return np.asarray([*self.rounds, t], np.int64), np.asarray([*self.seconds, self.now])


class Deadlines:
    """Rounds at which running requests end (complete, or outgrow ``M`` on their own).

    A heap of ``(round, id, start)``; an entry whose request was since evicted, dropped or
    restarted (its start differs) is stale and skipped. Keeps the loop free of per-event array
    work over the running batch.
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self.heap: list[tuple[int, int, int]] = []

    def add(self, round_: int, i: int, start: int) -> None:
        """Request ``i``, started at ``start``, ends in ``round_``."""
        heapq.heappush(self.heap, (round_, i, start))

    def _live(self, entry: tuple[int, int, int]) -> bool:
        return int(self.state.start[entry[1]]) == entry[2]

    def first(self) -> int | None:
        """The earliest live deadline."""
        while self.heap and not self._live(self.heap[0]):
            heapq.heappop(self.heap)
        return self.heap[0][0] if self.heap else None

    def due(self, t: int) -> list[int]:
        """Requests whose deadline has come by round ``t`` (removed)."""
        out = []
        while self.heap and self.heap[0][0] <= t:
            entry = heapq.heappop(self.heap)
            if self._live(entry):
                out.append(entry[1])
        return out


class Recorder:
    """The memory trace a simulation reports: memory and batch size per segment.

    A segment is a stretch of rounds ``[t, t_next)`` with the same running batch. Owning the
    series here keeps the loop about decisions, as Vidur's simulator keeps metrics apart.
    """

    def __init__(self) -> None:
        self.rounds: list[int] = []
        self.memory: list[int] = []
        self.batch_sizes: list[int] = []

    def segment(self, t: int, t_next: int, used: int, used_last: int, batch: int) -> None:
        """Rounds ``t .. t_next - 1`` ran ``batch`` requests, holding ``used`` .. ``used_last``."""
        self.rounds += [t, t_next - 1]
        self.memory += [used, used_last]
        self.batch_sizes.append(batch)


class Simulation:
    """One run of a policy over an instance; ``run()`` returns the result.

    Parameters
    ----------
    inst
        The requests.
    policy
        A :class:`ala.scheduling.policies.Policy`.
    memory
        KV-cache capacity ``M`` in tokens.
    timing
        Optional :class:`Timing`: the run then keeps one clock in seconds and requests arrive
        at ``inst.arrival_s``.
    """

    def __init__(
        self, inst: Instance, policy: Policy, memory: int, timing: Timing | None = None
    ) -> None:
        if timing is not None and inst.arrival_s is None:
            raise ValueError("a timed simulation needs arrival times in seconds (arrival_s)")
        self.inst = inst
        self.policy = policy
        self.memory = int(memory)
        self.timing = timing

    def run(self) -> SimulationResult:
        """Simulate until every admitted request has finished or been dropped."""
        inst, m, policy = self.inst, self.memory, self.policy
        n = len(inst)
        refused = inst.prompt + inst.lower > m  # known at arrival: cannot fit even at its least
        state = State(
            inst=inst,
            memory=m,
            start=np.full(n, -1, np.int64),
            est=np.zeros(n, np.int64),
            evictions=np.zeros(n, np.int64),
            enqueued=np.full(n, -1, np.int64),
        )
        policy.reset(state)
        done_at = np.full(n, -1, np.int64)
        first_start = np.full(n, -1, np.int64)
        dropped: list[int] = []
        timed = self.timing is not None
        when = inst.arrival_s if timed and inst.arrival_s is not None else inst.arrival
        order = np.lexsort((np.arange(n), when))
        pending = [int(i) for i in order if not refused[i]]
        arrivals: list[float] = when[pending].tolist() if pending else []
        recorder = Recorder()
        clock = Clock(self.timing, float(arrivals[0]) if timed and pending else 0.0)
        arrived, remaining = 0, len(pending)
        finishing, outgrowing = Deadlines(state), Deadlines(state)
        prompt, output = inst.prompt.tolist(), inst.output.tolist()
        t = 0 if timed or not pending else int(arrivals[0])
        while remaining:
            now = clock.now if timed else t
            while arrived < len(pending) and arrivals[arrived] <= now + 1e-9:
                i = pending[arrived]
                state.enqueued[i] = t
                policy.enqueue(state, i)
                arrived += 1
            for i in outgrowing.due(t):  # it alone would hold more than M this round
                state.finish(i)
                state.wasted += int(t - state.start[i])
                state.start[i] = -1
                dropped.append(i)
                remaining -= 1
            if policy.can_overflow and state.memory_at(t) > m:
                policy.on_overflow(state, t)
            state.launched_tokens, state.launched = 0, []
            policy.admit(state, t)
            for i in state.launched:
                if first_start[i] < 0:
                    first_start[i] = t
                finishing.add(t + output[i], i, t)
                if prompt[i] + output[i] > m:
                    outgrowing.add(t + m - prompt[i], i, t)
            next_arrival = arrivals[arrived] if arrived < len(pending) else None
            if not state.running:
                if not remaining:
                    break
                if next_arrival is None:
                    raise RuntimeError(
                        f"policy {policy.name!r} left requests waiting "
                        "with nothing running: it cannot make progress"
                    )
                t_next = t + 1 if timed else int(next_arrival)
                recorder.segment(t, t_next, 0, 0, 0)
                clock.idle_until(t, float(next_arrival))
                t = t_next
                continue
            batch = len(state.running)
            horizon = min(d for d in (finishing.first(), outgrowing.first()) if d is not None)
            if next_arrival is not None:
                arrival_round = (
                    clock.round_reaching(t, batch, state.launched_tokens, float(next_arrival))
                    if timed
                    else int(next_arrival)
                )
                horizon = min(horizon, arrival_round)
            t_next = self._next_event(state, t, horizon, batch)
            recorder.segment(t, t_next, state.memory_at(t), state.memory_at(t_next - 1), batch)
            clock.advance(t, t_next, batch, state.launched_tokens)
            t = t_next
            for i in finishing.due(t):
                state.finish(i)
                done_at[i] = t
                remaining -= 1
        return SimulationResult(
            policy=policy.name,
            memory=m,
            arrival=inst.arrival,
            output=inst.output,
            completion=done_at,
            start=state.start,
            first_start=first_start,
            enqueued=state.enqueued,
            evictions=state.evictions,
            wasted_tokens=int(state.wasted),
            rejected=np.flatnonzero(refused),
            dropped=np.asarray(sorted(dropped), np.int64),
            memory_rounds=np.asarray(recorder.rounds, np.int64),
            memory_values=np.asarray(recorder.memory, np.int64),
            batch_sizes=np.asarray(recorder.batch_sizes, np.int64),
            event_rounds=np.asarray(recorder.rounds[::2] + [t], np.int64),
            arrival_s=inst.arrival_s if timed else None,
            clock=clock.close(t),
        )

    def _next_event(self, state: State, t: int, horizon: int, batch: int) -> int:
        """The next round at which a decision can change.

        ``horizon`` is the next completion, drop or arrival; an overflow (for policies that
        may overflow) or the round at which the policy's held-back request fits can come
        sooner. Memory is checked at both ends of the segment: it grows linearly in between.
        """
        m = self.memory
        used = state.memory_at(t)
        if used > m:
            raise AssertionError(f"{self.policy.name}: memory {used} > {m} at round {t}")
        t_next = max(horizon, t + 1)
        if self.policy.can_overflow:
            overflow_round = (m - state.base) // batch + 1  # first round with base + n*r > m
            t_next = min(t_next, max(overflow_round, t + 1))
        fits = self.policy.next_fit(state, t, t_next)
        if fits is not None:
            t_next = min(t_next, fits)
        last = state.memory_at(t_next - 1)
        if last > m:
            raise AssertionError(f"{self.policy.name}: memory {last} > {m} at round {t_next - 1}")
        return t_next
