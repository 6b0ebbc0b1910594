"""``ThroughputModel``: per-configuration fit, predict, save and load (Algorithms 3-5).

Two methods, chosen by name:

``"paper"``
    Ray et al. faithfully: the parameter database is fitted curve by curve with the paper's
    initial guess and bounded least squares (Algorithm 2); a multi-output XGBoost per
    configuration learns (a, b, c) from the seven length features of Algorithm 3; prediction
    uses the database curve of a benchmarked (ii, oo) and the learned curve otherwise
    (Algorithm 5).
``"default"``
    The same database-or-learned structure, but every curve (benchmarked or not) is a saturation
    curve fitted to measured points and to a physical latency prior corrected by the measured
    residuals of neighbouring lengths (:mod:`ala.prior`). Better at unseen lengths and at batch
    sizes beyond those measured, and still explainable as one curve per (ii, oo).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.configs import ConfigKey, config_dict, config_keys, config_label, make_key
from ala.curves import build_database, fit_projection, saturation
from ala.data import Benchmarks, load_benchmarks
from ala.errors import (
    AlaError,
    DataError,
    ModelFileError,
    UnknownConfigurationError,
    UnknownNameError,
)
from ala.evaluate import (
    WITHHELD_RATIO,
    EvaluationResult,
    calibrate_intervals,
    interval_coverage,
)
from ala.files import write_text
from ala.intervals import (
    NOISE_FLOOR,
    IntervalCalibration,
    apply_interval,
    nearest_distance,
    nearest_points,
)
from ala.latency import LatencyModel, metric_columns
from ala.modelfile import canonical_booster, field, key_values, numbers, require, table
from ala.peaks import Declines, find_peaks, past_peak
from ala.physics import memory_check
from ala.prior import PRIOR_WEIGHT, PriorLearner
from ala.results import CurvePrediction, FitReport

if TYPE_CHECKING:
    import xgboost as xgb

Array = npt.NDArray[np.float64]

FORMAT = "ala.throughput-model"
FORMAT_VERSION = 2
METHODS = ("default", "paper")
PARAMS = ("a", "b", "c")
THROUGHPUT_SOURCES = ("auto", "curve", "latency")
POINT_COLUMNS = ("ii", "oo", "bb", "thpt")
# Predictions above this multiple of a configuration's highest measured throughput are flagged.
ABOVE_MEASURED = 1.25
# An interval whose upper bound exceeds this multiple of its lower bound is not shown.
MAX_INTERVAL_RATIO = WITHHELD_RATIO
DATABASE_COLUMNS = ("config", "ii", "oo", "a", "b", "c", "bb_min", "bb_max", "mape", "status")
# What a saved curve may hold (a fitted b lies in [1e-5, 5]; tokens/s below a trillion).
# Where a prediction comes from, in words, from least to most extrapolated: its situation
# (``database_within``, ``learned_inner``, ...) read for people; unlisted ones extrapolate.
SOURCE_WORDS = ("measured", "interpolated", "extrapolated")
SITUATION_SOURCES = {
    "database_within": "measured",
    "database_below": "interpolated",
    "learned_inner": "interpolated",
}


def source_of(situation: str) -> str:
    """``measured``, ``interpolated`` or ``extrapolated`` for a prediction's situation."""
    return SITUATION_SOURCES.get(situation, "extrapolated")


PARAMETER_RANGES = (
    ("a", 0.0, 1e13),
    ("b", 0.0, 1e3),
    ("c", 0.0, 1e13),
    ("ii", 1e-3, 1e7),
    ("oo", 1e-3, 1e7),
    ("bb_min", 1e-3, 1e6),
    ("bb_max", 1e-3, 1e6),
)


def param_features(ii: npt.ArrayLike, oo: npt.ArrayLike) -> Array:
    """Algorithm 3's features: ii, oo, log(1+ii), log(1+oo), log(1+ii/oo), ii/(oo+1), ii/(ii+1)."""
    ii, oo = np.asarray(ii, float), np.asarray(oo, float)
    return np.column_stack(
        [ii, oo, np.log1p(ii), np.log1p(oo), np.log1p(ii / oo), ii / (oo + 1), ii / (ii + 1)]
    )


class PaperLearner:
    """Multi-output XGBoost from Algorithm 3's features to (a, b, c), for one configuration."""

    def __init__(self, booster: xgb.Booster) -> None:
        self.booster = booster

    @classmethod
    def fit(cls, database: pd.DataFrame, seed: int, n_estimators: int) -> PaperLearner:
        """Fit the multi-output XGBoost on one configuration's database rows."""
        usable = database[database["status"] != "failed"]
        import xgboost as xgb

        reg = xgb.XGBRegressor(
            n_estimators=n_estimators,
            random_state=seed,
            n_jobs=1,
            tree_method="hist",
            multi_strategy="one_output_per_tree",
        )
        reg.fit(param_features(usable["ii"], usable["oo"]), usable[list(PARAMS)].to_numpy(float))
        return cls(reg.get_booster())

    def curves(self, ii: Array, oo: Array) -> Array:
        """Learned (a, b, c) for each (ii, oo), clipped at 0: shape (n, 3)."""
        params = np.asarray(self.booster.inplace_predict(param_features(ii, oo)), float)
        return np.asarray(np.maximum(params.reshape(len(ii), 3), 0.0), float)

    def to_dict(self) -> dict[str, Any]:
        """The booster in XGBoost's own JSON format."""
        return {"xgboost": json.loads(bytes(self.booster.save_raw(raw_format="json")))}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaperLearner:
        """Rebuild from :meth:`to_dict`'s document (never unpickles).

        The booster is validated and rebuilt by :func:`ala.modelfile.canonical_booster`
        first: XGBoost's native loader never sees a document as it was found.
        """
        import xgboost as xgb

        document = canonical_booster(data.get("xgboost"), "learner.xgboost")
        document["version"] = [int(p) for p in re.findall(r"\d+", xgb.__version__)[:3]]
        booster = xgb.Booster()
        try:
            booster.load_model(bytearray(json.dumps(document).encode()))
        except xgb.core.XGBoostError as exc:
            raise ModelFileError(f"learner.xgboost: {str(exc)[:200]}") from None
        return cls(booster)


