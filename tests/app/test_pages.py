"""Every page under AppTest: navigation, sample data, uploads good and bad, what-if changes."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = [
    "pages/data.py",
    "pages/curves.py",
    "pages/predict.py",
    "pages/sizing.py",
    "pages/transfer.py",
    "pages/slo.py",
    "pages/compare.py",
    "pages/annealing.py",
    "pages/scheduling.py",
    "pages/report.py",
]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("ALA_WORKSPACE", str(tmp_path / "ws"))

    from ala.ui import state

    # A fresh workspace per test; results cached by dataset fingerprint stay valid across
    # workspaces (the sample is fitted once per session).
    state._workspace.clear()  # noqa: SLF001 - a fresh workspace per test
    at = AppTest.from_file(APP, default_timeout=180)
    return at.run()


def text(element: object) -> str:
    """An element's text as the user reads it (markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", str(element.value))


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    unexpected = [e.value for e in at.error if "Unexpected error" in e.value]
    assert not unexpected, "run_page caught an exception: see the log"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_sample(app, page):
    at = app.switch_page(page).run()
    no_errors(at)
    assert at.title, f"{page} shows no title"


def test_data_page_starts_with_the_sample_dataset(app):
    no_errors(app)
    assert "Benchmark data" in app.title[0].value
    kept = next(m for m in app.metric if m.label == "Rows kept")
    assert kept.value == "4,692"


def test_good_upload_is_saved_and_selected(app):
    csv = b"gpu,ii,oo,bb,thpt\nX,128,128,1,100\nX,128,128,16,900\nX,128,128,32,1400\nX,oops,1,1,1\n"
    app.file_uploader[0].set_value(("mine.csv", csv, "text/csv")).run()
    no_errors(app)
    assert any("mine.csv: 3 rows kept, 1 dropped" in text(s) for s in app.success)
    kept = next(m for m in app.metric if m.label == "Rows kept")
    assert kept.value == "3"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"a;b;c\n1;2;3\n", "missing required column"),
        (b"ii,oo,bb,thpt\n-1,x,0,abc\n", "no usable rows"),
    ],
)
def test_bad_upload_shows_a_message_and_changes_nothing(app, content, message):
    from ala.ui import state

    before = state.workspace().datasets()
    app.file_uploader[0].set_value(("bad.csv", content, "text/csv")).run()
    no_errors(app)
    assert any(message in text(e) for e in app.error), [e.value for e in app.error]
    assert state.workspace().datasets().equals(before)


def test_unrecognised_columns_can_be_mapped(app):
    csv = b"p,q,n,speed\n128,128,1,100\n128,128,16,900\n128,128,32,1400\n"
    app.file_uploader[0].set_value(("odd.csv", csv, "text/csv")).run()
    assert any("missing required column" in e.value for e in app.error)
    for canonical, column in (("ii", "p"), ("oo", "q"), ("bb", "n"), ("thpt", "speed")):
        app.selectbox(key=f"pick-odd.csv-{canonical}").set_value(column)
    app.button(key="apply-odd.csv").click().run()
    no_errors(app)
    assert any("odd.csv: 3 rows kept" in text(s) for s in app.success)


def test_predict_page_suggests_what_to_benchmark_next(app):
    at = app.switch_page("pages/predict.py").run()
    no_errors(at)
    expander = next(e for e in at.expander if e.label == "Benchmark this next")
    assert len(expander.dataframe) == 1
    assert len(expander.dataframe[0].value) == 3


def test_curves_page_suggests_what_to_benchmark_next_for_the_configuration(app):
    at = app.switch_page("pages/curves.py").run()
    no_errors(at)
    expander = next(e for e in at.expander if e.label == "Benchmark this next")
    assert len(expander.dataframe[0].value) == 3


