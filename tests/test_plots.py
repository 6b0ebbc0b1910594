"""Figure builders: the traces, titles and units the app and the report rely on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ala import plots
from ala.model import ThroughputModel
from ala.scheduling.run import paper_bounds


def test_curves_figure_has_points_curves_and_units(synthetic):
    model = ThroughputModel().fit(synthetic)
    db = model.database_[model.database_["config"] == model.config_id({"acc": "GPU-A"})]
    fig = plots.curves_figure(model.points_, db)
    modes = [t.mode for t in fig.data]
    assert modes.count("markers") >= len(db), "measured points for every curve"
    assert modes.count("lines") >= 2 * len(db), "fitted curve and saturation line per curve"
    assert fig.layout.xaxis.title.text == plots.BATCH
    assert "tokens/s" in fig.layout.yaxis.title.text
    assert "tokens/s" in fig.data[0].hovertemplate


def test_prediction_figure_draws_the_interval_band():
    curve = pd.DataFrame(
        {
            "bb": [1.0, 2.0, 4.0],
            "thpt_pred": [1.0, 2.0, 3.0],
            "thpt_lo": [0.5, 1.5, 2.5],
            "thpt_hi": [1.5, 2.5, 3.5],
        }
    )
    fig = plots.prediction_figure(curve, [2.0])
    assert fig.data[0].fill == "toself"
    assert [t.name for t in fig.data] == ["interval", "prediction", "your batch size"]


def test_gauge_and_anneal_and_scheduling_figures():
    gauge = plots.proximity_gauge(0.7)
    assert gauge.data[0].value == 0.7
    assert gauge.data[0].gauge.axis.range == (0, 1)
    trace = pd.DataFrame(
        {
            "iteration": [0, 1],
            "error": [2.0, 1.0],
            "current_error": [2.0, 1.0],
            "best_error": [2.0, 1.0],
            "temperature": [1.0, 0.9],
        }
    )
    fig = plots.anneal_figure(trace)
    assert fig.layout.yaxis2.title.text == "Temperature"
    assert len(fig.data) == 4
    sweep = pd.DataFrame(
        {
            "width": [0.1, 0.5] * 2,
            "policy": ["a_min"] * 2 + ["a_max"] * 2,
            "ratio": [1.0, 1.01, 1.02, 1.1],
        }
    )
    assert len(plots.sweep_figure(sweep, paper_bounds([0.1, 0.5])).data) == 5
    mem = plots.memory_figure(np.arange(10), np.arange(10) * 5, 40)
    assert mem.layout.yaxis.title.text == "Memory (tokens)"


OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}


def test_figures_draw_only_okabe_ito_colours_one_per_curve(synthetic):
    """The palette is Okabe-Ito's and the curves figure really uses it, a colour per curve."""
    assert set(plots.PALETTE) == OKABE_ITO
    model = ThroughputModel().fit(synthetic)
    db = model.database_.head(5)
    fig = plots.curves_figure(model.points_, db)
    curve_colours = [
        t.line.color for t in fig.data if t.mode == "lines" and t.showlegend is not False
    ]
    assert len(curve_colours) == len(db)
    assert set(curve_colours) <= OKABE_ITO
    assert len(set(curve_colours)) == len(curve_colours)


def test_a_withheld_interval_draws_no_band():
    curve = pd.DataFrame(
        {
            "bb": [1.0, 2.0],
            "thpt_pred": [1.0, 2.0],
            "thpt_lo": [np.nan] * 2,
            "thpt_hi": [np.nan] * 2,
        }
    )
    fig = plots.prediction_figure(curve)
    assert [t.name for t in fig.data] == ["prediction"]
