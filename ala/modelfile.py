"""Validating model documents before anything native reads them.

A model file may come from anyone (sent by a colleague, uploaded to a shared app). Python-level
checks turn every malformed field into :class:`~ala.errors.ModelFileError`; the embedded
XGBoost boosters need more, because XGBoost's C++ loader trusts its input (a split index out of
range crashed the interpreter, a ``tree_info`` out of range corrupted the heap). So a booster
is never handed to XGBoost as found: :func:`canonical_booster` reads only the numbers a tree
consists of, checks its whole structure (sizes, child and split indices in range, every node
reached exactly once from the root, finite values, one output per tree) and writes a fresh
document from them, with every derived field (parents, counts, parameters) recomputed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ala.errors import ModelFileError

MAX_TREES = 100_000
MAX_NODES = 1 << 20
PAPER_FEATURES = 7  # Algorithm 3's length features
PAPER_TARGETS = 3  # a, b, c
_XGB_VERSION = [3, 0, 0]
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def require(condition: bool, where: str, what: str) -> None:
    """Raise :class:`ModelFileError` naming the field ``where`` unless ``condition`` holds."""
    if not condition:
        raise ModelFileError(f"{where}: {what}")


def field(doc: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``doc[key]``, which must exist and be of ``kind`` (bool is never a number)."""
    require(isinstance(doc, Mapping), where, "expected a JSON object")
    require(key in doc, f"{where}.{key}", "missing")
    value = doc[key]
    number = kind in (int, float) or (isinstance(kind, tuple) and float in kind)
    require(
        isinstance(value, kind) and not (number and isinstance(value, bool)),
        f"{where}.{key}",
        f"expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}",
    )
    return value


def numbers(values: Any, where: str, length: int | None = None) -> list[float]:
    """A list of finite numbers (of ``length`` if given)."""
    require(isinstance(values, list), where, "expected a list of numbers")
    require(length is None or len(values) == length, where, f"expected {length} values")
    out = []
    for v in values:
        require(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
            where,
            f"expected finite numbers, found {v!r}"[:120],
        )
        out.append(float(v))
    return out


def integers(values: Any, where: str, length: int, low: int, high: int) -> list[int]:
    """A list of ``length`` integers in ``[low, high)``."""
    require(isinstance(values, list) and len(values) == length, where, f"expected {length} ints")
    for v in values:
        require(
            isinstance(v, int) and not isinstance(v, bool) and low <= v < high,
            where,
            f"expected integers in [{low}, {high}), found {v!r}"[:120],
        )
    return list(values)


def _tree(tree: Any, where: str) -> dict[str, Any]:
    """One validated regression tree, rebuilt with every derived field recomputed."""
    left = tree.get("left_children") if isinstance(tree, Mapping) else None
    require(isinstance(left, list) and 1 <= len(left) <= MAX_NODES, where, "bad tree size")
    assert isinstance(left, list)
    n = len(left)
    left = integers(left, f"{where}.left_children", n, -1, n)
    right = integers(
        field(tree, "right_children", list, where), f"{where}.right_children", n, -1, n
    )
    split = integers(
        field(tree, "split_indices", list, where), f"{where}.split_indices", n, 0, PAPER_FEATURES
    )
    conditions = numbers(field(tree, "split_conditions", list, where), f"{where}.split", n)
    weights = numbers(field(tree, "base_weights", list, where), f"{where}.base_weights", n)
    default_left = integers(
        field(tree, "default_left", list, where), f"{where}.default_left", n, 0, 2
    )
    split_type = field(tree, "split_type", list, where)
    require(split_type == [0] * n, f"{where}.split_type", "only numerical splits are valid")
    parents = [2147483647] * n
    reached = [False] * n
    reached[0] = True
    for node in range(n):
        pair = (left[node], right[node])
        if pair == (-1, -1):
            continue
        # Children come after their parent: no cycles, and each node has one parent.
        for child in pair:
            require(node < child < n, f"{where}.children", f"node {node} has child {child}")
            require(not reached[child], f"{where}.children", f"node {child} has two parents")
            reached[child] = True
            parents[child] = node
    require(all(reached), f"{where}.children", "some nodes are not reachable from the root")
    return {
        "base_weights": weights,
        "categories": [],
        "categories_nodes": [],
        "categories_segments": [],
        "categories_sizes": [],
        "default_left": default_left,
        "id": 0,
        "left_children": left,
        "loss_changes": [0.0] * n,
        "parents": parents,
        "right_children": right,
        "split_conditions": conditions,
        "split_indices": split,
        "split_type": [0] * n,
        "sum_hessian": [1.0] * n,
        "tree_param": {
            "num_deleted": "0",
            "num_feature": str(PAPER_FEATURES),
            "num_nodes": str(n),
            "size_leaf_vector": "1",
        },
    }