def test_whatif_change_updates_the_prediction(app):
    at = app.switch_page("pages/predict.py").run()
    first = at.metric[0].value
    at.number_input(key="ctx-bb").set_value(1).run()
    no_errors(at)
    assert at.metric[0].value != first
    at.number_input(key="ctx-ii").set_value(3000).run()
    no_errors(at)
    assert any("learned curve" in m.value for m in at.markdown)


def predict_for(app, model: str):
    """The Predict page for ``model`` on one H100 with vLLM."""
    at = app.switch_page("pages/predict.py").run()
    for column, value in (
        ("acc", "Nvidia H100 GPU"),
        ("acc_count", "1"),
        ("back", "vLLM"),
        ("model", model),
    ):
        at.selectbox(key=f"predict-{column}").set_value(value).run()
    return at


def test_whatif_that_cannot_fit_in_memory_says_so(app):
    """ii=3000, oo=300, bb=200 of Llama-2-7B on one H100 needs ~360 GB: marked infeasible."""
    at = predict_for(app, "meta-llama/Llama-2-7b-hf")
    at.number_input(key="ctx-ii").set_value(3000)
    at.number_input(key="ctx-oo").set_value(300)
    at.number_input(key="ctx-bb").set_value(200).run()
    no_errors(at)
    assert any("Infeasible: does not fit in memory" in text(e) for e in at.error)
    assert any("limited to" in text(m) for m in [*at.markdown, *at.caption, *at.warning])


def test_whatif_for_a_configuration_measured_once_points_to_transfer(app):
    """Aquila-7B on one H100 was measured at one point in the sample: the page warns that
    its own curves are barely identified, and says where a better answer is."""
    at = predict_for(app, "BAAI/Aquila-7B")
    no_errors(at)
    assert any("only 1 measured point" in text(w) for w in at.warning)


def test_scheduling_page_compares_policies(app):
    at = app.switch_page("pages/scheduling.py").run()
    no_errors(at)
    table = at.dataframe[0].value
    assert {"hindsight", "a_min", "a_max"} <= set(table.index)
    assert (table["vs_bound"].astype(float) >= 1 - 1e-9).all(), "no policy beats the bound"


def test_scheduling_page_replays_a_length_predictors_intervals(app):
    at = app.switch_page("pages/scheduling.py").run()
    at.selectbox(key="sch-kind").set_value("predicted").run()
    at.slider(key="sch-width").set_value(0.8).run()
    no_errors(at)
    assert any("length predictor at 80%" in m.value for m in at.markdown)
    assert len(at.dataframe[0].value) >= 5


