"""What a simulation measured: per-request times and the summary figures of a policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Slo:
    """Latency targets in seconds for one request; ``None`` means no target."""

    ttft_s: float | None = None
    e2e_s: float | None = None

    def met(self, ttft: FloatArray, e2e: FloatArray) -> npt.NDArray[np.bool_]:
        """Which requests met every target."""
        ok = np.ones(ttft.size, bool)
        if self.ttft_s is not None:
            ok &= ttft <= self.ttft_s
        if self.e2e_s is not None:
            ok &= e2e <= self.e2e_s
        return ok


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Per-request rounds, evictions and the memory trace of one run.

    ``memory_rounds`` / ``memory_values`` are the corners of the piecewise-linear memory curve
    (memory grows linearly between events). ``clock`` (timed runs) holds round boundaries and
    their seconds; seconds in between are linear. ``start`` is the start of the final run,
    ``first_start`` of the first (when the first token streamed), ``enqueued`` the round a
    request joined the queue. ``rejected`` were refused at arrival, ``dropped`` outgrew the
    memory on their own while running; neither completes (``completion`` is -1).
    """

    policy: str
    memory: int
    arrival: IntArray
    output: IntArray
    completion: IntArray
    start: IntArray
    first_start: IntArray
    enqueued: IntArray
    evictions: IntArray
    wasted_tokens: int
    rejected: IntArray
    dropped: IntArray
    memory_rounds: IntArray
    memory_values: IntArray
    batch_sizes: IntArray
    event_rounds: IntArray
    arrival_s: FloatArray | None = None
    clock: tuple[IntArray, FloatArray] | None = None

    @property
    def finished(self) -> npt.NDArray[np.bool_]:
        """Which requests completed."""
        return self.completion >= 0

    @property
    def latency(self) -> IntArray:
        """End-to-end latency in rounds of every finished request."""
        return (self.completion - self.enqueued)[self.finished]

    @property
    def wait(self) -> IntArray:
        """Rounds each finished request waited before its first token was produced."""
        return (self.first_start - self.enqueued)[self.finished]

    def _seconds_at(self, rounds: IntArray) -> FloatArray:
        assert self.clock is not None
        return np.asarray(np.interp(rounds, self.clock[0], self.clock[1]), float)

    def latency_seconds(self) -> FloatArray | None:
        """End-to-end latency in seconds of every finished request (None if untimed)."""
        if self.clock is None or self.arrival_s is None:
            return None
        done = self.finished
        return self._seconds_at(self.completion[done]) - self.arrival_s[done]

    def ttft_seconds(self) -> FloatArray | None:
        """Time to first token in seconds: the end of the first round of the first run."""
        if self.clock is None or self.arrival_s is None:
            return None
        done = self.finished
        return self._seconds_at(self.first_start[done] + 1) - self.arrival_s[done]

    def memory_utilisation(self) -> float:
        """Time-averaged memory used / capacity over the run (in rounds)."""
        r, v = self.memory_rounds.astype(float), self.memory_values.astype(float)
        if r.size < 2:
            return 0.0
        # each pair (start, end) of a segment is one linear piece
        starts, ends = r[0::2], r[1::2]
        v0, v1 = v[0::2], v[1::2]
        area = (ends - starts + 1) * (v0 + v1) / 2
        span = ends[-1] - starts[0] + 1
        return float(area.sum() / (span * self.memory)) if span > 0 else 0.0

    def summary(self, slo: Slo | None = None) -> dict[str, Any]:
        """The figures of the CLI's ``--json``: rounds, and seconds for a timed run.

        ``longest_wait`` (rounds, or seconds) measures starvation: the most any request waited
        for its first token. ``queued_share`` says how tight memory is: the share of finished
        requests that waited at least one round for their first token.
        """
        lat = self.latency.astype(float)
        wait = self.wait
        out: dict[str, Any] = {
            "requests": int(self.finished.sum()),
            "rejected": int(self.rejected.size),
            "dropped": int(self.dropped.size),
            "total_latency": float(lat.sum()),
            "mean_latency": float(lat.mean()) if lat.size else 0.0,
            "p50_latency": _pct(lat, 50),
            "p99_latency": _pct(lat, 99),
            "longest_wait": float(wait.max(initial=0)),
            "queued_share": float((wait > 0).mean()) if wait.size else 0.0,
            "makespan": int(self.completion.max(initial=0)),
            "evictions": int(self.evictions.sum()),
            "wasted_tokens": self.wasted_tokens,
            "memory_utilisation": self.memory_utilisation(),
        }
        e2e, ttft = self.latency_seconds(), self.ttft_seconds()
        if e2e is not None and ttft is not None and self.arrival_s is not None:
            done = self.finished
            end = float(self._seconds_at(self.completion[done]).max(initial=0.0))
            span = end - float(self.arrival_s.min(initial=0.0))
            tokens = float(self.output[done].sum())
            waited = self._seconds_at(self.first_start[done]) - self.arrival_s[done]
            out["seconds"] = {
                "total_latency": float(e2e.sum()),
                "mean_latency": float(e2e.mean()) if e2e.size else 0.0,
                "p50_latency": _pct(e2e, 50),
                "p99_latency": _pct(e2e, 99),
                "p50_ttft": _pct(ttft, 50),
                "p99_ttft": _pct(ttft, 99),
                "longest_wait": float(waited.max(initial=0.0)),
                "makespan": end,
                "output_tokens_per_s": tokens / span if span > 0 else 0.0,
            }
            if slo is not None:
                met = slo.met(ttft, e2e)
                # requests refused or dropped did not meet any target
                total = met.size + self.rejected.size + self.dropped.size
                out["seconds"]["slo_attainment"] = float(met.sum() / total) if total else 1.0
        return out

    def row(self, slo: Slo | None = None) -> dict[str, Any]:
        """:meth:`summary` as one flat row: durations in seconds end in ``_s``."""
        summary = self.summary(slo)
        seconds = summary.pop("seconds", {})
        summary.update({k if k in UNITLESS else f"{k}_s": v for k, v in seconds.items()})
        return summary


UNITLESS = ("output_tokens_per_s", "slo_attainment")  # seconds figures that are not durations


def _pct(values: FloatArray, q: float) -> float:
    return float(np.percentile(values, q)) if values.size else 0.0
