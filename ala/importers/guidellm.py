"""GuideLLM benchmark reports (``guidellm benchmark ... --output-path benchmarks.json``).

Built from GuideLLM's documented report schema (no real sample file was at hand): a top-level
``benchmarks`` list, one entry per load level, each with ``metrics.<name>.successful`` holding
``mean``, ``median`` and ``percentiles``. Time to first token, time per output token and
inter-token latency are in ms (``*_ms``); ``request_latency`` is in seconds. The concurrency is
the strategy's ``streams`` for a concurrent sweep (``scheduler.strategy.streams`` in recent
versions, ``args.profile.streams`` / ``config.profile.streams`` indexed by benchmark in older
ones); for a rate-based level the measured mean ``request_concurrency`` is used and said so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ala.errors import DataError
from ala.importers.common import dig, first_number, number, require_object

TOOL = "guidellm"


def looks_like(doc: Any) -> bool:
    """Whether a parsed JSON document is a GuideLLM report."""
    runs = dig(doc, ["benchmarks"])
    return (
        isinstance(runs, list)
        and bool(runs)
        and isinstance(runs[0], Mapping)
        and isinstance(runs[0].get("metrics"), Mapping)
        and "time_to_first_token_ms" in runs[0]["metrics"]
    )


def _stat(metrics: Any, metric: str, stat: str, name: str) -> float | None:
    base = [metric, "successful"]
    if stat == "median":
        return first_number(metrics, [[*base, "median"], [*base, "percentiles", "p50"]], name)
    if stat == "p99":
        return first_number(metrics, [[*base, "percentiles", "p99"], [*base, "p99"]], name)
    return number(metrics, [*base, stat], name, required=False)


def _streams(run: Mapping[str, Any], index: int, report: Any) -> float | None:
    direct = first_number(
        run, [["scheduler", "strategy", "streams"], ["config", "strategy", "streams"]], "run"
    )
    if direct is not None:
        return direct
    for path in (["args", "profile", "streams"], ["config", "profile", "streams"]):
        streams = dig(run, path) or dig(report, path)
        if isinstance(streams, Sequence) and not isinstance(streams, str) and streams:
            value = streams[index] if index < len(streams) else streams[0]
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                return float(value)
    return None


def guidellm_rows(doc: Any, name: str) -> tuple[list[dict[str, object]], list[str]]:
    """Rows (one per benchmark of the report) and notes on what could not be mapped.

    Raises
    ------
    DataError
        Naming the file and the field.
    """
    doc = require_object(doc, name, TOOL)
    runs = doc.get("benchmarks")
    if not isinstance(runs, list) or not runs:
        raise DataError(
            f"{name}: field 'benchmarks' is missing or empty; is this a GuideLLM report?"
        )
    rows, notes = [], []
    version = str(dig(doc, ["metadata", "guidellm_version"]) or "")
    for i, run in enumerate(runs):
        where = f"{name} benchmarks[{i}]"
        run = require_object(run, where, TOOL)
        metrics = run.get("metrics")
        if not isinstance(metrics, Mapping):
            raise DataError(f"{where}: field 'metrics' is missing")
        ii = first_number(
            metrics,
            [
                ["prompt_token_count", "successful", "mean"],
                ["input_token_count", "successful", "mean"],
            ],
            where,
        )
        oo = number(metrics, ["output_token_count", "successful", "mean"], where)
        thpt = _stat(metrics, "tokens_per_second", "mean", where)
        if ii is None:
            raise DataError(
                f"{where}: field 'metrics.prompt_token_count.successful.mean' is missing"
            )
        bb = _streams(run, i, doc)
        if bb is None:
            bb = number(metrics, ["request_concurrency", "successful", "mean"], where)
            notes.append(
                f"{where}: a rate-based level; its measured mean concurrency is the batch axis"
            )
        latency = _stat(metrics, "request_latency", "median", where)
        rows.append(
            {
                "model": str(dig(run, ["args", "model"]) or dig(doc, ["args", "model"]) or ""),
                "ii": ii,
                "oo": oo,
                "bb": bb,
                "thpt": thpt,
                "ttft_ms": _stat(metrics, "time_to_first_token_ms", "median", where),
                "tpot_ms": _stat(metrics, "time_per_output_token_ms", "median", where)
                or _stat(metrics, "inter_token_latency_ms", "median", where),
                "e2e_ms": None if latency is None else latency * 1000,
                "p99_ttft_ms": _stat(metrics, "time_to_first_token_ms", "p99", where),
                "p99_tpot_ms": _stat(metrics, "time_per_output_token_ms", "p99", where),
                "source_tool": TOOL,
                "source_version": version,
            }
        )
    return rows, notes
