"""Evaluation protocols hold out the right rows; the default method beats every baseline."""

from __future__ import annotations

import numpy as np
import pytest

from ala.evaluate import PAPER_PROTOCOLS, evaluate, protocol_folds
from ala.methods import factories
from ala.service import compare

from .conftest import synthetic_frame


def test_inner_folds_never_hold_out_extreme_lengths():
    frame = synthetic_frame()
    held = np.zeros(len(frame), bool)
    for _, mask in protocol_folds(frame, ["acc"], "loo_inner"):
        assert frame[mask]["ii"].isin([256, 512, 1024]).all()
        assert not (held & mask).any()
        held |= mask
    assert set(frame[held]["ii"]) == {256, 512, 1024}
    extremes = [
        frame[m]["ii"].unique().tolist() for _, m in protocol_folds(frame, ["acc"], "loo_extreme")
    ]
    assert extremes == [[128], [2048]]


def test_max_batch_holds_out_each_configurations_largest_batch():
    frame = synthetic_frame()
    frame.loc[frame["acc"] == "GPU-B", "bb"] *= 2
    [(_, mask)] = list(protocol_folds(frame, ["acc"], "max_batch"))
    assert set(frame[mask].groupby("acc")["bb"].unique().map(tuple)) == {(64,), (128,)}


def test_evaluation_is_reproducible(synthetic):
    methods = factories(["default", "xgboost"], seed=3)
    first = evaluate(synthetic, methods, protocols=["kfold"], seed=3)
    second = evaluate(synthetic, methods, protocols=["kfold"], seed=3)
    assert first.errors["ape"].equals(second.errors["ape"])
    table = first.summary()
    assert {"median_ape", "p90_ape", "mean_ape", "fit_s"} <= set(table.columns)


def test_evaluation_takes_any_estimator_factory(synthetic):
    """evaluate knows no method: it fits whatever the factories build, and reports progress."""
    from ala.model import ThroughputModel

    built: list[ThroughputModel] = []

    def factory() -> ThroughputModel:
        built.append(ThroughputModel(config_columns=["acc"]))
        return built[-1]

    progress: list[tuple[int, int]] = []
    result = evaluate(
        synthetic, {"mine": factory}, ["loo_extreme"], on_fold=lambda d, t: progress.append((d, t))
    )
    assert len(built) == 2
    assert set(result.errors["method"]) == {"mine"}
    assert progress == [(1, 2), (2, 2)]
    assert set(result.errors["config"]) == {("GPU-A",), ("GPU-B",)}, "errors carry keys"


def test_compare_adds_coverage_and_rejects_unknown_names(synthetic):
    from ala.errors import AlaError

    table = compare(synthetic, ["default"], ["kfold"], level=0.9).summary
    assert {"coverage", "median_rel_width"} <= set(table.columns)
    with pytest.raises(AlaError, match="unknown method 'evil'"):
        compare(synthetic, ["evil"], ["kfold"])
    with pytest.raises(AlaError, match="unknown protocol"):
        compare(synthetic, ["default"], ["nope"])


@pytest.mark.slow
def test_default_beats_every_baseline_on_the_shared_dataset(shared_benchmarks):
    """The acceptance check of the issue, on all 256 configurations of LLM-Inference-Bench."""
    result = compare(shared_benchmarks, protocols=PAPER_PROTOCOLS)
    table = result.summary.set_index(["protocol", "method"])["median_ape"]
    for protocol in PAPER_PROTOCOLS:
        ours = table[(protocol, "default")]
        others = table[protocol].drop("default")
        assert ours < others.min(), (protocol, table[protocol].to_dict())
        assert ours < 0.8 * others.min(), "not a clear margin"


def test_service_method_list_is_the_registry():
    from ala.methods import METHOD_NAMES
    from ala.service import ALL_METHODS

    assert ALL_METHODS == METHOD_NAMES
