"""Benchmark data: the canonical schema, column aliases, CSV reading and the validation report.

Every benchmark row becomes ``ii`` (input tokens), ``oo`` (output tokens), ``bb`` (batch size)
and ``thpt`` (throughput, tokens/s), plus the configuration columns present (``acc``,
``acc_count``, ``back``, ``cpu``, ``cpu_count``, ``dev``, ``mode``, ``model``, ``prec``).

Policy for problems, so that nothing is lost silently:

* Problems with the whole file (empty, binary, undecodable, unparseable, a required column
  missing, no usable row left) raise :class:`~ala.errors.DataError` naming the file and column.
* Problems with single rows (a non-numeric, missing, non-finite or non-positive value) drop
  those rows and list them in :class:`LoadReport` with the reason, the column and the row
  numbers, or raise when ``on_bad_rows="raise"``. Row numbers are spreadsheet rows: the header
  is row 1, the first data row is row 2.
* Repeated measurements of one (configuration, ii, oo, bb) are averaged by default
  (``duplicates="mean"``; the ``n_repeats`` column counts them) or kept (``"keep"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ala.configs import canonical_text, config_keys, config_label
from ala.errors import DataError
from ala.specs import Catalogue
from ala.tables import (
    DroppedRows,
    RawTable,
    Source,
    coerce_positive,
    normalise_name,
    read_table,
    resolve_columns,
)

REQUIRED = ("ii", "oo", "bb", "thpt")
# Plausible ranges; rows outside are dropped and reported (a token count above ten million or
# a throughput above a trillion tokens/s is a unit or typing error, not a benchmark).
PLAUSIBLE = {
    "ii": (1e-3, 1e7),
    "oo": (1e-3, 1e7),
    "bb": (1e-3, 1e6),
    "thpt": (1e-6, 1e12),
}
# Columns the loader itself adds; a file's own columns of these names are renamed.
RESERVED = ("source_row", "n_repeats", "config")
CONFIG_COLUMNS = ("acc", "acc_count", "back", "cpu", "cpu_count", "dev", "mode", "model", "prec")
# A single column that holds both ii and oo (LLM-Inference-Bench's "Input Output Length").
BOTH_LENGTHS = "ii=oo"

ALIASES: dict[str, tuple[str, ...]] = {
    "ii": (
        "ii",
        "input",
        "input_tokens",
        "input_len",
        "input_length",
        "prompt_size",
        "prompt_tokens",
        "prompt_len",
        "prompt_length",
        "context_tokens",
        "contexttokens",
        "isl",
        "in_tokens",
    ),
    "oo": (
        "oo",
        "output",
        "output_tokens",
        "output_len",
        "output_length",
        "token_size",
        "generated_tokens",
        "generatedtokens",
        "gen_tokens",
        "osl",
        "out_tokens",
        "max_tokens",
    ),
    BOTH_LENGTHS: (
        "input_output_length",
        "io_length",
        "input_output_len",
        "seq_len",
        "sequence_length",
    ),
    "bb": ("bb", "batch", "batch_size", "bs", "num_seqs", "concurrency", "max_batch_size"),
    "thpt": (
        "thpt",
        "throughput",
        "throughput_tokens_s",
        "throughput_tok_s",
        "tokens_per_s",
        "tokens_per_second",
        "tok_s",
        "tokens_s",
        "total_throughput",
    ),
    "acc": ("acc", "hardware", "accelerator", "gpu", "gpu_type", "device_type"),
    "acc_count": (
        "acc_count",
        "num_of_hardware",
        "num_hardware",
        "num_gpus",
        "gpu_count",
        "n_gpus",
        "tensor_parallel",
        "tp",
        "tp_size",
    ),
    "back": ("back", "framework", "backend", "engine", "serving_framework"),
    "cpu": ("cpu", "cpu_type", "host_cpu"),
    "cpu_count": ("cpu_count", "num_cpus", "n_cpus"),
    "dev": ("dev", "device"),
    "mode": ("mode",),
    "model": ("model", "model_name", "llm"),
    "prec": ("prec", "precision", "dtype", "quantization"),
}

# Latency metrics: optional targets, modelled like throughput where measured (milliseconds).
LATENCY_METRICS = ("ttft_ms", "tpot_ms", "e2e_ms", "p99_ttft_ms", "p99_tpot_ms")
METRICS = ("thpt", *LATENCY_METRICS)
# The spellings benchmark tools use, in milliseconds ...
LATENCY_ALIASES_MS: dict[str, tuple[str, ...]] = {
    "ttft_ms": (
        "ttft_ms",
        "median_ttft_ms",
        "mean_ttft_ms",
        "silicon_ttft_ms",
        "time_to_first_token_ms",
        "ttft_median_ms",
        "ttft_p50_ms",
    ),
    "tpot_ms": (
        "tpot_ms",
        "median_tpot_ms",
        "mean_tpot_ms",
        "silicon_tpot_ms",
        "time_per_output_token_ms",
        "itl_ms",
        "median_itl_ms",
        "mean_itl_ms",
        "inter_token_latency_ms",
    ),
    "e2e_ms": (
        "e2e_ms",
        "e2el_ms",
        "median_e2el_ms",
        "mean_e2el_ms",
        "e2e_latency_ms",
        "request_latency_ms",
        "end_to_end_latency_ms",
    ),
    "p99_ttft_ms": ("p99_ttft_ms", "ttft_p99_ms"),
    "p99_tpot_ms": ("p99_tpot_ms", "tpot_p99_ms", "p99_itl_ms", "itl_p99_ms"),
}
# ... and in seconds (converted to milliseconds on reading).
LATENCY_ALIASES_S: dict[str, tuple[str, ...]] = {
    "ttft_ms": ("ttft_s", "median_ttft", "median_ttft_s", "time_to_first_token_s"),
    "tpot_ms": ("tpot_s", "median_tpot", "median_tpot_s", "itl_s", "inter_token_latency_s"),
    "e2e_ms": ("e2e_s", "median_e2el", "e2el_s", "request_latency_s", "end_to_end_latency_s"),
    "p99_ttft_ms": ("p99_ttft", "p99_ttft_s"),
    "p99_tpot_ms": ("p99_tpot", "p99_tpot_s"),
}
# A latency outside this range (ms) is a unit or typing error.
PLAUSIBLE_LATENCY_MS = (1e-4, 1e9)


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What loading a file did: the column mapping, rows kept, rows dropped and why."""

    source: str
    rows_read: int
    rows_kept: int
    column_map: Mapping[str, str]
    config_columns: tuple[str, ...]
    delimiter: str
    encoding: str
    dropped: tuple[DroppedRows, ...] = ()
    repeats_merged: int = 0
    notes: tuple[str, ...] = ()
    # Per metric present: "measured" or how it was derived from the measured ones.
    metrics: Mapping[str, str] = field(default_factory=dict)

    @property
    def rows_dropped(self) -> int:
        """Distinct rows dropped for any reason."""
        return len({r for d in self.dropped for r in d.rows})

    def summary(self) -> str:
        """The report as readable lines."""
        lines = [
            f"{self.source}: read {self.rows_read} rows, kept {self.rows_kept}, "
            f"dropped {self.rows_dropped}."
        ]
        lines += [f"  dropped: {d.describe()}" for d in self.dropped]
        if self.repeats_merged:
            lines.append(
                f"  averaged {self.repeats_merged} repeated measurements "
                "(same configuration, ii, oo, bb) into one row each"
            )
        lines += [f"  note: {n}" for n in self.notes]
        if len(self.metrics) > 1:  # latency metrics too: say which are measured, which derived
            lines += [f"  metric {m}: {how}" for m, how in self.metrics.items()]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Benchmarks:
    """A validated benchmark table in canonical columns, with the report of how it was read."""

    frame: pd.DataFrame
    report: LoadReport
    config_columns: tuple[str, ...] = field(default=())


