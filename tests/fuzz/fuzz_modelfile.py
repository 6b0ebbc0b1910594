"""Hypothesis fuzz of the model loader; run in a subprocess by tests/test_modelfile.py.

A crash of XGBoost's native code here kills this process only; the outer test sees it.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ala.errors import AlaError, ModelFileError
from ala.model import ThroughputModel
from tests.conftest import synthetic_frame


@cache
def valid(method: str) -> str:
    model = ThroughputModel(method, n_estimators=2).fit(synthetic_frame())
    return json.dumps(model.to_dict())


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:6]):  # long arrays: their first elements stand for all
            out += paths(v, (*prefix, i))
    return out


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=8,
)
QUERIES = pd.DataFrame(
    {"acc": ["GPU-A", "GPU-B"], "ii": [128.0, 700.0], "oo": [128.0, 700.0], "bb": [1.0, 48.0]}
)


def load_and_use(doc: Any) -> None:
    try:
        model = ThroughputModel.from_dict(doc)
    except ModelFileError:
        return
    try:
        model.predict(QUERIES)
    except AlaError:
        pass


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=st.sampled_from(["paper", "default"]), data=st.data())
def test_mutations_of_a_valid_model_give_only_the_documented_error(method, data):
    doc = json.loads(valid(method))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths(doc)[1:]))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        choice = data.draw(st.sampled_from(["replace", "delete", "shift", "duplicate"]))
        key = path[-1]
        if choice == "replace":
            parent[key] = data.draw(json_values)
        elif choice == "delete":
            del parent[key]
        elif (
            choice == "shift"
            and isinstance(parent[key], int | float)
            and not isinstance(parent[key], bool)
        ):
            parent[key] = parent[key] + data.draw(
                st.sampled_from([-(2**31), -100, -1, 1, 7, 1000, 2**31])
            )
        elif choice == "duplicate" and isinstance(parent[key], list):
            parent[key] = parent[key] + copy.deepcopy(parent[key][:3])
    load_and_use(doc)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=json_values)
def test_random_json_documents_give_only_the_documented_error(doc):
    load_and_use(doc)
    load_and_use(
        {"format": "ala.throughput-model", "version": 2, "method": "paper", "configs": doc}
    )