def test_annealing_run_starts_streams_and_survives_a_new_session(app):
    """A started run shows at once (no steps yet), keeps going, and a new session sees it."""
    from ala.ui import state

    at = app.switch_page("pages/annealing.py").run()
    at.number_input[0].set_value(20)  # iterations
    at.button[0].click().run()  # "Start run" (form submit)
    no_errors(at)
    runs = state.workspace().runs()
    assert len(runs) == 1
    run_id = int(runs["id"].iloc[0])
    assert any(f"#{run_id}" in str(o) for o in at.selectbox[-1].options)
    fresh = AppTest.from_file(APP, default_timeout=180).run()
    fresh.switch_page("pages/annealing.py").run()
    no_errors(fresh)
    assert any(f"#{run_id}" in str(o) for o in fresh.selectbox[-1].options)
    import os
    import sqlite3
    import time

    database = state.workspace().db
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the worker claims its run, then finishes it
        with sqlite3.connect(database) as con:
            owner, status = con.execute(
                "SELECT owner_pid, status FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
        if status != "running":
            break
        time.sleep(0.2)
    assert owner != os.getpid(), "the run was annealed in a worker process, not the server"
    assert status == "finished"


def test_report_without_history_shows_a_standard_prediction_grid(app):
    at = app.switch_page("pages/report.py").run()
    no_errors(at)
    assert any("standard grid" in text(i) for i in at.info)


def test_a_model_saved_by_an_older_version_is_refitted_not_shown_as_an_error(app, tmp_path):
    """Workspaces from before the configuration-key format hold version-1 model documents."""
    from ala.store import Workspace
    from ala.ui import state

    ws = Workspace(tmp_path / "ws")
    dataset_id = int(ws.datasets()["id"].iloc[-1])
    ws.save_model(dataset_id, "default", {"format": "ala.throughput-model", "version": 1})
    state._model.clear()
    state._whatif.clear()
    at = app.switch_page("pages/predict.py").run()
    no_errors(at)
    assert ws.load_model(dataset_id, "default")["version"] == 2


def test_markdown_in_a_file_name_is_shown_as_text(app):
    """A file name carrying an image link must not make browsers fetch the attacker's URL."""
    name = "![p](http://127.0.0.1:9/name.png).csv"
    csv = b"acc,ii,oo,bb,thpt\n![x](http://127.0.0.1:9/v.png),128,128,1,100\nb,128,128,8,700\n"
    app.file_uploader[0].set_value((name, csv, "text/csv")).run()
    no_errors(app)
    shown = [e.value for e in app.success]
    assert shown, "the upload was accepted"
    assert "\\!\\[p\\]\\(http" in shown[0]
    assert "![p](" not in shown[0], "no unescaped image link reaches the markdown renderer"


def test_a_dataset_that_cannot_be_fitted_is_nobodys_default(app, monkeypatch):
    from ala.model import ThroughputModel
    from ala.ui import state

    real_fit = ThroughputModel.fit

    def fit(self, data, calibrate=False):
        if getattr(getattr(data, "report", None), "source", "") == "toxic.csv":
            raise ArithmeticError("overflow in the fitter")
        return real_fit(self, data, calibrate)

    monkeypatch.setattr(ThroughputModel, "fit", fit)
    app.file_uploader[0].set_value(
        ("toxic.csv", b"acc,ii,oo,bb,thpt\na,1,1,1,5\n", "text/csv")
    ).run()
    at = app.switch_page("pages/curves.py").run()
    no_errors(at)
    assert any("toxic.csv cannot be fitted" in text(e) for e in at.error)
    fresh = AppTest.from_file(APP, default_timeout=180).run()
    fresh = fresh.switch_page("pages/curves.py").run()
    no_errors(fresh)
    assert not fresh.error, "a new session opens a usable dataset"
    problems = state.workspace().datasets().set_index("name")["problem"]
    assert problems["toxic.csv"].startswith("toxic.csv cannot be fitted")


def test_a_damaged_workspace_shows_one_message_with_its_path(tmp_path, monkeypatch):
    from ala.ui import state

    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "workspace.sqlite").write_bytes(b"garbage" * 500)
    monkeypatch.setenv("ALA_WORKSPACE", str(folder))
    state._workspace.clear()  # noqa: SLF001 - a fresh workspace per test
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("workspace.sqlite" in text(e) and "damaged" in text(e) for e in at.error)


def test_an_upload_is_parsed_once_however_often_the_page_reruns(app, monkeypatch):
    from ala.ui import state

    calls = []
    real = state.load_benchmarks

    def counting(content, **kwargs):
        calls.append(kwargs.get("name"))
        return real(content, **kwargs)

    monkeypatch.setattr(state, "load_benchmarks", counting)
    csv = b"gpu,ii,oo,bb,thpt\nX,128,128,1,100\nX,128,128,16,900\nX,128,128,32,1400\n"
    app.file_uploader[0].set_value(("once.csv", csv, "text/csv")).run()
    first = calls.count("once.csv")
    for _ in range(3):
        app.run()
    no_errors(app)
    assert calls.count("once.csv") == first <= 2, calls


