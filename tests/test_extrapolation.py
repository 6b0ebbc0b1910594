"""Honest extrapolation: positive throughput, ordered intervals, unidentified directions named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ala.data import load_benchmarks
from ala.evaluate import protocol_folds
from ala.methods import make_method
from ala.model import ThroughputModel

from .conftest import physical_frame, synthetic_frame


def _grid(model: ThroughputModel) -> pd.DataFrame:
    """Every configuration at short to long lengths, batch 1 to far beyond the data."""
    rows = [
        {**model.config_values(c), "ii": length, "oo": length, "bb": bb}
        for c in range(len(model.configs_))
        for length in (64.0, 512.0, 4096.0)
        for bb in (1.0, 2.0, 8.0, 64.0, 1024.0)
    ]
    return pd.DataFrame(rows)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    lengths=st.integers(2, 5),
    batches=st.integers(1, 4),
    method=st.sampled_from(["default", "paper"]),
)
def test_predictions_are_positive_and_intervals_ordered_on_random_training_subsets(
    seed, lengths, batches, method
):
    """Random k lengths x m batch sizes per configuration, noisy data, every prediction path."""
    frame = synthetic_frame(noise=0.05, seed=seed)
    rng = np.random.default_rng(seed)
    kept_len = rng.choice([128, 256, 512, 1024, 2048], lengths, replace=False)
    kept_bb = rng.choice([1, 16, 32, 64], batches, replace=False)
    train = frame[frame["ii"].isin(kept_len) & frame["bb"].isin(kept_bb)]
    model = ThroughputModel(method, config_columns=["acc"]).fit(train)
    pred = model.predict(_grid(model))
    assert (pred["thpt_pred"] > 0).all(), pred.loc[pred["thpt_pred"] <= 0]
    assert np.isfinite(pred["thpt_pred"]).all()


def test_batch_one_below_the_measured_range_is_positive_and_close():
    """Trained at batch 16-64 only, batch 1 used to be predicted at -401 tokens/s."""
    frame = physical_frame()
    train = frame[frame["bb"] >= 16]
    for method in ("default", "paper"):
        model = ThroughputModel(method, config_columns=["acc"]).fit(train)
        pred = model.predict(frame[frame["bb"] == 1])["thpt_pred"].to_numpy()
        assert (pred > 0).all(), (method, pred)
    default = ThroughputModel(config_columns=["acc"]).fit(train)
    pred = default.predict(frame[frame["bb"] == 1])["thpt_pred"].to_numpy()
    actual = frame.loc[frame["bb"] == 1, "thpt"].to_numpy()
    assert np.median(np.abs(pred / actual - 1)) < 0.25


def test_calibrated_intervals_are_ordered_below_the_measured_range():
    frame = pd.concat(
        [synthetic_frame(noise=0.03, seed=k).assign(acc=f"GPU-{k}") for k in range(8)],
        ignore_index=True,
    )
    train = frame[frame["bb"] >= 16]
    model = ThroughputModel(config_columns=["acc"]).fit(train, calibrate=True)
    pred = model.predict(frame[frame["bb"] == 1], interval=0.9)
    assert (pred["thpt_lo"] > 0).all()
    assert (pred["thpt_lo"] <= pred["thpt_pred"]).all()
    assert (pred["thpt_pred"] <= pred["thpt_hi"]).all()


def test_a_single_batch_size_leaves_the_batch_direction_unidentified():
    frame = physical_frame()
    model = ThroughputModel(config_columns=["acc"]).fit(frame[frame["bb"] == 1])
    queries = frame[frame["ii"] == 512][["acc", "ii", "oo", "bb"]]
    pred = model.predict(queries)
    at_one = pred["bb"] == 1
    assert pred.loc[at_one, "identified"].all()
    assert not pred.loc[~at_one, "identified"].any()
    assert pred.loc[~at_one, "note"].str.contains("batch size 1").all()


def test_lengths_only_on_the_diagonal_leave_off_diagonal_queries_unidentified(synthetic):
    model = ThroughputModel().fit(synthetic, calibrate=True)
    queries = pd.DataFrame(
        {
            "acc": ["GPU-A"] * 3,
            "ii": [512.0, 700.0, 2048.0],
            "oo": [512.0, 700.0, 128.0],
            "bb": 32.0,
        }
    )
    pred = model.predict(queries, interval=0.9)
    assert pred["identified"].tolist() == [True, True, False]
    assert "moved together" in pred["note"].iloc[2]
    assert np.isnan(pred["thpt_lo"].iloc[2])
    assert np.isnan(pred["thpt_hi"].iloc[2])
    assert np.isfinite(pred["thpt_lo"].iloc[1])


def test_a_single_length_leaves_other_lengths_unidentified(synthetic):
    one = synthetic.frame[synthetic.frame["ii"] == 512]
    model = ThroughputModel(config_columns=["acc"]).fit(one)
    queries = pd.DataFrame(
        {"acc": ["GPU-A", "GPU-A"], "ii": [512.0, 1024.0], "oo": [512.0, 1024.0], "bb": 16.0}
    )
    pred = model.predict(queries)
    assert pred["identified"].tolist() == [True, False]
    assert "only one input/output length" in pred["note"].iloc[1]


def test_min_batch_and_sparse_protocols_hold_out_the_right_rows():
    frame = synthetic_frame()
    [(_, mask)] = list(protocol_folds(frame, ["acc"], "min_batch"))
    assert set(frame.loc[mask, "bb"]) == {1}
    assert mask.sum() == 10
    [(_, mask)] = list(protocol_folds(frame, ["acc"], "sparse"))
    kept = frame[~mask]
    assert len(kept) == 2 * (2 * 3), "2 lengths x 3 batch sizes kept per configuration"
    assert kept.groupby("acc")["ii"].nunique().eq(2).all()


def test_off_diagonal_protocol_trains_on_the_diagonal_only():
    frame = synthetic_frame()
    frame = pd.concat([frame, frame.assign(oo=frame["oo"] / 2)], ignore_index=True)
    [(_, mask)] = list(protocol_folds(frame, ["acc"], "off_diagonal"))
    assert (frame.loc[mask, "ii"] != frame.loc[mask, "oo"]).all()
    assert (frame.loc[~mask, "ii"] == frame.loc[~mask, "oo"]).all()


@pytest.mark.parametrize("name", ["xgboost_log", "linear_log"])
def test_log_target_baselines_predict_positive_throughput(name, synthetic):
    model = make_method(name).fit(synthetic)
    far = synthetic.frame.assign(bb=synthetic.frame["bb"] * 100, ii=synthetic.frame["ii"] * 10)
    assert (model.predict(far)["thpt_pred"] > 0).all()


def test_annealing_trains_the_papers_model_by_default_and_records_it(tmp_path):
    from ala.annealing import AnnealSettings, load_runs, save_runs
    from ala.cli import main

    assert AnnealSettings().method == "paper"
    csv = tmp_path / "b.csv"
    physical_frame().to_csv(csv, index=False)
    out = tmp_path / "run.json"
    assert main(["anneal", str(csv), "--iterations", "3", "-o", str(out)]) == 0
    [run] = load_runs(out)
    assert run.settings.method == "paper"
    save_runs([run], tmp_path / "again.json")


def test_loaded_data_round_trip_keeps_identifiability(tmp_path, synthetic):
    model = ThroughputModel().fit(load_benchmarks(synthetic.frame[synthetic.frame["bb"] == 16]))
    model.save(tmp_path / "m.json")
    again = ThroughputModel.load(tmp_path / "m.json")
    queries = pd.DataFrame({"acc": ["GPU-A"], "ii": [512.0], "oo": [512.0], "bb": [32.0]})
    assert not again.predict(queries)["identified"].iloc[0]
