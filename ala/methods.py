"""The method registry: every estimator by name, above the estimators themselves.

``make_method(name, ...)`` builds an unfitted estimator; ``factories(names, ...)`` gives the
``{name: factory}`` mapping that :func:`ala.evaluate.evaluate` takes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from ala.baselines import BASELINES, PerConfigRegressor
from ala.data import LATENCY_METRICS
from ala.errors import UnknownNameError
from ala.latency import LatencyModel
from ala.model import METHODS, ThroughputModel

METHOD_NAMES = (*METHODS, *BASELINES)
Estimator = ThroughputModel | PerConfigRegressor | LatencyModel


def make_method(
    name: str,
    config_columns: Sequence[str] | None = None,
    seed: int = 0,
    target: str = "thpt",
    throughput_source: str = "auto",
) -> Estimator:
    """An unfitted estimator for any name in :data:`METHOD_NAMES`, predicting ``target``
    (``thpt`` or a latency metric such as ``ttft_ms``).

    Raises
    ------
    UnknownNameError
        For an unknown name, or a method that does not model ``target``.
    """
    if target != "thpt" and target not in LATENCY_METRICS:
        raise UnknownNameError(
            f"unknown target {target!r}; choose from thpt, {', '.join(LATENCY_METRICS)}"
        )
    if name == "default" and target != "thpt":
        return LatencyModel(tuple(config_columns or ()), (target,))
    if name in METHODS:
        if target != "thpt":
            raise UnknownNameError(f"method {name!r} models throughput only, not {target}")
        return ThroughputModel(
            name, config_columns=config_columns, seed=seed, throughput_source=throughput_source
        )
    if name in BASELINES:
        return PerConfigRegressor(
            BASELINES[name], config_columns=config_columns, seed=seed, target=target
        )
    raise UnknownNameError(f"unknown method {name!r}; choose from {', '.join(METHOD_NAMES)}")


def factories(
    names: Sequence[str],
    config_columns: Sequence[str] | None = None,
    seed: int = 0,
    target: str = "thpt",
    throughput_source: str = "auto",
) -> dict[str, Callable[[], Estimator]]:
    """``{name: factory}`` for evaluation; unknown names fail here, before any work."""
    for name in names:
        make_method(name, config_columns, seed, target)
    return {
        name: partial(make_method, name, config_columns, seed, target, throughput_source)
        for name in names
    }
