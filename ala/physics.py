"""What the specs say about a deployment: cost terms, hard limits and memory.

A *deployment* is a configuration resolved against the spec catalogue: an accelerator, how
many of them, a model and the precision its weights are served in. From it follow

* the physical cost of each term of the default method's latency model (see
  :mod:`ala.prior`): prefill FLOPs over peak compute, weight bytes over memory bandwidth
  per decode step, FLOPs per generated token, KV-cache bytes per context token;
* an upper bound on throughput that no engine can beat: every decode step reads the active
  weights once, and every token costs its FLOPs (a measured row above it is a failed run or a
  unit error);
* the memory a batch needs: weights plus the KV cache of ``(ii + oo) x bb`` tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.specs import Accelerator, Catalogue, Model, SpecError, precision_bytes

Array = npt.NDArray[np.float64]
TERMS = ("overhead", "prefill", "weights", "decode_compute", "attention")
# Configuration columns a deployment is read from (the loader's canonical names).
ACCELERATOR, COUNT, MODEL, PRECISION = "acc", "acc_count", "model", "prec"
UNKNOWN_PRECISION_BOUND = "int4"


@lru_cache(maxsize=1)
def bundled_catalogue() -> Catalogue:
    """The package's own catalogue, read once per process."""
    return Catalogue.bundled()


