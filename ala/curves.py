"""The saturation curve ``thpt = c - a * exp(-b * bb)`` and the parameter database.

Algorithm 1 of Ray et al. is :func:`saturation`; Algorithm 2 (one fitted curve per unique
(ii, oo) of a configuration) is :func:`build_database`.

Two solvers fit the curves:

``"projection"`` (default)
    Variable projection, vectorised over every curve at once. For a fixed ``b`` the model is
    linear in ``(c, a)``, so the best ``(c, a)`` has a closed form (weighted 2x2 normal
    equations). We scan a log-spaced grid of ``b`` for all curves in one numpy expression,
    then scan a finer grid around each curve's best ``b``. It finds the global least-squares
    optimum on the grid (no initial guess to get wrong) and fits 1,200 curves in milliseconds.
    No library offers a batched bounded fit of many tiny non-linear problems, hence the
    hand-written solver.
``"scipy"``
    The paper's recipe, one :func:`scipy.optimize.least_squares` call per curve with the
    initial guess of Algorithm 2 and bounds ``a, b, c >= 0``; used by method ``paper``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import least_squares

from ala.errors import DataError

Array = npt.NDArray[np.float64]

B_MIN, B_MAX = 1e-5, 5.0
_COARSE = np.geomspace(B_MIN, B_MAX, 96)
# Each refinement scans 17 points between the neighbours of the best b so far.
_FINE_STEPS = np.linspace(0.0, 1.0, 17)[:, None]
_REFINEMENTS = 3

DATABASE_COLUMNS = (
    "ii",
    "oo",
    "a",
    "b",
    "c",
    "n_points",
    "n_batches",
    "bb_min",
    "bb_max",
    "r2",
    "mape",
    "knee",
    "status",
    "message",
)


def saturation(bb: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike) -> Array:
    """Algorithm 1: throughput at batch size ``bb`` for curve parameters ``(a, b, c)``."""
    return np.asarray(c, float) - np.asarray(a, float) * np.exp(  # type: ignore[no-any-return]  # numpy's ufunc stubs return Any
        -np.asarray(b, float) * np.asarray(bb, float)
    )


def knee(a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, level: float = 0.9) -> Array:
    """Batch size at which the curve reaches ``level`` (default 90 %) of its saturation ``c``.

    Zero when the curve is already above that level at batch size 0; ``inf`` for a flat
    curve that never reaches it.
    """
    a, b, c = (np.asarray(x, float) for x in (a, b, c))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = a / np.where(c > 0, (1 - level) * c, np.nan)
        k = np.where(ratio > 1, np.log(ratio) / np.where(b > 0, b, np.nan), 0.0)
    return np.where(np.isfinite(k), k, np.inf)


@dataclass(frozen=True, slots=True)
class CurveFits:
    """Fitted parameters of many curves (one entry per curve) and their weighted SSE."""

    a: Array
    b: Array
    c: Array
    sse: Array


def _solve_linear(bb: Array, y: Array, w: Array, b: Array) -> tuple[Array, Array, Array]:
    """Best ``(a, c)`` with ``0 <= a <= c`` for each trial ``b``; arrays broadcast over curves.

    ``bb, y, w`` have shape ``(..., P)`` (P points per curve, weight 0 marks padding);
    ``b`` has shape ``(...)``. Returns ``a, c, sse`` of shape ``(...)``.
    """
    e = np.exp(-b[..., None] * bb)
    s0 = w.sum(-1)
    s1 = (w * e).sum(-1)
    s2 = (w * e * e).sum(-1)
    sy = (w * y).sum(-1)
    sey = (w * e * y).sum(-1)
    det = s0 * s2 - s1 * s1
    ok = det > 1e-12 * np.maximum(s0 * s2, 1e-300)
    safe = np.where(ok, det, 1.0)
    c = np.where(ok, (s2 * sy - s1 * sey) / safe, sy / np.maximum(s0, 1e-300))
    a = np.where(ok, (s1 * sy - s0 * sey) / safe, 0.0)
    # Active constraints, feasible set 0 <= a <= c: a < 0 means a flat curve fits best; a > c
    # would make throughput negative at small batches (c - a < 0 at bb = 0), so the best curve
    # through the origin, c * (1 - exp(-b bb)), is taken instead. c >= 0 then follows for y > 0.
    flat = a < 0
    a = np.where(flat, 0.0, a)
    c = np.where(flat, sy / np.maximum(s0, 1e-300), c)
    through_origin = a > c
    s_1e = s0 - 2 * s1 + s2  # sum w (1 - e)^2
    c0 = np.maximum((sy - sey) / np.maximum(s_1e, 1e-300), 0.0)
    a = np.where(through_origin, c0, a)
    c = np.where(through_origin, c0, c)
    resid = y - (c[..., None] - a[..., None] * e)
    sse = (w * resid * resid).sum(-1)
    return a, c, sse


def fit_projection(bb: Array, y: Array, w: Array) -> CurveFits:
    """Fit ``G`` curves at once by variable projection (see the module docstring).

    Parameters
    ----------
    bb, y, w
        Arrays of shape ``(G, P)``: batch sizes, throughputs and weights, padded with
        weight 0 where a curve has fewer than ``P`` points.

    Returns
    -------
    CurveFits
        Parameters and weighted SSE per curve; ``b`` lies in ``[1e-5, 5]``.
    """
    bb, y, w = (np.asarray(x, float) for x in (bb, y, w))
    grid = np.broadcast_to(_COARSE, (bb.shape[0], _COARSE.size)).T  # (K, G)
    cols = np.arange(bb.shape[0])
    for _ in range(_REFINEMENTS + 1):
        a, c, sse = _solve_linear(bb[None], y[None], w[None], grid)
        pick = np.argmin(sse, axis=0)
        lo = np.log(grid[np.maximum(pick - 1, 0), cols])
        hi = np.log(grid[np.minimum(pick + 1, grid.shape[0] - 1), cols])
        best = grid[pick, cols]
        grid = np.exp(lo + _FINE_STEPS * (hi - lo))
    return CurveFits(a=a[pick, cols], b=best, c=c[pick, cols], sse=sse[pick, cols])


def paper_initial_guess(bb: Array, y: Array) -> tuple[float, float, float]:
    """Algorithm 2's starting point for one curve."""
    if np.unique(bb).size <= 1:
        return 1.0, 0.001, 0.0
    p10_t, p90_t = np.percentile(y, [10, 90])
    p10_b, p90_b = np.percentile(bb, [10, 90])
    p90_b = max(p90_b, p10_b + 1e-3)
    return max(p90_t - p10_t, 1e-5), 1.0 / max(p90_b - p10_b, 1e-5), max(p90_t, 1e-5)