def load_benchmarks(
    source: Source | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    config_columns: Sequence[str] | None = None,
    duplicates: Literal["mean", "keep"] = "mean",
    on_bad_rows: Literal["drop", "raise"] = "drop",
    name: str | None = None,
    exclude_rows: Sequence[int] = (),
    check_limits: bool = True,
    specs: Catalogue | None = None,
) -> Benchmarks:
    """Read and validate a benchmark table.

    Parameters
    ----------
    source
        A CSV path, bytes, a file-like object (e.g. a Streamlit upload), or a DataFrame.
    columns
        Explicit column mapping, canonical name -> file column (either direction works),
        e.g. ``{"thpt": "tok_per_sec"}``; ``{"ii=oo": "seq"}`` for one column holding both
        lengths.
    config_columns
        Columns that identify a configuration. Default: every canonical configuration column
        found. Extra (non-canonical) columns may be named here; they keep their own names.
    duplicates
        ``"mean"`` averages repeated measurements of one (configuration, ii, oo, bb) and counts
        them in ``n_repeats``; ``"keep"`` keeps every row.
    on_bad_rows
        ``"drop"`` removes rows with unusable values and reports them; ``"raise"`` raises.
    exclude_rows
        Spreadsheet row numbers (header = row 1) the user excludes as outliers; they are
        listed in the report as dropped, with that reason.
    check_limits
        Drop (and report) rows whose throughput exceeds what the hardware can deliver,
        where the accelerator and model are in the spec catalogue (see
        :func:`ala.physics.above_limit_rows`): a failed run or a unit error, never a
        measurement.
    specs
        The spec catalogue for that check; the bundled one by default.

    Returns
    -------
    Benchmarks
        The canonical frame (configuration columns as text, ii/oo/bb/thpt as floats, extra
        columns kept, ``source_row`` giving the spreadsheet row) and its :class:`LoadReport`.

    Raises
    ------
    DataError
        For a file that cannot be used at all, or bad rows with ``on_bad_rows="raise"``.
    """
    if isinstance(source, pd.DataFrame):
        table = RawTable.from_frame(source, name)
    else:
        table = read_table(source, name)
    name = table.name
    raw = table.frame
    if raw.empty and not table.ragged:
        raise DataError(f"{name}: the file has a header but no data rows")
    _check_ambiguous_columns(list(raw.columns), name)
    found = resolve_columns(list(raw.columns), ALIASES, columns)
    if BOTH_LENGTHS in found:
        for key in ("ii", "oo"):
            found.setdefault(key, found[BOTH_LENGTHS])
    found.pop(BOTH_LENGTHS, None)
    latency_found = _latency_columns(list(raw.columns), found)
    derive_thpt = "thpt" not in found and (
        "e2e_ms" in latency_found or {"ttft_ms", "tpot_ms"} <= set(latency_found)
    )
    missing = [c for c in REQUIRED if c not in found and not (c == "thpt" and derive_thpt)]
    if missing:
        hint = ""
        if raw.shape[1] == 1:
            hint = (
                " The file has a single column: is it separated by something other than "
                "',', ';', tab or '|'?"
            )
        raise DataError(
            f"{name}: missing required column(s) {', '.join(repr(m) for m in missing)}. "
            f"Found columns: {', '.join(repr(c) for c in raw.columns)}. Rename them, or pass a "
            f"mapping such as {{'{missing[0]}': 'your column name'}}.{hint}"
        )

    chosen_config = _choose_config_columns(list(raw.columns), found, config_columns, name)
    # A ';'-separated file is how spreadsheets with a decimal comma export CSV.
    decimal_comma = table.delimiter == ";" and any(
        raw[found[c]].astype(str).str.contains(",", regex=False).any()
        for c in REQUIRED
        if c in found
    )
    out = pd.DataFrame(index=raw.index)
    problems: list[DroppedRows] = []
    if table.ragged:
        problems.append(DroppedRows("more fields than the header", None, table.ragged))
    for col in chosen_config:
        values = canonical_text(raw[found.get(col, col)])
        bad = values.eq("").to_numpy()
        if bad.any():
            problems.append(
                DroppedRows("missing value", col, tuple(int(r) for r in raw.index[bad]))
            )
        out[col] = values
    for col in (c for c in REQUIRED if c in found):
        values, bad_rows = coerce_positive(
            raw[found[col]], col, bounds=PLAUSIBLE[col], decimal_comma=decimal_comma
        )
        out[col] = values.astype(float)
        problems += bad_rows
    metric_notes, origins = _read_latencies(raw, out, latency_found, decimal_comma)
    if derive_thpt:
        problems += _derive_throughput(out, origins)
    origins = {"thpt": origins.get("thpt", "measured"), **origins}
    used = set(found.values()) | {col for col, _ in latency_found.values()}
    extra = [c for c in raw.columns if c not in used and c not in chosen_config]
    renamed = {c: f"file_{c}" for c in extra if normalise_name(c) in RESERVED or c in out}
    if extra:  # one concat, not one insert per column: linear in the number of columns
        out = pd.concat([out, raw[extra].rename(columns=renamed)], axis=1)
    out["source_row"] = raw.index.to_numpy()

    if on_bad_rows == "raise" and problems:
        raise DataError(f"{name}: " + "; ".join(p.describe() for p in problems))
    excluded = sorted({int(r) for r in exclude_rows} & set(raw.index.tolist()))
    unknown = sorted({int(r) for r in exclude_rows} - set(raw.index.tolist()))
    if unknown:
        raise DataError(
            f"{name}: rows {unknown[:8]} cannot be excluded: the file's data rows are "
            f"{int(raw.index.min())} to {int(raw.index.max())} (the header is row 1)"
        )
    if excluded:  # recorded like any dropped row, with the reason
        problems.append(DroppedRows("excluded by the user (outlier)", None, tuple(excluded)))
    limit_notes: list[str] = []
    if check_limits:
        problems, limit_notes = _check_limits(out, problems, tuple(chosen_config), specs)
    bad_row_numbers = sorted({r for p in problems for r in p.rows})
    rows_read = len(raw) + len(table.ragged)
    kept = out[~out["source_row"].isin(bad_row_numbers)]
    if kept.empty:
        raise DataError(f"{name}: no usable rows: " + "; ".join(p.describe() for p in problems))

    notes: list[str] = [
        f"column '{old}' is a name ala uses itself; it is kept as '{new}'"
        for old, new in renamed.items()
    ]
    notes += limit_notes
    notes += metric_notes
    if decimal_comma:
        notes.append(
            "decimal commas read as decimal points (100,5 = 100.5): the file is ';'-separated"
        )
    if duplicates not in ("mean", "keep"):
        raise DataError(f"duplicates must be 'mean' or 'keep', not {duplicates!r}")
    renamed_extra = [renamed.get(c, c) for c in extra]
    varying = _varying_columns(kept, chosen_config, renamed_extra)
    apart = list(chosen_config)
    if varying and config_columns is None:
        for col in varying:
            kept[col] = canonical_text(kept[col].fillna(""))
        chosen_config = [*chosen_config, *varying]
        apart = list(chosen_config)
        notes.append(
            f"column(s) {', '.join(repr(c) for c in varying)} differ between otherwise identical "
            "measurements, so they are part of the configuration (choose the configuration "
            "columns to change this)"
        )
    elif varying:
        apart = [*chosen_config, *varying]
        notes.append(
            f"rows that differ only in {', '.join(repr(c) for c in varying)} were kept apart, "
            "not averaged; make them configuration columns to model them separately"
        )
    merged = 0
    if duplicates == "mean":
        kept, merged, spread_note = _average_repeats(kept, apart)
        notes += [spread_note] if spread_note else []
    slope = _length_slope(kept, chosen_config)
    if slope > LATENCY_SLOPE:
        notes.append(
            f"column '{found.get('thpt', 'thpt')}' behaves like a latency, not a throughput: "
            f"it grows with the request length (log-log slope {slope:.2f}; a throughput "
            "stays flat or falls). Check the mapping of thpt"
        )
    if kept["ii"].nunique() * kept["oo"].nunique() == 1:
        notes.append("only one (ii, oo) length: predictions at other lengths are extrapolation")
    report = LoadReport(
        source=name,
        rows_read=rows_read,
        rows_kept=len(kept),
        column_map={k: v for k, v in found.items() if k in REQUIRED or k in chosen_config},
        config_columns=tuple(chosen_config),
        delimiter=table.delimiter,
        encoding=table.encoding,
        dropped=tuple(problems),
        repeats_merged=merged,
        notes=tuple(notes),
        metrics=origins,
    )
    return Benchmarks(kept.reset_index(drop=True), report, tuple(chosen_config))


