"""ThroughputModel: database-or-learned prediction, clear errors, exact save/load round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ala.data import load_benchmarks
from ala.errors import DataError, ModelFileError, UnknownConfigurationError
from ala.methods import make_method
from ala.model import FORMAT_VERSION, ThroughputModel

from .conftest import physical_frame


@pytest.mark.parametrize("method", ["default", "paper"])
def test_benchmarked_pairs_come_from_the_database(synthetic, method):
    model = ThroughputModel(method).fit(synthetic)
    pred = model.predict(synthetic.frame)
    assert (pred["source"] == "database").all()
    ape = (pred["thpt_pred"] - pred["thpt"]).abs() / pred["thpt"]
    assert ape.median() < 0.01


@pytest.mark.parametrize("method", ["default", "paper"])
def test_unseen_lengths_are_learned(synthetic, method):
    queries = pd.DataFrame(
        {"acc": ["GPU-A", "GPU-B"], "ii": [700.0, 300.0], "oo": [700.0, 300.0], "bb": [16.0, 48.0]}
    )
    pred = ThroughputModel(method).fit(synthetic).predict(queries)
    assert (pred["source"] == "learned").all()
    assert np.isfinite(pred["thpt_pred"]).all()
    assert (pred["thpt_pred"] > 0).all()


def test_default_interpolates_an_unseen_length_accurately():
    """Held-out length 512 of a physically shaped configuration: within 4 %, better than XGBoost.

    (The exponential curve itself fits this hyperbolic shape only to about 1.7 %.)"""
    frame = physical_frame()
    train = frame[frame["ii"] != 512]
    test = frame[frame["ii"] == 512]
    model = ThroughputModel().fit(load_benchmarks(train))
    pred = model.predict(test)
    ape = ((pred["thpt_pred"] - test["thpt"]).abs() / test["thpt"]).median()
    xgb_pred = make_method("xgboost").fit(load_benchmarks(train)).predict(test)
    xgb_ape = ((xgb_pred["thpt_pred"] - test["thpt"]).abs() / test["thpt"]).median()
    assert ape < 0.04
    assert ape < xgb_ape / 2


def test_unknown_configuration_is_an_error(synthetic):
    model = ThroughputModel().fit(synthetic)
    with pytest.raises(UnknownConfigurationError, match="GPU-Z.*never benchmarked"):
        model.predict(pd.DataFrame({"acc": ["GPU-Z"], "ii": [1.0], "oo": [1.0], "bb": [1.0]}))
    with pytest.raises(DataError, match="lack column"):
        model.predict(pd.DataFrame({"ii": [1.0], "oo": [1.0], "bb": [1.0]}))


def test_curves_are_saturation_curves(synthetic):
    """Every prediction equals c - a*exp(-b*bb) of the curve the model reports."""
    model = ThroughputModel().fit(synthetic)
    q = pd.DataFrame(
        {"acc": ["GPU-A"] * 3, "ii": [700.0] * 3, "oo": [700.0] * 3, "bb": [1.0, 8.0, 100.0]}
    )
    pred = model.predict(q)
    expected = pred["c"] - pred["a"] * np.exp(-pred["b"] * pred["bb"])
    np.testing.assert_allclose(pred["thpt_pred"], expected)


@pytest.mark.parametrize("method", ["default", "paper"])
def test_save_load_round_trip_gives_identical_predictions(synthetic, tmp_path, method):
    model = ThroughputModel(method).fit(synthetic)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = ThroughputModel.load(path)
    queries = pd.DataFrame(
        {
            "acc": ["GPU-A", "GPU-B", "GPU-A"],
            "ii": [128.0, 300.0, 5000.0],
            "oo": [128.0, 90.0, 5000.0],
            "bb": [1.0, 48.0, 256.0],
        }
    )
    np.testing.assert_array_equal(
        model.predict(queries)["thpt_pred"], loaded.predict(queries)["thpt_pred"]
    )
    assert json.loads(path.read_text())["version"] == FORMAT_VERSION


def test_loading_a_non_model_fails_clearly(tmp_path, synthetic):
    bad = tmp_path / "x.json"
    bad.write_text("ii,oo\n1,2")
    with pytest.raises(ModelFileError, match="invalid JSON"):
        ThroughputModel.load(bad)
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ModelFileError, match="not an ala throughput model"):
        ThroughputModel.load(bad)
    doc = ThroughputModel().fit(synthetic).to_dict()
    doc["version"] = 99
    bad.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="version 99 is not supported"):
        ThroughputModel.load(bad)
    del doc["database"]
    doc["version"] = FORMAT_VERSION
    bad.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="damaged"):
        ThroughputModel.load(bad)
    bad.write_bytes(b"\xff\x00\x01")
    with pytest.raises(ModelFileError):
        ThroughputModel.load(bad)
