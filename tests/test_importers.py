"""vllm bench serve result files as benchmark rows, and every bad file as one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ala.cli import main
from ala.data import load_benchmarks
from ala.errors import DataError
from ala.importers import read_vllm_bench

RESULTS = Path(__file__).parent.parent / "assets" / "data" / "vllm-bench-serve"


def test_a_folder_of_results_becomes_one_row_per_run():
    """Concurrency is the batch axis, throughput counts input and output tokens over the
    run, and latencies in seconds (InferenceX) arrive in milliseconds."""
    frame = read_vllm_bench([RESULTS], {"acc": "H200", "acc_count": "8", "back": "vLLM"})
    assert len(frame) == 6
    name = "minimax_m25_vllm_tep8_isl1024_osl128_conc16.json"
    row = frame[frame["source_file"] == name].iloc[0]
    doc = json.loads((RESULTS / name).read_text())
    assert row["bb"] == 16
    assert row["ii"] == pytest.approx(1024, rel=0.01)
    assert row["oo"] == pytest.approx(128, rel=0.01)
    expected = (doc["total_input_tokens"] + doc["total_output_tokens"]) / doc["duration"]
    assert row["thpt"] == pytest.approx(expected)
    assert row["ttft_ms"] == pytest.approx(doc["median_ttft"] * 1000)
    assert (row["acc"], row["model"]) == ("H200", "MiniMaxAI/MiniMax-M2.5")


def test_native_millisecond_fields_are_read_as_they_are(tmp_path):
    """vLLM's own --save-result spelling (median_ttft_ms) needs no conversion."""
    doc = {
        "model_id": "meta-llama/Llama-3.1-8B-Instruct",
        "completed": 100,
        "max_concurrency": 8,
        "duration": 10.0,
        "total_input_tokens": 51200,
        "total_output_tokens": 12800,
        "median_ttft_ms": 42.0,
        "median_tpot_ms": 7.5,
    }
    (tmp_path / "run.json").write_text(json.dumps(doc))
    row = read_vllm_bench([tmp_path / "run.json"]).iloc[0]
    assert (row["ii"], row["oo"], row["thpt"]) == (512, 128, 6400)
    assert (row["ttft_ms"], row["tpot_ms"]) == (42.0, 7.5)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2", "not valid JSON"),
        ("[1, 2]", "not an object"),
        ('{"completed": 5}', "'max_concurrency' is missing: an open-loop run"),
        ('{"completed": 0}', "no request completed"),
        ('{"completed": "lots"}', "'completed' is 'lots', not a number"),
        (
            '{"completed": 5, "max_concurrency": 4, "duration": 1, "total_input_tokens": 9}',
            "'total_output_tokens' is missing",
        ),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_a_bad_result_file_names_itself_and_the_field(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(DataError, match=message) as error:
        read_vllm_bench([path])
    assert "bad.json" in str(error.value)


def test_cli_imports_a_folder_that_then_loads_and_fits(tmp_path, capsys):
    """`ala import` writes a CSV the loader reads with its latency columns kept; the file
    name is provenance, not a configuration setting."""
    out = tmp_path / "runs.csv"
    assert main(["import", str(RESULTS), "--set", "acc=H200", "-o", str(out)]) == 0
    data = load_benchmarks(out)
    # The GPU count and layout come from the file names (``_tep8_``).
    assert data.config_columns == ("acc", "acc_count", "model")
    assert set(data.frame["acc_count"]) == {"8"}
    assert set(data.frame["layout"]) == {"tep"}
    assert {"ttft_ms", "tpot_ms", "e2e_ms"} <= set(data.frame.columns)
    assert main(["import", str(tmp_path / "missing"), "-o", str(out)]) == 2
    assert "ala: error:" in capsys.readouterr().err
