"""Accuracy of every method under the paper's protocols on the shared data (prints figures).

Run: python benchmarks/accuracy.py   (about 3 minutes on 2 cores)
"""

from __future__ import annotations

from ala.data import load_benchmarks
from ala.datasets import sample_dataset_path
from ala.evaluate import PROTOCOLS, format_summary
from ala.service import compare


def main() -> None:
    result = compare(load_benchmarks(sample_dataset_path()), protocols=PROTOCOLS, level=0.9)
    table = result.summary
    print(format_summary(table.drop(columns=["coverage", "median_rel_width", "mean_rel_width"])))
    print("\n90 % interval coverage (target 85-95 %) and median relative width:")
    shown = table.dropna(subset=["coverage"])[
        ["protocol", "method", "coverage", "median_rel_width", "mean_rel_width"]
    ]
    print(shown.to_string(index=False, float_format="%.2f"))
    print("\ndefault's median APE against the best baseline (lower is better):")
    for protocol, rows in table.groupby("protocol", sort=False):
        by_method = rows.set_index("method")["median_ape"]
        best = by_method.drop("default").idxmin()
        print(
            f"  {protocol:12s} default {by_method['default']:5.2f} %   best other "
            f"{best} {by_method[best]:5.2f} %   ratio {by_method['default'] / by_method[best]:.2f}"
        )


if __name__ == "__main__":
    main()
