"""inference-perf lifecycle reports (``summary_lifecycle_metrics.json``,
``stage_<n>_lifecycle_metrics.json``).

Built from inference-perf's documented report (no real sample file was at hand): ``load_summary``
(requested and achieved rate), ``successes.latency.<metric>`` with ``mean``, ``median``, ``p90``,
``p99`` in seconds (``time_to_first_token``, ``time_per_output_token``, ``request_latency``),
``successes.throughput`` (``total_tokens_per_sec`` ...) and the token counts
(``prompt_len`` / ``output_len``, renamed ``prompt_tokens`` / ``output_tokens`` later).
inference-perf drives load by request rate, so a report has no client concurrency: the mean
number of requests in flight, Little's law ``requests/s x mean request latency``, is the batch
axis, and the import says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ala.errors import DataError
from ala.importers.common import first_number, number, require_object

TOOL = "inference-perf"
HINT = "; is this an inference-perf lifecycle metrics report?"


def looks_like(doc: Any) -> bool:
    """Whether a parsed JSON document is an inference-perf lifecycle report."""
    return (
        isinstance(doc, Mapping)
        and isinstance(doc.get("load_summary"), Mapping)
        and isinstance(doc.get("successes"), Mapping)
    )


def _ms(latency: Any, metric: str, stat: str, name: str) -> float | None:
    value = number(latency, [metric, stat], name, required=False)
    return None if value is None else value * 1000


def inference_perf_row(doc: Any, name: str) -> dict[str, object]:
    """One canonical row from a parsed lifecycle report.

    Raises
    ------
    DataError
        Naming the file and the field.
    """
    doc = require_object(doc, name, TOOL)
    ok = doc["successes"]
    if (number(ok, ["count"], f"{name} successes", hint=HINT) or 0) <= 0:
        raise DataError(f"{name}: no request succeeded, so there is nothing to learn from")
    latency = ok.get("latency")
    if not isinstance(latency, Mapping):
        raise DataError(f"{name}: field 'successes.latency' is missing{HINT}")
    ii = first_number(ok, [["prompt_len", "mean"], ["prompt_tokens", "mean"]], name)
    oo = first_number(ok, [["output_len", "mean"], ["output_tokens", "mean"]], name)
    if not ii or not oo:
        raise DataError(
            f"{name}: field 'successes.prompt_len.mean' or 'output_len.mean' is missing"
        )
    rate = number(ok, ["throughput", "requests_per_sec"], f"{name} successes", hint=HINT) or 0.0
    mean_latency = number(latency, ["request_latency", "mean"], f"{name} successes.latency") or 0.0
    total = first_number(ok, [["throughput", "total_tokens_per_sec"]], name)
    if total is None:
        output = number(ok, ["throughput", "output_tokens_per_sec"], f"{name} successes") or 0.0
        total = output * (ii + oo) / oo
    if rate <= 0 or mean_latency <= 0:
        raise DataError(f"{name}: requests_per_sec or the mean request latency is 0")
    return {
        "model": "",
        "ii": ii,
        "oo": oo,
        "bb": rate * mean_latency,
        "thpt": total,
        "ttft_ms": _ms(latency, "time_to_first_token", "median", name),
        "tpot_ms": _ms(latency, "time_per_output_token", "median", name),
        "e2e_ms": _ms(latency, "request_latency", "median", name),
        "p99_ttft_ms": _ms(latency, "time_to_first_token", "p99", name),
        "p99_tpot_ms": _ms(latency, "time_per_output_token", "p99", name),
        "source_tool": TOOL,
        "source_version": "",
    }
