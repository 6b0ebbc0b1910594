"""Serving data (issue 10): tool importers, latency targets, derived metrics, peaked curves,
SLO sizing and the Pareto view."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ala.cli import main
from ala.data import load_benchmarks
from ala.errors import DataError, ModelFileError
from ala.importers import detect_json, load_any, read_results
from ala.latency import LatencyModel, fit_latency_difficulty, latency_difficulty
from ala.model import ThroughputModel
from ala.peaks import find_peaks
from ala.plots import pareto_figure
from ala.slo import SLO, pareto_frame, slo_sizing

ASSETS = Path(__file__).parent.parent / "assets" / "data"
LLMPERF = ASSETS / "llmperf"
AIC = ASSETS / "aiconfigurator" / "silicon_sample_subset.csv"

# Written from GuideLLM's documented report schema (no real GuideLLM file was at hand).
GUIDELLM = {
    "metadata": {"guidellm_version": "0.3.0"},
    "benchmarks": [
        {
            "scheduler": {"strategy": {"type_": "concurrent", "streams": streams}},
            "metrics": {
                "prompt_token_count": {"successful": {"mean": 1024.0}},
                "output_token_count": {"successful": {"mean": 256.0}},
                "tokens_per_second": {"successful": {"mean": tps}},
                "request_latency": {"successful": {"median": e2e_s}},
                "time_to_first_token_ms": {
                    "successful": {"median": ttft, "percentiles": {"p99": 2 * ttft}}
                },
                "time_per_output_token_ms": {
                    "successful": {"median": tpot, "percentiles": {"p99": 1.5 * tpot}}
                },
            },
        }
        for streams, tps, e2e_s, ttft, tpot in (
            (1, 900.0, 1.4, 60.0, 5.2),
            (8, 5600.0, 1.8, 110.0, 6.6),
        )
    ],
}
# Written from AIPerf's documented profile_export_aiperf.json schema (docs example values).
AIPERF = {
    "schema_version": "1.5",
    "aiperf_version": "0.13.0",
    "input_config": {"loadgen": {"concurrency": 4}, "model_names": ["Qwen/Qwen3-0.6B"]},
    "request_latency": {"unit": "ms", "avg": 2620.7, "p50": 2568.7, "p99": 3371.2},
    "time_to_first_token": {"unit": "ms", "avg": 195.8, "p50": 175.05, "p99": 253.45},
    "inter_token_latency": {"unit": "ms", "avg": 35.2, "p50": 34.73, "p99": 35.96},
    "output_token_throughput": {"unit": "tokens/sec", "avg": 52.69},
    "output_sequence_length": {"unit": "tokens", "avg": 64.0},
    "input_sequence_length": {"unit": "tokens", "avg": 256.0},
}
# Written from inference-perf's documented lifecycle report (seconds).
INFERENCE_PERF = {
    "load_summary": {"count": 100, "requested_rate": 5.0, "achieved_rate": 4.9},
    "successes": {
        "count": 100,
        "latency": {
            "request_latency": {"mean": 2.0, "median": 1.9, "p99": 3.0},
            "time_to_first_token": {"mean": 0.2, "median": 0.15, "p99": 0.4},
            "time_per_output_token": {"mean": 0.012, "median": 0.011, "p99": 0.02},
        },
        "throughput": {"requests_per_sec": 4.9, "total_tokens_per_sec": 6272.0},
        "prompt_len": {"mean": 1024.0},
        "output_len": {"mean": 256.0},
    },
    "failures": {"count": 0},
}


def write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc))
    return path


# ----------------------------------------------------------------------------- importers
def test_llmperf_real_files_import_with_seconds_converted():
    frame = read_results([LLMPERF]).frame.sort_values("bb")
    assert list(frame["bb"]) == [1, 16]
    row = frame.iloc[1]
    # results_ttft_s_quantiles_p50 = 6.561932362000334 s in the source file
    assert row["ttft_ms"] == pytest.approx(6561.932362)
    assert row["tpot_ms"] == pytest.approx(113.26328822561353)
    # output tokens/s 124.29 x (550 + 159.28) / 159.28, lengths rounded to whole tokens
    assert (row["ii"], row["oo"]) == (550, 159)
    assert row["thpt"] == pytest.approx(
        124.29275563556878 * (550 + 159.27678571428572) / 159.27678571428572
    )
    assert set(frame["source_tool"]) == {"llmperf"}


def test_aiconfigurator_real_rows_import_and_throughput_is_derived():
    result = read_results([AIC])
    assert len(result.frame) == 64
    assert any("5 disaggregated rows not imported" in n for n in result.notes)
    # line 7: ..._agg_512x128_c4_tp4...; silicon_concurrency=4, ..., 173.54799803749998,13.340653025
    first = result.frame.iloc[0]
    assert (first["bb"], first["ii"], first["oo"]) == (4, 512, 128)
    assert (first["ttft_ms"], first["tpot_ms"]) == (173.54799803749998, 13.340653025)
    assert first["acc_count"] == "4"
    assert first["layout"] == "tp+ep"  # tp_size 4, moe_ep_size 4
    data = load_any(AIC)
    assert data.report.metrics["thpt"].startswith("derived")
    row = data.frame[
        (data.frame["bb"] == 4) & (data.frame["ii"] == 512) & (data.frame["oo"] == 128)
    ]
    e2e_ms = row["ttft_ms"].iloc[0] + 127 * row["tpot_ms"].iloc[0]
    # Little's law for a closed loop of 4 users
    assert row["thpt"].iloc[0] == pytest.approx(4 * 640 / (e2e_ms / 1000))


@pytest.mark.parametrize(
    ("doc", "tool", "checks"),
    [
        (GUIDELLM, "guidellm", {"bb": 8, "ttft_ms": 110.0, "tpot_ms": 6.6, "e2e_ms": 1800.0}),
        (AIPERF, "aiperf", {"bb": 4, "ttft_ms": 175.05, "thpt": 52.69 * 320 / 64}),
        (INFERENCE_PERF, "inference-perf", {"bb": 4.9 * 2.0, "ttft_ms": 150.0, "thpt": 6272.0}),
    ],
)
def test_documented_formats_are_detected_and_read(tmp_path, doc, tool, checks):
    assert detect_json(doc) == tool
    frame = read_results([write(tmp_path / "run.json", doc)]).frame
    row = frame.iloc[-1]
    for column, value in checks.items():
        assert row[column] == pytest.approx(value), column
    assert row["source_tool"] == tool
    assert row["source_file"] == "run.json"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"benchmarks": [{"metrics": {"time_to_first_token_ms": {}}}]}, "output_token_count"),
        ({**AIPERF, "input_config": {}}, "concurrency"),
        ({**AIPERF, "time_to_first_token": {"unit": "parsecs", "p50": 1}}, "not a time unit"),
        ({**AIPERF, "input_sequence_length": {"avg": "many"}}, "'many', not a number"),
        ({"load_summary": {}, "successes": {"count": 3}}, "successes.latency"),
        (
            {"results_ttft_s_mean": 1, "results_num_completed_requests": 2},
            "num_concurrent_requests",
        ),
        ({"something": 1}, "not a result file of a known tool"),
    ],
)
def test_broken_tool_files_name_the_file_and_field(tmp_path, doc, message):
    with pytest.raises(DataError, match=message) as error:
        read_results([write(tmp_path / "broken.json", doc)])
    assert "broken.json" in str(error.value)


def test_a_truncated_file_in_a_zip_is_named(tmp_path):
    archive = tmp_path / "runs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a/run1.json", json.dumps(AIPERF))
        z.writestr("a/run2.json", json.dumps(AIPERF)[:40])
    with pytest.raises(DataError, match="run2.json: not valid JSON"):
        read_results([archive])


def test_a_zip_of_several_tools_loads_as_one_dataset(tmp_path):
    archive = tmp_path / "runs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("g.json", json.dumps(GUIDELLM))
        for path in LLMPERF.glob("*.json"):
            z.write(path, path.name)
    # GuideLLM's report does not name the model here: the setting fills it in
    data = load_any(archive, {"acc": "A10G", "model": "01-ai/Yi-1.5-34B-Chat"})
    assert len(data.frame) == 4
    assert set(data.frame["source_tool"]) == {"guidellm", "llmperf"}
    assert "ttft_ms" in data.report.metrics


# ------------------------------------------------------------------------ loader / metrics
def test_latency_columns_in_seconds_and_derived_throughput():
    frame = pd.DataFrame(
        {
            "acc": "X",
            "isl": 1000,
            "osl": 101,
            "concurrency": [1, 4],
            "median_ttft": [0.1, 0.3],  # seconds
            "tpot_ms": [10.0, 12.0],
        }
    )
    data = load_benchmarks(frame)
    assert list(data.frame["ttft_ms"]) == [100.0, 300.0]
    assert list(data.frame["e2e_ms"]) == [100 + 100 * 10.0, 300 + 100 * 12.0]
    assert data.frame["thpt"].iloc[1] == pytest.approx(4 * 1101 / 1.5)
    assert data.report.metrics["e2e_ms"].startswith("derived")
    assert data.report.metrics["thpt"].startswith("derived")


# ---------------------------------------------------------------------- latency targets
def serving_frame(peak_at: float | None = None) -> pd.DataFrame:
    """Synthetic closed-loop serving data from a known latency model."""
    rows = []
    for ii in (512.0, 2048.0, 8192.0):
        for bb in (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0):
            ttft = 20 + 0.02 * ii + 0.004 * ii * bb
            tpot = 8 + 0.25 * bb + 0.00002 * bb * (ii + 64)
            e2e = ttft + 127 * tpot
            thpt = bb * (ii + 128) / (e2e / 1000)
            if peak_at is not None and ii == 8192 and bb > peak_at:
                thpt *= (peak_at / bb) ** 0.6
            rows.append(
                {
                    "acc": "H",
                    "ii": ii,
                    "oo": 128.0,
                    "bb": bb,
                    "thpt": thpt,
                    "ttft_ms": ttft,
                    "tpot_ms": tpot,
                }
            )
    return pd.DataFrame(rows)


def test_latency_model_predicts_an_unseen_length_and_round_trips(tmp_path):
    frame = serving_frame()
    train = frame[frame["ii"] != 2048]
    model = ThroughputModel(config_columns=["acc"]).fit(train)
    queries = frame[frame["ii"] == 2048]
    out = model.predict(queries)
    for metric in ("ttft_ms", "tpot_ms"):
        ape = np.abs(out[f"{metric}_pred"] / queries[metric] - 1)
        assert ape.max() < 0.05, metric
    model.save(tmp_path / "m.json")
    again = ThroughputModel.load(tmp_path / "m.json").predict(queries)
    np.testing.assert_allclose(again["ttft_ms_pred"], out["ttft_ms_pred"])


def test_a_tampered_latency_learner_is_refused(tmp_path):
    model = ThroughputModel(config_columns=["acc"]).fit(serving_frame())
    doc = model.to_dict()
    doc["latency"]["learners"][0]["learner"]["coef"] = [-1.0] * 6
    with pytest.raises(ModelFileError, match="latency.learners"):
        ThroughputModel.from_dict(doc)


def test_latency_intervals_cover_after_calibration():
    frame = serving_frame()
    rng = np.random.default_rng(0)
    frame["ttft_ms"] *= np.exp(rng.normal(0, 0.05, len(frame)))
    model = LatencyModel(("acc",), ("ttft_ms",)).fit(frame)
    model.calibrate(frame)
    out = model.predict(frame, interval=0.9)
    inside = (frame["ttft_ms"] >= out["ttft_ms_lo"]) & (frame["ttft_ms"] <= out["ttft_ms_hi"])
    assert inside.mean() > 0.8
    assert (out["ttft_ms_hi"] > out["ttft_ms_lo"]).all()


def test_latency_intervals_widen_with_the_distance_to_the_measurements(tmp_path):
    """With enough configurations, a difficulty learned from the out-of-fold errors makes a
    far query's interval wider than a near one's; it survives a save and a tampered one is
    refused; with few configurations every row is alike."""
    rng = np.random.default_rng(0)
    distance = rng.choice([0.0, 3.0], size=2400)
    errors = pd.DataFrame(
        {
            "config": np.arange(distance.size) % 24,
            "nearest_distance": distance,
            "situation": "within",
        }
    )
    score = np.abs(rng.normal(0, 1, distance.size)) * np.where(distance > 0, 0.2, 0.02)
    coef = fit_latency_difficulty(errors, score, errors["situation"])
    assert coef is not None
    few = (errors["config"] < 5).to_numpy()
    assert fit_latency_difficulty(errors[few], score[few], errors["situation"][few]) is None
    model = ThroughputModel(config_columns=["acc"]).fit(serving_frame())
    latency = model.latency_
    assert latency is not None
    latency.scores_ = {
        "ttft_ms": {
            "within": np.sort(score / latency_difficulty(coef, distance, errors["situation"]))
        }
    }
    latency.difficulty_ = {"ttft_ms": coef}
    near, far = latency.half_width("ttft_ms", 0.9, np.array(["within"] * 2), [0.0, 3.0])
    assert far > 5 * near
    again = ThroughputModel.from_dict(model.to_dict()).latency_
    assert again is not None
    np.testing.assert_array_equal(again.difficulty_["ttft_ms"], coef)
    doc = model.to_dict()
    doc["latency"]["difficulty"]["ttft_ms"] = [1e9] * coef.size
    with pytest.raises(ModelFileError, match="latency.difficulty.ttft_ms"):
        ThroughputModel.from_dict(doc)


def test_latency_intervals_below_the_measured_batch_sizes_are_calibrated_apart():
    """Below and above the measured batch sizes are separate situations, each with its own
    scores (pooled, the largest-batch protocol was under-covered)."""
    frame = serving_frame()
    frame = frame[frame["bb"] >= 4]
    model = LatencyModel(("acc",), ("ttft_ms",)).fit(frame)
    learner = model.learners_["ttft_ms"][("H",)]
    bb = np.array([1.0, 8.0, 128.0])
    got = learner.situation(np.full(3, 512.0), np.full(3, 128.0), bb)
    assert list(got) == ["below", "within", "beyond"]
    model.scores_ = {"ttft_ms": {"below": np.full(50, 0.01), "beyond": np.full(50, 0.5)}}
    model.difficulty_ = {}
    half = model.half_width("ttft_ms", 0.9, got[[0, 2]])
    assert half[1] > 10 * half[0]


# -------------------------------------------------------------------------------- peaks
def test_a_peaked_group_is_flagged_and_predicted_past_its_peak():
    frame = serving_frame(peak_at=8)
    points = frame.assign(config=0)
    peaks = find_peaks(points)
    assert list(zip(peaks["ii"], peaks["bb_peak"], strict=True)) == [(8192.0, 8.0)]
    train = frame[~((frame["ii"] == 8192) & (frame["bb"] == 32))]
    model = ThroughputModel(config_columns=["acc"], throughput_source="curve").fit(train)
    held = frame[(frame["ii"] == 8192) & (frame["bb"] == 32)]
    out = model.predict(held)
    assert bool(out["past_peak"].iloc[0])
    assert out["thpt_pred"].iloc[0] == pytest.approx(held["thpt"].iloc[0], rel=0.1)
    assert "past the throughput peak" in out["note"].iloc[0]


def test_repeated_batch_sizes_count_once_in_peak_detection():
    points = serving_frame(peak_at=8).assign(config=0)
    repeated = pd.concat([points, points.assign(thpt=points["thpt"] * 1.01)], ignore_index=True)
    peaks = find_peaks(repeated)
    assert len(peaks) == 1
    assert peaks["bb_peak"].iloc[0] == 8.0


def test_a_monotone_group_is_not_flagged():
    points = serving_frame().assign(config=0)
    assert find_peaks(points).empty


# ---------------------------------------------------------------------------- SLO sizing
def test_slo_sizing_finds_the_known_largest_concurrency():
    model = ThroughputModel(config_columns=["acc"]).fit(serving_frame())
    # ttft at ii=2048: 20 + 40.96 + 8.192 bb <= 200 ms  ->  bb <= 16.99; tpot limit is loose
    plan = slo_sizing(
        model, 2048, 128, SLO(ttft_ms=200, tpot_ms=100), tokens_per_s=1e5, price_per_gpu_hour=2.0
    )
    row = plan.best()
    assert row is not None
    assert row["concurrency"] in (16.0, 17.0)
    assert row["replicas"] == int(np.ceil(1e5 / row["thpt"]))
    assert row["cost_per_million"] == pytest.approx(2.0 / (row["thpt"] * 3600) * 1e6)
    strict = slo_sizing(model, 2048, 128, SLO(ttft_ms=10), requests_per_s=1)
    assert strict.best() is None
    assert "even concurrency 1 misses" in strict.table["note"].iloc[0]


def test_sizing_never_recommends_past_the_peak():
    model = ThroughputModel(config_columns=["acc"], throughput_source="curve").fit(
        serving_frame(peak_at=8)
    )
    plan = slo_sizing(model, 8192, 128, SLO(tpot_ms=1000), tokens_per_s=1e6)
    assert plan.best()["concurrency"] <= 8


def test_pareto_figure_has_a_line_and_markers_per_configuration():
    model = ThroughputModel(config_columns=["acc"]).fit(serving_frame())
    plan = slo_sizing(model, 2048, 128, SLO(tpot_ms=12), tokens_per_s=1e5)
    curves, measured = pareto_frame(model, plan)
    assert len(measured) == 7
    fig = pareto_figure(curves, measured)
    modes = [t.mode for t in fig.data]
    assert "lines" in modes
    assert "markers" in modes
    assert fig.layout.xaxis.title.text.startswith("Output tokens/s per user")


# ---------------------------------------------------------------------------------- CLI
def test_cli_fits_a_folder_of_tool_results_and_sizes_for_an_slo(tmp_path, capsys):
    model = tmp_path / "m.json"
    folder = ASSETS / "vllm-bench-serve"
    assert main(["fit", str(folder), "--set", "acc=H200", "-o", str(model), "--no-calibrate"]) == 0

    def slo(ttft: str) -> int:
        return main(
            [
                "slo",
                str(model),
                "--ii",
                "1024",
                "--oo",
                "128",
                "--ttft-ms",
                ttft,
                "--tokens-per-s",
                "50000",
                "--pareto",
                str(tmp_path / "p.html"),
            ]
        )

    assert slo("5000") == 0
    out = capsys.readouterr().out
    assert "cheapest that meets it" in out
    assert (tmp_path / "p.html").stat().st_size > 1000
    assert slo("-3") == 2
    assert "ala: error:" in capsys.readouterr().err


def test_a_single_configuration_fits_with_calibrated_intervals():
    """Held-out coverage splits configurations into groups; with one configuration there is no
    other group to calibrate on, which must not make the whole fit fail."""
    model = ThroughputModel(config_columns=["acc"]).fit(serving_frame(), calibrate=True)
    out = model.predict(serving_frame().head(3), interval=0.9)
    assert (out["thpt_hi"] > out["thpt_lo"]).all()
    assert (out["ttft_ms_hi"] > out["ttft_ms_lo"]).all()


def test_a_length_distribution_of_one_length_sizes_as_that_length():
    model = ThroughputModel(config_columns=["acc"]).fit(serving_frame())
    slo = SLO(ttft_ms=200, tpot_ms=100)
    fixed = slo_sizing(model, 2048, 128, slo, tokens_per_s=1e5).best()
    lengths = pd.DataFrame({"ii": [2048.0] * 5, "oo": [128.0] * 5})
    mixed = slo_sizing(model, 1, 1, slo, tokens_per_s=1e5, lengths=lengths).best()
    assert mixed["concurrency"] == fixed["concurrency"]
    assert mixed["thpt"] == pytest.approx(fixed["thpt"])


def test_a_mix_of_lengths_lies_between_its_shortest_and_longest_request():
    model = ThroughputModel(config_columns=["acc"]).fit(serving_frame())
    slo = SLO(ttft_ms=1000)  # ii=8192: 20 + 163.8 + 32.8 bb <= 1000 -> bb <= 24
    short = slo_sizing(model, 512, 128, slo, tokens_per_s=1e5).best()["concurrency"]
    long = slo_sizing(model, 8192, 128, slo, tokens_per_s=1e5).best()["concurrency"]
    assert long < short
    lengths = pd.DataFrame({"ii": [512.0, 8192.0] * 3, "oo": [128.0] * 6})
    mixed = slo_sizing(model, 1, 1, slo, tokens_per_s=1e5, lengths=lengths).best()
    assert long < mixed["concurrency"] < short
    only_long = slo_sizing(model, 1, 1, slo, tokens_per_s=1e5, lengths=lengths.tail(1)).best()
    assert only_long["concurrency"] == long


def test_slo_sizing_without_any_target_says_so(synthetic):
    """No TTFT and no TPOT target, on a model without latencies: a message, not an assert."""
    from ala.errors import AlaError

    model = ThroughputModel().fit(synthetic)
    with pytest.raises(AlaError, match="at least one latency target"):
        slo_sizing(model, 512, 512, SLO(), tokens_per_s=1000.0)
