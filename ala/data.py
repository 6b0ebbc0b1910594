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

import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pandas as pd

from ala.errors import DataError

REQUIRED = ("ii", "oo", "bb", "thpt")
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

_BINARY_SNIFF = 8192
_DELIMITERS = ",;\t|"


def normalise_name(name: str) -> str:
    """Lower-case a column name and reduce punctuation to single underscores."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


@dataclass(frozen=True, slots=True)
class DroppedRows:
    """Rows removed from the data, all for one reason in one column."""

    reason: str
    column: str | None
    rows: tuple[int, ...]

    def describe(self, limit: int = 8) -> str:
        shown = ", ".join(str(r) for r in self.rows[:limit])
        more = f" and {len(self.rows) - limit} more" if len(self.rows) > limit else ""
        where = f"column '{self.column}': " if self.column else ""
        return f"{where}{self.reason} in rows {shown}{more}"


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

    @property
    def rows_dropped(self) -> int:
        return len({r for d in self.dropped for r in d.rows})

    def summary(self) -> str:
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
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Benchmarks:
    """A validated benchmark table in canonical columns, with the report of how it was read."""

    frame: pd.DataFrame
    report: LoadReport
    config_columns: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class RawTable:
    """A CSV read as text cells, before any column is interpreted.

    The frame's index is the spreadsheet row number of each record (header = row 1).
    ``ragged`` lists rows with more fields than the header; they are not in the frame.
    """

    frame: pd.DataFrame
    name: str
    delimiter: str
    encoding: str
    ragged: tuple[int, ...] = ()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, name: str | None) -> RawTable:
        cells = frame.astype(str).reset_index(drop=True)
        cells.index = cells.index + 2
        return cls(cells, name or "<frame>", ",", "-")


def _read_bytes(source: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            return path.read_bytes(), path.name
        except OSError as exc:
            raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    name = str(getattr(source, "name", "<upload>"))
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read()
    return (data.encode("utf-8") if isinstance(data, str) else bytes(data)), Path(name).name


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw[:_BINARY_SNIFF]:
        raise DataError(
            f"{name}: this looks like a binary file, not a CSV text file; "
            "export the sheet as CSV (comma-separated, UTF-8) and upload that"
        )
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = raw.decode("cp1252", errors="replace")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text[:_BINARY_SNIFF])
    if printable < 0.95 * min(len(text), _BINARY_SNIFF):
        raise DataError(
            f"{name}: this looks like a binary file, not a CSV text file; "
            "export the sheet as CSV (comma-separated, UTF-8) and upload that"
        )
    return text, "cp1252"


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_table(
    source: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes, name: str | None = None
) -> RawTable:
    """Read a CSV (path, bytes or file-like) into a frame of text cells.

    The encoding (UTF-8, UTF-16 with BOM, else Windows-1252) and the delimiter
    (``,`` ``;`` tab ``|``) are detected.

    Raises
    ------
    DataError
        If the file is missing, empty, binary or cannot be parsed as a table.
    """
    raw, detected = _read_bytes(source)
    name = name or detected
    if not raw.strip():
        raise DataError(f"{name}: the file is empty; it needs a header row and data rows")
    text, encoding = _decode(raw, name)
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    records: list[list[str]] = []
    rows: list[int] = []
    ragged: list[int] = []
    header: list[str] | None = None
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip() for cell in record]
            elif len(record) > len(header):
                ragged.append(reader.line_num)
            else:
                records.append(record + [""] * (len(header) - len(record)))
                rows.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(
            f"{name}: cannot parse as a '{delimiter}'-separated table near row "
            f"{reader.line_num} ({exc})"
        ) from None
    if not header:
        raise DataError(f"{name}: no columns found; the first line must be a header row")
    header = [h or f"column_{i + 1}" for i, h in enumerate(header)]
    if len(set(header)) < len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise DataError(f"{name}: the header repeats column name(s) {dupes}; rename them")
    frame = pd.DataFrame(records, columns=header, index=pd.Index(rows, dtype="int64"), dtype=str)
    return RawTable(
        frame=frame, name=name, delimiter=delimiter, encoding=encoding, ragged=tuple(ragged)
    )


def resolve_columns(
    columns: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    mapping: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map canonical names to the file's column names.

    ``mapping`` (canonical -> file column, or file column -> canonical) wins over the aliases;
    names are compared case-insensitively and ignoring punctuation.
    """
    by_norm = {normalise_name(c): c for c in columns}
    found: dict[str, str] = {}
    for key, value in (mapping or {}).items():
        if key in aliases and normalise_name(value) in by_norm:
            found[key] = by_norm[normalise_name(value)]
        elif value in aliases and normalise_name(key) in by_norm:
            found[value] = by_norm[normalise_name(key)]
        else:
            raise DataError(
                f"column mapping {key!r} -> {value!r}: neither names a column of "
                f"the file ({', '.join(columns)}) and a canonical name "
                f"({', '.join(aliases)})"
            )
    taken = set(found.values())
    for canonical, names in aliases.items():
        if canonical in found:
            continue
        for alias in names:
            col = by_norm.get(normalise_name(alias))
            if col is not None and col not in taken:
                found[canonical] = col
                taken.add(col)
                break
    return found


