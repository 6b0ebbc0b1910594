"""Benchmark this next: which unmeasured points bring the predictions nearest to measurements."""

from __future__ import annotations

import pandas as pd
import pytest

from ala.cli import main
from ala.errors import AlaError
from ala.model import ThroughputModel
from ala.suggest import suggest_points

from .conftest import synthetic_frame


@pytest.fixture(scope="module")
def calibrated():
    return ThroughputModel().fit(synthetic_frame(), calibrate=True)


def test_an_unmeasured_workload_is_measured_first_where_it_helps_most(calibrated):
    key = calibrated.configs_[0]
    targets = pd.DataFrame({"ii": 3000.0, "oo": 300.0, "bb": [8.0, 16.0, 32.0, 64.0]})
    table = suggest_points(calibrated, key, targets, k=3)
    first = table.iloc[0]
    assert (first["ii"], first["oo"]) == (3000.0, 300.0)
    assert first["why"] == "first measurement of this length"
    assert first["targets_helped"] == 4
    # the picks spread over the targets instead of repeating one
    assert table["bb"].is_unique
    assert list(table["rank"]) == [1, 2, 3]
    assert (table["distance_gain"].diff().dropna() <= 1e-9).all()


def test_suggestions_need_calibration_and_something_left_to_measure(calibrated):
    key = calibrated.configs_[0]
    with pytest.raises(AlaError, match="calibrated intervals"):
        suggest_points(ThroughputModel().fit(synthetic_frame()), key)
    measured = calibrated.training_frame()
    mine = measured[(measured[list(calibrated.config_columns_)] == list(key)).all(axis=1)]
    with pytest.raises(AlaError, match="measured already"):
        suggest_points(calibrated, key, mine[["ii", "oo", "bb"]], mine[["ii", "oo", "bb"]])


def test_cli_suggests_for_a_workload(calibrated, tmp_path, capsys):
    path = tmp_path / "m.json"
    calibrated.save(path)
    key = calibrated.configs_[0]
    config = ",".join(f"{c}={v}" for c, v in zip(calibrated.config_columns_, key, strict=True))
    assert (
        main(
            [
                "suggest",
                str(path),
                "--config",
                config,
                "--ii",
                "3000",
                "--oo",
                "300",
                "--bb",
                "8,16",
                "-k",
                "2",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "first measurement of this length" in out
