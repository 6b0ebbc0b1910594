"""ala: predict LLM inference throughput before benchmarking it, and say how far to trust it.

The public API. Names load on first use (PEP 562), so ``import ala`` and
``import ala.scheduling`` stay light: xgboost and scikit-learn load only when a model or a
baseline is used. Only :mod:`ala.ui` imports streamlit.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ala.configs import ConfigKey, config_keys, config_label, parse_config
    from ala.curves import build_database, curve_residuals, fit_projection, knee, saturation
    from ala.data import Benchmarks, LoadReport, load_benchmarks, load_queries
    from ala.datasets import sample_dataset_path, sample_trace_path
    from ala.errors import (
        AlaError,
        DataError,
        ModelFileError,
        UnknownConfigurationError,
        UnknownNameError,
    )
    from ala.evaluate import PROTOCOLS, EvaluationResult, evaluate
    from ala.importers import load_any, read_results
    from ala.latency import LatencyModel
    from ala.methods import METHOD_NAMES, factories, make_method
    from ala.model import ThroughputModel
    from ala.results import CurvePrediction, FitReport
    from ala.service import Comparison, PolicyComparison, compare, compare_policies, plan_slo
    from ala.slo import SLO, SloPlan, slo_sizing

_WHERE = {
    "ConfigKey": "ala.configs",
    "config_keys": "ala.configs",
    "config_label": "ala.configs",
    "parse_config": "ala.configs",
    "build_database": "ala.curves",
    "curve_residuals": "ala.curves",
    "fit_projection": "ala.curves",
    "knee": "ala.curves",
    "saturation": "ala.curves",
    "Benchmarks": "ala.data",
    "LoadReport": "ala.data",
    "load_benchmarks": "ala.data",
    "load_queries": "ala.data",
    "sample_dataset_path": "ala.datasets",
    "sample_trace_path": "ala.datasets",
    "AlaError": "ala.errors",
    "DataError": "ala.errors",
    "ModelFileError": "ala.errors",
    "UnknownConfigurationError": "ala.errors",
    "UnknownNameError": "ala.errors",
    "PROTOCOLS": "ala.evaluate",
    "EvaluationResult": "ala.evaluate",
    "evaluate": "ala.evaluate",
    "METHOD_NAMES": "ala.methods",
    "factories": "ala.methods",
    "make_method": "ala.methods",
    "ThroughputModel": "ala.model",
    "CurvePrediction": "ala.results",
    "FitReport": "ala.results",
    "Comparison": "ala.service",
    "PolicyComparison": "ala.service",
    "compare": "ala.service",
    "compare_policies": "ala.service",
    "Deployment": "ala.physics",
    "memory_check": "ala.physics",
    "Catalogue": "ala.specs",
    "SpecError": "ala.specs",
    "TransferModel": "ala.transfer",
    "evaluate_transfer": "ala.transfer_eval",
    "LatencyModel": "ala.latency",
    "read_results": "ala.importers",
    "load_any": "ala.importers",
    "SLO": "ala.slo",
    "SloPlan": "ala.slo",
    "slo_sizing": "ala.slo",
    "plan_slo": "ala.service",
}
__all__ = [
    "LatencyModel",
    "SLO",
    "SloPlan",
    "load_any",
    "plan_slo",
    "read_results",
    "slo_sizing",
    "AlaError",
    "Catalogue",
    "Deployment",
    "SpecError",
    "TransferModel",
    "evaluate_transfer",
    "memory_check",
    "Benchmarks",
    "Comparison",
    "ConfigKey",
    "CurvePrediction",
    "DataError",
    "EvaluationResult",
    "FitReport",
    "LoadReport",
    "METHOD_NAMES",
    "ModelFileError",
    "PROTOCOLS",
    "PolicyComparison",
    "ThroughputModel",
    "UnknownConfigurationError",
    "UnknownNameError",
    "build_database",
    "compare",
    "compare_policies",
    "config_keys",
    "config_label",
    "curve_residuals",
    "evaluate",
    "factories",
    "fit_projection",
    "knee",
    "load_benchmarks",
    "load_queries",
    "make_method",
    "parse_config",
    "sample_dataset_path",
    "sample_trace_path",
    "saturation",
]

try:
    __version__ = version("ala")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


_SUBMODULES = {"plots", "report", "scheduling", "sizing", "trust", "intervals", "configs"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
    elif name in _SUBMODULES:
        value = import_module(f"ala.{name}")
    else:
        raise AttributeError(f"module 'ala' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
