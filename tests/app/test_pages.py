"""Every page under AppTest: navigation, sample data, uploads good and bad, what-if changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = [
    "pages/data.py",
    "pages/curves.py",
    "pages/predict.py",
    "pages/compare.py",
    "pages/annealing.py",
    "pages/scheduling.py",
    "pages/report.py",
]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("ALA_WORKSPACE", str(tmp_path / "ws"))
    from ala.ui import state

    state.workspace.clear()  # a fresh workspace per test
    at = AppTest.from_file(APP, default_timeout=180)
    return at.run()


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_sample(app, page):
    at = app.switch_page(page).run()
    no_errors(at)
    assert at.title, f"{page} shows no title"


def test_data_page_starts_with_the_sample_dataset(app):
    no_errors(app)
    assert "Benchmark data" in app.title[0].value
    kept = next(m for m in app.metric if m.label == "Rows kept")
    assert kept.value == "4,715"


def test_good_upload_is_saved_and_selected(app):
    csv = b"gpu,ii,oo,bb,thpt\nX,128,128,1,100\nX,128,128,16,900\nX,128,128,32,1400\nX,oops,1,1,1\n"
    app.file_uploader[0].set_value(("mine.csv", csv, "text/csv")).run()
    no_errors(app)
    assert any("mine.csv: 3 rows kept, 1 dropped" in s.value for s in app.success)
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
    assert any(message in e.value for e in app.error), [e.value for e in app.error]
    assert state.workspace().datasets().equals(before)


def test_unrecognised_columns_can_be_mapped(app):
    csv = b"p,q,n,speed\n128,128,1,100\n128,128,16,900\n128,128,32,1400\n"
    app.file_uploader[0].set_value(("odd.csv", csv, "text/csv")).run()
    assert any("missing required column" in e.value for e in app.error)
    for canonical, column in (("ii", "p"), ("oo", "q"), ("bb", "n"), ("thpt", "speed")):
        app.selectbox(key=f"pick-odd.csv-{canonical}").set_value(column)
    app.button(key="apply-odd.csv").click().run()
    no_errors(app)
    assert any("odd.csv: 3 rows kept" in s.value for s in app.success)


def test_whatif_change_updates_the_prediction(app):
    at = app.switch_page("pages/predict.py").run()
    first = at.metric[0].value
    at.number_input(key="p-bb").set_value(1).run()
    no_errors(at)
    assert at.metric[0].value != first
    at.number_input(key="p-ii").set_value(3000).run()
    no_errors(at)
    assert any("learned curve" in m.value for m in at.markdown)


def test_scheduling_page_compares_policies(app):
    at = app.switch_page("pages/scheduling.py").run()
    no_errors(at)
    table = at.dataframe[0].value
    assert {"hindsight", "a_min", "a_max"} <= set(table.index)


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


def test_report_without_history_shows_a_standard_prediction_grid(app):
    at = app.switch_page("pages/report.py").run()
    no_errors(at)
    assert any("standard grid" in m.value for m in at.markdown)


def test_a_model_saved_by_an_older_version_is_refitted_not_shown_as_an_error(app, tmp_path):
    """Workspaces from before the configuration-key format hold version-1 model documents."""
    from ala.store import Workspace
    from ala.ui import state

    ws = Workspace(tmp_path / "ws")
    dataset_id = int(ws.datasets()["id"].iloc[-1])
    ws.save_model(dataset_id, "default", {"format": "ala.throughput-model", "version": 1})
    state.model.clear()
    at = app.switch_page("pages/predict.py").run()
    no_errors(at)
    assert ws.load_model(dataset_id, "default")["version"] == 2