def _base_score(text: Any, where: str) -> list[float]:
    require(isinstance(text, str) and len(text) < 400, where, "expected a short text")
    parts = text.strip().strip("[]").split(",")
    require(len(parts) == PAPER_TARGETS, where, f"expected {PAPER_TARGETS} values")
    require(all(_FLOAT.match(p.strip()) for p in parts), where, "expected numbers")
    values = [float(p) for p in parts]
    require(all(math.isfinite(v) for v in values), where, "expected finite numbers")
    return values


def canonical_booster(doc: Any, where: str) -> dict[str, Any]:
    """A fresh XGBoost JSON document holding ``doc``'s validated trees, or ModelFileError.

    Only the paper learner's shape is accepted: a multi-output regressor with one output per
    tree, :data:`PAPER_FEATURES` features and :data:`PAPER_TARGETS` targets.
    """
    learner = field(doc, "learner", dict, where)
    params = field(learner, "learner_model_param", dict, f"{where}.learner")
    require(
        params.get("num_feature") == str(PAPER_FEATURES)
        and params.get("num_target") == str(PAPER_TARGETS),
        f"{where}.learner.learner_model_param",
        f"expected {PAPER_FEATURES} features and {PAPER_TARGETS} targets",
    )
    base = _base_score(params.get("base_score"), f"{where}.learner_model_param.base_score")
    booster = field(learner, "gradient_booster", dict, f"{where}.learner")
    model = field(booster, "model", dict, f"{where}.gradient_booster")
    trees = field(model, "trees", list, f"{where}.model")
    count = len(trees)
    require(
        0 < count <= MAX_TREES and count % PAPER_TARGETS == 0,
        f"{where}.model.trees",
        f"expected a positive multiple of {PAPER_TARGETS} trees, at most {MAX_TREES}",
    )
    info = integers(
        field(model, "tree_info", list, f"{where}.model"),
        f"{where}.model.tree_info",
        count,
        0,
        PAPER_TARGETS,
    )
    require(
        info == [i % PAPER_TARGETS for i in range(count)],
        f"{where}.model.tree_info",
        "expected one tree per target in each round",
    )
    rebuilt = []
    for i, tree in enumerate(trees):
        fresh = _tree(tree, f"{where}.model.trees[{i}]")
        fresh["id"] = i
        rebuilt.append(fresh)
    return {
        "learner": {
            "attributes": {},
            "feature_names": [],
            "feature_types": [],
            "gradient_booster": {
                "model": {
                    "cats": {"enc": [], "feature_segments": [], "sorted_idx": []},
                    "gbtree_model_param": {"num_parallel_tree": "1", "num_trees": str(count)},
                    "iteration_indptr": list(range(0, count + 1, PAPER_TARGETS)),
                    "tree_info": info,
                    "trees": rebuilt,
                },
                "name": "gbtree",
            },
            "learner_model_param": {
                "base_score": "[" + ",".join(repr(v) for v in base) + "]",
                "boost_from_average": "1",
                "num_class": "0",
                "num_feature": str(PAPER_FEATURES),
                "num_target": str(PAPER_TARGETS),
            },
            "objective": {
                "name": "reg:squarederror",
                "reg_loss_param": {"scale_pos_weight": "1"},
            },
        },
        "version": _XGB_VERSION,
    }


def table(doc: Any, where: str, columns: Sequence[str], text: Sequence[str] = ()) -> int:
    """Check a column-wise table: the named columns exist, have equal lengths, the numeric
    ones hold finite numbers (or null where a curve failed) and ``text`` ones strings."""
    require(isinstance(doc, Mapping), where, "expected a JSON object of columns")
    lengths = set()
    for name in columns:
        values = field(doc, name, list, where)
        lengths.add(len(values))
        if name in text:
            require(all(isinstance(v, str) for v in values), f"{where}.{name}", "expected text")
        else:
            require(
                all(
                    v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                    for v in values
                ),
                f"{where}.{name}",
                "expected numbers",
            )
    require(len(lengths) <= 1, where, "columns of different lengths")
    return lengths.pop() if lengths else 0


def key_values(entry: Any, columns: Sequence[str], where: str) -> tuple[str, ...]:
    """The configuration key stored as ``entry["values"]``: one text value per column."""
    values = field(entry, "values", list, where)
    require(
        len(values) == len(columns) and all(isinstance(v, str) for v in values),
        f"{where}.values",
        f"expected {len(columns)} text values",
    )
    return tuple(values)
