"""The service layer: one call per user question, shared by the CLI and the app.

Each function returns a frozen result object; the CLI prints it, the app caches and draws it.
Nothing here prints, reads widgets or knows about Streamlit.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.configs import ConfigKey
from ala.data import Benchmarks
from ala.errors import AlaError
from ala.evaluate import (
    PAPER_PROTOCOLS,
    covered_rows,
    evaluate,
    format_summary,
    interval_coverage,
    subgroup_coverage,
)
from ala.files import write_text
from ala.scheduling.bounds import best_bound
from ala.scheduling.engine import Instance
from ala.scheduling.metrics import Slo
from ala.scheduling.predictor import PredictedIntervals
from ala.scheduling.run import ModelTiming, Scenario, paper_bounds, prepare_instance, simulate
from ala.scheduling.traces import Trace, load_trace
from ala.scheduling.workload import Process
from ala.transfer import MIN_POINTS

if TYPE_CHECKING:
    from ala.model import ThroughputModel
    from ala.scheduling.sweeps import LoadSweep
    from ala.slo import SLO, SloPlan
    from ala.specs import Catalogue
    from ala.transfer import TransferModel

FloatArray = npt.NDArray[np.float64]
ALL_METHODS = (
    "default",
    "paper",
    "linear",
    "xgboost",
    "random_forest",
    "gradient_boosting",
    "linear_log",
    "xgboost_log",
)
WIDTHS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


# ------------------------------------------------------------------------- evaluation
@dataclass(frozen=True, slots=True)
class Comparison:
    """Methods compared under hold-out protocols.

    ``summary``: one row per (protocol, method) with ``n, median_ape, p90_ape, mean_ape,
    fit_s, predict_s, folds`` and, with an interval level, ``coverage, median_rel_width,
    mean_rel_width``. ``errors``: one row per held-out point (``config`` holds keys).
    """

    summary: pd.DataFrame
    errors: pd.DataFrame = field(repr=False)
    skipped: pd.DataFrame = field(repr=False)
    level: float | None = None
    # Coverage per framework and accelerator subgroup (>= 100 held-out rows), worst first.
    subgroups: pd.DataFrame | None = field(default=None, repr=False)

    def format(self) -> str:
        """The summary as an aligned text table, then the subgroups' coverage (worst first)."""
        text = format_summary(self.summary)
        if self.subgroups is not None and len(self.subgroups):
            worst = self.subgroups.iloc[0]
            shown = self.subgroups.round(2).to_string(index=False)
            text += (
                f"\n\ncoverage per subgroup (>= 100 held-out rows); worst: {worst['column']} = "
                f"{worst['value']} ({worst['method']}), {worst['coverage']:.1f} %\n{shown}"
            )
        return text

    def __repr__(self) -> str:
        return f"Comparison(level={self.level})\n{self.format()}"

    def _repr_html_(self) -> str:
        return str(self.summary.to_html(index=False, float_format=lambda v: f"{v:,.2f}"))


def compare(
    data: Benchmarks | pd.DataFrame,
    methods: Sequence[str] = ALL_METHODS,
    protocols: Sequence[str] = PAPER_PROTOCOLS,
    level: float | None = None,
    k: int = 5,
    seed: int = 0,
    on_fold: Callable[[int, int], None] | None = None,
    target: str = "thpt",
) -> Comparison:
    """Evaluate methods by name under hold-out protocols, with interval coverage at ``level``.

    Parameters
    ----------
    data
        Validated benchmarks.
    methods, protocols
        Names from :data:`ala.methods.METHOD_NAMES` and :data:`ala.evaluate.PROTOCOLS`.
    level
        Interval level for coverage (methods ``default`` and ``paper`` only), or None.
    k, seed
        Folds of ``kfold`` and the seed of every method.
    on_fold
        Progress callback ``on_fold(done, total)``.
    target
        ``thpt`` or a latency metric (``ttft_ms``, ``tpot_ms``, ``e2e_ms``, ...).

    Raises
    ------
    AlaError
        For unknown names, a bad level, or data with nothing to hold out.
    """
    from ala.latency import latency_coverage
    from ala.methods import factories
    from ala.model import throughput_source_for

    if level is not None and not 0 < level < 1:
        raise AlaError(f"the interval level must lie between 0 and 1, got {level}")
    cols = data.config_columns if isinstance(data, Benchmarks) else None
    source = throughput_source_for(data) if isinstance(data, Benchmarks) else "auto"
    result = evaluate(
        data,
        factories(list(methods), cols, seed, target, source),
        protocols,
        config_columns=cols,
        k=k,
        seed=seed,
        on_fold=on_fold,
        target=target,
    )
    table = result.summary()
    if level is not None and target != "thpt" and "default" in methods:
        ours = result.errors[result.errors["method"] == "default"]
        coverage = latency_coverage(ours, target, level).drop(columns="n")
        table = table.merge(
            coverage.assign(method="default"), on=["protocol", "method"], how="left"
        )
    subgroups = None
    if level is not None and target == "thpt" and {"default", "paper"} & set(methods):
        rows = covered_rows(result, level)  # calibrated out of fold once, read twice
        coverage = interval_coverage(result, level, covered=rows).drop(columns="n")
        table = table.merge(coverage, on=["protocol", "method"], how="left")
        subgroups = subgroup_coverage(result, level, covered=rows)
    return Comparison(table, result.errors, result.skipped, level, subgroups)