def _check_limits(
    out: pd.DataFrame,
    problems: list[DroppedRows],
    config: tuple[str, ...],
    specs: Catalogue | None,
) -> tuple[list[DroppedRows], list[str]]:
    """Add the rows above the hardware's throughput limit to ``problems``; notes for what
    could not be checked."""
    from ala.physics import above_limit_rows

    bad = {r for p in problems for r in p.rows}
    valid = out[~out["source_row"].isin(bad)]
    above, unchecked = above_limit_rows(valid, config, specs)
    notes = [f"hardware limits not checked: {unchecked[0]}"] if unchecked else []
    if len(unchecked) > 1:
        notes[0] += f" (and {len(unchecked) - 1} more configurations)"
    if above.any():
        rows = tuple(int(r) for r in valid["source_row"].to_numpy()[above])
        problems = [
            *problems,
            DroppedRows(
                "throughput above what the hardware can deliver (each decode step reads the "
                "weights at the accelerators' memory bandwidth; every token costs its FLOPs at "
                "peak compute): a failed run or a unit error",
                "thpt",
                rows,
            ),
        ]
    return problems, notes


def _check_ambiguous_columns(columns: Sequence[str], name: str) -> None:
    """Refuse two columns that differ only in case or punctuation (e.g. thpt and THPT)."""
    seen: dict[str, str] = {}
    for col in columns:
        key = normalise_name(col)
        if key in seen:
            raise DataError(
                f"{name}: columns '{seen[key]}' and '{col}' differ only in case or punctuation, "
                "so which one is meant is ambiguous; rename or remove one of them"
            )
        seen[key] = col


