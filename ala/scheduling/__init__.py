"""Scheduling LLM requests under output-length uncertainty (Chen, Ye, Zhou 2025).

``simulate(instance, policy, memory, timing)`` runs one policy, in rounds or (with a
:class:`Timing`) on one clock in seconds; ``best_bound`` gives a lower bound on total latency
for any instance (``hindsight_optimum`` solves tiny ones exactly); ``predicted_intervals`` makes
output-length intervals from prompt lengths with conformal calibration; ``kv_capacity`` turns
an accelerator, a GPU count and a model into ``M``; :mod:`ala.scheduling.sweeps` runs many
cells (widths, coverage levels, loads) in processes or on Dask.
"""

from ala.datasets import sample_trace_path
from ala.scheduling.bounds import Bound, best_bound, fluid_bound, lp_bound
from ala.scheduling.engine import Instance, Simulation, Timing
from ala.scheduling.memory import KvCapacity, kv_capacity
from ala.scheduling.metrics import SimulationResult, Slo
from ala.scheduling.optimum import hindsight_optimum
from ala.scheduling.policies import POLICIES, Policy, make_policy
from ala.scheduling.predictor import LengthPredictor, PredictedIntervals, predicted_intervals
from ala.scheduling.run import ModelTiming, Scenario, make_instance, simulate, timing_from_model
from ala.scheduling.traces import (
    DEFAULT_MEMORY,
    Trace,
    arrival_rounds,
    intervals,
    load_trace,
)
from ala.scheduling.workload import retimed, synthetic_trace

__all__ = [
    "DEFAULT_MEMORY",
    "POLICIES",
    "Bound",
    "Instance",
    "KvCapacity",
    "LengthPredictor",
    "ModelTiming",
    "Policy",
    "PredictedIntervals",
    "Scenario",
    "Simulation",
    "SimulationResult",
    "Slo",
    "Timing",
    "Trace",
    "arrival_rounds",
    "best_bound",
    "fluid_bound",
    "hindsight_optimum",
    "intervals",
    "kv_capacity",
    "load_trace",
    "lp_bound",
    "make_instance",
    "make_policy",
    "predicted_intervals",
    "retimed",
    "sample_trace_path",
    "simulate",
    "synthetic_trace",
    "timing_from_model",
]
