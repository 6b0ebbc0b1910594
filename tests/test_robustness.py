"""Nothing lost, nothing injected: atomic writes, safe exports, limits, hostile inputs."""

from __future__ import annotations

import errno
import os
import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ala.data import load_benchmarks
from ala.errors import AlaError, DataError, WorkspaceError
from ala.evaluate import protocol_folds
from ala.files import spreadsheet_safe, write_text
from ala.model import ThroughputModel
from ala.store import Workspace, process_token

from .conftest import run_cli, synthetic_frame

PAYLOADS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _full_disk(monkeypatch):
    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)


def test_a_full_disk_keeps_the_old_model_and_names_the_file(tmp_path, monkeypatch):
    csv = tmp_path / "b.csv"
    synthetic_frame().to_csv(csv, index=False)
    model = tmp_path / "m.json"
    assert run_cli("fit", csv, "-o", model, "--no-calibrate").returncode == 0
    before = model.read_bytes()
    _full_disk(monkeypatch)
    out = run_cli("fit", csv, "-o", model, "--no-calibrate", "--method", "paper")
    assert out.returncode == 2
    assert f"{model}: could not write the file (No space left on device)" in out.stderr
    assert model.read_bytes() == before, "the old model is intact"
    assert ThroughputModel.load(model).method == "default"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_write_text_replaces_atomically(tmp_path):
    path = tmp_path / "f.txt"
    write_text(path, "old")
    write_text(path, "new")
    assert path.read_text() == "new"
    with pytest.raises(AlaError, match="could not write"):
        write_text(tmp_path / "missing-folder" / "f.txt", "x")


def test_exports_neutralise_spreadsheet_formulas(tmp_path):
    frame = synthetic_frame()
    frame["acc"] = np.where(frame["acc"] == "GPU-A", PAYLOADS[0], PAYLOADS[1])
    csv = tmp_path / "b.csv"
    frame.to_csv(csv, index=False)
    model, params = tmp_path / "m.json", tmp_path / "params.csv"
    assert run_cli("fit", csv, "-o", model, "--no-calibrate", "--database", params).returncode == 0
    queries = tmp_path / "q.csv"
    pd.DataFrame(
        {"acc": [PAYLOADS[0]], "ii": [512], "oo": [512], "bb": [8], "note": ["@x"]}
    ).to_csv(queries, index=False)
    predictions = tmp_path / "p.csv"
    assert run_cli("predict", model, queries, "-o", predictions).returncode == 0
    for path in (params, predictions):
        text = path.read_text()
        for line in text.splitlines()[1:]:
            for cell in line.split(","):
                assert not cell.lstrip('"').startswith(("=", "+", "@")), (path.name, cell)
    assert "'=cmd" in predictions.read_text()
    assert "'@x" in predictions.read_text(), "the file's own 'note' column is kept"
    assert "ala_note" in predictions.read_text().splitlines()[0]


def test_spreadsheet_safe_leaves_numbers_and_plain_text_alone():
    frame = pd.DataFrame({"n": [-1.5, 2.0], "t": ["-x", "ok"], "=h": ["a", "b"]})
    safe = spreadsheet_safe(frame)
    assert safe["n"].tolist() == [-1.5, 2.0]
    assert safe["t"].tolist() == ["'-x", "ok"]
    assert list(safe.columns) == ["n", "t", "'=h"]
    for payload in PAYLOADS:
        assert spreadsheet_safe(pd.DataFrame({"v": [payload]}))["v"].iloc[0] == "'" + payload


def test_values_near_the_float_limits_are_dropped_with_a_reason():
    text = "acc,ii,oo,bb,thpt\na,1e308,1,1,5\na,1,1,1,5e-324\na,1,1,2,5\na,1,1,3,7\n"
    data = load_benchmarks(text.encode(), name="huge.csv")
    assert data.report.rows_kept == 2
    reasons = {d.reason.split(" (")[0] for d in data.report.dropped}
    assert reasons == {"implausible value"}


def test_duplicate_spellings_and_reserved_names_are_handled():
    with pytest.raises(DataError, match="'thpt' and 'THPT' differ only in case"):
        load_benchmarks(b"acc,ii,oo,bb,thpt,THPT\na,1,1,1,5,6\n", name="d.csv")
    data = load_benchmarks(b"acc,ii,oo,bb,thpt,source_row\na,1,1,1,5,x\n", name="r.csv")
    assert data.frame["source_row"].tolist() == [2], "the loader's own row numbers survive"
    assert data.frame["file_source_row"].tolist() == ["x"]
    assert any("kept as 'file_source_row'" in n for n in data.report.notes)


def test_thousands_of_extra_columns_load_without_fragmenting_the_frame():
    """The loader inserted columns one by one (quadratic); pandas warns about that pattern."""
    columns = [f"x{i}" for i in range(3000)]
    rows = ["acc,ii,oo,bb,thpt," + ",".join(columns)]
    rows += [f"a,1,1,{b},{b * 10}," + ",".join("1" for _ in columns) for b in range(1, 33)]
    data = load_benchmarks("\n".join(rows).encode(), name="wide.csv")  # warnings are errors
    assert data.frame.shape[1] > 3000


def test_the_fitter_refuses_before_allocating_too_much(monkeypatch):
    import ala.curves

    monkeypatch.setattr(ala.curves, "MAX_PADDED_POINTS", 10)
    with pytest.raises(DataError, match="more than ala fits at once"):
        ThroughputModel().fit(load_benchmarks(synthetic_frame()))


