"""Server-side speed of the dashboard on the full sample (prints figures, asserts nothing).

Run: python benchmarks/app_speed.py

Page renders are AppTest runs of each page after a first visit has fitted and cached the
model (targets: well under 1 s). A what-if update is the call behind the Predict page,
`ThroughputModel.predict_curve` + nearest points + `size_deployment`, for a changed input
(target < 300 ms). Reference in the same run: the uncached cost, fitting and calibrating
the model from scratch.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ALA_WORKSPACE", tempfile.mkdtemp(prefix="ala-bench-"))

from streamlit.testing.v1 import AppTest  # noqa: E402

from ala.data import load_benchmarks  # noqa: E402
from ala.datasets import sample_dataset_path  # noqa: E402
from ala.model import ThroughputModel  # noqa: E402
from ala.sizing import size_deployment  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = [
    "pages/data.py",
    "pages/curves.py",
    "pages/predict.py",
    "pages/annealing.py",
    "pages/report.py",
]


def main() -> None:
    data = load_benchmarks(sample_dataset_path())
    start = time.perf_counter()
    model = ThroughputModel().fit(data, calibrate=True)
    uncached = time.perf_counter() - start
    print(f"reference: fit + calibrate from scratch {uncached:.2f} s")

    at = AppTest.from_file(APP, default_timeout=300).run()  # first visit: fits and caches
    for page in PAGES:
        at.switch_page(page).run()  # warm this page's caches
        times = []
        for _ in range(3):
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
        print(
            f"render {page:22s} {statistics.median(times) * 1000:7.0f} ms (median of 3; "
            f"target well under 1000 ms)"
        )

    config = {
        "acc": "Nvidia A100 GPU",
        "acc_count": "1",
        "back": "vLLM",
        "model": "meta-llama/Llama-2-7b-hf",
    }
    times = []
    for k, (ii, bb) in enumerate([(512, 32), (700, 48), (3000, 8), (128, 1), (1500, 64)] * 4):
        start = time.perf_counter()
        model.predict_curve(config, ii, ii, [bb], interval=0.9)
        model.nearest(model.batch_queries(config, ii, ii, [bb]), k=5)
        size_deployment(model, config, ii, ii, 20000.0 + k, 2.5)
        times.append(time.perf_counter() - start)
    print(
        f"what-if update (predict + interval + nearest + sizing): median "
        f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
        f"(target < 300 ms); x{uncached / statistics.median(times):.0f} faster than refitting"
    )


if __name__ == "__main__":
    main()
