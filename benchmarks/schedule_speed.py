"""Scheduling: simulation speed per policy and latency ratios to hindsight (prints figures).

Run: python benchmarks/schedule_speed.py

Speed: the whole Azure conversation trace under each policy, with the trace's own arrivals
(20 ms rounds) and all at time 0. Baseline in the same run: a naive round-by-round loop of
FCFS on the first 2,000 requests, against the event-driven engine on the same requests.
Ratios: every request at time 0, M = 16,492, symmetric and random intervals of width 0.1-0.9.
"""

from __future__ import annotations

import time

import numpy as np

from ala.scheduling import load_trace, make_instance, make_policy, sample_trace_path, simulate
from ala.scheduling.run import Scenario, sweep

POLICIES = ("hindsight", "a_max", "a_min", "mc_sf", "fcfs")


def naive_fcfs(arrival, prompt, output, memory):  # type: ignore[no-untyped-def]
    """Reference: step every round, FCFS admission and newest-first eviction."""
    n = len(arrival)
    start = np.full(n, -1)
    done = np.full(n, -1)
    queue: list[int] = []
    running: list[int] = []
    nxt, t = 0, 0
    while (done < 0).any():
        while nxt < n and arrival[nxt] <= t:
            queue.append(nxt)
            nxt += 1
        used = sum(prompt[i] + t - start[i] + 1 for i in running)
        while used > memory:
            i = max(running, key=lambda k: (start[k], k))
            running.remove(i)
            start[i] = -1
            queue.insert(0, i)
            queue.sort(key=lambda k: (arrival[k], k))
            used = sum(prompt[k] + t - start[k] + 1 for k in running)
        while queue and used + prompt[queue[0]] + 1 <= memory:
            i = queue.pop(0)
            start[i] = t
            running.append(i)
            used += prompt[i] + 1
        t += 1
        for i in list(running):
            if t - start[i] == output[i]:
                running.remove(i)
                done[i] = t
    return done


def main() -> None:
    trace = load_trace(sample_trace_path("conv"))
    print(f"trace: {trace.name}, {len(trace)} requests")
    for zero in (False, True):
        inst = make_instance(trace, Scenario(all_at_zero=zero))
        print(f"\n{'all at time 0' if zero else 'trace arrivals, 20 ms rounds'}:")
        for policy in POLICIES:
            start = time.perf_counter()
            simulate(inst, policy)
            took = time.perf_counter() - start
            print(
                f"  {policy:10s} {took:6.2f} s  {len(trace) / took:9,.0f} requests/s"
                f"  (target < 2 s)"
            )
    small = trace.head(2000)
    inst = make_instance(small, Scenario())
    start = time.perf_counter()
    ref = naive_fcfs(inst.arrival, inst.prompt, inst.output, 16492)
    t_naive = time.perf_counter() - start
    start = time.perf_counter()
    ours = simulate(inst, "fcfs")
    t_ours = time.perf_counter() - start
    same = np.array_equal(ref, ours.completion)
    print(
        f"\nround-by-round FCFS on 2,000 requests: {t_naive:.2f} s; event-driven: {t_ours:.3f} s "
        f"(x{t_naive / t_ours:.0f}); identical completions: {same}"
    )
    print("\nA_min variants, all at time 0, symmetric intervals (ratio to hindsight, evictions):")
    for width in (0.5, 0.9):
        inst = make_instance(trace, Scenario(all_at_zero=True, width=width))
        base = simulate(inst, "hindsight").summary()["total_latency"]
        for rule in ("generated", "generated+1", "double"):
            for order in ("generated", "estimate"):
                policy = make_policy("a_min", raise_rule=rule, evict_order=order)
                summary = simulate(inst, policy).summary()
                print(
                    f"  width {width}: raise {rule:11s} evict by {order:9s} "
                    f"x{summary['total_latency'] / base:.4f}  {summary['evictions']} evictions"
                )
    for kind in ("symmetric", "random"):
        table = sweep(
            trace,
            Scenario(all_at_zero=True, interval_kind=kind),
            [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
            POLICIES,
        )
        print(f"\ntotal latency / hindsight, all at time 0, M = 16,492, {kind} intervals:")
        print(
            table.pivot(index="width", columns="policy", values="ratio").to_string(
                float_format="%.3f"
            )
        )


if __name__ == "__main__":
    main()