def coerce_positive(
    raw: pd.Series, column: str, *, allow_zero: bool = False
) -> tuple[pd.Series, list[DroppedRows]]:
    """Parse a text column as finite positive numbers; return the values and the bad rows."""
    text = raw.astype(str).str.strip()
    values = pd.to_numeric(
        text.str.replace(",", "", regex=False).str.replace("_", "", regex=False), errors="coerce"
    )
    row_no = raw.index.to_numpy()
    problems: list[DroppedRows] = []
    missing = text.isin(["", "nan", "NaN", "NA", "N/A", "null", "None", "-"]).to_numpy()
    nonnum = values.isna().to_numpy() & ~missing
    nonfinite = ~np.isfinite(values.fillna(0).to_numpy(dtype=float))
    vals = values.fillna(1).to_numpy(dtype=float)
    bad_sign = ((vals < 0) if allow_zero else (vals <= 0)) & ~nonfinite
    limit = "negative" if allow_zero else "zero or negative"
    for mask, reason in (
        (missing, "missing value"),
        (nonnum, "non-numeric value"),
        (nonfinite, "infinite value"),
        (bad_sign, f"{limit} value"),
    ):
        if mask.any():
            problems.append(DroppedRows(reason, column, tuple(int(r) for r in row_no[mask])))
    return values, problems


def load_benchmarks(
    source: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    config_columns: Sequence[str] | None = None,
    duplicates: Literal["mean", "keep"] = "mean",
    on_bad_rows: Literal["drop", "raise"] = "drop",
    name: str | None = None,
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
    found = resolve_columns(list(raw.columns), ALIASES, columns)
    if BOTH_LENGTHS in found:
        for key in ("ii", "oo"):
            found.setdefault(key, found[BOTH_LENGTHS])
    found.pop(BOTH_LENGTHS, None)
    missing = [c for c in REQUIRED if c not in found]
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
    for col in REQUIRED:
        values, bad_rows = coerce_positive(raw[found[col]], col)
        out[col] = values.astype(float)
        problems += bad_rows
    used = set(found.values())
    for col in raw.columns:
        if col not in used and col not in chosen_config:
            out[col] = raw[col]
    out["source_row"] = raw.index.to_numpy()

    bad_row_numbers = sorted({r for p in problems for r in p.rows})
    rows_read = len(raw) + len(table.ragged)
    if bad_row_numbers and on_bad_rows == "raise":
        raise DataError(f"{name}: " + "; ".join(p.describe() for p in problems))
    kept = out[~out["source_row"].isin(bad_row_numbers)]
    if kept.empty:
        raise DataError(f"{name}: no usable rows: " + "; ".join(p.describe() for p in problems))

    notes: list[str] = []
    merged = 0
    if duplicates == "mean":
        kept, merged = _average_repeats(kept, list(chosen_config))
    elif duplicates != "keep":
        raise DataError(f"duplicates must be 'mean' or 'keep', not {duplicates!r}")
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
    )
    return Benchmarks(kept.reset_index(drop=True), report, tuple(chosen_config))


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


