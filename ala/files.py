"""Writing files safely: atomic replacement, and CSV exports that spreadsheets cannot execute.

Every file ``ala`` writes goes through :func:`write_bytes` (temporary file in the same folder,
flushed and fsynced, then renamed over the target), so a full disk or a crash leaves the old
file intact. Every CSV export goes through :func:`spreadsheet_safe`: text cells that a
spreadsheet would read as a formula (starting with ``= + - @``, tab or carriage return) get a
leading apostrophe, as OWASP recommends against CSV injection.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO

import pandas as pd

from ala.errors import AlaError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; on failure the old file is untouched.

    Raises
    ------
    AlaError
        Naming the file and the reason (no space left, no permission, ...).
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise AlaError(
            f"{target}: could not write the file ({exc.strerror or exc}); "
            "any previous version is unchanged"
        ) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """:func:`write_bytes` for UTF-8 text."""
    write_bytes(path, text.encode("utf-8"))


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a spreadsheet formula (numbers are untouched)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            text = values.astype(str)
            risky = values.notna() & text.str.startswith(FORMULA_STARTS)
            if risky.any():
                out[column] = values.astype(object).where(~risky, "'" + text)
    safe_names = ["'" + str(c) if str(c).startswith(FORMULA_STARTS) else c for c in out.columns]
    out.columns = pd.Index(safe_names)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as spreadsheet-safe CSV bytes (no index), for downloads and files."""
    return str(spreadsheet_safe(frame).to_csv(index=False)).encode("utf-8")


def write_csv(path: str | os.PathLike[str] | IO[str], frame: pd.DataFrame) -> None:
    """Write a spreadsheet-safe CSV export atomically (or to an open text stream)."""
    if isinstance(path, str | os.PathLike):
        write_bytes(path, csv_bytes(frame))
    else:
        spreadsheet_safe(frame).to_csv(path, index=False)
