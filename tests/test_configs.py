"""Configurations are keys of canonical values: no collisions, no spelling traps."""

from __future__ import annotations

import pandas as pd
import pytest

from ala.configs import config_keys, format_config, parse_config
from ala.data import load_benchmarks
from ala.errors import AlaError, UnknownConfigurationError
from ala.model import ThroughputModel

from .conftest import synthetic_frame


def _two_colliding_configs() -> pd.DataFrame:
    """("a / b", "c") and ("a", "b / c") had the same joined label; scaled 1x and 3x."""
    first = synthetic_frame().query("acc == 'GPU-A'").assign(x="a / b", y="c")
    second = synthetic_frame().query("acc == 'GPU-A'").assign(x="a", y="b / c")
    second["thpt"] *= 3
    return pd.concat([first, second], ignore_index=True).drop(columns="acc")


def test_configurations_whose_labels_collide_stay_apart():
    data = load_benchmarks(_two_colliding_configs(), config_columns=["x", "y"])
    model = ThroughputModel().fit(data)
    assert len(model.configs_) == 2
    queries = pd.DataFrame(
        {"x": ["a / b", "a"], "y": ["c", "b / c"], "ii": 512, "oo": 512, "bb": 32}
    )
    pred = model.predict(queries)["thpt_pred"].to_numpy()
    assert pred[1] == pytest.approx(3 * pred[0], rel=0.02)


def test_a_query_written_1_0_finds_data_written_1():
    frame = synthetic_frame().assign(acc_count=1)
    model = ThroughputModel().fit(load_benchmarks(frame))
    queries = pd.DataFrame(
        {"acc": ["GPU-A"], "acc_count": [1.0], "ii": [512], "oo": [512], "bb": [16]}
    )
    assert model.predict(queries)["thpt_pred"].iloc[0] > 0
    assert (
        model.predict_curve({"acc": "GPU-A", "acc_count": "1.0"}, 512, 512)
        .frame["thpt_pred"]
        .gt(0)
        .all()
    )


def test_a_plain_dataframe_keeps_its_configuration_columns():
    """Fitting a DataFrame with an acc column used to merge everything into one 'all'."""
    model = ThroughputModel().fit(synthetic_frame())
    assert model.config_columns_ == ("acc",)
    assert model.labels_ == ["GPU-A", "GPU-B"]
    with pytest.raises(UnknownConfigurationError, match="GPU-Z"):
        model.predict(pd.DataFrame({"acc": ["GPU-Z"], "ii": [1], "oo": [1], "bb": [1]}))


def test_cli_config_pairs_round_trip_even_with_separators_in_values():
    columns = ["acc", "model"]
    key = ("Nvidia A100 GPU", "org/name, v2=final")
    assert parse_config(format_config(key, columns), columns) == key
    assert parse_config("model=m, acc = 1.0", columns) == ("1", "m")
    with pytest.raises(AlaError, match="col=value"):
        parse_config("A100 / m", columns)
    with pytest.raises(AlaError, match="missing model"):
        parse_config("acc=A100", columns)


def test_keys_are_tuples_aligned_with_the_rows():
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2]})
    assert list(config_keys(frame, ["a", "b"])) == [("x", "1"), ("y", "2")]
    assert list(config_keys(frame, [])) == [(), ()]


def test_calibration_refits_this_model_with_its_own_settings(monkeypatch):
    """Calibration once rebuilt a different model (the data's columns, default settings)."""
    import ala.model

    seen = []
    real = ala.model.calibrate_intervals

    def spy(data, factory, **kwargs):
        seen.append(factory().get_params())
        return real(data, factory, **kwargs)

    monkeypatch.setattr(ala.model, "calibrate_intervals", spy)
    data = load_benchmarks(synthetic_frame().assign(acc_count=1))
    assert data.config_columns == ("acc", "acc_count")
    model = ThroughputModel("paper", config_columns=["acc"], seed=3, n_estimators=7)
    model.fit(data, calibrate=True)
    assert seen == [
        {
            "method": "paper",
            "config_columns": ("acc",),
            "seed": 3,
            "n_estimators": 7,
            "throughput_source": "curve",  # resolved: throughput was measured, not derived
        }
    ]
    assert model.accuracy_ is not None
    from ala.evaluate import CALIBRATION_PROTOCOLS

    assert set(model.accuracy_["protocol"]) <= set(CALIBRATION_PROTOCOLS)
    assert "kfold" in set(model.accuracy_["protocol"])
