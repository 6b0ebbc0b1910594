"""Accuracy of every method under every hold-out protocol (prints figures; not a test).

Part 1: LLM-Inference-Bench (bundled), every protocol except ``off_diagonal`` (all its lengths
have ii = oo). Part 2: the SplitwiseSim profiles (bundled; ii and oo vary independently, so
``off_diagonal`` applies), throughput derived as bb * (ii + oo) / e2e_time.

Run: python benchmarks/accuracy.py   (about 10 minutes on 2 cores)
"""

from __future__ import annotations

import pandas as pd

from ala.data import Benchmarks, load_benchmarks
from ala.datasets import bundled_path, sample_dataset_path
from ala.evaluate import PROTOCOLS, format_summary
from ala.service import ALL_METHODS, compare

BASELINES = [m for m in ALL_METHODS if m not in ("default", "paper")]
COVERAGE = ["protocol", "method", "coverage", "median_rel_width", "withheld"]


def splitwise() -> Benchmarks:
    """SplitwiseSim's measured runs as a benchmark table (repeats averaged by the loader)."""
    raw = pd.read_csv(bundled_path("splitwise-perf-model", "perf_model.csv"))
    frame = pd.DataFrame(
        {
            "model": raw["model"],
            "acc": raw["hardware"],
            "acc_count": raw["tensor_parallel"],
            "ii": raw["prompt_size"],
            "oo": raw["token_size"],
            "bb": raw["batch_size"],
            "thpt": raw["batch_size"]
            * (raw["prompt_size"] + raw["token_size"])
            / (raw["e2e_time"] / 1000),
        }
    )
    return load_benchmarks(frame, name="splitwise perf_model.csv")


def report(name: str, data: Benchmarks, protocols: list[str]) -> None:
    result = compare(data, ALL_METHODS, protocols, level=0.9)
    table = result.summary
    print(f"\n=== {name}: {data.report.rows_kept} rows, {len(data.config_columns)} config columns")
    print(format_summary(table.drop(columns=[*COVERAGE[2:], "mean_rel_width"])))
    print(
        "\n90 % interval coverage (target 85-95 %), relative width (% of the prediction) and "
        "the share of intervals withheld as wider than 10x (%); calibrated on the protocols "
        "a fitted model calibrates on:"
    )
    print(table.dropna(subset=["coverage"])[COVERAGE].to_string(index=False, float_format="%.2f"))
    print("\ndefault's median APE against the strongest baseline (ratio < 1: default wins):")
    for protocol, rows in table.groupby("protocol", sort=False):
        by_method = rows.set_index("method")["median_ape"]
        best = by_method[BASELINES].idxmin()
        print(
            f"  {protocol:12s} default {by_method['default']:6.2f} %   paper "
            f"{by_method['paper']:6.2f} %   best baseline {best} {by_method[best]:6.2f} %   "
            f"ratio {by_method['default'] / by_method[best]:.2f}"
        )


def main() -> None:
    on_diagonal = [p for p in PROTOCOLS if p != "off_diagonal"]
    report("LLM-Inference-Bench", load_benchmarks(sample_dataset_path()), on_diagonal)
    report("SplitwiseSim profiles", splitwise(), list(PROTOCOLS))


if __name__ == "__main__":
    main()