def _average_repeats(frame: pd.DataFrame, config: list[str]) -> tuple[pd.DataFrame, int]:
    keys = [*config, "ii", "oo", "bb"]
    counts = frame.groupby(keys, sort=False)["thpt"].transform("size")
    if (counts == 1).all():
        return frame.assign(n_repeats=1), 0
    agg = {c: "first" for c in frame.columns if c not in keys}
    agg["thpt"] = "mean"
    merged = frame.groupby(keys, sort=False, as_index=False).agg(agg)
    merged["n_repeats"] = frame.groupby(keys, sort=False).size().to_numpy()
    return merged[[*frame.columns, "n_repeats"]], int((counts > 1).sum())


def config_labels(frame: pd.DataFrame, config_columns: Sequence[str]) -> pd.Series:
    """One readable text label per row: the configuration values joined with ' / '."""
    if not config_columns:
        return pd.Series("all", index=frame.index)
    cols = [frame[c].astype(str) for c in config_columns]
    return cols[0].str.cat(cols[1:], sep=" / ") if len(cols) > 1 else cols[0]  # type: ignore[arg-type]


def assets_path() -> Path:
    """The repository's ``assets/data`` folder (bundled datasets with SOURCE.md and LICENSE)."""
    return Path(__file__).resolve().parent.parent / "assets" / "data"


def sample_dataset_path() -> Path:
    """The bundled LLM-Inference-Bench results (BSD-3-Clause, see its SOURCE.md)."""
    return assets_path() / "llm-inference-bench" / "All_results.csv"


def load_queries(
    source: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes | pd.DataFrame,
    config_columns: Sequence[str],
    column_map: Mapping[str, str] | None = None,
    name: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read prediction queries: configuration columns plus ii, oo, bb.

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
    missing = [c for c in [*config_columns, "ii", "oo", "bb"] if c not in found]
    if missing:
        raise DataError(
            f"{name}: missing column(s) {', '.join(repr(m) for m in missing)}; "
            f"queries need the configuration columns {list(config_columns)} and "
            f"ii, oo, bb. Found: {', '.join(repr(c) for c in raw.columns)}"
        )
    canonical = pd.DataFrame(index=raw.index)
    problems: list[DroppedRows] = []
    for col in config_columns:
        canonical[col] = canonical_text(raw[found[col]])
    for col in ("ii", "oo", "bb"):
        values, bad = coerce_positive(raw[found[col]], col)
        canonical[col] = values.astype(float)
        problems += bad
    if problems:
        raise DataError(
            f"{name}: "
            + "; ".join(p.describe() for p in problems)
            + ". Every query row needs positive numbers in ii, oo and bb."
        )
    return raw, canonical


def canonical_text(values: pd.Series) -> pd.Series:
    """Configuration values as stripped text, with integral numbers written without '.0'."""
    text = values.astype(str).str.strip()
    number = pd.to_numeric(text, errors="coerce")
    filled = number.fillna(0.5)
    integral = np.isfinite(filled) & (filled % 1 == 0) & (filled.abs() < 1e15)
    text = text.where(~integral, number.where(integral, 0).astype("int64").astype(str))
    return text


def config_summary(frame: pd.DataFrame, config_columns: Sequence[str]) -> pd.DataFrame:
    """One row per configuration: rows, distinct lengths and batch sizes, peak throughput."""
    labels = config_labels(frame, config_columns)
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
