"""Saturation curves: known parameters are recovered, degenerate groups are reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ala.curves as curves
from ala.curves import build_database, fit_projection, fit_scipy, knee, saturation


@pytest.mark.parametrize(
    ("a", "b", "c"), [(900.0, 0.05, 1000.0), (300.0, 0.3, 5000.0), (4000.0, 0.01, 4200.0)]
)
def test_projection_recovers_known_parameters(a, b, c):
    bb = np.array([[1.0, 8, 16, 32, 64, 128]])
    y = saturation(bb, a, b, c)
    fit = fit_projection(bb, y, np.ones_like(bb))
    assert fit.a[0] == pytest.approx(a, rel=1e-3)
    assert fit.b[0] == pytest.approx(b, rel=1e-3)
    assert fit.c[0] == pytest.approx(c, rel=1e-3)


def test_projection_fits_many_padded_curves_at_once(rng):
    """Padding (weight 0) does not disturb the fit of shorter curves."""
    truth = np.column_stack(
        [rng.uniform(100, 900, 50), rng.uniform(0.01, 0.2, 50), rng.uniform(1000, 2000, 50)]
    )
    bb = np.tile([1.0, 16, 32, 64, 0], (50, 1))
    y = saturation(bb, truth[:, :1], truth[:, 1:2], truth[:, 2:])
    w = np.ones_like(bb)
    w[:, -1] = 0
    y[:, -1] = 12345.0  # garbage in the padded slot
    fit = fit_projection(bb, y, w)
    np.testing.assert_allclose(fit.c, truth[:, 2], rtol=1e-3)
    np.testing.assert_allclose(fit.b, truth[:, 1], rtol=1e-2)


def test_scipy_fit_recovers_known_parameters():
    bb = np.array([1.0, 16, 32, 64])
    a, b, c, message = fit_scipy(bb, saturation(bb, 900, 0.05, 1000))
    assert message == ""
    assert (a, b, c) == pytest.approx((900, 0.05, 1000), rel=1e-3)


def test_paper_initial_guess_for_single_batch():
    assert curves.paper_initial_guess(np.array([4.0]), np.array([10.0])) == (1.0, 0.001, 0.0)


def test_knee_is_where_curve_reaches_ninety_percent():
    k = knee(900.0, 0.05, 1000.0)
    assert saturation(k, 900.0, 0.05, 1000.0) == pytest.approx(900.0)
    assert knee(50.0, 0.05, 1000.0) == 0.0  # already above 90 % at batch 0


def test_database_flags_single_batch_groups_and_reports_diagnostics():
    frame = pd.DataFrame(
        {
            "acc": ["A"] * 5,
            "ii": [1, 1, 1, 1, 2],
            "oo": [1, 1, 1, 1, 2],
            "bb": [1, 16, 32, 64, 8],
            "thpt": [*saturation(np.array([1, 16, 32, 64]), 900, 0.05, 1000), 50],
        }
    )
    db = build_database(frame, ["acc"])
    full = db[db["ii"] == 1].iloc[0]
    assert full["status"] == "ok"
    assert full["r2"] == pytest.approx(1.0)
    assert full["n_points"] == 4
    assert full["knee"] == pytest.approx(knee(900, 0.05, 1000), rel=1e-2)
    single = db[db["ii"] == 2].iloc[0]
    assert single["status"] == "underdetermined"
    assert "1 distinct batch" in single["message"]


def test_failed_scipy_fits_are_recorded(monkeypatch):
    """A fit that raises is kept in the database as 'failed' with the reason."""

    def broken(*args, **kwargs):
        raise ValueError("residuals are not finite in the initial point")

    monkeypatch.setattr(curves, "least_squares", broken)
    frame = pd.DataFrame({"ii": [1, 1, 1], "oo": [1, 1, 1], "bb": [1, 2, 4], "thpt": [1, 2, 3]})
    db = build_database(frame, solver="scipy")
    assert db["status"].iloc[0] == "failed"
    assert "not finite" in db["message"].iloc[0]
