"""Conformal intervals and nearest benchmarks: quantiles, coverage, round trip, distances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ala.data import load_benchmarks
from ala.errors import AlaError
from ala.evaluate import evaluate, interval_coverage
from ala.intervals import (
    IntervalCalibration,
    apply_interval,
    conformal_quantiles,
    nearest_distance,
    nearest_points,
)
from ala.methods import factories
from ala.model import ThroughputModel

from .conftest import synthetic_frame


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
    result = evaluate(data, factories(["default"]), protocols=["loo_inner", "kfold"])
    table = interval_coverage(result, 0.9)
    assert table["coverage"].between(80, 97).all(), table
    assert table["coverage"].mean() == pytest.approx(90, abs=5)


def test_model_intervals_round_trip_and_require_calibration(synthetic, tmp_path):
    model = ThroughputModel().fit(synthetic)
    queries = synthetic.frame.head(4)
    with pytest.raises(AlaError, match="no interval calibration"):
        model.predict(queries, interval=0.9)
    model.fit(synthetic, calibrate=True)
    pred = model.predict(queries, interval=0.9)
    assert (pred["thpt_lo"] <= pred["thpt_pred"]).all()
    assert (pred["thpt_pred"] <= pred["thpt_hi"]).all()
    assert (pred["proximity"] == 1.0).all(), "benchmarked points are at distance 0"
    narrower = model.predict(queries, interval=0.8)
    assert (narrower["thpt_hi"] <= pred["thpt_hi"]).all()
    assert (narrower["thpt_lo"] >= pred["thpt_lo"]).all()
    too_sure = model.predict(queries, interval=0.999)  # more than the scores can support
    assert too_sure["thpt_hi"].isna().all(), "an unbounded range is withheld, not printed"
    assert too_sure["note"].str.contains("no reliable interval").all()
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
    pts = pd.DataFrame({"config": [0], "ii": [1.0], "oo": [1.0], "bb": [1.0], "thpt": [5.0]})
    got = nearest_points(pts, pd.DataFrame({"config": [0], "ii": [2.0], "oo": [1.0], "bb": [1.0]}))
    assert got["distance"].iloc[0] == pytest.approx(1.0)
    queries = far.assign(config=0, ii=[8192.0], oo=[8192.0], bb=[256.0])
    ids = model.points_.assign(config=0)
    assert nearest_distance(ids, queries)[0] == pytest.approx(
        nearest_points(ids, queries, k=1)["distance"].iloc[0]
    )
    unknown = queries.assign(config=99)
    assert np.isnan(nearest_distance(ids, unknown)[0])


def mixed_noise_errors(seed: int = 0) -> pd.DataFrame:
    """Held-out rows of two frameworks, one with residuals three times the other's."""
    rng = np.random.default_rng(seed)
    rows = []
    for back, sigma in (("calm", 0.02), ("wild", 0.06)):
        for config in range(10):
            pred = np.full(60, 1000.0)
            actual = pred * np.exp(rng.normal(0, sigma, pred.size))
            rows.append(
                pd.DataFrame(
                    {
                        "protocol": "kfold",
                        "method": "default",
                        "config": [(back, str(config))] * pred.size,
                        "thpt": actual,
                        "thpt_pred": pred,
                        "ape": np.abs(actual / pred - 1) * 100,
                        "situation": "database_within",
                        "scale": 3.0,
                        "back": back,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def test_a_noisier_framework_gets_wider_intervals_and_its_coverage_holds():
    from ala.evaluate import EvaluationResult, subgroup_coverage

    errors = mixed_noise_errors()
    result = EvaluationResult(errors, pd.DataFrame(), pd.DataFrame())
    pooled = subgroup_coverage(result, 0.9, by_group=False).set_index("value")
    mondrian = subgroup_coverage(result, 0.9, by_group=True).set_index("value")
    # situation-only intervals are too narrow for the wild framework, too wide for the calm one
    assert pooled.loc["wild", "coverage"] < 85 < 95 < pooled.loc["calm", "coverage"]
    assert mondrian.loc["wild", "coverage"] >= 85
    assert mondrian.loc["calm", "coverage"] <= 97
    assert mondrian.loc["wild", "median_rel_width"] > 2 * mondrian.loc["calm", "median_rel_width"]
    # worst subgroup first
    assert subgroup_coverage(result, 0.9, by_group=False)["value"].iloc[0] == "wild"


def test_group_scores_survive_a_round_trip():
    calibration = IntervalCalibration.from_errors(mixed_noise_errors())
    assert "group:back=wild" in calibration.scores
    again = IntervalCalibration.from_dict(calibration.to_dict())
    groups = pd.DataFrame({"back": ["wild", "calm", "unknown"]})
    lo, hi = again.bounds(["database_within"] * 3, 0.9, groups)
    assert hi[0] > hi[2] > hi[1]  # an unseen framework gets the pooled width


def distance_errors(configs: int = 24, seed: int = 0) -> pd.DataFrame:
    """Held-out rows whose residuals grow with the distance to the nearest measured point."""
    rng = np.random.default_rng(seed)
    distance = rng.choice([0.0, 3.0], size=(configs, 80))
    sigma = np.where(distance > 0, 0.08, 0.01)
    pred = np.full(distance.shape, 1000.0)
    actual = pred * np.exp(rng.normal(0, 1, distance.shape) * sigma)
    return pd.DataFrame(
        {
            "config": np.repeat(np.arange(configs), distance.shape[1]),
            "thpt": actual.ravel(),
            "thpt_pred": pred.ravel(),
            "situation": "database_within",
            "scale": 3.0,
            "nearest_distance": distance.ravel(),
        }
    )


def test_a_learned_difficulty_narrows_near_intervals_and_widens_far_ones():
    errors = distance_errors()
    learned = IntervalCalibration.from_errors(errors)
    noise_only = IntervalCalibration.from_errors(errors, learn_difficulty=False)
    assert learned.difficulty is not None
    assert noise_only.difficulty is None
    fresh = distance_errors(seed=1).drop(columns=["thpt"]).head(400)
    near = fresh["nearest_distance"].to_numpy() == 0
    with_learned = apply_interval(fresh, learned, 0.9)
    with_noise = apply_interval(fresh, noise_only, 0.9)
    width = (with_learned["thpt_hi"] - with_learned["thpt_lo"]).to_numpy()
    flat = (with_noise["thpt_hi"] - with_noise["thpt_lo"]).to_numpy()
    assert width[near].max() < 0.5 * flat[near].min()
    assert width[~near].min() > 1.2 * flat[~near].max()
    truth = distance_errors(seed=1).head(400)["thpt"].to_numpy()
    inside = (truth >= with_learned["thpt_lo"]) & (truth <= with_learned["thpt_hi"])
    assert inside[near].mean() > 0.8  # each band covered
    assert inside[~near].mean() > 0.8


def test_few_configurations_keep_the_noise_alone_and_the_difficulty_round_trips():
    assert IntervalCalibration.from_errors(distance_errors(configs=5)).difficulty is None
    calibration = IntervalCalibration.from_errors(distance_errors())
    again = IntervalCalibration.from_dict(calibration.to_dict())
    np.testing.assert_array_equal(again.difficulty, calibration.difficulty)
    doc = calibration.to_dict()
    for bad in (
        [1.0, 2.0],
        [float("nan")] * len(doc["difficulty"]),
        [1e9] * len(doc["difficulty"]),
    ):
        with pytest.raises(AlaError, match="calibration.difficulty"):
            IntervalCalibration.from_dict({**doc, "difficulty": bad})