def fit_scipy(bb: Array, y: Array) -> tuple[float, float, float, str]:
    """Fit one curve with the paper's initial guess and bounded least squares.

    Returns ``(a, b, c, message)``; the message is empty on success.
    """
    x0 = np.array(paper_initial_guess(bb, y))

    def resid(p: Array) -> Array:
        return saturation(bb, p[0], p[1], p[2]) - y

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            sol = least_squares(
                resid, x0, bounds=([0.0, 0.0, 0.0], [np.inf, np.inf, np.inf]), method="trf"
            )
        except (ValueError, np.linalg.LinAlgError) as exc:
            return *x0, f"least_squares failed: {exc}"
    a, b, c = (float(v) for v in sol.x)
    if not sol.success or not np.all(np.isfinite(sol.x)):
        return a, b, c, f"least_squares did not converge: {sol.message}"
    return a, b, c, ""


def pad_groups(
    keys: pd.DataFrame, values: pd.DataFrame, columns: Sequence[str]
) -> tuple[pd.DataFrame, list[Array]]:
    """Stack the rows of each group into padded ``(G, P)`` arrays (NaN padding).

    ``keys`` gives the group columns of ``values``; returns the unique groups (in order of
    first appearance) and one array per name in ``columns``.
    """
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(keys))
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    counts = np.bincount(codes, minlength=len(uniques))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(codes)) - starts[sorted_codes]
    width = int(counts.max()) if len(counts) else 0
    out = []
    for col in columns:
        arr = np.full((len(uniques), width), np.nan)
        arr[sorted_codes, pos] = values[col].to_numpy(float)[order]
        out.append(arr)
    groups = pd.DataFrame(list(uniques), columns=list(keys.columns))
    return groups, out


def diagnostics(bb: Array, y: Array, a: Array, b: Array, c: Array) -> dict[str, Array]:
    """R², mean absolute percentage error and knee of padded ``(G, P)`` curves."""
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = c[:, None] - a[:, None] * np.exp(-b[:, None] * bb)
        resid = y - pred
        ss_res = np.nansum(resid**2, axis=1)
        ss_tot = np.nansum((y - np.nanmean(y, axis=1, keepdims=True)) ** 2, axis=1)
        r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), np.nan)
        mape = np.nanmean(np.abs(resid) / y, axis=1) * 100
    return {"r2": r2, "mape": mape, "knee": knee(a, b, c)}


CurveSolver = Callable[[pd.DataFrame, Array, Array], Array]


# A determined curve is ``poor`` when its R² falls below, or its mean absolute percentage error
# rises above, these: the points do not follow a saturation curve (a peak, an outlier).
POOR_R2 = 0.9
POOR_MAPE = 10.0
# Curves are fitted together in padded (curves x points) arrays, times 96 trial values of b:
# this caps that array before it is allocated (a few hundred MB per work array at the cap;
# LLM-Inference-Bench needs 12,000).
MAX_PADDED_POINTS = 500_000


