"""Real browser: upload on Data, the plotly chart on Curves, the gauge on Predict, screenshots."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from ala.datasets import sample_dataset_path

from .conftest import ARTIFACTS, explained

pytestmark = pytest.mark.browser
TIMEOUT = 120_000  # ms: the first visit fits and calibrates the sample model


def test_upload_curves_predict_in_chromium(app_server, browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    with explained(page):
        page.set_default_timeout(TIMEOUT)

        page.goto(app_server)
        page.get_by_text("Benchmark data").first.wait_for()
        upload = tmp_path / "my_bench.csv"
        sample = sample_dataset_path().read_text().splitlines()
        rows = [sample[0]] + [line for line in sample[1:] if "Nvidia A100 GPU,1,vLLM" in line]
        upload.write_text("\n".join(rows) + "\nNvidia A100 GPU,1,vLLM,bad-row,128,x,1,1\n")
        page.locator("input[type=file]").first.set_input_files(str(upload))
        page.get_by_text("saved to the workspace").wait_for()
        page.get_by_text("Rows dropped").first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "data.png"), full_page=True)

        page.goto(f"{app_server}/curves")
        page.locator(".js-plotly-plot").first.wait_for()
        page.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "curves.png"), full_page=True)

        page.goto(f"{app_server}/predict")
        gauge = page.locator(".js-plotly-plot .indicatorlayer text.number").first
        gauge.wait_for()
        confidence = float(gauge.text_content())
        assert 0.0 <= confidence <= 1.0
        page.get_by_text("Predicted throughput").first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "predict.png"), full_page=True)
    page.close()


def test_payloads_in_a_file_are_shown_as_text_and_exported_neutralised(app_server, browser):
    """Markdown in a file name and values fetches nothing; formulas are neutralised on export."""
    from .conftest import free_port

    trap = f"127.0.0.1:{free_port()}"
    name = f"![p](http://{trap}/name.png).csv"
    rows = ["Hardware,Framework,ii,oo,bb,thpt"]
    for hardware in ("=cmd|' /C calc'!A0", f"![v](http://{trap}/value.png)"):
        rows += [f"{hardware},@evil,128,128,{b},{100 * b**0.8:.1f}" for b in (1, 8, 16, 32)]
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    with explained(page):
        page.set_default_timeout(TIMEOUT)
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        page.goto(app_server)
        page.get_by_text("Benchmark data").first.wait_for()
        page.locator("input[type=file]").first.set_input_files(
            {"name": name, "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}
        )
        page.get_by_text("saved to the workspace").wait_for()
        page.get_by_text("![p](http://").first.wait_for()  # the name is shown as typed
        page.goto(f"{app_server}/curves")
        page.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for()
        with page.expect_download() as download:
            page.get_by_text("Download the parameter table (CSV)").click()
        exported = Path(download.value.path()).read_text()
        page.screenshot(path=str(ARTIFACTS / "payloads.png"), full_page=True)
    page.close()
    assert not [url for url in fetched if trap in url], "the attacker's URL was fetched"
    assert "'=cmd|" in exported
    assert "'@evil" in exported
    for line in exported.splitlines()[1:]:
        assert not any(cell.startswith(("=", "@", "+")) for cell in line.split(",")), line


def _settle(page) -> None:
    """Wait until the script run that the last input started has finished, so that the next
    click lands on this run's widgets (on a slow machine a click during a rerun can be lost)."""
    page.wait_for_timeout(500)  # the rerun request reaches the server and the state flips
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def _nav(page, title: str) -> None:
    """Switch page the way a user does (the sidebar link), keeping the browser session."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    _settle(page)


def _type(page, label: str, value: object) -> None:
    box = page.get_by_label(label).first
    box.fill(str(value))
    box.press("Enter")
    _settle(page)


def test_upload_predict_add_size_and_download_the_report(app_server, browser, tmp_path):
    """The decision walk: upload -> predict -> add to report -> size several configurations
    -> add -> download the report, whose summary and decision table are checked; the
    workload typed on Predict is still there on Sizing (and in the URL)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    with explained(page):
        page.set_default_timeout(TIMEOUT)
        page.goto(app_server)
        page.get_by_text("Benchmark data").first.wait_for()
        sample = sample_dataset_path().read_text().splitlines()
        rows = [sample[0]] + [
            line
            for line in sample[1:]
            if ",vLLM,meta-llama/Meta-Llama-3-8B," in line and line.startswith("Nvidia")
        ]
        upload = tmp_path / "llama3_vllm.csv"
        upload.write_text("\n".join(rows) + "\n")
        page.locator("input[type=file]").first.set_input_files(str(upload))
        page.get_by_text("saved to the workspace").wait_for()

        _nav(page, "Predict")
        page.get_by_text("Predicted throughput").first.wait_for()
        _type(page, "Input tokens (ii)", 1024)
        page.wait_for_url("**ii=1024**")
        page.get_by_role("button", name="Add to report").click()
        page.get_by_text("Added to the report").first.wait_for()

        _nav(page, "Sizing")
        page.get_by_text("Candidate configurations").first.wait_for()
        assert page.get_by_label("Input tokens (ii)").first.input_value() == "1024"
        _type(page, "Price per accelerator-hour (0 = skip cost)", 2.5)
        picker = page.locator('[data-testid="stMultiSelect"]').first
        picker.click()
        page.keyboard.type("H100 GPU / 2")
        page.get_by_role("option").filter(has_text="H100 GPU / 2").first.click()
        page.keyboard.press("Escape")
        page.wait_for_url(lambda url: "H100" in unquote(url))  # the choice reached the context
        _settle(page)
        page.get_by_text("Recommended:").first.wait_for()
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        page.get_by_role("button", name="Add to report").click()
        page.get_by_text("Added the decision table").first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "sizing.png"), full_page=True)

        _nav(page, "Report")
        page.get_by_text("Decision table: Sizing for").first.wait_for()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download HTML report").click()
        report = Path(download.value.path()).read_text()
        summary = report[report.index("<h2>Summary</h2>") : report.index("<h2>Decision table</h2>")]
        assert "1,024 input and 512 output tokens" in summary
        assert "2.50 USD per accelerator-hour" in summary
        assert "<b>Recommendation.</b>" in summary
        assert "Confidence: <b>" in summary
        table = report[
            report.index("<h2>Decision table</h2>") : report.index("<h2>Predictions</h2>")
        ]
        assert table.count("<tr") == 3  # a header and the two configurations sized
        assert "Every configuration below is vLLM / meta-llama/Meta-Llama-3-8B" in table
        assert "<td>Nvidia H100 GPU / 2</td>" in table  # only what differs, so the table fits
        assert "Cost per hour (USD)" in table
        predictions = report[report.index("<h2>Predictions</h2>") : report.index("<h2>Curves</h2>")]
        assert "The predictions added to this report" in predictions
        assert "1,024" in predictions
        saved = ARTIFACTS / "report.html"
        saved.write_text(report)
        page.goto(saved.resolve().as_uri())
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    page.close()
