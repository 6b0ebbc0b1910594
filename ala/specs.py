"""The specification catalogue: accelerators and models, each number with its source.

The catalogue ships as package data (``ala/bundled/specs``) and a user extends or corrects it
with a CSV or TOML file of the same columns (``--specs`` in the CLI, an upload in the app).
A lookup that finds no entry, or an entry without the number a computation needs, raises
:class:`SpecError` naming the spec and how to add it: never a silent default.

Matching ignores case, spaces and punctuation, and tries every spelling of an entry
(``Nvidia H100 GPU``, ``h100_sxm`` and ``H100`` all find the H100 SXM5 entry); a model is also
found by its Hugging Face id without the organisation (``Llama-2-70b-hf``).
"""

from __future__ import annotations

import io
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Literal

import pandas as pd

from ala.datasets import bundled_path
from ala.errors import AlaError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the backport
    import tomli as tomllib

Kind = Literal["accelerator", "model"]


class SpecError(AlaError, ValueError):
    """A spec is missing from the catalogue, or a specs file is malformed; the message says how
    to fix it. ``rows``: the query rows (index labels) it concerns, where known."""

    def __init__(self, message: str, rows: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.rows = list(rows)


# Column -> (unit, plausible range). A value outside the range is almost always a unit mistake
# (GB/s written in the TB/s column, parameters instead of billions of parameters).
ACCELERATOR_NUMBERS: dict[str, tuple[str, float, float]] = {
    "memory_gb": ("GB", 1.0, 10_000.0),
    "memory_bw_tbs": ("TB/s", 0.01, 100.0),
    "bf16_tflops": ("TFLOP/s", 0.1, 1e6),
    "fp8_tflops": ("TFLOP/s", 0.1, 1e6),
    "fp4_tflops": ("TFLOP/s", 0.1, 1e6),
    "interconnect_gbs": ("GB/s", 0.1, 1e5),
}
MODEL_NUMBERS: dict[str, tuple[str, float, float]] = {
    "total_params_b": ("billions of parameters", 0.001, 1e5),
    "active_params_b": ("billions of parameters", 0.001, 1e5),
    "layers": ("layers", 1, 10_000),
    "hidden_size": ("width", 1, 1e6),
    "attention_heads": ("heads", 1, 10_000),
    "kv_heads": ("heads", 1, 10_000),
    "head_dim": ("width", 1, 100_000),
    "vocab": ("tokens", 1, 1e8),
    "kv_elements_per_layer": ("cached values per token and layer", 1, 1e7),
    "kv_layers": ("layers", 1, 10_000),
}
TEXT_COLUMNS: dict[Kind, tuple[str, ...]] = {
    "accelerator": ("name", "spellings", "vendor", "source", "notes"),
    "model": ("name", "spellings", "default_precision", "source", "notes"),
}
NUMBERS: dict[Kind, dict[str, tuple[str, float, float]]] = {
    "accelerator": ACCELERATOR_NUMBERS,
    "model": MODEL_NUMBERS,
}
# Bytes per stored value. Weight-only formats (int4_wo, w4a8) store 4-bit weights.
PRECISION_BYTES = {
    "fp32": 4.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "fp8": 1.0,
    "fp8_block": 1.0,
    "int8": 1.0,
    "fp4": 0.5,
    "nvfp4": 0.5,
    "mxfp4": 0.5,
    "int4": 0.5,
    "int4_wo": 0.5,
}
_NARROW_FIRST = ("fp4_tflops", "fp8_tflops", "bf16_tflops")


def spelling_key(name: object) -> str:
    """The form names are matched in: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]+", "", str(name).lower())


def precision_bytes(precision: str) -> float:
    """Bytes per value of a precision name (``bf16``, ``fp8``, ``nvfp4`` ...).

    Raises
    ------
    SpecError
        For a precision the catalogue does not know.
    """
    key = spelling_key(precision)
    for name, size in PRECISION_BYTES.items():
        if spelling_key(name) == key:
            return size
    known = ", ".join(PRECISION_BYTES)
    raise SpecError(f"unknown precision {precision!r}; use one of {known}")


def _needed(value: float | None, kind: Kind, name: str, column: str) -> float:
    """``value``, or the error naming the entry, the missing column, its unit and the fix."""
    if value is None:
        unit = NUMBERS[kind][column][0]
        raise SpecError(
            f"{kind} {name!r} has no {column} ({unit}) in the spec catalogue; "
            f"add a row for it with that column to a specs file and pass it with --specs"
        )
    return float(value)


@dataclass(frozen=True, slots=True)
class Accelerator:
    """One accelerator's catalogue entry; ``None`` where the catalogue has no number."""

    name: str
    vendor: str
    memory_gb: float | None
    memory_bw_tbs: float | None
    bf16_tflops: float | None
    fp8_tflops: float | None
    fp4_tflops: float | None
    interconnect_gbs: float | None
    source: str

    def need(self, column: str) -> float:
        """A number the caller cannot do without.

        Raises
        ------
        SpecError
            Naming the accelerator, the missing column and how to add it.
        """
        return _needed(getattr(self, column), "accelerator", self.name, column)

    def peak_tflops(self, precision: str) -> float:
        """Dense peak compute for a precision; a part without that format runs it at the next
        wider one (FP8 weights on an A100 compute in BF16)."""
        size = precision_bytes(precision)
        order = {0.5: _NARROW_FIRST, 1.0: _NARROW_FIRST[1:]}.get(size, _NARROW_FIRST[2:])
        for column in order:
            value = getattr(self, column)
            if value is not None:
                return float(value)
        return self.need("bf16_tflops")


@dataclass(frozen=True, slots=True)
class Model:
    """One model's catalogue entry; ``None`` where the catalogue has no number."""

    name: str
    total_params_b: float | None
    active_params_b: float | None
    layers: float | None
    hidden_size: float | None
    attention_heads: float | None
    kv_heads: float | None
    head_dim: float | None
    vocab: float | None
    default_precision: str
    kv_elements_per_layer: float | None
    kv_layers: float | None
    source: str

    def need(self, column: str) -> float:
        """A number the caller cannot do without (see :meth:`Accelerator.need`)."""
        return _needed(getattr(self, column), "model", self.name, column)

    def weight_bytes(self, precision: str | None = None) -> float:
        """Bytes of all weights at ``precision`` (the model's default when ``None``)."""
        size = precision_bytes(precision or self.default_precision)
        return self.need("total_params_b") * 1e9 * size

    def active_params(self) -> float:
        """Parameters used per token (all of them for a dense model)."""
        active = self.active_params_b if self.active_params_b is not None else None
        return (active if active is not None else self.need("total_params_b")) * 1e9

    def kv_bytes_per_token(self, precision: str | None = None) -> float:
        """Bytes of KV cache one token adds; the cache is kept in 16 bits unless the weights
        are 8 bits or fewer, then in 8."""
        size = 2.0 if precision_bytes(precision or self.default_precision) >= 2 else 1.0
        if self.kv_elements_per_layer is not None:
            per_layer = self.kv_elements_per_layer
        else:
            per_layer = 2 * self.need("kv_heads") * self.need("head_dim")
        layers = self.kv_layers if self.kv_layers is not None else self.need("layers")
        return per_layer * layers * size


class Catalogue:
    """Accelerator and model specs, looked up by any spelling.

    Parameters
    ----------
    accelerators, models
        Tables with the columns of the bundled ``accelerators.csv`` and ``models.csv``.
    """

    def __init__(self, accelerators: pd.DataFrame, models: pd.DataFrame) -> None:
        self.accelerators = accelerators.reset_index(drop=True)
        self.models = models.reset_index(drop=True)
        self._index = {
            "accelerator": _spelling_index(self.accelerators, "accelerator"),
            "model": _spelling_index(self.models, "model"),
        }

    @classmethod
    def bundled(cls) -> Catalogue:
        """The catalogue shipped with the package."""
        folder = bundled_path("specs")
        return cls(
            _read_table(folder / "accelerators.csv", "accelerator"),
            _read_table(folder / "models.csv", "model"),
        )

    @classmethod
    def load(cls, paths: Sequence[str | Path] = ()) -> Catalogue:
        """The bundled catalogue extended by the user's files (later entries win).

        Raises
        ------
        SpecError
            For a file that cannot be read, an unknown column, text where a number belongs,
            a negative or implausible number (with the unit it expects).
        """
        catalogue = cls.bundled()
        for path in paths:
            catalogue = catalogue.extended(read_specs(path))
        return catalogue

    def extended(self, tables: Mapping[Kind, pd.DataFrame]) -> Catalogue:
        """A new catalogue where the given rows replace entries they name, and add the rest."""
        merged = {"accelerator": self.accelerators, "model": self.models}
        for kind, table in tables.items():
            base = merged[kind]
            replaced = {spelling_key(n) for n in table["name"]}
            keep = [spelling_key(n) not in replaced for n in base["name"]]
            merged[kind] = pd.concat([base[keep], table], ignore_index=True)
        return Catalogue(merged["accelerator"], merged["model"])

    def find(self, kind: Kind, name: object) -> int | None:
        """Row of the entry a name spells, or ``None``."""
        key = spelling_key(name)
        index = self._index[kind]
        if key in index:
            return index[key]
        if kind == "model" and "/" in str(name):
            return index.get(spelling_key(str(name).rsplit("/", 1)[1]))
        return None

    def accelerator(self, name: object) -> Accelerator:
        """The entry for an accelerator name.

        Raises
        ------
        SpecError
            When no entry matches; the message says how to add one.
        """
        row = self._require("accelerator", name)
        values = self.accelerators.iloc[row]
        numbers = {c: _number(values.get(c)) for c in ACCELERATOR_NUMBERS}
        return Accelerator(
            name=str(values["name"]),
            vendor=str(values.get("vendor") or ""),
            source=str(values.get("source") or ""),
            **numbers,
        )

    def model(self, name: object) -> Model:
        """The entry for a model name (see :meth:`accelerator`)."""
        row = self._require("model", name)
        values = self.models.iloc[row]
        numbers = {c: _number(values.get(c)) for c in MODEL_NUMBERS}
        precision = str(values.get("default_precision") or "bf16")
        return Model(
            name=str(values["name"]),
            default_precision=precision if precision != "nan" else "bf16",
            source=str(values.get("source") or ""),
            **numbers,
        )

    def _require(self, kind: Kind, name: object) -> int:
        row = self.find(kind, name)
        if row is None:
            columns = ", ".join(_columns(kind))
            raise SpecError(
                f"no {kind} named {str(name)!r} in the spec catalogue; add a row for it "
                f"(columns {columns}) to a CSV or TOML file and pass it with --specs, or add "
                f"{str(name)!r} to the spellings of an existing entry"
                + self._did_you_mean(kind, name)
            )
        return row

    def _did_you_mean(self, kind: Kind, name: object) -> str:
        near = nearest_names(str(name), _entry_spellings(self.table(kind)))
        return f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""

    def table(self, kind: Kind) -> pd.DataFrame:
        """The entries of one kind, for display."""
        return self.accelerators if kind == "accelerator" else self.models


def nearest_names(name: str, entries: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Up to three entry names that ``name`` may mean, nearest first.

    Model numbers decide (the words with a digit: ``h200``, ``70b``, ``3``): a spelling scores
    1 per number of the name it has, half its letter-by-letter similarity for a number it has
    only nearly, less half a point per number of its own the name lacks (``Llama-3.1-70B`` is
    further from ``Llama3-70B`` than ``Llama-3-70B`` is); other words (``pcie``, ``sxm``)
    count a tenth as much, and a fifth of the letter-by-letter similarity of the whole names
    breaks ties. Only entries within 0.05 of the best are offered: letter by letter alone,
    ``Nvidia GH200 GPU`` would beat ``H200`` for ``Nvidia H200 GPU``. A name without numbers
    is matched letter by letter (:mod:`difflib`).
    """
    wanted = _words(name)
    numbered = any(_is_number(w) for w in wanted)
    key = spelling_key(name)

    def score(spelling: str) -> float:
        letters = SequenceMatcher(None, key, spelling_key(spelling)).ratio()
        if not numbered:
            return letters
        return _word_match(wanted, _words(spelling)) + 0.2 * letters

    scored = sorted(
        ((max(score(s) for s in spellings), entry) for entry, spellings in entries),
        key=lambda pair: -pair[0],
    )
    if not scored or scored[0][0] < (0.7 if numbered else 0.6):
        return []
    best = scored[0][0]
    return [entry for value, entry in scored if value >= best - 0.05][:3]


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", name.lower()) if w]


def _is_number(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _word_match(wanted: Sequence[str], offered: Sequence[str]) -> float:
    """How well the words of a spelling match those of a name (see :func:`nearest_names`)."""
    if not offered:
        return 0.0

    def similarity(a: str, b: str) -> float:
        return 1.0 if a == b else 0.5 * SequenceMatcher(None, a, b).ratio()

    def weight(word: str) -> float:
        return 1.0 if _is_number(word) else 0.1

    matched = sum(weight(w) * max(similarity(w, o) for o in offered) for w in wanted)
    lacking = sum(0.5 * weight(o) for o in offered if max(similarity(w, o) for w in wanted) < 0.25)
    return matched - lacking


def _columns(kind: Kind) -> tuple[str, ...]:
    text = TEXT_COLUMNS[kind]
    return (*text[:2], *NUMBERS[kind], *text[2:])


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def _entry_spellings(table: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """Each entry's name with every spelling it answers to, the name first."""
    return [
        (str(name), [str(name), *_split_spellings(spellings)])
        for name, spellings in zip(table["name"], table["spellings"], strict=True)
    ]


def _spelling_index(table: pd.DataFrame, kind: Kind) -> dict[str, int]:
    index: dict[str, int] = {}
    for row, (_, names) in enumerate(_entry_spellings(table)):
        for spelling in names:
            key = spelling_key(spelling)
            if key:
                index[key] = row  # a later row (the user's) wins a shared spelling
    if kind == "model":  # a Hugging Face id also answers to its name without the organisation
        for row, name in enumerate(table["name"]):
            index.setdefault(spelling_key(str(name).rsplit("/", 1)[-1]), row)
    return index


def _split_spellings(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [s.strip() for s in str(value).split(";") if s.strip()]


def read_specs(path: str | Path) -> dict[Kind, pd.DataFrame]:
    """Read a user's specs file: a CSV of one kind, or a TOML with ``[[accelerator]]`` and
    ``[[model]]`` tables.

    A CSV's kind follows from its columns (``memory_bw_tbs`` makes it accelerators, ``layers``
    models).

    Raises
    ------
    SpecError
        Naming the file, the row and the column of the first problem.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the specs file ({exc.strerror})") from None
    return parse_specs(raw, path.name)


def parse_specs(raw: bytes, name: str) -> dict[Kind, pd.DataFrame]:
    """Parse specs from bytes (see :func:`read_specs`); ``name`` is used in messages."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(f"{name}: not UTF-8 text; save the specs as a UTF-8 CSV or TOML") from None
    if name.lower().endswith(".toml"):
        return _parse_toml(text, name)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SpecError(f"{name}: not a readable CSV ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if "memory_bw_tbs" in frame.columns or "vendor" in frame.columns:
        kind: Kind = "accelerator"
    elif "layers" in frame.columns or "total_params_b" in frame.columns:
        kind = "model"
    else:
        raise SpecError(
            f"{name}: cannot tell accelerators from models; an accelerators file has a "
            f"memory_bw_tbs column, a models file a layers column"
        )
    return {kind: _validated(frame, kind, name, first_row=2)}


def _parse_toml(text: str, name: str) -> dict[Kind, pd.DataFrame]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{name}: not valid TOML ({exc})") from None
    unknown = sorted(set(doc) - {"accelerator", "model"})
    if unknown:
        raise SpecError(f"{name}: unknown tables {unknown}; use [[accelerator]] and [[model]]")
    tables: dict[Kind, pd.DataFrame] = {}
    for kind in ("accelerator", "model"):
        entries = doc.get(kind, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise SpecError(f"{name}: [[{kind}]] must be an array of tables")
        if entries:
            frame = pd.DataFrame([{k: _toml_text(v) for k, v in e.items()} for e in entries])
            tables[kind] = _validated(frame.fillna(""), kind, name, first_row=1)
    if not tables:
        raise SpecError(f"{name}: no [[accelerator]] or [[model]] entries")
    return tables


def _toml_text(value: object) -> str:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _validated(frame: pd.DataFrame, kind: Kind, name: str, first_row: int) -> pd.DataFrame:
    """Check columns and every number; ``first_row`` is how the first entry is numbered."""
    allowed = set(_columns(kind))
    unknown = [c for c in frame.columns if c not in allowed]
    if unknown:
        raise SpecError(
            f"{name}: unknown {kind} columns {unknown}; allowed: {', '.join(_columns(kind))}"
        )
    if "name" not in frame.columns:
        raise SpecError(f"{name}: a 'name' column is required")
    out = pd.DataFrame({c: frame[c] if c in frame.columns else "" for c in _columns(kind)})
    for position, entry in enumerate(out["name"]):
        if not str(entry).strip():
            raise SpecError(f"{name}: {kind} entry {position + first_row} has no name")
    for column, (unit, low, high) in NUMBERS[kind].items():
        out[column] = [
            _checked_number(v, column, unit, low, high, f"{name}: {kind} entry {i + first_row}")
            for i, v in enumerate(out[column])
        ]
    if kind == "model":
        for i, value in enumerate(out["default_precision"]):
            if str(value).strip():
                try:
                    precision_bytes(str(value))
                except SpecError as exc:
                    raise SpecError(f"{name}: model entry {i + first_row}: {exc}") from None
    return out


def _checked_number(
    value: object, column: str, unit: str, low: float, high: float, at: str
) -> float:
    text = str(value).strip()
    if not text:
        return math.nan
    try:
        number = float(text)
    except ValueError:
        raise SpecError(
            f"{at}, column {column}: {text!r} is not a number; give it in {unit} as a plain "
            f"number (e.g. 3.35, not '3.35 TB/s')"
        ) from None
    if not math.isfinite(number) or number <= 0:
        raise SpecError(f"{at}, column {column}: {text} must be a positive number of {unit}")
    if not low <= number <= high:
        raise SpecError(
            f"{at}, column {column}: {text} {unit} is outside {low:g}-{high:g}; "
            f"is it in another unit?"
        )
    return number


def _read_table(path: Path, kind: Kind) -> pd.DataFrame:
    return parse_specs(path.read_bytes(), path.name)[kind]


def coverage(catalogue: Catalogue, kind: Kind, names: Iterable[object]) -> pd.DataFrame:
    """Which catalogue entry each name matches (``None`` where none does)."""
    rows = []
    for name in names:
        row = catalogue.find(kind, name)
        entry = None if row is None else str(catalogue.table(kind)["name"].iloc[row])
        rows.append({"value": str(name), "entry": entry})
    return pd.DataFrame(rows, columns=["value", "entry"])
