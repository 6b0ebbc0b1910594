"""The ``ala`` command line: fit, predict, evaluate, report, anneal, trust, specs, schedule.

Each command is argparse -> one library call -> print. Heavy modules are imported inside the
commands, so ``ala schedule --help`` loads neither xgboost nor scikit-learn. User mistakes (bad
files, unknown configurations) print one line to stderr and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ala.data import LATENCY_METRICS, load_benchmarks
from ala.errors import AlaError
from ala.evaluate import PAPER_PROTOCOLS, PROTOCOLS
from ala.files import write_csv
from ala.scheduling.policies import POLICIES
from ala.service import ALL_METHODS
from ala.transfer_eval import TRANSFER_METHODS, TRANSFER_PROTOCOLS

if TYPE_CHECKING:
    from ala.data import Benchmarks
    from ala.model import ThroughputModel
    from ala.scheduling.metrics import Slo
    from ala.scheduling.run import ModelTiming, Scenario
    from ala.scheduling.traces import Trace
    from ala.specs import Catalogue

POLICY_NAMES = tuple(POLICIES)
DEFAULT_POLICIES = ("hindsight", "hindsight_area", "a_max", "a_min", "a_min_area", "mc_sf", "fcfs")
METHODS = ("default", "paper")


def _mapping(
    items: Sequence[str] | None, option: str = "--map", example: str = "thpt=tok_per_s"
) -> dict[str, str] | None:
    if not items:
        return None
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise AlaError(f"{option} expects NAME=VALUE (e.g. {example}), got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _row_list(text: str | None) -> list[int]:
    try:
        return [int(t) for t in (text or "").split(",") if t.strip()]
    except ValueError:
        raise AlaError(
            f"--exclude-rows expects spreadsheet row numbers separated by commas, got {text!r}"
        ) from None


def _csv_list(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _load(args: argparse.Namespace) -> Benchmarks:
    from ala.importers import load_any

    data = load_any(
        args.data,
        _mapping(getattr(args, "set", None), "--set", "acc=H200"),
        columns=_mapping(args.map),
        config_columns=_csv_list(args.config_columns),
        duplicates=args.duplicates,
        exclude_rows=_row_list(args.exclude_rows),
    )
    print(data.report.summary(), file=sys.stderr)
    return data


def cmd_fit(args: argparse.Namespace) -> int:
    """``ala fit``: fit (and calibrate) a model and save it."""
    from ala.model import ThroughputModel

    data = _load(args)
    if not args.no_calibrate:
        print("fitting and calibrating prediction intervals (out of fold)...", file=sys.stderr)
    model = ThroughputModel(args.method, seed=args.seed).fit(data, calibrate=not args.no_calibrate)
    model.save(args.output)
    print(f"{model.report().summary()}; saved to {args.output}", file=sys.stderr)
    if args.database:
        write_csv(args.database, model.database_table())
        print(f"parameter database written to {args.database}", file=sys.stderr)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """``ala predict``: predictions for every row of a query file."""
    from ala.service import predict_file

    out = predict_file(
        args.model, args.queries, interval=args.interval, run=args.run, specs=_specs(args)
    )
    unidentified = out.loc[~out["identified"].astype(bool), "note"]
    for note, count in unidentified.value_counts().items():
        print(
            f"ala: warning: {count} of {len(out)} predictions not identified: {note}",
            file=sys.stderr,
        )
    if args.output:
        write_csv(args.output, out)
        print(f"{len(out)} predictions written to {args.output}", file=sys.stderr)
    else:
        write_csv(sys.stdout, out)
    return 0


def _specs(args: argparse.Namespace) -> Catalogue | None:
    """The catalogue extended by ``--specs`` files (None: the bundled one)."""
    if not getattr(args, "specs", None):
        return None
    from ala.specs import Catalogue

    return Catalogue.load(args.specs)


def cmd_specs(args: argparse.Namespace) -> int:
    """``ala specs``: list the catalogue, or check which values of a dataset it covers."""
    from ala.service import spec_listing

    print(spec_listing(_specs(args), args.check, kind=args.kind))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """``ala import``: benchmark-tool result files to one benchmark CSV."""
    from ala.importers import read_results

    settings = _mapping(args.set, "--set", "acc=H200") or {}
    result = read_results(args.sources, settings)
    print(result.summary(), file=sys.stderr)
    write_csv(args.output, result.frame)
    print(f"{len(result.frame)} measurements written to {args.output}", file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``ala evaluate``: methods under hold-out protocols."""
    from ala.service import compare, compare_transfer

    data = _load(args)
    protocols = args.protocol or list(PAPER_PROTOCOLS)
    transfer = [p for p in protocols if p in TRANSFER_PROTOCOLS]
    if transfer:
        if len(transfer) < len(protocols):
            raise AlaError(
                "transfer protocols (leave_*_out) and within-configuration protocols cannot "
                "be mixed in one run; run them separately"
            )
        table = compare_transfer(
            data,
            methods=_csv_list(args.methods) or list(TRANSFER_METHODS),
            protocols=transfer,
            shots=[int(k) for k in _csv_list(args.shots) or ["0"]],
            level=args.interval,
            specs=_specs(args),
            seed=args.seed,
        )
        print(
            table.to_json(orient="records", indent=2) if args.json else table.to_string(index=False)
        )
        return 0
    result = compare(
        data,
        methods=_csv_list(args.methods) or list(ALL_METHODS),
        protocols=args.protocol or list(PAPER_PROTOCOLS),
        level=args.interval,
        k=args.k,
        seed=args.seed,
        target=args.target,
    )
    if args.json:
        doc = {
            "summary": result.summary.to_dict(orient="records"),
            "skipped": result.skipped.to_dict(orient="records"),
            "subgroups": None
            if result.subgroups is None
            else result.subgroups.to_dict(orient="records"),
        }
        print(json.dumps(doc, indent=2))
    else:
        print(result.format())
    if args.errors:
        write_csv(args.errors, result.errors)
    return 0