def test_a_thousand_lengths_give_at_most_twenty_inner_folds():
    lengths = np.arange(1, 1001) * 16.0
    frame = pd.DataFrame(
        {
            "acc": "a",
            "ii": np.repeat(lengths, 3),
            "oo": np.repeat(lengths, 3),
            "bb": np.tile([1.0, 8, 32], 1000),
        }
    )
    folds = list(protocol_folds(frame, ["acc"], "loo_inner"))
    assert len(folds) == 20
    held = np.sum([m for _, m in folds], axis=0)
    assert held.max() == 1, "each row held out once"
    assert held.sum() == 998 * 3, "every inner length held out"


def test_a_damaged_workspace_gives_one_clear_message(tmp_path):
    (tmp_path / "workspace.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkspaceError, match="workspace.sqlite.*damaged: move it away"):
        Workspace(tmp_path)


def test_a_full_workspace_names_the_database(tmp_path, monkeypatch):
    ws = Workspace(tmp_path)

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sqlite3, "connect", full)
    with pytest.raises(WorkspaceError, match="disk is full"):
        ws.add_dataset("a.csv", b"x", None, 1, "")


def test_a_reused_pid_does_not_keep_a_run_running_forever(tmp_path):
    """In containers the app is PID 1 again after a restart: the start time tells them apart."""
    from ala.annealing import AnnealSettings

    ws = Workspace(tmp_path)
    did = ws.add_dataset("a.csv", b"x", None, 1, "")
    run = ws.create_run(did, "cfg", AnnealSettings(), synthetic_frame())
    with sqlite3.connect(tmp_path / "workspace.sqlite") as con:
        con.execute(
            "UPDATE runs SET owner_pid = ?, owner_token = ? WHERE id = ?",
            (os.getpid(), f"{os.getpid()}:1", run),
        )
    assert process_token(os.getpid()) != f"{os.getpid()}:1"
    assert Workspace(tmp_path).run_status(run) == "interrupted"


@pytest.mark.parametrize(
    "args",
    [
        ["anneal", "{csv}", "--chains", "0", "-o", "{tmp}/r.json"],
        ["evaluate", "{csv}", "--methods", "evil"],
        ["evaluate", "{csv}", "--interval", "7"],
        ["schedule-sweep", "{trace}", "--widths", "a,b"],
        ["schedule", "{trace}", "--round-ms", "nan"],
        ["schedule", "{trace}", "--memory", "0"],
        ["schedule", "{huge}"],
        ["schedule", "{trace}", "--level", "1.5", "--intervals", "predicted"],
        ["schedule", "{trace}", "--accelerator", "H100", "--llm", "no-such-model"],
        ["schedule", "{trace}", "--accelerator", "H100", "--llm", "Llama-3.1-8B", "--gpus", "0"],
        ["schedule", "{trace}", "--slo-e2e-s", "-1"],
        ["schedule", "{jsonl}"],
        ["schedule-load", "{trace}", "--loads", "0.5,x"],
        ["schedule-load", "{trace}", "--loads", "-1"],
        ["schedule-load", "{trace}", "--goal", "0"],
        ["make-trace", "-o", "{tmp}/s.csv", "--requests", "0"],
        ["make-trace", "-o", "{tmp}/s.csv", "--rate", "nan"],
        ["anneal", "{csv}", "--config", "acc=nope", "-o", "{tmp}/r.json"],
        ["predict", "{csv}", "{csv}"],
        ["report", "{csv}", "{csv}", "-o", "{tmp}/r.html"],
    ],
)
def test_hostile_arguments_exit_2_with_one_line(tmp_path, args):
    csv = tmp_path / "b.csv"
    synthetic_frame().to_csv(csv, index=False)
    trace = tmp_path / "t.csv"
    trace.write_text(
        "time,prompt,output\n" + "\n".join(f"{i},{10 + i},{3 + i % 4}" for i in range(50))
    )
    huge = tmp_path / "huge.csv"
    huge.write_text("time,prompt,output\n0,1e308,3\n1,5,1e308\n")
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text('{"timestamp": 0, "input_length": 5, "output_length": 3}\n[1, 2]\n')
    values = {"csv": csv, "trace": trace, "tmp": tmp_path, "huge": huge, "jsonl": jsonl}
    out = run_cli(*[a.format(**values) for a in args])
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith("ala: error:"), out.stderr
    assert "Traceback" not in out.stderr


def test_trace_times_with_mixed_utc_offsets_share_one_timeline():
    from ala.scheduling import load_trace

    text = "time,prompt,output\n2023-01-01T00:00:00+00:00,5,3\n2023-01-01T05:00:01+05:00,5,3\n"
    trace = load_trace(text.encode(), name="tz.csv")
    assert trace.arrival_s.tolist() == [0.0, 1.0]


column = st.sampled_from(["acc", "ii", "oo", "bb", "thpt", "back", "x", "Batch Size", "THPT"])
cell = st.one_of(
    st.integers(-5, 5000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "a / b", "1.0", "=1+1", "![x](http://x/y)", "1e308", "5e-324", "nan"]),
    st.text(max_size=6),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.lists(column, min_size=4, max_size=7),
    rows=st.lists(st.lists(cell, min_size=4, max_size=7), min_size=1, max_size=25),
)
def test_any_accepted_file_fits_and_predicts_or_fails_with_a_documented_error(header, rows):
    text = "\n".join([",".join(header)] + [",".join(c.replace(",", ";") for c in r) for r in rows])
    try:
        data = load_benchmarks(text.encode("utf-8", "replace"), name="fuzz.csv")
        model = ThroughputModel().fit(data)
        model.predict(data.frame.head(5))
        model.predict_curve(model.configs_[0], 100.0, 100.0, [3.0])
    except AlaError:
        pass
