"""The round-based scheduling simulator (one worker, KV-cache capacity ``M`` tokens).

Model (Jaillet et al. 2025; Chen, Ye, Zhou 2025):

* Time runs in rounds. A request admitted at round ``p`` produces one token in each of rounds
  ``p, p+1, ...``; during round ``t`` it holds ``prompt + (t - p + 1)`` tokens of memory. With
  ``o`` output tokens it completes at time ``p + o`` (the end of its last round), and its
  latency is ``completion - arrival >= o``.
* The memory of all running requests may never exceed ``M`` in a round. A policy that would
  overflow must evict first; an evicted request loses its cache and progress, waits again, and
  restarts from scratch. Its generated tokens count as wasted.

The loop is event-driven: between two events (an arrival, a completion, a round where memory
would overflow) nothing can change a policy's decision, because the projected peaks of the
running batch are fixed and memory grows linearly. So the loop jumps from event to event instead
of stepping every round.
"""

from __future__ import annotations

import heapq
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
    """The requests of one simulation: arrival round, prompt, true output, interval [l, u]."""

    arrival: IntArray
    prompt: IntArray
    output: IntArray
    lower: IntArray
    upper: IntArray

    def __post_init__(self) -> None:
        n = self.arrival.size
        if not all(x.size == n for x in (self.prompt, self.output, self.lower, self.upper)):
            raise ValueError("all request arrays must have the same length")
        if np.any(self.lower > self.output) or np.any(self.upper < self.output):
            raise ValueError("every interval [lower, upper] must contain the output length")
        if np.any(self.output < 1) or np.any(self.lower < 1) or np.any(self.prompt < 0):
            raise ValueError("outputs and lower bounds must be >= 1, prompts >= 0")

    def __len__(self) -> int:
        return int(self.arrival.size)


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
    waiting: list[tuple[int, int, int]] = field(default_factory=list)  # heap of (key, tie, id)
    evictions: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    wasted: int = 0
    # sum over running requests of (prompt - start + 1): memory in round t is base + n * t
    base: int = 0

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

    def finish(self, i: int) -> None:
        """Remove request ``i`` from the running batch (completed or evicted)."""
        self.running.remove(i)
        self.base -= int(self.inst.prompt[i]) - int(self.start[i]) + 1

    def evict(self, t: int, i: int, key: int) -> None:
        """Stop running request ``i``, discard its progress and queue it again under ``key``."""
        self.finish(i)
        self.wasted += int(t - self.start[i])
        self.evictions[i] += 1
        self.start[i] = -1
        heapq.heappush(self.waiting, (key, int(self.inst.arrival[i]), i))


def peak_memory(prompt: IntArray, start: IntArray, end: IntArray, t: int) -> int:
    """Highest memory from round ``t`` on, if each request runs until its ``end`` round.

    Memory only grows between completions, so the peak is at one of the ``end`` rounds: at
    round ``e`` every request ending at or after ``e`` holds ``prompt + e - start + 1``.
    """
    if end.size == 0:
        return 0
    order = np.argsort(-end, kind="stable")
    e = end[order]
    base = np.cumsum(prompt[order] - start[order] + 1)
    count = np.arange(1, e.size + 1)
    live = e >= t
    return int(np.max(np.where(live, base + count * e, 0)))