def _choose_config_columns(
    raw_columns: Sequence[str], found: Mapping[str, str], requested: Sequence[str] | None, name: str
) -> list[str]:
    if requested is None:
        return [c for c in CONFIG_COLUMNS if c in found]
    chosen = []
    by_norm = {normalise_name(c): c for c in raw_columns}
    for col in requested:
        if col in found:
            chosen.append(col)
        elif normalise_name(col) in by_norm and col not in REQUIRED:
            chosen.append(by_norm[normalise_name(col)])
        else:
            raise DataError(
                f"{name}: configuration column {col!r} is not in the file "
                f"(columns: {', '.join(raw_columns)})"
            )
    return chosen


def _latency_columns(
    columns: Sequence[str], found: Mapping[str, str]
) -> dict[str, tuple[str, float]]:
    """Latency metric -> (file column, factor to milliseconds), for columns not used yet."""
    taken = set(found.values())
    free = [c for c in columns if c not in taken]
    out: dict[str, tuple[str, float]] = {}
    for aliases, factor in ((LATENCY_ALIASES_MS, 1.0), (LATENCY_ALIASES_S, 1000.0)):
        for metric, col in resolve_columns(free, aliases).items():
            if metric not in out and col not in {c for c, _ in out.values()}:
                out[metric] = (col, factor)
    return out


