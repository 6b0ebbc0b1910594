"""Trustworthy data in: settings never averaged away, decimal commas, latency mapped as
throughput, repeats that disagree, curves that a saturation model does not describe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ala.curves import build_database
from ala.data import load_benchmarks
from ala.datasets import sample_dataset_path

from .conftest import synthetic_frame

FIG3 = Path(__file__).parent / "data" / "llm_inference_bench_fig3_excerpt.csv"


def test_a_setting_column_the_loader_does_not_know_becomes_part_of_the_configuration():
    """LLM-Inference-Bench's precision file: 16 rows were averaged into 4, up to 5.5x apart."""
    data = load_benchmarks(FIG3)
    assert "kv_cache_dtype" in data.config_columns
    assert data.report.rows_kept == 16
    assert data.report.repeats_merged == 0
    assert data.frame.groupby("kv_cache_dtype").size().eq(4).all()
    assert any("part of the configuration" in n for n in data.report.notes)


def test_with_explicit_configuration_columns_rows_differing_in_a_setting_are_kept_apart():
    data = load_benchmarks(FIG3, config_columns=["acc", "back", "model"])
    assert data.report.rows_kept == 16, "never averaged across kv_cache_dtype"
    assert any("kept apart" in n for n in data.report.notes)


def test_a_measurement_column_that_varies_is_not_taken_for_a_setting():
    data = load_benchmarks(sample_dataset_path())
    assert data.config_columns == ("acc", "acc_count", "back", "model"), "Latency is a metric"


def test_repeats_that_disagree_are_reported_with_their_rows():
    frame = synthetic_frame()
    again = frame.head(1).assign(thpt=frame["thpt"].iloc[0] * 1.5)
    data = load_benchmarks(pd.concat([frame, again], ignore_index=True))
    note = next(n for n in data.report.notes if "differ by more than 10%" in n)
    assert "rows [2, 42]" in note
    assert "50% apart" in note


def test_decimal_commas_in_a_semicolon_file_are_decimal_points():
    data = load_benchmarks(
        b"acc;ii;oo;bb;thpt\na;128;128;1;100,5\na;128;128;8;1.234,5\n", name="eu.csv"
    )
    assert data.frame["thpt"].tolist() == [100.5, 1234.5], "not 1005 and 12345"
    assert any("decimal commas" in n for n in data.report.notes)
    us = load_benchmarks(b'acc,ii,oo,bb,thpt\na,128,128,1,"1,234.5"\n', name="us.csv")
    assert us.frame["thpt"].tolist() == [1234.5]


def test_a_latency_column_mapped_as_throughput_is_named():
    data = load_benchmarks(sample_dataset_path(), columns={"thpt": "Latency"})
    assert any("behaves like a latency" in n for n in data.report.notes)
    sample_notes = load_benchmarks(sample_dataset_path()).report.notes
    assert all(n.startswith("hardware limits not checked") for n in sample_notes)


def test_a_curve_the_saturation_model_cannot_describe_is_poor_not_ok():
    """A throughput that peaks and collapses: R^2 below zero used to be labelled ok."""
    bb = np.array([1.0, 8, 16, 32, 64])
    frame = pd.DataFrame({"ii": 512.0, "oo": 512.0, "bb": bb, "thpt": [100.0, 700, 900, 300, 80]})
    db = build_database(frame)
    assert db["status"].iloc[0] == "poor"
    assert "does not describe" in db["message"].iloc[0]
    clean = build_database(synthetic_frame(), ["acc"])
    assert set(clean["status"]) == {"ok"}


def test_a_prediction_above_anything_measured_is_flagged():
    from ala.model import ThroughputModel

    from .conftest import physical_frame

    frame = physical_frame()
    model = ThroughputModel(config_columns=["acc"]).fit(frame[frame["bb"] <= 16])
    queries = pd.DataFrame({"acc": ["GPU-P"] * 2, "ii": 128.0, "oo": 128.0, "bb": [16.0, 64.0]})
    pred = model.predict(queries)
    assert pred["note"].iloc[0] == ""
    assert "above anything measured" in pred["note"].iloc[1]
    assert pred["identified"].iloc[1], "a flag, not an unidentified direction"


def test_an_absurdly_wide_interval_is_not_shown_but_explained(synthetic):
    from ala.intervals import IntervalCalibration
    from ala.model import ThroughputModel

    model = ThroughputModel().fit(synthetic)
    spread = np.tile([-400.0, 400.0], 50)  # scores that make a 10,000x range
    model.calibration_ = IntervalCalibration({"database_within": spread, "learned_inner": spread})
    pred = model.predict(synthetic.frame.head(3), interval=0.9)
    assert pred["thpt_lo"].isna().all()
    assert pred["thpt_hi"].isna().all()
    assert pred["note"].str.contains("no reliable interval").all()


def test_sizing_stays_within_the_measured_batches_and_prefers_the_knee(synthetic):
    from ala.model import ThroughputModel
    from ala.sizing import size_deployment

    model = ThroughputModel().fit(synthetic, calibrate=True)
    huge = size_deployment(model, {"acc": "GPU-A"}, 512, 512, 1e7)
    assert huge.batch <= 64, "never beyond the largest benchmarked batch by default"
    assert not huge.extrapolated
    best = huge.curve["thpt_pred"].max()
    knee = huge.curve.loc[huge.curve["bb"] == huge.batch, "thpt_pred"].iloc[0]
    assert knee >= 0.9 * best
    assert huge.batch < 64, "the knee, not the flat far end"
    free = size_deployment(model, {"acc": "GPU-A"}, 512, 512, 1e7, allow_extrapolation=True)
    assert free.curve["bb"].max() == 128


def test_outliers_excluded_by_the_user_are_recorded(tmp_path):
    from .conftest import run_cli

    frame = synthetic_frame()
    data = load_benchmarks(frame, exclude_rows=[2, 5])
    assert data.report.rows_kept == len(frame) - 2
    [excluded] = [d for d in data.report.dropped if "excluded by the user" in d.reason]
    assert excluded.rows == (2, 5)
    csv = tmp_path / "b.csv"
    frame.to_csv(csv, index=False)
    out = run_cli("fit", csv, "-o", tmp_path / "m.json", "--no-calibrate", "--exclude-rows", "3,4")
    assert out.returncode == 0
    assert "excluded by the user (outlier) in rows 3, 4" in out.stderr
    bad = run_cli("fit", csv, "-o", tmp_path / "m.json", "--exclude-rows", "999")
    assert bad.returncode == 2
    assert "cannot be excluded" in bad.stderr
