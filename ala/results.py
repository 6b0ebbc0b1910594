"""Frozen result objects returned by the library's procedures (with notebook displays)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from ala.configs import ConfigKey, config_label


@dataclass(frozen=True, slots=True)
class FitReport:
    """What fitting did: curves by status, noise per configuration, time taken.

    ``noise`` has one row per configuration: ``configuration`` (label), ``curves`` and
    ``noise_pct`` (median APE of its fully determined curves, the interval scale).
    """

    method: str
    configurations: int
    curves_ok: int
    curves_poor: int
    curves_underdetermined: int
    curves_failed: int
    calibrated: bool
    seconds: float
    noise: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        """One line: configurations, curves by status, intervals, time."""
        curves = (
            self.curves_ok + self.curves_poor + self.curves_underdetermined + self.curves_failed
        )
        return (
            f"fitted {self.configurations} configurations, {curves} curves ({self.curves_ok} ok, "
            f"{self.curves_poor} poor, "
            f"{self.curves_underdetermined} under-determined, {self.curves_failed} failed) with "
            f"method '{self.method}'; intervals {'calibrated' if self.calibrated else 'none'}; "
            f"{self.seconds:.2f} s"
        )

    def __repr__(self) -> str:
        return f"FitReport({self.summary()})"

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(repr(self))}</b></p>" + str(
            self.noise.head(20).to_html(index=False, float_format=lambda v: f"{v:.2f}")
        )


@dataclass(frozen=True, slots=True)
class CurvePrediction:
    """Predicted throughput of one configuration and (ii, oo) over a batch grid.

    ``frame`` has ``bb, thpt_pred, source, situation`` and, with an interval, ``thpt_lo,
    thpt_hi, nearest_distance``; ``query_bb`` are the batch sizes asked for (marked on plots).
    """

    config: ConfigKey
    ii: float
    oo: float
    level: float | None
    frame: pd.DataFrame = field(repr=False)
    query_bb: tuple[float, ...] = ()

    @property
    def label(self) -> str:
        """The configuration's display label."""
        return config_label(self.config)

    def at(self, bb: float) -> pd.Series:
        """The prediction row at batch size ``bb`` (which must be on the grid)."""
        return self.frame[self.frame["bb"] == float(bb)].iloc[0]

    def __repr__(self) -> str:
        peak = self.frame["thpt_pred"].max()
        return (
            f"CurvePrediction({self.label!r}, ii={self.ii:g}, oo={self.oo:g}, "
            f"{len(self.frame)} batch sizes, peak {peak:,.1f} tokens/s"
            f"{f', {self.level:.0%} interval' if self.level else ''})"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + str(self.frame.to_html(index=False))
