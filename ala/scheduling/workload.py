"""Arrival processes and synthetic traces: replay a trace at a chosen load, or make one.

``retimed(trace, rate, process)`` keeps each request's prompt and output and gives it a new
arrival time, so the same requests can be replayed at 50 % or 95 % of a server's capacity:

* ``"trace"``: the trace's own gaps, compressed or stretched to the mean rate;
* ``"poisson"``: independent exponential gaps (the usual open-loop benchmark);
* ``"bursty"``: gamma gaps with squared coefficient of variation ``burstiness`` (4 by default):
  the same mean rate, arriving in clumps.

``synthetic_trace`` draws prompt and output lengths from log-normal distributions (the shape
of the Azure traces' lengths) with one of those processes, for workloads no trace covers.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from ala.errors import AlaError
from ala.scheduling.traces import Trace

Process = Literal["trace", "poisson", "bursty"]
PROCESSES: tuple[Process, ...] = ("trace", "poisson", "bursty")
FloatArray = npt.NDArray[np.float64]


def arrival_times(
    n: int, rate: float, process: Process, seed: int = 0, burstiness: float = 4.0
) -> FloatArray:
    """``n`` arrival seconds from 0 at mean ``rate`` requests/s (not for ``"trace"``)."""
    _check_rate(rate)
    rng = np.random.default_rng(seed)
    if process == "poisson":
        gaps = rng.exponential(1 / rate, n)
    elif process == "bursty":
        if not np.isfinite(burstiness) or burstiness <= 0:
            raise AlaError(f"burstiness must be positive, got {burstiness}")
        shape = 1 / burstiness
        gaps = rng.gamma(shape, 1 / (rate * shape), n)
    else:
        raise AlaError(f"unknown arrival process {process!r}; choose from poisson, bursty")
    times = np.cumsum(gaps)
    return np.asarray(times - times[0], float)


def _check_rate(rate: float) -> None:
    if not np.isfinite(rate) or rate <= 0:
        raise AlaError(f"the arrival rate must be a positive number of requests/s, got {rate}")


def retimed(trace: Trace, rate: float, process: Process = "trace", seed: int = 0) -> Trace:
    """The same requests arriving at mean ``rate`` requests/s under ``process``."""
    n = len(trace)
    if process == "trace":
        _check_rate(rate)
        span = float(trace.arrival_s[-1] - trace.arrival_s[0]) if n > 1 else 0.0
        if span <= 0:
            raise AlaError(f"{trace.name}: every request arrives at once; pick poisson or bursty")
        times = (trace.arrival_s - trace.arrival_s[0]) * ((n - 1) / span) / rate
    elif process in PROCESSES:
        times = arrival_times(n, rate, process, seed)
    else:
        raise AlaError(f"unknown arrival process {process!r}; choose from {', '.join(PROCESSES)}")
    return Trace(
        np.asarray(times, float),
        trace.prompt,
        trace.output,
        trace.lower,
        trace.upper,
        f"{trace.name} ({process}, {rate:.3g} req/s)",
        trace.dropped,
    )


def synthetic_trace(
    n: int,
    rate: float = 1.0,
    prompt_median: float = 1000.0,
    prompt_sigma: float = 1.0,
    output_median: float = 150.0,
    output_sigma: float = 1.0,
    process: Literal["poisson", "bursty"] = "poisson",
    seed: int = 0,
    max_tokens: int = 32_768,
) -> Trace:
    """``n`` requests with log-normal prompt and output lengths (medians, log-sd sigmas)."""
    if n < 1:
        raise AlaError(f"a synthetic trace needs at least one request, got {n}")
    for label, value in (("prompt_median", prompt_median), ("output_median", output_median)):
        if not np.isfinite(value) or value < 1:
            raise AlaError(f"{label} must be at least 1 token, got {value}")
    rng = np.random.default_rng(seed)
    prompt = np.clip(
        np.round(prompt_median * np.exp(prompt_sigma * rng.standard_normal(n))), 0, max_tokens
    )
    output = np.clip(
        np.round(output_median * np.exp(output_sigma * rng.standard_normal(n))), 1, max_tokens
    )
    return Trace(
        arrival_times(n, rate, process, seed + 1),
        prompt.astype(np.int64),
        output.astype(np.int64),
        name=f"synthetic ({n} requests, {process}, {rate:g} req/s)",
    )
