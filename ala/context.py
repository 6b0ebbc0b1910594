"""The shared question every page starts from: dataset, configurations and workload.

One :class:`Context` holds what a user chose (the dataset, the configurations, the lengths,
the batch or concurrency, the target, the SLOs, the price and currency). It survives page
switches and reloads because the app keeps it in the session and in the URL; a link with
those query parameters opens the same view. :func:`from_query` reads untrusted URL values:
each one that does not parse is dropped (the default stays) and named in ``problems``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ala.configs import ConfigKey

TargetUnit = Literal["tokens/s", "requests/s"]
TARGET_UNITS: tuple[TargetUnit, ...] = ("tokens/s", "requests/s")
PERCENTILES = ("p50", "p99")
MAX_CONFIGS = 24  # a URL with more configurations than anyone compares is refused
MAX_VALUE_CHARS = 200


@dataclass(frozen=True, slots=True)
class Context:
    """What the user asks, shared by every page (hashable, so answers are cached by it).

    Attributes
    ----------
    dataset
        Workspace id of the dataset, or None for the most recent usable one.
    configs
        Chosen configuration keys (tuples of canonical values), in the order chosen.
    ii, oo, bb
        Input and output tokens per request, and the batch size or concurrency.
    level
        Interval level of every range shown.
    target, target_unit
        The load to serve, in tokens/s (input and output) or requests/s.
    ttft_ms, tpot_ms, percentile
        Latency SLOs (None: no target) and the percentile they hold at.
    price, currency
        Price per accelerator-hour (None: no cost) and its currency code.
    """

    dataset: int | None = None
    configs: tuple[ConfigKey, ...] = ()
    ii: float = 512.0
    oo: float = 512.0
    bb: float = 32.0
    level: float = 0.9
    target: float = 20_000.0
    target_unit: TargetUnit = "tokens/s"
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    percentile: str = "p50"
    price: float | None = None
    currency: str = "USD"
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def tokens_per_s(self) -> float:
        """The target as tokens/s (a request carries ``ii + oo`` tokens)."""
        if self.target_unit == "requests/s":
            return self.target * (self.ii + self.oo)
        return self.target

    def with_(self, **changes: Any) -> Context:
        """A copy with ``changes`` (the problems of the URL it came from are dropped)."""
        return replace(self, problems=(), **changes)


# URL parameter -> field. Short names keep shared links readable.
PARAMS = {
    "dataset": "dataset",
    "cfg": "configs",
    "ii": "ii",
    "oo": "oo",
    "bb": "bb",
    "level": "level",
    "target": "target",
    "unit": "target_unit",
    "ttft": "ttft_ms",
    "tpot": "tpot_ms",
    "pct": "percentile",
    "price": "price",
    "cur": "currency",
}


def to_query(context: Context) -> dict[str, str]:
    """The URL query parameters of ``context``; fields at their default are left out."""
    default = Context()
    out: dict[str, str] = {}
    for param, name in PARAMS.items():
        value = getattr(context, name)
        if value == getattr(default, name):
            continue
        if name == "configs":
            out[param] = json.dumps([list(k) for k in value], separators=(",", ":"))
        elif isinstance(value, float):
            out[param] = f"{value:.15g}"  # exact for any float a user types, short for 1024
        else:
            out[param] = str(value)
    return out


def from_query(query: Mapping[str, str]) -> Context:
    """The context a URL describes; a value that does not parse keeps its default and is
    named in ``problems`` (the URL may come from anyone)."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for param, name in PARAMS.items():
        raw = query.get(param)
        if raw is None:
            continue
        try:
            values[name] = _parse(name, str(raw))
        except ValueError as exc:
            problems.append(f"link parameter {param}={str(raw)[:40]!r} ignored: {exc}")
    return replace(Context(**values), problems=tuple(problems))


def _parse(name: str, raw: str) -> Any:
    if len(raw) > MAX_VALUE_CHARS * (MAX_CONFIGS if name == "configs" else 1):
        raise ValueError("too long")
    if name == "dataset":
        dataset = int(raw)
        if dataset < 1:
            raise ValueError("a dataset id is a positive integer")
        return dataset
    if name == "configs":
        return _configs(raw)
    if name == "target_unit":
        if raw not in TARGET_UNITS:
            raise ValueError(f"use one of {', '.join(TARGET_UNITS)}")
        return raw
    if name == "percentile":
        if raw not in PERCENTILES:
            raise ValueError(f"use one of {', '.join(PERCENTILES)}")
        return raw
    if name == "currency":
        if not (raw.isalpha() and 1 <= len(raw) <= 8):
            raise ValueError("a currency is a code of letters, e.g. USD or EUR")
        return raw.upper()
    number = float(raw)
    if not math.isfinite(number) or number <= 0:
        raise ValueError("must be a positive number")
    if name == "level" and not number < 1:
        raise ValueError("an interval level lies between 0 and 1")
    return number


def _configs(raw: str) -> tuple[ConfigKey, ...]:
    try:
        decoded = json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError("not a list of configurations") from None
    if not isinstance(decoded, list) or len(decoded) > MAX_CONFIGS:
        raise ValueError(f"expected a list of at most {MAX_CONFIGS} configurations")
    keys = []
    for item in decoded:
        if not isinstance(item, list) or not all(isinstance(v, str) for v in item):
            raise ValueError("each configuration is a list of values")
        keys.append(tuple(item))
    return tuple(dict.fromkeys(keys))
