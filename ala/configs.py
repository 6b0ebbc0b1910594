"""Configuration keys: a configuration is a tuple of canonical values, never a joined string.

A key holds one canonical text value per configuration column, in the order of the model's
``config_columns`` (e.g. ``("Nvidia A100 GPU", "1", "vLLM", "meta-llama/Llama-2-7b-hf")``).
Values are canonicalised once, so ``1``, ``1.0`` and `` 1 `` are the same value. Labels
(:func:`config_label`) are for display only: two different keys may share a label, never an
identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ala.errors import AlaError

ConfigKey = tuple[str, ...]

# Human titles of the canonical configuration columns (the app and the report show these).
COLUMN_TITLES = {
    "acc": "Accelerator",
    "acc_count": "Accelerators",
    "back": "Framework",
    "model": "Model",
    "prec": "Precision",
    "cpu": "CPU",
    "cpu_count": "CPUs",
    "dev": "Device",
    "mode": "Mode",
}
LABEL_SEPARATOR = " / "


def canonical_text(values: pd.Series) -> pd.Series:
    """Configuration values as stripped text, with integral numbers written without '.0'."""
    text = values.astype(str).str.strip()
    number = pd.to_numeric(text, errors="coerce")
    filled = number.fillna(0.5)
    integral = np.isfinite(filled) & (filled % 1 == 0) & (filled.abs() < 1e15)
    return text.where(~integral, number.where(integral, 0).astype("int64").astype(str))


def canonical_value(value: object) -> str:
    """One configuration value in canonical form (see :func:`canonical_text`)."""
    return str(canonical_text(pd.Series([value])).iloc[0])


def config_keys(frame: pd.DataFrame, config_columns: Sequence[str]) -> pd.Series:
    """The configuration key of every row, as a Series of tuples aligned with ``frame``.

    Values are canonicalised, so a query written with ``1.0`` finds data written with ``1``.
    Without configuration columns every row has the empty key ``()``.
    """
    if not config_columns:
        return pd.Series([()] * len(frame), index=frame.index, dtype=object)
    columns = [canonical_text(frame[c]).to_numpy(dtype=object) for c in config_columns]
    keys = np.empty(len(frame), dtype=object)
    keys[:] = list(zip(*columns, strict=True))
    return pd.Series(keys, index=frame.index, dtype=object)


def config_label(key: ConfigKey) -> str:
    """A readable label for display: the values joined with ``' / '`` (``'all'`` for ``()``)."""
    return LABEL_SEPARATOR.join(key) if key else "all"


def config_dict(key: ConfigKey, config_columns: Sequence[str]) -> dict[str, str]:
    """The key as ``{column: value}``."""
    return dict(zip(config_columns, key, strict=True))


def make_key(config: Mapping[str, object], config_columns: Sequence[str]) -> ConfigKey:
    """The key of a ``{column: value}`` mapping, which must name every configuration column.

    Raises
    ------
    AlaError
        If a configuration column is missing or an unknown column is named.
    """
    missing = [c for c in config_columns if c not in config]
    unknown = [c for c in config if c not in config_columns]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(map(str, unknown))}")
        raise AlaError(
            f"a configuration needs exactly the columns {list(config_columns)} "
            f"({'; '.join(problems)})"
        )
    return tuple(canonical_value(config[c]) for c in config_columns)


def parse_config(text: str, config_columns: Sequence[str]) -> ConfigKey:
    """Parse ``"col=value,col=value"`` (the CLI's ``--config``) into a key.

    Values may contain ``' / '`` or ``'='``; only the first ``=`` of each pair splits, and pairs
    are split on commas that start a new ``column=`` pair.

    Raises
    ------
    AlaError
        If the text is not ``col=value`` pairs naming every configuration column.
    """
    pairs: dict[str, str] = {}
    current: str | None = None
    for piece in text.split(","):
        name, sep, value = piece.partition("=")
        if sep and name.strip() in config_columns:
            current = name.strip()
            pairs[current] = value.strip()
        elif current is not None:
            pairs[current] += "," + piece
        else:
            raise AlaError(
                f"--config expects col=value pairs separated by commas over the columns "
                f"{list(config_columns)}, e.g. "
                f"{','.join(f'{c}=...' for c in config_columns)}; got {text!r}"
            )
    return make_key(pairs, config_columns)


def format_config(key: ConfigKey, config_columns: Sequence[str]) -> str:
    """The ``col=value`` form that :func:`parse_config` reads back."""
    return ",".join(f"{c}={v}" for c, v in zip(config_columns, key, strict=True))
