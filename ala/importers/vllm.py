"""``vllm bench serve --save-result`` JSON: one file is one measured point.

A fixed client concurrency (``max_concurrency``, the batch-size axis), mean input and output
lengths, total tokens/s from the token totals and the duration, and the latency percentiles.
Both spellings of the latency fields are read: vLLM's own ``median_ttft_ms`` (milliseconds) and
the ``median_ttft`` (seconds) that post-processed results such as InferenceX's use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ala.errors import DataError
from ala.importers.common import number, require_object

TOOL = "vllm bench serve"
# Canonical latency column -> (vLLM field in ms, field in seconds).
LATENCIES = {
    "ttft_ms": ("median_ttft_ms", "median_ttft"),
    "tpot_ms": ("median_tpot_ms", "median_tpot"),
    "e2e_ms": ("median_e2el_ms", "median_e2el"),
    "p99_ttft_ms": ("p99_ttft_ms", "p99_ttft"),
    "p99_tpot_ms": ("p99_tpot_ms", "p99_tpot"),
}
HINT = "; is this a `vllm bench serve --save-result` file?"


def looks_like(doc: Any) -> bool:
    """Whether a parsed JSON document is a ``vllm bench serve`` result."""
    return isinstance(doc, Mapping) and bool(
        {"completed", "max_concurrency", "total_input_tokens", "duration"} & set(doc)
    )


def vllm_bench_row(doc: Any, name: str) -> dict[str, object]:
    """One canonical row from a parsed ``vllm bench serve`` result document.

    Raises
    ------
    DataError
        Naming the file and the missing or unusable field.
    """
    doc = require_object(doc, name, TOOL)
    completed = number(doc, ["completed"], name, hint=HINT) or 0.0
    if completed <= 0:
        raise DataError(f"{name}: no request completed, so there is nothing to learn from")
    concurrency = number(doc, ["max_concurrency"], name, required=False)
    if concurrency is None or concurrency <= 0:
        raise DataError(
            f"{name}: field 'max_concurrency' is missing: an open-loop run (request rate "
            f"{doc.get('request_rate')!r}) has no concurrency axis; run with --max-concurrency"
        )
    total_in = number(doc, ["total_input_tokens"], name, hint=HINT) or 0.0
    total_out = number(doc, ["total_output_tokens"], name, hint=HINT) or 0.0
    duration = number(doc, ["duration"], name, hint=HINT) or 0.0
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
        ms = number(doc, [in_ms], name, required=False)
        seconds = number(doc, [in_s], name, required=False)
        row[column] = ms if ms is not None else (seconds * 1000 if seconds is not None else None)
    row["source_tool"] = TOOL
    row["source_version"] = str(doc.get("version") or doc.get("vllm_version") or "")
    return row
