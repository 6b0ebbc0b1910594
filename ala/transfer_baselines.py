"""Yardsticks for transfer to unseen configurations, measured beside :mod:`ala.transfer`.

* ``global_xgboost``: one XGBoost over all configurations on spec features (bandwidth, compute,
  memory and count of the accelerators; parameters, weight and KV bytes of the model),
  categorical attributes and log (ii, oo, bb); the learned-everything approach.
* ``roofline``: the specs alone, no fitted efficiency, as analytical tools (LLM-Viewer, GenZ)
  do: prefill at peak compute, then per decode step the larger of reading weights and KV cache
  at peak bandwidth and the step's FLOPs at peak compute.
* ``sibling_bandwidth``: the nearest measured sibling's curve, scaled by the ratio of memory
  bandwidth per parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ala.configs import config_keys
from ala.data import Benchmarks, infer_config_columns
from ala.physics import Deployment
from ala.specs import Catalogue, SpecError
from ala.transfer import TransferModel, sibling_log_thpt


def _columns(data: Benchmarks | pd.DataFrame, requested: Sequence[str] | None) -> tuple[str, ...]:
    if requested is not None:
        return tuple(requested)
    if isinstance(data, Benchmarks):
        return data.config_columns
    return infer_config_columns(data)


def _frame(data: Benchmarks | pd.DataFrame) -> pd.DataFrame:
    return data.frame if isinstance(data, Benchmarks) else data


def spec_features(
    frame: pd.DataFrame, cols: Sequence[str], specs: Catalogue | None
) -> pd.DataFrame:
    """Numeric spec features per row (NaN where a spec is missing)."""
    names = (
        "log_bw",
        "log_flops",
        "log_memory",
        "log_count",
        "log_params",
        "log_weights",
        "log_kv",
    )
    out = np.full((len(frame), len(names)), np.nan)
    for key, rows in frame.groupby(config_keys(frame, cols), sort=False).indices.items():
        try:
            d = Deployment.of(dict(zip(cols, key, strict=True)), specs)
            values = [
                np.log(d.accelerator.need("memory_bw_tbs") * d.count),
                np.log(d.accelerator.peak_tflops(d.precision) * d.count),
                np.log(d.memory_gb) if d.accelerator.memory_gb else np.nan,
                np.log(d.count),
                np.log(d.model.active_params()),
                np.log(d.model.weight_bytes(d.precision)),
                np.log(d.model.kv_bytes_per_token(d.precision)),
            ]
        except SpecError:  # a baseline makes do without specs: NaN features
            continue
        out[rows] = values
    return pd.DataFrame(out, columns=list(names), index=frame.index)


class GlobalXGBoost:
    """One XGBoost model of log throughput over all configurations."""

    def __init__(
        self,
        config_columns: Sequence[str] | None = None,
        specs: Catalogue | None = None,
        seed: int = 0,
    ) -> None:
        self.config_columns = config_columns
        self.specs = specs
        self.seed = seed

    def _design(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Spec features, categorical attributes (unseen values missing) and log lengths."""
        x = spec_features(frame, self.cols_, self.specs)
        for col in self.cols_:
            values = frame[col].astype(str)
            known = values.where(values.isin(self.categories_[col]))  # unseen -> missing
            x[f"cat_{col}"] = pd.Categorical(known, categories=self.categories_[col])
        for col in ("ii", "oo", "bb"):
            x[f"log_{col}"] = np.log(frame[col].to_numpy(float))
        return x

    def fit(self, data: Benchmarks | pd.DataFrame) -> GlobalXGBoost:
        """Fit log throughput on every measured row."""
        import xgboost as xgb

        frame = _frame(data)
        self.cols_ = _columns(data, self.config_columns)
        self.categories_ = {c: sorted(frame[c].astype(str).unique()) for c in self.cols_}
        self.model_ = xgb.XGBRegressor(
            n_estimators=400,
            max_depth=6,
            learning_rate=0.05,
            enable_categorical=True,
            tree_method="hist",
            random_state=self.seed,
            n_jobs=1,
        ).fit(self._design(frame), np.log(frame["thpt"].to_numpy(float)))
        return self

    def predict(self, queries: pd.DataFrame) -> pd.DataFrame:
        """``thpt_pred`` per query row."""
        pred = np.exp(self.model_.predict(self._design(queries)))
        return pd.DataFrame({"thpt_pred": pred}, index=queries.index)

    def get_params(self) -> dict[str, Any]:
        """The constructor's settings."""
        return {"config_columns": self.config_columns, "specs": self.specs, "seed": self.seed}