def test_compare_on_a_dataset_too_small_to_hold_out_explains_what_it_needs(app):
    csv = b"gpu,ii,oo,bb,thpt\nX,128,128,1,100\nX,128,128,16,900\n"
    app.file_uploader[0].set_value(("tiny.csv", csv, "text/csv")).run()
    at = app.switch_page("pages/compare.py").run()
    at.button[0].click().run()
    deadline = time.monotonic() + 120  # the evaluation runs in a worker process
    while not any("at least 3" in text(i) for i in at.info) and time.monotonic() < deadline:
        time.sleep(1)
        at.run()
    no_errors(at)
    assert any("at least 3 input/output lengths" in text(i) for i in at.info)
    report = at.switch_page("pages/report.py").run()
    no_errors(report)


def test_configuration_columns_can_be_changed_and_a_dataset_deleted(app):
    from ala.ui import state

    fig3 = Path(__file__).parents[1] / "data" / "llm_inference_bench_fig3_excerpt.csv"
    app.file_uploader[0].set_value(("fig3.csv", fig3.read_bytes(), "text/csv")).run()
    no_errors(app)
    dataset_id = int(state.workspace().datasets()["id"].iloc[-1])
    assert "kv_cache_dtype" in state.benchmarks(dataset_id).config_columns
    assert any("part of the configuration" in text(i) for i in app.info)
    app.multiselect(key=f"cfg-{dataset_id}").set_value(["acc", "acc_count", "back", "model"])
    app.button(key=f"apply-settings-{dataset_id}").click().run()
    no_errors(app)
    data = state.benchmarks(dataset_id)
    assert data.config_columns == ("acc", "acc_count", "back", "model")
    assert data.report.rows_kept == 16, "still never averaged across the setting"
    app.checkbox(key=f"sure-{dataset_id}").check().run()
    app.button(key=f"delete-{dataset_id}").click().run()
    no_errors(app)
    assert dataset_id not in state.workspace().datasets()["id"].tolist()


def test_uploading_the_same_bytes_with_a_new_mapping_replaces_the_old_one(app):
    from ala.ui import state

    csv = b"gpu,ii,oo,bb,speed,lat\nX,128,128,1,100,1.0\nX,128,128,16,900,1.1\nX,128,128,32,1400,1.3\n"
    first = state.ingest("m.csv", csv, {"thpt": "lat"})
    again = state.ingest("m.csv", csv, {"thpt": "speed"})
    assert first.dataset_id == again.dataset_id
    assert state.benchmarks(again.dataset_id).frame["thpt"].tolist() == [100.0, 900.0, 1400.0]


def test_outliers_excluded_on_the_data_page_are_kept_with_the_dataset(app):
    from ala.ui import state

    dataset_id = int(state.workspace().datasets()["id"].iloc[-1])
    app.multiselect(key=f"exclude-{dataset_id}").set_value([2, 3])
    app.button(key=f"apply-settings-{dataset_id}").click().run()
    no_errors(app)
    assert state.workspace().settings(dataset_id).excluded == [2, 3]
    assert "excluded by the user" in state.benchmarks(dataset_id).report.summary()


def test_transfer_page_predicts_an_accelerator_never_benchmarked(app):
    """Choosing an H200 (in the catalogue, not in the sample) gives a transferred curve with
    its source, the attribute it differs in, and the memory check."""
    app.switch_page("pages/transfer.py").run()
    no_errors(app)
    app.selectbox(key="t-acc").set_value("NVIDIA H200 SXM 141GB").run()
    no_errors(app)
    shown = " ".join(text(m) for m in app.markdown)
    assert "Source:** transfer; differs from the nearest measured sibling in: acc" in shown
    assert any("GB (weights + KV cache)" in text(s) for s in app.success)
    assert next(m for m in app.metric if m.label == "Predicted throughput").value.endswith(
        "tokens/s"
    )
    app.selectbox(key="t-model").set_value("meta-llama/Llama-2-70b-hf").run()
    app.selectbox(key="t-acc_count").set_value("1").run()
    no_errors(app)
    assert any("of 141 GB" in text(e) for e in [*app.error, *app.success])
    app.switch_page("pages/curves.py").run()
    overlay = next(c for c in app.checkbox if c.key == "c-ovl")
    assert "NVIDIA H200 SXM 141GB" in overlay.label
    overlay.check().run()
    no_errors(app)


