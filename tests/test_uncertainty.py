"""Algorithms 7-8 and conformal intervals: encoding, confidence, coverage, nearest points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ala.annealing import AnnealRun, AnnealSettings, AnnealStep, anneal
from ala.data import load_benchmarks
from ala.errors import AlaError
from ala.evaluate import evaluate
from ala.model import ThroughputModel
from ala.uncertainty import (
    ErrorPredictor,
    HistogramBank,
    IntervalCalibration,
    SubsetEncoder,
    TrustModel,
    conformal_quantiles,
    interval_coverage,
    nearest_points,
)

from .conftest import physical_frame, synthetic_frame


def test_binary_encoding_matches_a_hand_made_example():
    universe = pd.DataFrame({"ii": [128, 256, 512], "oo": [10, 20, 30], "bb": [1, 16, 64]})
    encoder = SubsetEncoder.from_frames([universe])
    subset = pd.DataFrame({"ii": [256.0], "oo": [30.0], "bb": [1.0]})
    # order: ii values (128, 256, 512), bb values (1, 16, 64), oo values (10, 20, 30)
    assert list(encoder.encode(subset)) == [0, 1, 0, 1, 0, 0, 0, 0, 1]


def make_run() -> AnnealRun:
    return anneal(
        physical_frame()[["ii", "oo", "bb", "thpt"]], AnnealSettings(iterations=60), config="GPU-P"
    )


def test_confidence_is_one_for_a_logged_subset_and_falls_as_data_moves_away():
    run = make_run()
    trust = TrustModel().fit([run])
    step = next(s for s in run.steps if not s.degenerate)
    same = run.universe.iloc[list(step.subset)]
    assert trust.trust(same).confidence == pytest.approx(1.0)
    confidences = []
    for factor in (1.0, 1.5, 4.0, 1000.0):
        moved = same * factor  # every feature moves up by the same factor
        confidences.append(trust.trust(moved).confidence)
    assert all(a >= b for a, b in zip(confidences, confidences[1:], strict=False))
    assert confidences[-1] == pytest.approx(0.5), "entirely outside: distance 1"


def test_error_predictor_learns_from_the_logs():
    run = make_run()
    predictor = ErrorPredictor().fit([run])
    errors = [s.error for s in run.steps if not s.degenerate]
    prediction = predictor.predict(run.universe.iloc[list(run.best.subset)])
    assert min(errors) - 1 <= prediction <= max(errors) + 1


def test_logs_without_usable_subsets_are_rejected():
    empty = AnnealRun(
        "x",
        physical_frame()[["ii", "oo", "bb", "thpt"]],
        AnnealSettings(),
        (AnnealStep(0, (1,), float("nan"), False, 1.0, 1.0, 1.0, True),),
    )
    with pytest.raises(AlaError, match="no usable subset"):
        HistogramBank.from_runs([empty])


def test_conformal_quantiles_use_the_finite_sample_rank():
    scores = np.arange(1, 20, dtype=float)  # n = 19
    lo, hi = conformal_quantiles(scores, 0.9)
    assert (lo, hi) == (1.0, 19.0)  # ranks floor(20*0.05)=1 and ceil(20*0.95)=19
    assert conformal_quantiles(np.arange(3.0), 0.9) == (-np.inf, np.inf)


def test_coverage_holds_on_synthetic_data_with_known_noise():
    """Noise of 3 %: a 90 % interval covers 85-95 % of held-out points under every protocol."""
    frames = []
    for k in range(12):
        f = synthetic_frame(noise=0.03, seed=k)
        f["acc"] = f["acc"] + f"-{k}"
        frames.append(f)
    data = load_benchmarks(pd.concat(frames, ignore_index=True))
    result = evaluate(data, methods=["default"], protocols=["loo_inner", "kfold"])
    table = interval_coverage(result, 0.9)
    assert table["coverage"].between(80, 97).all(), table
    assert table["coverage"].mean() == pytest.approx(90, abs=5)


def test_model_intervals_round_trip_and_require_calibration(synthetic, tmp_path):
    model = ThroughputModel().fit(synthetic)
    queries = synthetic.frame.head(4)
    with pytest.raises(AlaError, match="no interval calibration"):
        model.predict(queries, interval=0.9)
    model.calibrate(synthetic)
    pred = model.predict(queries, interval=0.9)
    assert (pred["thpt_lo"] <= pred["thpt_pred"]).all()
    assert (pred["thpt_pred"] <= pred["thpt_hi"]).all()
    assert (pred["confidence"] == 1.0).all(), "benchmarked points are at distance 0"
    wider = model.predict(queries, interval=0.99)
    assert (wider["thpt_hi"] >= pred["thpt_hi"]).all()
    path = tmp_path / "m.json"
    model.save(path)
    again = ThroughputModel.load(path).predict(queries, interval=0.9)
    np.testing.assert_array_equal(again["thpt_lo"], pred["thpt_lo"])
    assert isinstance(model.calibration_, IntervalCalibration)


def test_nearest_points_explain_far_queries(synthetic):
    model = ThroughputModel().fit(synthetic)
    far = pd.DataFrame({"acc": ["GPU-A"], "ii": [8192.0], "oo": [8192.0], "bb": [256.0]})
    near = model.nearest(far, k=2)
    assert list(near["rank"]) == [1, 2]
    assert near["ii"].iloc[0] == 2048
    assert near["bb"].iloc[0] == 64
    assert near["distance"].iloc[0] == pytest.approx(np.sqrt(2 * 2**2 + 2**2))
    pts = pd.DataFrame({"config": ["c"], "ii": [1.0], "oo": [1.0], "bb": [1.0], "thpt": [5.0]})
    got = nearest_points(
        pts, pd.DataFrame({"config": ["c"], "ii": [2.0], "oo": [1.0], "bb": [1.0]})
    )
    assert got["distance"].iloc[0] == pytest.approx(1.0)
