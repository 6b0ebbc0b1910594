"""Algorithm 6: acceptance rule, logging, callbacks, persistence, parallel chains (incl. Dask)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ala.annealing import (
    AnnealSettings,
    anneal,
    chain_specs,
    load_runs,
    run_chains,
    save_runs,
)
from ala.errors import AlaError, DataError

from .conftest import physical_frame


def universe() -> pd.DataFrame:
    return physical_frame()[["ii", "oo", "bb", "thpt"]]


def test_one_log_entry_per_iteration_and_best_is_monotone():
    run = anneal(universe(), AnnealSettings(iterations=40, seed=1))
    trace = run.trace()
    assert list(trace["iteration"]) == list(range(40))
    best = trace["best_error"].to_numpy()
    assert np.all(np.diff(best) <= 1e-12)
    assert run.best.error == pytest.approx(best[-1])


def test_better_moves_are_always_accepted_worse_ones_with_the_boltzmann_probability():
    """With a scripted error, acceptance of worse moves matches exp(-delta / tau) statistically."""
    delta, tau0 = 1.0, 1.0
    accepted_worse, trials = 0, 0
    for seed in range(60):
        calls = {"n": 0}

        def scripted(train, test, calls=calls):
            calls["n"] += 1
            # the first evaluation is S0; every candidate is worse by delta
            return 10.0 if calls["n"] == 1 else 10.0 + delta

        run = anneal(
            universe(),
            AnnealSettings(iterations=1, initial_temperature=tau0, cooling=1.0, seed=seed),
            error_fn=scripted,
        )
        accepted_worse += run.steps[0].accepted
        trials += 1
    expected = math.exp(-delta / tau0)  # 0.37
    assert abs(accepted_worse / trials - expected) < 0.2
    better = anneal(
        universe(), AnnealSettings(iterations=20, seed=3), error_fn=lambda tr, te: 100.0 - len(tr)
    )
    # after an accepted step the state is that step's subset; a larger next subset is better
    better_moves = [
        s
        for s, prev in zip(better.steps[1:], better.steps, strict=False)
        if prev.accepted and len(s.subset) > len(prev.subset)
    ]
    assert better_moves, "the seeded chain proposed no better move to check"
    assert all(s.accepted for s in better_moves)


def test_degenerate_subsets_are_logged_not_raised():
    tiny = universe().head(5)
    run = anneal(tiny, AnnealSettings(iterations=30, moves=3, seed=2))
    assert len(run.steps) == 30
    degenerate = [s for s in run.steps if s.degenerate]
    assert degenerate, "with 5 rows and 3 moves some subsets must be too small"
    assert all(math.isnan(s.error) and not s.accepted for s in degenerate)
    with pytest.raises(DataError, match="at least"):
        anneal(universe().head(3))


def test_callbacks_stream_steps_and_can_cancel():
    seen = []
    run = anneal(
        universe(),
        AnnealSettings(iterations=50),
        on_step=seen.append,
        should_stop=lambda: len(seen) >= 7,
    )
    assert len(seen) == 7
    assert run.stopped
    assert len(run.steps) == 7


def test_runs_round_trip_through_json(tmp_path):
    run = anneal(universe(), AnnealSettings(iterations=10, seed=4), config="GPU-P")
    path = tmp_path / "run.json"
    save_runs([run], path)
    [loaded] = load_runs(path)
    assert loaded.config == "GPU-P"
    assert loaded.steps == run.steps
    pd.testing.assert_frame_equal(loaded.universe, run.universe)
    path.write_text("{}")
    with pytest.raises(AlaError, match="not an annealing run"):
        load_runs(path)


def test_process_chains_equal_sequential_chains(synthetic):
    specs = chain_specs(
        synthetic.frame,
        synthetic.config_columns,
        [("GPU-A",), ("GPU-B",)],
        [0, 1],
        AnnealSettings(iterations=15),
    )
    local = run_chains(specs, processes=2)
    serial = run_chains(specs, processes=1)
    assert [r.steps for r in local] == [r.steps for r in serial]
    assert [(r.config, r.settings.seed) for r in local] == [
        ("GPU-A", 0),
        ("GPU-A", 1),
        ("GPU-B", 0),
        ("GPU-B", 1),
    ]


def test_dask_chains_equal_local_chains(synthetic, dask_cluster):
    """A real LocalCluster on loopback gives the same logs as local runs for the same seeds."""
    specs = chain_specs(
        synthetic.frame,
        synthetic.config_columns,
        [("GPU-A",)],
        [0, 1, 2],
        AnnealSettings(iterations=10),
    )
    on_dask = run_chains(specs, scheduler=dask_cluster.scheduler_address)
    local = run_chains(specs, processes=1)
    assert [r.steps for r in on_dask] == [r.steps for r in local]


def test_unreachable_scheduler_is_a_clear_error(synthetic):
    specs = chain_specs(
        synthetic.frame, synthetic.config_columns, [("GPU-A",)], [0], AnnealSettings(iterations=2)
    )
    with pytest.raises(AlaError, match="cannot reach the Dask scheduler"):
        run_chains(specs, scheduler="tcp://127.0.0.1:1")