def cmd_slo(args: argparse.Namespace) -> int:
    """``ala slo``: the largest concurrency meeting latency targets, replicas and cost, ranked."""
    from ala.service import plan_slo
    from ala.slo import SLO

    plan = plan_slo(
        args.model,
        args.ii,
        args.oo,
        SLO(args.ttft_ms, args.tpot_ms, args.percentile),
        tokens_per_s=args.tokens_per_s,
        requests_per_s=args.requests_per_s,
        price_per_gpu_hour=args.price_per_gpu_hour,
        currency=args.currency,
        configs=args.config or (),
        level=args.interval,
        pareto_html=args.pareto,
        lengths=args.lengths,
    )
    if args.output:
        write_csv(args.output, plan.table.drop(columns="config"))
        print(f"sizing table written to {args.output}", file=sys.stderr)
    if args.pareto:
        print(f"Pareto view written to {args.pareto}", file=sys.stderr)
    print(plan.format())
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """``ala suggest``: which (ii, oo, bb) to benchmark next for a configuration."""
    from ala.service import suggest_next

    table = suggest_next(
        args.model,
        args.config,
        args.ii,
        args.oo,
        [float(b) for b in _csv_list(args.bb) or []],
        k=args.k,
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return 0


def cmd_expect(args: argparse.Namespace) -> int:
    """``ala expect``: the error a model fitted on a new dataset should be expected to have."""
    from ala.datasets import sample_dataset_path
    from ala.service import expected_errors

    learn_from = load_benchmarks(args.learn_from or sample_dataset_path())
    table = expected_errors(learn_from, _load(args), seed=args.seed)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``ala report``: the HTML report for a dataset and a saved model."""
    from ala.context import Context
    from ala.report import write_report

    data = _load(args)
    configs = [_config_key(text, data.config_columns) for text in args.config or []]
    context = None
    if args.target is not None:
        if not (args.target > 0 and args.ii > 0 and args.oo > 0 and 0 < args.level < 1):
            raise AlaError("--target, --ii and --oo must be positive and --level in (0, 1)")
        if args.price is not None and args.price < 0:
            raise AlaError("--price cannot be negative")
        context = Context(
            configs=tuple(configs),
            ii=args.ii,
            oo=args.oo,
            level=args.level,
            target=args.target,
            target_unit=args.unit,
            price=args.price or None,
            currency=args.currency.upper(),
        )
    write_report(data, args.model, args.output, args.title, configs, context)
    print(f"report written to {args.output}", file=sys.stderr)
    return 0


def _config_key(text: str, columns: Sequence[str]) -> tuple[str, ...]:
    from ala.configs import parse_config

    return parse_config(text, columns)


def _scenario(args: argparse.Namespace) -> Scenario:
    from ala.scheduling.run import Scenario

    return Scenario(
        memory=_memory(args),
        width=args.width,
        interval_kind=args.intervals,
        level=args.level,
        round_s=args.round_ms / 1000,
        rate_scale=args.rate_scale,
        all_at_zero=args.all_at_zero,
        seed=args.seed,
    )


def _memory(args: argparse.Namespace) -> int:
    """``--memory``, or ``M`` from ``--accelerator``, ``--gpus`` and ``--llm`` via the specs."""
    if not args.accelerator and not args.llm:
        return int(args.memory)
    if not (args.accelerator and args.llm):
        raise AlaError("--accelerator and --llm go together (with --gpus, default 1)")
    from ala.scheduling.memory import kv_capacity
    from ala.specs import Catalogue

    capacity = kv_capacity(
        Catalogue.load(args.specs or ()),
        args.accelerator,
        args.gpus,
        args.llm,
        args.precision,
        args.memory_utilisation,
    )
    print(capacity.describe(), file=sys.stderr)
    return capacity.tokens


def _slo(args: argparse.Namespace) -> Slo | None:
    from ala.scheduling.metrics import Slo

    if args.slo_ttft_s is None and args.slo_e2e_s is None:
        return None
    for name, value in (("--slo-ttft-s", args.slo_ttft_s), ("--slo-e2e-s", args.slo_e2e_s)):
        if value is not None and not value > 0:
            raise AlaError(f"{name} must be a positive number of seconds, got {value}")
    return Slo(args.slo_ttft_s, args.slo_e2e_s)


def _timing(args: argparse.Namespace, trace: Trace) -> ModelTiming | None:
    if not args.model:
        return None
    from ala.model import ThroughputModel
    from ala.service import model_timing

    model = ThroughputModel.load(args.model)
    if not args.config and model.config_columns_:
        raise AlaError(
            "--model needs --config naming the configuration as col=value pairs, e.g. "
            f'--config "{_example_config(model)}"'
        )
    key = _config_key(args.config or "", model.config_columns_) if args.config else ()
    return model_timing(model, key, trace, args.interval)


def _example_config(model: ThroughputModel) -> str:
    from ala.configs import format_config

    return format_config(model.configs_[0], model.config_columns_)


def _load_trace(args: argparse.Namespace) -> Trace:
    from ala.service import read_trace

    columns = _mapping(args.map, example="arrival=request_ts")
    return read_trace(args.trace, args.limit, columns=columns)


def cmd_schedule(args: argparse.Namespace) -> int:
    """``ala schedule``: scheduling policies on a trace."""
    from ala.service import compare_policies

    trace = _load_trace(args)
    result = compare_policies(
        trace,
        _scenario(args),
        args.policy or list(DEFAULT_POLICIES),
        _timing(args, trace),
        _slo(args),
    )
    if args.json:
        doc = {"policies": result.summary.T.to_dict(), "notes": list(result.notes)}
        print(json.dumps(doc, indent=2, default=_plain))
    else:
        print(result.format())
    return 0


def _plain(value: object) -> object:
    """JSON for numpy scalars and anything else pandas hands back."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def _numbers(text: str, option: str) -> list[float]:
    try:
        return [float(w) for w in _csv_list(text) or []]
    except ValueError:
        raise AlaError(f"{option} expects numbers separated by commas, got {text!r}") from None


def cmd_schedule_sweep(args: argparse.Namespace) -> int:
    """``ala schedule-sweep``: latency ratio to hindsight and to the bound over widths."""
    from ala.service import width_sweep

    trace = _load_trace(args)
    widths = _numbers(args.widths, "--widths")
    result = width_sweep(
        trace,
        _scenario(args),
        args.policy or list(DEFAULT_POLICIES),
        widths,
        _timing(args, trace),
    )
    if args.json:
        doc = {
            "sweep": result.table.to_dict(orient="records"),
            "bounds": result.bounds.to_dict(orient="records"),
        }
        print(json.dumps(doc, indent=2, default=_plain))
    else:
        print(result.format())
    return 0


def cmd_schedule_load(args: argparse.Namespace) -> int:
    """``ala schedule-load``: latency and SLO attainment per policy as the load rises."""
    from ala.scheduling.engine import Timing
    from ala.scheduling.run import ModelTiming
    from ala.service import load_sweep

    trace = _load_trace(args)
    timing = _timing(args, trace)
    if timing is None:  # the papers' unit: every round lasts --round-ms
        fixed = Timing.fixed(args.round_ms / 1000)
        timing = ModelTiming(fixed, None, None, f"fixed {args.round_ms:g} ms per round")
    result = load_sweep(
        trace,
        _scenario(args),
        args.policy or list(DEFAULT_POLICIES),
        timing,
        _numbers(args.loads, "--loads"),
        args.arrivals,
        _slo(args),
        args.goal,
        args.processes,
        args.scheduler,
    )
    if args.json:
        doc = {
            "capacity_rps": result.capacity_rps,
            "breaking_load": result.breaking_load(),
            "sweep": result.table.to_dict(orient="records"),
        }
        print(json.dumps(doc, indent=2, default=_plain))
    else:
        print(result.format())
    return 0


def cmd_make_trace(args: argparse.Namespace) -> int:
    """``ala make-trace``: a synthetic request trace as CSV."""
    import pandas as pd

    from ala.scheduling.workload import synthetic_trace

    trace = synthetic_trace(
        args.requests,
        args.rate,
        args.prompt_median,
        args.prompt_sigma,
        args.output_median,
        args.output_sigma,
        args.arrivals,
        args.seed,
    )
    frame = pd.DataFrame(
        {"arrival_s": trace.arrival_s, "prompt": trace.prompt, "output": trace.output}
    )
    write_csv(args.output, frame)
    print(f"{len(trace)} requests written to {args.output}", file=sys.stderr)
    return 0


class ProgressBar:
    """A one-line progress bar on stderr, drawn only on a terminal."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.done = total, label, 0
        self.live = sys.stderr.isatty()

    def step(self, note: str = "") -> None:
        """Advance by one and redraw."""
        self.done += 1
        if self.live:
            filled = int(30 * self.done / max(self.total, 1))
            print(
                f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/"
                f"{self.total} {note}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        """End the bar's line."""
        if self.live:
            print(file=sys.stderr)


def cmd_anneal(args: argparse.Namespace) -> int:
    """``ala anneal``: Algorithm 6 chains, saved as a run file."""
    from ala.annealing import AnnealSettings, anneal, chain_specs, run_chains, save_runs
    from ala.configs import config_keys

    data = _load(args)
    settings = AnnealSettings(
        iterations=args.iterations,
        initial_temperature=args.temperature,
        cooling=args.cooling,
        moves=args.moves,
        seed=args.seed,
        method=args.method,
    )
    if args.chains < 1 or args.iterations < 1:
        raise AlaError("--chains and --iterations must be at least 1")
    keys = config_keys(data.frame, data.config_columns)
    configs = [_config_key(c, data.config_columns) for c in args.config or []] or [
        keys.value_counts().index[0]
    ]
    seeds = [args.seed + k for k in range(args.chains)]
    specs = chain_specs(data.frame, data.config_columns, configs, seeds, settings)
    if len(specs) == 1 and not args.scheduler:
        bar = ProgressBar(settings.iterations, "annealing")
        run = anneal(
            specs[0].universe,
            specs[0].settings,
            config=specs[0].config,
            on_step=lambda s: bar.step(f"best {s.best_error:.2f}%"),
        )
        bar.close()
        runs = [run]
    else:
        where = f"Dask at {args.scheduler}" if args.scheduler else "local processes"
        print(f"running {len(specs)} chains ({where})...", file=sys.stderr)
        runs = run_chains(specs, processes=args.processes, scheduler=args.scheduler)
    save_runs(runs, args.output)
    for run in runs:
        best = run.best
        print(
            f"{run.config} seed {run.settings.seed}: {len(run.steps)} iterations, best error "
            f"{best.error:.2f}% with {len(best.subset)} of {len(run.universe)} rows",
            file=sys.stderr,
        )
    print(f"logs saved to {args.output}", file=sys.stderr)
    return 0


def cmd_trust(args: argparse.Namespace) -> int:
    """``ala trust``: Algorithm 8 for a new dataset from a run file."""
    from ala.annealing import load_runs
    from ala.trust import TrustModel

    runs = load_runs(args.run)
    data = load_benchmarks(args.data, columns=_mapping(args.map))
    report = TrustModel(args.seed).fit(runs).trust(data.frame)
    doc = {
        "predicted_error": report.predicted_error,
        "confidence": report.confidence,
        "distance": report.distance,
        "nearest_logged_subset": {
            "config": report.nearest_config,
            "iteration": report.nearest_iteration,
        },
    }
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(
            f"{data.report.source}: predicted error {report.predicted_error:.2f}% (median "
            f"APE), confidence {report.confidence:.3f} (distance {report.distance:.3f} to "
            f"the nearest logged subset: {report.nearest_config}, iteration "
            f"{report.nearest_iteration})"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``ala`` command."""
    parser = argparse.ArgumentParser(prog="ala", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def data_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "data",
            type=Path,
            help="benchmark CSV (ii, oo, bb, thpt + configuration), or benchmark-tool output: "
            "a folder, JSON file or zip of vllm bench serve / GuideLLM / AIPerf / LLMPerf / "
            "inference-perf results, or AIConfigurator's silicon CSV",
        )
        p.add_argument(
            "--set",
            action="append",
            metavar="COLUMN=VALUE",
            help="for tool output: a configuration value the files do not carry, e.g. "
            "--set acc=H200 (repeatable)",
        )
        p.add_argument(
            "--map",
            action="append",
            metavar="CANONICAL=COLUMN",
            help="column mapping, repeatable, e.g. --map thpt=tok_per_s",
        )
        p.add_argument(
            "--config-columns",
            metavar="A,B",
            help="columns that identify a configuration (default: all recognised)",
        )
        p.add_argument(
            "--duplicates",
            choices=["mean", "keep"],
            default="mean",
            help="average repeated measurements (default) or keep them",
        )
        p.add_argument(
            "--exclude-rows",
            metavar="5,17",
            help="spreadsheet row numbers (header = row 1) to exclude as outliers",
        )
        p.add_argument("--seed", type=int, default=0)

    fit = sub.add_parser("fit", help="fit a throughput model and save it as JSON")
    data_args(fit)
    fit.add_argument("-o", "--output", type=Path, required=True, help="model JSON to write")
    fit.add_argument("--method", choices=METHODS, default="default")
    fit.add_argument("--database", type=Path, help="also write the parameter database as CSV")
    fit.add_argument(
        "--no-calibrate",
        action="store_true",
        help="skip interval calibration (faster; predict --interval then fails)",
    )
    fit.set_defaults(func=cmd_fit)

    pred = sub.add_parser("predict", help="predict throughput for query rows")
    pred.add_argument("model", type=Path, help="model JSON written by 'ala fit'")
    pred.add_argument("queries", type=Path, help="CSV with configuration columns and ii, oo, bb")
    pred.add_argument("-o", "--output", type=Path, help="CSV to write (default: stdout)")
    pred.add_argument(
        "--interval",
        type=float,
        metavar="LEVEL",
        help="add a conformal interval at this level (e.g. 0.9) and confidence",
    )
    pred.add_argument(
        "--run",
        type=Path,
        help="annealing run JSON: add the predicted error and Algorithm 8's "
        "confidence of each configuration's training data",
    )
    pred.add_argument("--seed", type=int, default=0)
    pred.add_argument(
        "--specs",
        action="append",
        type=Path,
        help="extra spec file (CSV or TOML), repeatable: configurations never benchmarked are "
        "transferred from measured siblings through the specs",
    )
    pred.set_defaults(func=cmd_predict)

    im = sub.add_parser(
        "import",
        help="benchmark-tool results (vllm bench serve, GuideLLM, AIPerf, LLMPerf, "
        "inference-perf JSON; AIConfigurator CSV; folders, zips) to one benchmark CSV",
    )
    im.add_argument("sources", nargs="+", type=Path, help="result files or folders of them")
    im.add_argument("-o", "--output", type=Path, required=True, help="CSV to write")
    im.add_argument(
        "--set",
        action="append",
        metavar="COLUMN=VALUE",
        help="a configuration value the files do not carry, repeatable, e.g. --set acc=H200",
    )
    im.set_defaults(func=cmd_import)

    so = sub.add_parser(
        "slo",
        help="SLO-aware sizing: per configuration the largest concurrency meeting TTFT/TPOT "
        "targets, replicas, GPUs and cost, cheapest first",
    )
    so.add_argument("model", type=Path, help="model file from ala fit (data with TTFT/TPOT)")
    so.add_argument("--ii", type=float, required=True, help="input tokens per request")
    so.add_argument("--oo", type=float, required=True, help="output tokens per request")
    so.add_argument(
        "--lengths",
        type=Path,
        help="CSV of request lengths (ii/oo, or a trace's ContextTokens/GeneratedTokens) to "
        "size for instead of --ii/--oo",
    )
    so.add_argument("--ttft-ms", type=float, help="time-to-first-token target (ms)")
    so.add_argument("--tpot-ms", type=float, help="time-per-output-token target (ms)")
    so.add_argument("--percentile", choices=["p50", "p99"], default="p50", help="of the targets")
    load = so.add_mutually_exclusive_group(required=True)
    load.add_argument("--tokens-per-s", type=float, help="load to serve, total tokens/s")
    load.add_argument("--requests-per-s", type=float, help="load to serve, requests/s")
    so.add_argument("--price-per-gpu-hour", type=float, help="price of one GPU-hour")
    so.add_argument("--currency", default="USD", help="currency of the price (a label)")
    so.add_argument(
        "--config", action="append", metavar="COL=VALUE,...", help="only these (repeatable)"
    )
    so.add_argument("--interval", type=float, default=0.9, help="level of the ranges")
    so.add_argument("-o", "--output", type=Path, help="write the table as CSV")
    so.add_argument("--pareto", type=Path, help="write the Pareto view as HTML")
    so.set_defaults(func=cmd_slo)

    ex = sub.add_parser(
        "expect",
        help="the median APE a model fitted on DATA should be expected to have, per "
        "configuration, learned from other configurations' held-out errors",
    )
    data_args(ex)
    ex.add_argument(
        "--learn-from", type=Path, help="benchmark CSV to learn from (default: the bundled one)"
    )
    ex.set_defaults(func=cmd_expect)

    sg = sub.add_parser(
        "suggest",
        help="which (ii, oo, bb) to benchmark next: the points that bring the predictions you "
        "care about nearest to a measurement",
    )
    sg.add_argument("model", type=Path, help="calibrated model file from ala fit")
    sg.add_argument("--config", required=True, metavar="COL=VALUE,...", help="the configuration")
    sg.add_argument("--ii", type=float, help="workload input tokens (default: every length)")
    sg.add_argument("--oo", type=float, help="workload output tokens")
    sg.add_argument("--bb", metavar="8,16,32", help="batch sizes of interest")
    sg.add_argument("-k", type=int, default=5, help="how many points (default 5)")
    sg.set_defaults(func=cmd_suggest)

    sp = sub.add_parser("specs", help="list the spec catalogue, or check a dataset against it")
    sp.add_argument("--specs", action="append", type=Path, help="extra spec file (CSV or TOML)")
    sp.add_argument("--check", type=Path, help="benchmark CSV: which of its values have specs")
    sp.add_argument("--kind", choices=["accelerator", "model"], help="list one kind only")
    sp.set_defaults(func=cmd_specs)

    ev = sub.add_parser("evaluate", help="compare methods under hold-out protocols")
    data_args(ev)
    ev.add_argument(
        "--protocol",
        action="append",
        choices=(*PROTOCOLS, *TRANSFER_PROTOCOLS),
        help=f"repeatable (default: {', '.join(PAPER_PROTOCOLS)}); the leave_*_out protocols "
        "hold out whole configurations (transfer)",
    )
    ev.add_argument(
        "--methods",
        metavar="M1,M2",
        help=f"comma-separated from {', '.join(ALL_METHODS)} (default: all); for transfer "
        f"protocols from {', '.join(TRANSFER_METHODS)}",
    )
    ev.add_argument(
        "--shots",
        metavar="0,1,3",
        help="transfer protocols: measurements of each held-out configuration given (default 0)",
    )
    ev.add_argument("--specs", action="append", type=Path, help="extra spec file (CSV or TOML)")
    ev.add_argument(
        "--target",
        default="thpt",
        choices=["thpt", *LATENCY_METRICS],
        help="the metric predicted and scored (default thpt; latency metrics need those "
        "columns in the data)",
    )
    ev.add_argument("--k", type=int, default=5, help="folds of the kfold protocol")
    ev.add_argument("--json", action="store_true", help="print machine-readable JSON")
    ev.add_argument("--errors", type=Path, help="write per-row errors to this CSV")
    ev.add_argument(
        "--interval",
        type=float,
        metavar="LEVEL",
        help="also report coverage and median relative width of LEVEL intervals",
    )
    ev.set_defaults(func=cmd_evaluate)

    rep = sub.add_parser("report", help="write a self-contained HTML report for stakeholders")
    data_args(rep)
    rep.add_argument("model", type=Path, help="model JSON written by 'ala fit' on DATA")
    rep.add_argument("-o", "--output", type=Path, required=True, help="HTML file to write")
    rep.add_argument("--title", default="LLM inference throughput: predictions and trust")
    rep.add_argument(
        "--config",
        action="append",
        metavar="COL=VALUE,...",
        help="configuration to show and size, repeatable (default: the two with the most rows; "
        "with --target every configuration is sized)",
    )
    rep.add_argument(
        "--target",
        type=float,
        help="load to size for: the report then opens with a recommendation and a decision table",
    )
    rep.add_argument("--unit", choices=["tokens/s", "requests/s"], default="tokens/s")
    rep.add_argument("--ii", type=float, default=512.0, help="input tokens per request")
    rep.add_argument("--oo", type=float, default=512.0, help="output tokens per request")
    rep.add_argument("--price", type=float, help="price per accelerator-hour")
    rep.add_argument("--currency", default="USD", help="currency code of --price")
    rep.add_argument("--level", type=float, default=0.9, help="interval level of the ranges")
    rep.set_defaults(func=cmd_report)

    an = sub.add_parser("anneal", help="simulated annealing over training subsets (Algorithm 6)")
    data_args(an)
    an.add_argument("-o", "--output", type=Path, required=True, help="run JSON to write")
    an.add_argument(
        "--config",
        action="append",
        metavar="COL=VALUE,...",
        help="configuration as col=value pairs, e.g. acc=A100,back=vLLM; repeatable; "
        "default: the configuration with the most rows",
    )
    an.add_argument("--iterations", type=int, default=200)
    an.add_argument("--chains", type=int, default=1, help="chains per configuration (seeds)")
    an.add_argument("--temperature", type=float, default=1.0, help="initial temperature")
    an.add_argument("--cooling", type=float, default=0.97, help="tau <- cooling * tau")
    an.add_argument("--moves", type=int, default=2, help="rows added/removed per step")
    an.add_argument(
        "--method",
        choices=METHODS,
        default="paper",
        help="model trained on each subset (default: paper, as Algorithm 6 does)",
    )
    an.add_argument("--processes", type=int, help="local worker processes (default: cores)")
    an.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    an.set_defaults(func=cmd_anneal)

    tr = sub.add_parser("trust", help="predicted error and confidence of a new dataset")
    tr.add_argument("run", type=Path, help="run JSON written by 'ala anneal'")
    tr.add_argument("data", type=Path, help="the new benchmark CSV")
    tr.add_argument("--map", action="append", metavar="CANONICAL=COLUMN")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=cmd_trust)

    def schedule_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "trace",
            type=Path,
            help="CSV or JSON lines: arrival time, prompt tokens, output tokens",
        )
        p.add_argument(
            "--policy",
            action="append",
            choices=list(POLICY_NAMES),
            help=f"repeatable (default: {', '.join(DEFAULT_POLICIES)})",
        )
        p.add_argument("--memory", type=int, default=16492, help="KV-cache tokens M (16492)")
        memory = p.add_argument_group("M from the spec catalogue instead of --memory")
        memory.add_argument("--accelerator", help="e.g. H100, A100-80GB, MI300X")
        memory.add_argument("--gpus", type=int, default=1, help="GPUs serving the model (1)")
        memory.add_argument("--llm", help="the served model, e.g. Llama-3.1-70B")
        memory.add_argument("--precision", help="weight precision (the model's default)")
        memory.add_argument(
            "--memory-utilisation",
            type=float,
            default=0.9,
            help="share of GPU memory the server may use (vLLM's default 0.9)",
        )
        memory.add_argument("--specs", action="append", type=Path, help="extra spec file")
        p.add_argument(
            "--intervals",
            choices=["symmetric", "random", "trace", "predicted"],
            default="symmetric",
            help="how output intervals are made; 'predicted': a length predictor fitted on "
            "the first half of the trace, replaying the second half",
        )
        p.add_argument(
            "--level",
            type=float,
            default=0.9,
            help="coverage of the predicted intervals (0.9)",
        )
        p.add_argument("--seed", type=int, default=0)
        p.add_argument(
            "--round-ms",
            type=float,
            default=20.0,
            help="without --model: duration of a round, to turn arrival times into rounds (20)",
        )
        p.add_argument(
            "--rate-scale",
            type=float,
            default=1.0,
            help="replay arrivals this many times faster (1)",
        )
        p.add_argument(
            "--all-at-zero",
            action="store_true",
            help="every request arrives at time 0 (the paper's setting)",
        )
        p.add_argument("--limit", type=int, help="use only the first N requests")
        p.add_argument(
            "--map",
            action="append",
            metavar="CANONICAL=COLUMN",
            help="name a trace column: arrival, prompt, output, lower or upper (repeatable)",
        )
        timing = p.add_argument_group("one clock in seconds from an ALA model")
        timing.add_argument("--model", type=Path, help="ALA model JSON")
        timing.add_argument(
            "--config", metavar="COL=VALUE,...", help="configuration of --model as col=value pairs"
        )
        timing.add_argument(
            "--interval",
            type=float,
            default=0.9,
            help="model interval for the latency range (0.9)",
        )
        timing.add_argument("--slo-ttft-s", type=float, help="SLO: time to first token (s)")
        timing.add_argument("--slo-e2e-s", type=float, help="SLO: end-to-end latency (s)")
        p.add_argument("--json", action="store_true", help="print machine-readable JSON")

    sch = sub.add_parser("schedule", help="simulate scheduling policies on a request trace")
    schedule_args(sch)
    sch.add_argument("--width", type=float, default=0.5, help="relative interval width x")
    sch.set_defaults(func=cmd_schedule)

    sw = sub.add_parser(
        "schedule-sweep", help="latency ratio to hindsight and to a lower bound over widths"
    )
    schedule_args(sw)
    sw.add_argument("--widths", default="0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9")
    sw.set_defaults(func=cmd_schedule_sweep, width=0.5)

    ld = sub.add_parser(
        "schedule-load", help="latency and SLO attainment per policy as the load rises"
    )
    schedule_args(ld)
    ld.add_argument("--width", type=float, default=0.5, help="relative interval width x")
    ld.add_argument(
        "--loads", default="0.5,0.7,0.8,0.9,0.95", help="shares of the measured capacity"
    )
    ld.add_argument(
        "--arrivals",
        choices=["trace", "poisson", "bursty"],
        default="poisson",
        help="arrival process at each load (poisson)",
    )
    ld.add_argument("--goal", type=float, default=0.9, help="SLO attainment goal (0.9)")
    ld.add_argument("--processes", type=int, help="worker processes (default: all cores)")
    ld.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    ld.set_defaults(func=cmd_schedule_load)

    mk = sub.add_parser("make-trace", help="write a synthetic request trace as CSV")
    mk.add_argument("-o", "--output", type=Path, required=True)
    mk.add_argument("--requests", type=int, default=10_000)
    mk.add_argument("--rate", type=float, default=5.0, help="mean requests per second (5)")
    mk.add_argument("--prompt-median", type=float, default=1000.0)
    mk.add_argument("--prompt-sigma", type=float, default=1.0, help="log-normal sigma (1)")
    mk.add_argument("--output-median", type=float, default=150.0)
    mk.add_argument("--output-sigma", type=float, default=1.0, help="log-normal sigma (1)")
    mk.add_argument("--arrivals", choices=["poisson", "bursty"], default="poisson")
    mk.add_argument("--seed", type=int, default=0)
    mk.set_defaults(func=cmd_make_trace)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (2 for a user's mistake, with one line on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AlaError as exc:
        print(f"ala: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ala: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
