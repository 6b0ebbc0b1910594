"""Bounds, area ordering, aging, the length predictor, M from specs, loads and sweeps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ala.errors import AlaError
from ala.scheduling import (
    Instance,
    LengthPredictor,
    Scenario,
    Slo,
    Timing,
    best_bound,
    fluid_bound,
    hindsight_optimum,
    kv_capacity,
    load_trace,
    lp_bound,
    make_instance,
    make_policy,
    predicted_intervals,
    retimed,
    simulate,
    synthetic_trace,
)
from ala.scheduling.sweeps import Cell, load_sweep, run_cells
from ala.specs import Catalogue
from tests.conftest import run_cli
from tests.scheduling.test_engine_defects import policy_state


def tiny(seed: int, n: int = 6, arrivals: bool = False) -> tuple[Instance, int]:
    rng = np.random.default_rng(seed)
    out = rng.integers(1, 8, n)
    prompt = rng.integers(0, 5, n)
    arrival = np.sort(rng.integers(0, 6, n)) if arrivals else np.zeros(n, np.int64)
    memory = int((prompt + out).max() + rng.integers(0, 5))
    return Instance(arrival, prompt, out, out, out), memory


@pytest.mark.parametrize("seed", range(6))
def test_every_bound_lies_below_the_exact_optimum(seed):
    """The fluid (SRPT on memory-time) and LP bounds never exceed the MILP optimum."""
    inst, memory = tiny(seed)
    best = hindsight_optimum(inst, memory)
    fluid, lp = fluid_bound(inst, memory), lp_bound(inst, memory)
    assert fluid.value <= best + 1e-6
    assert lp.value <= best + 1e-6
    assert best_bound(inst, memory).value == pytest.approx(max(fluid.value, lp.value))


@pytest.mark.parametrize("seed", range(4))
def test_bounds_hold_with_arrivals_for_every_policy(seed):
    inst, memory = tiny(seed, n=8, arrivals=True)
    bound = best_bound(inst, memory).value
    for policy in ("hindsight", "hindsight_area", "a_min", "fcfs"):
        assert simulate(inst, policy, memory).summary()["total_latency"] >= bound - 1e-6


def test_the_fluid_bound_is_srpt_on_areas():
    """Two requests at 0, areas 2 and 20 token-rounds, M = 2: completions 1 and 11 rounds."""
    output = np.array([1, 5])
    inst = Instance(np.zeros(2, np.int64), np.array([1, 0]), output, output, output)
    bound = fluid_bound(inst, 2)
    # areas: 1*1 + 1 = 2 and 0 + 15 = 15; SRPT: 2/2 = 1, (2 + 15)/2 = 8.5
    assert bound.value == pytest.approx(1 + 8.5)


def test_area_order_runs_the_prompt_heavy_request_last():
    """A long prompt with a short output holds more memory-time than the reverse."""
    prompt, output = np.array([900, 0]), np.array([10, 60])
    inst = Instance(np.zeros(2, np.int64), prompt, output, output, output)
    by_length = simulate(inst, "hindsight", 915)  # the two cannot both run to their ends
    by_area = simulate(inst, "hindsight_area", 915)
    assert by_length.start[0] == 0
    assert by_length.start[1] > 0
    assert by_area.start[1] == 0
    assert by_area.start[0] > 0


def test_aging_limits_starvation():
    """A prompt-heavy request behind a stream of short ones waits less with aging."""
    n = 200
    output, prompt = np.full(n, 4), np.zeros(n, np.int64)
    output[20], prompt[20] = 10, 20
    arrival = (np.arange(n) // 3).astype(np.int64)
    inst = Instance(arrival, prompt, output, output, output)
    waits = []
    for aging in (0.0, 0.5, 5.0):
        result = simulate(inst, make_policy("a_min", aging=aging), 30)
        waits.append(result.first_start[20] - result.enqueued[20])
    assert waits[0] > 50, "without aging it starves while short requests keep coming"
    assert waits[2] < waits[1] < waits[0]


def test_policy_settings_are_validated():
    with pytest.raises(ValueError, match="order"):
        make_policy("hindsight", order="volume")
    with pytest.raises(ValueError, match="aging"):
        make_policy("a_min", aging=-1)


def test_the_length_predictor_covers_what_it_states_on_fresh_requests():
    """Log-normal outputs whose median grows with the prompt: coverage within 2 points."""
    rng = np.random.default_rng(0)
    n = 40_000
    prompt = rng.integers(10, 4000, n)
    output = np.maximum(np.round(np.exp(2 + 0.4 * np.log(prompt) + rng.normal(0, 0.8, n))), 1)
    widths = []
    for level in (0.5, 0.8, 0.9):
        fitted = predicted_intervals(prompt, output, level)
        assert abs(fitted.coverage - level) <= 0.02, (level, fitted.coverage)
        assert np.all(fitted.lower <= fitted.point)
        assert np.all(fitted.point <= fitted.upper)
        widths.append(fitted.median_ratio)
    assert widths == sorted(widths), "a higher level gives wider intervals"
    with pytest.raises(AlaError, match="at least"):
        LengthPredictor.fit(prompt[:10], output[:10])


def test_rolling_calibration_follows_drift_that_a_fixed_margin_misses():
    """Outputs grow 2.5 times longer over the trace: split-conformal under-covers the later half,
    the rolling margin (recent finished requests only) keeps the stated level."""
    rng = np.random.default_rng(2)
    n = 30_000
    prompt = rng.integers(10, 4000, n)
    drift = np.linspace(0, np.log(2.5), n)
    output = np.maximum(np.round(np.exp(3 + drift + rng.normal(0, 0.5, n))), 1)
    split = predicted_intervals(prompt, output, 0.9, calibration="split")
    rolling = predicted_intervals(prompt, output, 0.9)
    assert split.coverage < 0.85
    assert abs(rolling.coverage - 0.9) <= 0.02
    assert "rolling calibration" in rolling.describe()
    with pytest.raises(AlaError, match="calibration"):
        predicted_intervals(prompt, output, 0.9, calibration="online")


def test_predicted_intervals_replay_the_later_half_with_a_point_prediction():
    trace = synthetic_trace(400, rate=2.0, seed=3)
    inst = make_instance(trace, Scenario(interval_kind="predicted", level=0.8))
    assert len(inst) == 200
    assert inst.point is not None
    assert inst.arrival_s is not None
    assert inst.arrival_s[0] == 0
    policy = make_policy("mc_sf")
    simulate(inst, policy, 20_000)
    assert np.array_equal(policy.initial_estimate(policy_state(inst)), inst.point)
    assert 0.6 < inst.covered().mean() <= 1.0


def test_memory_from_the_spec_catalogue():
    """Llama-2-70B on 2 x A100 80 GB leaves about the 16,492 tokens the paper used."""
    catalogue = Catalogue.bundled()
    capacity = kv_capacity(catalogue, "A100-80GB", 2, "Llama-2-70b")
    assert 15_000 < capacity.tokens < 20_000
    assert "A100" in capacity.describe()
    with pytest.raises(AlaError, match="more GPUs"):
        kv_capacity(catalogue, "A100-80GB", 1, "Llama-2-70b")
    with pytest.raises(AlaError, match="no accelerator named"):
        kv_capacity(catalogue, "TPU-v9", 1, "Llama-2-70b")


def test_arrival_processes_keep_the_mean_rate():
    trace = synthetic_trace(20_000, rate=4.0, seed=1)
    gaps = np.diff(trace.arrival_s)
    assert np.mean(gaps) == pytest.approx(0.25, rel=0.03)
    bursty = retimed(trace, 4.0, "bursty", seed=2)
    bursty_gaps = np.diff(bursty.arrival_s)
    assert np.mean(bursty_gaps) == pytest.approx(0.25, rel=0.1)
    assert np.std(bursty_gaps) > 1.5 * np.std(gaps), "bursty arrivals clump"
    same_gaps = retimed(trace, 8.0, "trace")
    assert same_gaps.arrival_s[-1] / (len(trace) - 1) == pytest.approx(1 / 8)
    ratio = np.diff(same_gaps.arrival_s)[:50] / np.diff(trace.arrival_s)[:50]
    assert np.allclose(ratio, ratio[0]), "the trace's own gaps, scaled"
    assert np.array_equal(same_gaps.output, trace.output)
    with pytest.raises(AlaError, match="arrival rate"):
        retimed(trace, 0.0, "poisson")


def test_latency_rises_with_load_and_the_slo_breaks_somewhere():
    trace = synthetic_trace(300, rate=1.0, prompt_median=200, output_median=60, seed=5)
    timing = Timing(np.concatenate([[np.nan], 0.01 + 0.0005 * np.arange(1, 257)]), 1e-5)
    sweep = load_sweep(
        trace,
        Scenario(memory=8_000),
        ("fcfs", "a_min"),
        timing,
        loads=(0.3, 0.9, 1.5),
        slo=Slo(e2e_s=5.0),
        processes=1,
    )
    fcfs = sweep.table[sweep.table["policy"] == "fcfs"].set_index("load")
    assert fcfs.loc[1.5, "p99_latency_s"] > fcfs.loc[0.3, "p99_latency_s"]
    assert fcfs.loc[1.5, "slo_attainment"] <= fcfs.loc[0.3, "slo_attainment"]
    breaks = sweep.breaking_load()
    assert set(breaks) == {"fcfs", "a_min"}
    assert "capacity" in sweep.format()


def cells() -> list[Cell]:
    trace = synthetic_trace(120, rate=2.0, prompt_median=100, output_median=30, seed=9)
    return [
        Cell(trace, Scenario(memory=3000, width=w), p, with_bound=True, labels=(("width", w),))
        for w in (0.2, 0.8)
        for p in ("a_min", "mc_sf")
    ]


def test_sweep_cells_give_the_same_rows_in_processes_as_in_one():
    one = run_cells(cells(), processes=1)
    two = run_cells(cells(), processes=2)
    assert one.equals(two)
    assert (one["vs_bound"] >= 1 - 1e-9).all()


# distributed's LocalCluster start-up can leave a listening socket for the garbage collector
# (distributed/node.py); it is the library's, not ours
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_sweep_cells_run_on_a_dask_cluster(dask_cluster):
    """A real LocalCluster on loopback gives the same rows as local runs."""
    local = run_cells(cells(), processes=1)
    on_dask = run_cells(cells(), scheduler=dask_cluster.scheduler_address)
    assert local.equals(on_dask)


def test_json_lines_traces_load_and_bad_lines_are_named(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"timestamp": 0.5, "input_length": 812, "output_length": 97}\n'
        '{"timestamp": 1.5, "input_length": 12, "output_length": 9}\n'
    )
    trace = load_trace(path)
    assert list(trace.prompt) == [812, 12]
    assert list(trace.arrival_s) == [0.0, 1.0]
    path.write_text('{"timestamp": 0.5, "input_length": 8, "output_length": 9}\n{oops\n')
    with pytest.raises(AlaError, match="line 2"):
        load_trace(path)


def test_cli_load_sweep_make_trace_and_memory_from_specs(tmp_path):
    trace = tmp_path / "synthetic.csv"
    made = run_cli("make-trace", "-o", str(trace), "--requests", "150", "--rate", "2")
    assert made.returncode == 0, made.stderr
    out = run_cli(
        "schedule-load",
        str(trace),
        "--policy",
        "fcfs",
        "--policy",
        "a_min",
        "--loads",
        "0.5,0.9",
        "--memory",
        "40000",
        "--slo-e2e-s",
        "60",
        "--processes",
        "1",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["capacity_rps"] > 0
    assert len(doc["sweep"]) == 4
    sized = run_cli(
        "schedule",
        str(trace),
        "--policy",
        "a_min",
        "--accelerator",
        "H100",
        "--gpus",
        "1",
        "--llm",
        "Llama-3.1-8B",
        "--intervals",
        "predicted",
        "--level",
        "0.8",
        "--json",
    )
    assert sized.returncode == 0, sized.stderr
    assert "M = " in sized.stderr
    assert any("length predictor at 80%" in n for n in json.loads(sized.stdout)["notes"])
    odd = tmp_path / "odd.csv"
    odd.write_text("ts,n_in,n_out\n" + "\n".join(f"{i},{20 + i},{5 + i % 3}" for i in range(60)))
    mapped = run_cli(
        "schedule",
        str(odd),
        "--map",
        "arrival=ts",
        "--map",
        "prompt=n_in",
        "--map",
        "output=n_out",
        "--policy",
        "fcfs",
        "--json",
    )
    assert mapped.returncode == 0, mapped.stderr
    assert json.loads(mapped.stdout)["policies"]["fcfs"]["requests"] == 60
    bad = run_cli("schedule", str(trace), "--accelerator", "H100")
    assert bad.returncode == 2
    assert "go together" in bad.stderr


def test_the_fluid_bound_takes_the_larger_order_statistic_at_each_rank():
    """The k-th completion is no earlier than SRPT's k-th, nor than the k-th smallest output.

    Areas 21, 21, 15 at M = 21: SRPT completes at 5/7, 12/7, 19/7; the outputs are 1, 1, 5.
    Rank by rank, max(1, 5/7) + max(1, 12/7) + max(5, 19/7) = 1 + 12/7 + 5, more than both the
    fluid sum (36/7) and the sum of outputs (7), and still below the optimum (10).
    """
    prompt, output = np.array([20, 20, 0]), np.array([1, 1, 5])
    inst = Instance(np.zeros(3, np.int64), prompt, output, output, output)
    bound = fluid_bound(inst, 21)
    assert bound.value == pytest.approx(1 + 12 / 7 + 5)
    assert bound.value <= hindsight_optimum(inst, 21) + 1e-9
    assert hindsight_optimum(inst, 21) == pytest.approx(10)


def test_the_summary_says_how_many_requests_queued_for_memory():
    """Two requests that cannot share M = 915: the second queues, so half of them waited."""
    prompt, output = np.array([900, 0]), np.array([10, 60])
    inst = Instance(np.zeros(2, np.int64), prompt, output, output, output)
    assert simulate(inst, "hindsight", 915).summary()["queued_share"] == pytest.approx(0.5)
    assert simulate(inst, "hindsight", 2_000).summary()["queued_share"] == 0.0