class Recorder:
    """The series a simulation reports: memory and batch size per segment, and seconds.

    A segment is a stretch of rounds ``[t, t_next)`` with the same running batch. Owning the
    series here keeps the loop about decisions, as Vidur's simulator keeps metrics apart.
    """

    def __init__(self, round_seconds: FloatArray | None) -> None:
        self.round_seconds = round_seconds
        self.rounds: list[int] = []
        self.memory: list[int] = []
        self.batch_sizes: list[int] = []
        self.seconds_at: list[float] = []
        self.elapsed_s = 0.0

    def segment(self, t: int, t_next: int, used: int, used_last: int, batch: int) -> None:
        """Rounds ``t .. t_next - 1`` ran ``batch`` requests, holding ``used`` .. ``used_last``."""
        self.rounds += [t, t_next - 1]
        self.memory += [used, used_last]
        self.batch_sizes.append(batch)
        self.seconds_at.append(self.elapsed_s)
        if self.round_seconds is not None:
            per_round = self.round_seconds[min(batch, self.round_seconds.size - 1)]
            self.elapsed_s += (t_next - t) * float(per_round)

    def seconds(self) -> FloatArray | None:
        """Elapsed seconds at the start of each segment and at the end, if timed."""
        if self.round_seconds is None:
            return None
        return np.asarray([*self.seconds_at, self.elapsed_s], float)


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
    round_seconds
        Optional duration of a round by batch size (index = number of running requests), to
        report latencies in seconds as well as rounds.
    """

    def __init__(
        self,
        inst: Instance,
        policy: Policy,
        memory: int,
        round_seconds: FloatArray | None = None,
    ) -> None:
        self.inst = inst
        self.policy = policy
        self.memory = int(memory)
        self.round_seconds = round_seconds

    def run(self) -> SimulationResult:
        """Simulate until every admissible request has finished."""
        inst, m, policy = self.inst, self.memory, self.policy
        n = len(inst)
        too_big = inst.prompt + inst.output > m
        state = State(
            inst=inst,
            memory=m,
            start=np.full(n, -1, np.int64),
            est=np.zeros(n, np.int64),
            evictions=np.zeros(n, np.int64),
        )
        policy.reset(state)
        done_at = np.full(n, -1, np.int64)
        order = np.lexsort((np.arange(n), inst.arrival))
        pending = [int(i) for i in order if not too_big[i]]
        arrivals = inst.arrival[pending] if pending else np.zeros(0, np.int64)
        recorder = Recorder(self.round_seconds)
        arrived, remaining = 0, len(pending)
        t = int(arrivals[0]) if pending else 0
        while remaining:
            while arrived < len(pending) and arrivals[arrived] <= t:
                policy.enqueue(state, pending[arrived])
                arrived += 1
            if policy.can_overflow and state.memory_at(t) > m:
                policy.on_overflow(state, t)
            policy.admit(state, t)
            next_arrival = int(arrivals[arrived]) if arrived < len(pending) else None
            if not state.running:
                if next_arrival is None:
                    raise RuntimeError(
                        f"policy {policy.name!r} left requests waiting "
                        "with nothing running: it cannot make progress"
                    )
                recorder.segment(t, next_arrival, 0, 0, 0)
                t = next_arrival
                continue
            run = np.asarray(state.running, np.int64)
            finish = state.start[run] + inst.output[run]
            t_next = self._next_event(state, t, int(finish.min()), next_arrival, run.size)
            recorder.segment(t, t_next, state.memory_at(t), state.memory_at(t_next - 1), run.size)
            t = t_next
            for i in run[finish == t]:
                state.finish(int(i))
                done_at[i] = t
                remaining -= 1
        return SimulationResult(
            policy=policy.name,
            memory=m,
            arrival=inst.arrival,
            output=inst.output,
            completion=done_at,
            start=state.start,
            evictions=state.evictions,
            wasted_tokens=int(state.wasted),
            rejected=np.flatnonzero(too_big),
            memory_rounds=np.asarray(recorder.rounds, np.int64),
            memory_values=np.asarray(recorder.memory, np.int64),
            batch_sizes=np.asarray(recorder.batch_sizes, np.int64),
            seconds=recorder.seconds(),
            event_rounds=np.asarray(recorder.rounds[::2] + [t], np.int64),
        )

    def _next_event(
        self, state: State, t: int, first_finish: int, next_arrival: int | None, batch: int
    ) -> int:
        """The next round at which a decision can change: a completion, an arrival, an overflow.

        Memory is checked at both ends of the segment: it grows linearly in between.
        """
        m = self.memory
        used = state.memory_at(t)
        if used > m:
            raise AssertionError(f"{self.policy.name}: memory {used} > {m} at round {t}")
        t_next = first_finish
        if next_arrival is not None:
            t_next = min(t_next, next_arrival)
        if self.policy.can_overflow:
            overflow_round = (m - state.base) // batch + 1  # first round with base + n*r > m
            t_next = min(t_next, max(overflow_round, t + 1))
        t_next = max(t_next, t + 1)
        last = state.memory_at(t_next - 1)
        if last > m:
            raise AssertionError(f"{self.policy.name}: memory {last} > {m} at round {t_next - 1}")
        return t_next
