"""Conditional coverage (issue 12): do the 90 % intervals hold per framework, per accelerator and
per protocol, not only overall?

For LLM-Inference-Bench, AIConfigurator's measured runs and InferenceX's ``vllm bench serve``
files, the default method's out-of-fold intervals (configurations split into five groups, each
calibrated on the others) under two calibrations measured in the same run:

``situation``
    the previous default: scores normalised by each configuration's curve noise, Mondrian by
    the situation of the prediction only;
``mondrian``
    the same, each row widened or narrowed by its framework's and accelerator's factors
    (geometric mean), shrunk toward 1 for small subgroups (:mod:`ala.intervals`);
``difficulty``
    the default: Mondrian, with scores normalised by a learned difficulty (curve noise, log2
    distance to the nearest measured point, situation; learned from 20 configurations or more,
    so InferenceX's three keep the noise alone).

Printed: what width / median APE an exactly calibrated interval reaches for uniform, normal
and Laplace errors (the floor under the issue's target of 3); coverage, median width and their
ratio per protocol; per subgroup with at least 100 held-out rows,
coverage, median APE, median width and their ratio; the worst subgroup; how many subgroups lie
within the 85-95 % target.

Run: python benchmarks/coverage.py     (about 1 minute on 2 cores)
"""

from __future__ import annotations

import pandas as pd
from aiconfigurator import INFERENCEX, SILICON
from scipy import stats

from ala.data import Benchmarks, load_benchmarks
from ala.datasets import sample_dataset_path
from ala.evaluate import CALIBRATION_PROTOCOLS, covered_rows, evaluate, subgroup_coverage
from ala.importers import load_any
from ala.methods import factories
from ala.model import throughput_source_for

LEVEL = 0.9
FLOOR_DISTRIBUTIONS = {
    "uniform": stats.uniform(-1, 2),
    "normal": stats.norm,
    "Laplace": stats.laplace,
}


def datasets() -> dict[str, Benchmarks]:
    return {
        "LLM-Inference-Bench": load_benchmarks(sample_dataset_path()),
        "AIConfigurator agg": load_any(SILICON),
        "InferenceX vllm bench": load_any(INFERENCEX, {"back": "vLLM"}),
    }


def width_floor(distribution: stats.rv_continuous, level: float = LEVEL) -> float:
    """Width over median absolute error of the exact ``level`` interval of zero-centred
    symmetric errors from ``distribution``: what a method that knew every row's error scale
    would reach."""
    tail = (1 - level) / 2
    return float((distribution.ppf(1 - tail) - distribution.ppf(tail)) / distribution.ppf(0.75))


def main() -> None:
    pd.set_option("display.width", 200)
    floors = {name: width_floor(d) for name, d in FLOOR_DISTRIBUTIONS.items()}
    print(
        "Width / median APE of an exactly calibrated 90 % interval, scale known, for "
        + ", ".join(f"{name} errors {floor:.1f}" for name, floor in floors.items())
        + ": the target (3) is within reach of the half-width only."
    )
    for name, data in datasets().items():
        source = throughput_source_for(data)
        methods = factories(["default"], data.config_columns, 0, "thpt", source)
        result = evaluate(data, methods, CALIBRATION_PROTOCOLS)
        print(f"\n{name}: {len(result.errors)} held-out predictions")
        calibrations = (("situation", False, False), ("mondrian", True, False))
        for label, by_group, learn in (*calibrations, ("difficulty", True, True)):
            rows = covered_rows(result, LEVEL, by_group=by_group, learn_difficulty=learn)
            per_protocol = rows.groupby("protocol", sort=False).agg(
                coverage=("covered", "mean"), width=("rel_width", "median"), ape=("ape", "median")
            )
            protocols = ", ".join(
                f"{p} {r.coverage * 100:.1f}% ({r.width:.0f}%, ratio {r.width / r.ape:.1f})"
                for p, r in per_protocol.iterrows()
            )
            groups = subgroup_coverage(result, LEVEL, covered=rows)
            inside = ((groups["coverage"] >= 85) & (groups["coverage"] <= 95)).sum()
            print(
                f"  {label:9s}: overall {rows['covered'].mean() * 100:.1f}%, median width "
                f"{rows['rel_width'].median():.1f}%, median APE {rows['ape'].median():.2f}% "
                f"(ratio {rows['rel_width'].median() / rows['ape'].median():.1f}, half-width "
                f"{rows['rel_width'].median() / 2 / rows['ape'].median():.1f}); "
                f"subgroups within 85-95 %: {inside} of {len(groups)}"
            )
            print(f"    per protocol (coverage, median width, ratio): {protocols}")
            if len(groups):
                worst = groups.iloc[0]
                print(
                    f"    worst subgroup: {worst['column']} = {worst['value']}: "
                    f"{worst['coverage']:.1f}% (n = {int(worst['n'])})"
                )
                print(groups.drop(columns="method").round(2).to_string(index=False))


if __name__ == "__main__":
    main()
