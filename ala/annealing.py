"""Algorithm 6 of Ray et al.: simulated annealing over training subsets, and parallel chains.

The state is a subset S of one configuration's benchmark rows. Each iteration cools the
temperature (``tau <- alpha * tau``), proposes S' = S* with ``moves`` rows randomly added or
removed, trains a model on S' and measures its error E(S') on the rows not in S' (median
absolute percentage error by default; pluggable). S' is accepted if E' < E* or with probability
``exp((E* - E') / tau)``. Every iteration is logged, degenerate subsets (too few rows to fit, or
nothing left to test on) included, so the logs can train the error predictor (Algorithm 7).

Chains (different seeds or configurations) run in parallel in local processes, or on a Dask
cluster when a scheduler address is given (``pip install ala[dask]``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ala.configs import ConfigKey, config_keys, config_label
from ala.errors import AlaError, DataError
from ala.files import write_text
from ala.model import ThroughputModel
from ala.parallel import map_tasks

ErrorFn = Callable[[pd.DataFrame, pd.DataFrame], float]
RUN_FORMAT = "ala.anneal-run"
RUN_VERSION = 1
MIN_ROWS = 3


@dataclass(frozen=True, slots=True)
class AnnealSettings:
    """Annealing parameters; temperatures are in the error's units (percentage points)."""

    iterations: int = 200
    initial_temperature: float = 1.0
    cooling: float = 0.97
    moves: int = 2
    seed: int = 0
    method: str = "paper"  # the model trained on each subset: Algorithm 6 uses the paper's

    def __post_init__(self) -> None:
        if self.iterations < 1 or self.moves < 1:
            raise AlaError("iterations and moves must be at least 1")
        if not 0 < self.cooling <= 1 or self.initial_temperature <= 0:
            raise AlaError("cooling must be in (0, 1] and the initial temperature positive")


@dataclass(frozen=True, slots=True)
class AnnealStep:
    """One logged iteration: the proposed subset (row positions) and what happened to it."""

    iteration: int
    subset: tuple[int, ...]
    error: float  # NaN for a degenerate subset
    accepted: bool
    temperature: float
    current_error: float
    best_error: float
    degenerate: bool = False


