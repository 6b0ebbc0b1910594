"""Serving data (issue 10): throughput, TTFT and TPOT under the hold-out protocols, intervals,
peaked curves and import speed, on AIConfigurator's measured runs and InferenceX's
``vllm bench serve`` files.

For each dataset, metric and protocol (leave one inner length out, extreme length, largest
batch): the default method's median and p90 APE beside a per-configuration XGBoost on
(ii, oo, bb) fitted in the same run, and their ratio (target <= 0.8); the default method's 90 %
interval coverage (target 85-95 %) and median width, with and without the learned difficulty
(:mod:`ala.intervals`; learned from 20 configurations or more). Then throughput from the
curves against throughput derived from the predicted latencies (the choice
``throughput_source="auto"`` makes), and the import time of each dataset (target < 2 s),
beside plain ``json.load`` / ``pandas.read_csv`` of the same files.

Run: python benchmarks/serving.py     (about 10 minutes on 2 cores)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
from aiconfigurator import INFERENCEX, SILICON

from ala.data import Benchmarks
from ala.evaluate import PAPER_PROTOCOLS, evaluate, interval_coverage
from ala.importers import load_any, read_results
from ala.latency import latency_coverage
from ala.methods import factories
from ala.model import ThroughputModel, throughput_source_for

METRICS = ("thpt", "ttft_ms", "tpot_ms")


def datasets() -> dict[str, Benchmarks]:
    return {
        "AIConfigurator agg": load_any(SILICON),
        "InferenceX vllm bench": load_any(INFERENCEX, {"back": "vLLM"}),
    }


def methods(metric: str, data: Benchmarks) -> dict[str, Callable[[], object]]:
    """The default method as ``ala fit`` builds it for this data, and per-config XGBoost."""
    source = throughput_source_for(data)
    return factories(["default", "xgboost"], data.config_columns, 0, metric, source)  # type: ignore[return-value]


def accuracy() -> None:
    for name, data in datasets().items():
        configs = data.frame.groupby(list(data.config_columns)).ngroups
        print(f"\n{name}: {len(data.frame)} rows, {configs} configurations")
        for metric in METRICS:
            result = evaluate(
                data,
                methods(metric, data),  # type: ignore[arg-type]
                (*PAPER_PROTOCOLS, "min_batch", "kfold"),
                target=metric,
            )
            table = result.summary().set_index(["protocol", "method"])
            ours = result.errors[result.errors["method"] == "default"]
            cover, flat = (
                (
                    interval_coverage(
                        type(result)(ours, result.timings, result.skipped),
                        0.9,
                        learn_difficulty=learn,
                    )
                    if metric == "thpt"
                    else latency_coverage(ours, metric, 0.9, learn_difficulty=learn)
                ).set_index("protocol")
                for learn in (True, False)
            )
            for protocol in PAPER_PROTOCOLS:
                if (protocol, "default") not in table.index:
                    continue
                a, b = table.loc[(protocol, "default")], table.loc[(protocol, "xgboost")]
                c = cover.loc[protocol] if protocol in cover.index else None
                f = flat.loc[protocol] if protocol in flat.index else None
                print(
                    f"  {metric:8s} {protocol:12s} default {a['median_ape']:6.1f} "
                    f"(p90 {a['p90_ape']:6.1f})  xgboost {b['median_ape']:6.1f} "
                    f"(p90 {b['p90_ape']:6.1f})  ratio {a['median_ape'] / b['median_ape']:.2f}"
                    + (
                        f"  coverage {c['coverage']:5.1f}%  width {c['median_rel_width']:6.1f}%"
                        f"  (without the learned difficulty {f['coverage']:5.1f}%, "
                        f"{f['median_rel_width']:6.1f}%)"
                        if c is not None and f is not None
                        else ""
                    )
                    + f"  n={int(a['n'])}"
                )


def throughput_sources() -> None:
    """Throughput from the saturation curves against throughput derived from the predicted
    TTFT and TPOT (Little's law), held out, on both datasets: what ``throughput_source="auto"``
    chooses between."""
    print("\nthroughput: from the curves against derived from predicted TTFT/TPOT (median, p90):")
    for name, data in datasets().items():
        methods = {
            source: partial(
                ThroughputModel, config_columns=data.config_columns, throughput_source=source
            )
            for source in ("curve", "latency")
        }
        table = evaluate(data, methods, PAPER_PROTOCOLS).summary().set_index(["protocol", "method"])
        for protocol in PAPER_PROTOCOLS:
            rows = [table.loc[(protocol, m)] for m in methods]
            cells = [
                f"{m} {r['median_ape']:.1f} ({r['p90_ape']:.0f})"
                for m, r in zip(methods, rows, strict=True)
            ]
            print(f"  {name:22s} {protocol:12s} " + "   ".join(cells))


def import_speed() -> None:
    print("\nimport speed (median of 3):")
    files = sorted(INFERENCEX.glob("*.json"))
    for label, ours, plain in (
        (
            f"InferenceX, {len(files)} JSON files",
            lambda: read_results([INFERENCEX]),
            lambda: [json.loads(p.read_bytes()) for p in files],
        ),
        (
            "AIConfigurator CSV",
            lambda: read_results([SILICON]),
            lambda: pd.read_csv(SILICON, low_memory=False),
        ),
    ):
        t_ours, t_plain = [], []
        for _ in range(3):
            start = time.perf_counter()
            ours()
            t_ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            plain()
            t_plain.append(time.perf_counter() - start)
        a, b = float(np.median(t_ours)), float(np.median(t_plain))
        print(f"  {label}: {a:.3f} s (target < 2 s); plain parsing {b:.3f} s; ratio {a / b:.1f}")


if __name__ == "__main__":
    accuracy()
    throughput_sources()
    import_speed()
