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
    # a title wider than the narrow column the gauge sits in is wrapped, not clipped
    long = plots.proximity_gauge(0.5, "Proximity in configuration space").data[0].title.text
    assert long == "Proximity in<br>configuration space"
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


def _curve_lines(fig):
    """(configuration, colour, dash) of each fitted-curve line (hover text names the curve)."""
    return [
        (t.legendgroup, t.line.color, t.line.dash)
        for t in fig.data
        if t.mode == "lines" and t.hovertemplate and "fitted" in t.hovertemplate
    ]


def test_one_colour_per_configuration_and_one_line_style_per_length(sample_model):
    """Colour identifies the configuration (the same in any chart), line style the length."""
    assert set(plots.PALETTE) == OKABE_ITO
    db = sample_model.database_
    two = db[db["config"].isin(db["config"].unique()[:2])]
    two = two.assign(label=[sample_model.labels_[c] for c in two["config"]])
    fig = plots.curves_figure(sample_model.points_.assign(label=""), two, label_column="label")
    lines = _curve_lines(fig)
    assert len(lines) == len(two)
    by_config = {}
    for config, colour, dash in lines:
        by_config.setdefault(config, set()).add((colour, dash))
    assert len(by_config) == 2
    colours = [{c for c, _ in pairs} for pairs in by_config.values()]
    assert all(len(c) == 1 for c in colours)  # one colour per configuration
    assert colours[0] != colours[1]
    for pairs in by_config.values():  # lengths differ by line style
        assert len({d for _, d in pairs}) == len(pairs)
    second = two[two["config"] == two["config"].iloc[-1]]
    shared = plots.config_colors(list(dict.fromkeys(two["label"])))  # the app's and report's map
    both = plots.curves_figure(sample_model.points_.assign(label=""), two, "label", colors=shared)
    alone = plots.curves_figure(
        sample_model.points_.assign(label=""), second, "label", colors=shared
    )
    assert {c for g, c, _ in _curve_lines(both) if g == second["label"].iloc[0]} == {
        c for _, c, _ in _curve_lines(alone)
    }  # the same configuration keeps its colour in another chart


def test_chosen_configurations_never_share_a_colour():
    labels = [f"config {i}" for i in range(15)]
    colors = plots.config_colors(labels, [f"other {i}" for i in range(40)])
    assert len({colors[label] for label in labels}) == 15
    assert colors["config 3"] == plots.config_colors(labels)["config 3"]


def test_many_configurations_are_drawn_as_small_multiples(sample_model):
    db = sample_model.database_
    six = db[db["config"].isin(db["config"].unique()[:6])]
    six = six.assign(label=[sample_model.labels_[c] for c in six["config"]])
    fig = plots.curves_figure(sample_model.points_.assign(label=""), six, "label")
    assert len(fig.layout.annotations) == 6  # one titled panel per configuration
    assert fig.layout.xaxis6 is not None


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