def _read_latencies(
    raw: pd.DataFrame,
    out: pd.DataFrame,
    latency_found: Mapping[str, tuple[str, float]],
    decimal_comma: bool,
) -> tuple[list[str], dict[str, str]]:
    """Parse the latency columns into ``out`` (ms; an unusable cell is NaN, the row is kept
    for its throughput) and derive end-to-end latency where it was not measured.

    Returns notes for the report and each metric's origin ("measured" or the derivation).
    """
    notes: list[str] = []
    origins: dict[str, str] = {}
    for metric, (col, factor) in latency_found.items():
        values, bad = coerce_positive(
            raw[col],
            metric,
            bounds=(PLAUSIBLE_LATENCY_MS[0] / factor, PLAUSIBLE_LATENCY_MS[1] / factor),
            decimal_comma=decimal_comma,
        )
        out[metric] = values.astype(float) * factor
        origins[metric] = "measured" if factor == 1 else f"measured (seconds in {col!r})"
        if bad:
            rows = sorted({r for d in bad for r in d.rows})
            notes.append(
                f"column '{col}' ({metric}) has no usable value in rows {rows[:8]}"
                f"{' ...' if len(rows) > 8 else ''}: {metric} is unknown there"
            )
    if "e2e_ms" not in out and {"ttft_ms", "tpot_ms"} <= set(out.columns):
        out["e2e_ms"] = out["ttft_ms"] + (out["oo"] - 1).clip(lower=0) * out["tpot_ms"]
        origins["e2e_ms"] = "derived: ttft + (oo - 1) x tpot"
    return notes, origins


