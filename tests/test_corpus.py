"""Every hostile file in tests/corpus either works or is one clear line with exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli, synthetic_frame

CORPUS = Path(__file__).parent / "corpus"
DATA = sorted(p for p in CORPUS.glob("*.csv"))
MODELS = sorted(CORPUS.glob("model_*.json"))


def _check(out, what: str) -> None:
    assert out.returncode in (0, 2), (what, out.returncode, out.stderr)
    assert "Traceback" not in out.stderr, (what, out.stderr)
    if out.returncode == 2:
        last = out.stderr.strip().splitlines()[-1]
        assert last.startswith("ala: error: "), (what, out.stderr)
        assert len(last) > len("ala: error: ") + 10, "the message says something"


@pytest.fixture(scope="module")
def good_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good")
    csv = folder / "good.csv"
    synthetic_frame().to_csv(csv, index=False)
    model = folder / "m.json"
    assert run_cli("fit", csv, "-o", model, "--no-calibrate").returncode == 0
    return model


@pytest.mark.parametrize("path", DATA, ids=[p.name for p in DATA])
def test_hostile_benchmark_files_through_fit_evaluate_and_predict(path, tmp_path, good_model):
    _check(run_cli("fit", path, "-o", tmp_path / "m.json"), f"fit {path.name}")
    _check(
        run_cli("evaluate", path, "--methods", "default", "--interval", "0.9"),
        f"evaluate {path.name}",
    )
    _check(run_cli("predict", good_model, path), f"predict {path.name}")


@pytest.mark.parametrize("path", MODELS, ids=[p.name for p in MODELS])
def test_hostile_model_files_through_predict_and_report(path, tmp_path):
    queries = tmp_path / "q.csv"
    queries.write_text("acc,ii,oo,bb\nGPU-A,128,128,1\n")
    out = run_cli("predict", path, queries)
    _check(out, f"predict {path.name}")
    assert out.returncode == 2
    assert path.name in out.stderr, "the message names the model file"


def test_the_corpus_is_not_empty():
    assert len(DATA) >= 15
    assert len(MODELS) >= 6


SPECS = sorted((CORPUS / "specs").iterdir())


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_hostile_spec_files_are_one_clear_line(path, tmp_path, good_model):
    """Bad units, signs, columns, TOML and binary spec files exit 2 naming the file."""
    out = run_cli("specs", "--specs", path)
    _check(out, f"specs {path.name}")
    assert out.returncode == 2
    assert path.name in out.stderr
    queries = tmp_path / "q.csv"
    queries.write_text("acc,ii,oo,bb\nGPU-A,128,128,1\n")
    _check(run_cli("predict", good_model, queries, "--specs", path), f"predict {path.name}")
