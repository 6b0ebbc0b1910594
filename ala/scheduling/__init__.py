"""Scheduling LLM requests under output-length uncertainty (Chen, Ye, Zhou 2025).

``simulate(instance, policy, memory)`` runs one policy; ``sweep`` compares policies over
interval widths; ``hindsight_optimum`` solves tiny instances exactly.
"""

from ala.datasets import sample_trace_path
from ala.scheduling.engine import Instance, Simulation, peak_memory
from ala.scheduling.metrics import SimulationResult
from ala.scheduling.optimum import hindsight_optimum
from ala.scheduling.policies import POLICIES, Policy, make_policy
from ala.scheduling.run import make_instance, round_seconds_from_model, simulate, sweep
from ala.scheduling.traces import (
    DEFAULT_MEMORY,
    Trace,
    arrival_rounds,
    intervals,
    load_trace,
)

__all__ = [
    "DEFAULT_MEMORY",
    "POLICIES",
    "Instance",
    "Policy",
    "Simulation",
    "SimulationResult",
    "Trace",
    "arrival_rounds",
    "hindsight_optimum",
    "intervals",
    "load_trace",
    "make_instance",
    "make_policy",
    "peak_memory",
    "round_seconds_from_model",
    "sample_trace_path",
    "simulate",
    "sweep",
]
