"""Scheduling policies: invariants on random instances, optimality on tiny ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ala.scheduling import (
    POLICIES,
    Instance,
    Timing,
    hindsight_optimum,
    intervals,
    make_policy,
    simulate,
)
from ala.scheduling.policies import Projection, raised


def random_instance(
    seed: int, n: int = 30, at_zero: bool = False, width: float = 0.5, kind: str = "random"
) -> Instance:
    rng = np.random.default_rng(seed)
    output = rng.integers(1, 40, n)
    prompt = rng.integers(0, 20, n)
    arrival = np.zeros(n, np.int64) if at_zero else np.sort(rng.integers(0, 60, n))
    lower, upper = intervals(output, width, kind, seed)
    return Instance(arrival, prompt, output, lower, upper)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    at_zero=st.booleans(),
    width=st.floats(0, 0.95),
    memory=st.integers(60, 200),
    policy=st.sampled_from(sorted(POLICIES)),
    miss=st.sampled_from([0.0, 0.3]),
    timed=st.booleans(),
)
def test_invariants_hold_for_every_policy(seed, at_zero, width, memory, policy, miss, timed):
    """Each request completes once or is refused / dropped on what was known, latency >= output,
    memory <= M, a timed run's clock only moves forward, same seed same run; also when a share
    ``miss`` of the intervals miss the true length."""
    inst = random_instance(seed, at_zero=at_zero, width=width)
    rng = np.random.default_rng(seed)
    wrong = rng.uniform(size=len(inst)) < miss
    inst.upper[wrong] = np.maximum(inst.output[wrong] // 2, 1)
    inst.lower[wrong] = np.minimum(inst.lower[wrong], inst.upper[wrong])
    inst.arrival_s = inst.arrival * 0.05
    timing = Timing(np.concatenate([[np.nan], 0.01 + 0.001 * np.arange(1, 40)]), 1e-3)
    result = simulate(inst, policy, memory, timing if timed else None)
    refused = inst.prompt + inst.lower > memory
    assert np.array_equal(result.rejected, np.flatnonzero(refused))
    outgrows = inst.prompt + inst.output > memory
    assert np.array_equal(result.dropped, np.flatnonzero(outgrows & ~refused))
    assert np.array_equal(result.finished, ~refused & ~outgrows)
    fits = result.finished
    assert np.all(result.latency >= inst.output[fits])
    assert np.all(result.completion[fits] == result.start[fits] + inst.output[fits])
    assert result.memory_values.max(initial=0) <= memory
    assert np.all(np.diff(result.event_rounds) >= 0), "time only moves forward"
    if timed:
        rounds, seconds = result.clock
        assert np.all(np.diff(rounds) > 0)
        assert np.all(np.diff(seconds) >= 0)
        assert np.all(result.ttft_seconds() > 0)
        assert np.all(result.ttft_seconds() <= result.latency_seconds() + 1e-9)
    if policy.startswith("hindsight") or (policy == "a_max" and miss == 0):
        assert result.evictions.sum() == 0
    again = simulate(inst, policy, memory, timing if timed else None)
    assert np.array_equal(result.completion, again.completion)


def test_projected_peak_matches_round_by_round_count():
    """The projected peak of a batch plus a newcomer started at ``r`` (every running request
    still live then) equals a brute-force count over rounds, one round and vectorised."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(0, 8))
        r = int(rng.integers(3, 8))
        prompt, start = rng.integers(0, 10, n), rng.integers(0, 3, n)
        end = r + rng.integers(0, 10, n)  # ends at or after r
        s_new, o_new = int(rng.integers(0, 10)), int(rng.integers(1, 10))
        prompts, starts = [*prompt, s_new], [*start, r]
        ends = [*end, r + o_new - 1]
        brute = max(
            sum(prompts[i] + x - starts[i] + 1 for i in range(n + 1) if starts[i] <= x <= ends[i])
            for x in range(r, max(ends) + 1)
        )
        projection = Projection.of(prompt - start + 1, end)
        assert projection.peak_if_started(r, s_new, o_new) == brute
        rounds = np.array([r], np.int64)
        assert projection.peaks(rounds, s_new, o_new)[0] == brute


@pytest.mark.parametrize("seed", range(6))
def test_hindsight_is_near_the_exact_optimum_on_tiny_instances(seed):
    """With equal prompts, all at time 0, shortest-first is optimal or within a few percent."""
    rng = np.random.default_rng(seed)
    n = 5
    output = rng.integers(1, 6, n)
    prompt = np.full(n, 2)
    inst = Instance(np.zeros(n, np.int64), prompt, output, output, output)
    memory = 14
    best = hindsight_optimum(inst, memory)
    ours = simulate(inst, "hindsight", memory).summary()["total_latency"]
    assert ours >= best - 1e-9, "no policy beats the optimum"
    assert ours <= 1.15 * best


def test_exact_optimum_rejects_online_arrivals():
    inst = random_instance(0, n=3)
    with pytest.raises(ValueError, match="time 0"):
        hindsight_optimum(inst, 100)


def test_a_min_is_no_worse_than_a_max_as_intervals_widen():
    """Averaged over a fixed seed set, A_min's latency is at most A_max's at wide intervals."""
    for width in (0.5, 0.8):
        ratios = []
        for seed in range(15):
            inst = random_instance(seed, n=40, at_zero=True, width=width, kind="symmetric")
            a_min = simulate(inst, "a_min", 120).summary()["total_latency"]
            a_max = simulate(inst, "a_max", 120).summary()["total_latency"]
            ratios.append(a_min / a_max)
        assert np.mean(ratios) <= 1.0, (width, np.mean(ratios))


def test_a_max_never_overflows_and_fcfs_evicts_under_pressure():
    inst = random_instance(3, n=60, at_zero=True)
    assert simulate(inst, "a_max", 80).evictions.sum() == 0
    assert simulate(inst, "fcfs", 80).evictions.sum() > 0


def test_a_min_options_are_selectable_and_validated():
    inst = random_instance(1, n=40, at_zero=True, width=0.8)
    for rule in ("generated", "generated+1", "double"):
        for order in ("generated", "estimate"):
            result = simulate(inst, make_policy("a_min", raise_rule=rule, evict_order=order), 90)
            assert result.finished.all()
    with pytest.raises(ValueError, match="raise rule"):
        make_policy("a_min", raise_rule="triple")
    with pytest.raises(ValueError, match="unknown policy"):
        make_policy("lifo")


def test_raise_rules():
    est, gen = np.array([4, 4, 10]), np.array([3, 9, 2])
    assert list(raised(est, gen, "generated")) == [4, 9, 10]
    assert list(raised(est, gen, "generated+1")) == [4, 10, 10]
    assert list(raised(est, gen, "double")) == [4, 16, 10]


def test_intervals_contain_the_truth_and_have_the_requested_ratio():
    output = np.arange(1, 500)
    for kind in ("symmetric", "random"):
        lower, upper = intervals(output, 0.5, kind, seed=2)
        assert np.all((lower <= output) & (output <= upper) & (lower >= 1))
    lower, upper = intervals(np.array([100]), 0.5)
    assert (lower[0], upper[0]) == (50, 150)
    with pytest.raises(ValueError, match="width"):
        intervals(output, 1.0)
