"""Building instances from traces, running policies, and sweeping interval widths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.errors import AlaError
from ala.scheduling.engine import Instance, Simulation, Timing
from ala.scheduling.metrics import SimulationResult
from ala.scheduling.policies import Policy, make_policy
from ala.scheduling.predictor import PredictedIntervals, predicted_intervals
from ala.scheduling.traces import DEFAULT_MEMORY, Trace, arrival_rounds, intervals

if TYPE_CHECKING:
    from ala.model import ThroughputModel

FloatArray = npt.NDArray[np.float64]


IntervalKind = Literal["symmetric", "random", "trace", "predicted"]


@dataclass(frozen=True, slots=True)
class Scenario:
    """How a trace is replayed: memory, intervals, arrival timing, seed.

    ``interval_kind``: ``"symmetric"`` or ``"random"`` synthetic intervals of relative
    ``width`` around the truth; ``"trace"``, the trace's own ``lower``/``upper`` columns;
    ``"predicted"``, a length predictor fitted on the first half of the trace at coverage
    ``level``, replaying the second half (:mod:`ala.scheduling.predictor`). ``round_s`` turns
    arrival seconds into rounds for untimed runs; timed runs use the seconds themselves.
    """

    memory: int = DEFAULT_MEMORY
    width: float = 0.5
    interval_kind: IntervalKind = "symmetric"
    level: float = 0.9
    round_s: float = 0.02
    rate_scale: float = 1.0
    all_at_zero: bool = False
    seed: int = 0


def make_instance(trace: Trace, scenario: Scenario) -> Instance:
    """Requests with arrival rounds and seconds and their intervals (see :class:`Scenario`)."""
    return prepare_instance(trace, scenario)[0]


def prepare_instance(
    trace: Trace, scenario: Scenario
) -> tuple[Instance, PredictedIntervals | None]:
    """:func:`make_instance`, and the fitted length predictor's intervals when the scenario
    asks for predicted ones (to report their coverage without fitting again)."""
    point, predicted = None, None
    if scenario.interval_kind == "predicted":
        predicted = predicted_intervals(
            trace.prompt, trace.output, scenario.level, seed=scenario.seed
        )
        trace = trace.take(predicted.held_out)
        lower, upper, point = predicted.lower, predicted.upper, predicted.point
    elif scenario.interval_kind == "trace":
        if trace.lower is None or trace.upper is None:
            raise ValueError(f"{trace.name}: interval kind 'trace' needs lower and upper columns")
        lower, upper = trace.lower, trace.upper
    else:
        lower, upper = intervals(
            trace.output, scenario.width, scenario.interval_kind, scenario.seed
        )
    arrival = arrival_rounds(trace, scenario.round_s, scenario.rate_scale, scenario.all_at_zero)
    seconds = (
        np.zeros(len(trace)) if scenario.all_at_zero else trace.arrival_s / scenario.rate_scale
    )
    inst = Instance(
        arrival=arrival,
        prompt=trace.prompt.astype(np.int64),
        output=trace.output.astype(np.int64),
        lower=lower,
        upper=upper,
        arrival_s=seconds,
        point=point,
    )
    return inst, predicted


def simulate(
    requests: Instance,
    policy: str | Policy,
    memory: int = DEFAULT_MEMORY,
    timing: Timing | None = None,
) -> SimulationResult:
    """Run one policy (a registry name or a policy object) over ``requests``.

    With a ``timing`` the run keeps one clock in seconds (see :class:`Timing`).
    """
    chosen = make_policy(policy) if isinstance(policy, str) else policy
    return Simulation(requests, chosen, memory, timing).run()


@dataclass(frozen=True, slots=True)
class ModelTiming:
    """Round durations from an ALA model, with the range its interval implies.

    ``fast`` and ``slow`` are the timings at the hopeful and cautious ends of the model's
    interval (``None`` without one); ``source`` says which predicted figures were used.
    """

    timing: Timing
    fast: Timing | None
    slow: Timing | None
    source: str


def timing_from_model(
    model: ThroughputModel,
    config: Mapping[str, object] | tuple[str, ...],
    prompt: float,
    output: float,
    interval: float | None = None,
    max_batch: int = 512,
) -> ModelTiming:
    """Seconds per decode round by batch size, and prefill seconds per prompt token.

    Where the model predicts latencies, a decode round with ``bb`` running requests lasts the
    predicted time per output token ``tpot(bb)``, and a prompt token's prefill the predicted
    time to first token at ``bb = 1`` divided by ``prompt``. Otherwise a static batch of ``bb``
    requests of ``prompt + output`` tokens runs at the predicted throughput ``thpt(bb)``, so a
    round lasts ``bb * (prompt + output) / thpt / output``: the prefill is spread over the
    rounds and an eviction's re-prefill is not charged. ``interval`` (e.g. 0.9) adds the
    timings at the interval's ends.
    """
    bb = np.arange(1, max_batch + 1, dtype=float)
    calibrated = interval if interval is not None and model.calibration_ is not None else None
    pred = model.predict(model.batch_queries(config, prompt, output, bb), interval=calibrated)
    latency = "tpot_ms_pred" in pred and np.all(np.isfinite(pred["tpot_ms_pred"].to_numpy(float)))
    # the hopeful end of a duration is the low end of a latency, the high end of a throughput
    columns = (
        {"_pred": "tpot_ms_pred", "_lo": "tpot_ms_lo", "_hi": "tpot_ms_hi"}
        if latency
        else {"_pred": "thpt_pred", "_lo": "thpt_hi", "_hi": "thpt_lo"}
    )
    timings: list[Timing] = []
    for end, column in columns.items():
        values = pred[column].to_numpy(float) if column in pred else np.full(bb.size, np.nan)
        if not np.all(np.isfinite(values) & (values > 0)):
            continue  # no interval here (never calibrated, or withheld as unidentified)
        if latency:
            prefill = float(pred[f"ttft_ms{end}"].iloc[0]) / 1000 / max(prompt, 1.0)
            per_round = values / 1000
        else:
            prefill, per_round = 0.0, bb * (prompt + output) / values / output
        timings.append(Timing(np.concatenate([[np.nan], per_round]), prefill))
    if not timings:
        raise AlaError("the model predicts no usable throughput or latency for this configuration")
    source = (
        "latency model: tpot(bb) per round, ttft(bb=1) / prompt per prompt token"
        if latency
        else "throughput model: bb x (prompt + output) / thpt(bb) / output per round"
    )
    if len(timings) < 3:
        source += " (no interval: the model gives none here)"
    fast, slow = (timings[1], timings[2]) if len(timings) == 3 else (None, None)
    return ModelTiming(timings[0], fast, slow, source)


def paper_bounds(widths: Sequence[float]) -> pd.DataFrame:
    """Competitive-ratio shapes from the papers for symmetric intervals, alpha = l / u.

    A_max: between alpha^-1 (1 + alpha^-1/2) / 2 and alpha^-1 (1 + alpha^-1) / 2 (our reading of
    the published bounds); A_min: O(log 1/alpha), drawn as 1 + log2(1/alpha) for its shape only.
    """
    x = np.asarray(widths, float)
    alpha = (1 - x) / (1 + x)
    inv = 1 / alpha
    return pd.DataFrame(
        {
            "width": x,
            "alpha": alpha,
            "a_max_lower": inv * (1 + inv / 2) / 2,
            "a_max_upper": inv * (1 + inv) / 2,
            "a_min_shape": 1 + np.log2(inv),
        }
    )
