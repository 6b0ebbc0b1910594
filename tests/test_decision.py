"""The sizing decision table: one row per configuration, ranges, source, ordering, display."""

from __future__ import annotations

import numpy as np
import pytest

from ala.context import Context
from ala.decision import confidence, decision_table, display_table, short_labels
from ala.errors import AlaError
from ala.sizing import size_deployment


def _llama(model):
    return [k for k in model.configs_ if k[3] == "meta-llama/Meta-Llama-3-8B"][:6]


def test_each_row_agrees_with_sizing_that_configuration_alone(sample_model):
    keys = _llama(sample_model)
    context = Context(configs=tuple(keys), target=30_000, price=2.0)
    table = decision_table(sample_model, context)
    assert sorted(table["config"]) == sorted(keys)
    for row in table.itertuples(index=False):
        values = sample_model.config_values(sample_model.config_id(row.config))
        alone = size_deployment(sample_model, values, 512, 512, 30_000, 2.0)
        assert row.batch == alone.batch
        assert row.replicas == alone.replicas[1]
        per = int(values["acc_count"])
        assert row.gpus == row.replicas * per
        assert row.gpus_lo <= row.gpus <= row.gpus_hi
        assert row.thpt_per_gpu_lo <= row.thpt_per_gpu <= row.thpt_per_gpu_hi
        assert row.cost_per_hour == pytest.approx(2.0 * row.gpus)
        assert row.source in ("measured", "interpolated", "extrapolated")
        assert row.confidence in ("high", "medium", "low")
    fine = table[~table["extrapolated"]]
    assert list(fine["cost_per_million"]) == sorted(fine["cost_per_million"])  # cheapest first


def test_a_requests_per_second_target_sizes_its_token_rate(sample_model):
    keys = tuple(_llama(sample_model)[:2])
    by_tokens = decision_table(sample_model, Context(configs=keys, target=20_480))
    by_requests = decision_table(
        sample_model, Context(configs=keys, target=20, target_unit="requests/s")
    )
    assert list(by_tokens["gpus"]) == list(by_requests["gpus"])


def test_lengths_far_outside_the_benchmarks_are_flagged(sample_model):
    keys = tuple(_llama(sample_model)[:2])
    table = decision_table(sample_model, Context(configs=keys, ii=60_000, oo=9_000))
    assert (table["source"] == "extrapolated").all()
    assert table["extrapolated"].all()
    assert (table["confidence"] == "low").all()
    assert table["warning"].str.len().gt(0).all()


def test_display_is_for_people(sample_model):
    keys = tuple(_llama(sample_model)[:3])
    shown = display_table(decision_table(sample_model, Context(configs=keys, price=3.0)))
    assert "Cost per hour (USD)" in shown.columns
    assert "Accelerators" in shown.columns
    assert not any(c.startswith(("thpt", "gpus", "cost_")) for c in shown.columns)
    assert not shown["Batch / concurrency"].str.contains(r"\.").any()  # integers as integers
    assert shown["Cost per hour (USD)"].str.match(r"^[\d,]+\.\d\d").all()
    without_price = display_table(decision_table(sample_model, Context(configs=keys)))
    assert not any("Cost" in c for c in without_price.columns)


def test_confidence_in_plain_words():
    assert confidence("measured", 0.1) == "high"
    assert confidence("interpolated", 0.1) == "medium"
    assert confidence("measured", 0.3) == "medium"
    assert confidence("measured", 0.6) == "low"
    assert confidence("extrapolated", 0.01) == "low"
    assert confidence("measured", 0.0, "not identified") == "low"
    assert confidence("measured", np.inf) == "low"


def test_a_non_positive_target_is_refused(sample_model):
    with pytest.raises(AlaError, match="target"):
        decision_table(sample_model, Context(target=0.0))


def test_labels_keep_only_what_differs_so_tables_fit():
    keys = [("H100", "1", "vLLM", "llama"), ("A100", "2", "vLLM", "llama")]
    assert short_labels(keys) == (["H100 / 1", "A100 / 2"], "vLLM / llama")
    assert short_labels(keys[:1]) == (["H100 / 1 / vLLM / llama"], "")


def test_a_transferred_configuration_is_sized_on_its_transferred_curve(sample_model):
    import pandas as pd

    from ala.decision import Transferred

    curve = pd.DataFrame(
        {
            "bb": [1.0, 16.0, 32.0, 64.0],
            "thpt_pred": [100.0, 1500.0, 2500.0, 3000.0],
            "thpt_lo": [90.0, 1300.0, 2200.0, 2600.0],
            "thpt_hi": [110.0, 1700.0, 2800.0, 3400.0],
        }
    )
    new = Transferred(
        ("Nvidia B200", "2", "vLLM", "llama"), ("acc", "acc_count", "back", "model"), curve, ""
    )
    keys = tuple(_llama(sample_model)[:1])
    table = decision_table(
        sample_model, Context(configs=keys, target=2000.0, price=4.0), transferred=[new]
    )
    row = table[table["source"] == "transferred"].iloc[0]
    assert row["batch"] == 32  # the smallest batch reaching 2,000 tokens/s on one replica
    assert (row["replicas_lo"], row["replicas"], row["replicas_hi"]) == (1, 1, 1)
    assert row["gpus"] == 2  # two accelerators per replica
    assert row["thpt_per_gpu"] == 1250
    assert row["cost_per_hour"] == 8.0
    assert row["confidence"] == "medium"  # never "high": nothing of it was measured
    assert "transferred" in row["warning"]


def test_under_latency_targets_each_row_holds_the_largest_concurrency_meeting_them():
    """ttft at ii=2048: 20 + 40.96 + 8.192 bb <= 200 ms -> bb <= 16.99 (serving_frame)."""
    from ala.decision import slo_decision_table
    from ala.model import ThroughputModel

    from .test_serving import serving_frame

    model = ThroughputModel(config_columns=["acc"]).fit(serving_frame())
    context = Context(ii=2048, oo=128, ttft_ms=200, tpot_ms=100, target=1e5, price=2.0)
    table = slo_decision_table(model, context)
    row = table.iloc[0]
    assert row["batch"] in (16.0, 17.0)
    assert row["cost_per_hour"] == pytest.approx(2.0 * row["gpus"])
    assert row["source"] in ("measured", "interpolated", "extrapolated")
    shown = display_table(table)
    assert "Batch / concurrency" in shown.columns
    strict = slo_decision_table(model, context.with_(ttft_ms=10.0))
    assert "even concurrency 1 misses" in strict["warning"].iloc[0]
    with pytest.raises(AlaError, match="latency target"):
        slo_decision_table(model, Context())
