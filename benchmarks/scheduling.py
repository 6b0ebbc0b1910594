"""Scheduling figures for issue 16, each policy against a yardstick measured in the same run.

Run: python benchmarks/scheduling.py [--quick]      (about 10 minutes; --quick about 2)

1. Yardsticks: every policy's total latency over the best lower bound (fluid SRPT on
   memory-time, or the LP relaxation on small instances) and over hindsight (H-SF), on both
   bundled Azure traces, all requests at time 0, M = 16,492 (the paper's) and 4,096 (tight),
   with synthetic symmetric intervals (width 0.5) and with a conformal length predictor's
   (90 %). On small random instances the bound and H-SF are also compared with the MILP optimum.
1b. The same ratios with Poisson arrivals at 30-90 % of capacity and M = 16,492 and 65,536,
   with the share of requests that queue for memory, to say where memory is tight; the cells
   where A_min is over 1.10x the bound are named.
2. The length predictor: coverage on the later half of each trace at levels 0.5-0.95, with a
   fixed split-conformal margin and with the rolling margin (the default).
3. Policies as the predictor's level (and so its width) varies, beside synthetic symmetric and
   random intervals of growing width.
4. Seconds and SLOs: a real configuration (Qwen3-32B, 2 x H100, vLLM, bf16, from
   AIConfigurator's measured runs), round durations from its latency model, M from the spec
   catalogue; p50/p99 latency, TTFT, SLO attainment with the model's interval, and the load at
   which each policy breaks the SLO, for Poisson and bursty arrivals.
5. Scale: requests/s at 1k, 10k, 100k and 1M requests and peak memory per request, against a
   round-by-round FCFS loop on the same requests (identical completions checked).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from aiconfigurator import aiconfigurator_frame  # noqa: E402

from ala.model import ThroughputModel  # noqa: E402
from ala.scheduling import (  # noqa: E402
    Instance,
    Scenario,
    Slo,
    Timing,
    best_bound,
    hindsight_optimum,
    kv_capacity,
    load_trace,
    make_instance,
    predicted_intervals,
    retimed,
    sample_trace_path,
    simulate,
    synthetic_trace,
)
from ala.scheduling.sweeps import (  # noqa: E402
    Cell,
    capacity_rps,
    level_sweep,
    load_sweep,
    run_cells,
    width_sweep_table,
)
from ala.service import compare_policies, model_timing  # noqa: E402
from ala.specs import Catalogue  # noqa: E402

POLICIES = ("hindsight", "hindsight_area", "a_max", "a_min", "a_min_area", "mc_sf", "fcfs")
pd.set_option("display.width", 200)


def yardsticks(limit: int | None) -> None:
    """Ratio of each policy's total latency to the best lower bound and to hindsight."""
    print("\n== 1. Total latency / best lower bound (and / hindsight), all at time 0 ==")
    rng = np.random.default_rng(0)
    gaps = []
    for _ in range(30):
        n = 6
        out = rng.integers(1, 8, n)
        prompt = rng.integers(0, 5, n)
        inst = Instance(np.zeros(n, np.int64), prompt, out, out, out)
        memory = int((prompt + out).max() + rng.integers(0, 5))
        best = hindsight_optimum(inst, memory)
        gaps.append(
            (
                best_bound(inst, memory).value / best,
                simulate(inst, "hindsight", memory).summary()["total_latency"] / best,
                simulate(inst, "hindsight_area", memory).summary()["total_latency"] / best,
            )
        )
    g = np.asarray(gaps)
    print(
        f"30 random instances of 6 requests, MILP optimum = 1: best bound {g[:, 0].mean():.3f} "
        f"(min {g[:, 0].min():.3f}); H-SF {g[:, 1].mean():.3f} (max {g[:, 1].max():.3f}); "
        f"area order with true lengths {g[:, 2].mean():.3f} (max {g[:, 2].max():.3f})"
    )
    rows = []
    for name in ("conv", "code"):
        trace = load_trace(sample_trace_path(name))
        if limit:
            trace = trace.head(limit)
        for memory in (16_492, 4_096):
            for kind in ("symmetric", "predicted"):
                scenario = Scenario(
                    memory=memory, all_at_zero=True, interval_kind=kind, width=0.5, level=0.9
                )
                result = compare_policies(trace, scenario, POLICIES)
                for policy, row in result.summary.iterrows():
                    rows.append(
                        {
                            "trace": name,
                            "M": memory,
                            "intervals": "symmetric 0.5"
                            if kind == "symmetric"
                            else "predicted 90%",
                            "policy": policy,
                            "vs_bound": row["vs_bound"],
                            "vs_hindsight": row["vs_hindsight"],
                            "dropped": row["dropped"],
                        }
                    )
                print(f"  {name}, M = {memory}, {kind}: {result.notes[-1]}")
    table = pd.DataFrame(rows).astype({"vs_bound": float, "vs_hindsight": float})
    for value in ("vs_bound", "vs_hindsight"):
        print(f"\n{value}:")
        pivot = table.pivot(index=["trace", "M", "intervals"], columns="policy", values=value)
        print(pivot[list(POLICIES)].to_string(float_format="%.3f"))
    for policy in ("a_min", "a_min_area"):
        mine = table[table["policy"] == policy]
        within = mine[mine["vs_bound"] <= 1.10]
        print(
            f"\n{policy} within 1.10x of the bound in {len(within)} of {len(mine)} cells; not in: "
            + "; ".join(
                f"{r.trace} M={r.M} {r.intervals} ({r.vs_bound:.2f}x)"
                for r in mine[mine["vs_bound"] > 1.10].itertuples()
            )
        )


