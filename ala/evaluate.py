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

Models are per configuration, so fold ``f`` holds out, in every configuration at once, the
length of rank ``f`` (say); this is the same as separate per-configuration folds but needs far
fewer fits. Only configurations with held-out rows in a fold are trained in that fold.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ala.baselines import METHOD_NAMES, make_method
from ala.data import Benchmarks, config_labels
from ala.errors import DataError

PROTOCOLS = ("loo_inner", "loo_extreme", "max_batch", "kfold")
# The three protocols of the paper's comparison (kfold is extra).
PAPER_PROTOCOLS = ("loo_inner", "loo_extreme", "max_batch")


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
) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(fold name, boolean mask of held-out rows)`` for one protocol."""
    labels = config_labels(frame, config_columns).to_numpy()
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
            for f in range(1, int(np.nanmax(n, initial=0)) - 1):
                mask = (r == f) & (r < n - 1)
                if mask.any():
                    yield f"rank{f}", mask
        else:
            yield "shortest", r == 0
            yield "longest", r == n - 1
    elif protocol == "max_batch":
        bb = pd.Series(frame["bb"].to_numpy(float))
        by = bb.groupby(labels)
        enough = by.transform("nunique").to_numpy() >= 3
        yield "largest", enough & (bb.to_numpy() == by.transform("max").to_numpy())
    elif protocol == "kfold":
        fold = np.random.default_rng(seed).permutation(len(frame)) % k
        for f in range(k):
            yield f"fold{f}", fold == f
    else:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")


def evaluate(
    data: Benchmarks | pd.DataFrame,
    methods: Sequence[str] = METHOD_NAMES,
    protocols: Sequence[str] = PROTOCOLS,
    config_columns: Sequence[str] | None = None,
    k: int = 5,
    seed: int = 0,
) -> EvaluationResult:
    """Run every method under every protocol; seeded and reproducible.

    Parameters
    ----------
    data
        Validated benchmarks (or a canonical frame with ``config_columns``).
    methods
        Names from :data:`ala.baselines.METHOD_NAMES`.
    protocols
        Names from :data:`PROTOCOLS`.
    k, seed
        Folds and seed of ``kfold``; ``seed`` also seeds every method.
    """
    frame = data.frame if isinstance(data, Benchmarks) else data
    cols = tuple(
        config_columns
        if config_columns is not None
        else (data.config_columns if isinstance(data, Benchmarks) else ())
    )
    for name in methods:
        make_method(name)  # fail early on a typo
    frame = frame.reset_index(drop=True)
    labels = config_labels(frame, cols).to_numpy()
    errors, timings, skipped = [], [], []
    for protocol in protocols:
        folds = list(protocol_folds(frame, cols, protocol, k=k, seed=seed))
        fit_s = dict.fromkeys(methods, 0.0)
        predict_s = dict.fromkeys(methods, 0.0)
        for fold, test_mask in folds:
            trained = set(labels[~test_mask])
            predictable = test_mask & np.isin(labels, list(trained))
            if (test_mask & ~predictable).any():
                skipped.append(
                    {
                        "protocol": protocol,
                        "fold": fold,
                        "rows": int((test_mask & ~predictable).sum()),
                    }
                )
            if not predictable.any():
                continue
            wanted = np.isin(labels, list(set(labels[predictable])))
            train, test = frame[wanted & ~test_mask], frame[predictable]
            for name in methods:
                start = time.perf_counter()
                model = make_method(name, config_columns=cols, seed=seed).fit(train)
                mid = time.perf_counter()
                predicted = model.predict(test)
                pred = predicted["thpt_pred"].to_numpy(float)
                fit_s[name] += mid - start
                predict_s[name] += time.perf_counter() - mid
                actual = test["thpt"].to_numpy(float)
                errors.append(
                    pd.DataFrame(
                        {
                            "protocol": protocol,
                            "method": name,
                            "fold": fold,
                            "config": labels[predictable],
                            "ii": test["ii"].to_numpy(float),
                            "oo": test["oo"].to_numpy(float),
                            "bb": test["bb"].to_numpy(float),
                            "thpt": actual,
                            "thpt_pred": pred,
                            "ape": np.abs(pred - actual) / actual * 100,
                            "situation": predicted.get(
                                "situation", pd.Series(None, index=predicted.index, dtype=object)
                            ).to_numpy(),
                            "scale": predicted.get(
                                "scale", pd.Series(np.nan, index=predicted.index)
                            ).to_numpy(float),
                        }
                    )
                )
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
            "no protocol produced a held-out row: the data needs >= 3 lengths or "
            ">= 3 batch sizes in some configuration"
        )
    return EvaluationResult(
        errors=pd.concat(errors, ignore_index=True),
        timings=pd.DataFrame(timings),
        skipped=pd.DataFrame(skipped, columns=["protocol", "fold", "rows"]),
    )


def format_summary(table: pd.DataFrame) -> str:
    """The summary as an aligned text table for a terminal."""
    shown = table.copy()
    for col in ("median_ape", "p90_ape", "mean_ape"):
        shown[col] = shown[col].map(lambda v: f"{v:.2f}%")
    for col in ("fit_s", "predict_s"):
        shown[col] = shown[col].map(lambda v: f"{v:.2f}")
    return shown.to_string(index=False)
