"""Extrapolation below and around the measured grid (prints figures; not a test).

1. A100 / 1 / vLLM / Mistral-7B trained at batch sizes 16-64 only, predicted at batch 1 for
   every length, beside the measured value (the audit of issue 14 found -401.6 tokens/s at
   length 2048 with the default method and -21,368 with paper).
2. Every configuration trained on 2 lengths x 3 batch sizes (seeded) and predicted on all its
   rows: how many predictions are zero or negative, per method.

Run: python benchmarks/extrapolation.py   (about half a minute on 2 cores)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ala.data import load_benchmarks
from ala.datasets import sample_dataset_path
from ala.evaluate import protocol_folds
from ala.model import ThroughputModel

MISTRAL = ("Nvidia A100 GPU", "1", "vLLM", "mistralai/Mistral-7B-v0.1")


def main() -> None:
    data = load_benchmarks(sample_dataset_path())
    frame, cols = data.frame, list(data.config_columns)
    rows = frame[(frame[cols].astype(str) == pd.Series(MISTRAL, index=cols)).all(axis=1)]
    train, test = rows[rows["bb"] >= 16], rows[rows["bb"] == 1].sort_values("ii")
    print(f"{' / '.join(MISTRAL)}, trained at batch 16-64, predicted at batch 1:")
    for method in ("default", "paper"):
        pred = ThroughputModel(method, config_columns=cols).fit(train).predict(test)
        pairs = ", ".join(
            f"{ii:g}: {p:,.1f} (measured {m:,.1f})"
            for ii, p, m in zip(test["ii"], pred["thpt_pred"], test["thpt"], strict=True)
        )
        print(f"  {method:8s} {pairs}")
    [(_, held)] = list(protocol_folds(frame, cols, "sparse"))
    print("\n2 lengths x 3 batch sizes per configuration, predicted on every row of those:")
    trained = frame[~held]
    known = frame[frame[cols].apply(tuple, axis=1).isin(set(trained[cols].apply(tuple, axis=1)))]
    for method in ("default", "paper"):
        pred = ThroughputModel(method, config_columns=cols).fit(trained).predict(known)
        bad = int((pred["thpt_pred"] <= 0).sum())
        print(
            f"  {method:8s} non-positive: {bad} of {len(pred)}; "
            f"smallest {np.min(pred['thpt_pred']):,.2f} tokens/s"
        )


if __name__ == "__main__":
    main()
