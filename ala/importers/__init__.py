"""Benchmark-tool results as benchmark rows, the format detected from each file's content.

Formats: ``vllm bench serve`` result JSON, GuideLLM reports, AIPerf / GenAI-Perf profile
exports, LLMPerf summaries, inference-perf lifecycle reports (JSON) and AIConfigurator's
silicon CSV. One file, several files, a folder (every ``*.json`` and ``*.csv`` in it, not
recursing) or a ``.zip`` of them. Every row keeps its provenance (``source_tool``,
``source_version``, ``source_file``); what could not be mapped is reported; malformed input
raises :class:`~ala.errors.DataError` naming the file and the field.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ala.data import Benchmarks, load_benchmarks
from ala.errors import DataError
from ala.importers import aiconfigurator, aiperf, guidellm, inference_perf, llmperf, vllm
from ala.importers.common import ROW_COLUMNS, read_json
from ala.importers.vllm import vllm_bench_row

__all__ = [
    "ImportResult",
    "convert_uploads",
    "detect_json",
    "is_tool_output",
    "load_any",
    "read_results",
    "read_vllm_bench",
]

MAX_ZIP_MEMBERS = 5000
# A parallel layout and GPU count in a result file's name (InferenceX: ``_tep8_``).
LAYOUT_IN_NAME = re.compile(r"(?:^|_)(tp|tep|dep|dp|ep|pp|dpa)(\d{1,3})(?=_|$)")
MAX_ZIP_BYTES = 500_000_000

# name, detector, reader of one parsed document -> (rows, notes)
_JSON_FORMATS: tuple[tuple[str, Callable[[Any], bool], Callable[[Any, str], Any]], ...] = (
    (vllm.TOOL, vllm.looks_like, lambda d, n: ([vllm_bench_row(d, n)], [])),
    (guidellm.TOOL, guidellm.looks_like, guidellm.guidellm_rows),
    (aiperf.TOOL, aiperf.looks_like, lambda d, n: ([aiperf.aiperf_row(d, n)], [])),
    (llmperf.TOOL, llmperf.looks_like, lambda d, n: ([llmperf.llmperf_row(d, n)], [])),
    (
        inference_perf.TOOL,
        inference_perf.looks_like,
        lambda d, n: ([inference_perf.inference_perf_row(d, n)], []),
    ),
)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Imported rows (canonical columns) and what the import noticed."""

    frame: pd.DataFrame
    tools: tuple[str, ...]
    notes: tuple[str, ...]

    def summary(self) -> str:
        """Readable lines."""
        lines = [f"imported {len(self.frame)} measurements from {', '.join(self.tools)}"]
        return "\n".join([*lines, *(f"  note: {n}" for n in self.notes)])


def detect_json(doc: Any) -> str | None:
    """The tool that wrote a parsed JSON document (None when no format matches)."""
    return next((name for name, looks, _ in _JSON_FORMATS if looks(doc)), None)


def _files(sources: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".csv"))
        else:
            files.append(path)
    return files


def is_tool_output(source: str | Path) -> bool:
    """Whether a path is a folder, JSON or zip (tool output) or an AIConfigurator CSV."""
    path = Path(source)
    if path.is_dir() or path.suffix.lower() in (".json", ".zip"):
        return True
    if path.suffix.lower() == ".csv" and path.is_file():
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                return aiconfigurator.looks_like(handle.readline())
        except OSError:
            return False
    return False


