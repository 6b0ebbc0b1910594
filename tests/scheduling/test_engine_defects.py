"""Defects found in the scheduling engine (issue 16): each test failed before its fix."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from ala.scheduling import Instance, Timing, make_policy, simulate
from ala.scheduling.engine import State
from ala.scheduling.policies import ShortestEstimateFirst


def instance(prompt, output, lower=None, upper=None, arrival=None, arrival_s=None) -> Instance:
    output = np.asarray(output, np.int64)
    n = output.size
    return Instance(
        arrival=np.zeros(n, np.int64) if arrival is None else np.asarray(arrival, np.int64),
        prompt=np.asarray(prompt, np.int64),
        output=output,
        lower=output if lower is None else np.asarray(lower, np.int64),
        upper=output if upper is None else np.asarray(upper, np.int64),
        arrival_s=None if arrival_s is None else np.asarray(arrival_s, float),
    )


def test_a_blocked_request_starts_as_soon_as_it_fits_not_at_the_next_completion():
    """Prompts [0, 0], outputs [3, 2], M = 3: deciding every round gives total latency 6."""
    result = simulate(instance([0, 0], [3, 2]), "hindsight", 3)
    assert result.summary()["total_latency"] == 6
    assert list(result.start) == [1, 0]


def test_event_driven_equals_deciding_every_round_on_random_instances():
    """The earliest round at which the blocked head fits is an event: no round is skipped."""
    rng = np.random.default_rng(4)
    for _ in range(30):
        n = 8
        out = rng.integers(1, 9, n)
        prompt = rng.integers(0, 4, n)
        inst = instance(prompt, out)
        memory = int((prompt + out).max() + rng.integers(0, 6))
        ours = simulate(inst, "hindsight", memory).summary()["total_latency"]
        assert ours == every_round_hindsight(prompt, out, memory)


def every_round_hindsight(prompt, output, memory) -> int:
    """Reference: shortest true output first, checking the projected peak in every round."""
    n = len(output)
    start = np.full(n, -1)
    done = np.full(n, -1)
    t = 0
    while (done < 0).any():
        running = [i for i in range(n) if start[i] >= 0 and done[i] < 0]
        for j in sorted((i for i in range(n) if start[i] < 0), key=lambda i: (output[i], i)):
            trial = [*running, j]
            begin = {**{i: start[i] for i in running}, j: t}
            ends = {i: begin[i] + output[i] - 1 for i in trial}
            peak = max(
                sum(prompt[i] + r - begin[i] + 1 for i in trial if begin[i] <= r <= ends[i])
                for r in range(t, max(ends.values()) + 1)
            )
            if peak > memory:
                break
            start[j] = t
            running.append(j)
        t += 1
        for i in running:
            if start[i] + output[i] == t:
                done[i] = t
    return int(done.sum())


class Greedy(ShortestEstimateFirst):
    """A broken policy: claims true lengths but admits everything, ignoring memory."""

    name = "greedy"

    def initial_estimate(self, state: State) -> np.ndarray:
        return state.inst.output.copy()

    def admit(self, state: State, t: int) -> None:
        while state.waiting:
            state.launch(heapq.heappop(state.waiting)[2], t)


def test_memory_is_checked_at_the_end_of_a_segment_not_only_at_its_start():
    """Memory fits when the batch starts but grows past M before anything ends."""
    inst = instance([0, 0], [10, 10])
    with pytest.raises(AssertionError, match="memory"):
        simulate(inst, Greedy(), 12)


def test_intervals_that_miss_the_truth_are_accepted_and_a_max_recovers():
    """An imperfect predictor: upper bounds below the true length. A_max evicts and restarts."""
    output = np.array([20, 20, 20, 20])
    inst = instance([0, 0, 0, 0], output, lower=[5, 5, 5, 5], upper=[8, 8, 8, 8])
    for policy in ("a_max", "a_min", "mc_sf", "hindsight", "fcfs"):
        result = simulate(inst, policy, 45)
        assert result.finished.all(), policy
        assert result.memory_values.max() <= 45
    assert simulate(inst, "a_max", 45).evictions.sum() > 0


def test_mc_sf_does_not_default_to_the_true_length():
    """With symmetric intervals the midpoint is the truth; the default must not use it."""
    output = np.array([100, 40, 7])
    inst = instance([1, 1, 1], output, lower=output // 2, upper=output * 3 // 2)
    policy = make_policy("mc_sf")
    result = simulate(inst, policy, 10_000)
    assert result.finished.all()
    assert not np.array_equal(policy.initial_estimate(policy_state(inst)), output)
    point = np.array([90, 50, 9])
    given = make_policy("mc_sf", point=point)
    assert np.array_equal(given.initial_estimate(policy_state(inst)), point)


def policy_state(inst: Instance) -> State:
    n = len(inst)
    return State(inst, 10_000, np.full(n, -1), np.zeros(n, np.int64), evictions=np.zeros(n))


def test_requests_are_rejected_only_on_what_is_known_at_arrival():
    """Prompt + lower bound > M is refused at arrival; a request that outgrows M alone later is
    dropped when it does, with its tokens counted as wasted. The true length is never read."""
    inst = instance([5, 5, 30], [10, 40, 4], lower=[5, 10, 4], upper=[20, 60, 8])
    result = simulate(inst, "a_min", 32)
    assert list(result.rejected) == [2]  # 30 + 4 > 32
    assert list(result.dropped) == [1]  # 5 + 40 > 32, but 5 + 10 fits: known only later
    assert result.finished[0]
    assert not result.finished[1]
    assert result.wasted_tokens >= 32 - 5


def test_one_clock_in_seconds_arrivals_are_not_rounded_to_a_fixed_round():
    """Rounds of 0.1 s: a request arriving at 1.0 s joins at the round that starts at 1.0 s."""
    inst = instance([0, 0], [30, 5], arrival_s=[0.0, 1.0])
    timing = Timing(decode_s=np.full(65, 0.1))
    result = simulate(inst, "fcfs", 1000, timing=timing)
    assert result.start[1] == 10
    np.testing.assert_allclose(result.latency_seconds(), [3.0, 0.5])
    np.testing.assert_allclose(result.ttft_seconds(), [0.1, 0.1])


def test_round_durations_beyond_the_given_batch_sizes():
    """A model's timing grows with the batch past its last entry; a fixed one does not."""
    model = Timing(np.array([np.nan, 0.01, 0.02]))
    assert model.round_s(4) == pytest.approx(0.04)
    assert Timing.fixed(0.02).round_s(500) == pytest.approx(0.02)
    assert Timing.fixed(0.02).scaled(2).round_s(500) == pytest.approx(0.04)


