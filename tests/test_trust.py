"""Algorithms 7-8: subset encoding, error predictor, histogram confidence."""

from __future__ import annotations

import numpy as np
import pytest

from ala.annealing import AnnealRun, AnnealSettings, AnnealStep, anneal
from ala.errors import AlaError
from ala.trust import ErrorPredictor, HistogramBank, SubsetEncoder, TrustModel

from .conftest import physical_frame


def test_binary_encoding_matches_a_hand_made_example():
    import pandas as pd

    universe = pd.DataFrame({"ii": [128, 256, 512], "oo": [10, 20, 30], "bb": [1, 16, 64]})
    encoder = SubsetEncoder.from_frames([universe])
    subset = pd.DataFrame({"ii": [256.0], "oo": [30.0], "bb": [1.0]})
    # order: ii values (128, 256, 512), bb values (1, 16, 64), oo values (10, 20, 30)
    assert list(encoder.encode(subset)) == [0, 1, 0, 1, 0, 0, 0, 0, 1]


def make_run() -> AnnealRun:
    return anneal(
        physical_frame()[["ii", "oo", "bb", "thpt"]],
        AnnealSettings(iterations=60, method="default"),
        config="GPU-P",
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
    """On the logged subsets, the predictor orders errors and beats predicting their mean."""
    run = make_run()
    predictor = ErrorPredictor().fit([run])
    logged = [(run.universe.iloc[list(s.subset)], s.error) for s in run.steps if not s.degenerate]
    errors = np.array([e for _, e in logged])
    predicted = np.array([predictor.predict(rows) for rows, _ in logged])
    assert np.std(errors) > 0, "the logs must vary for this test to mean anything"
    # The binary ii/bb/oo encoding is a weak signal (see the closing note of issue 3): ask for
    # what it does deliver, an ordering better than chance and less error than the mean.
    from scipy.stats import spearmanr

    assert spearmanr(predicted, errors).correlation > 0.2, "a constant would have no ordering"
    assert np.abs(predicted - errors).mean() < np.abs(errors - errors.mean()).mean()


def test_logs_without_usable_subsets_are_rejected():
    empty = AnnealRun(
        "x",
        physical_frame()[["ii", "oo", "bb", "thpt"]],
        AnnealSettings(),
        (AnnealStep(0, (1,), float("nan"), False, 1.0, 1.0, 1.0, True),),
    )
    with pytest.raises(AlaError, match="no usable subset"):
        HistogramBank.from_runs([empty])