def _derive_throughput(out: pd.DataFrame, origins: dict[str, str]) -> list[DroppedRows]:
    """Throughput of a closed loop of ``bb`` users by Little's law, from the end-to-end
    latency: ``bb x (ii + oo) / e2e``. Rows without the latencies it needs are dropped."""
    e2e_s = out["e2e_ms"].to_numpy(float) / 1000
    with np.errstate(invalid="ignore", divide="ignore"):
        thpt = out["bb"].to_numpy(float) * (out["ii"] + out["oo"]).to_numpy(float) / e2e_s
    usable = np.isfinite(thpt) & (thpt > 0)
    out["thpt"] = np.where(usable, thpt, np.nan)
    origins["thpt"] = "derived: bb x (ii + oo) / e2e (Little's law, closed loop of bb users)"
    bad = tuple(int(r) for r in out.index[~usable])
    return (
        [DroppedRows("no throughput: the latencies it is derived from are missing", "thpt", bad)]
        if bad
        else []
    )


# Repeats whose throughputs differ by more than this (max / min - 1) are reported.
REPEAT_SPREAD = 0.10
# Names of measurement columns: they vary between repeats without being configuration.
_METRIC = re.compile(r"lat|time|ttft|tpot|itl|e2e|thr|tok|power|energy|mem|util|_s$|_ms$|rate")
# Provenance (a result file's name, a run date) tells repeats apart without being a setting.
_PROVENANCE = re.compile(r"file|path|date|url|source")


# A throughput falls or stays flat as requests get longer; a latency grows about linearly.
LATENCY_SLOPE = 0.5


def _length_slope(frame: pd.DataFrame, config: Sequence[str]) -> float:
    """Median log-log slope of the target against ii + oo, at fixed configuration and bb."""
    length = np.log(frame["ii"].to_numpy(float) + frame["oo"].to_numpy(float))
    target = np.log(frame["thpt"].to_numpy(float))
    groups = frame.groupby([*config, "bb"], sort=False).indices.values()
    slopes = []
    for idx in groups:
        x = length[idx]
        if np.ptp(x) > 0:
            slopes.append(float(np.polyfit(x, target[idx], 1)[0]))
    return float(np.median(slopes)) if slopes else 0.0


def _varying_columns(frame: pd.DataFrame, config: Sequence[str], extra: Sequence[str]) -> list[str]:
    """Extra columns that look like settings (text, or a few integers) and vary between rows
    with the same configuration, ii, oo and bb: averaging across them would mix setups."""
    keys = [*config, "ii", "oo", "bb"]
    present = [c for c in extra if c in frame and c not in keys and c != "source_row"]
    # One pass over all columns first: a constant column cannot vary between repeats.
    counts = frame[present].nunique() if present else pd.Series(dtype=int)
    found = []
    for col in (c for c in present if counts[c] > 1 and not _PROVENANCE.search(normalise_name(c))):
        values = frame[col].astype(str).str.strip()
        if values.nunique() <= 1:
            continue
        number = pd.to_numeric(values, errors="coerce")
        text_like = number.isna().mean() > 0.5
        few_integers = (
            not text_like
            and number.nunique() <= 16
            and bool((number.dropna() % 1 == 0).all())
            and not _METRIC.search(normalise_name(col))
        )
        if not (text_like or few_integers):
            continue
        if (values.groupby([frame[k] for k in keys], sort=False).nunique() > 1).any():
            found.append(col)
    return found


