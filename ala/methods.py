"""The method registry: every estimator by name, above the estimators themselves.

``make_method(name, ...)`` builds an unfitted estimator; ``factories(names, ...)`` gives the
``{name: factory}`` mapping that :func:`ala.evaluate.evaluate` takes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from ala.baselines import BASELINES, PerConfigRegressor
from ala.errors import UnknownNameError
from ala.model import METHODS, ThroughputModel

METHOD_NAMES = (*METHODS, *BASELINES)
Estimator = ThroughputModel | PerConfigRegressor


def make_method(name: str, config_columns: Sequence[str] | None = None, seed: int = 0) -> Estimator:
    """An unfitted estimator for any name in :data:`METHOD_NAMES`.

    Raises
    ------
    UnknownNameError
        For an unknown name.
    """
    if name in METHODS:
        return ThroughputModel(name, config_columns=config_columns, seed=seed)
    if name in BASELINES:
        return PerConfigRegressor(BASELINES[name], config_columns=config_columns, seed=seed)
    raise UnknownNameError(f"unknown method {name!r}; choose from {', '.join(METHOD_NAMES)}")


def factories(
    names: Sequence[str], config_columns: Sequence[str] | None = None, seed: int = 0
) -> dict[str, Callable[[], Estimator]]:
    """``{name: factory}`` for evaluation; unknown names fail here, before any work."""
    for name in names:
        make_method(name)
    return {name: partial(make_method, name, config_columns, seed) for name in names}
