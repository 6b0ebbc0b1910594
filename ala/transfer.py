"""Predict configurations that were never benchmarked: sibling curves rescaled by the specs.

Every measured configuration has the default method's physical latency model (see
:mod:`ala.prior`): a fixed overhead, prefill cost per prompt token, a per-step cost of reading
the weights, compute per generated token and an attention cost per context token, plus the
measured residuals it missed. :meth:`ala.physics.Deployment.term_parts` says what each of
those costs should be from the specs, split into what the accelerator, the count and the model
contribute.

To predict a configuration X that was never measured, each measured *sibling* S (sharing most
attributes with X) lends its coefficients, each term rescaled by the spec ratio
``exp(sum_p beta_p * (part_p(X) - part_p(S)))``, and its residuals. Three things the specs do
not say are learned across all configurations:

* ``beta`` per part (accelerator, count, model): how fully a spec ratio turns into speed
  (doubling the GPUs rarely doubles the speed);
* an efficiency correction, a ridge regression of the log error of each sibling pair on the
  difference of their attributes (framework, vendor, framework x vendor, accelerator, model,
  precision, the accelerator's bandwidth, compute and memory, and the model's size, KV cache
  per parameter and active share): the shrinkage toward the group that a mixed-effects model
  gives, so a held-out accelerator borrows its vendor's efficiency and a held-out model that
  of models shaped like it; a pair counts ``decay`` per attribute it differs in beyond the
  first, so that where clean one-attribute comparisons exist, confounded ones do not blur
  them;
* ``lambda`` per attribute: how much a sibling that differs there counts; the siblings'
  answers are averaged in log space with weights ``prod_a lambda_a ** d_a`` (``d_a`` is 1 where
  they differ, the number of doublings for the accelerator count).

All of these are chosen on folds that hold out one value of one attribute at a time (the
transfer protocols of :mod:`ala.transfer_eval`), and the same folds calibrate the intervals per
attribute in which X differs from its nearest sibling; several differing attributes combine in
quadrature, so intervals widen with every unseen attribute.

With a few measurements of X itself (``shots``: fewer than ``min_points``) the transfer
answer moves toward them: by their shrunk mean log ratio ``sum(log(shot / transfer)) / (n +
0.2)``, tilted along log batch size and lengths by a ridge fit when there are two or more
(:func:`shot_shift`); ``shift`` reports how far on average. With two shots or more, the
siblings are first reweighed by how well each one's rescaled curve follows the shots' shape
(:func:`fit_to_shots`). The "no correction" the shots are shrunk toward is the shared ratio
of its *peers*' shots where there are any (the other few-shot configurations of its framework
with its values of the unseen attributes: :meth:`TransferModel._peer_level`). The interval
narrows by as much as the same correction narrowed the held-out errors of the attribute
folds, simulated with that many shots of each held-out configuration and its peers
(:meth:`TransferModel.shot_quantiles`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ala.configs import ConfigKey, config_keys, config_label
from ala.data import Benchmarks, infer_config_columns
from ala.errors import AlaError
from ala.physics import ACCELERATOR, COUNT, MODEL, PRECISION, Deployment, resolve
from ala.prior import PriorLearner, latency_features
from ala.specs import Catalogue, SpecError

Array = npt.NDArray[np.float64]
PARTS = ("accelerator", "count", "model")
BETAS = (0.25, 0.5, 0.75, 1.0)
LAMBDAS = (0.01, 0.05, 0.2, 0.5)
RIDGE_ALPHA = 1.0
# How much a sibling pair that differs in one more attribute counts in the efficiency
# correction's regression, chosen by the folds: at 0 only pairs differing in one attribute
# teach it, clean comparisons whose effects add up; at 1 every pair counts alike, and an
# accelerator seen only beside other models (say, an H100 with small models alone) takes
# their efficiency as its own (AIConfigurator leave-one-system-out: H100 at 107 % median APE).
PAIR_DECAYS = (0.0, 0.01, 0.1, 1.0)
MAX_DIFFERENT = 3  # siblings differing in more attributes are not used
SIBLINGS = 12  # the heaviest siblings an answer averages
# Which row and terms of Deployment.term_parts grade a difference of model or accelerator.
SPEC_ROWS = {MODEL: (2, [2])}
LENGTHS = "lengths"  # the pseudo-attribute weighing how far a sibling measured from the query
LENGTH_LAMBDAS = (1.0, 0.5, 0.2, 0.05)
MIN_CALIBRATION = 20  # held-out points an attribute needs for an interval of its own
# Intervals are calibrated per framework (where it has MIN_CALIBRATION held-out errors): how
# well a transfer holds differs most between frameworks.
CALIBRATION_GROUP = "back"
SHOT_PRIOR = 0.2  # pseudo-weight of "no correction" against the shots
# pseudo-weight of "no shared correction" against the shots of a configuration's peers
# (_peer_level): 1.0 and 0.2 did alike in a replay on LLM-Inference-Bench's folds; 1.0 is
# the more cautious
PEER_PRIOR = 1.0
SHOT_SLOPE_PRIOR = 1.0  # ridge penalty on the shots' slopes in log (bb, ii, oo)
# the log residual scale at which a sibling's misfit to the shots' shape counts against it
SHOT_FIT_SCALE = 0.15
# A configuration measured at fewer points is a few-shot target, not a sibling; ala predict
# answers it by transfer too (ala.service.predict_file): on LLM-Inference-Bench, its own model
# against transfer, median APE (p90), leave one accelerator out with 1 / 3 / 5 shots: 94 (1548)
# against 12.6 (48), 6.3 (47) against 4.8 (24), 3.4 (28) against 3.6 (21) %; leave one model
# out: 91 (1023) against 6.5 (34), 7.8 (58) against 2.6 (18), 3.9 (28) against 2.1 (15) %.
MIN_POINTS = 6
SHOT_DRAWS = 3  # random draws of the shots per configuration when calibrating their narrowing


@dataclass(frozen=True, slots=True)
class Measured:
    """One measured configuration as the transfer model keeps it."""

    key: ConfigKey
    values: dict[str, str]
    learner: PriorLearner
    parts: Array | None  # Deployment.term_parts(); None without specs
    features: dict[str, float]  # efficiency features (empty without specs)
    points: pd.DataFrame  # ii, oo, bb, thpt


@dataclass(frozen=True, slots=True)
class TransferSettings:
    """What the held-out attribute folds chose, and their errors (to calibrate intervals)."""

    betas: tuple[float, float, float]
    lambdas: dict[str, float]
    decay: float  # weight of a pair per attribute it differs in beyond the first
    # attribute, value (the held-out one), group (the configuration's framework), point,
    # config (index into measured_), log_error, abs_log_error, differing
    errors: pd.DataFrame = field(repr=False)
    # per number of shots, the errors left after the shots and their groups (_shot_errors)
    shot_cache: dict[int, dict[str, tuple[Array, npt.NDArray[np.object_]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )


_Weighted = tuple[float, int, dict[str, float]]  # a sibling's weight, index, differences


@dataclass(frozen=True, slots=True)
class _Answer:
    log_thpt: Array
    source: str
    unseen: tuple[str, ...]
    siblings: tuple[str, ...]
    shift: float
    half_width: float
    distance: float = 0.0  # to the nearest sibling, in weighted attribute steps
    shots: int = 0  # the configuration's own measurements that moved the answer
    peers: int = 0  # few-shot configurations whose shots moved it too (_peer_level)


class TransferModel:
    """A pooled model over configurations that predicts unseen ones from their specs.

    Parameters
    ----------
    config_columns
        Columns identifying a configuration (default: the data's). ``acc``, ``acc_count``,
        ``model`` and ``prec`` are read as specs (see :class:`ala.physics.Deployment`).
    specs
        The spec catalogue (default: the bundled one).
    min_points
        A configuration with fewer measured points is a few-shot target, not a sibling.
    """

    def __init__(
        self,
        config_columns: Sequence[str] | None = None,
        specs: Catalogue | None = None,
        min_points: int = MIN_POINTS,
    ) -> None:
        self.config_columns = None if config_columns is None else tuple(config_columns)
        self.specs = specs
        self.min_points = min_points

    def get_params(self) -> dict[str, Any]:
        """The constructor's settings (to rebuild the same estimator)."""
        return {
            "config_columns": self.config_columns,
            "specs": self.specs,
            "min_points": self.min_points,
        }

    # ---------------------------------------------------------------- fitting
    def fit(self, data: Benchmarks | pd.DataFrame) -> TransferModel:
        """Fit every configuration's latency model, then learn what the specs do not say."""
        self.fit_configurations(data)
        pairs = _Pairs(self, self.feature_names_)
        self.settings_ = pairs.learn()
        everything = np.ones(len(pairs.target), bool)
        self.theta_ = pairs.ridge(self.settings_.betas, self.settings_.decay, everything)
        self.shot_fits_: dict[int, tuple[list[_Weighted], Array]] | None = None
        return self

    def fit_configurations(self, data: Benchmarks | pd.DataFrame) -> TransferModel:
        """Only the per-configuration part of :meth:`fit`: latency models, specs, features."""
        frame = data.frame if isinstance(data, Benchmarks) else data
        if self.config_columns is not None:
            cols = self.config_columns
        elif isinstance(data, Benchmarks):
            cols = data.config_columns
        else:
            cols = infer_config_columns(frame)
        if ACCELERATOR not in cols or MODEL not in cols:
            raise AlaError(
                "transfer needs the accelerator ('acc') and model ('model') as configuration "
                "columns, to look up their specs"
            )
        self.config_columns_ = tuple(cols)
        keys = config_keys(frame, cols)
        measured = []
        for key, rows in frame.groupby(keys, sort=False).indices.items():
            part = frame.iloc[rows][["ii", "oo", "bb", "thpt"]].reset_index(drop=True)
            values = dict(zip(cols, key, strict=True))
            parts, features = self._describe(values)
            measured.append(Measured(key, values, PriorLearner.fit(part), parts, features, part))
        self.measured_ = measured
        self.index_ = {m.key: i for i, m in enumerate(measured)}
        self.siblings_ = [
            i
            for i, m in enumerate(measured)
            if m.parts is not None and len(m.points) >= self.min_points
        ]
        self.feature_names_ = sorted({f for i in self.siblings_ for f in measured[i].features})
        self.vocab_ = {
            c: {v: k for k, v in enumerate(sorted({m.values[c] for m in measured}))} for c in cols
        }
        self.codes_ = np.array([self._encode(m.values)[0] for m in measured]).reshape(
            len(measured), len(cols)
        )
        self.counts_ = np.array([_count(m.values) for m in measured])
        self.parts_ = np.stack(
            [m.parts if m.parts is not None else np.zeros((3, 5)) for m in measured]
        )
        return self

    def _describe(self, values: Mapping[str, str]) -> tuple[Array | None, dict[str, float]]:
        """Term parts and efficiency features; none for a configuration without specs (it is
        then neither a sibling nor a transfer target)."""
        deployment = resolve(values, self.specs)
        if isinstance(deployment, str):
            return None, {}
        try:
            return deployment.term_parts(), efficiency_features(values, deployment)
        except SpecError:
            return None, {}

    def _encode(self, values: Mapping[str, str]) -> tuple[npt.NDArray[np.intp], float]:
        """A configuration's value codes (-1 for a value never measured) and its count."""
        codes = np.array(
            [self.vocab_[c].get(str(values.get(c, "")), -1) for c in self.config_columns_]
        )
        return codes, _count(values)

    def distances(
        self,
        codes: npt.NDArray[np.intp],
        counts: Array,
        parts: Array,
        others: npt.NDArray[np.intp],
    ) -> Array:
        """Per pair (target row, measured configuration ``others``) and attribute, how far
        apart they are: 0 where equal, else 1; for the accelerator count the number of
        doublings; for a model or accelerator, 1 plus how far apart their specs are (log
        weight and KV bytes; log compute and bandwidth), so the most similar sibling weighs
        most.
        """
        differ = codes != self.codes_[others]
        d = differ.astype(float)
        cols = self.config_columns_
        if COUNT in cols:
            j = cols.index(COUNT)
            doublings = np.abs(np.log2(counts / self.counts_[others]))
            d[:, j] = np.where(differ[:, j], np.nan_to_num(doublings, nan=1.0), 0.0)
        for col, (row, terms) in SPEC_ROWS.items():
            if col in cols:
                j = cols.index(col)
                gap = np.abs(parts[:, row, terms] - self.parts_[others][:, row, terms]).sum(-1)
                d[:, j] += differ[:, j] * gap
        return np.asarray(d, float)

    # ---------------------------------------------------------------- prediction
    def predict(self, queries: pd.DataFrame, interval: float | None = None) -> pd.DataFrame:
        """Predict any configuration whose specs are known.

        Returns a frame aligned with ``queries``: ``thpt_pred``; ``source``: ``transfer``, or
        ``measured-curve`` for a configuration with at least ``min_points`` measurements;
        ``unseen``: the attributes in which it differs from its nearest sibling
        (``;``-separated); ``config_distance``: how far that sibling is (1 per differing
        attribute, more for a distant model size or GPU count; 0 when measured);
        ``siblings``: the three heaviest; ``shift``: how far its own few measurements (and
        those of its peers, :meth:`_peer_level`) moved the answer (a ratio; 1 without them);
        ``shots`` and ``peers``: how many measurements of it, and how many peer
        configurations, that is (0 for a measured curve); with ``interval`` also ``thpt_lo`` and
        ``thpt_hi``.

        Raises
        ------
        SpecError
            For a configuration whose accelerator or model specs are missing.
        AlaError
            When no measured configuration is close enough to transfer from.
        """
        if not hasattr(self, "measured_"):
            raise AlaError("the transfer model is not fitted; call fit(data) first")
        cols = self.config_columns_
        missing = [c for c in cols if c not in queries.columns]
        if missing:
            raise AlaError(f"queries lack the configuration column(s) {missing}")
        n = len(queries)
        log_thpt, half, shift, distance = (np.zeros(n) for _ in range(4))
        shots, peers = np.zeros(n, int), np.zeros(n, int)
        source, unseen, siblings = (np.empty(n, dtype=object) for _ in range(3))
        unresolved: list[SpecError] = []  # one per configuration whose specs are missing
        for key, rows in queries.groupby(config_keys(queries, cols), sort=False).indices.items():
            try:
                answer = self._predict_config(key, queries.iloc[rows], interval)
            except SpecError as error:
                where = f"configuration {config_label(key)}"
                unresolved.append(SpecError(f"{where}: {error}", queries.index[rows]))
                continue
            log_thpt[rows] = answer.log_thpt
            half[rows], shift[rows] = answer.half_width, answer.shift
            source[rows] = answer.source
            unseen[rows] = ";".join(answer.unseen)
            distance[rows] = answer.distance
            shots[rows], peers[rows] = answer.shots, answer.peers
            siblings[rows] = "; ".join(answer.siblings)
        if unresolved:  # the first, and how many more
            first, more = unresolved[0], len(unresolved) - 1
            verb = "lack" if more > 1 else "lacks"
            others = f" ({more} more configuration{'s' * (more > 1)} {verb} specs too)"
            raise SpecError(f"{first}{others if more else ''}", first.rows)
        out = pd.DataFrame(
            {
                "thpt_pred": np.exp(log_thpt),
                "source": source,
                "unseen": unseen,
                "config_distance": distance,
                "siblings": siblings,
                "shift": np.exp(shift),
                "shots": shots,
                "peers": peers,
            },
            index=queries.index,
        )
        if interval is not None:
            out["thpt_lo"] = np.exp(log_thpt - half)
            out["thpt_hi"] = np.exp(log_thpt + half)
        return out

    def _weighted_siblings(
        self, key: ConfigKey, values: Mapping[str, str], parts: Array
    ) -> list[tuple[float, int, dict[str, float]]]:
        """The heaviest siblings of a configuration: (weight, index, distance per differing
        attribute), heaviest first.

        Raises
        ------
        AlaError
            When none differs in at most :data:`MAX_DIFFERENT` attributes.
        """
        codes, count = self._encode(values)
        candidates = np.array(self.siblings_, int)
        d = self.distances(
            np.tile(codes, (len(candidates), 1)),
            np.full(len(candidates), count),
            np.broadcast_to(parts, (len(candidates), 3, 5)),
            candidates,
        )
        differing = (d > 0).sum(1)
        keep = (differing > 0) & (differing <= MAX_DIFFERENT)
        log_lam = np.log([self.settings_.lambdas[c] for c in self.config_columns_])
        weights = np.exp(d[keep] @ log_lam)
        weighted = [
            (float(w), int(i), _nonzero(self.config_columns_, row))
            for w, i, row in zip(weights, candidates[keep], d[keep], strict=True)
        ]
        if not weighted:
            raise AlaError(
                f"no measured configuration is close enough to {config_label(key)} to transfer "
                f"from: benchmark one that differs from it in at most {MAX_DIFFERENT} of "
                f"{', '.join(self.config_columns_)}"
            )
        weighted.sort(key=lambda x: (-x[0], x[1]))
        return weighted[:SIBLINGS]

    def leaning_on(self, config: Mapping[str, str], k: int = 3) -> list[Measured]:
        """The ``k`` measured configurations an answer for ``config`` leans on most (itself
        when it is measured well enough to answer from its own curve)."""
        key = tuple(str(config.get(c, "")) for c in self.config_columns_)
        own = self.index_.get(key)
        if own is not None and len(self.measured_[own].points) >= self.min_points:
            return [self.measured_[own]]
        values = dict(zip(self.config_columns_, key, strict=True))
        parts = Deployment.of(values, self.specs).term_parts()
        return [self.measured_[i] for _, i, _ in self._weighted_siblings(key, values, parts)[:k]]

    def _predict_config(
        self, key: ConfigKey, queries: pd.DataFrame, interval: float | None
    ) -> _Answer:
        values = dict(zip(self.config_columns_, key, strict=True))
        own = self.index_.get(key)
        if own is not None and len(self.measured_[own].points) >= self.min_points:
            m = self.measured_[own]
            assert m.learner is not None
            log_own = sibling_log_thpt(m.learner, np.zeros(5), queries)
            label = (config_label(key),)
            half = (
                self.half_width((), interval, group=values.get(CALIBRATION_GROUP))
                if interval
                else 0.0
            )
            return _Answer(log_own, "measured-curve", (), label, 0.0, half)
        deployment = Deployment.of(values, self.specs)
        parts = deployment.term_parts()
        phi = self._feature_vector(efficiency_features(values, deployment))
        weighted = self._weighted_siblings(key, values, parts)
        shift, shots, peers = 0.0, 0, 0
        if own is not None:  # shots: reweigh the siblings by how well each fits them
            points = self.measured_[own].points
            shots = len(points)
            weighted, residual = self._shot_fits()[own]
        log_thpt = _log_average(*self._sibling_logs(parts, phi, weighted, queries))
        if own is not None:
            peer_level, peers = self._peer_level(own, tuple(weighted[0][2]))
            shifts = shot_shift(points, residual, queries, peer_level)
            shift = float(shifts.mean())
            log_thpt = log_thpt + shifts
        unseen = tuple(sorted(weighted[0][2]))
        group = values.get(CALIBRATION_GROUP)
        half = self.half_width(unseen, interval, shots, group) if interval else 0.0
        labels = tuple(config_label(self.measured_[i].key) for _, i, _ in weighted[:3])
        nearest = float(sum(weighted[0][2].values()))
        return _Answer(log_thpt, "transfer", unseen, labels, shift, half, nearest, shots, peers)

    def _sibling_logs(
        self, parts: Array, phi: Array, weighted: Sequence[_Weighted], points: pd.DataFrame
    ) -> tuple[Array, Array]:
        """Per sibling (rows) and point (columns), the sibling's log throughput rescaled to a
        configuration of these term ``parts`` and efficiency features ``phi``, and its weight
        (less where it measured far from these lengths)."""
        log_length_lambda = np.log(self.settings_.lambdas.get(LENGTHS, 1.0))
        logs, weights = [], []
        ii, oo = points["ii"].to_numpy(float), points["oo"].to_numpy(float)
        for w, i, _ in weighted:
            sibling = self.measured_[i]
            assert sibling.parts is not None
            scale = np.asarray(self.settings_.betas) @ (parts - sibling.parts)
            correction = (phi - self._feature_vector(sibling.features)) @ self.theta_
            distances = sibling.learner.length_distances(ii, oo)
            logs.append(sibling_log_thpt(sibling.learner, scale, points, distances) + correction)
            # a sibling that measured far from these lengths counts less
            weights.append(w * np.exp(distances.min(1) * log_length_lambda))
        return np.stack(logs), np.stack(weights)

    def _peer_level(self, own: int, unseen: Sequence[str]) -> tuple[float, int]:
        """The shared log correction the shots of a few-shot configuration's *peers* imply:
        the other few-shot configurations of its framework with its values of the
        ``unseen`` attributes (a new accelerator's other models and counts, say), their
        residuals summed over their number plus :data:`PEER_PRIOR` (0 without peers), and
        how many peers there are.

        Shots on one new accelerator share much of their error (its efficiency the specs do
        not say) and scatter apart in the rest (on LLM-Inference-Bench, one common offset
        alone left 23 % median error, against 15 % for each configuration's own shot):
        so the peers' level only replaces the "no correction" a configuration's own shots
        are shrunk toward (:func:`shot_shift`).
        """
        me = self.measured_[own]
        same = (CALIBRATION_GROUP, *unseen)
        residuals = [
            residual
            for i, (_, residual) in self._shot_fits().items()
            if i != own and all(self.measured_[i].values.get(c) == me.values.get(c) for c in same)
        ]
        pooled = np.concatenate([np.zeros(0), *residuals])
        return peer_mean(float(pooled.sum()), len(pooled)), len(residuals)

    def _shot_fits(self) -> dict[int, tuple[list[_Weighted], Array]]:
        """Per few-shot configuration (fewer than ``min_points`` measurements, with specs),
        its siblings reweighed by its shots (:func:`fit_to_shots`) and the log residuals of
        its shots against their answer (computed once)."""
        if self.shot_fits_ is None:
            out = {}
            for i, m in enumerate(self.measured_):
                if m.parts is None or len(m.points) >= self.min_points:
                    continue
                try:
                    weighted = self._weighted_siblings(m.key, m.values, m.parts)
                except AlaError:
                    continue
                truth = np.log(m.points["thpt"].to_numpy(float))
                phi = self._feature_vector(m.features)
                logs, weights = self._sibling_logs(m.parts, phi, weighted, m.points)
                factor = fit_to_shots(truth, logs)
                weighted = [(w * f, j, d) for (w, j, d), f in zip(weighted, factor, strict=True)]
                out[i] = (weighted, truth - _log_average(logs, weights * factor[:, None]))
            self.shot_fits_ = out
        return self.shot_fits_

    def _feature_vector(self, features: Mapping[str, float]) -> Array:
        return np.array([features.get(f, 0.0) for f in self.feature_names_])

    def half_width(
        self, unseen: Sequence[str], level: float | None, shots: int = 0, group: str | None = None
    ) -> float:
        """Half-width, in log space, of the interval at ``level``.

        Each unseen attribute contributes its held-out quantile (at a level corrected for the
        number of values held out, :func:`few_values_level`) over the points whose nearest
        sibling differed in that attribute alone (all its points where fewer than
        :data:`MIN_CALIBRATION`; the largest attribute's where it was never held out, e.g. a
        precision all the data share); several combine in quadrature. ``group``, the
        target's framework, narrows that to its own framework's errors where it has at least
        :data:`MIN_CALIBRATION` of them, shrunk toward the pooled quantile
        (:func:`grouped_quantile`; not for the framework itself when it is unseen). With
        ``shots`` measurements of the target, each attribute's quantile is that of the
        held-out errors left after ``shots`` of each configuration's own points corrected the
        rest, as :func:`shot_shift` corrects a prediction (:meth:`shot_quantiles`); an
        attribute with too few such errors falls back to its zero-shot part over
        ``sqrt(1 + shots)``.
        """
        if level is None:
            return 0.0
        errors = self.settings_.errors
        if errors.empty:
            return float("inf")
        by_attribute = self.attribute_quantiles(level, group)
        pooled = float(np.quantile(errors["abs_log_error"].to_numpy(), level))
        widest = max(by_attribute.values(), default=pooled)
        if not unseen:  # a measured curve: the smallest transfer error bounds it from above
            return min(by_attribute.values(), default=pooled) / 2
        parts = [by_attribute.get(a, widest) for a in unseen]
        if shots:
            narrowed = self.shot_quantiles(level, shots, group)
            parts = [
                narrowed.get(a, part / np.sqrt(1 + shots))
                for a, part in zip(unseen, parts, strict=True)
            ]
        return float(np.sqrt(np.sum(np.square(parts))))

    def _calibration_errors(self) -> dict[str, pd.DataFrame]:
        """Per attribute, the held-out errors its interval is calibrated on: those whose
        nearest sibling differed in it alone, or all of them where those are too few."""
        chosen = {}
        for a, g in self.settings_.errors.groupby("attribute"):
            alone = g[g["differing"] <= 1]  # only this attribute unseen, as it is combined
            chosen[str(a)] = alone if len(alone) >= MIN_CALIBRATION else g
        return chosen

    def attribute_quantiles(self, level: float, group: str | None = None) -> dict[str, float]:
        """Per attribute with at least :data:`MIN_CALIBRATION` held-out errors, their absolute
        quantile (log space) at ``level`` corrected for the number of held-out values
        (:func:`few_values_level`), in ``group`` where it has enough of them
        (:func:`grouped_quantile`)."""
        return {
            a: grouped_quantile(
                g["abs_log_error"].to_numpy(float),
                _members(g["group"].to_numpy(object), a, group),
                few_values_level(level, g),
            )
            for a, g in self._calibration_errors().items()
            if len(g) >= MIN_CALIBRATION
        }

    def shot_quantiles(
        self, level: float, shots: int, group: str | None = None
    ) -> dict[str, float]:
        """Per attribute, the ``level`` quantile of the held-out errors left once ``shots``
        random points of each held-out configuration correct its other points (in ``group``
        where it has enough of them, as :meth:`attribute_quantiles`).

        Simulated on the fit's own held-out errors (:data:`SHOT_DRAWS` seeded draws per
        configuration), so the narrowing follows how much of the error is one offset per
        configuration (which shots remove) rather than point-to-point scatter (which they do
        not). Attributes with fewer than :data:`MIN_CALIBRATION` corrected errors are left out.
        """
        out = {}
        calibration = self._calibration_errors()
        for a, (corrected, groups) in self._shot_errors(shots).items():
            members = _members(groups, a, group)
            out[a] = grouped_quantile(corrected, members, few_values_level(level, calibration[a]))
        return out

    def _shot_errors(self, shots: int) -> dict[str, tuple[Array, npt.NDArray[np.object_]]]:
        """Per attribute, the absolute errors left after ``shots`` corrected each held-out
        configuration, and the group of each (computed once per number of shots)."""
        cache = self.settings_.shot_cache
        if shots in cache:
            return cache[shots]
        lengths = np.concatenate([_log_lengths(m.points) for m in self.measured_])
        rng = np.random.default_rng(0)
        out = {}
        for a, g in self._calibration_errors().items():
            errors, points = g["log_error"].to_numpy(float), g["point"].to_numpy(int)
            labels, at = g["group"].to_numpy(object), lengths[points]
            left, groups = [], []
            # the configurations of one held-out value and framework are each other's peers
            for peers in g.groupby(["value", "group"]).indices.values():
                configs = [peers[rows] for rows in g.iloc[peers].groupby("config").indices.values()]
                configs = [rows for rows in configs if len(rows) > shots]
                for _ in range(SHOT_DRAWS):
                    for rows, error in _errors_after_shots(errors, at, configs, shots, rng):
                        left.append(error)
                        groups.append(labels[rows])
            if sum(len(x) for x in left) >= MIN_CALIBRATION:
                out[a] = (np.concatenate(left), np.concatenate(groups))
        cache[shots] = out
        return out


def grouped_quantile(errors: Array, members: npt.NDArray[np.bool_] | None, level: float) -> float:
    """The ``level`` quantile of ``errors``, or, where ``members`` marks at least
    :data:`MIN_CALIBRATION` of them, the members' quantile shrunk toward it: weighted by
    their number against :data:`MIN_CALIBRATION` for the pooled one.

    Pooled over frameworks, the errors of the worst set every framework's width: on
    LLM-Inference-Bench, llama.cpp's (its throughput barely follows the GPU count) made
    vLLM's accelerator-out intervals 730 % wide at the median; calibrated per framework,
    221 %, with every transfer protocol still covered 85-95 %.
    """
    pooled = float(np.quantile(errors, level))
    if members is None or (count := int(members.sum())) < MIN_CALIBRATION:
        return pooled
    own = float(np.quantile(errors[members], level))
    return (count * own + MIN_CALIBRATION * pooled) / (count + MIN_CALIBRATION)


def _members(
    groups: npt.NDArray[np.object_], attribute: str, group: str | None
) -> npt.NDArray[np.bool_] | None:
    """Which of an attribute's errors (of these ``groups``) are in ``group``; None, to pool
    them all, without a group or for the framework's own attribute (a new framework)."""
    if group is None or attribute == CALIBRATION_GROUP:
        return None
    return np.asarray(groups == group, bool)


def few_values_level(level: float, errors: pd.DataFrame) -> float:
    """The quantile level that calibrates an attribute's interval on ``errors`` held out at
    ``k`` values of it: miscoverage ``(1 - level) * k / (k + 1)``.

    A new value is one more draw beside the ``k`` held out, whose errors differ from value to
    value more than from point to point; with two or three of them (the systems or
    frameworks of a serving dataset) the plain quantile falls short for the next (the
    AIConfigurator B200, calibrated on H100 and H200 errors, was covered 64 % of the time).
    The correction mirrors split conformal's ``(n + 1) / n`` at the level of held-out values
    and fades as they grow in number.
    """
    k = int(errors["value"].nunique())
    return 1.0 - (1.0 - level) * k / (k + 1)


def _errors_after_shots(
    errors: Array,
    at: Array,
    configs: Sequence[npt.NDArray[np.intp]],
    shots: int,
    rng: np.random.Generator,
) -> list[tuple[npt.NDArray[np.intp], Array]]:
    """One draw of ``shots`` random points of each of these peer configurations (their rows
    of ``errors`` and log lengths ``at``): per configuration, its other rows and their
    absolute errors once its shots and its peers' corrected them, as a prediction is."""
    given = [rng.choice(len(rows), shots, replace=False) for rows in configs]
    sums = [errors[rows[i]].sum() for rows, i in zip(configs, given, strict=True)]
    peer_shots = (len(configs) - 1) * shots
    out = []
    for rows, chosen, own in zip(configs, given, sums, strict=True):
        mask = np.zeros(len(rows), bool)
        mask[chosen] = True
        level = peer_mean(sum(sums) - own, peer_shots)
        shift = shot_correction(at[rows[mask]], errors[rows[mask]], at[rows[~mask]], level)
        out.append((rows[~mask], np.abs(errors[rows[~mask]] - shift)))
    return out


def peer_mean(total: float, count: int) -> float:
    """The shared log correction of ``count`` peer shots whose residuals sum to ``total``:
    shrunk toward none by :data:`PEER_PRIOR` (0 without peers)."""
    return float(total / (count + PEER_PRIOR))


def _log_average(logs: Array, weights: Array) -> Array:
    """The weighted mean over siblings (rows) of their log throughput, point by point."""
    return np.asarray((weights * logs).sum(0) / weights.sum(0), float)


def fit_to_shots(truth: Array, logs: Array) -> Array:
    """Per sibling, the factor its weight takes from how well its rescaled curve (``logs``,
    siblings by shots) follows the shape of a configuration's shots (``truth``, log): the
    Gaussian likelihood, at :data:`SHOT_FIT_SCALE`, of its residuals once their mean is
    removed (the shots correct the level anyway), relative to the best sibling's. One shot
    has no shape: every factor is 1.

    Siblings disagree most where the specs rescale a curve's shape least reliably (a new
    accelerator's batch-1 decode against its large batches); a few shots say which sibling's
    shape holds (LLM-Inference-Bench leave one accelerator out, 3 shots: median APE 6.2 ->
    4.9 %).
    """
    residual = truth[None, :] - logs
    misfit = np.square(residual - residual.mean(1, keepdims=True)).sum(1)
    return np.asarray(np.exp(-(misfit - misfit.min()) / (2 * SHOT_FIT_SCALE**2)), float)


def shot_shift(
    shots: pd.DataFrame, residual: Array, queries: pd.DataFrame, peer_level: float = 0.0
) -> Array:
    """Per query, the log correction its configuration's own few measurements imply.

    The level is ``peer_level`` (what its peers' shots say, :func:`peer_mean`) plus the sum
    of the shots' residuals beyond it over their number plus :data:`SHOT_PRIOR` (a
    pseudo-count of "no correction" beyond the peers'): held out, one shot's level says more
    about the configuration than its place in (ii, oo, bb). With two shots or more, the shape is
    corrected too: a ridge regression (:data:`SHOT_SLOPE_PRIOR`) of the residuals on log
    batch size and lengths, centred on the shots, tilts the correction toward the nearer
    shots' residuals; it never goes beyond the range of the residuals (and 0), so a query far
    from the shots is not extrapolated along the tilt.
    """
    return shot_correction(_log_lengths(shots), residual, _log_lengths(queries), peer_level)


def shot_correction(
    at_shots: Array, residual: Array, at_queries: Array, peer_level: float = 0.0
) -> Array:
    """:func:`shot_shift` on log (bb, ii, oo) arrays (one row per shot or query)."""
    beyond = residual - peer_level
    level = float(beyond.sum() / (len(beyond) + SHOT_PRIOR))
    if len(beyond) < 2:
        return peer_level + np.full(len(at_queries), level)
    centre = at_shots.mean(0)
    centred = at_shots - centre
    slopes = np.linalg.solve(
        centred.T @ centred + SHOT_SLOPE_PRIOR * np.eye(centred.shape[1]),
        centred.T @ (beyond - beyond.mean()),
    )
    correction = level + (at_queries - centre) @ slopes
    clipped = np.clip(correction, min(beyond.min(), 0.0), max(beyond.max(), 0.0))
    return np.asarray(peer_level + clipped, float)


def _log_lengths(points: pd.DataFrame) -> Array:
    return np.asarray(np.log(points[["bb", "ii", "oo"]].to_numpy(float)), float)


def _nonzero(columns: Sequence[str], row: Array) -> dict[str, float]:
    return {c: float(v) for c, v in zip(columns, row, strict=True) if v > 0}


def _count(values: Mapping[str, str]) -> float:
    try:
        return float(values.get(COUNT, "1") or "1")
    except ValueError:
        return float("nan")


def efficiency_features(values: Mapping[str, str], deployment: Deployment) -> dict[str, float]:
    """What the efficiency correction regresses on: one-hot attributes, the framework within
    the vendor, the accelerator's specs (log bandwidth, compute and memory) and the model's
    (log active parameters, KV bytes per token per active parameter, active share)."""
    vendor = deployment.accelerator.vendor or "unknown vendor"
    out = {f"vendor={vendor}": 1.0}
    for col, value in values.items():
        if col == COUNT:
            continue
        out[f"{col}={value}"] = 1.0
    if "back" in values:
        out[f"back|vendor={values['back']}|{vendor}"] = 1.0
    out[f"{PRECISION}={deployment.precision}"] = 1.0
    acc = deployment.accelerator
    out["log_bandwidth"] = float(np.log(acc.need("memory_bw_tbs")))
    out["log_compute"] = float(np.log(acc.peak_tflops(deployment.precision)))
    if acc.memory_gb is not None:
        out["log_memory"] = float(np.log(acc.memory_gb))
    # the model's shape, so an unseen model borrows the efficiency of similar ones: its size,
    # its KV cache per parameter (grouped-query attention or not) and its active share (MoE)
    model = deployment.model
    active = model.active_params()
    out["log_active_params"] = float(np.log(active))
    # in 16 bits whatever the precision, so it describes the model alone (the precision has
    # its own one-hot; mixed in, an unseen precision extrapolated the model's coefficient)
    out["log_kv_per_param"] = float(np.log(model.kv_bytes_per_token("bf16") / active))
    out["log_active_share"] = float(np.log(active / (model.need("total_params_b") * 1e9)))
    return out


def sibling_log_thpt(
    learner: PriorLearner, log_scale: Array, points: pd.DataFrame, distances: Array | None = None
) -> Array:
    """Log throughput of a sibling's latency model with its terms scaled by ``exp(log_scale)``,
    corrected by its residuals (``distances``: as :func:`residual_at` takes them)."""
    ii, oo, bb = (points[c].to_numpy(float) for c in ("ii", "oo", "bb"))
    latency = latency_features(ii, oo, bb) @ (learner.coef * np.exp(log_scale))
    base = np.log(bb * (ii + oo)) - np.log(np.maximum(latency, 1e-300))
    return np.asarray(base + residual_at(learner, ii, oo, bb, distances), float)


def residual_at(
    learner: PriorLearner, ii: Array, oo: Array, bb: Array, distances: Array | None = None
) -> Array:
    """The learner's residual ``log(measured / prior)`` at any (ii, oo, bb): inverse-distance
    weighted over its lengths, at the nearest anchored batch size. ``distances`` are
    :meth:`~ala.prior.PriorLearner.length_distances`, when the caller has them already."""
    if distances is None:
        distances = learner.length_distances(ii, oo)
    by_grid = learner.residuals_by_length(distances)
    column = np.argmin(np.abs(np.log(bb)[:, None] - np.log(learner.grid)[None, :]), axis=1)
    return np.asarray(by_grid[np.arange(len(bb)), column], float)


@dataclass(frozen=True, slots=True)
class _Kept:
    """The pairs one attribute's folds score, at some lambdas: their point rows, each row's
    sibling weight, the weight summed per point and the points scored."""

    pairs: npt.NDArray[np.intp]
    rows: npt.NDArray[np.intp]
    weight: Array
    den: Array
    scored: npt.NDArray[np.intp]


class _Pairs:
    """Every (target, sibling) pair of measured configurations, flattened over the target's
    points, so that a choice of settings is scored with a few vector operations."""

    def __init__(self, model: TransferModel, names: list[str]) -> None:
        self.model = model
        m = model.measured_
        sib = model.siblings_
        sib_arr = np.array(sib, int)
        t_all = np.repeat(sib_arr, len(sib_arr))
        s_all = np.tile(sib_arr, len(sib_arr))
        d = model.distances(model.codes_[t_all], model.counts_[t_all], model.parts_[t_all], s_all)
        differing = (d > 0).sum(1)
        keep = (t_all != s_all) & (differing <= MAX_DIFFERENT)
        self.target, self.sibling, self.distance = t_all[keep], s_all[keep], d[keep]
        self.extra = differing[keep] - 1  # attributes a pair differs in beyond the first
        offset = np.zeros(len(m) + 1, int)
        offset[1:] = np.cumsum([len(x.points) for x in m])
        self.n_points = int(offset[-1])
        self.config_of_point = np.repeat(np.arange(len(m)), np.diff(offset))
        everything = pd.concat([x.points for x in m], ignore_index=True)  # in offset order
        self.truth = np.log(everything["thpt"].to_numpy(float))
        lengths = everything[["ii", "oo", "bb"]].to_numpy(float)
        sizes = np.array([len(m[t].points) for t in self.target], int)
        self.pair_of_point = np.repeat(np.arange(len(self.target)), sizes)
        self.pair_size = sizes
        self.pair_start = np.cumsum(sizes) - sizes
        self.point = np.repeat(offset[self.target], sizes) + _within(sizes)
        # The target's points through the sibling's model, once: features, coefficients,
        # residuals; only the spec scaling depends on the settings.
        self.terms = np.zeros((len(self.point), 5))  # each latency term at the sibling's fit
        self.residual = np.zeros(len(self.point))
        self.gap = np.zeros(len(self.point))
        self.log_work = np.zeros(len(self.point))
        sibling_of_point = self.sibling[self.pair_of_point]
        by_sibling = np.argsort(sibling_of_point, kind="stable")
        siblings, starts = np.unique(sibling_of_point[by_sibling], return_index=True)
        for s, chosen in zip(siblings, np.split(by_sibling, starts[1:]), strict=True):
            ii, oo, bb = lengths[self.point[chosen]].T
            self.terms[chosen] = latency_features(ii, oo, bb) * m[s].learner.coef
            distances = m[s].learner.length_distances(ii, oo)
            self.residual[chosen] = residual_at(m[s].learner, ii, oo, bb, distances)
            self.gap[chosen] = distances.min(1)  # to the nearest length it measured
            self.log_work[chosen] = np.log(bb * (ii + oo))
        self.dparts = model.parts_[self.target] - model.parts_[self.sibling]  # (pairs, 3, 5)
        phi = np.array([[x.features.get(f, 0.0) for f in names] for x in m]).reshape(len(m), -1)
        self.dphi = phi[self.target] - phi[self.sibling]
        self.folds = self._folds()
        # per fold, the ridge's Gram matrix of the pairs differing in 1, 2, 3 attributes, so
        # that any decay weighs them with one sum
        by_extra = [np.flatnonzero(self.extra == e) for e in range(MAX_DIFFERENT)]
        blocks = [(rows, self.dphi[rows]) for rows in by_extra]
        self._grams = [
            np.stack([[_gram(x[t[rows]]) for rows, x in blocks] for t in train])
            for _, _, train in self.folds
        ]
        self._cache: dict[tuple[tuple[float, ...], float], tuple[Array, list[Array]]] = {}
        self._predicted: dict[tuple[float, ...], tuple[Array, Array]] = {}
        self._kept: tuple[tuple[float, ...], list[_Kept]] | None = None

    def _folds(self) -> list[tuple[str, npt.NDArray[np.intp], npt.NDArray[np.bool_]]]:
        """Per attribute that varies: the fold of each pair (-1 where the pair predicts no
        held-out target), and per fold the pairs to train the efficiency correction on.

        Fold ``(attribute, value)`` holds out every configuration with that value; a pair is
        usable in it when its target is held out and its sibling is not, so within one
        attribute each pair belongs to at most one fold.
        """
        m, sib = self.model.measured_, self.model.siblings_
        folds = []
        for col in self.model.config_columns_:
            values = np.array([x.values[col] for x in m], dtype=object)
            if len(set(values[sib])) < 2:
                continue
            fold_of_pair = np.full(len(self.target), -1)
            train: list[npt.NDArray[np.bool_]] = []
            for value in sorted(set(values[sib])):
                held = values == value
                usable = held[self.target] & ~held[self.sibling]
                if usable.any():
                    fold_of_pair[usable] = len(train)
                    train.append(~held[self.target] & ~held[self.sibling])
            folds.append((col, fold_of_pair, np.array(train)))
        return folds

    def log_pred(self, betas: Sequence[float]) -> Array:
        """Log throughput of every target point through every sibling, at these betas."""
        scale = np.exp(np.einsum("p,npk->nk", np.asarray(betas, float), self.dparts))
        latency = np.einsum("nk,nk->n", self.terms, scale[self.pair_of_point])
        return np.asarray(self.log_work - np.log(np.maximum(latency, 1e-300)) + self.residual)

    def _pair_error(self, pred: Array) -> Array:
        """Mean log error of each pair over its target's points."""
        error = self.truth[self.point] - pred
        sums = np.bincount(self.pair_of_point, error, minlength=len(self.target))
        counts = np.bincount(self.pair_of_point, minlength=len(self.target))
        return np.asarray(sums / np.maximum(counts, 1), float)

    def ridge(self, betas: Sequence[float], decay: float, train: npt.NDArray[np.bool_]) -> Array:
        """Efficiency coefficients from the pairs in ``train``: ridge regression of each
        pair's mean log error on the difference of the pair's attributes, each pair weighted
        ``decay`` per attribute it differs in beyond the first."""
        pred = self._corrected(tuple(betas), decay)[0]
        w = self._pair_weights(decay)[train]
        x, y = self.dphi[train], self._pair_error(pred)[train]
        gram = x.T @ (w[:, None] * x) + RIDGE_ALPHA * np.eye(x.shape[1])
        return np.asarray(np.linalg.solve(gram, x.T @ (w * y)), float)

    def _pair_weights(self, decay: float) -> Array:
        """Each pair's weight in the efficiency regression (``0 ** 0`` is 1)."""
        return np.asarray(np.float64(decay) ** self.extra, float)

    def _corrected(self, betas: tuple[float, ...], decay: float) -> tuple[Array, list[Array]]:
        """Per point the log prediction; per attribute, each pair's efficiency correction from
        the ridge of its own fold (trained without the held-out value)."""
        if (betas, decay) not in self._cache:
            if betas not in self._predicted:
                pred = self.log_pred(betas)
                self._predicted[betas] = (pred, self._pair_error(pred))
            pred, mean = self._predicted[betas]
            weighted = self._pair_weights(decay) * mean
            powers = np.float64(decay) ** np.arange(MAX_DIFFERENT)
            eye = RIDGE_ALPHA * np.eye(self.dphi.shape[1])
            corrections = []
            for (_, fold_of_pair, train), grams in zip(self.folds, self._grams, strict=True):
                xty = (train * weighted) @ self.dphi  # (folds, features)
                gram = np.einsum("e,feij->fij", powers, grams) + eye
                theta = np.linalg.solve(gram, xty[..., None])[..., 0]
                per_fold = self.dphi @ theta.T  # (pairs, folds)
                rows = np.flatnonzero(fold_of_pair >= 0)
                correction = np.zeros(len(self.target))
                correction[rows] = per_fold[rows, fold_of_pair[rows]]
                corrections.append(correction)
            self._cache[betas, decay] = (pred, corrections)
        return self._cache[betas, decay]

    def _pair_weight(self, lambdas: Mapping[str, float]) -> Array:
        """Each pair's sibling weight, ``prod_a lambda_a ** d_a``."""
        log_lam = np.log([lambdas[c] for c in self.model.config_columns_])
        return np.asarray(np.exp(self.distance @ log_lam), float)

    def _fold_arrays(
        self, betas: tuple[float, ...], lambdas: Mapping[str, float], decay: float
    ) -> list[tuple[str, npt.NDArray[np.intp], Array]]:
        """Per attribute held out: the scored points and their log errors (measured minus
        predicted)."""
        pred, corrections = self._corrected(betas, decay)
        out = []
        for (col, _, _), correction, k in zip(
            self.folds, corrections, self._kept_pairs(lambdas), strict=True
        ):
            value = pred[k.rows] + np.repeat(correction[k.pairs], self.pair_size[k.pairs])
            num = np.bincount(self.point[k.rows], k.weight * value, minlength=self.n_points)
            out.append((col, k.scored, self.truth[k.scored] - num[k.scored] / k.den[k.scored]))
        return out

    def _kept_pairs(self, lambdas: Mapping[str, float]) -> list[_Kept]:
        """Per attribute held out, the pairs each target keeps: its :data:`SIBLINGS` heaviest
        usable ones, as predict does (only their points are touched). The last lambdas' are
        kept, as coordinate descent tries every beta and decay at the same lambdas."""
        key = tuple(lambdas.get(c, 1.0) for c in (*self.model.config_columns_, LENGTHS))
        if self._kept is not None and self._kept[0] == key:
            return self._kept[1]
        weight = self._pair_weight(lambdas)
        length_lambda = lambdas.get(LENGTHS, 1.0)
        out = []
        for _, fold_of_pair, _ in self.folds:
            usable = np.flatnonzero(fold_of_pair >= 0)
            w = _keep_heaviest(weight[usable], self.target[usable], SIBLINGS)
            kept = usable[w > 0]
            rows = self._rows_of(kept)
            wp = np.repeat(w[w > 0], self.pair_size[kept])
            if length_lambda != 1.0:
                wp = wp * np.exp(self.gap[rows] * np.log(length_lambda))
            den = np.asarray(np.bincount(self.point[rows], wp, minlength=self.n_points), float)
            out.append(_Kept(kept, rows, wp, den, np.flatnonzero(den > 0)))
        self._kept = (key, out)
        return out

    def _rows_of(self, pairs: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """The flattened point rows of these pairs, pair by pair."""
        sizes = self.pair_size[pairs]
        return np.asarray(np.repeat(self.pair_start[pairs], sizes) + _within(sizes), np.intp)

    def fold_errors(
        self, betas: tuple[float, ...], lambdas: Mapping[str, float], decay: float
    ) -> pd.DataFrame:
        """Held-out log error of every point (signed and absolute, with its configuration),
        per attribute held out, with the number of attributes in which the point's heaviest
        sibling differs (``differing``: what a prediction calls its unseen attributes)."""
        weight = self._pair_weight(lambdas)
        measured = self.model.measured_
        group = np.array([m.values.get(CALIBRATION_GROUP, "") for m in measured], dtype=object)
        parts = []
        for (col, scored, error), (_, fold_of_pair, _) in zip(
            self._fold_arrays(betas, lambdas, decay), self.folds, strict=True
        ):
            # a target's pairs all cover its points: a point's heaviest pair is its target's
            usable = np.flatnonzero(fold_of_pair >= 0)
            top = usable[_keep_heaviest(weight[usable], self.target[usable], 1) > 0]
            heaviest = np.full(len(measured), -1)
            heaviest[self.target[top]] = top
            config = self.config_of_point[scored]
            differing = (self.distance[heaviest[config]] > 0).sum(1)
            held_value = np.array([m.values[col] for m in measured], dtype=object)
            parts.append(
                pd.DataFrame(
                    {
                        "attribute": col,
                        "value": held_value[config],
                        "group": group[config],
                        "point": scored,
                        "config": config,
                        "log_error": error,
                        "abs_log_error": np.abs(error),
                        "differing": differing,
                    }
                )
            )
        if not parts:
            return _NO_FOLD_ERRORS.copy()
        return pd.concat(parts, ignore_index=True)

    def learn(self) -> TransferSettings:
        """Coordinate descent over ``beta`` per part, the pair decay and ``lambda`` per
        attribute."""
        cols = self.model.config_columns_
        lambdas = {**{c: 0.05 for c in cols}, LENGTHS: 1.0}
        betas, decay = (1.0, 0.5, 1.0), 1.0
        if not self.folds:
            empty = _NO_FOLD_ERRORS.copy()
            return TransferSettings(betas, lambdas, decay, empty)

        def score(b: tuple[float, ...], lam: Mapping[str, float], dec: float) -> float:
            # every attribute counts equally, whatever its number of held-out points
            folds = self._fold_arrays(b, lam, dec)
            return float(np.mean([np.median(np.abs(e)) for _, _, e in folds]))

        best = score(betas, lambdas, decay)
        attributes = [col for col, _, _ in self.folds]
        for _ in range(2):
            for p in range(len(PARTS)):
                for value in BETAS:
                    trial = tuple(value if q == p else b for q, b in enumerate(betas))
                    s = score(trial, lambdas, decay)
                    if s < best - 1e-9:
                        best, betas = s, trial  # type: ignore[assignment]
            for value in PAIR_DECAYS:
                s = score(betas, lambdas, value)
                if s < best - 1e-9:
                    best, decay = s, value
            for col in [*attributes, LENGTHS]:
                for value in LENGTH_LAMBDAS if col == LENGTHS else LAMBDAS:
                    trial_lambdas = {**lambdas, col: value}
                    s = score(betas, trial_lambdas, decay)
                    if s < best - 1e-9:
                        best, lambdas = s, trial_lambdas
        return TransferSettings(
            (betas[0], betas[1], betas[2]),
            lambdas,
            decay,
            self.fold_errors(betas, lambdas, decay),
        )


_NO_FOLD_ERRORS = pd.DataFrame(
    {
        "attribute": [],
        "value": [],
        "group": [],
        "point": [],
        "config": [],
        "log_error": [],
        "abs_log_error": [],
        "differing": [],
    }
)


def _gram(x: Array) -> Array:
    """``x.T @ x``."""
    return np.asarray(x.T @ x, float)


def _within(sizes: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """``0, 1, ..., n - 1`` for each ``n`` in ``sizes``, concatenated."""
    return np.asarray(np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes))


def _keep_heaviest(weight: Array, group: npt.NDArray[np.intp], k: int) -> Array:
    """Zero all but the ``k`` largest weights within each group."""
    order = np.lexsort((-weight, group))
    ranked = np.empty(len(weight), int)
    sorted_groups = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    rank = np.arange(len(weight)) - np.repeat(starts, np.diff(np.r_[starts, len(weight)]))
    ranked[order] = rank
    return np.where(ranked < k, weight, 0.0)
