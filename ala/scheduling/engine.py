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
        inst, m = self.inst, self.memory
        n = len(inst)
        too_big = inst.prompt + inst.output > m
        state = State(
            inst=inst,
            memory=m,
            start=np.full(n, -1, np.int64),
            est=np.zeros(n, np.int64),
            evictions=np.zeros(n, np.int64),
        )
        self.policy.reset(state)
        done_at = np.full(n, -1, np.int64)
        pending = [int(i) for i in np.lexsort((np.arange(n), inst.arrival)) if not too_big[i]]
        next_arrival = 0
        t = int(inst.arrival[pending[0]]) if pending else 0
        mem_rounds: list[int] = []
        mem_values: list[int] = []
        batch_sizes: list[int] = []
        seconds_at: list[float] = []
        elapsed_s = 0.0
        remaining = len(pending)
        can_overflow = self.policy.can_overflow
        while remaining:
            while next_arrival < len(pending) and inst.arrival[pending[next_arrival]] <= t:
                self.policy.enqueue(state, pending[next_arrival])
                next_arrival += 1
            if can_overflow and state.memory_at(t) > m:
                self.policy.on_overflow(state, t)
            self.policy.admit(state, t)
            if not state.running:
                if next_arrival >= len(pending):
                    raise RuntimeError(
                        f"policy {self.policy.name!r} left requests waiting "
                        "with nothing running: it cannot make progress"
                    )
                t_next = int(inst.arrival[pending[next_arrival]])
                mem_rounds += [t, t_next - 1]
                mem_values += [0, 0]
                batch_sizes.append(0)
                seconds_at.append(elapsed_s)
                if self.round_seconds is not None:
                    elapsed_s += (t_next - t) * float(self.round_seconds[0])
                t = t_next
                continue
            used = state.memory_at(t)
            if used > m:
                raise AssertionError(f"{self.policy.name}: memory {used} > {m} at round {t}")
            run = np.asarray(state.running, np.int64)
            finish = state.start[run] + inst.output[run]
            t_next = int(finish.min())
            if next_arrival < len(pending):
                t_next = min(t_next, int(inst.arrival[pending[next_arrival]]))
            if can_overflow:
                # first round r with base + n * r > m
                overflow_round = (m - state.base) // run.size + 1
                t_next = min(t_next, max(overflow_round, t + 1))
            t_next = max(t_next, t + 1)
            mem_rounds += [t, t_next - 1]
            mem_values += [used, state.memory_at(t_next - 1)]
            batch_sizes.append(run.size)
            seconds_at.append(elapsed_s)
            if self.round_seconds is not None:
                per_round = self.round_seconds[min(run.size, self.round_seconds.size - 1)]
                elapsed_s += (t_next - t) * float(per_round)
            t = t_next
            finished = run[finish == t]
            for i in finished:
                state.finish(int(i))
                done_at[i] = t
            remaining -= finished.size
        return SimulationResult(
            policy=self.policy.name,
            memory=m,
            arrival=inst.arrival,
            output=inst.output,
            completion=done_at,
            start=state.start,
            evictions=state.evictions,
            wasted_tokens=int(state.wasted),
            rejected=np.flatnonzero(too_big),
            memory_rounds=np.asarray(mem_rounds, np.int64),
            memory_values=np.asarray(mem_values, np.int64),
            batch_sizes=np.asarray(batch_sizes, np.int64),
            seconds=(
                np.asarray(seconds_at + [elapsed_s]) if self.round_seconds is not None else None
            ),
            event_rounds=np.asarray(mem_rounds[::2] + [t], np.int64),
        )
