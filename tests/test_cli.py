"""The console script fits, predicts and evaluates; user mistakes exit 2 without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from .conftest import run_cli, synthetic_frame


def run(*args, cwd):
    return run_cli(*args, cwd=cwd)


def test_console_entry_point_runs_in_a_real_process(tmp_path):
    """One smoke test spawns ``python -m ala``; the others call main() in-process."""
    out = subprocess.run(
        [sys.executable, "-m", "ala", "schedule", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0
    assert "--policy" in out.stdout


@pytest.fixture
def bench_csv(tmp_path):
    path = tmp_path / "bench.csv"
    synthetic_frame().rename(columns={"acc": "Hardware", "bb": "Batch Size"}).to_csv(
        path, index=False
    )
    return path


def test_fit_then_predict_keeps_rows_and_columns(tmp_path, bench_csv):
    model = tmp_path / "m.json"
    fitted = run("fit", bench_csv, "-o", model, "--database", tmp_path / "db.csv", cwd=tmp_path)
    assert fitted.returncode == 0, fitted.stderr
    assert "fitted 2 configurations" in fitted.stderr
    queries = tmp_path / "q.csv"
    queries.write_text("Hardware,ii,oo,Batch Size,note\nGPU-B,128,128,16,x\nGPU-A,700,700,8,y\n")
    out = tmp_path / "pred.csv"
    predicted = run("predict", model, queries, "-o", out, cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    pred = pd.read_csv(out)
    assert list(pred.columns) == [
        "Hardware",
        "ii",
        "oo",
        "Batch Size",
        "note",
        "thpt_pred",
        "source",
        "past_peak",
        "identified",
        "ala_note",
        "unseen",
        "siblings",
        "memory_need_gb",
        "fits_memory",
    ]
    assert list(pred["source"]) == ["database", "learned"]
    assert list(pred["note"]) == ["x", "y"], "the file's own column is never overwritten"
    with_interval = run("predict", model, queries, "--interval", "0.9", cwd=tmp_path)
    header = with_interval.stdout.splitlines()[0].split(",")
    assert "proximity" in header, "the per-row distance score is proximity"
    assert "confidence" not in header, "confidence means Algorithm 8 only"


def test_evaluate_prints_json(tmp_path, bench_csv):
    result = run(
        "evaluate",
        bench_csv,
        "--methods",
        "default,linear",
        "--protocol",
        "loo_inner",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["summary"]
    assert {r["method"] for r in rows} == {"default", "linear"}


@pytest.mark.parametrize("content", ["", "just,a,header\n", "\x00\x01binary"])
def test_bad_input_exits_2_without_traceback(tmp_path, content):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    result = run("fit", bad, "-o", tmp_path / "m.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "bad.csv" in result.stderr


def test_predict_with_a_non_model_file_fails_clearly(tmp_path, bench_csv):
    result = run("predict", bench_csv, bench_csv, cwd=tmp_path)
    assert result.returncode == 2
    assert "not an ala model file" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_with_a_target_opens_with_a_recommendation(tmp_path, bench_csv):
    """``ala report --target`` sizes every configuration and leads with the cheapest."""
    model = tmp_path / "m.json"
    assert run("fit", bench_csv, "-o", model, cwd=tmp_path).returncode == 0
    out = tmp_path / "r.html"
    args = ("--target", 5000, "--ii", 128, "--oo", 128, "--price", 3, "--currency", "eur")
    done = run("report", bench_csv, model, "-o", out, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    assert "<b>Recommendation.</b>" in html
    assert "5,000 tokens/s" in html
    assert "Cost per hour (EUR)" in html
    bad = run("report", bench_csv, model, "-o", out, "--target", 0, cwd=tmp_path)
    assert bad.returncode == 2
    assert "--target" in bad.stderr
