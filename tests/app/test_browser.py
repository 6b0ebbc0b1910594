"""Real browser: upload on Data, the plotly chart on Curves, the gauge on Predict, screenshots."""

from __future__ import annotations

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
