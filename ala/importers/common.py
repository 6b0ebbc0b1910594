"""What every importer shares: reading a JSON document safely, and reading numbers from it.

Every problem raises :class:`~ala.errors.DataError` naming the file and the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ala.errors import DataError

MAX_FILE_BYTES = 50_000_000
# The canonical columns an importer fills, beside configuration settings.
ROW_COLUMNS = (
    "model",
    "ii",
    "oo",
    "bb",
    "thpt",
    "ttft_ms",
    "tpot_ms",
    "e2e_ms",
    "p99_ttft_ms",
    "p99_tpot_ms",
    "source_tool",
    "source_version",
    "source_file",
)


def read_json(path: Path) -> Any:
    """The parsed document of a JSON file, or a :class:`DataError` naming it."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DataError(f"{path.name}: larger than {MAX_FILE_BYTES // 1_000_000} MB")
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise DataError(f"{path.name}: not valid JSON (truncated or not a result file?)") from None


def dig(doc: Any, path: Sequence[str]) -> Any:
    """``doc[path[0]][path[1]]...``, or None where any step is missing."""
    for key in path:
        if not isinstance(doc, Mapping):
            return None
        doc = doc.get(key)
    return doc


def number(
    doc: Any, path: Sequence[str], name: str, required: bool = True, hint: str = ""
) -> float | None:
    """A finite non-negative number at ``path`` of ``doc``.

    Raises
    ------
    DataError
        Naming the file and the dotted field when it is missing (if ``required``), not a
        number, negative or not finite.
    """
    value = dig(doc, path)
    where = ".".join(path)
    if value is None or isinstance(value, bool):
        if required:
            raise DataError(f"{name}: field {where!r} is missing{hint}")
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{name}: field {where!r} is {str(value)[:40]!r}, not a number") from None
    if not math.isfinite(out) or out < 0:
        raise DataError(f"{name}: field {where!r} is {value!r}, not a usable number")
    return out


def first_number(doc: Any, paths: Sequence[Sequence[str]], name: str) -> float | None:
    """The first of several spellings that is present (None when none is)."""
    for path in paths:
        value = number(doc, path, name, required=False)
        if value is not None:
            return value
    return None


def require_object(doc: Any, name: str, tool: str) -> Mapping[str, Any]:
    """``doc`` as a mapping, or a :class:`DataError` saying it is not a ``tool`` result."""
    if not isinstance(doc, Mapping):
        raise DataError(f"{name}: not a {tool} result (the JSON is not an object)")
    return doc