@dataclass(frozen=True, slots=True)
class Deployment:
    """A configuration resolved against the spec catalogue."""

    accelerator: Accelerator
    count: float
    model: Model
    precision: str

    @classmethod
    def of(cls, config: Mapping[str, object], catalogue: Catalogue | None = None) -> Deployment:
        """Resolve a configuration's ``acc``, ``acc_count``, ``model`` and ``prec`` values.

        A missing ``acc_count`` means one accelerator; a missing ``prec`` the model's
        default precision.

        Raises
        ------
        SpecError
            When the configuration has no accelerator or model, or the catalogue lacks them.
        """
        catalogue = catalogue or bundled_catalogue()
        for column in (ACCELERATOR, MODEL):
            if not str(config.get(column, "") or "").strip():
                raise SpecError(
                    f"the configuration has no {column!r} column, so its specs cannot be looked "
                    f"up; name the {'accelerator' if column == ACCELERATOR else 'model'} in it"
                )
        count_text = str(config.get(COUNT, "") or "1")
        try:
            count = float(count_text)
        except ValueError:
            count = float("nan")
        if not np.isfinite(count) or count < 1 or count > 100_000:
            raise SpecError(f"{COUNT} {count_text!r} is not a count of accelerators")
        model = catalogue.model(config[MODEL])
        precision = str(config.get(PRECISION, "") or "").strip() or model.default_precision
        precision_bytes(precision)  # an unknown precision fails here, with the known ones
        return cls(catalogue.accelerator(config[ACCELERATOR]), count, model, precision)

    @property
    def memory_gb(self) -> float:
        """Accelerator memory of all devices together (GB)."""
        return self.accelerator.need("memory_gb") * self.count

    def weights_gb(self) -> float:
        """Weights at the served precision (GB)."""
        return self.model.weight_bytes(self.precision) / 1e9

    def memory_need_gb(self, ii: npt.ArrayLike, oo: npt.ArrayLike, bb: npt.ArrayLike) -> Array:
        """Weights plus the KV cache of ``bb`` sequences of ``ii + oo`` tokens (GB)."""
        ii, oo, bb = (np.asarray(x, float) for x in (ii, oo, bb))
        kv = self.model.kv_bytes_per_token(self.precision) * (ii + oo) * bb / 1e9
        return np.asarray(self.weights_gb() + kv, float)

    def largest_batch(self, ii: float, oo: float) -> int:
        """The largest batch whose weights and KV cache fit in memory (0: not even weights)."""
        free = self.memory_gb - self.weights_gb()
        per_sequence = self.model.kv_bytes_per_token(self.precision) * (ii + oo) / 1e9
        return max(0, int(free // per_sequence)) if free > 0 else 0

    def term_parts(self) -> Array:
        """Log factors of each latency term, split by what sets them: shape (3, 5).

        Rows: the accelerator (1 / peak FLOP/s, 1 / bandwidth), the count (1 / n) and the
        model at its precision (FLOPs, weight bytes, KV bytes per token); columns follow
        :meth:`terms`. Their column sums are the log terms, so a transfer can weigh a
        change of accelerator, count or model separately.
        """
        bandwidth = self.accelerator.need("memory_bw_tbs") * 1e12
        flops = self.accelerator.peak_tflops(self.precision) * 1e12
        per_token = 2 * self.model.active_params()
        weights = self.model.weight_bytes(self.precision)
        kv = self.model.kv_bytes_per_token(self.precision)
        inv_flops, inv_bw, inv_n = -np.log(flops), -np.log(bandwidth), -np.log(self.count)
        return np.array(
            [
                [0.0, inv_flops, inv_bw, inv_flops, inv_bw],
                [0.0, inv_n, inv_n, inv_n, inv_n],
                [0.0, np.log(per_token), np.log(weights), np.log(per_token), np.log(kv)],
            ]
        )

    def terms(self) -> Array:
        """Physical seconds per unit of each latency feature of :mod:`ala.prior`.

        In order: the fixed overhead (1: it has no spec), prefill seconds per prompt token,
        seconds per decode step to read the weights, seconds per generated token of compute,
        seconds per context token per step to read the KV cache.
        """
        return np.asarray(np.exp(self.term_parts().sum(axis=0)), float)

    def throughput_limit(self, ii: npt.ArrayLike, oo: npt.ArrayLike, bb: npt.ArrayLike) -> Array:
        """The most tokens/s (``bb x (ii + oo) / latency``) the hardware could deliver.

        A static batch takes at least ``oo`` decode steps that each read the active weights,
        and at least the FLOPs of all its tokens at peak compute; the larger bound holds.
        """
        ii, oo, bb = (np.asarray(x, float) for x in (ii, oo, bb))
        bandwidth = self.accelerator.need("memory_bw_tbs") * 1e12 * self.count
        flops = self.accelerator.peak_tflops(self.precision) * 1e12 * self.count
        active_bytes = self.model.active_params() * precision_bytes(self.precision)
        decode = oo * active_bytes / bandwidth
        compute = bb * (ii + oo) * 2 * self.model.active_params() / flops
        return np.asarray(bb * (ii + oo) / np.maximum(decode, compute), float)


def resolve(config: Mapping[str, object], catalogue: Catalogue | None = None) -> Deployment | str:
    """The deployment, or the reason it cannot be resolved (for notes, not errors)."""
    try:
        return Deployment.of(config, catalogue)
    except SpecError as exc:
        return str(exc)


def above_limit_rows(
    frame: pd.DataFrame, config_columns: tuple[str, ...], catalogue: Catalogue | None = None
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """Rows whose throughput exceeds :meth:`Deployment.throughput_limit`, and why some
    configurations could not be checked (one line each).

    Where the data give no precision, the limit assumes 4-bit weights (the loosest bound).
    """
    above = np.zeros(len(frame), bool)
    unchecked: list[str] = []
    if ACCELERATOR not in config_columns or MODEL not in config_columns:
        return above, unchecked
    groups = frame.groupby(list(config_columns), sort=False, dropna=False).indices
    for values, rows in groups.items():
        key = values if isinstance(values, tuple) else (values,)
        config = dict(zip(config_columns, key, strict=True))
        # Without a precision column the weights may be quantised: bound with the most compact
        # common format, so that no real measurement can be flagged.
        config.setdefault(PRECISION, UNKNOWN_PRECISION_BOUND)
        deployment = resolve(config, catalogue)
        if isinstance(deployment, str):
            unchecked.append(deployment)
            continue
        try:
            limit = deployment.throughput_limit(
                *(frame[c].to_numpy(float)[rows] for c in ("ii", "oo", "bb"))
            )
        except SpecError as exc:
            unchecked.append(str(exc))
            continue
        above[rows] = frame["thpt"].to_numpy(float)[rows] > limit
    return above, sorted(set(unchecked))


def memory_check(queries: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Per query row: ``memory_need_gb``, ``memory_gb`` and ``fits_memory`` (NaN / None where
    the specs are unknown), and ``memory_note`` saying why a row does not fit or was not
    checked."""
    need = np.full(len(queries), np.nan)
    have = np.full(len(queries), np.nan)
    notes = [""] * len(queries)
    columns = [c for c in (ACCELERATOR, COUNT, MODEL, PRECISION) if c in queries.columns]
    if not columns:
        return pd.DataFrame(
            {"memory_need_gb": need, "memory_gb": have, "fits_memory": None, "memory_note": ""}
        )
    for values, rows in queries.groupby(columns, sort=False, dropna=False).indices.items():
        key = values if isinstance(values, tuple) else (values,)
        deployment = resolve(dict(zip(columns, key, strict=True)), catalogue)
        try:
            if isinstance(deployment, str):
                raise SpecError(deployment)
            have[rows] = deployment.memory_gb
            need[rows] = deployment.memory_need_gb(
                *(queries[c].to_numpy(float)[rows] for c in ("ii", "oo", "bb"))
            )
        except SpecError as exc:
            for r in rows:
                notes[r] = f"memory not checked: {exc}"
            continue
        for r in rows:
            if need[r] > have[r]:
                notes[r] = (
                    f"does not fit in memory: needs {need[r]:,.0f} GB (weights "
                    f"{deployment.weights_gb():,.0f} GB + KV cache) of {have[r]:,.0f} GB; "
                    "an engine would queue or preempt sequences"
                )
    fits = [None if np.isnan(n) else bool(n <= h) for n, h in zip(need, have, strict=True)]
    return pd.DataFrame(
        {
            "memory_need_gb": need,
            "memory_gb": have,
            "fits_memory": pd.Series(fits, dtype=object, index=queries.index),
            "memory_note": notes,
        },
        index=queries.index,
    )
