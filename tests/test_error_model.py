"""The feature-based predictor of a new dataset's error (beside the paper's Algorithm 7)."""

from __future__ import annotations

import pytest

from ala.error_model import DatasetErrorModel, dataset_features, table_one_example
from ala.errors import AlaError

from .conftest import synthetic_frame


def configuration(noise: float, seed: int):
    frame = synthetic_frame(noise=noise, seed=seed)
    return frame[frame["acc"] == "GPU-A"].drop(columns="acc")


def test_a_noisier_dataset_is_predicted_to_err_more():
    training = [configuration(noise, seed) for seed, noise in enumerate([0.01, 0.05, 0.1, 0.2] * 3)]
    model = DatasetErrorModel.from_configurations(training, seed=1)
    quiet, _ = table_one_example(configuration(0.01, 99), 5)
    noisy, actual = table_one_example(configuration(0.2, 98), 6)
    low, high = model.predict([quiet, noisy])
    assert high > 1.5 * low
    # the noisy dataset's prediction is of the right size (within a factor of 2)
    assert actual / 2 < high < actual * 2


def test_features_describe_coverage_and_need_enough_rows():
    features = dataset_features(configuration(0.02, 0))
    assert features["lengths"] == 5
    assert features["batch_sizes"] == 4
    assert features["ratio_varies"] == 0.0
    with pytest.raises(AlaError, match="at least 8 rows"):
        dataset_features(configuration(0.02, 0).head(5))


def test_cli_expects_an_error_per_configuration_and_says_when_it_cannot(tmp_path, capsys):
    from ala.cli import main

    frames = [
        configuration(noise, seed).assign(acc=f"GPU-{seed}")
        for seed, noise in enumerate([0.01, 0.05, 0.1, 0.2] * 2)
    ]
    import pandas as pd

    learn = tmp_path / "learn.csv"
    pd.concat(frames).to_csv(learn, index=False)
    new = tmp_path / "new.csv"
    pd.concat(
        [configuration(0.05, 50).assign(acc="X"), configuration(0.05, 51).head(5).assign(acc="Y")]
    ).to_csv(new, index=False)
    assert main(["expect", str(new), "--learn-from", str(learn)]) == 0
    out = capsys.readouterr().out
    assert "expected_error_pct" in out
    assert "fewer than 8 rows" in out