def anchor_curves(
    learner: PriorLearner, ii: Array, oo: Array, measured: npt.NDArray[np.bool_] | None = None
) -> Array:
    """Fit saturation curves to the prior's anchor points; returns (n, 3) parameters.

    ``measured[i, j]`` marks grid points that are measurements (full weight); the others are
    prior-derived and get :data:`ala.prior.PRIOR_WEIGHT`.
    """
    targets = learner.anchor_points(ii, oo)
    weight = np.full(targets.shape, PRIOR_WEIGHT)
    if measured is not None:
        weight[measured] = 1.0
    bb = np.broadcast_to(learner.grid, targets.shape)
    fits = fit_projection(bb, targets, weight / targets**2)
    return np.column_stack([fits.a, fits.b, fits.c])


class ThroughputModel:
    """Predict throughput for (configuration, ii, oo, bb) from benchmark data.

    Parameters
    ----------
    method
        ``"default"`` or ``"paper"`` (see the module docstring).
    config_columns
        Columns identifying a configuration; default: those found by the loader.
    seed
        Seed of the XGBoost models (method ``paper``).
    n_estimators
        Trees per XGBoost model (method ``paper``).
    throughput_source
        ``"curve"``: throughput from the saturation curves; ``"latency"``: derived from the
        predicted TTFT and TPOT by Little's law, ``bb x (ii + oo) / (ttft + (oo - 1) x tpot)``
        (method ``default``, configurations with both measured); ``"auto"`` (default):
        ``"latency"`` when the data's throughput was itself derived from those latencies
        (e.g. AIConfigurator's runs), ``"curve"`` otherwise. Held out on AIConfigurator, the
        derived throughput has median (p90) APE 4.8 % (27 %) at unseen inner lengths against
        10.8 % (245 %) from the curves; on measured throughput the curves are better.
    """

    def __init__(
        self,
        method: str = "default",
        config_columns: Sequence[str] | None = None,
        seed: int = 0,
        n_estimators: int = 100,
        throughput_source: str = "auto",
    ) -> None:
        self.method = method
        self.config_columns = config_columns
        self.seed = seed
        self.n_estimators = n_estimators
        self.throughput_source = throughput_source

    def get_params(self) -> dict[str, Any]:
        """The constructor's settings, so that calibration and evaluation rebuild this model."""
        return {
            "method": self.method,
            "config_columns": self.config_columns,
            "seed": self.seed,
            "n_estimators": self.n_estimators,
            "throughput_source": getattr(self, "throughput_source_", self.throughput_source),
        }

    # ----------------------------------------------------------------- fitting
    def fit(self, data: Benchmarks | pd.DataFrame, calibrate: bool = False) -> ThroughputModel:
        """Build the parameter database and one parameter learner per configuration.

        Parameters
        ----------
        data
            Validated benchmarks, or a DataFrame (its configuration columns are inferred as
            the loader infers them, unless ``config_columns`` was given).
        calibrate
            Also learn prediction intervals from the out-of-fold residuals of every protocol,
            refitting *this* model's settings on each fold (:mod:`ala.intervals`); the
            held-out accuracy is kept in ``accuracy_``.

        Returns
        -------
        ThroughputModel
            ``self``, fitted.
        """
        if self.method not in METHODS:
            raise UnknownNameError(f"unknown method {self.method!r}; choose one of {METHODS}")
        start = time.perf_counter()
        frame, cols = training_frame(data, self.config_columns)
        self.config_columns_ = cols
        self.column_map_ = dict(data.report.column_map) if isinstance(data, Benchmarks) else {}
        codes, uniques = pd.factorize(config_keys(frame, cols))
        self._set_configs([tuple(k) for k in uniques])
        self.points_ = pd.DataFrame(
            {"config": codes, **{c: frame[c].to_numpy(float) for c in POINT_COLUMNS}}
        )
        peaks = find_peaks(self.points_)
        curve_rows, curve_codes = frame, codes
        if self.method == "default":  # saturation curves fit up to a peak; the decline is measured
            keep = ~past_peak(self.points_, peaks)
            curve_rows, curve_codes = frame[keep], codes[keep]
        self.learners_: list[PaperLearner | PriorLearner] = []
        if self.method == "paper":
            self.database_ = build_database(curve_rows, cols, solver="scipy", weighting="none")
            by_config = self.database_.groupby(self.config_ids(self.database_), sort=True)
            self.learners_ = [
                PaperLearner.fit(rows, self.seed, self.n_estimators) for _, rows in by_config
            ]
        else:
            self.learners_ = [
                PriorLearner.fit(rows) for _, rows in curve_rows.groupby(curve_codes, sort=True)
            ]
            self.database_ = build_database(curve_rows, cols, solver=self._fit_default_curves)
        self.database_.insert(0, "config", self.config_ids(self.database_))
        self._set_peaks(peaks)
        self.config_stats_ = config_stats(self.database_, self.points_)
        self.metric_origins_ = (
            dict(data.report.metrics) if isinstance(data, Benchmarks) else {"thpt": "measured"}
        )
        self.latency_: LatencyModel | None = None
        if metric_columns(frame):
            self.latency_ = LatencyModel(cols).fit(frame)
            if calibrate:
                self.latency_.calibrate(frame, seed=self.seed)
        self.throughput_source_ = self._resolve_throughput_source()
        self.calibration_: IntervalCalibration | None = None
        self.accuracy_: pd.DataFrame | None = None
        if calibrate:
            params = {**self.get_params(), "config_columns": cols}
            self.calibration_, errors = calibrate_intervals(
                frame, lambda: ThroughputModel(**params), config_columns=cols, seed=self.seed
            )
            self.accuracy_ = accuracy_table(errors)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _set_configs(self, keys: list[ConfigKey]) -> None:
        self.configs_: list[ConfigKey] = keys
        self.config_index_ = {key: i for i, key in enumerate(keys)}

    def config_ids(self, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
        """The configuration id (position in ``configs_``) of each row of a canonical frame."""
        index = self.config_index_
        return np.array([index[k] for k in config_keys(frame, self.config_columns_)], np.int64)

    @property
    def labels_(self) -> list[str]:
        """Display labels of ``configs_`` (for people; identities are the keys)."""
        return [config_label(k) for k in self.configs_]

    def config_id(self, config: Mapping[str, object] | ConfigKey) -> int:
        """The id (position in ``configs_``) of a ``{column: value}`` mapping or a key.

        Raises
        ------
        UnknownConfigurationError
            If the configuration was never benchmarked.
        """
        self._check_fitted()
        key = (
            tuple(str(v) for v in config)
            if isinstance(config, tuple)
            else make_key(config, self.config_columns_)
        )
        try:
            return self.config_index_[key]
        except KeyError:
            raise UnknownConfigurationError(
                f"configuration {config_label(key)!r} was never benchmarked"
            ) from None

    def training_frame(self) -> pd.DataFrame:
        """The measured points the model was fitted on, with their configuration columns."""
        self._check_fitted()
        ids = self.points_["config"].to_numpy()
        out = pd.DataFrame(
            {
                c: np.array([k[j] for k in self.configs_], dtype=object)[ids]
                for j, c in enumerate(self.config_columns_)
            }
        )
        for c in POINT_COLUMNS:
            out[c] = self.points_[c].to_numpy(float)
        return out

    def point_counts(self, frame: pd.DataFrame) -> npt.NDArray[np.intp]:
        """Per row of a canonical frame, how many measured points its configuration was
        fitted on (0 for one never benchmarked)."""
        self._check_fitted()
        counts = np.bincount(self.points_["config"].to_numpy(int), minlength=len(self.configs_))
        keys = config_keys(frame, self.config_columns_)
        index = self.config_index_
        return np.array([counts[index[k]] if k in index else 0 for k in keys], np.intp)

    def config_values(self, config: int) -> dict[str, str]:
        """The ``{column: value}`` of configuration id ``config``."""
        return config_dict(self.configs_[config], self.config_columns_)

    def _fit_default_curves(self, groups: pd.DataFrame, bb: Array, y: Array) -> Array:
        params = np.empty((len(groups), 3))
        codes = self.config_ids(groups)
        for code, idx in pd.Series(codes).groupby(codes, sort=False).indices.items():
            learner = self.learners_[int(code)]
            assert isinstance(learner, PriorLearner)
            measured = np.asarray(
                np.isclose(learner.grid[None, :, None], bb[idx][:, None, :]).any(-1), bool
            )
            params[idx] = anchor_curves(
                learner,
                groups["ii"].to_numpy(float)[idx],
                groups["oo"].to_numpy(float)[idx],
                measured,
            )
        return params

    # -------------------------------------------------------------- predicting
    def curves(self, queries: pd.DataFrame) -> pd.DataFrame:
        """Saturation-curve parameters for each row of ``queries`` (configuration, ii, oo).

        Returns a frame aligned with ``queries`` with ``config``, ``a, b, c`` and ``source``:
        ``database`` for a benchmarked (ii, oo) of that configuration, ``learned`` otherwise.

        Raises
        ------
        UnknownConfigurationError
            If a row names a configuration that was not in the training data.
        """
        self._check_fitted()
        cols = list(self.config_columns_)
        missing = [c for c in [*cols, "ii", "oo"] if c not in queries.columns]
        if missing:
            raise DataError(
                f"queries lack column(s) {missing}; the model was fitted on "
                f"configuration columns {cols} plus ii, oo, bb"
            )
        index = self.config_index_
        query_keys = config_keys(queries, cols)
        unknown = list(dict.fromkeys(k for k in query_keys if k not in index))
        if unknown:
            raise UnknownConfigurationError(
                f"configuration {config_dict(unknown[0], cols)} was never benchmarked"
                f"{f' (and {len(unknown) - 1} more)' if len(unknown) > 1 else ''}; "
                f"known configurations over {', '.join(cols) or 'none'} include: "
                f"{'; '.join(self.labels_[:5])}"
            )
        keys = pd.DataFrame(
            {
                "config": np.array([index[k] for k in query_keys], np.int64),
                "ii": queries["ii"].to_numpy(float),
                "oo": queries["oo"].to_numpy(float),
            }
        )
        unique = keys.drop_duplicates(ignore_index=True)
        usable_db = self.database_[self.database_["status"] != "failed"]
        found = unique.merge(
            usable_db[["config", "ii", "oo", *PARAMS, "bb_min", "bb_max"]],
            on=["config", "ii", "oo"],
            how="left",
        )
        found["source"] = np.where(found["a"].notna(), "database", "learned")
        params = found[list(PARAMS)].to_numpy(float, copy=True)
        todo = np.isnan(params[:, 0])
        for code, idx in found[todo].groupby("config", sort=False).indices.items():
            rows = np.flatnonzero(todo)[idx]
            learner = self.learners_[int(code)]
            ii, oo = found["ii"].to_numpy(float)[rows], found["oo"].to_numpy(float)[rows]
            params[rows] = (
                learner.curves(ii, oo)
                if isinstance(learner, PaperLearner)
                else anchor_curves(learner, ii, oo)
            )
        # thpt(0) = c - a >= 0 on every path (database, learned, paper's XGBoost), so no
        # prediction is negative below the measured batch sizes.
        params[:, 0] = np.minimum(params[:, 0], params[:, 2])
        found[list(PARAMS)] = params
        return keys.merge(found, on=["config", "ii", "oo"], how="left")

    def predict(self, queries: pd.DataFrame, interval: float | None = None) -> pd.DataFrame:
        """Predicted throughput for each query row (configuration, ii, oo, bb).

        Returns a copy of ``queries`` in the same order with ``thpt_pred`` (tokens/s),
        ``source``, the curve parameters ``a, b, c``, the ``situation`` of the prediction and
        its configuration's noise ``scale`` (%), the log2 distance to the nearest benchmarked
        point ``nearest_distance`` and ``proximity = 1 / (1 + nearest_distance)``. With
        ``interval`` (e.g. 0.9) it also adds the conformal interval ``thpt_lo, thpt_hi``.

        Raises
        ------
        AlaError
            If ``interval`` is asked of a model that was never calibrated.
        """
        if "bb" not in queries.columns:
            raise DataError("queries lack column 'bb' (batch size)")
        params = self.curves(queries)
        bb = queries["bb"].to_numpy(float)
        out = queries.copy()
        out["thpt_pred"] = saturation(
            bb, params["a"].to_numpy(), params["b"].to_numpy(), params["c"].to_numpy()
        )
        fall, cap, neighbour = self._decline(params, bb)
        if self.method == "default":  # the curve up to the peak, then the measured decline
            out["thpt_pred"] = saturation(
                np.minimum(bb, cap),
                params["a"].to_numpy(),
                params["b"].to_numpy(),
                params["c"].to_numpy(),
            ) * np.exp(fall)
        latency = self._latency_columns(queries, interval)
        if self.throughput_source_ == "latency":  # Little's law from the predicted latencies
            oo = queries["oo"].to_numpy(float)
            e2e_s = (
                latency["ttft_ms_pred"].to_numpy(float)
                + np.maximum(oo - 1, 0) * latency["tpot_ms_pred"].to_numpy(float)
            ) / 1000
            derived = bb * (queries["ii"].to_numpy(float) + oo) / e2e_s
            out["thpt_pred"] = np.where(np.isfinite(derived), derived, out["thpt_pred"])
        out["source"] = params["source"].to_numpy()
        for p in PARAMS:
            out[p] = params[p].to_numpy()
        out["situation"] = self._situation(params, bb)
        out["scale"] = params["config"].map(self.config_stats_["noise"]).to_numpy(float)
        notes = self._identifiability(params["config"].to_numpy(), params, bb)
        out["identified"] = notes == ""
        top = params["config"].map(self.config_stats_["thpt_max"]).to_numpy(float)
        above = out["thpt_pred"].to_numpy(float) > ABOVE_MEASURED * top
        notes = _add_note(
            notes,
            above,
            lambda i: (
                f"above anything measured for this configuration (at most {top[i]:,.0f} tokens/s)"
            ),
        )
        past = bb > cap + 1e-9
        near = ~past & (bb > neighbour + 1e-9)
        out["past_peak"] = past | near
        out["peak_bb"] = np.minimum(cap, neighbour)
        notes = _add_note(
            notes,
            past,
            lambda i: (
                f"past the throughput peak (batch {cap[i]:g}): measured throughput falls at "
                f"higher batch sizes (by {-np.expm1(fall[i]):.0%} here)"
                + ("; predicted from the measured decline" if self.method == "default" else "")
            ),
        )
        notes = _add_note(
            notes,
            near,
            lambda i: (
                f"past the throughput peak of the nearest measured lengths (batch about "
                f"{neighbour[i]:.0f}): this curve does not fall and may over-estimate here"
            ),
        )
        out["note"] = notes
        distance = nearest_distance(self.points_, params.assign(bb=bb))
        out["nearest_distance"] = distance
        out["proximity"] = 1 / (1 + distance)
        if interval is None:
            return _with_columns(out, latency)
        if self.calibration_ is None:
            raise AlaError(
                "this model has no interval calibration: fit it with calibration "
                "(ala fit without --no-calibrate, or model.fit(data, calibrate=True))"
            )
        out = apply_interval(out, self.calibration_, interval)
        # The data cannot say how throughput moves along a factor that never varied: no
        # interval is calibrated for that, so none is given.
        out.loc[~out["identified"].to_numpy(), ["thpt_lo", "thpt_hi"]] = np.nan
        lo, hi = out["thpt_lo"].to_numpy(float), out["thpt_hi"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            absurd = out["identified"].to_numpy() & ~(
                np.isfinite(lo) & np.isfinite(hi) & (lo > 0) & (hi <= MAX_INTERVAL_RATIO * lo)
            )
        # A range wider than 10x is no planning figure: say so instead of printing it.
        out.loc[absurd, ["thpt_lo", "thpt_hi"]] = np.nan
        out["note"] = _add_note(
            out["note"].to_numpy(dtype=object),
            absurd,
            lambda _: (
                f"no reliable interval: the calibrated range would span more than "
                f"{MAX_INTERVAL_RATIO:g}x here (far from the measured points)"
            ),
        )
        return _with_columns(out, latency)

    def _resolve_throughput_source(self) -> str:
        if self.throughput_source not in THROUGHPUT_SOURCES:
            raise UnknownNameError(
                f"unknown throughput source {self.throughput_source!r}; choose one of "
                f"{THROUGHPUT_SOURCES}"
            )
        modelled = set() if self.latency_ is None else set(self.latency_.metrics_)
        possible = self.method == "default" and {"ttft_ms", "tpot_ms"} <= modelled
        if self.throughput_source == "auto":
            derived = throughput_derived(self.metric_origins_)
            return "latency" if possible and derived else "curve"
        return self.throughput_source if possible else "curve"

    def _set_peaks(self, peaks: pd.DataFrame) -> None:
        """The peaked curves (derived from ``points_``) and their declines, read once."""
        self.peaks_ = peaks
        self.declines_ = Declines.build(self.points_, peaks, self.database_)

    def _decline(self, params: pd.DataFrame, bb: Array) -> tuple[Array, Array, Array]:
        """Per query, the log factor (<= 0) of the measured decline past its length's peak,
        that peak and the neighbouring lengths' peak (:meth:`ala.peaks.Declines.apply`)."""
        return self.declines_.apply(
            params["config"].to_numpy(np.int64),
            params["ii"].to_numpy(float),
            params["oo"].to_numpy(float),
            bb,
        )

    def _latency_columns(self, queries: pd.DataFrame, interval: float | None) -> pd.DataFrame:
        """``<metric>_pred`` (and ``_lo/_hi``) of every latency metric modelled, row-aligned
        with ``queries`` (no columns without latency data); NaN for a configuration that
        never measured the metric."""
        if self.latency_ is None:
            return pd.DataFrame(index=range(len(queries)))
        suffixes = ("_pred", *(("_lo", "_hi") if interval is not None else ()))
        columns = [f"{m}{s}" for m in self.latency_.metrics_ for s in suffixes]
        out = pd.DataFrame(np.nan, index=range(len(queries)), columns=columns)
        keys = config_keys(queries, self.config_columns_).to_numpy(dtype=object)
        measured = {k for by in self.latency_.learners_.values() for k in by}
        known = np.flatnonzero([k in measured for k in keys])
        if known.size:
            predicted = self.latency_.predict(queries.iloc[known], interval)
            out.iloc[known] = predicted[columns].to_numpy(float)
        return out

    def _identifiability(
        self, config: npt.NDArray[np.int64], params: pd.DataFrame, bb: Array
    ) -> npt.NDArray[np.object_]:
        """Per row, why the data cannot identify the prediction ('' when it can).

        A factor that never varied in a configuration's data (a single batch size, a single
        length, or ii and oo always in the same ratio) leaves the shape along it to the
        model's assumptions alone; a query that moves along it is marked.
        """
        stats = self.config_stats_
        ii = params["ii"].to_numpy(float)
        oo = params["oo"].to_numpy(float)
        notes = np.full(len(bb), "", dtype=object)
        single_bb = stats["batch_sizes"].reindex(config).to_numpy() == 1
        only_bb = stats["bb_only"].reindex(config).to_numpy(float)
        moved = single_bb & ~np.isclose(bb, only_bb)
        notes[moved] = [
            f"every benchmark of this configuration used batch size {b:g}: how throughput "
            "changes with the batch size is not in the data"
            for b in only_bb[moved]
        ]
        single_len = stats["lengths"].reindex(config).to_numpy() == 1
        same = np.isclose(ii, stats["ii_only"].reindex(config).to_numpy(float)) & np.isclose(
            oo, stats["oo_only"].reindex(config).to_numpy(float)
        )
        other = single_len & ~same
        notes[other & (notes == "")] = (
            "only one input/output length was benchmarked for this configuration: how "
            "throughput changes with length is not in the data"
        )
        ratio = stats["ratio_only"].reindex(config).to_numpy(float)
        on_line = ~stats["ratio_varies"].reindex(config).to_numpy(bool)
        off = on_line & ~single_len & ~np.isclose(ii / oo, ratio)
        notes[off & (notes == "")] = [
            f"input and output lengths always moved together in this configuration's data "
            f"(ii/oo = {r:g}); this query (ii/oo = {q:g}) is off that line"
            for r, q in zip(ratio[off & (notes == "")], (ii / oo)[off & (notes == "")], strict=True)
        ]
        return notes

    def batch_queries(
        self, config: Mapping[str, object] | ConfigKey, ii: float, oo: float, bb: npt.ArrayLike
    ) -> pd.DataFrame:
        """Query rows for one configuration and (ii, oo) over the batch sizes ``bb``."""
        key = self.configs_[self.config_id(config)]
        grid = np.asarray(bb, float)
        return pd.DataFrame(
            {
                **{c: [v] * grid.size for c, v in zip(self.config_columns_, key, strict=True)},
                "ii": float(ii),
                "oo": float(oo),
                "bb": grid,
            }
        )

    def predict_curve(
        self,
        config: Mapping[str, object] | ConfigKey,
        ii: float,
        oo: float,
        bb: Sequence[float] | None = None,
        interval: float | None = None,
    ) -> CurvePrediction:
        """Predict one configuration at (ii, oo) over a batch grid that shows the saturation.

        Parameters
        ----------
        config
            ``{column: value}`` for every configuration column, or a configuration key.
        ii, oo
            Input and output tokens.
        bb
            Batch sizes asked for; they are on the grid and marked in plots. The grid runs
            from 1 to at least twice the largest of them (and 64).

        The frame also says, per batch size, whether weights and KV cache fit in memory
        (``fits_memory``: None where the specs are unknown) and why not (``memory_note``).
        interval
            Interval level (e.g. 0.9); needs a calibrated model.

        Raises
        ------
        AlaError
            For non-positive lengths or batch sizes, or an unknown configuration.
        """
        asked = tuple(float(b) for b in (bb or ()))
        if ii <= 0 or oo <= 0 or any(b <= 0 for b in asked):
            raise AlaError("input tokens, output tokens and batch sizes must be positive")
        key = self.configs_[self.config_id(config)]
        top = max(2 * max(asked, default=32.0), 64.0)
        grid = np.unique(np.concatenate([np.round(np.geomspace(1, top, 60)), asked]))
        queries = self.batch_queries(key, ii, oo, grid)
        frame = self.predict(queries, interval=interval)
        memory = memory_check(frame)  # weights + KV cache against the accelerators' memory
        frame = frame.drop(columns=list(self.config_columns_))
        frame["fits_memory"] = memory["fits_memory"].to_numpy(dtype=object)  # True/False/None
        frame["memory_note"] = memory["memory_note"].to_numpy()
        return CurvePrediction(key, float(ii), float(oo), interval, frame, asked)

    def database_table(self) -> pd.DataFrame:
        """The parameter database with each curve's peak: ``peak_bb`` (the batch size of the
        best measured throughput, NaN for a curve that does not fall after it) and
        ``peak_drop_pct`` (how far the last measured point lies below it)."""
        self._check_fitted()
        peaks = self.peaks_.rename(columns={"bb_peak": "peak_bb", "drop_pct": "peak_drop_pct"})
        return self.database_.merge(
            peaks[["config", "ii", "oo", "peak_bb", "peak_drop_pct"]],
            on=["config", "ii", "oo"],
            how="left",
        )

    def report(self) -> FitReport:
        """A :class:`FitReport` of this fitted model (``seconds`` is NaN after a load)."""
        self._check_fitted()
        status = self.database_["status"].value_counts()
        noise = pd.DataFrame(
            {
                "configuration": self.labels_,
                "curves": self.database_.groupby("config")
                .size()
                .reindex(range(len(self.configs_)), fill_value=0)
                .to_numpy(),
                "noise_pct": self.config_stats_["noise"]
                .reindex(range(len(self.configs_)))
                .to_numpy(),
            }
        )
        return FitReport(
            method=self.method,
            configurations=len(self.configs_),
            curves_ok=int(status.get("ok", 0)),
            curves_poor=int(status.get("poor", 0)),
            curves_underdetermined=int(status.get("underdetermined", 0)),
            curves_failed=int(status.get("failed", 0)),
            calibrated=self.calibration_ is not None,
            seconds=getattr(self, "fit_seconds_", float("nan")),
            noise=noise,
        )

    def nearest(self, queries: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        """The ``k`` benchmarked points nearest each query (see :func:`nearest_points`)."""
        self._check_fitted()
        keys = self.curves(queries)[["config", "ii", "oo"]].assign(bb=queries["bb"].to_numpy(float))
        return nearest_points(self.points_, keys, k=k)

    def _situation(self, params: pd.DataFrame, bb: Array) -> Array:
        stats = self.config_stats_
        q_len = (params["ii"] + params["oo"]).to_numpy(float)
        cfg = params["config"]
        inner = (q_len >= cfg.map(stats["length_min"]).to_numpy(float) - 1e-9) & (
            q_len <= cfg.map(stats["length_max"]).to_numpy(float) + 1e-9
        )
        below = bb < params["bb_min"].to_numpy(float) - 1e-9
        above = bb > params["bb_max"].to_numpy(float) + 1e-9
        database = params["source"].to_numpy() == "database"
        return np.where(
            database,
            np.where(
                below, "database_below", np.where(above, "database_beyond", "database_within")
            ),
            np.where(inner, "learned_inner", "learned_outer"),
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "database_"):
            raise RuntimeError("call fit() or ThroughputModel.load() first")

    # ------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """The model as one JSON-ready document (XGBoost boosters in their own JSON format)."""
        self._check_fitted()
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "method": self.method,
            "settings": {
                "seed": self.seed,
                "n_estimators": self.n_estimators,
                "throughput_source": self.throughput_source_,
            },
            "config_columns": list(self.config_columns_),
            "column_map": self.column_map_,
            "database": {c: self.database_[c].tolist() for c in self.database_.columns},
            "points": {c: self.points_[c].tolist() for c in self.points_.columns},
            "calibration": None if self.calibration_ is None else self.calibration_.to_dict(),
            "accuracy": None
            if self.accuracy_ is None
            else {c: self.accuracy_[c].tolist() for c in self.accuracy_.columns},
            "configs": [
                {"values": list(key), "learner": learner.to_dict()}
                for key, learner in zip(self.configs_, self.learners_, strict=True)
            ],
            "latency": None if self.latency_ is None else self.latency_.to_dict(),
            "metric_origins": self.metric_origins_,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to one JSON file."""
        write_text(path, json.dumps(self.to_dict()))

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<dict>") -> ThroughputModel:
        """Rebuild a model from :meth:`to_dict`'s document; never unpickles anything."""
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ModelFileError(
                f'{source}: not an ala throughput model file (expected "format": "{FORMAT}")'
            )
        if doc.get("version") != FORMAT_VERSION:
            raise ModelFileError(
                f"{source}: model format version {doc.get('version')!r} is not "
                f"supported (this ala reads version {FORMAT_VERSION}); refit "
                "the model with this version"
            )
        try:
            return cls._from_valid_dict(doc, source)
        except ModelFileError as exc:
            raise ModelFileError(f"{source}: damaged model file: {exc}") from None
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
            raise ModelFileError(
                f"{source}: damaged model file ({type(exc).__name__}: {str(exc)[:200]})"
            ) from None

    @classmethod
    def _from_valid_dict(cls, doc: dict[str, Any], source: str) -> ThroughputModel:
        """Validate every field (see :mod:`ala.modelfile`), then rebuild the model."""
        method = field(doc, "method", str, "method")
        require(method in METHODS, "method", f"expected one of {METHODS}")
        settings = field(doc, "settings", dict, "settings")
        seed = field(settings, "seed", int, "settings")
        n_estimators = field(settings, "n_estimators", int, "settings")
        columns = field(doc, "config_columns", list, "config_columns")
        require(all(isinstance(c, str) for c in columns), "config_columns", "expected text")
        column_map = field(doc, "column_map", dict, "column_map")
        require(all(isinstance(v, str) for v in column_map.values()), "column_map", "expected text")
        configs = field(doc, "configs", list, "configs")
        require(0 < len(configs) <= 1_000_000, "configs", "expected at least one configuration")
        keys = []
        for i, entry in enumerate(configs):
            keys.append(key_values(entry, columns, f"configs[{i}]"))
        require(len(set(keys)) == len(keys), "configs", "a configuration appears twice")
        table(doc.get("database"), "database", DATABASE_COLUMNS, text=("status", "message"))
        table(doc.get("points"), "points", ("config", *POINT_COLUMNS))
        for name in ("database", "points"):
            ids = doc[name]["config"]
            require(
                all(isinstance(c, int) and 0 <= c < len(keys) for c in ids),
                f"{name}.config",
                "expected configuration ids",
            )
        source = settings.get("throughput_source", "curve")
        require(source in THROUGHPUT_SOURCES[1:], "settings.throughput_source", "unknown")
        model = cls(method, list(columns), seed, n_estimators, source)
        model.throughput_source_ = source
        model.config_columns_ = tuple(columns)
        model.column_map_ = dict(column_map)
        model.database_ = pd.DataFrame(doc["database"])
        _check_curve_owners(model.database_, keys, columns)
        model.points_ = pd.DataFrame(doc["points"])
        points = model.points_[list(POINT_COLUMNS)].to_numpy(float)
        require(
            bool(np.all((points > 0) & (points <= 1e12))), "points", "expected plausible values"
        )
        for name, low, high in PARAMETER_RANGES:
            values = model.database_[name].to_numpy(float)
            require(
                bool(np.all((values >= low) & (values <= high))),
                f"database.{name}",
                f"expected finite values in [{low:g}, {high:g}]",
            )
        model.config_stats_ = config_stats(model.database_, model.points_)
        model._set_peaks(find_peaks(model.points_))
        calibration = doc.get("calibration")
        model.calibration_ = None
        if calibration is not None:
            require(isinstance(calibration, dict), "calibration", "expected an object")
            scores = {str(k): numbers(v, f"calibration.{k}") for k, v in calibration.items()}
            model.calibration_ = IntervalCalibration.from_dict(scores)
        accuracy = doc.get("accuracy")
        model.accuracy_ = None
        if accuracy is not None:
            require(isinstance(accuracy, dict), "accuracy", "expected an object")
            model.accuracy_ = pd.DataFrame(accuracy)
        latency = doc.get("latency")
        model.latency_ = None if latency is None else LatencyModel.from_dict(latency, columns)
        if model.latency_ is not None:
            unknown = {k for by in model.latency_.learners_.values() for k in by} - set(keys)
            require(not unknown, "latency.learners", "a configuration the model does not have")
        origins = doc.get("metric_origins") or {"thpt": "measured"}
        require(
            isinstance(origins, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in origins.items()),
            "metric_origins",
            "expected text",
        )
        model.metric_origins_ = dict(origins)
        learner_cls = PaperLearner if method == "paper" else PriorLearner
        model._set_configs(keys)
        model.learners_ = [
            learner_cls.from_dict(field(c, "learner", dict, f"configs[{i}]"))
            for i, c in enumerate(configs)
        ]
        return model

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ThroughputModel:
        """Read a model saved by :meth:`save`."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise ModelFileError(f"{path}: not an ala model file (not UTF-8 text)") from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelFileError(f"{path}: not an ala model file (invalid JSON: {exc})") from None
        except RecursionError:
            raise ModelFileError(f"{path}: not an ala model file (nested too deeply)") from None
        return cls.from_dict(doc, source=str(path))


def _check_curve_owners(
    database: pd.DataFrame, keys: Sequence[tuple[str, ...]], columns: Sequence[str]
) -> None:
    """Each database curve belongs to the configuration its settings name, once per length:
    a tampered id would give a configuration two curves at one length (and predict one
    answer per curve) or another configuration's curve."""
    ids = database["config"].to_numpy(int)
    for j, column in enumerate(columns):
        if column not in database:
            continue
        owner = np.asarray([keys[i][j] for i in ids], dtype=object)
        wrong = np.flatnonzero(database[column].astype(str).to_numpy(object) != owner)
        if wrong.size:
            row = int(wrong[0])
            raise ModelFileError(
                f"database.config: row {row} names configuration {ids[row]}, whose {column} "
                f"is {owner[row]!r}, not the row's {database[column].iloc[row]!r}"
            )
    repeated = np.flatnonzero(database.duplicated(["config", "ii", "oo"]).to_numpy())
    if repeated.size:
        row = int(repeated[0])
        raise ModelFileError(
            f"database.config: row {row} repeats the curve that configuration {ids[row]} "
            "already has at its length"
        )


def throughput_derived(origins: Mapping[str, str]) -> bool:
    """Whether a dataset's throughput was derived from its latencies (its load report's
    ``metrics``), which is when ``throughput_source="auto"`` predicts it from them."""
    return origins.get("thpt", "measured").startswith("derived")


def throughput_source_for(data: Benchmarks) -> str:
    """The throughput source a model fitted on ``data`` chooses by itself (``"latency"`` or
    ``"auto"``), for estimators that only see plain frames (evaluation folds)."""
    return "latency" if throughput_derived(data.report.metrics) else "auto"


def _with_columns(out: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """``out`` with the row-aligned columns of ``extra`` added."""
    for column in extra.columns:
        out[column] = extra[column].to_numpy()
    return out


def _add_note(
    notes: npt.NDArray[np.object_], where: npt.NDArray[np.bool_], text: Callable[[int], str]
) -> npt.NDArray[np.object_]:
    """Append ``text(i)`` to ``notes[i]`` where ``where[i]`` (joined with '; ').

    The text is built for the flagged rows only: predict is a hot path.
    """
    out = np.asarray(notes, dtype=object).copy()
    for i in (int(k) for k in np.flatnonzero(where)):
        out[i] = f"{out[i]}; {text(i)}" if out[i] else text(i)
    return out


def config_stats(database: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: benchmarked length range (ii + oo), curve noise (%), and what varied.

    The noise is the median APE of its fully determined curves (of all curves if none is),
    at least :data:`ala.intervals.NOISE_FLOOR`; it scales the conformal intervals.
    ``batch_sizes`` and ``lengths`` count distinct measured values (``bb_only`` is the batch
    size when there is one); ``ratio_varies`` says whether ii/oo took more than one value.
    """
    by_points = points.groupby("config")
    ratio = (points["ii"] / points["oo"]).round(9).groupby(points["config"])
    by = database.groupby("config")
    length = database["ii"] + database["oo"]
    ok = database[database["status"].isin(["ok", "poor"])].groupby("config")["mape"].median()
    noise = ok.reindex(by.size().index).fillna(by["mape"].median())
    return pd.DataFrame(
        {
            "length_min": length.groupby(database["config"]).min(),
            "length_max": length.groupby(database["config"]).max(),
            "noise": noise.fillna(NOISE_FLOOR).clip(lower=NOISE_FLOOR),
            "batch_sizes": by_points["bb"].nunique(),
            "thpt_max": by_points["thpt"].max(),
            "bb_only": by_points["bb"].first(),
            "lengths": (points["ii"].astype(str) + "," + points["oo"].astype(str))
            .groupby(points["config"])
            .nunique(),
            "ii_only": by_points["ii"].first(),
            "oo_only": by_points["oo"].first(),
            "ratio_varies": ratio.nunique() > 1,
            "ratio_only": ratio.first(),
        }
    )


def accuracy_table(errors: pd.DataFrame, level: float = 0.9) -> pd.DataFrame:
    """Held-out accuracy and interval coverage per protocol, from calibration's residuals."""
    timings = pd.DataFrame(columns=["protocol", "method", "fit_s", "predict_s", "folds"])
    result = EvaluationResult(errors, timings, pd.DataFrame())
    summary = result.summary().drop(columns=["method", "fit_s", "predict_s", "folds"])
    coverage = interval_coverage(result, level).drop(columns=["method", "n"])
    return summary.merge(coverage, on="protocol", how="left")


def training_frame(
    data: Benchmarks | pd.DataFrame, config_columns: Sequence[str] | None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The canonical rows and configuration columns a model trains on.

    A plain DataFrame without ``config_columns`` is read as the loader reads a file (aliases
    resolved, configuration columns inferred), so an ``acc`` column is never silently ignored.
    """
    if isinstance(data, Benchmarks):
        frame, cols = data.frame, data.config_columns
    elif config_columns is None:
        loaded = load_benchmarks(data, duplicates="keep", on_bad_rows="raise", name="<frame>")
        frame, cols = loaded.frame, loaded.config_columns
    else:
        frame, cols = data, ()
    if config_columns is not None:
        cols = tuple(config_columns)
    missing = [c for c in [*cols, "ii", "oo", "bb", "thpt"] if c not in frame.columns]
    if missing:
        raise DataError(f"training data lacks column(s) {missing}")
    frame = frame.copy()
    for c in cols:
        frame[c] = frame[c].astype(str)
    return frame, tuple(cols)
