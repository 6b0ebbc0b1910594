"""The default method's physical prior: recovers known latency terms, corrects by residuals."""

from __future__ import annotations

import numpy as np
import pytest

from ala.prior import PriorLearner, fit_latency, latency_features, prior_throughput

from .conftest import physical_frame


def test_fit_latency_recovers_the_coefficients_that_generated_the_data():
    """Lengths off the diagonal (ii != oo), so all five terms are identifiable."""
    ii, oo, bb = (
        g.ravel() for g in np.meshgrid([128.0, 512, 2048], [64.0, 256, 1024], [1.0, 8, 64])
    )
    truth = np.array([0.02, 2e-5, 0.012, 2e-4, 1e-7])
    thpt = bb * (ii + oo) / (latency_features(ii, oo, bb) @ truth)
    coef = fit_latency(ii, oo, bb, thpt)
    np.testing.assert_allclose(coef, truth, rtol=1e-4)
    assert prior_throughput(coef, ii, oo, bb) == pytest.approx(thpt, rel=1e-6)


def test_coefficients_are_never_negative_even_on_noisy_data(rng):
    frame = physical_frame()
    thpt = frame["thpt"].to_numpy(float) * np.exp(0.3 * rng.standard_normal(len(frame)))
    coef = fit_latency(*(frame[c].to_numpy(float) for c in ("ii", "oo", "bb")), thpt)
    assert (coef >= 0).all()


def test_learner_reproduces_measured_points_and_interpolates_between_lengths():
    frame = physical_frame()
    frame.loc[frame["ii"] == 512, "thpt"] *= 1.10  # a measured deviation the prior cannot know
    learner = PriorLearner.fit(frame)
    measured = frame[frame["ii"] == 512].sort_values("bb")
    at_512 = learner.anchor_points(np.array([512.0]), np.array([512.0]))[0]
    on_grid = np.isin(learner.grid, measured["bb"])
    assert at_512[on_grid] == pytest.approx(measured["thpt"].to_numpy(), rel=1e-6)
    between = learner.anchor_points(np.array([700.0]), np.array([700.0]))[0]
    plain = prior_throughput(learner.coef, 700.0, 700.0, learner.grid)
    assert (between > plain).all(), "the neighbouring length's +10 % residual carries over"


def test_round_trip_keeps_every_number():
    learner = PriorLearner.fit(physical_frame())
    again = PriorLearner.from_dict(learner.to_dict())
    np.testing.assert_array_equal(again.residuals, learner.residuals)
    assert latency_features(1.0, 2.0, 3.0).shape == (5,)
