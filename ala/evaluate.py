"""Hold-out evaluation of any set of methods under the paper's protocols.

Protocols (each is a list of folds; every fold holds some rows out and trains on the rest):

``loo_inner``
    Leave one inner (ii, oo) length out: per configuration with >= 3 lengths, sorted by
    ``ii + oo``, each length that is neither the shortest nor the longest is held out once.
``loo_extreme``
    The same for the shortest and the longest length (extrapolation in length).
``max_batch``
    Per configuration with >= 3 batch sizes, the rows at its largest batch size.
``kfold``
    Random k-fold over all rows (seeded).

Methods come as estimator factories (``{"name": callable returning an unfitted estimator}``), as
scikit-learn's ``cross_validate`` takes an estimator, so this module knows no method and
imports none; :mod:`ala.methods` builds factories from names. Evaluation also owns what is
computed from held-out errors: interval coverage (:func:`interval_coverage`).

Models are per configuration, so fold ``f`` holds out, in every configuration at once, the
length of rank ``f`` (say); this is the same as separate per-configuration folds but needs far
fewer fits. Only configurations with held-out rows in a fold are trained in that fold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.configs import config_keys
from ala.data import Benchmarks, infer_config_columns
from ala.errors import AlaError, DataError, UnknownNameError
from ala.intervals import GROUP_COLUMNS, IntervalCalibration, apply_interval

PROTOCOLS = (
    "loo_inner",
    "loo_extreme",
    "max_batch",
    "kfold",
    "min_batch",
    "off_diagonal",
    "sparse",
)
# Protocols whose out-of-fold residuals calibrate intervals (one fold each way the data can be
# left: an unseen inner or outer length, a batch size above or below the measured ones).
CALIBRATION_PROTOCOLS = ("loo_inner", "loo_extreme", "max_batch", "kfold", "min_batch")
MAX_INNER_FOLDS = 20
WITHHELD_RATIO = 10.0  # as ala.model.MAX_INTERVAL_RATIO: wider intervals are not shown
SPARSE_LENGTHS = 2
SPARSE_BATCHES = 3
# The three protocols of the paper's comparison (kfold is extra).
PAPER_PROTOCOLS = ("loo_inner", "loo_extreme", "max_batch")


class Estimator(Protocol):
    """What evaluation needs of a method: ``fit(frame)`` and ``predict(queries)``."""

    def fit(self, data: pd.DataFrame) -> Any:
        """Learn from canonical benchmark rows."""

    def predict(self, queries: pd.DataFrame) -> pd.DataFrame:
        """Copy of ``queries`` with ``thpt_pred``."""


EstimatorFactory = Callable[[], Estimator]


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """Per-row errors of every (protocol, method) and the time each method took to fit."""

    errors: pd.DataFrame  # protocol, method, fold, config, ii, oo, bb, thpt, thpt_pred, ape
    timings: pd.DataFrame  # protocol, method, fit_s, predict_s, folds
    skipped: pd.DataFrame  # protocol, fold, rows: held-out rows whose configuration was untrained

    def summary(self) -> pd.DataFrame:
        """Median / p90 / mean absolute percentage error and fit time per protocol and method."""
        grouped = self.errors.groupby(["protocol", "method"], sort=False)["ape"]
        table = pd.DataFrame(
            {
                "n": grouped.size(),
                "median_ape": grouped.median(),
                "p90_ape": grouped.quantile(0.9),
                "mean_ape": grouped.mean(),
            }
        ).reset_index()
        return table.merge(self.timings, on=["protocol", "method"], how="left")


def protocol_folds(
    frame: pd.DataFrame, config_columns: Sequence[str], protocol: str, k: int = 5, seed: int = 0
) -> Iterator[tuple[str, npt.NDArray[np.bool_]]]:
    """Yield ``(fold name, boolean mask of held-out rows)`` for one protocol."""
    labels = pd.factorize(config_keys(frame, config_columns))[0]
    if protocol in ("loo_inner", "loo_extreme"):
        length = frame["ii"].to_numpy(float) + frame["oo"].to_numpy(float)
        keys = pd.DataFrame({"cfg": labels, "len": length, "ii": frame["ii"].to_numpy(float)})
        pairs = keys.drop_duplicates().sort_values(["cfg", "len", "ii"])
        pairs["rank"] = pairs.groupby("cfg").cumcount()
        pairs["n"] = pairs.groupby("cfg")["rank"].transform("size")
        pairs = pairs[pairs["n"] >= 3]
        rank = keys.merge(pairs, on=["cfg", "len", "ii"], how="left")
        r, n = rank["rank"].to_numpy(float), rank["n"].to_numpy(float)
        if protocol == "loo_inner":
            # Rank f is held out in fold f; past MAX_INNER_FOLDS ranks share folds (f, f + 20,
            # ...), so a configuration with a thousand lengths costs 20 fits, not a thousand.
            top = int(np.nanmax(n, initial=0)) - 1
            for f in range(1, min(top, MAX_INNER_FOLDS + 1)):
                mask = ((r - 1) % MAX_INNER_FOLDS == f - 1) & (r >= 1) & (r < n - 1)
                if mask.any():
                    yield f"rank{f}", mask
        else:
            yield "shortest", r == 0
            yield "longest", r == n - 1
    elif protocol in ("max_batch", "min_batch"):
        bb = pd.Series(frame["bb"].to_numpy(float))
        by = bb.groupby(labels)
        enough = by.transform("nunique").to_numpy() >= 3
        edge = by.transform("max" if protocol == "max_batch" else "min").to_numpy()
        yield (
            ("largest" if protocol == "max_batch" else "smallest"),
            enough & (bb.to_numpy() == edge),
        )
    elif protocol == "kfold":
        fold = np.random.default_rng(seed).permutation(len(frame)) % k
        for f in range(k):
            yield f"fold{f}", fold == f
    elif protocol == "off_diagonal":
        diagonal = frame["ii"].to_numpy(float) == frame["oo"].to_numpy(float)
        lengths = pd.Series(np.where(diagonal, frame["ii"].to_numpy(float), np.nan))
        trainable = lengths.groupby(labels).transform("nunique").to_numpy() >= 2
        yield "off_diagonal", trainable & ~diagonal
    elif protocol == "sparse":
        yield f"{SPARSE_LENGTHS}x{SPARSE_BATCHES}", _sparse_mask(frame, labels, seed)
    else:
        raise UnknownNameError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")


def _sparse_mask(
    frame: pd.DataFrame, labels: npt.NDArray[np.intp], seed: int
) -> npt.NDArray[np.bool_]:
    """Held out: all but ``SPARSE_LENGTHS`` lengths x ``SPARSE_BATCHES`` batch sizes per config.

    The kept lengths and batch sizes are drawn at random (seeded) per configuration; only
    configurations with more of both than are kept take part.
    """
    rng = np.random.default_rng(seed)
    held = np.zeros(len(frame), bool)
    ii, oo, bb = (frame[c].to_numpy(float) for c in ("ii", "oo", "bb"))
    for code in np.unique(labels):
        rows = np.flatnonzero(labels == code)
        pairs = np.unique(np.column_stack([ii[rows], oo[rows]]), axis=0)
        batches = np.unique(bb[rows])
        if len(pairs) <= SPARSE_LENGTHS or len(batches) <= SPARSE_BATCHES:
            continue
        kept_pairs = pairs[rng.choice(len(pairs), SPARSE_LENGTHS, replace=False)]
        kept_batches = rng.choice(batches, SPARSE_BATCHES, replace=False)
        kept_length = (
            (ii[rows, None] == kept_pairs[None, :, 0]) & (oo[rows, None] == kept_pairs[None, :, 1])
        ).any(1)
        held[rows] = ~(kept_length & np.isin(bb[rows], kept_batches))
    return held


def evaluate(
    data: Benchmarks | pd.DataFrame,
    methods: Mapping[str, EstimatorFactory],
    protocols: Sequence[str] = PROTOCOLS,
    config_columns: Sequence[str] | None = None,
    k: int = 5,
    seed: int = 0,
    on_fold: Callable[[int, int], None] | None = None,
    target: str = "thpt",
) -> EvaluationResult:
    """Run every method under every protocol; seeded and reproducible.

    Parameters
    ----------
    data
        Validated benchmarks (or a canonical frame; its configuration columns are inferred
        as the loader does unless ``config_columns`` names them).
    methods
        Method name -> factory of a fresh, unfitted estimator (see :mod:`ala.methods`).
    protocols
        Names from :data:`PROTOCOLS`.
    config_columns
        Columns identifying a configuration (default: the data's).
    k, seed
        Folds and seed of ``kfold``.
    on_fold
        Called as ``on_fold(done, total)`` after each (protocol, fold), for progress bars.
    target
        The metric predicted (``thpt`` or a latency metric such as ``ttft_ms``); rows
        without a value of it are left out. The errors carry ``<target>`` and
        ``<target>_pred``.

    Returns
    -------
    EvaluationResult
        Per-row held-out errors (``config`` holds configuration keys), timings, skipped rows.

    Raises
    ------
    DataError
        If no protocol holds out a predictable row (too few lengths and batch sizes).
    """
    frame = data.frame if isinstance(data, Benchmarks) else data
    if config_columns is not None:
        cols = tuple(config_columns)
    elif isinstance(data, Benchmarks):
        cols = data.config_columns
    else:
        cols = infer_config_columns(frame)
    for protocol in protocols:
        if protocol not in PROTOCOLS:
            raise UnknownNameError(
                f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}"
            )
    if target not in frame.columns:
        raise DataError(f"the data has no column {target!r} to evaluate")
    frame = frame[np.isfinite(frame[target].to_numpy(float))].reset_index(drop=True)
    keys = config_keys(frame, cols)
    codes = pd.factorize(keys)[0]
    key_array = keys.to_numpy(dtype=object)
    errors, timings, skipped = [], [], []
    plan = [(p, list(protocol_folds(frame, cols, p, k=k, seed=seed))) for p in protocols]
    total, done = sum(len(folds) for _, folds in plan), 0
    for protocol, folds in plan:
        fit_s = dict.fromkeys(methods, 0.0)
        predict_s = dict.fromkeys(methods, 0.0)
        for fold, test_mask in folds:
            done += 1
            trained = np.unique(codes[~test_mask])
            predictable = test_mask & np.isin(codes, trained)
            if (test_mask & ~predictable).any():
                skipped.append(
                    {
                        "protocol": protocol,
                        "fold": fold,
                        "rows": int((test_mask & ~predictable).sum()),
                    }
                )
            if predictable.any():
                wanted = np.isin(codes, np.unique(codes[predictable]))
                train, test = frame[wanted & ~test_mask], frame[predictable]
                for name, factory in methods.items():
                    start = time.perf_counter()
                    model = factory().fit(train)
                    mid = time.perf_counter()
                    predicted = model.predict(test)
                    fit_s[name] += mid - start
                    predict_s[name] += time.perf_counter() - mid
                    errors.append(
                        _fold_errors(
                            protocol, name, fold, key_array[predictable], test, predicted, target
                        )
                    )
            if on_fold is not None:
                on_fold(done, total)
        timings += [
            {
                "protocol": protocol,
                "method": m,
                "fit_s": fit_s[m],
                "predict_s": predict_s[m],
                "folds": len(folds),
            }
            for m in methods
        ]
    if not errors:
        raise DataError(
            "no protocol held out a point it could predict: a comparison needs a "
            "configuration with at least 3 input/output lengths or 3 batch sizes (or more "
            "than 5 rows for kfold)"
        )
    return EvaluationResult(
        errors=pd.concat(errors, ignore_index=True),
        timings=pd.DataFrame(timings),
        skipped=pd.DataFrame(skipped, columns=["protocol", "fold", "rows"]),
    )


def _fold_errors(
    protocol: str,
    method: str,
    fold: str,
    keys: npt.NDArray[np.object_],
    test: pd.DataFrame,
    predicted: pd.DataFrame,
    target: str = "thpt",
) -> pd.DataFrame:
    pred = predicted[f"{target}_pred"].to_numpy(float)
    actual = test[target].to_numpy(float)
    situation = (
        predicted["situation"].to_numpy(dtype=object)
        if "situation" in predicted
        else np.full(len(test), None, dtype=object)
    )
    scale = (
        predicted["scale"].to_numpy(float) if "scale" in predicted else np.full(len(test), np.nan)
    )
    distance_column = next(
        (c for c in (f"{target}_distance", "nearest_distance") if c in predicted), None
    )
    distance = (
        np.full(len(test), np.nan)
        if distance_column is None
        else predicted[distance_column].to_numpy(float)
    )
    frame = pd.DataFrame(
        {
            "protocol": protocol,
            "method": method,
            "fold": fold,
            "config": keys,
            "ii": test["ii"].to_numpy(float),
            "oo": test["oo"].to_numpy(float),
            "bb": test["bb"].to_numpy(float),
            target: actual,
            f"{target}_pred": pred,
            "ape": np.abs(pred - actual) / actual * 100,
            "situation": situation,
            "scale": scale,
            "nearest_distance": distance,
        }
    )
    for column in GROUP_COLUMNS:  # subgroups whose interval coverage is calibrated and reported
        if column in test.columns:
            frame[column] = test[column].astype(str).to_numpy()
    return frame


def calibrate_intervals(
    data: Benchmarks | pd.DataFrame,
    factory: EstimatorFactory,
    config_columns: Sequence[str] | None = None,
    seed: int = 0,
) -> tuple[IntervalCalibration, pd.DataFrame]:
    """Calibration scores from out-of-fold predictions of ``factory``'s model under
    :data:`CALIBRATION_PROTOCOLS`.

    Returns the calibration and the out-of-fold errors it was computed from (reused by
    reports, so accuracy is not evaluated twice).
    """
    result = evaluate(
        data, {"model": factory}, CALIBRATION_PROTOCOLS, config_columns=config_columns, seed=seed
    )
    return IntervalCalibration.from_errors(result.errors), result.errors


def covered_rows(
    result: EvaluationResult,
    level: float = 0.9,
    folds: int = 5,
    seed: int = 0,
    by_group: bool = True,
    learn_difficulty: bool = True,
) -> pd.DataFrame:
    """Held-out rows with their out-of-fold intervals: ``covered``, ``rel_width`` (%) and
    ``withheld`` (wider than the 10x a prediction shows).

    Configurations are split into ``folds`` groups; the intervals of each group's held-out
    rows are calibrated on the scores of the other groups only, from the protocols a fitted
    model calibrates on (:data:`CALIBRATION_PROTOCOLS`, by situation and, with ``by_group``, by
    framework and accelerator; all protocols when none of those ran), so no row is covered by
    an interval calibrated on itself and the other protocols test intervals as a user gets
    them. One configuration alone has nothing to be calibrated on: no rows come back.
    """
    errors = result.errors.dropna(subset=["situation", "scale"]).copy()
    if errors.empty:
        raise AlaError("these methods give no situation/scale: intervals need default or paper")
    codes, uniques = pd.factorize(errors["config"])
    group = np.empty(len(uniques), dtype=int)
    group[np.random.default_rng(seed).permutation(len(uniques))] = np.arange(len(uniques)) % folds
    errors["group"] = group[codes]
    parts = []
    pool = errors[errors["protocol"].isin(CALIBRATION_PROTOCOLS)]
    pool = pool if len(pool) else errors
    for (_, g), rows in errors.groupby(["method", "group"]):
        others = pool[(pool["method"] == rows["method"].iloc[0]) & (pool["group"] != g)]
        if others.empty:  # one configuration: nothing else to calibrate its rows on
            continue
        calibration = IntervalCalibration.from_errors(
            others, by_group=by_group, learn_difficulty=learn_difficulty
        )
        parts.append(apply_interval(rows, calibration, level))
    if not parts:
        return errors.iloc[:0].assign(covered=False, rel_width=np.nan, withheld=False)
    covered = pd.concat(parts)
    covered["covered"] = (covered["thpt"] >= covered["thpt_lo"]) & (
        covered["thpt"] <= covered["thpt_hi"]
    )
    covered["rel_width"] = (covered["thpt_hi"] - covered["thpt_lo"]) / covered["thpt_pred"] * 100
    with np.errstate(invalid="ignore", divide="ignore"):
        covered["withheld"] = ~(covered["thpt_hi"] <= WITHHELD_RATIO * covered["thpt_lo"])
    return covered


def interval_coverage(
    result: EvaluationResult,
    level: float = 0.9,
    folds: int = 5,
    seed: int = 0,
    covered: pd.DataFrame | None = None,
    learn_difficulty: bool = True,
) -> pd.DataFrame:
    """Empirical coverage and median relative width per protocol and method, out of fold
    (:func:`covered_rows`, or its ``covered`` rows when already computed)."""
    if covered is None:
        covered = covered_rows(result, level, folds, seed, learn_difficulty=learn_difficulty)
    grouped = covered.groupby(["protocol", "method"], sort=False)
    return pd.DataFrame(
        {
            "coverage": grouped["covered"].mean() * 100,
            "median_rel_width": grouped["rel_width"].median(),
            "mean_rel_width": grouped["rel_width"].mean(),
            "withheld": grouped["withheld"].mean() * 100,
            "n": grouped.size(),
        }
    ).reset_index()


def subgroup_coverage(
    result: EvaluationResult,
    level: float = 0.9,
    min_rows: int = 100,
    by_group: bool = True,
    seed: int = 0,
    covered: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Coverage, median APE and median width per framework and per accelerator subgroup
    (and method), for subgroups with at least ``min_rows`` held-out rows, worst first
    (from :func:`covered_rows`, or its ``covered`` rows when already computed).

    ``ratio`` is the median width over the median absolute error (both % of the prediction).
    """
    if covered is None:
        covered = covered_rows(result, level, seed=seed, by_group=by_group)
    tables = []
    for column in (c for c in GROUP_COLUMNS if c in covered.columns):
        grouped = covered.groupby(["method", column], sort=False)
        table = pd.DataFrame(
            {
                "coverage": grouped["covered"].mean() * 100,
                "median_ape": grouped["ape"].median(),
                "median_rel_width": grouped["rel_width"].median(),
                "n": grouped.size(),
            }
        ).reset_index()
        tables.append(table.rename(columns={column: "value"}).assign(column=column))
    if not tables:
        return pd.DataFrame(columns=["method", "column", "value", "coverage", "n"])
    out = pd.concat(tables, ignore_index=True)
    out = out[out["n"] >= min_rows]
    out["ratio"] = out["median_rel_width"] / out["median_ape"]
    distance = (out["coverage"] - level * 100).abs()
    return (
        out.assign(off=distance)
        .sort_values("off", ascending=False)
        .drop(columns="off")[
            [
                "method",
                "column",
                "value",
                "coverage",
                "median_ape",
                "median_rel_width",
                "ratio",
                "n",
            ]
        ]
        .reset_index(drop=True)
    )


def format_summary(table: pd.DataFrame) -> str:
    """The summary as an aligned text table for a terminal."""
    shown = table.copy()
    for col in ("median_ape", "p90_ape", "mean_ape"):
        shown[col] = shown[col].map(lambda v: f"{v:.2f}%")
    for col in ("fit_s", "predict_s"):
        shown[col] = shown[col].map(lambda v: f"{v:.2f}")
    return str(shown.to_string(index=False))