def test_an_idle_server_waits_for_the_next_arrival_in_seconds():
    inst = instance([0, 0], [2, 2], arrival_s=[0.0, 5.0])
    result = simulate(inst, "fcfs", 1000, timing=Timing(decode_s=np.full(3, 0.5)))
    np.testing.assert_allclose(result.latency_seconds(), [1.0, 1.0])
    assert result.summary()["seconds"]["makespan"] == pytest.approx(6.0)


def test_an_eviction_charges_the_prefill_again():
    """FCFS evicts the newest request on overflow; restarting it re-reads its prompt."""
    inst = instance([10, 10], [30, 30], arrival_s=[0.0, 0.0])
    timing = Timing(decode_s=np.full(3, 0.01), prefill_s_per_token=0.1)
    evicting = simulate(inst, "fcfs", 60, timing=timing)
    assert evicting.evictions.sum() > 0
    launches = len(inst) + int(evicting.evictions.sum())
    # every launch of a 10-token prompt costs 1 s of prefill
    assert evicting.summary()["seconds"]["makespan"] >= launches * 1.0
    roomy = simulate(inst, "fcfs", 1000, timing=timing)
    assert roomy.evictions.sum() == 0
    assert roomy.summary()["seconds"]["makespan"] == pytest.approx(2 * 1.0 + 30 * 0.01)