def memory_and_load(limit: int | None) -> None:
    """A_min against the bound as memory tightens: Poisson arrivals at shares of capacity.

    Untimed (rounds, 20 ms each for the arrivals), so the bound applies. Capacity is the
    requests per round of FCFS with every request at once; how tight memory is shows as the
    share of requests that queue for it under hindsight shortest-first (``queued``).
    """
    print("\n== 1b. Total latency / best bound with arrivals: where is memory tight? ==")
    round_s, rows = 0.02, []
    for name in ("conv", "code"):
        trace = load_trace(sample_trace_path(name))
        if limit:
            trace = trace.head(limit)
        for memory in (16_492, 65_536):
            saturated = simulate(
                make_instance(trace, Scenario(memory=memory, all_at_zero=True)), "fcfs", memory
            )
            per_round = float(saturated.finished.sum()) / saturated.summary()["makespan"]
            for load in (0.3, 0.5, 0.7, 0.9):
                arriving = retimed(trace, load * per_round / round_s, "poisson", seed=1)
                for kind in ("symmetric", "predicted"):
                    scenario = Scenario(memory=memory, interval_kind=kind, round_s=round_s)
                    result = compare_policies(arriving, scenario, POLICIES)
                    summary = result.summary.astype(float, errors="ignore")
                    row = {
                        "trace": name,
                        "M": memory,
                        "load": load,
                        "intervals": "symmetric 0.5" if kind == "symmetric" else "predicted 90%",
                        "queued": float(summary.loc["hindsight", "queued_share"]),
                        "bound": result.notes[-1].rsplit("(", 1)[-1].rstrip(")"),
                    }
                    row.update({p: float(summary.loc[p, "vs_bound"]) for p in POLICIES})
                    rows.append(row)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format="%.3f"))
    loose = table["queued"] <= 0.10
    for policy in ("a_min", "a_min_area"):
        fine = table[loose & (table[policy] <= 1.10)]
        missed = table[table[policy] > 1.10]
        print(
            f"\n{policy}: within 1.10x of the bound in {len(fine)} of {int(loose.sum())} cells "
            f"where at most 10 % of requests queue for memory (and in "
            f"{int((table[policy] <= 1.10).sum())} of {len(table)} in all); over 1.10x: "
            + "; ".join(
                f"{r.trace} M={r.M} load {r.load:.0%} {r.intervals} ({r[policy]:.3f}x, "
                f"{r.queued:.0%} queued)"
                for _, r in missed.iterrows()
            )
        )


