"""Transfer to configurations never benchmarked (issue 9): accuracy, intervals and speed.

For each leave-one-attribute-out protocol on LLM-Inference-Bench and on AIConfigurator's
measured serving runs (H100, H200, B200, GB200; throughput derived as in
``benchmarks/aiconfigurator.py``), the transfer model beside
three baselines measured in the same run (a global XGBoost on spec features, a pure roofline
from the specs, the nearest sibling scaled by bandwidth per parameter): median and p90 APE,
their ratio to the best baseline (target <= 0.7), and the coverage and median relative width
of the transfer model's 90 % intervals (target 85-95 %). Then the same with 1, 3 and 5
measurements of each held-out configuration given (few-shot), and the speed targets: fitting
on the whole bundled dataset (< 5 s) and predicting 10,000 rows of unseen configurations
(< 1 s).

Run: python benchmarks/transfer.py            (about 25 minutes on 2 cores)
     python benchmarks/transfer.py --quick    (model and accelerator only, no shots)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from aiconfigurator import aiconfigurator_frame

from ala.data import load_benchmarks
from ala.datasets import sample_dataset_path
from ala.transfer import TransferModel
from ala.transfer_eval import TRANSFER_METHODS, evaluate_transfer

PROTOCOLS = ("leave_model_out", "leave_acc_out", "leave_count_out", "leave_framework_out")
# LLM-Inference-Bench has no precision column; AIConfigurator has (bf16, fp8, fp4, int4).
AIC_PROTOCOLS = (*PROTOCOLS, "leave_precision_out")


def accuracy(
    protocols: tuple[str, ...],
    shots: tuple[int, ...],
    methods: tuple[str, ...] = TRANSFER_METHODS,
    dataset: str = "LLM-Inference-Bench",
) -> None:
    if dataset == "LLM-Inference-Bench":
        data = load_benchmarks(sample_dataset_path())
    else:
        data = load_benchmarks(aiconfigurator_frame(), name="AIConfigurator agg runs")
        print(data.report.summary())
    result = evaluate_transfer(data, methods, protocols, shots=shots, level=0.9)
    summary = result.summary
    print(f"{dataset}, transfer protocols (APE %, 90 % intervals):")
    for (protocol, k), group in summary.groupby(["protocol", "shots"], sort=False):
        table = group.set_index("method")
        baselines = table.drop(index="transfer")
        if baselines.empty:
            continue
        best = baselines["median_ape"].idxmin()
        ours = table.loc["transfer"]
        theirs = baselines.loc[best]
        print(
            f"\n{protocol}, {k} shots: transfer median {ours['median_ape']:.1f} "
            f"(p90 {ours['p90_ape']:.1f}); best baseline {best} {theirs['median_ape']:.1f} "
            f"(p90 {theirs['p90_ape']:.1f}); ratio "
            f"{ours['median_ape'] / theirs['median_ape']:.2f} (target <= 0.70); "
            f"coverage {ours['coverage']:.1f} % (target 85-95), median width "
            f"{ours['median_rel_width']:.0f} %"
        )
        print(
            table[["n", "unpredicted", "median_ape", "p90_ape", "fit_predict_s"]]
            .round(1)
            .to_string()
        )
    errors = result.errors[(result.errors["method"] == "transfer") & (result.errors["shots"] == 0)]
    print("\nTransfer median APE per held-out value:")
    print(errors.groupby(["protocol", "held_out"])["ape"].median().round(1).to_string())


def speed() -> None:
    data = load_benchmarks(sample_dataset_path())
    fits = []
    for _ in range(3):
        start = time.perf_counter()
        model = TransferModel().fit(data)
        fits.append(time.perf_counter() - start)
    rng = np.random.default_rng(0)
    queries = pd.DataFrame(
        {
            "acc": rng.choice(["H200", "B200", "MI325X", "Gaudi 3"], 10_000),
            "acc_count": rng.choice(["1", "2", "4"], 10_000),
            "back": "vLLM",
            "model": rng.choice(["meta-llama/Llama-2-7b-hf", "Qwen/Qwen2-72B"], 10_000),
            "ii": rng.choice([128.0, 512.0, 2048.0], 10_000),
            "oo": rng.choice([128.0, 512.0], 10_000),
            "bb": rng.choice([1.0, 16.0, 64.0], 10_000),
        }
    )
    start = time.perf_counter()
    model.predict(queries, interval=0.9)
    predict_s = time.perf_counter() - start
    print(
        f"\nfit on the whole bundled dataset: median {np.median(fits):.2f} s of 3 (target < 5 s); "
        f"10,000 transfer predictions with intervals: {predict_s:.2f} s (target < 1 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        accuracy(PROTOCOLS[:2], (0,))
        accuracy(PROTOCOLS[:2], (0,), dataset="AIConfigurator")
    else:
        accuracy(AIC_PROTOCOLS, (0,), dataset="AIConfigurator")
        accuracy(PROTOCOLS, (0,))
        # Few-shot: the baselines that can use the shots (the sibling rule cannot).
        accuracy(PROTOCOLS[:2], (1, 3, 5), ("transfer", "global_xgboost"))
    speed()


if __name__ == "__main__":
    main()
