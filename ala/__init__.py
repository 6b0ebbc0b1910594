"""ala: predict LLM inference throughput before benchmarking it, and say how far to trust it.

The public API; only :mod:`ala.ui` imports streamlit.
"""

from ala.baselines import METHOD_NAMES, PerConfigRegressor, make_method
from ala.curves import build_database, curve_residuals, fit_projection, knee, saturation
from ala.data import Benchmarks, LoadReport, load_benchmarks, load_queries, sample_dataset_path
from ala.errors import AlaError, DataError, ModelFileError, UnknownConfigurationError
from ala.evaluate import PROTOCOLS, EvaluationResult, evaluate
from ala.model import ThroughputModel

__all__ = [
    "METHOD_NAMES",
    "PROTOCOLS",
    "AlaError",
    "Benchmarks",
    "DataError",
    "EvaluationResult",
    "LoadReport",
    "ModelFileError",
    "PerConfigRegressor",
    "ThroughputModel",
    "UnknownConfigurationError",
    "build_database",
    "curve_residuals",
    "evaluate",
    "fit_projection",
    "knee",
    "load_benchmarks",
    "load_queries",
    "make_method",
    "sample_dataset_path",
    "saturation",
]
__version__ = "0.1.0"