def build_database(
    frame: pd.DataFrame,
    config_columns: Sequence[str] = (),
    solver: Literal["projection", "scipy"] | CurveSolver = "projection",
    weighting: Literal["relative", "none"] = "relative",
) -> pd.DataFrame:
    """Algorithm 2: one saturation curve per (configuration, ii, oo).

    Parameters
    ----------
    frame
        Canonical benchmark rows (``ii, oo, bb, thpt`` and the configuration columns).
    solver
        ``"projection"`` (vectorised, default), ``"scipy"`` (the paper's per-curve fit), or a
        callable ``solver(groups, bb, thpt) -> (G, 3) array of a, b, c`` given the unique
        groups and their padded ``(G, P)`` points.
    weighting
        ``"relative"`` minimises squared relative errors (so that small throughputs count as
        much as large ones); ``"none"`` is the paper's plain least squares.

    Returns
    -------
    pandas.DataFrame
        One row per curve: configuration columns, ``ii, oo, a, b, c``, the number of points
        and distinct batch sizes, the batch range, ``r2``, ``mape`` (%), ``knee`` and
        ``status`` (``ok``; ``poor`` when R² < 0.9 or the mean error > 10 %; ``underdetermined`` for
        fewer than 3 batch sizes; ``failed``)
        with a ``message`` saying why.
    """
    keys = [*config_columns, "ii", "oo"]
    sizes = frame.groupby(keys, sort=False).size()
    if len(sizes) and len(sizes) * int(sizes.max()) > MAX_PADDED_POINTS:
        raise DataError(
            f"{len(sizes):,} curves with up to {int(sizes.max()):,} points each are more than "
            f"ala fits at once ({MAX_PADDED_POINTS:,} padded points): average repeated "
            "measurements (the default), or split the file by configuration"
        )
    groups, (bb, y) = pad_groups(frame[keys], frame, ["bb", "thpt"])
    valid = ~np.isnan(y)
    n_points = valid.sum(1)
    n_batches = np.array([np.unique(row[~np.isnan(row)]).size for row in bb])
    messages = np.full(len(groups), "", dtype=object)
    if callable(solver):
        a, b, c = np.asarray(solver(groups, bb, y), float).T
    elif solver == "projection":
        w = np.where(valid, 1.0, 0.0)
        if weighting == "relative":
            w = np.where(valid, 1.0 / np.where(valid, y, 1.0) ** 2, 0.0)
        fits = fit_projection(np.nan_to_num(bb), np.nan_to_num(y), w)
        a, b, c = fits.a, fits.b, fits.c
    elif solver == "scipy":
        params = []
        for i in range(len(groups)):
            *abc, msg = fit_scipy(bb[i][valid[i]], y[i][valid[i]])
            params.append(abc)
            messages[i] = msg
        a, b, c = (np.array(p, float) for p in zip(*params, strict=True))
    else:
        raise ValueError(f"unknown solver {solver!r}; use 'projection' or 'scipy'")
    diag = diagnostics(bb, y, a, b, c)
    poor = (diag["r2"] < POOR_R2) | (diag["mape"] > POOR_MAPE)
    status = np.where(
        messages != "",
        "failed",
        np.where(n_batches < 3, "underdetermined", np.where(poor, "poor", "ok")),
    )
    messages = np.where(
        (status == "underdetermined") & (messages == ""),
        [f"only {n} distinct batch size(s): the curve is not identifiable" for n in n_batches],
        messages,
    )
    messages = np.where(
        status == "poor",
        [
            f"R² {r:.2f}, mean error {e:.1f} %: a saturation curve does not describe these points"
            for r, e in zip(diag["r2"], diag["mape"], strict=True)
        ],
        messages,
    )
    db = groups.assign(
        a=a,
        b=b,
        c=c,
        n_points=n_points,
        n_batches=n_batches,
        bb_min=np.nanmin(bb, 1),
        bb_max=np.nanmax(bb, 1),
        **diag,
        status=status,
        message=messages,
    )
    db["ii"] = db["ii"].astype(float)
    db["oo"] = db["oo"].astype(float)
    return db


def curve_residuals(
    frame: pd.DataFrame, database: pd.DataFrame, config_columns: Sequence[str] = ()
) -> pd.DataFrame:
    """Measured points joined to their curve: ``thpt_fit``, ``residual`` and ``ape`` (%)."""
    keys = [*config_columns, "ii", "oo"]
    merged = frame.merge(database[[*keys, "a", "b", "c"]], on=keys, how="left")
    merged["thpt_fit"] = saturation(merged["bb"], merged["a"], merged["b"], merged["c"])
    merged["residual"] = merged["thpt"] - merged["thpt_fit"]
    merged["ape"] = (merged["residual"].abs() / merged["thpt"]) * 100
    return merged
