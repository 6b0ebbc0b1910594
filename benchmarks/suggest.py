"""Benchmark this next (issue 12): do the suggested points cut held-out error faster?

On LLM-Inference-Bench, for configurations with at least 4 lengths and 5 batch sizes: start from
2 lengths x 3 batch sizes (seeded), split the other measured points into candidates (what could
be measured next) and an evaluation set (the predictions the user cares about: the suggestion's
targets), then add one candidate at a time, refit, and record the median APE on the evaluation
set. Three strategies in the same run: ``suggest`` (:func:`ala.suggest.suggest_points`, with the
intervals calibrated on the whole dataset), ``random``, and ``next_bb`` (the next batch size up
on a measured length, as a benchmarker would go on). Printed: the mean over configurations of
the median APE after 0-6 added points, per strategy, and its mean over points 1-6.

Run: python benchmarks/suggest.py     (about 3 minutes on 2 cores)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ala.configs import config_keys
from ala.data import load_benchmarks
from ala.datasets import sample_dataset_path
from ala.errors import AlaError
from ala.model import ThroughputModel
from ala.suggest import suggest_points

STEPS = 6
CONFIGS = 100  # every eligible configuration (26 in the bundled data)


def median_ape(model: ThroughputModel, evaluation: pd.DataFrame) -> float:
    pred = model.predict(evaluation)["thpt_pred"].to_numpy(float)
    return float(np.median(np.abs(pred / evaluation["thpt"].to_numpy(float) - 1)) * 100)


def pick(
    strategy: str,
    model: ThroughputModel,
    train: pd.DataFrame,
    candidates: pd.DataFrame,
    evaluation: pd.DataFrame,
    rng: np.random.Generator,
) -> int:
    """Index (in ``candidates``) of the point a strategy measures next."""
    if strategy == "suggest":
        try:
            best = suggest_points(
                model, model.configs_[0], evaluation, candidates[["ii", "oo", "bb"]], k=1
            ).iloc[0]
            hit = np.flatnonzero(
                (candidates["ii"] == best["ii"])
                & (candidates["oo"] == best["oo"])
                & (candidates["bb"] == best["bb"])
            )
            return int(hit[0])
        except AlaError:
            return int(rng.integers(len(candidates)))
    if strategy == "next_bb":
        top = train.groupby(["ii", "oo"])["bb"].max()
        joined = candidates.join(top.rename("top"), on=["ii", "oo"])
        above = joined[joined["bb"] > joined["top"]]
        if len(above):
            return int(candidates.index.get_loc(above["bb"].idxmin()))
    return int(rng.integers(len(candidates)))


def main() -> None:
    data = load_benchmarks(sample_dataset_path())
    cols = data.config_columns
    calibration = ThroughputModel().fit(data, calibrate=True).calibration_
    frame = data.frame
    keys = config_keys(frame, cols)
    curves: dict[str, list[list[float]]] = {"suggest": [], "random": [], "next_bb": []}
    used = 0
    for seed, (_, rows) in enumerate(frame.groupby(keys.to_numpy(), sort=True)):
        lengths = rows[["ii", "oo"]].drop_duplicates()
        batches = np.unique(rows["bb"])
        if len(lengths) < 4 or len(batches) < 5 or used >= CONFIGS:
            continue
        used += 1
        rng = np.random.default_rng(seed)
        kept_len = lengths.iloc[rng.choice(len(lengths), 2, replace=False)]
        kept_bb = rng.choice(batches, 3, replace=False)
        start_mask = rows.merge(kept_len.assign(_k=1), on=["ii", "oo"], how="left")["_k"].notna()
        start_mask &= rows["bb"].isin(kept_bb).to_numpy()
        start = rows[start_mask.to_numpy()]
        rest = rows[~start_mask.to_numpy()].sample(frac=1.0, random_state=seed)
        half = len(rest) // 2
        pool, evaluation = rest.iloc[:half], rest.iloc[half:]
        for strategy in curves:
            srng = np.random.default_rng(seed + 1000)
            train, candidates = start.copy(), pool.reset_index(drop=True)
            history = []
            for step in range(STEPS + 1):
                model = ThroughputModel(config_columns=cols).fit(train)
                model.calibration_ = calibration
                history.append(median_ape(model, evaluation))
                if step == STEPS or candidates.empty:
                    break
                j = pick(strategy, model, train, candidates, evaluation, srng)
                train = pd.concat([train, candidates.iloc[[j]]], ignore_index=True)
                candidates = candidates.drop(index=candidates.index[j]).reset_index(drop=True)
            curves[strategy].append(history)
    print(
        f"LLM-Inference-Bench, {used} configurations: mean over configurations of the median "
        "APE (%) on the evaluation set after each added point"
    )
    for strategy, runs in curves.items():
        width = min(len(r) for r in runs)
        mean = np.mean([r[:width] for r in runs], axis=0)
        print(
            f"  {strategy:8s} "
            + "  ".join(f"{v:6.2f}" for v in mean)
            + f"   mean over points 1-{width - 1}: {mean[1:].mean():.2f}"
        )


if __name__ == "__main__":
    main()
