"""AIPerf / GenAI-Perf profile exports (``profile_export_aiperf.json`` and GenAI-Perf's).

Built from AIPerf's documented export schema (no real sample file was at hand): one run per
file, each metric a top-level block ``{"unit": ..., "avg": ..., "p50": ..., "p99": ...}``;
``time_to_first_token``, ``inter_token_latency`` and ``request_latency`` in the block's
``unit`` (ms by default, converted from s or ns when so labelled). The concurrency is read
from the resolved ``input_config`` (``loadgen.concurrency``, ``phases.profiling.concurrency``,
GenAI-Perf's ``perf_analyzer.stimulus.concurrency`` or ``concurrency`` anywhere in it).
Total tokens/s is ``total_token_throughput`` or, where only output tokens/s is exported,
output tokens/s x (input + output) / output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ala.errors import DataError
from ala.importers.common import dig, number, require_object

TOOL = "aiperf"
TO_MS = {"ms": 1.0, "s": 1000.0, "sec": 1000.0, "us": 1e-3, "ns": 1e-6}


def looks_like(doc: Any) -> bool:
    """Whether a parsed JSON document is an AIPerf or GenAI-Perf profile export."""
    return (
        isinstance(doc, Mapping)
        and isinstance(doc.get("time_to_first_token"), Mapping)
        and isinstance(doc.get("output_sequence_length"), Mapping)
    )


def _ms(doc: Mapping[str, Any], metric: str, stat: str, name: str) -> float | None:
    value = number(doc, [metric, stat], name, required=False)
    if value is None:
        return None
    unit = str(dig(doc, [metric, "unit"]) or "ms").lower()
    if unit not in TO_MS:
        raise DataError(f"{name}: field '{metric}.unit' is {unit!r}, not a time unit")
    return value * TO_MS[unit]


def _concurrency(config: Any, depth: int = 0) -> float | None:
    """The first positive ``concurrency`` in the input configuration (depth-first)."""
    if depth > 8 or not isinstance(config, Mapping):
        return None
    value = config.get("concurrency")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    for child in config.values():
        found = _concurrency(child, depth + 1)
        if found is not None:
            return found
    return None


def _model(config: Any) -> str:
    """The served model's name in the input configuration ('' when it has none)."""
    names = dig(config, ["model_names"])
    if isinstance(names, list) and names:
        return str(names[0])
    items = dig(config, ["models", "items"])
    if isinstance(items, list) and items and isinstance(items[0], Mapping):
        return str(items[0].get("name") or "")
    return ""


def aiperf_row(doc: Any, name: str) -> dict[str, object]:
    """One canonical row from a parsed profile export.

    Raises
    ------
    DataError
        Naming the file and the field.
    """
    doc = require_object(doc, name, TOOL)
    ii = number(doc, ["input_sequence_length", "avg"], name, hint="; is this an AIPerf export?")
    oo = number(doc, ["output_sequence_length", "avg"], name) or 0.0
    if oo <= 0:
        raise DataError(f"{name}: field 'output_sequence_length.avg' is 0")
    bb = _concurrency(doc.get("input_config"))
    if bb is None:
        raise DataError(
            f"{name}: field 'input_config...concurrency' is missing: a request-rate run has no "
            "concurrency axis; profile with --concurrency"
        )
    total = number(doc, ["total_token_throughput", "avg"], name, required=False)
    if total is None:
        output = number(doc, ["output_token_throughput", "avg"], name) or 0.0
        total = output * ((ii or 0.0) + oo) / oo
    latency = _ms(doc, "request_latency", "p50", name)
    return {
        "model": _model(doc.get("input_config")),
        "ii": ii,
        "oo": oo,
        "bb": bb,
        "thpt": total,
        "ttft_ms": _ms(doc, "time_to_first_token", "p50", name),
        "tpot_ms": _ms(doc, "inter_token_latency", "p50", name),
        "e2e_ms": latency,
        "p99_ttft_ms": _ms(doc, "time_to_first_token", "p99", name),
        "p99_tpot_ms": _ms(doc, "inter_token_latency", "p99", name),
        "source_tool": TOOL,
        "source_version": str(doc.get("aiperf_version") or doc.get("schema_version") or ""),
    }