class Roofline:
    """Throughput from the specs alone, at peak compute and bandwidth (nothing fitted)."""

    def __init__(
        self, config_columns: Sequence[str] | None = None, specs: Catalogue | None = None
    ) -> None:
        self.config_columns = config_columns
        self.specs = specs

    def fit(self, data: Benchmarks | pd.DataFrame) -> Roofline:
        """Nothing to learn: only the configuration columns are kept."""
        self.cols_ = _columns(data, self.config_columns)
        return self

    def predict(self, queries: pd.DataFrame) -> pd.DataFrame:
        """``thpt_pred`` per query row, from the specs alone."""
        pred = np.full(len(queries), np.nan)
        for key, rows in queries.groupby(
            config_keys(queries, self.cols_), sort=False
        ).indices.items():
            d = Deployment.of(dict(zip(self.cols_, key, strict=True)), self.specs)
            part = queries.iloc[rows]
            ii, oo, bb = (part[c].to_numpy(float) for c in ("ii", "oo", "bb"))
            t = d.terms()  # overhead, prefill/token, weights/step, compute/token, kv/token/step
            step = np.maximum(t[2] + bb * (ii + oo / 2) * t[4], bb * t[3])
            pred[rows] = bb * (ii + oo) / (bb * ii * t[1] + oo * step)
        return pd.DataFrame({"thpt_pred": pred}, index=queries.index)

    def get_params(self) -> dict[str, Any]:
        """The constructor's settings."""
        return {"config_columns": self.config_columns, "specs": self.specs}


class SiblingBandwidth:
    """The nearest measured sibling's curve x (bandwidth per parameter) ratio."""

    def __init__(
        self, config_columns: Sequence[str] | None = None, specs: Catalogue | None = None
    ) -> None:
        self.config_columns = config_columns
        self.specs = specs

    def fit(self, data: Benchmarks | pd.DataFrame) -> SiblingBandwidth:
        """Fit each configuration's curve (the transfer model's per-configuration part)."""
        # The transfer model's per-configuration fits, without its learned settings.
        self.pool_ = TransferModel(self.config_columns, self.specs)
        self.pool_.fit_configurations(data)
        return self

    def predict(self, queries: pd.DataFrame) -> pd.DataFrame:
        """``thpt_pred`` per query row from the nearest sibling, scaled."""
        pool = self.pool_
        cols = pool.config_columns_
        pred = np.full(len(queries), np.nan)
        for key, rows in queries.groupby(config_keys(queries, cols), sort=False).indices.items():
            values = dict(zip(cols, key, strict=True))
            target = Deployment.of(values, self.specs)
            best = min(
                pool.siblings_,
                key=lambda i: (
                    sum(values[c] != pool.measured_[i].values[c] for c in cols),
                    -len(pool.measured_[i].points),
                    i,
                ),
            )
            sibling = pool.measured_[best]
            near = Deployment.of(sibling.values, self.specs)
            ratio = _bandwidth_per_parameter(target) / _bandwidth_per_parameter(near)
            part = queries.iloc[rows]
            pred[rows] = np.exp(sibling_log_thpt(sibling.learner, np.zeros(5), part)) * ratio
        return pd.DataFrame({"thpt_pred": pred}, index=queries.index)

    def get_params(self) -> dict[str, Any]:
        """The constructor's settings."""
        return {"config_columns": self.config_columns, "specs": self.specs}


def _bandwidth_per_parameter(d: Deployment) -> float:
    return d.accelerator.need("memory_bw_tbs") * d.count / d.model.need("total_params_b")