VLLM_RESULTS = Path(__file__).resolve().parents[2] / "assets" / "data" / "vllm-bench-serve"


def test_tool_results_upload_then_slo_sizing_ranks_configurations(app):
    files = [
        (p.name, p.read_bytes(), "application/json") for p in sorted(VLLM_RESULTS.glob("*.json"))
    ]
    app.file_uploader[0].set_value(files).run()
    no_errors(app)
    assert any("6 result files (imported).csv: 6 rows kept" in text(s) for s in app.success)
    at = app.switch_page("pages/predict.py").run()
    no_errors(at)
    assert {"TTFT", "TPOT", "E2E"} <= {m.label for m in at.metric}
    at = app.switch_page("pages/slo.py").run()
    no_errors(at)
    assert any("Cheapest that meets the SLO" in text(s) for s in at.success)
    assert len(at.dataframe) == 1


def test_a_broken_result_file_is_named_and_nothing_is_stored(app):
    from ala.ui import state

    before = state.workspace().datasets()
    app.file_uploader[0].set_value(
        [("run.json", b'{"completed": 3, "max_concurrency": 2}', "application/json")]
    ).run()
    no_errors(app)
    assert any("run.json: field 'total_input_tokens' is missing" in text(e) for e in app.error), [
        e.value for e in app.error
    ]
    assert state.workspace().datasets().equals(before)


def test_slo_page_on_throughput_only_data_says_what_it_needs(app):
    at = app.switch_page("pages/slo.py").run()
    no_errors(at)
    assert any("the model has no ttft_ms" in text(e) for e in at.error)


def test_the_workload_and_configuration_follow_the_user_across_pages(app):
    """Typed on Predict, kept on Sizing and Curves, and written to the URL for sharing."""
    at = app.switch_page("pages/predict.py").run()
    at.number_input(key="ctx-ii").set_value(1024)
    at.number_input(key="ctx-bb").set_value(48)
    at.number_input(key="ctx-price").set_value(2.5).run()
    chosen = [s.value for s in at.selectbox if s.key and s.key.startswith("predict-")]
    at = at.switch_page("pages/sizing.py").run()
    no_errors(at)
    assert at.number_input(key="ctx-ii").value == 1024
    assert at.number_input(key="ctx-price").value == 2.5
    assert at.query_params["ii"] in ("1024", ["1024"])
    assert at.query_params["price"] in ("2.5", ["2.5"])
    at = at.switch_page("pages/predict.py").run()
    assert at.number_input(key="ctx-bb").value == 48  # back again: nothing was reset
    assert [s.value for s in at.selectbox if s.key and s.key.startswith("predict-")] == chosen
    at = at.switch_page("pages/curves.py").run()
    picked = at.multiselect(key="ctx-configs").value
    assert len(picked) == 1
    assert at.multiselect(key="ctx-configs").format_func(picked[0]) == " / ".join(chosen)


def test_a_shared_link_opens_the_same_question_and_a_tampered_one_is_named():
    fresh = AppTest.from_file(APP, default_timeout=180)
    fresh.query_params.update({"ii": "2048", "oo": "64", "cur": "EUR", "level": "7"})
    at = fresh.switch_page("pages/sizing.py").run()
    no_errors(at)
    assert at.number_input(key="ctx-ii").value == 2048
    assert at.text_input(key="ctx-currency").value == "EUR"
    assert any("level=" in text(w) for w in at.warning)