def predictor() -> None:
    """Held-out coverage of the conformal length predictor."""
    print("\n== 2. Length predictor: coverage on the later half (target: within 2 points) ==")
    for name in ("conv", "code"):
        trace = load_trace(sample_trace_path(name))
        for level in (0.5, 0.7, 0.8, 0.9, 0.95):
            for calibration in ("split", "rolling"):
                fitted = predicted_intervals(
                    trace.prompt, trace.output, level, calibration=calibration
                )
                gap = 100 * (fitted.coverage - level)
                print(f"  {name}: {fitted.describe()}  ({gap:+.1f} points)")


def levels(limit: int | None) -> None:
    """Policies on the predictor's intervals as its level varies."""
    print("\n== 3. Total latency / bound as the predictor's level varies (conv, M = 16,492) ==")
    trace = load_trace(sample_trace_path("conv"))
    if limit:
        trace = trace.head(limit)
    table = level_sweep(
        trace,
        Scenario(all_at_zero=True),
        ("hindsight", "a_max", "a_min", "a_min_area", "mc_sf"),
        (0.5, 0.7, 0.8, 0.9, 0.95),
    )
    print(
        table.pivot(index="level", columns="policy", values="vs_bound").to_string(
            float_format="%.3f"
        )
    )
    cov = table.groupby("level")["interval_coverage"].first()
    print("coverage of the intervals used:", ", ".join(f"{k:.2f}: {v:.3f}" for k, v in cov.items()))
    for kind in ("symmetric", "random"):
        widths = width_sweep_table(
            trace,
            Scenario(all_at_zero=True, interval_kind=kind),
            (0.1, 0.3, 0.5, 0.7, 0.9),
            ("hindsight", "a_max", "a_min", "a_min_area", "mc_sf"),
        )
        print(f"beside synthetic {kind} intervals (total latency / bound by width):")
        pivot = widths.pivot(index="width", columns="policy", values="vs_bound")
        print(pivot.to_string(float_format="%.3f"))


def seconds_and_load(limit: int | None) -> None:
    """A real configuration: latencies in seconds, SLO attainment, breaking load."""
    print("\n== 4. Seconds and SLOs: Qwen3-32B on 2 x H100 (vLLM, bf16) ==")
    frame = aiconfigurator_frame()
    frame = frame[frame["model"] == "Qwen/Qwen3-32B"]  # the configuration's own model's runs
    model = ThroughputModel().fit(frame, calibrate=True)
    wanted = {
        "acc": "h100_sxm",
        "acc_count": "2",
        "back": "vllm",
        "prec": "bf16",
        "model": "Qwen/Qwen3-32B",
    }
    columns = model.config_columns_
    key = next(
        k
        for k in model.configs_
        if all(dict(zip(columns, k, strict=True)).get(c) == v for c, v in wanted.items())
    )
    capacity = kv_capacity(Catalogue.bundled(), "h100_sxm", 2, "Qwen/Qwen3-32B", "bf16")
    print(" ", capacity.describe())
    trace = load_trace(sample_trace_path("conv"))
    trace = trace.head(limit or 4000)
    timing = model_timing(model, key, trace, 0.9)
    print(f"  {timing.source}")
    slo = Slo(ttft_s=2.0, e2e_s=30.0)
    scenario = Scenario(memory=capacity.tokens, interval_kind="predicted", level=0.9)
    result = compare_policies(trace, scenario, POLICIES, timing, slo)
    cols = [
        "p50_latency_s",
        "p99_latency_s",
        "p99_latency_s_fast",
        "p99_latency_s_slow",
        "p99_ttft_s",
        "output_tokens_per_s",
        "slo_attainment",
        "slo_attainment_fast",
        "slo_attainment_slow",
        "longest_wait_s",
    ]
    print("  the trace's own arrivals (first half fits the predictor):")
    print(result.summary[cols].astype(float).to_string(float_format="%.3g"))
    for process in ("poisson", "bursty"):
        sweep = load_sweep(
            trace,
            Scenario(memory=capacity.tokens),
            ("hindsight", "a_max", "a_min", "mc_sf", "fcfs"),
            timing.timing,
            loads=(0.5, 0.7, 0.8, 0.9, 0.95, 1.05),
            process=process,
            slo=slo,
            goal=0.9,
        )
        print(
            f"\n  {process} arrivals, SLO TTFT <= 2 s and end-to-end <= 30 s for 90 % of requests"
        )
        print("  " + sweep.format().replace("\n", "\n  "))


