"""Sizing arithmetic, the workspace database, and the HTML report."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from ala.annealing import AnnealSettings, anneal
from ala.errors import AlaError
from ala.model import ThroughputModel
from ala.report import build_report
from ala.sizing import size_deployment
from ala.store import Workspace

from .conftest import physical_frame


def test_sizing_picks_the_smallest_batch_and_counts_replicas(synthetic):
    model = ThroughputModel().fit(synthetic, calibrate=True)
    small = size_deployment(model, {"acc": "GPU-A"}, 128, 128, target_tps=100)
    assert small.reaches_target
    assert small.batch == 1
    assert small.replicas[1] == 1
    big = size_deployment(model, {"acc": "GPU-A"}, 128, 128, target_tps=1e6, price_per_hour=2.0)
    assert not big.reaches_target
    lo, mid, hi = big.replicas
    assert lo >= mid >= hi >= 2, "pessimistic >= expected >= optimistic"
    assert big.cost_per_million[1] == pytest.approx(2.0 * mid / (1e6 * 3600) * 1e6)
    with pytest.raises(AlaError, match="positive"):
        size_deployment(model, {"acc": "GPU-A"}, 1, 1, target_tps=0)


def test_workspace_survives_reopening_and_dedupes(tmp_path):
    ws = Workspace(tmp_path)
    first = ws.add_dataset("a.csv", b"ii,oo,bb,thpt\n1,1,1,1\n", None, 1, "ok")
    assert ws.add_dataset("again.csv", b"ii,oo,bb,thpt\n1,1,1,1\n", None, 1, "ok") == first
    ws.save_model(first, "default", {"x": 1})
    again = Workspace(tmp_path)
    assert again.dataset(first)[0] == "a.csv"
    assert again.load_model(first, "default") == {"x": 1}
    with pytest.raises(AlaError, match="not in the workspace"):
        again.dataset(999)


def test_runs_are_logged_loaded_and_interrupted_runs_marked(tmp_path):
    ws = Workspace(tmp_path)
    did = ws.add_dataset("p.csv", b"x", None, 1, "")
    universe = physical_frame()[["ii", "oo", "bb", "thpt"]]
    settings = AnnealSettings(iterations=5)
    run_id = ws.create_run(did, "GPU-P", settings, universe)
    run = anneal(universe, settings, config="GPU-P", on_step=lambda s: ws.add_step(run_id, s))
    ws.finish_run(run_id, "finished")
    loaded = ws.load_run(run_id)
    assert [s.error for s in loaded.steps] == [s.error for s in run.steps]
    assert len(ws.run_trace(run_id)) == 5
    orphan = ws.create_run(did, "GPU-P", settings, universe)
    with ws._connect() as con:  # a run owned by a process that is gone
        con.execute("UPDATE runs SET owner_pid = ? WHERE id = ?", (2**22 + os.getpid(), orphan))
    assert Workspace(tmp_path).runs().set_index("id").loc[orphan, "status"] == "interrupted"


def test_report_is_self_contained_html(synthetic, monkeypatch):
    import ala.evaluate

    model = ThroughputModel().fit(synthetic, calibrate=True)

    def no_second_evaluation(*args, **kwargs):
        raise AssertionError("the report evaluated again instead of reusing calibration's")

    monkeypatch.setattr(ala.evaluate, "evaluate", no_second_evaluation)
    html = build_report(synthetic, model, "Q3 <sizing>", pd.DataFrame({"thpt_pred": [5.0]}))
    assert html.startswith("<!DOCTYPE html>")
    assert "Accuracy on held-out data" in html, "calibration's out-of-fold accuracy is reused"
    assert "GPU-A" in html, "the report chose configurations and drew them"
    assert "Q3 &lt;sizing&gt;" in html, "user text is escaped"
    assert '<script src="https://cdn' not in html, "plotly.js is embedded, not fetched"
    assert len(html) > 1_000_000, "the plotly.js bundle is inline"


def test_two_sessions_writing_at_once_do_not_corrupt_the_workspace(tmp_path):
    """Two workspaces (as two app sessions) log runs from threads at the same time."""
    import threading

    from ala.annealing import AnnealStep

    first, second = Workspace(tmp_path), Workspace(tmp_path)
    did = first.add_dataset("p.csv", b"x", None, 1, "")
    universe = physical_frame()[["ii", "oo", "bb", "thpt"]]
    runs = [ws.create_run(did, "GPU-P", AnnealSettings(), universe) for ws in (first, second)]

    def log(ws, run_id):
        for i in range(200):
            ws.add_step(run_id, AnnealStep(i, (1, 2, 3), 1.0, True, 1.0, 1.0, 1.0))

    threads = [
        threading.Thread(target=log, args=(ws, r))
        for ws, r in zip((first, second), runs, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [len(first.run_trace(r)) for r in runs] == [200, 200]


def test_report_tables_print_integers_as_integers(synthetic):
    model = ThroughputModel().fit(synthetic)
    html = build_report(synthetic, model, "T")
    assert ">512<" in html
    assert "512.000" not in html


def test_session_workspace_names_cannot_leave_the_workspace_folder(tmp_path):
    from ala.errors import WorkspaceError
    from ala.store import session_workspace_path, sessions_by_default

    good = session_workspace_path(tmp_path, "Abc_def-12345")
    assert good == (tmp_path / "sessions" / "Abc_def-12345").resolve()
    for bad in ("../../etc", "..", "a/b/c/d/e/f", "short", "x" * 65, "name with space", ""):
        with pytest.raises(WorkspaceError, match="workspace name"):
            session_workspace_path(tmp_path, bad)
    assert not sessions_by_default("localhost")
    assert not sessions_by_default("127.0.0.1")
    assert sessions_by_default("ala.example.com")
    assert sessions_by_default("localhost", "1")
    assert not sessions_by_default("ala.example.com", "0")


def test_report_items_are_kept_once_per_dataset_and_removable(tmp_path):
    ws = Workspace(tmp_path)
    one = ws.add_dataset("a.csv", b"a", None, 1, "")
    two = ws.add_dataset("b.csv", b"b", None, 1, "")
    first = ws.add_report_item(one, "prediction", "A", {"ii": 1.0, "thpt_pred": 2.0})
    assert ws.add_report_item(one, "prediction", "A2", {"thpt_pred": 2.0, "ii": 1.0}) == first
    second = ws.add_report_item(one, "decision", "B", {"query": {}})
    ws.add_report_item(two, "decision", "other dataset", {"query": {}})
    assert [i for i, *_ in Workspace(tmp_path).report_items(one)] == [first, second]
    ws.remove_report_item(first)
    assert [k for _, k, _, _ in ws.report_items(one)] == ["decision"]
    ws.delete_dataset(two)
    assert ws.report_items(two) == []


def test_the_report_opens_with_the_question_and_the_recommendation(sample_model, shared_benchmarks):
    """Summary first (question, recommendation with range and confidence, caveats), then the
    decision table with human titles; no raw column names, integers as integers."""
    import re

    from ala.context import Context
    from ala.decision import decision_table

    keys = tuple(k for k in sample_model.configs_ if k[3] == "meta-llama/Meta-Llama-3-8B")[:4]
    context = Context(configs=keys, target=30_000, price=2.5, currency="EUR")
    table = decision_table(sample_model, context)
    html = build_report(shared_benchmarks, sample_model, "T", None, None, context, table)
    summary = html[html.index("<h2>Summary</h2>") : html.index("<h2>Decision table</h2>")]
    assert "30,000 tokens/s" in summary
    assert "2.50 EUR per accelerator-hour" in summary
    assert str(table["configuration"].iloc[0]) in summary
    assert f"<b>{table['gpus'].iloc[0]:,.0f} accelerators</b>" in summary
    assert "Confidence: <b>" in summary
    assert "Caveats" in summary
    assert html.index("<h2>Summary</h2>") < html.index("<h2>Decision table</h2>")
    assert "Cost per million tokens (EUR)" in html
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    for raw in (">thpt_pred<", ">acc<", ">fit_s<", ">median_ape<", "512.000"):
        assert raw not in text


def test_a_prediction_added_with_its_confidence_keeps_it_in_the_report(
    sample_model, shared_benchmarks
):
    """The report must show the confidence stored with an added prediction, not recompute
    it from columns the item does not carry (which made every added prediction 'low')."""
    key = sample_model.configs_[0]
    row = {c: v for c, v in zip(sample_model.config_columns_, key, strict=True)}
    added = pd.DataFrame(
        [
            row
            | {
                "ii": 512.0,
                "oo": 512.0,
                "bb": 16.0,
                "thpt_pred": 100.0,
                "thpt_lo": 95.0,
                "thpt_hi": 105.0,
                "confidence": "high",
            }
        ]
    )
    html = build_report(shared_benchmarks, sample_model, "T", added)
    predictions = html[html.index("<h2>Predictions</h2>") : html.index("<h2>Curves</h2>")]
    assert "<td>high</td>" in predictions
