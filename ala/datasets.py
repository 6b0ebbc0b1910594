"""Datasets bundled inside the package (package data, each folder with SOURCE.md and LICENSE).

Read through :mod:`importlib.resources`, so an installed wheel finds them wherever it lives.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

BUNDLE = "bundled"


def bundled_path(*parts: str) -> Path:
    """Path of a file or folder under the package's bundled data (``ala/bundled``)."""
    return Path(str(files("ala").joinpath(BUNDLE, *parts)))


def sample_dataset_path() -> Path:
    """The bundled LLM-Inference-Bench results (BSD-3-Clause, see its SOURCE.md)."""
    return bundled_path("llm-inference-bench", "All_results.csv")


def sample_trace_path(kind: Literal["conv", "code"] = "conv") -> Path:
    """One of the bundled Azure LLM inference traces of 2023 (CC-BY-4.0, see its SOURCE.md)."""
    return bundled_path("azure-llm-trace-2023", f"AzureLLMInferenceTrace_{kind}.csv")
