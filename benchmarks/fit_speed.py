"""Fit and predict speed on the shared LLM-Inference-Bench data (prints figures, asserts nothing).

Run: python benchmarks/fit_speed.py

Baseline measured in the same run: a naive loop of scipy.optimize.curve_fit, one call per
(configuration, ii, oo) group with Algorithm 2's initial guess and bounds.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit

from ala.curves import build_database, paper_initial_guess, saturation
from ala.data import load_benchmarks
from ala.datasets import sample_dataset_path
from ala.model import ThroughputModel


def best_of(repeats: int, fn):  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def naive_loop(frame, cols):  # type: ignore[no-untyped-def]
    out = []
    for _, g in frame.groupby([*cols, "ii", "oo"], sort=False):
        bb, y = g["bb"].to_numpy(float), g["thpt"].to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                p, _ = curve_fit(
                    lambda x, a, b, c: saturation(x, a, b, c),
                    bb,
                    y,
                    p0=paper_initial_guess(bb, y),
                    bounds=(0, np.inf),
                    maxfev=5000,
                )
            except (RuntimeError, ValueError):
                p = np.full(3, np.nan)
        out.append(p)
    return out


def main() -> None:
    data = load_benchmarks(sample_dataset_path())
    frame, cols = data.frame, list(data.config_columns)
    t_naive, naive = best_of(1, lambda: naive_loop(frame, cols))
    t_vec, db = best_of(5, lambda: build_database(frame, cols))
    t_default, model = best_of(3, lambda: ThroughputModel("default").fit(data))
    t_paper, paper = best_of(1, lambda: ThroughputModel("paper").fit(data))
    rng = np.random.default_rng(0)
    queries = frame.sample(100_000, replace=True, random_state=0).reset_index(drop=True)
    queries["bb"] = rng.choice([1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128], len(queries))
    queries["ii"] = queries["oo"] = rng.choice(
        [128, 256, 300, 512, 700, 1024, 1500, 2048], len(queries)
    )
    t_pred, pred = best_of(3, lambda: model.predict(queries))
    t_pred_paper, _ = best_of(1, lambda: paper.predict(queries))
    print(f"data: {len(frame)} rows, {len(db)} curves, {len(model.configs_)} configurations")
    print(f"naive curve_fit loop over {len(naive)} curves : {t_naive:8.3f} s")
    print(
        f"vectorised projection fit of {len(db)} curves : {t_vec:8.3f} s   "
        f"speed-up x{t_naive / t_vec:.0f} (target >= 20)"
    )
    print(f"fit whole dataset, method default        : {t_default:8.3f} s   (target < 3 s)")
    print(f"fit whole dataset, method paper          : {t_paper:8.3f} s")
    learned = (pred["source"] == "learned").mean() * 100
    print(
        f"predict 100,000 rows, default            : {t_pred:8.3f} s   (target < 1 s; "
        f"{learned:.0f} % learned curves)"
    )
    print(f"predict 100,000 rows, paper              : {t_pred_paper:8.3f} s")
    big = (
        pd.DataFrame(
            {
                "acc": rng.choice(["A", "B", "C"], 500_000),
                "ii": rng.choice([128, 256, 512, 1024], 500_000),
                "oo": rng.choice([128, 256, 512], 500_000),
                "bb": rng.choice([1, 2, 4, 8, 16, 32, 64], 500_000),
                "thpt": rng.uniform(10, 1000, 500_000),
            }
        )
        .to_csv(index=False)
        .encode()
    )
    t_load, _ = best_of(1, lambda: load_benchmarks(big, name="big.csv"))
    print(f"load + validate a 500,000-row CSV ({len(big) / 1e6:.0f} MB) : {t_load:8.3f} s")

    # Issue 15's wide file: 5,000 extra columns x 32 rows (reported at 293 s before the fix).
    extra = [f"x{i}" for i in range(5000)]
    wide = "\n".join(
        ["acc,ii,oo,bb,thpt," + ",".join(extra)]
        + [f"a,1,1,{b},{b * 10}," + ",".join("1" for _ in extra) for b in range(1, 33)]
    ).encode()
    t_wide, _ = best_of(3, lambda: load_benchmarks(wide, name="wide.csv"))
    print(f"load + validate 5,000 columns x 32 rows   : {t_wide:8.3f} s")


if __name__ == "__main__":
    main()
