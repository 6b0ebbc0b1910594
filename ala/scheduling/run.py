"""Building instances from traces, running policies, and sweeping interval widths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.scheduling.engine import Instance, Simulation
from ala.scheduling.metrics import SimulationResult
from ala.scheduling.policies import Policy, make_policy
from ala.scheduling.traces import DEFAULT_MEMORY, Trace, arrival_rounds, intervals

if TYPE_CHECKING:
    from ala.model import ThroughputModel

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Scenario:
    """How a trace is replayed: memory, interval width and kind, arrival timing, seed."""

    memory: int = DEFAULT_MEMORY
    width: float = 0.5
    interval_kind: Literal["symmetric", "random", "trace"] = "symmetric"
    round_s: float = 0.02
    rate_scale: float = 1.0
    all_at_zero: bool = False
    seed: int = 0


def make_instance(trace: Trace, scenario: Scenario) -> Instance:
    """Requests in rounds with their intervals (``interval_kind="trace"`` uses the trace's)."""
    if scenario.interval_kind == "trace":
        if trace.lower is None or trace.upper is None:
            raise ValueError(f"{trace.name}: interval kind 'trace' needs lower and upper columns")
        lower, upper = trace.lower, trace.upper
    else:
        lower, upper = intervals(
            trace.output, scenario.width, scenario.interval_kind, scenario.seed
        )
    arrival = arrival_rounds(trace, scenario.round_s, scenario.rate_scale, scenario.all_at_zero)
    return Instance(
        arrival=arrival,
        prompt=trace.prompt.astype(np.int64),
        output=trace.output.astype(np.int64),
        lower=lower,
        upper=upper,
    )


def simulate(
    requests: Instance,
    policy: str | Policy,
    memory: int = DEFAULT_MEMORY,
    round_seconds: FloatArray | None = None,
) -> SimulationResult:
    """Run one policy (a registry name or a policy object) over ``requests``."""
    chosen = make_policy(policy) if isinstance(policy, str) else policy
    return Simulation(requests, chosen, memory, round_seconds).run()


def round_seconds_from_model(
    model: ThroughputModel,
    config: Mapping[str, object] | tuple[str, ...],
    prompt: float,
    output: float,
    idle_round_s: float = 0.02,
    max_batch: int = 512,
) -> FloatArray:
    """Seconds per decode round by batch size (index 0: an idle round) from an ALA model.

    A static batch of ``bb`` requests of ``prompt`` + ``output`` tokens runs at the predicted
    throughput ``thpt(bb)``, so it takes ``bb * (prompt + output) / thpt`` seconds for
    ``output`` rounds; one round is that divided by ``output`` (prefill spread over the rounds).
    """
    bb = np.arange(1, max_batch + 1, dtype=float)
    thpt = model.predict(model.batch_queries(config, prompt, output, bb))["thpt_pred"].to_numpy(
        float
    )
    per_round = bb * (prompt + output) / np.maximum(thpt, 1e-9) / output
    return np.concatenate([[idle_round_s], per_round])


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


def sweep(
    trace: Trace,
    scenario: Scenario,
    widths: Sequence[float],
    policies: Sequence[str] = ("hindsight", "a_max", "a_min", "mc_sf", "fcfs"),
    round_seconds: FloatArray | None = None,
) -> pd.DataFrame:
    """Each policy at each interval width; ``ratio`` = total latency / hindsight's.

    Hindsight does not depend on the width, so it runs once.
    """
    base = simulate(make_instance(trace, scenario), "hindsight", scenario.memory, round_seconds)
    base_total = base.summary()["total_latency"]
    rows = []
    for width in widths:
        inst = make_instance(trace, replace(scenario, width=float(width)))
        for name in policies:
            result = (
                base
                if name == "hindsight"
                else simulate(inst, name, scenario.memory, round_seconds)
            )
            summary = result.summary()
            rows.append(
                {
                    "width": float(width),
                    "policy": name,
                    "ratio": summary["total_latency"] / base_total if base_total else 1.0,
                    **{k: v for k, v in summary.items() if k != "seconds"},
                }
            )
    return pd.DataFrame(rows)