def read_results(
    sources: Iterable[str | Path], settings: Mapping[str, str] | None = None
) -> ImportResult:
    """Rows from benchmark-tool result files, folders or zips, each file's format detected.

    ``settings`` are configuration values the files do not carry (e.g. ``{"acc": "H200",
    "acc_count": "8", "back": "vLLM"}``), added to every row (a file's own value wins).

    Raises
    ------
    DataError
        For an unreadable or unrecognised file, invalid JSON or a missing field, naming the file.
    """
    with tempfile.TemporaryDirectory() as scratch:
        files: list[Path] = []
        for path in _files(sources):
            files += _unzip(path, Path(scratch)) if path.suffix.lower() == ".zip" else [path]
        if not files:
            raise DataError(
                "no result files: give benchmark-tool JSON files (vllm bench serve, GuideLLM, "
                "AIPerf, LLMPerf, inference-perf), an AIConfigurator CSV, a folder or a zip"
            )
        parts, tools, notes = [], [], []
        for path in files:
            frame, tool, file_notes = _read_one(path)
            parts.append(frame)
            tools.append(tool)
            notes += file_notes
    frame = pd.concat(parts, ignore_index=True)
    # Mean token counts of a run (159.04 and 159.28 output tokens) are one workload: whole
    # tokens, so that runs at one length group together.
    for column in ("ii", "oo"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").round().clip(lower=1)
    for column, value in (settings or {}).items():
        if column in frame:
            frame[column] = frame[column].replace("", None).fillna(str(value))
        else:
            frame.insert(0, column, str(value))
    if "model" in frame and (frame["model"].fillna("") == "").all():
        frame = frame.drop(columns="model")  # no file names its model: the user's settings may
    frame = frame.dropna(axis=1, how="all")
    missing = [m for m in ("ttft_ms", "tpot_ms") if m not in frame]
    if missing:
        notes.append(f"no file reports {', '.join(missing)}: only throughput can be modelled")
    unset = [c for c in ("acc", "acc_count", "back") if c not in frame]
    if unset:
        notes.append(
            f"the files do not say {', '.join(unset)}; add them with --set (e.g. --set acc=H100) "
            "to compare or transfer across hardware"
        )
    return ImportResult(frame, tuple(dict.fromkeys(tools)), tuple(notes))


def _read_one(path: Path) -> tuple[pd.DataFrame, str, list[str]]:
    if path.suffix.lower() == ".csv":
        if not is_tool_output(path):
            raise DataError(
                f"{path.name}: a CSV that is not AIConfigurator's silicon table; load benchmark "
                "CSVs directly (ala fit FILE.csv), not as tool results"
            )
        frame, notes = aiconfigurator.aiconfigurator_frame(path)
        return frame, aiconfigurator.TOOL, notes
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise DataError(f"{path.name}: not a benchmark result (the JSON is not an object)")
    tool = detect_json(doc)
    if tool is None:
        keys = ", ".join(list(doc)[:6]) if isinstance(doc, dict) else type(doc).__name__
        raise DataError(
            f"{path.name}: not a result file of a known tool (top-level fields: {keys}); "
            "ala reads vllm bench serve, GuideLLM, AIPerf/GenAI-Perf, LLMPerf and "
            "inference-perf JSON"
        )
    reader = next(read for name, _, read in _JSON_FORMATS if name == tool)
    rows, notes = reader(doc, path.name)
    frame = pd.DataFrame(rows, columns=[c for c in ROW_COLUMNS if c != "source_file"])
    frame["source_file"] = path.name
    layout = LAYOUT_IN_NAME.search(path.stem)
    if layout:  # e.g. minimax_vllm_tep8_isl1024_...: the parallel layout and the GPU count
        frame["layout"] = layout.group(1)
        frame["acc_count"] = layout.group(2)
    return frame, tool, list(notes)


def _scratch_file(scratch: Path, index: int, name: str) -> Path:
    """A place in ``scratch`` for the ``index``-th file that keeps its own name (messages
    name the file as the user knows it), one folder per file so that names never collide."""
    folder = scratch / str(index)
    folder.mkdir()
    return folder / Path(name).name


def _unzip(path: Path, scratch: Path) -> list[Path]:
    """The JSON and CSV members of a zip, extracted safely (no paths outside ``scratch``)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path.name}: not a readable zip ({exc})") from None
    members = [
        m
        for m in archive.infolist()
        if not m.is_dir() and Path(m.filename).suffix.lower() in (".json", ".csv")
    ]
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise DataError(f"{path.name}: too many or too large files inside the zip")
    out = []
    for i, member in enumerate(members):
        target = _scratch_file(scratch, i, member.filename)
        try:
            target.write_bytes(archive.read(member))
        except (zipfile.BadZipFile, RuntimeError, OSError) as exc:
            raise DataError(f"{path.name}: cannot extract {member.filename!r} ({exc})") from None
        out.append(target)
    return out


def read_vllm_bench(
    sources: Iterable[str | Path], settings: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Rows from ``vllm bench serve`` result files (kept for callers of the first importer).

    Raises
    ------
    DataError
        As :func:`read_results`.
    """
    return read_results(sources, settings).frame


def load_any(
    source: str | Path | Iterable[str | Path],
    settings: Mapping[str, str] | None = None,
    **load_options: Any,
) -> Benchmarks:
    """Benchmarks from our CSV or from benchmark-tool output, whichever ``source`` is.

    A folder, JSON file, zip or AIConfigurator CSV (or several paths) is imported with
    :func:`read_results`, then validated like a CSV by :func:`ala.data.load_benchmarks`
    (``load_options`` go there); the import's notes join the load report's.

    Raises
    ------
    DataError
        As :func:`read_results` and :func:`ala.data.load_benchmarks`.
    """
    paths = [source] if isinstance(source, str | Path) else list(source)
    if len(paths) == 1 and not is_tool_output(paths[0]):
        return load_benchmarks(paths[0], **load_options)
    result = read_results(paths, settings)
    name = load_options.pop("name", None) or ", ".join(Path(p).name for p in paths)
    data = load_benchmarks(result.frame, name=name, **load_options)
    report = replace(data.report, notes=(*result.notes, *data.report.notes))
    return replace(data, report=report)


def convert_uploads(
    files: Sequence[tuple[str, bytes]], settings: Mapping[str, str] | None = None
) -> tuple[list[tuple[str, bytes]], list[str]]:
    """Uploaded files as benchmark CSVs: our CSVs pass unchanged; AIConfigurator CSVs are
    converted one by one; every JSON and zip together becomes one CSV of tool results.

    Returns the (name, CSV bytes) to load and the errors (each naming its file), so that one
    bad file does not stop the others.
    """
    out: list[tuple[str, bytes]] = []
    errors: list[str] = []
    tool_files: list[tuple[str, bytes]] = []
    for name, content in files:
        suffix = Path(name).suffix.lower()
        if suffix in (".json", ".zip"):
            tool_files.append((name, content))
        elif aiconfigurator.looks_like(content[:4096].decode("utf-8", "replace").split("\n")[0]):
            converted, error = _convert([(name, content)], settings, f"{Path(name).stem}.csv")
            out += converted
            errors += error
        else:
            out.append((name, content))
    if tool_files:
        label = tool_files[0][0] if len(tool_files) == 1 else f"{len(tool_files)} result files"
        converted, error = _convert(tool_files, settings, f"{label} (imported).csv")
        out += converted
        errors += error
    return out, errors


def _convert(
    files: Sequence[tuple[str, bytes]], settings: Mapping[str, str] | None, name: str
) -> tuple[list[tuple[str, bytes]], list[str]]:
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for i, (original, content) in enumerate(files):
            path = _scratch_file(Path(scratch), i, original)
            path.write_bytes(content)
            paths.append(path)
        try:
            result = read_results(paths, settings)
        except DataError as exc:
            return [], [str(exc)]
    return [(name, result.frame.to_csv(index=False).encode())], []
