"""Model files from anyone: every tampered document is one clear error, never a crash."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ala.errors import ModelFileError
from ala.model import ThroughputModel

from .conftest import run_cli, synthetic_frame

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def paper_doc():
    return ThroughputModel("paper", n_estimators=3).fit(synthetic_frame()).to_dict()


def _first_tree(doc):
    return doc["configs"][0]["learner"]["xgboost"]["learner"]["gradient_booster"]["model"]


def _load(doc):
    return ThroughputModel.from_dict(json.loads(json.dumps(doc)), source="m.json")


def test_a_split_index_out_of_range_is_refused_before_xgboost_sees_it(paper_doc):
    """This document made XGBoost's C++ loader crash the interpreter with a segfault."""
    doc = copy.deepcopy(paper_doc)
    _first_tree(doc)["trees"][0]["split_indices"][0] = 10**6
    with pytest.raises(ModelFileError, match=r"split_indices: expected integers in \[0, 7\)"):
        _load(doc)


def test_a_tree_info_out_of_range_is_refused(paper_doc):
    """This one ended in 'double free or corruption'."""
    doc = copy.deepcopy(paper_doc)
    _first_tree(doc)["tree_info"][0] = 2**31 - 1
    with pytest.raises(ModelFileError, match="tree_info"):
        _load(doc)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.__setitem__("calibration", [1, 2]), "calibration: expected an object"),
        (lambda d: d["settings"].__setitem__("seed", "zero"), "settings.seed: expected int"),
        (lambda d: d["points"]["ii"].__setitem__(0, "x"), "points.ii: expected numbers"),
        (
            lambda d: d["configs"][0]["learner"]["xgboost"]["learner"][
                "learner_model_param"
            ].__setitem__("num_feature", "1000"),
            "expected 7 features",
        ),
        (lambda d: _first_tree(d)["trees"][0]["left_children"].__setitem__(1, 0), "children"),
        (
            lambda d: _first_tree(d)["trees"][0]["split_conditions"].__setitem__(0, float("nan")),
            "finite",
        ),
        (lambda d: d["configs"].append(copy.deepcopy(d["configs"][0])), "appears twice"),
        (lambda d: d["database"]["config"].__setitem__(0, 99), "configuration ids"),
        # found by the fuzz test in CI: a curve moved to another configuration gave that one
        # two curves at one length, and predict crashed on a numpy broadcast error
        (lambda d: d["database"]["config"].__setitem__(5, 0), r"database\.config: row 5"),
        (lambda d: d["database"]["acc"].__setitem__(5, "GPU-A"), r"database\.config: row 5"),
    ],
)
def test_tampered_fields_name_the_field(paper_doc, edit, message):
    doc = copy.deepcopy(paper_doc)
    edit(doc)
    with pytest.raises(ModelFileError, match=message):
        _load(doc)


def test_nan_coefficients_and_deep_nesting_are_clear_errors(tmp_path):
    model = ThroughputModel().fit(synthetic_frame()).to_dict()
    model["configs"][0]["learner"]["coef"][0] = float("nan")
    with pytest.raises(ModelFileError, match="learner.coef: expected finite numbers"):
        _load(model)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    out = run_cli("predict", deep, deep)
    assert out.returncode == 2
    assert "nested too deeply" in out.stderr or "not an ala" in out.stderr


def test_a_valid_paper_model_round_trips_exactly(paper_doc, tmp_path):
    model = _load(paper_doc)
    queries = synthetic_frame().head(6)
    again = _load(model.to_dict())
    assert model.predict(queries)["thpt_pred"].equals(again.predict(queries)["thpt_pred"])


def test_fuzzing_the_loader_finds_only_the_documented_error():
    """Hypothesis mutates valid models (every field, trees included) in a separate process."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/fuzz/fuzz_modelfile.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