def _average_repeats(frame: pd.DataFrame, config: list[str]) -> tuple[pd.DataFrame, int, str]:
    keys = [*config, "ii", "oo", "bb"]
    groups = frame.groupby(keys, sort=False)
    counts = groups["thpt"].transform("size")
    if (counts == 1).all():
        return frame.assign(n_repeats=1), 0, ""
    agg = {c: "first" for c in frame.columns if c not in keys}
    for metric in (m for m in METRICS if m in frame.columns):
        agg[metric] = "mean"
    merged = groups.agg(agg).reset_index()
    merged["n_repeats"] = groups.size().to_numpy()
    spread = (groups["thpt"].transform("max") / groups["thpt"].transform("min") - 1).to_numpy()
    note = ""
    if (spread > REPEAT_SPREAD).any():
        worst = int(np.argmax(spread))
        rows = frame.loc[
            (frame[keys] == frame[keys].iloc[worst]).all(axis=1), "source_row"
        ].tolist()
        note = (
            f"{int((spread > REPEAT_SPREAD).sum())} repeated measurements differ by more than "
            f"{REPEAT_SPREAD:.0%} from their repeats (worst: rows {rows[:6]}, "
            f"{spread[worst]:.0%} apart): check them, or a setting that differs between them"
        )
    return merged[[*frame.columns, "n_repeats"]], int((counts > 1).sum()), note


def load_queries(
    source: Source | pd.DataFrame,
    config_columns: Sequence[str],
    column_map: Mapping[str, str] | None = None,
    name: str | None = None,
    constants: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read prediction queries: configuration columns plus ii, oo, bb.

    A configuration column in ``constants`` (one value for every configuration of the model)
    may be left out of the file: it takes that value.

    Columns may be spelled canonically, by any alias, or as in the training file
    (``column_map``: canonical -> training column). Every row is kept in order, so a row with
    an unusable value is an error rather than a dropped row.

    Returns
    -------
    (raw, canonical)
        The file as read (text cells, original columns) and the canonical frame, row-aligned.

    Raises
    ------
    DataError
        Naming the missing column, or the column and rows with unusable values.
    """
    if isinstance(source, pd.DataFrame):
        table = RawTable.from_frame(source, name)
    else:
        table = read_table(source, name)
    raw, name = table.frame, table.name
    if table.ragged:
        raise DataError(f"{name}: rows {list(table.ragged[:8])} have more fields than the header")
    if raw.empty:
        raise DataError(f"{name}: the file has a header but no query rows")
    aliases = {**ALIASES, **{c: (c,) for c in config_columns if c not in ALIASES}}
    found = resolve_columns(list(raw.columns), aliases)
    # Spellings of the training file win (one training column may hold both ii and oo).
    by_norm = {normalise_name(c): c for c in raw.columns}
    for key, col in (column_map or {}).items():
        if normalise_name(col) in by_norm:
            found[key] = by_norm[normalise_name(col)]
    if BOTH_LENGTHS in found:
        for key in ("ii", "oo"):
            found.setdefault(key, found[BOTH_LENGTHS])
    fixed = {c: v for c, v in (constants or {}).items() if c not in found}
    missing = [c for c in [*config_columns, "ii", "oo", "bb"] if c not in found and c not in fixed]
    if missing:
        raise DataError(
            f"{name}: missing column(s) {', '.join(repr(m) for m in missing)}; "
            f"queries need the configuration columns {list(config_columns)} and "
            f"ii, oo, bb. Found: {', '.join(repr(c) for c in raw.columns)}"
        )
    canonical = pd.DataFrame(index=raw.index)
    problems: list[DroppedRows] = []
    for col in config_columns:
        canonical[col] = fixed[col] if col in fixed else canonical_text(raw[found[col]])
    for col in ("ii", "oo", "bb"):
        values, bad = coerce_positive(raw[found[col]], col, bounds=PLAUSIBLE[col])
        canonical[col] = values.astype(float)
        problems += bad
    if problems:
        raise DataError(
            f"{name}: "
            + "; ".join(p.describe() for p in problems)
            + ". Every query row needs positive numbers in ii, oo and bb."
        )
    return raw, canonical


def infer_config_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    """The canonical configuration columns present in an already canonical frame."""
    return tuple(c for c in CONFIG_COLUMNS if c in frame.columns)


def config_summary(frame: pd.DataFrame, config_columns: Sequence[str]) -> pd.DataFrame:
    """One row per configuration: rows, distinct lengths and batch sizes, peak throughput."""
    labels = config_keys(frame, config_columns).map(config_label)
    return (
        frame.groupby(labels.rename("configuration"))
        .agg(
            rows=("thpt", "size"),
            lengths=("ii", "nunique"),
            batch_sizes=("bb", "nunique"),
            peak_tokens_per_s=("thpt", "max"),
        )
        .reset_index()
    )
