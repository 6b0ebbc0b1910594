"""Hold-out evaluation of transfer to configurations that were never measured.

Protocol ``leave_<attribute>_out`` holds out, one value at a time, every configuration with
that value of the attribute (a model, an accelerator, a GPU count, a framework, a precision),
where a sibling sharing all its other attributes remains to learn from; the rest trains.
With ``shots = k``, k seeded random measurements of each held-out configuration are given to
the training data too (and not scored).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.configs import config_keys
from ala.data import Benchmarks, infer_config_columns
from ala.errors import DataError, UnknownNameError
from ala.specs import Catalogue

TRANSFER_PROTOCOLS = {
    "leave_model_out": "model",
    "leave_acc_out": "acc",
    "leave_count_out": "acc_count",
    "leave_framework_out": "back",
    "leave_precision_out": "prec",
}
TRANSFER_METHODS = ("transfer", "global_xgboost", "roofline", "sibling_bandwidth")


class TransferEstimator(Protocol):
    """What a transfer method offers: fit on measured rows, predict any configuration."""

    def fit(self, data: pd.DataFrame) -> Any:
        """Learn from measured rows; returns the fitted estimator."""

    def predict(self, queries: pd.DataFrame) -> pd.DataFrame:
        """``thpt_pred`` (and possibly an interval) per query row."""


def make_transfer_method(
    name: str, config_columns: Sequence[str] | None = None, specs: Catalogue | None = None
) -> TransferEstimator:
    """An unfitted transfer estimator by name (see :data:`TRANSFER_METHODS`).

    Raises
    ------
    UnknownNameError
        For an unknown name.
    """
    from ala.transfer import TransferModel
    from ala.transfer_baselines import GlobalXGBoost, Roofline, SiblingBandwidth

    builders: dict[str, Callable[[], TransferEstimator]] = {
        "transfer": partial(TransferModel, config_columns, specs),
        "global_xgboost": partial(GlobalXGBoost, config_columns, specs),
        "roofline": partial(Roofline, config_columns, specs),
        "sibling_bandwidth": partial(SiblingBandwidth, config_columns, specs),
    }
    if name not in builders:
        raise UnknownNameError(
            f"unknown transfer method {name!r}; choose from {', '.join(TRANSFER_METHODS)}"
        )
    return builders[name]()


def transfer_folds(
    frame: pd.DataFrame, config_columns: Sequence[str], protocol: str
) -> list[tuple[str, npt.NDArray[np.bool_]]]:
    """``(held-out value, mask of rows of the held-out configurations)`` for one protocol."""
    if protocol not in TRANSFER_PROTOCOLS:
        raise UnknownNameError(
            f"unknown transfer protocol {protocol!r}; choose from {', '.join(TRANSFER_PROTOCOLS)}"
        )
    attribute = TRANSFER_PROTOCOLS[protocol]
    cols = list(config_columns)
    if attribute not in cols:
        return []
    others = [c for c in cols if c != attribute]
    configs = frame[cols].astype(str).drop_duplicates()
    # configurations whose other attributes also occur with another value of this one
    variety = configs.groupby(others)[attribute].transform("nunique") if others else None
    eligible = configs[variety.to_numpy() > 1] if variety is not None else configs
    folds = []
    values = frame[attribute].astype(str).to_numpy()
    eligible_keys = set(config_keys(eligible, cols))
    row_keys = config_keys(frame, cols)
    in_eligible = np.array([k in eligible_keys for k in row_keys])
    for value in sorted(eligible[attribute].unique()):
        mask = in_eligible & (values == value)
        if mask.any():
            folds.append((str(value), mask))
    return folds


@dataclass(frozen=True, slots=True)
class TransferEvaluation:
    """Per held-out row errors and the summary per (protocol, shots, method)."""

    errors: pd.DataFrame
    summary: pd.DataFrame


def evaluate_transfer(
    data: Benchmarks | pd.DataFrame,
    methods: Sequence[str] = TRANSFER_METHODS,
    protocols: Sequence[str] = ("leave_model_out", "leave_acc_out"),
    shots: Sequence[int] = (0,),
    level: float | None = 0.9,
    specs: Catalogue | None = None,
    seed: int = 0,
    on_fold: Callable[[int, int], None] | None = None,
) -> TransferEvaluation:
    """Every method under every transfer protocol, with ``shots`` measurements given.

    Rows of configurations whose specs are missing are not scored (no method can transfer
    to them); interval coverage is reported for methods that give intervals.

    Raises
    ------
    DataError
        When no protocol can hold out a configuration with a sibling left.
    """
    frame = (data.frame if isinstance(data, Benchmarks) else data).reset_index(drop=True)
    cols = data.config_columns if isinstance(data, Benchmarks) else infer_config_columns(frame)
    for name in methods:
        make_transfer_method(name)
    rng = np.random.default_rng(seed)
    key_series = config_keys(frame, cols)
    keys = key_series.to_numpy(dtype=object)
    codes = pd.factorize(key_series)[0]
    plan = [(p, k, transfer_folds(frame, cols, p)) for p in protocols for k in shots]
    total = sum(len(f) for _, _, f in plan)
    done = 0
    errors = []
    timings: dict[tuple[str, int, str], float] = {}
    for protocol, k, folds in plan:
        for value, held in folds:
            given = np.zeros(len(frame), bool)
            if k:
                for code in np.unique(codes[held]):
                    rows = np.flatnonzero(held & (codes == code))
                    given[rng.choice(rows, min(k, len(rows) - 1), replace=False)] = True
            train, test = frame[~held | given], frame[held & ~given]
            for name in methods:
                start = time.perf_counter()
                try:
                    model = make_transfer_method(name, cols, specs).fit(train)
                    predicted = _predict(model, test, level if name == "transfer" else None)
                except DataError:
                    continue
                timings[(protocol, k, name)] = timings.get((protocol, k, name), 0.0) + (
                    time.perf_counter() - start
                )
                errors.append(
                    _errors(protocol, k, name, value, keys[held & ~given], test, predicted)
                )
            done += 1
            if on_fold is not None:
                on_fold(done, total)
    if not errors:
        raise DataError(
            "no transfer protocol could hold out a configuration: each needs a sibling that "
            "shares all its other attributes"
        )
    table = pd.concat(errors, ignore_index=True)
    return TransferEvaluation(table, _summary(table, timings))


def _predict(model: TransferEstimator, test: pd.DataFrame, level: float | None) -> pd.DataFrame:
    """Predictions per row; a row whose configuration cannot be predicted gets NaN."""
    from ala.errors import AlaError

    out = pd.DataFrame(
        {"thpt_pred": np.nan, "thpt_lo": np.nan, "thpt_hi": np.nan}, index=test.index
    )
    cols = [
        c for c in test.columns if c not in ("ii", "oo", "bb", "thpt", "source_row", "n_repeats")
    ]
    for _, part in test.groupby(cols, sort=False, dropna=False):
        try:
            if level is not None:
                pred = model.predict(part, interval=level)  # type: ignore[call-arg]
            else:
                pred = model.predict(part)
        except AlaError:
            continue
        for col in ("thpt_pred", "thpt_lo", "thpt_hi"):
            if col in pred:
                out.loc[part.index, col] = pred[col].to_numpy()
    return out


def _errors(
    protocol: str,
    shots: int,
    method: str,
    value: str,
    keys: npt.NDArray[np.object_],
    test: pd.DataFrame,
    predicted: pd.DataFrame,
) -> pd.DataFrame:
    actual = test["thpt"].to_numpy(float)
    pred = predicted["thpt_pred"].to_numpy(float)
    return pd.DataFrame(
        {
            "protocol": protocol,
            "shots": shots,
            "method": method,
            "held_out": value,
            "config": keys,
            "ii": test["ii"].to_numpy(float),
            "oo": test["oo"].to_numpy(float),
            "bb": test["bb"].to_numpy(float),
            "thpt": actual,
            "thpt_pred": pred,
            "thpt_lo": predicted["thpt_lo"].to_numpy(float),
            "thpt_hi": predicted["thpt_hi"].to_numpy(float),
            "ape": np.abs(pred - actual) / actual * 100,
        }
    )


def _summary(errors: pd.DataFrame, timings: Mapping[tuple[str, int, str], float]) -> pd.DataFrame:
    rows = []
    for (protocol, shots, method), g in errors.groupby(["protocol", "shots", "method"], sort=False):
        scored = g.dropna(subset=["thpt_pred"])
        row: dict[str, Any] = {
            "protocol": protocol,
            "shots": shots,
            "method": method,
            "n": len(scored),
            "unpredicted": len(g) - len(scored),
            "median_ape": float(scored["ape"].median()),
            "p90_ape": float(scored["ape"].quantile(0.9)),
            "fit_predict_s": timings.get((protocol, shots, method), np.nan),
        }
        with_interval = scored.dropna(subset=["thpt_lo", "thpt_hi"])
        if len(with_interval):
            inside = (with_interval["thpt"] >= with_interval["thpt_lo"]) & (
                with_interval["thpt"] <= with_interval["thpt_hi"]
            )
            width = (with_interval["thpt_hi"] - with_interval["thpt_lo"]) / with_interval[
                "thpt_pred"
            ]
            row["coverage"] = float(inside.mean() * 100)
            row["median_rel_width"] = float(width.median() * 100)
        rows.append(row)
    return pd.DataFrame(rows)