def starvation(limit: int | None) -> None:
    """The longest wait under shortest-first with and without aging, against FCFS."""
    print("\n== 4b. Starvation at 80 % load (conv, Poisson, 25 ms rounds, M = 16,492) ==")
    trace = load_trace(sample_trace_path("conv")).head(limit or 6000)
    timing = Timing.fixed(0.025)
    capacity = capacity_rps(trace, Scenario(), timing)
    cells = [
        Cell(
            trace,
            Scenario(width=0.5),
            policy,
            timing,
            rate=0.8 * capacity,
            process="poisson",
            labels=(("aging", aging),),
            policy_params=(("aging", aging),) if policy != "fcfs" else (),
        )
        for policy, aging in (("fcfs", 0.0), ("a_min", 0.0), ("a_min", 0.05), ("a_min", 0.5))
    ]
    table = run_cells(cells)
    print(
        table[["policy", "aging", "p50_latency_s", "p99_latency_s", "longest_wait_s"]].to_string(
            index=False, float_format="%.3g"
        )
    )


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


def scale(quick: bool) -> None:
    """Requests/s and memory per request as the trace grows."""
    print("\n== 5. Scale: one policy, synthetic Poisson trace, M = 16,492 (target 100k < 10 s) ==")
    sizes = (1_000, 10_000, 100_000) if quick else (1_000, 10_000, 100_000, 1_000_000)
    for policy in ("a_min", "hindsight", "fcfs"):
        for n in sizes:
            trace = synthetic_trace(n, rate=1.0, prompt_median=1000, output_median=150, seed=0)
            inst = make_instance(trace, Scenario())
            start = time.perf_counter()
            simulate(inst, policy)
            took = time.perf_counter() - start
            print(f"  {policy:9s} {n:>9,} requests: {took:7.2f} s, {n / took:9,.0f} requests/s")
    # tracemalloc slows Python several times over, so memory is measured in separate runs
    for n in (1_000, 10_000, 30_000):
        trace = synthetic_trace(n, rate=1.0, prompt_median=1000, output_median=150, seed=0)
        inst = make_instance(trace, Scenario())
        tracemalloc.start()
        simulate(inst, "a_min")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  a_min peak memory at {n:>6,} requests: {peak / n:,.0f} bytes per request")
    trace = load_trace(sample_trace_path("conv")).head(2000)
    inst = make_instance(trace, Scenario())
    start = time.perf_counter()
    reference = naive_fcfs(inst.arrival, inst.prompt, inst.output, 16_492)
    naive_s = time.perf_counter() - start
    start = time.perf_counter()
    ours = simulate(inst, "fcfs")
    ours_s = time.perf_counter() - start
    print(
        f"  round-by-round FCFS on 2,000 conversation requests: {naive_s:.2f} s; event-driven "
        f"{ours_s:.3f} s (x{naive_s / ours_s:.0f}); identical completions: "
        f"{np.array_equal(reference, ours.completion)}"
    )


def dask_or_processes() -> None:
    """The same cells locally in processes and in one process give identical rows."""
    trace = load_trace(sample_trace_path("code")).head(1500)
    cells = [
        Cell(trace, Scenario(width=w, all_at_zero=True), p, with_bound=True, labels=(("width", w),))
        for w in (0.3, 0.6, 0.9)
        for p in ("a_min", "mc_sf")
    ]
    start = time.perf_counter()
    one = run_cells(cells, processes=1)
    one_s = time.perf_counter() - start
    start = time.perf_counter()
    two = run_cells(cells, processes=2)
    two_s = time.perf_counter() - start
    print(
        f"\n6 sweep cells: one process {one_s:.2f} s, two processes {two_s:.2f} s; "
        f"identical rows: {one.equals(two)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller traces, no 1M run")
    args = parser.parse_args()
    limit = 3000 if args.quick else None
    yardsticks(limit)
    memory_and_load(limit)
    predictor()
    levels(limit)
    seconds_and_load(2000 if args.quick else None)
    starvation(3000 if args.quick else None)
    scale(args.quick)
    dask_or_processes()


if __name__ == "__main__":
    main()
