"""Request traces: loading, validation, conversion to rounds, and interval generators.

A trace has one row per request: arrival time, prompt tokens and output tokens (the Azure LLM
inference trace's ``TIMESTAMP, ContextTokens, GeneratedTokens``), as CSV or as JSON lines (one
object per request, e.g. ``{"timestamp": 0.5, "input_length": 812, "output_length": 97}``).
Column names are matched by the aliases below or an explicit mapping. Optional ``lower`` and
``upper`` columns carry a predictor's output-length intervals; they may miss the true length.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.errors import DataError
from ala.tables import (
    DroppedRows,
    RawTable,
    coerce_positive,
    read_source,
    read_table,
    resolve_columns,
)

IntArray = npt.NDArray[np.int64]

TRACE_ALIASES: dict[str, tuple[str, ...]] = {
    "arrival": ("arrival", "timestamp", "time", "arrival_time", "arrival_s", "t", "created"),
    "prompt": (
        "prompt",
        "contexttokens",
        "context_tokens",
        "prompt_tokens",
        "input_tokens",
        "ii",
        "prompt_size",
        "input_length",
        "prompt_len",
        "num_prompt_tokens",
    ),
    "output": (
        "output",
        "generatedtokens",
        "generated_tokens",
        "output_tokens",
        "oo",
        "token_size",
        "output_length",
        "output_len",
        "num_output_tokens",
    ),
    "lower": ("lower", "output_lower", "lo", "l"),
    "upper": ("upper", "output_upper", "hi", "u"),
}

DEFAULT_MEMORY = 16_492  # KV-cache tokens: Llama2-70B on 2xA100 (Jaillet et al. 2025)


@dataclass(frozen=True, slots=True)
class Trace:
    """Validated requests: arrival seconds from the first request, prompt and output tokens."""

    arrival_s: npt.NDArray[np.float64]
    prompt: IntArray
    output: IntArray
    lower: IntArray | None = None
    upper: IntArray | None = None
    name: str = "trace"
    dropped: tuple[DroppedRows, ...] = ()

    def __len__(self) -> int:
        return int(self.prompt.size)

    def head(self, n: int) -> Trace:
        """The first ``n`` requests."""
        return self.take(np.arange(min(n, len(self))))

    def take(self, ids: IntArray) -> Trace:
        """Requests ``ids`` (in arrival order), with arrival times counted from the first."""
        arrival = self.arrival_s[ids]
        return Trace(
            arrival - arrival.min() if arrival.size else arrival,
            self.prompt[ids],
            self.output[ids],
            None if self.lower is None else self.lower[ids],
            None if self.upper is None else self.upper[ids],
            self.name,
            self.dropped,
        )

    def interval_coverage(self) -> float | None:
        """Share of requests whose own interval contains the output (None without one)."""
        if self.lower is None or self.upper is None:
            return None
        return float(np.mean((self.lower <= self.output) & (self.output <= self.upper)))


def load_trace(
    source: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes,
    columns: Mapping[str, str] | None = None,
    name: str | None = None,
) -> Trace:
    """Read a request trace CSV; bad rows are dropped and listed in ``Trace.dropped``.

    Arrival times may be timestamps (``2023-11-16 18:15:46.68``) or numbers of seconds.

    Raises
    ------
    DataError
        If a required column is missing or no usable row is left.
    """
    data, label = read_source(source)
    table = _read_json_lines(data, name or label) or read_table(data, name or label)
    raw, name = table.frame, table.name
    if raw.empty:
        raise DataError(f"{name}: the file has a header but no requests")
    found = resolve_columns(list(raw.columns), TRACE_ALIASES, columns)
    missing = [c for c in ("arrival", "prompt", "output") if c not in found]
    if missing:
        raise DataError(
            f"{name}: missing column(s) {missing}; a trace needs arrival time, prompt "
            f"tokens and output tokens (e.g. TIMESTAMP, ContextTokens, "
            f"GeneratedTokens). Found: {', '.join(raw.columns)}"
        )
    problems: list[DroppedRows] = []
    arrival_text = raw[found["arrival"]].astype(str).str.strip()
    seconds = pd.to_numeric(arrival_text, errors="coerce")
    if seconds.isna().mean() > 0.5:
        # utc=True: stamps with different UTC offsets (or none) become one timeline.
        try:
            stamps = pd.to_datetime(arrival_text, errors="coerce", format="mixed", utc=True)
            seconds = (stamps - stamps.min()).dt.total_seconds()
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(
                f"{name}: column '{found['arrival']}' holds arrival times that cannot be read "
                f"as seconds or timestamps ({exc})"
            ) from None
    bad = seconds.isna().to_numpy()
    if bad.any():
        problems.append(DroppedRows("unreadable time", "arrival", tuple(raw.index[bad])))
    values = {}
    for col in ("prompt", "output"):
        values[col], issues = coerce_positive(
            raw[found[col]], col, allow_zero=col == "prompt", bounds=(1e-9, 1e7)
        )
        problems += issues
    for col in ("lower", "upper"):
        if col in found:
            values[col], issues = coerce_positive(raw[found[col]], col, bounds=(1e-9, 1e7))
            problems += issues
    drop = raw.index.isin(sorted({r for p in problems for r in p.rows}))
    if drop.all():
        raise DataError(f"{name}: no usable requests: " + "; ".join(p.describe() for p in problems))
    keep = ~drop
    arrival = seconds.to_numpy(float)[keep]
    order = np.argsort(arrival, kind="stable")

    def ints(col: str) -> IntArray:
        return np.asarray(np.ceil(values[col].to_numpy(float)[keep][order]), np.int64)

    lower = ints("lower") if "lower" in values else None
    upper = ints("upper") if "upper" in values else None
    output = ints("output")
    # An interval may miss the output (an imperfect predictor's); it may not be upside down.
    if lower is not None and upper is not None:
        upside_down = lower > upper
        if upside_down.any():
            rows = raw.index[keep][order][upside_down]
            raise DataError(
                f"{name}: rows {list(rows[:8])} have lower > upper; an interval needs "
                "lower <= upper (it may miss the output length)"
            )
    return Trace(
        arrival[order] - arrival[order][0],
        ints("prompt"),
        output,
        lower,
        upper,
        name,
        tuple(problems),
    )


def _read_json_lines(raw: bytes, label: str) -> RawTable | None:
    """A JSON-lines trace as text cells (row numbers = line numbers), or None if not JSON."""
    if not raw.lstrip()[:1] == b"{":
        return None
    records: list[dict[str, str]] = []
    rows: list[int] = []
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{label}: line {number} is not a JSON object ({exc.msg})") from None
        if not isinstance(record, dict):
            raise DataError(f"{label}: line {number} is not a JSON object")
        records.append({str(k): "" if v is None else str(v) for k, v in record.items()})
        rows.append(number)
    frame = pd.DataFrame.from_records(records, index=rows).fillna("")
    return RawTable(frame, label, "json lines", "utf-8")


def arrival_rounds(
    trace: Trace, round_s: float = 0.02, rate_scale: float = 1.0, all_at_zero: bool = False
) -> IntArray:
    """Arrival round of each request; ``rate_scale`` > 1 replays faster."""
    if all_at_zero:
        return np.zeros(len(trace), np.int64)
    if round_s <= 0 or rate_scale <= 0:
        raise ValueError("round duration and rate scale must be positive")
    return np.floor(trace.arrival_s / (round_s * rate_scale)).astype(np.int64)


def intervals(
    output: IntArray,
    width: float,
    kind: Literal["symmetric", "random"] = "symmetric",
    seed: int = 0,
) -> tuple[IntArray, IntArray]:
    """Output-length intervals ``[l, u]`` that contain ``output``, for a width ``x`` in [0, 1).

    ``symmetric``: ``[(1-x) o, (1+x) o]``. ``random``: the same ratio ``l/u = (1-x)/(1+x)`` but
    with ``o`` placed at a random position inside (log-uniform), so the interval is lopsided.
    Bounds are rounded outwards to whole tokens, and ``l >= 1``.
    """
    if not 0 <= width < 1:
        raise ValueError(f"interval width must be in [0, 1), got {width}")
    o = output.astype(float)
    if kind == "symmetric":
        lo, hi = (1 - width) * o, (1 + width) * o
    elif kind == "random":
        ratio = (1 + width) / (1 - width)
        position = np.random.default_rng(seed).uniform(0, 1, o.size)
        lo = o * ratio ** (-position)
        hi = lo * ratio
    else:
        raise ValueError(f"unknown interval kind {kind!r}; use 'symmetric' or 'random'")
    lower = np.clip(np.floor(lo + 1e-9), 1, output).astype(np.int64)
    upper = np.maximum(np.ceil(hi - 1e-9), output).astype(np.int64)
    return lower, upper
