"""Real browser: upload on Data, the plotly chart on Curves, the gauge on Predict, screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from ala.datasets import sample_dataset_path

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser
TIMEOUT = 120_000  # ms: the first visit fits and calibrates the sample model


def test_upload_curves_predict_in_chromium(app_server, browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
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
