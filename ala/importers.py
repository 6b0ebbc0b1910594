"""Benchmark-tool results as benchmark rows: ``vllm bench serve`` JSON files.

One result file is one measured point: a fixed client concurrency (the batch-size axis),
mean input and output lengths, total tokens/s, and the latency percentiles the tool reports.
Both spellings of the latency fields are read: vLLM's own ``median_ttft_ms`` (milliseconds)
and the ``median_ttft`` (seconds) that post-processed results such as InferenceX's use.
Every problem names the file and the field, and what would fix it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ala.errors import DataError

# Canonical latency column -> (vLLM field in ms, field in seconds).
LATENCIES = {
    "ttft_ms": ("median_ttft_ms", "median_ttft"),
    "tpot_ms": ("median_tpot_ms", "median_tpot"),
    "e2e_ms": ("median_e2el_ms", "median_e2el"),
    "p99_ttft_ms": ("p99_ttft_ms", "p99_ttft"),
    "p99_tpot_ms": ("p99_tpot_ms", "p99_tpot"),
}
MAX_FILE_BYTES = 50_000_000


def vllm_bench_row(doc: Any, name: str) -> dict[str, object]:
    """One canonical row from a parsed ``vllm bench serve`` result document.

    Raises
    ------
    DataError
        Naming the file and the missing or unusable field.
    """
    if not isinstance(doc, Mapping):
        raise DataError(f"{name}: not a vllm bench serve result (the JSON is not an object)")

    def number(field: str, required: bool = True) -> float | None:
        value = doc.get(field)
        if value is None or isinstance(value, bool):
            if required:
                raise DataError(
                    f"{name}: field {field!r} is missing; is this a `vllm bench serve "
                    "--save-result` file?"
                )
            return None
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise DataError(f"{name}: field {field!r} is {value!r}, not a number") from None
        if not math.isfinite(out) or out < 0:
            raise DataError(f"{name}: field {field!r} is {value!r}, not a usable number")
        return out

    completed = number("completed")
    assert completed is not None
    if completed <= 0:
        raise DataError(f"{name}: no request completed, so there is nothing to learn from")
    concurrency = number("max_concurrency", required=False)
    if concurrency is None or concurrency <= 0:
        raise DataError(
            f"{name}: field 'max_concurrency' is missing: an open-loop run (request rate "
            f"{doc.get('request_rate')!r}) has no concurrency axis; run with --max-concurrency"
        )
    total_in, total_out = number("total_input_tokens"), number("total_output_tokens")
    duration = number("duration")
    assert total_in is not None
    assert total_out is not None
    assert duration is not None
    if duration <= 0:
        raise DataError(f"{name}: field 'duration' is 0")
    row: dict[str, object] = {
        "model": str(doc.get("model_id") or doc.get("tokenizer_id") or ""),
        "ii": total_in / completed,
        "oo": total_out / completed,
        "bb": concurrency,
        "thpt": (total_in + total_out) / duration,
    }
    for column, (in_ms, in_s) in LATENCIES.items():
        ms, seconds = number(in_ms, required=False), number(in_s, required=False)
        row[column] = ms if ms is not None else (seconds * 1000 if seconds is not None else None)
    row["source_file"] = name
    return row


def read_vllm_bench(
    sources: Iterable[str | Path], settings: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Rows from ``vllm bench serve`` result files (a folder means every ``*.json`` in it).

    ``settings`` are configuration values the files do not carry (e.g. ``{"acc": "H200",
    "acc_count": "8", "back": "vLLM"}``), added to every row.

    Raises
    ------
    DataError
        For an unreadable file, invalid JSON or a missing field, naming the file.
    """
    files: list[Path] = []
    for source in sources:
        path = Path(source)
        files += sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise DataError("no result files: give vllm bench serve JSON files or a folder of them")
    rows = []
    for path in files:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise DataError(f"{path.name}: larger than {MAX_FILE_BYTES // 1_000_000} MB")
            doc = json.loads(path.read_bytes())
        except OSError as exc:
            raise DataError(f"{path}: cannot read it ({exc.strerror})") from None
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise DataError(f"{path.name}: not valid JSON") from None
        rows.append(vllm_bench_row(doc, path.name))
    frame = pd.DataFrame(rows)
    for column, value in (settings or {}).items():
        frame.insert(0, column, str(value))
    if (frame["model"] == "").all():  # no file names its model: the user's settings may
        frame = frame.drop(columns="model")
    return frame
