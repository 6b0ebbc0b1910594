"""What a simulation measured: per-request times and the summary figures of a policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Per-request completion rounds, evictions and the memory trace of one run.

    ``memory_rounds`` / ``memory_values`` are the corners of the piecewise-linear memory curve
    (memory grows linearly between events). ``seconds`` (if a round duration was given) is the
    wall time at each of ``event_rounds``; times in between are linear.
    """

    policy: str
    memory: int
    arrival: IntArray
    output: IntArray
    completion: IntArray  # -1 for rejected requests
    start: IntArray  # start of the final (successful) run
    evictions: IntArray
    wasted_tokens: int
    rejected: IntArray  # ids of requests whose prompt + output exceed memory
    memory_rounds: IntArray
    memory_values: IntArray
    batch_sizes: IntArray
    event_rounds: IntArray
    seconds: FloatArray | None

    @property
    def finished(self) -> npt.NDArray[np.bool_]:
        """Ids of the requests that completed."""
        return self.completion >= 0

    @property
    def latency(self) -> IntArray:
        """End-to-end latency in rounds of every finished request."""
        return (self.completion - self.arrival)[self.finished]

    def latency_seconds(self) -> FloatArray | None:
        """End-to-end latency in seconds (None without a round duration)."""
        if self.seconds is None:
            return None
        done = self.finished
        at = np.interp(self.completion[done], self.event_rounds, self.seconds)
        began = np.interp(self.arrival[done], self.event_rounds, self.seconds)
        return np.asarray(at - began, float)

    def memory_utilisation(self) -> float:
        """Time-averaged memory used / capacity over the run."""
        r, v = self.memory_rounds.astype(float), self.memory_values.astype(float)
        if r.size < 2:
            return 0.0
        # each pair (start, end) of a segment is one linear piece
        starts, ends = r[0::2], r[1::2]
        v0, v1 = v[0::2], v[1::2]
        area = (ends - starts + 1) * (v0 + v1) / 2
        span = ends[-1] - starts[0] + 1
        return float(area.sum() / (span * self.memory)) if span > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        """The figures of the CLI's ``--json``: latencies in rounds (plus seconds if known)."""
        lat = self.latency.astype(float)
        out: dict[str, Any] = {
            "requests": int(self.finished.sum()),
            "rejected": int(self.rejected.size),
            "total_latency": float(lat.sum()),
            "mean_latency": float(lat.mean()) if lat.size else 0.0,
            "p50_latency": float(np.percentile(lat, 50)) if lat.size else 0.0,
            "p99_latency": float(np.percentile(lat, 99)) if lat.size else 0.0,
            "makespan": int(self.completion.max(initial=0)),
            "evictions": int(self.evictions.sum()),
            "wasted_tokens": self.wasted_tokens,
            "memory_utilisation": self.memory_utilisation(),
        }
        secs = self.latency_seconds()
        if secs is not None:
            out["seconds"] = {
                "total_latency": float(secs.sum()),
                "mean_latency": float(secs.mean()) if secs.size else 0.0,
                "p99_latency": float(np.percentile(secs, 99)) if secs.size else 0.0,
                "makespan": float(self.seconds[-1]) if self.seconds is not None else 0.0,
            }
        return out