# ------------------------------------------------------------------------- scheduling
def read_trace(
    source: str | Path | bytes,
    limit: int | None = None,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Trace:
    """A request trace from a path or bytes, cut to its first ``limit`` requests.

    ``columns`` maps canonical names (``arrival``, ``prompt``, ``output``, ``lower``,
    ``upper``) to the file's, where the built-in aliases do not find them.
    """
    trace = load_trace(source, columns, name) if name else load_trace(source, columns)
    if limit is not None:
        if limit <= 0:
            raise AlaError(f"the request limit must be positive, got {limit}")
        trace = trace.head(limit)
    return trace


def model_timing(
    model: ThroughputModel, config: ConfigKey, trace: Trace, interval: float | None = 0.9
) -> ModelTiming:
    """Round durations for ``trace``'s median lengths on one configuration (see
    :func:`ala.scheduling.run.timing_from_model`), with the range at ``interval``."""
    from ala.scheduling.run import timing_from_model

    return timing_from_model(
        model, config, float(np.median(trace.prompt)), float(np.median(trace.output)), interval
    )


@dataclass(frozen=True, slots=True)
class PolicyComparison:
    """Scheduling policies on one trace and scenario.

    ``summary``: one row per policy (index) with the simulation's figures; ``vs_hindsight``
    (total latency / hindsight's) when hindsight ran; ``vs_bound`` (total latency / the best
    lower bound) for untimed runs; for timed runs the latencies in seconds, and with a model
    interval ``p99_latency_s_fast`` / ``_slow`` (and SLO attainment) at its ends. ``memory``:
    per policy, the rounds and KV-cache tokens in use at each change. ``notes`` say where the
    intervals, the timing and the bound came from.
    """

    trace: str
    requests: int
    scenario: Scenario
    summary: pd.DataFrame
    memory: Mapping[str, tuple[FloatArray, FloatArray]] = field(repr=False)
    notes: tuple[str, ...] = ()

    def format(self) -> str:
        """A header line, the notes and the summary as an aligned text table."""
        s = self.scenario
        kind = (
            f"predicted at {s.level:.0%}"
            if s.interval_kind == "predicted"
            else f"width {s.width} ({s.interval_kind})"
        )
        head = (
            f"{self.trace}: {self.requests} requests, memory {s.memory} tokens, intervals "
            f"{kind}{', all at time 0' if s.all_at_zero else ''}"
        )
        lines = [head, *(f"  {n}" for n in self.notes)]
        return "\n".join(lines) + "\n" + str(self.summary.T.to_string(float_format="%.4g"))

    def __repr__(self) -> str:
        return self.format()

    def _repr_html_(self) -> str:
        head = "".join(f"<p>{html.escape(line)}</p>" for line in self.format().splitlines()[:1])
        return head + str(self.summary.to_html())


def compare_policies(
    trace: Trace,
    scenario: Scenario,
    policies: Sequence[str],
    timing: ModelTiming | None = None,
    slo: Slo | None = None,
) -> PolicyComparison:
    """Simulate each policy on ``trace`` under ``scenario``; timed in seconds with ``timing``.

    Raises
    ------
    AlaError
        If the scenario's settings are out of range.
    """
    _check_scenario(scenario)
    inst, predicted = prepare_instance(trace, scenario)
    clock = timing.timing if timing is not None else None
    results = {p: simulate(inst, p, scenario.memory, clock) for p in policies}
    summary = pd.DataFrame({p: r.row(slo) for p, r in results.items()}).T
    notes = [_interval_note(scenario, inst, predicted)]
    if "hindsight" in results:
        base = float(summary.loc["hindsight", "total_latency"])
        summary["vs_hindsight"] = summary["total_latency"].astype(float) / (base or 1.0)
    if timing is None and results:
        bound = best_bound(inst, scenario.memory, next(iter(results.values())).finished)
        summary["vs_bound"] = summary["total_latency"].astype(float) / (bound.value or 1.0)
        notes.append(f"lower bound on total latency: {bound.value:.4g} rounds ({bound.method})")
    if timing is not None:
        notes.append(f"round durations from the {timing.source}")
        for end, other in (("fast", timing.fast), ("slow", timing.slow)):
            if other is None:
                continue
            for p in policies:
                row = simulate(inst, p, scenario.memory, other).row(slo)
                summary.loc[p, f"p99_latency_s_{end}"] = row["p99_latency_s"]
                if slo is not None:
                    summary.loc[p, f"slo_attainment_{end}"] = row["slo_attainment"]
    memory = {
        p: (np.asarray(r.memory_rounds, float), np.asarray(r.memory_values, float))
        for p, r in results.items()
    }
    return PolicyComparison(trace.name, len(inst), scenario, summary, memory, tuple(notes))


def _interval_note(scenario: Scenario, inst: Instance, predicted: PredictedIntervals | None) -> str:
    if predicted is not None:
        fitted_on = predicted.held_out[0] if predicted.held_out.size else 0
        return predicted.describe() + f"; fitted on the first {fitted_on} requests"
    covered = float(inst.covered().mean()) if len(inst) else 1.0
    return f"{scenario.interval_kind} intervals: {covered:.1%} contain the true output length"


@dataclass(frozen=True, slots=True)
class WidthSweep:
    """Latency ratio to hindsight per policy over interval widths, with the papers' bounds."""

    table: pd.DataFrame = field(repr=False)
    bounds: pd.DataFrame = field(repr=False)

    def format(self) -> str:
        """Ratio to hindsight (and to the lower bound) as width x policy text tables."""
        from ala.scheduling.sweeps import pivot_text

        text = pivot_text(self.table, "width", "ratio", "total latency / hindsight's")
        if "vs_bound" in self.table:
            text += "\n" + pivot_text(self.table, "width", "vs_bound", "total latency / bound")
        return text

    def __repr__(self) -> str:
        return self.format()


def width_sweep(
    trace: Trace,
    scenario: Scenario,
    policies: Sequence[str],
    widths: Sequence[float] = WIDTHS,
    timing: ModelTiming | None = None,
    processes: int | None = 1,
    scheduler: str | None = None,
    on_done: Callable[[int, int], None] | None = None,
) -> WidthSweep:
    """Each policy at each interval width, against hindsight and the best lower bound; its
    cells run in ``processes`` local processes or on the Dask cluster at ``scheduler``."""
    from ala.scheduling.sweeps import width_sweep_table

    _check_scenario(scenario)
    if not widths or any(not 0 <= w < 1 for w in widths):
        raise AlaError("interval widths must lie in [0, 1)")
    clock = timing.timing if timing is not None else None
    table = width_sweep_table(
        trace, scenario, widths, policies, clock, processes, scheduler, on_done
    )
    return WidthSweep(table, paper_bounds(widths))


def load_sweep(
    trace: Trace,
    scenario: Scenario,
    policies: Sequence[str],
    timing: ModelTiming,
    loads: Sequence[float],
    process: Process = "poisson",
    slo: Slo | None = None,
    goal: float = 0.9,
    processes: int | None = None,
    scheduler: str | None = None,
) -> LoadSweep:
    """Latency and SLO attainment per policy as the load rises to capacity (see
    :func:`ala.scheduling.sweeps.load_sweep`)."""
    from ala.scheduling.sweeps import load_sweep as sweep_loads

    _check_scenario(scenario)
    return sweep_loads(
        trace, scenario, policies, timing.timing, loads, process, slo, goal, processes, scheduler
    )


def _check_scenario(scenario: Scenario) -> None:
    if not (scenario.memory > 0 and scenario.round_s > 0 and scenario.rate_scale > 0):
        raise AlaError("memory, round duration and rate scale must be positive")
    if not 0 <= scenario.width < 1:
        raise AlaError(f"the interval width must lie in [0, 1), got {scenario.width}")
    if not 0 < scenario.level < 1:
        raise AlaError(f"the predictor's coverage level must lie in (0, 1), got {scenario.level}")


# ------------------------------------------------------------------------- prediction
def predict_file(
    model_path: str | Path,
    queries: str | Path | bytes | pd.DataFrame,
    interval: float | None = None,
    run: str | Path | None = None,
    seed: int = 0,
    specs: Catalogue | None = None,
) -> pd.DataFrame:
    """Predictions for every row of a query file, in order, with the file's own columns.

    Adds ``thpt_pred`` and ``source``; with ``interval`` also ``thpt_lo, thpt_hi,
    proximity, nearest_distance``; with an annealing ``run`` file also Algorithm 8's
    ``predicted_error`` and ``confidence`` (Algorithm 8: the only "confidence" in ala) of
    each configuration's training data. ``identified`` and ``note`` say where the data cannot
    identify a prediction (a factor that never varied); those rows get no interval.

    A configuration that was never benchmarked is transferred from its measured siblings
    through the spec catalogue (``source`` ``transfer``; ``unseen`` names the attributes in
    which it differs from the nearest sibling, ``siblings`` the ones it leans on); so is one
    measured at fewer than :data:`~ala.transfer.MIN_POINTS` points, moved by those measurements (its
    ``note`` says how far; latency metrics still come from its own model). Every row
    gets the memory check: ``memory_need_gb`` (weights + KV cache), ``fits_memory``.

    Raises
    ------
    SpecError
        For a never-benchmarked configuration whose specs are not in the catalogue.
    """
    from ala.data import load_queries
    from ala.model import ThroughputModel
    from ala.physics import memory_check
    from ala.specs import SpecError

    model = ThroughputModel.load(model_path)
    # A column whose value is the same for every configuration may be left out of the queries.
    constants = {
        c: values.pop()
        for j, c in enumerate(model.config_columns_)
        if len(values := {k[j] for k in model.configs_}) == 1
    }
    raw, canonical = load_queries(
        queries, model.config_columns_, model.column_map_, constants=constants
    )
    counts = model.point_counts(canonical)
    known, few = counts > 0, (counts > 0) & (counts < MIN_POINTS)
    parts = []
    if (known & ~few).any():
        parts.append(model.predict(canonical[known & ~few], interval=interval))
    if few.any():
        parts.append(_few_shot_predict(model, canonical[few], interval, specs))
    if not known.all():
        try:
            parts.append(transfer_predict(model, canonical[~known], interval, specs))
        except SpecError as error:
            where = Path(queries).name if isinstance(queries, str | Path) else "queries"
            at = f", rows {error.rows[:8]}{' ...' * (len(error.rows) > 8)}" if error.rows else ""
            raise SpecError(f"{where}{at}: {error}") from None
    pred = pd.concat(parts).reindex(canonical.index)
    pred["unseen"] = pred["unseen"].fillna("") if "unseen" in pred else ""
    pred["siblings"] = pred["siblings"].fillna("") if "siblings" in pred else ""
    memory = memory_check(canonical, specs)
    pred["memory_need_gb"] = memory["memory_need_gb"].to_numpy()
    pred["fits_memory"] = memory["fits_memory"].to_numpy()
    pred["note"] = [_joined(a, b) for a, b in zip(pred["note"], memory["memory_note"], strict=True)]
    out = raw.copy()
    extra = ["thpt_pred", "source"]
    if interval is not None:
        extra += ["thpt_lo", "thpt_hi", "proximity", "nearest_distance"]
    if model.latency_ is not None:  # every modelled latency metric, with its interval
        for metric in model.latency_.metrics_:
            extra += [f"{metric}_pred"] + (
                [f"{metric}_lo", f"{metric}_hi"] if interval is not None else []
            )
    extra += ["past_peak", "identified", "note", "unseen", "siblings", "memory_need_gb"]
    extra += ["fits_memory"]
    for col in (c for c in extra if c not in pred):  # e.g. a transferred row: not modelled
        pred[col] = np.nan
    for col in extra:
        # Never overwrite a column of the user's file: ours gets a prefix if the name is taken.
        out[col if col not in raw.columns else f"ala_{col}"] = pred[col].to_numpy()
    if run is not None:
        from ala.annealing import load_runs
        from ala.trust import TrustModel, trust_by_config

        if not known.all():
            raise AlaError(
                "--run gives the confidence of benchmarked configurations only; remove the "
                "never-benchmarked rows or the --run option"
            )
        ids = [int(i) for i in model.config_ids(canonical)]
        reports = trust_by_config(TrustModel(seed).fit(load_runs(run)), model, ids)
        out["predicted_error"] = [reports[i].predicted_error for i in ids]
        out["confidence"] = [reports[i].confidence for i in ids]
    return out


def _joined(note: object, more: str) -> str:
    """A row's note with ``more`` after it (either may be empty)."""
    return "; ".join(n for n in (str(note or ""), more) if n)


def few_points_note(model: ThroughputModel, config: ConfigKey) -> str:
    """For a configuration measured at fewer than :data:`~ala.transfer.MIN_POINTS` points, what a
    user should know about its own curves' answer (empty otherwise)."""
    query = pd.DataFrame([dict(zip(model.config_columns_, config, strict=True))])
    count = int(model.point_counts(query)[0])
    if not 0 < count < MIN_POINTS:
        return ""
    return (
        f"This configuration has only {count} measured point{'s' * (count > 1)}: its own curves "
        "are barely identified by so few. The transfer page answers it from its measured "
        "siblings, moved by these measurements, as `ala predict` does."
    )


def _few_shot_predict(
    model: ThroughputModel,
    queries: pd.DataFrame,
    interval: float | None,
    specs: Catalogue | None,
) -> pd.DataFrame:
    """Rows of configurations measured at fewer than :data:`~ala.transfer.MIN_POINTS` points:
    transferred from their siblings and moved by those measurements (their own curves are
    barely identified by so few), with the latency metrics of their own model; their own
    model's answer, with a note, where they cannot be transferred."""
    own = model.predict(queries, interval=interval)
    try:
        moved = transfer_predict(model, queries, interval, specs)
    except AlaError as error:
        own["note"] = [
            _joined(a, f"few measurements and no transfer: {error}") for a in own["note"]
        ]
        return own
    for column in (c for c in own.columns if c not in moved and not c.startswith("thpt")):
        moved[column] = own[column]
    return moved


def transfer_predict(
    model: ThroughputModel,
    queries: pd.DataFrame,
    interval: float | None = None,
    specs: Catalogue | None = None,
) -> pd.DataFrame:
    """Predictions for configurations ``model`` never saw, transferred from the ones it did.

    Intervals wider than :data:`ala.model.MAX_INTERVAL_RATIO` are withheld with a note, as
    for every other prediction.
    """
    from ala.model import MAX_INTERVAL_RATIO
    from ala.transfer import TransferModel

    transfer = TransferModel(model.config_columns_, specs).fit(model.training_frame())
    moved = transfer.predict(queries, interval=interval)
    notes = [
        f"transferred from measured siblings (see siblings); differs from the nearest in "
        f"{u.replace(';', ', ') or 'nothing'}{shots_note(shots, peers, shift)}"
        for u, shots, peers, shift in moved[["unseen", "shots", "peers", "shift"]].itertuples(
            index=False
        )
    ]
    if interval is not None:
        wide = ~(moved["thpt_hi"] <= MAX_INTERVAL_RATIO * moved["thpt_lo"]).to_numpy()
        moved.loc[wide, ["thpt_lo", "thpt_hi"]] = np.nan
        notes = [
            n
            + (
                "; no reliable interval: the calibrated range spans more than "
                f"{MAX_INTERVAL_RATIO:g}x"
                if w
                else ""
            )
            for n, w in zip(notes, wide, strict=True)
        ]
        moved["proximity"] = np.nan
        moved["nearest_distance"] = np.nan
    moved["identified"] = True
    moved["note"] = notes
    moved = moved.drop(columns=["config_distance"])
    return moved


# ------------------------------------------------------------------------- specs and transfer
def spec_listing(
    specs: Catalogue | None = None,
    check: str | Path | None = None,
    kind: str | None = None,
) -> str:
    """The catalogue as text tables, or, with a dataset, which of its accelerator and model
    values have an entry (and which do not, with how to add them)."""
    from ala.physics import bundled_catalogue
    from ala.specs import coverage

    catalogue = specs or bundled_catalogue()
    kinds = ("accelerator", "model") if kind is None else (kind,)
    if check is None:
        shown = {
            "accelerator": [
                "name",
                "vendor",
                "memory_gb",
                "memory_bw_tbs",
                "bf16_tflops",
                "fp8_tflops",
                "fp4_tflops",
                "interconnect_gbs",
                "source",
            ],
            "model": [
                "name",
                "total_params_b",
                "active_params_b",
                "layers",
                "kv_heads",
                "head_dim",
                "default_precision",
                "source",
            ],
        }
        blocks = []
        for k in kinds:
            table = catalogue.table(k)[shown[k]]  # type: ignore[arg-type]
            blocks.append(f"{k}s ({len(table)}):\n" + table.fillna("").to_string(index=False))
        return "\n\n".join(blocks)
    from ala.data import load_benchmarks

    data = load_benchmarks(check, check_limits=False)
    lines = []
    for k, column in (("accelerator", "acc"), ("model", "model")):
        if k not in kinds:
            continue
        if column not in data.frame:
            lines.append(f"{k}s: the data has no {column!r} column")
            continue
        found = coverage(catalogue, k, sorted(data.frame[column].unique()))  # type: ignore[arg-type]
        for value, entry in zip(found["value"], found["entry"], strict=True):
            lines.append(
                f"{k} {value!r}: " + (f"-> {entry}" if entry else "MISSING: add it with --specs")
            )
    return "\n".join(lines)


def compare_transfer(
    data: Benchmarks,
    methods: Sequence[str],
    protocols: Sequence[str],
    shots: Sequence[int] = (0,),
    level: float | None = 0.9,
    specs: Catalogue | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Transfer methods under the leave-one-attribute-out protocols: the summary table."""
    from ala.transfer_eval import evaluate_transfer

    result = evaluate_transfer(
        data, methods, protocols, shots=shots, level=level, specs=specs, seed=seed
    )
    return result.summary


@dataclass(frozen=True, slots=True)
class TransferAnswer:
    """A what-if for a configuration that may never have been benchmarked.

    ``curve``: bb, thpt_pred and, with a level, thpt_lo / thpt_hi (NaN where withheld);
    ``source``: ``transfer`` or ``measured-curve``; ``unseen``: attributes in which it differs
    from the nearest measured sibling; ``siblings``: the measured points, at this length, of
    the siblings it leans on most (for overlaying); ``memory``: the memory check per batch.
    """

    curve: pd.DataFrame
    source: str
    unseen: tuple[str, ...]
    siblings: pd.DataFrame
    memory: pd.DataFrame
    note: str
    config_distance: float = 0.0
    shots: int = 0
    peers: int = 0
    shift: float = 1.0

    @property
    def source_note(self) -> str:
        """Where the answer comes from, in a sentence (Markdown)."""
        if self.source != "transfer":
            return "**Source:** this configuration's own measurements."
        unseen = ", ".join(self.unseen) or "nothing"
        text = f"**Source:** transfer; differs from the nearest measured sibling in: {unseen}"
        return text + shots_note(self.shots, self.peers, self.shift) + "."

    @property
    def proximity(self) -> float:
        """``1 / (1 + distance)`` to the nearest measured configuration: 1 when measured, 0.5
        one attribute away."""
        return 1.0 / (1.0 + self.config_distance)


def transfer_whatif(
    model: TransferModel,
    config: Mapping[str, str],
    ii: float,
    oo: float,
    batches: Sequence[float],
    level: float | None = 0.9,
    specs: Catalogue | None = None,
) -> TransferAnswer:
    """Predict a curve for any configuration whose specs are known, and say what it rests on.

    Raises
    ------
    SpecError
        When the accelerator or model is missing from the catalogue.
    """
    from ala.configs import config_label
    from ala.model import MAX_INTERVAL_RATIO
    from ala.physics import memory_check

    cols = model.config_columns_
    queries = pd.DataFrame({c: str(config.get(c, "")) for c in cols}, index=range(len(batches)))
    queries["ii"], queries["oo"], queries["bb"] = float(ii), float(oo), np.asarray(batches, float)
    pred = model.predict(queries, interval=level)
    curve = pd.concat(
        [queries[["bb"]], pred.drop(columns=["source", "unseen", "siblings"])], axis=1
    )
    note = ""
    if level is not None:
        wide = ~(curve["thpt_hi"] <= MAX_INTERVAL_RATIO * curve["thpt_lo"])
        if wide.any():
            curve.loc[wide, ["thpt_lo", "thpt_hi"]] = np.nan
            note = (
                f"no reliable interval: held-out transfers of this kind missed by more than "
                f"{MAX_INTERVAL_RATIO:g}x at this level"
            )
    points = [
        m.points[(m.points["ii"] == ii) & (m.points["oo"] == oo)].assign(
            sibling=config_label(m.key)
        )
        for m in model.leaning_on(config)
    ]
    siblings = (
        pd.concat(points, ignore_index=True)
        if points
        else pd.DataFrame(columns=["ii", "oo", "bb", "thpt", "sibling"])
    )
    return TransferAnswer(
        curve=curve.reset_index(drop=True),
        source=str(pred["source"].iloc[0]),
        unseen=tuple(u for u in str(pred["unseen"].iloc[0]).split(";") if u),
        siblings=siblings,
        memory=memory_check(queries, specs),
        note=note,
        config_distance=float(pred["config_distance"].iloc[0]),
        shots=int(pred["shots"].iloc[0]),
        peers=int(pred["peers"].iloc[0]),
        shift=float(pred["shift"].iloc[0]),
    )


def shots_note(shots: int, peers: int, shift: float) -> str:
    """How far a configuration's own few measurements (and its peers') moved a transferred
    answer: ``; its 3 measurements, with 5 peer configurations' shots, moved the answer
    1.23x`` (empty without shots)."""
    if not shots:
        return ""
    own = f"its {shots} measurement{'s' * (shots > 1)}"
    beside = f", with {peers} peer configuration{'s' * (peers > 1)}' shots," if peers else ""
    return f"; {own}{beside} moved the answer {shift:.2f}x"


# ------------------------------------------------------------------------- SLO sizing
def plan_slo(
    model: str | Path | ThroughputModel,
    ii: float,
    oo: float,
    slo: SLO,
    tokens_per_s: float | None = None,
    requests_per_s: float | None = None,
    price_per_gpu_hour: float | None = None,
    currency: str = "USD",
    configs: Sequence[str] = (),
    level: float = 0.9,
    pareto_html: str | Path | None = None,
    lengths: str | Path | None = None,
) -> SloPlan:
    """SLO-aware sizing of every configuration of a saved (or fitted) model, ranked cheapest
    first among those that meet the SLO (:func:`ala.slo.slo_sizing`); ``configs`` narrows it to
    ``col=value,...`` selections. With ``pareto_html`` the Pareto view is written there too.
    ``lengths`` is a CSV of request lengths (ii and oo under any recognised spelling, e.g. a
    trace with ContextTokens and GeneratedTokens) to size for instead of fixed ``ii``/``oo``.

    Raises
    ------
    AlaError
        For an unreadable model, bad inputs or a model without the latency metrics needed.
    """
    from ala.configs import parse_config
    from ala.model import ThroughputModel
    from ala.plots import pareto_figure
    from ala.slo import pareto_frame, slo_sizing

    fitted = model if isinstance(model, ThroughputModel) else ThroughputModel.load(model)
    keys = [parse_config(text, fitted.config_columns_) for text in configs] or None
    distribution = None
    if lengths is not None:
        from ala.data import ALIASES
        from ala.tables import coerce_positive, read_table, resolve_columns

        table = read_table(lengths)
        found = resolve_columns(list(table.frame.columns), {k: ALIASES[k] for k in ("ii", "oo")})
        if set(found) != {"ii", "oo"}:
            raise AlaError(
                f"{table.name}: needs input and output token columns (e.g. ii and oo, or "
                f"ContextTokens and GeneratedTokens); found {', '.join(table.frame.columns)}"
            )
        distribution = pd.DataFrame(
            {k: coerce_positive(table.frame[found[k]], k)[0] for k in ("ii", "oo")}
        ).dropna()
    plan = slo_sizing(
        fitted,
        ii,
        oo,
        slo,
        tokens_per_s=tokens_per_s,
        requests_per_s=requests_per_s,
        price_per_gpu_hour=price_per_gpu_hour,
        currency=currency,
        configs=keys,
        level=level,
        lengths=distribution,
    )
    if pareto_html is not None:
        curves, measured = pareto_frame(fitted, plan)
        title = f"{slo.describe()}; {ii:g} in / {oo:g} out tokens"
        figure = pareto_figure(curves, measured, title)
        write_text(pareto_html, figure.to_html(include_plotlyjs=True))
    return plan


# ------------------------------------------------------------------------- benchmark this next
def suggest_next(
    model: str | Path | ThroughputModel,
    config: str | ConfigKey,
    ii: float | None = None,
    oo: float | None = None,
    bb: Sequence[float] = (),
    k: int = 5,
    level: float = 0.9,
) -> pd.DataFrame:
    """The points to benchmark next for a configuration (a key, or ``col=value,...``) of a saved (or
    fitted) model: for the workload ``ii``/``oo`` over the batch sizes ``bb`` (default: powers
    of two to twice the largest measured) when given, else for every benchmarked length
    (:func:`ala.suggest.suggest_points`).

    Raises
    ------
    AlaError
        For an unreadable or uncalibrated model, or an unknown configuration.
    """
    from ala.configs import parse_config
    from ala.model import ThroughputModel
    from ala.suggest import default_targets, suggest_points

    fitted = model if isinstance(model, ThroughputModel) else ThroughputModel.load(model)
    key = parse_config(config, fitted.config_columns_) if isinstance(config, str) else config
    targets = None
    if ii is not None and oo is not None:
        grid = list(bb) or sorted(set(default_targets(fitted, key)["bb"]))
        targets = pd.DataFrame({"ii": float(ii), "oo": float(oo), "bb": [float(b) for b in grid]})
    return suggest_points(fitted, key, targets, k=k, level=level)


# ------------------------------------------------------------------------- expected error
def expected_errors(learn_from: Benchmarks, new: Benchmarks, seed: int = 0) -> pd.DataFrame:
    """The median APE (%) the default model is expected to have on each configuration of
    ``new``, learned from ``learn_from``'s configurations with Table I's protocol
    (:class:`ala.error_model.DatasetErrorModel`); ``internal_error_pct`` is the dataset's own
    two-fold error, the strongest single clue.

    Raises
    ------
    AlaError
        For too few configurations to learn from, or a configuration with too few rows.
    """
    from ala.configs import config_keys, config_label
    from ala.error_model import MIN_ROWS, DatasetErrorModel, dataset_features

    keys = config_keys(learn_from.frame, learn_from.config_columns)
    groups = [g for _, g in learn_from.frame.groupby(keys.to_numpy())]
    model = DatasetErrorModel.from_configurations(groups, seed=seed)
    rows = []
    new_keys = config_keys(new.frame, new.config_columns)
    for key, group in new.frame.groupby(new_keys.to_numpy(), sort=True):
        row = {"configuration": config_label(key), "rows": len(group)}
        if len(group) < MIN_ROWS:
            rows.append({**row, "note": f"fewer than {MIN_ROWS} rows: too few to judge"})
            continue
        features = dataset_features(group, seed)
        rows.append(
            {
                **row,
                "expected_error_pct": float(model.predict([group])[0]),
                "internal_error_pct": float(np.exp(features["log_internal"])),
                "note": "",
            }
        )
    columns = ["configuration", "rows", "expected_error_pct", "internal_error_pct", "note"]
    return pd.DataFrame(rows).reindex(columns=columns)
