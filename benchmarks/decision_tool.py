"""The dashboard as a decision tool (issue 11): what the decision table and background jobs cost.

Each figure is printed as a ratio to a baseline measured in the same run:

1. Decision table for one model's configurations (the Sizing page's default candidates: the 49
   Llama-2-7b configurations of the bundled sample, 20,000 tokens/s at ii = oo = 512, a price)
   against sizing each configuration alone with :func:`ala.sizing.size_deployment`, the work
   the table is built on.
2. A background job (a scheduling width sweep, 200 requests) from submit to its stored result,
   in its own ``python -m ala.jobs`` process, against the same sweep run in this process: the
   ratio is what leaving the server costs (interpreter start, imports, workspace writes).
3. The Compare page's evaluation (method ``default``; loo_inner and max_batch) as a job against
   :func:`ala.service.compare` in this process.

Timings are the median of ``--repeat`` runs (default 3). The model is fitted once, not timed.

Run: python benchmarks/decision_tool.py     (about 2 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

from ala import jobs
from ala.context import Context
from ala.data import load_benchmarks
from ala.datasets import sample_dataset_path, sample_trace_path
from ala.decision import decision_table
from ala.model import ThroughputModel
from ala.scheduling.run import Scenario
from ala.service import compare, read_trace, width_sweep
from ala.sizing import size_deployment
from ala.store import Workspace

SWEEP = {"trace": "conv", "limit": 200, "memory": 8000, "all_at_zero": True}
POLICIES = ["a_min", "a_max", "fcfs"]


def median_s(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def until_done(workspace: Workspace, job_id: int) -> None:
    while workspace.job_status(job_id) in ("queued", "running"):
        time.sleep(0.05)
    if workspace.job_status(job_id) != "finished":
        raise SystemExit(f"job {job_id} ended {workspace.job_status(job_id)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    content = sample_dataset_path().read_bytes()
    data = load_benchmarks(content, name="sample")
    model = ThroughputModel().fit(data, calibrate=True)
    keys = [k for k in model.configs_ if k[3] == "meta-llama/Llama-2-7b-hf"]
    context = Context(configs=tuple(keys), target=20_000.0, price=2.5)

    def alone() -> None:
        for key in keys:
            values = dict(zip(model.config_columns_, key, strict=True))
            size_deployment(model, values, 512, 512, 20_000.0, 2.5, interval=0.9)

    table_s = median_s(lambda: decision_table(model, context), args.repeat)
    alone_s = median_s(alone, args.repeat)
    print(
        f"1. decision table, {len(keys)} configurations: {table_s:.2f} s; sizing each alone "
        f"{alone_s:.2f} s; ratio {table_s / alone_s:.2f}"
    )

    trace = read_trace(sample_trace_path("conv"), SWEEP["limit"])
    scenario = Scenario(memory=SWEEP["memory"], all_at_zero=True)
    here_s = median_s(lambda: width_sweep(trace, scenario, POLICIES, processes=1), args.repeat)

    def sweep_job() -> None:
        workspace = Workspace(tempfile.mkdtemp())  # a fresh workspace: nothing to reuse
        params = {**SWEEP, "policies": POLICIES, "scheduler": ""}
        until_done(workspace, jobs.submit(workspace, "width_sweep", params, "sweep"))

    job_s = median_s(sweep_job, args.repeat)
    print(
        f"2. width sweep as a job: {job_s:.2f} s; in this process {here_s:.2f} s; "
        f"overhead {job_s - here_s:.2f} s (ratio {job_s / here_s:.2f})"
    )

    protocols = ["loo_inner", "max_batch"]
    eval_here_s = median_s(lambda: compare(data, ["default"], protocols, level=0.9), 1)

    def eval_job() -> None:
        workspace = Workspace(tempfile.mkdtemp())
        dataset_id = workspace.add_dataset("sample", content, None, 1, "")
        params = {
            "dataset_id": dataset_id,
            "methods": ["default"],
            "protocols": protocols,
            "level": 0.9,
        }
        until_done(workspace, jobs.submit(workspace, "evaluate", params, "evaluate"))

    eval_job_s = median_s(eval_job, 1)
    print(
        f"3. evaluation as a job: {eval_job_s:.2f} s; in this process {eval_here_s:.2f} s; "
        f"ratio {eval_job_s / eval_here_s:.2f}"
    )
    jobs._reap()  # noqa: SLF001 - collect the finished workers


if __name__ == "__main__":
    main()
