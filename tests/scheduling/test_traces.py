"""Traces load like benchmark files: clear errors, dropped rows reported."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ala.errors import DataError
from ala.scheduling import load_trace, sample_trace_path
from ala.scheduling.run import Scenario, make_instance, timing_from_model
from tests.conftest import run_cli


def test_azure_conversation_trace_loads():
    trace = load_trace(sample_trace_path("conv"))
    assert len(trace) == 19366
    assert trace.arrival_s[0] == 0
    assert np.all(np.diff(trace.arrival_s) >= 0)
    assert 3000 < trace.arrival_s[-1] < 3600  # about 58 minutes
    assert int(np.median(trace.output)) == 129


def test_bad_trace_rows_are_reported_and_missing_columns_rejected():
    text = b"time,prompt,output\n0.5,10,5\nx,10,5\n1.0,-3,5\n2.0,10,0\n"
    trace = load_trace(text)
    assert len(trace) == 1
    reasons = {(d.column, d.reason): d.rows for d in trace.dropped}
    assert reasons[("arrival", "unreadable time")] == (3,)
    assert reasons[("prompt", "negative value")] == (4,)
    assert reasons[("output", "zero or negative value")] == (5,)
    with pytest.raises(DataError, match="missing column"):
        load_trace(b"a,b\n1,2\n")


def test_user_intervals_may_miss_the_output_but_not_be_upside_down():
    """An imperfect predictor's intervals are accepted (and their coverage reported)."""
    trace = load_trace(b"time,prompt,output,lower,upper\n0,1,5,4,6\n1,1,5,6,9\n")
    inst = make_instance(trace, Scenario(interval_kind="trace"))
    assert list(inst.lower) == [4, 6]
    assert trace.interval_coverage() == 0.5
    with pytest.raises(DataError, match="lower > upper"):
        load_trace(b"time,prompt,output,lower,upper\n0,1,5,9,6\n")


def test_rate_scale_and_all_at_zero_change_arrival_rounds():
    trace = load_trace(b"time,prompt,output\n0,1,5\n1,1,5\n2,1,5\n")
    assert list(make_instance(trace, Scenario(round_s=0.5)).arrival) == [0, 2, 4]
    assert list(make_instance(trace, Scenario(round_s=0.5, rate_scale=2)).arrival) == [0, 1, 2]
    assert list(make_instance(trace, Scenario(all_at_zero=True)).arrival) == [0, 0, 0]


def test_round_durations_from_a_throughput_model(synthetic):
    from ala.model import ThroughputModel

    model = ThroughputModel().fit(synthetic, calibrate=True)
    timed = timing_from_model(model, {"acc": "GPU-A"}, 512, 512, interval=0.9, max_batch=64)
    per_round = timed.timing.decode_s
    assert np.all(per_round[1:] > 0)
    assert per_round[64] > per_round[1], "a bigger batch takes longer per round"
    assert timed.fast is not None
    assert timed.slow is not None
    assert np.all(timed.fast.decode_s[1:] <= per_round[1:] + 1e-12)
    assert np.all(timed.slow.decode_s[1:] >= per_round[1:] - 1e-12)
    assert "throughput model" in timed.source


def test_schedule_cli_prints_the_documented_json(tmp_path):
    trace = tmp_path / "t.csv"
    trace.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        + "\n".join(f"2023-11-16 18:15:{i:02d}.0,{100 + i},{5 + i % 7}" for i in range(40))
    )
    out = run_cli(
        "schedule",
        str(trace),
        "--policy",
        "a_min",
        "--policy",
        "hindsight",
        "--memory",
        "400",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)["policies"]
    assert set(doc) == {"a_min", "hindsight"}
    assert {
        "total_latency",
        "mean_latency",
        "p99_latency",
        "makespan",
        "evictions",
        "wasted_tokens",
    } <= set(doc["a_min"])
    bad = run_cli("schedule", str(trace), "--width", "2")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_schedule_cli_reports_seconds_with_a_throughput_model(tmp_path):
    """--model/--config turn rounds into seconds; configuration values may contain '/'."""
    from ala.data import load_benchmarks
    from ala.model import ThroughputModel

    from ..conftest import synthetic_frame

    frame = synthetic_frame().assign(acc=lambda f: "org/" + f["acc"])
    model_path = tmp_path / "m.json"
    ThroughputModel().fit(load_benchmarks(frame), calibrate=True).save(model_path)
    trace = tmp_path / "t.csv"
    trace.write_text(
        # prompt = output, as in the model's data: off that line the model gives no interval
        "time,prompt,output\n" + "\n".join(f"{i},{60 + i % 5},{60 + i % 5}" for i in range(30))
    )
    out = run_cli(
        "schedule",
        str(trace),
        "--policy",
        "a_min",
        "--memory",
        "400",
        "--model",
        str(model_path),
        "--config",
        "acc=org/GPU-A",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)["policies"]["a_min"]
    assert row["total_latency_s"] > 0
    assert row["makespan_s"] > 0
    assert row["p99_latency_s_slow"] >= row["p99_latency_s"] >= row["p99_latency_s_fast"]