@dataclass(frozen=True, slots=True)
class AnnealRun:
    """A finished (or stopped) chain: its universe of rows, settings and every step."""

    config: str
    universe: pd.DataFrame  # the configuration's rows: ii, oo, bb, thpt (positions = subset ids)
    settings: AnnealSettings
    steps: tuple[AnnealStep, ...]
    stopped: bool = False

    @property
    def best(self) -> AnnealStep:
        """The logged step with the lowest error (degenerate subsets excluded)."""
        valid = [s for s in self.steps if not s.degenerate]
        if not valid:
            raise AlaError(f"run {self.config!r} logged no usable subset")
        return min(valid, key=lambda s: (s.error, s.iteration))

    def trace(self) -> pd.DataFrame:
        """One row per iteration: error, current, best, temperature, accepted, subset size."""
        return pd.DataFrame(
            [
                {
                    "iteration": s.iteration,
                    "error": s.error,
                    "current_error": s.current_error,
                    "best_error": s.best_error,
                    "temperature": s.temperature,
                    "accepted": s.accepted,
                    "degenerate": s.degenerate,
                    "size": len(s.subset),
                }
                for s in self.steps
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """The run as a JSON-ready document."""
        return {
            "config": self.config,
            "stopped": self.stopped,
            "settings": asdict(self.settings),
            "universe": {c: self.universe[c].tolist() for c in self.universe.columns},
            "steps": [
                [
                    s.iteration,
                    list(s.subset),
                    s.error,
                    s.accepted,
                    s.temperature,
                    s.current_error,
                    s.best_error,
                    s.degenerate,
                ]
                for s in self.steps
            ],
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> AnnealRun:
        """Rebuild a run from :meth:`to_dict`'s document."""
        steps = tuple(
            AnnealStep(
                int(i),
                tuple(int(x) for x in sub),
                float(e),
                bool(a),
                float(t),
                float(c),
                float(b),
                bool(d),
            )
            for i, sub, e, a, t, c, b, d in doc["steps"]
        )
        return cls(
            config=str(doc["config"]),
            universe=pd.DataFrame(doc["universe"]),
            settings=AnnealSettings(**doc["settings"]),
            steps=steps,
            stopped=bool(doc.get("stopped", False)),
        )


def median_ape(train: pd.DataFrame, test: pd.DataFrame, method: str = "default") -> float:
    """E(S): median APE (%) on ``test`` of a model of ``method`` trained on ``train``."""
    model = ThroughputModel(method, config_columns=()).fit(train)
    pred = model.predict(test)["thpt_pred"].to_numpy(float)
    actual = test["thpt"].to_numpy(float)
    return float(np.median(np.abs(pred - actual) / actual) * 100)


def _fit_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["ii", "oo", "bb", "thpt"]].reset_index(drop=True)


def anneal(
    universe: pd.DataFrame,
    settings: AnnealSettings = AnnealSettings(),
    *,
    config: str = "all",
    initial: Sequence[int] | None = None,
    error_fn: ErrorFn | None = None,
    on_step: Callable[[AnnealStep], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> AnnealRun:
    """Run one annealing chain over subsets of ``universe`` (one configuration's rows).

    Parameters
    ----------
    universe
        Rows with ``ii, oo, bb, thpt``; subsets are sets of row positions.
    settings
        Iterations, temperature schedule, moves per step, seed and model method.
    initial
        Starting subset S0 (row positions); default a seeded random half.
    error_fn
        ``error_fn(train, test) -> error``; default :func:`median_ape` of ``settings.method``.
    on_step, should_stop
        Called after every iteration / checked before every iteration (cancellation).
    """
    data = _fit_frame(universe)
    n = len(data)
    if n < MIN_ROWS + 1:
        raise DataError(
            f"configuration {config!r} has {n} rows; annealing needs at least {MIN_ROWS + 1}"
        )
    rng = np.random.default_rng(settings.seed)
    measure = error_fn or (lambda tr, te: median_ape(tr, te, settings.method))

    def evaluate(mask: np.ndarray) -> float:
        if mask.sum() < MIN_ROWS or mask.all():
            return math.nan
        try:
            value = float(measure(data[mask], data[~mask]))
        except (AlaError, ValueError, np.linalg.LinAlgError):
            return math.nan
        return value if math.isfinite(value) else math.nan

    current = np.zeros(n, bool)
    if initial is None:
        current[rng.permutation(n)[: n // 2]] = True
    else:
        current[list(initial)] = True
    current_error = evaluate(current)
    best_error = current_error if not math.isnan(current_error) else math.inf
    tau = settings.initial_temperature
    steps: list[AnnealStep] = []
    stopped = False
    for iteration in range(settings.iterations):
        if should_stop is not None and should_stop():
            stopped = True
            break
        tau *= settings.cooling
        candidate = current.copy()
        flip = rng.choice(n, size=min(settings.moves, n), replace=False)
        candidate[flip] = ~candidate[flip]
        error = evaluate(candidate)
        degenerate = math.isnan(error)
        draw = rng.random()
        if degenerate:
            accepted = False
        elif math.isnan(current_error) or error < current_error:
            accepted = True
        else:
            accepted = bool(draw < math.exp((current_error - error) / tau))
        if accepted:
            current, current_error = candidate, error
            best_error = min(best_error, error)
        step = AnnealStep(
            iteration,
            tuple(int(i) for i in np.flatnonzero(candidate)),
            error,
            accepted,
            tau,
            current_error,
            best_error,
            degenerate,
        )
        steps.append(step)
        if on_step is not None:
            on_step(step)
    return AnnealRun(config, data, settings, tuple(steps), stopped)


@dataclass(frozen=True, slots=True)
class ChainSpec:
    """One chain to run: a configuration's rows and its settings."""

    config: str
    universe: pd.DataFrame = field(repr=False)
    settings: AnnealSettings


def _run_chain(spec: ChainSpec) -> dict[str, Any]:
    # Results travel between processes as plain JSON-ready dicts.
    return anneal(spec.universe, spec.settings, config=spec.config).to_dict()


def chain_specs(
    frame: pd.DataFrame,
    config_columns: Sequence[str],
    configs: Sequence[ConfigKey],
    seeds: Sequence[int],
    settings: AnnealSettings,
) -> list[ChainSpec]:
    """One chain per (configuration key, seed); a run is named by the configuration's label."""
    keys = config_keys(frame, config_columns)
    specs = []
    for config in configs:
        rows = frame[keys == tuple(config)]
        if rows.empty:
            known = "; ".join(config_label(k) for k in pd.unique(keys)[:5])
            raise DataError(
                f"configuration {config_label(tuple(config))!r} is not in the data; known: {known}"
            )
        specs += [
            ChainSpec(
                config_label(tuple(config)),
                _fit_frame(rows),
                AnnealSettings(**{**asdict(settings), "seed": int(seed)}),
            )
            for seed in seeds
        ]
    return specs


def run_chains(
    specs: Sequence[ChainSpec], *, processes: int | None = None, scheduler: str | None = None
) -> list[AnnealRun]:
    """Run chains in parallel: local processes, or a Dask cluster at ``scheduler``.

    Results come back in the order of ``specs`` and are identical either way for the same
    seeds (each chain is seeded and independent).
    """
    docs = map_tasks(
        _run_chain,
        specs,
        processes=processes,
        scheduler=scheduler,
        preload=("ala.annealing", "ala.model", "xgboost"),
    )
    return [AnnealRun.from_dict(d) for d in docs]


def save_runs(runs: Sequence[AnnealRun], path: str | os.PathLike[str]) -> None:
    """Write annealing logs to one JSON file."""
    doc = {"format": RUN_FORMAT, "version": RUN_VERSION, "runs": [r.to_dict() for r in runs]}
    write_text(path, json.dumps(doc))


def load_runs(path: str | os.PathLike[str]) -> list[AnnealRun]:
    """Read annealing logs written by :func:`save_runs`."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AlaError(f"{path}: not an annealing run file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != RUN_FORMAT:
        raise AlaError(f"{path}: not an annealing run file (expected format {RUN_FORMAT!r})")
    if doc.get("version") != RUN_VERSION:
        raise AlaError(f"{path}: run format version {doc.get('version')!r} is not supported")
    try:
        return [AnnealRun.from_dict(r) for r in doc["runs"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise AlaError(f"{path}: damaged annealing run file ({exc})") from None
