"""LLMPerf summary files (``<model>_<in>_<out>_summary.json`` of ``token_benchmark_ray.py``).

One file is one measured point at ``num_concurrent_requests``. Latencies are in seconds
(``results_ttft_s_*``, ``results_inter_token_latency_s_*``, ``results_end_to_end_latency_s_*``).
LLMPerf reports output tokens/s only (``results_mean_output_throughput_token_per_s``); total
tokens/s is that x (input + output) / output, with the mean token counts of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ala.errors import DataError
from ala.importers.common import first_number, number, require_object

TOOL = "llmperf"
HINT = "; is this an LLMPerf *_summary.json file?"


def looks_like(doc: Any) -> bool:
    """Whether a parsed JSON document is an LLMPerf summary."""
    return isinstance(doc, Mapping) and "results_ttft_s_mean" in doc


def _seconds(doc: Mapping[str, Any], stem: str, stat: str, name: str) -> float | None:
    value = first_number(doc, [[f"results_{stem}_s_quantiles_{stat}"]], name)
    return None if value is None else value * 1000


def llmperf_row(doc: Any, name: str) -> dict[str, object]:
    """One canonical row from a parsed LLMPerf summary.

    Raises
    ------
    DataError
        Naming the file and the field.
    """
    doc = require_object(doc, name, TOOL)
    completed = number(doc, ["results_num_completed_requests"], name, hint=HINT) or 0.0
    if completed <= 0:
        raise DataError(f"{name}: no request completed, so there is nothing to learn from")
    bb = number(doc, ["num_concurrent_requests"], name, hint=HINT) or 0.0
    if bb <= 0:
        raise DataError(f"{name}: field 'num_concurrent_requests' is 0")
    ii = number(doc, ["results_number_input_tokens_mean"], name, hint=HINT) or 0.0
    oo = number(doc, ["results_number_output_tokens_mean"], name, hint=HINT) or 0.0
    if ii <= 0 or oo <= 0:
        raise DataError(f"{name}: the mean input or output token count is 0")
    output = number(doc, ["results_mean_output_throughput_token_per_s"], name, hint=HINT) or 0.0
    return {
        "model": str(doc.get("model") or ""),
        "ii": ii,
        "oo": oo,
        "bb": bb,
        "thpt": output * (ii + oo) / oo,
        "ttft_ms": _seconds(doc, "ttft", "p50", name),
        "tpot_ms": _seconds(doc, "inter_token_latency", "p50", name),
        "e2e_ms": _seconds(doc, "end_to_end_latency", "p50", name),
        "p99_ttft_ms": _seconds(doc, "ttft", "p99", name),
        "p99_tpot_ms": _seconds(doc, "inter_token_latency", "p99", name),
        "source_tool": TOOL,
        "source_version": str(doc.get("version") or ""),
    }