def test_a_long_evaluation_shows_progress_and_survives_a_page_switch(app):
    at = app.switch_page("pages/compare.py").run()
    at.multiselect(key="cmp-methods").set_value(["default"])
    at.multiselect(key="cmp-protocols").set_value(["loo_inner", "max_batch"]).run()
    at.button[0].click().run()
    at = at.switch_page("pages/data.py").run()  # the user goes elsewhere meanwhile
    no_errors(at)
    assert any("Background work" in m.value for m in at.markdown)  # the sidebar panel
    progress = [p.proto.text for p in at.get("progress")]
    finished = [c.value for c in at.caption if "Evaluate default: finished" in c.value]
    assert progress or finished  # a bar with its ETA while it runs, its outcome after
    deadline = time.monotonic() + 300
    at = at.switch_page("pages/compare.py").run()
    while not at.dataframe and time.monotonic() < deadline:
        time.sleep(2)
        at.run()
    no_errors(at)
    summary = at.dataframe[0].value
    assert set(summary["method"]) == {"default"}
    assert not at.button or at.button[0].label != "Run evaluation"  # reused, not asked again


def test_sessions_served_to_others_get_workspaces_of_their_own(tmp_path, monkeypatch):
    """With per-session workspaces, one user's upload is invisible to another; a tampered
    workspace name in the link never becomes a path."""
    from ala.store import SESSION_NAME
    from ala.ui import state

    monkeypatch.setenv("ALA_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("ALA_SESSION_WORKSPACES", "1")
    state._workspace.clear()  # noqa: SLF001 - a fresh workspace cache for this test
    alice = AppTest.from_file(APP, default_timeout=180).run()
    csv = b"gpu,ii,oo,bb,thpt\nAliceGPU,128,128,1,100\nAliceGPU,128,128,16,900\n"
    alice.file_uploader[0].set_value(("alice.csv", csv, "text/csv")).run()
    no_errors(alice)
    bob = AppTest.from_file(APP, default_timeout=180)
    bob.query_params["ws"] = "../../etc"
    bob.run()
    no_errors(bob)

    def seen(at: AppTest) -> str:
        pickers = [" ".join(s.options) for s in at.selectbox if s.label == "Dataset to work on"]
        return " ".join(str(e.value) for e in at.main if hasattr(e, "value")) + " ".join(pickers)

    assert "alice.csv" in seen(alice)  # the check below can see an upload
    assert "alice.csv" not in seen(bob)
    sessions = sorted(p.name for p in (tmp_path / "sessions").iterdir())
    assert len(sessions) == 2
    assert all(SESSION_NAME.fullmatch(name) for name in sessions)
    assert not (tmp_path.parent / "etc").exists()


def test_a_configuration_chosen_on_transfer_is_sized_beside_the_measured_ones(app):
    at = app.switch_page("pages/transfer.py").run()
    no_errors(at)
    boxes = [s for s in at.selectbox if s.key == "t-acc"]
    choice = next(o for o in boxes[0].options if "B200" in o)
    boxes[0].set_value(choice).run()
    no_errors(at)
    at = at.switch_page("pages/sizing.py").run()
    at.checkbox(key="sz-tr").check().run()
    no_errors(at)
    table = at.dataframe[0].value
    transferred = table[table["Source"] == "transferred"]
    assert len(transferred) == 1
    assert "B200" in transferred["Configuration"].iloc[0]


def test_sizing_holds_latency_targets_when_the_data_have_latencies(app):
    """On serving data (TTFT and TPOT measured), the decision table sizes under the targets:
    at ii=2048 the TTFT limit of 200 ms allows concurrency 16 (serving_frame's model)."""
    from ..test_serving import serving_frame

    csv = serving_frame().to_csv(index=False).encode()
    app.file_uploader[0].set_value(("serving.csv", csv, "text/csv")).run()
    at = app.switch_page("pages/sizing.py").run()
    no_errors(at)
    at.number_input(key="ctx-ii").set_value(2048)
    at.number_input(key="ctx-oo").set_value(128)
    at.number_input(key="ctx-target").set_value(100000.0)
    ttft = next(n for n in at.number_input if n.label.startswith("TTFT target"))
    ttft.set_value(200.0).run()
    no_errors(at)
    table = at.dataframe[0].value
    assert table["Batch / concurrency"].iloc[0].split(" ")[0] in ("16", "17")
