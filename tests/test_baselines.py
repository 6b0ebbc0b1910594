"""Baselines share the fit/predict interface and keep query order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ala.baselines import BASELINES
from ala.errors import UnknownConfigurationError
from ala.methods import METHOD_NAMES, make_method


@pytest.mark.parametrize("name", list(BASELINES))
def test_baseline_predicts_every_row_in_order(synthetic, name):
    model = make_method(name, seed=1).fit(synthetic)
    queries = synthetic.frame.iloc[::-1]
    pred = model.predict(queries)
    assert list(pred.index) == list(queries.index)
    assert np.isfinite(pred["thpt_pred"]).all()
    with pytest.raises(UnknownConfigurationError):
        model.predict(pd.DataFrame({"acc": ["nope"], "ii": [1.0], "oo": [1.0], "bb": [1.0]}))


def test_unknown_method_name_is_rejected():
    with pytest.raises(ValueError, match="unknown method"):
        make_method("magic")
    assert set(METHOD_NAMES) >= {"default", "paper", "linear", "xgboost"}
