"""Generic table reading: CSV bytes, paths or uploads to text cells with spreadsheet row numbers.

Nothing here knows the benchmark schema (:mod:`ala.data` does).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ala.errors import DataError

Source = str | os.PathLike[str] | IO[bytes] | IO[str] | bytes

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
        """One line: column, reason and the first row numbers."""
        shown = ", ".join(str(r) for r in self.rows[:limit])
        more = f" and {len(self.rows) - limit} more" if len(self.rows) > limit else ""
        where = f"column '{self.column}': " if self.column else ""
        return f"{where}{self.reason} in rows {shown}{more}"


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
        """Text cells of an in-memory frame, numbered as spreadsheet rows."""
        cells = frame.astype(str).reset_index(drop=True)
        cells.index = cells.index + 2
        return cls(cells, name or "<frame>", ",", "-")


def read_source(source: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes) -> tuple[bytes, str]:
    """The bytes of a path, bytes or file-like, and a name for messages."""
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
    raw, detected = read_source(source)
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
    raw: pd.Series,
    column: str,
    *,
    allow_zero: bool = False,
    bounds: tuple[float, float] | None = None,
    decimal_comma: bool = False,
) -> tuple[pd.Series, list[DroppedRows]]:
    """Parse a text column as finite positive numbers; return the values and the bad rows.

    ``bounds`` (low, high) drops values outside a plausible range too: a value near 1e308 or
    a denormal such as 5e-324 is finite, but overflows or underflows downstream arithmetic.
    ``decimal_comma`` reads ``100,5`` as 100.5 (files separated by ``;`` write numbers so);
    otherwise a comma separates thousands.
    """
    text = raw.astype(str).str.strip()
    if decimal_comma:  # European: "1.234,5" is 1234.5, and so is "1234,5"
        with_comma = text.str.contains(",", regex=False)
        cleaned = text.where(
            ~with_comma,
            text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False),
        )
    else:  # "1,234.5": commas separate thousands
        cleaned = text.str.replace(",", "", regex=False)
    values = pd.to_numeric(cleaned.str.replace("_", "", regex=False), errors="coerce")
    row_no = raw.index.to_numpy()
    problems: list[DroppedRows] = []
    missing = text.isin(["", "nan", "NaN", "NA", "N/A", "null", "None", "-"]).to_numpy()
    nonnum = values.isna().to_numpy() & ~missing
    nonfinite = ~np.isfinite(values.fillna(0).to_numpy(dtype=float))
    vals = values.fillna(1).to_numpy(dtype=float)
    bad_sign = ((vals < 0) if allow_zero else (vals <= 0)) & ~nonfinite
    limit = "negative" if allow_zero else "zero or negative"
    implausible = np.zeros(len(vals), bool)
    if bounds is not None:
        low, high = bounds
        implausible = ~bad_sign & ~nonfinite & ((vals > high) | ((vals < low) & (vals != 0)))
    for mask, reason in (
        (missing, "missing value"),
        (nonnum, "non-numeric value"),
        (nonfinite, "infinite value"),
        (bad_sign, f"{limit} value"),
        (
            implausible,
            f"implausible value (outside {bounds[0]:g} to {bounds[1]:g})" if bounds else "",
        ),
    ):
        if mask.any():
            problems.append(DroppedRows(reason, column, tuple(int(r) for r in row_no[mask])))
    return values, problems
