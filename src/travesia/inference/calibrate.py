"""Fitting a scenario's uncertain parameters to observed counts (docs/calibration.md).

The posterior is p(θ | y) ∝ prior(θ) × E_seed[ p(y | run(θ, seed)) ]: the model is stochastic, and
each observation is a noisy report of the model's series at its crossing and date:

    log(1 + reported) = log(1 + model) + e,   e ~ (1 - ε) N(0, σ) + ε N(0, σ_out)

The wide component (share ε) keeps a report that the model cannot match, such as an early
count five times the later ones, from dragging the whole fit. A reported range is the chance that
the report falls inside it (interval censoring); a point is the density at it.

How the runs are spent (all through the ensemble executor: local processes or Dask):

1. CMA-ES (the `cma` package) searches for the posterior mode in a space where every prior is a
   standard normal (z = Φ⁻¹(prior CDF(θ))); each generation is one batch of runs.
2. Each run's log likelihood is one seed's, so noisy: a quadratic surface fitted to the runs near
   the best region averages the noise out, and with the standard normal prior of z it gives a
   Gaussian posterior in z.
3. Two rounds draw around that posterior (widened, with some prior draws) and refit the surface.
4. 1,000 posterior draws mapped back to values give the 5/50/95% ranges and the best set (medians).
5. A predictive ensemble: posterior draws run again with new seeds; its quantiles are the fitted
   forecast, scored against the observations (scores.py).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import math
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

from travesia.errors import ObservationError, ScenarioError
from travesia.scenario.observations import (
    Observation,
    ObservationModel,
    event_weights,
    check_compared,
    read_observations,
)
from travesia.scenario.measures import INFORMAL_MEASURES
from travesia.scenario.parameters import Parameters
from travesia.runs.priors import (
    Prior,
    _is_int_field,
    canonical_json,
    check_scenario_names,
    params_with_file,
    scenario_priors,
    with_values,
)
from travesia.scenario.data_values import is_data_name
from travesia.model.results import Results
from travesia.scenario import load_scenario
from travesia.scenario.load import Scenario
from travesia.scenario.timeline import timeline_spec
from travesia.outputs.scores import (
    MODEL_MEASURES, NOISE_DRAWS, comparable, observed_range, samples_from_results, score_forecasts,
    with_reporting_noise,
)

_NORMAL = statistics.NormalDist()


# --- the space the fit searches: every prior mapped to a standard normal -------------------------

def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _phi_inv(u: float) -> float:
    return _NORMAL.inv_cdf(min(max(u, 1e-12), 1 - 1e-12))


def value_of(prior: Prior, z: float) -> Any:
    """The parameter value at standard-normal coordinate z (the prior's quantile at Φ(z)).

    A normal with low/high is taken as truncated there (draws clip it; the difference is the mass
    beyond the bounds, small for sensible priors)."""
    u = _phi(z)
    match prior.dist:
        case "uniform":
            low, high = prior.args
            value = low + (high - low) * u
        case "normal":
            mean, sd = prior.args
            low, high = prior.clip
            f_low = _phi((low - mean) / sd) if low is not None else 0.0
            f_high = _phi((high - mean) / sd) if high is not None else 1.0
            value = mean + sd * _phi_inv(f_low + u * (f_high - f_low))
        case "lognormal":
            median, sigma = prior.args
            value = median * math.exp(sigma * z)
        case _:
            values = prior.args[0]
            return values[min(int(u * len(values)), len(values) - 1)]
    if _is_int_field(prior.name):
        return int(round(value))
    return float(value)


@dataclass
class PriorSpace:
    """The varied parameters, in name order, and the map from z (standard normal) to values."""

    priors: dict[str, Prior]

    @property
    def names(self) -> list[str]:
        return sorted(self.priors)

    @property
    def dims(self) -> int:
        return len(self.priors)

    def values(self, z: np.ndarray) -> dict[str, Any]:
        return {name: value_of(self.priors[name], float(zi)) for name, zi in zip(self.names, z)}


# --- the likelihood of observations given one run
# --------------------------------------------------

_erf = np.vectorize(math.erf, otypes=[float])


def _cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(np.asarray(x, dtype=float) / math.sqrt(2.0)))


class Likelihood:
    """log p(observations | model values) under an ObservationModel, for many runs at once."""

    def __init__(self, observations: list[Observation], model: ObservationModel):
        self.model = model
        ranges = np.array([observed_range(o) for o in observations], dtype=float)
        self.low = np.log1p(ranges[:, 0])
        self.high = np.log1p(ranges[:, 1])           # log1p(inf) = inf: an open range
        self.point = ranges[:, 0] == ranges[:, 1]
        self.weight = event_weights(observations)    # n reports of one event count once

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """values [runs, observations] -> log likelihood [runs]: the weighted sum over
        observations."""
        mu = np.log1p(np.maximum(np.asarray(values, dtype=float), 0.0))
        m = self.model
        total = np.zeros(mu.shape)
        for share, sd in ((1 - m.outlier_share, m.error), (m.outlier_share, m.outlier_error)):
            if share <= 0:
                continue
            dens = np.exp(-0.5 * ((self.low - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
            mass = _cdf((self.high - mu) / sd) - _cdf((self.low - mu) / sd)
            total += share * np.where(self.point, dens, mass)
        return (np.log(np.maximum(total, 1e-300)) * self.weight).sum(axis=1)


# --- running batches through the ensemble executor ------------------------------------------------

def run_id_with_timeline(sc: Scenario, pjson: str, seed: int, days: int | None,
                         timeline: str | None) -> str:
    """A run's id; a run on a view of the timeline differs from one on all events."""
    from travesia.outputs.store import run_id_of

    return run_id_of(sc.content_hash + (f"|{timeline}" if timeline else ""), pjson, seed, days)


class Runner:
    """Runs parameter sets of one scenario on the ensemble executor, each with a fresh seed."""

    def __init__(self, sc: Scenario, base: Parameters, *, base_seed: int = 0,
                 workers: int | None = None,
                 scheduler: str | None = None, progress: Callable[[int], None] | None = None,
                 timeline: str | None = None):
        self.sc, self.base, self.base_seed = sc, base, base_seed
        # the view of the events the runs use (scenario/timeline.py)
        self.timeline = timeline
        self.workers, self.scheduler = workers, scheduler
        self.progress = progress
        self.count = 0
        self.failed: list[str] = []
        self.executor: Any = None        # a concurrent.futures or a Dask executor
        self.client = None

    def __enter__(self) -> Runner:
        from travesia.runs.ensemble import dask_executor, local_executor

        if self.scheduler:
            self.executor, self.slots, self.client = dask_executor(self.scheduler)
        else:
            self.executor, self.slots = local_executor(self.workers or os.cpu_count() or 1)
        return self

    def slot_count(self) -> int:
        """Runs the executor can do at once (ensemble.py gives a number or a function of now)."""
        slots = getattr(self, "slots", 1)
        return int(slots() if callable(slots) else slots)

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            try:
                self.executor.shutdown(wait=True, cancel_futures=True)
            except TypeError:                  # Dask's executor takes no cancel_futures
                self.executor.shutdown(wait=True)
        if self.client is not None:
            self.client.close()

    def run(self, values_list: list[dict[str, Any]], days: int | None) -> list[Results | None]:
        """Results of each parameter set (None for a run that failed), in order."""
        from travesia.runs.ensemble import outcome_of, run_task, task_of

        tasks = []
        for values in values_list:   # parameter and data values (ensemble.task_of splits them)
            tasks.append(task_of(self.sc, self.base, values, self.count,
                                 self.base_seed + self.count, days,
                                 where="calibrate", timeline=self.timeline))
            self.count += 1
        futures = [self.executor.submit(run_task, t) for t in tasks]
        out: list[Results | None] = [None] * len(tasks)
        index = {f: i for i, f in enumerate(futures)}
        for fut in cf.as_completed(futures):
            i = index[fut]
            outcome = outcome_of(fut)
            if outcome.error:
                self.failed.append(outcome.error)
            out[i] = outcome.results
            if self.progress:
                self.progress(1)
        return out


# --- the fit
# ---------------------------------------------------------------------------------------

@dataclass
class Fit:
    """A fitted posterior: draws of the parameters (with weights), the summary, the predictive
    runs."""

    scenario: Scenario
    priors: dict[str, Prior]
    observations: list[Observation]          # the ones fitted (up to `until`)
    until: dt.date
    names: list[str]
    values: list[dict[str, Any]]             # posterior draws of the parameter values
    # their log weights (equal for draws of the Gaussian posterior)
    log_weights: np.ndarray
    best: dict[str, Any]                     # posterior medians (the params file's values)
    spread: dict[str, dict]                  # name -> p05, p50, p95, prior
    ess: float                               # effective number of runs behind the fitted surface
    runs: int
    wall_seconds: float
    predictive: list[Results] = field(default_factory=list)
    predictive_values: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    failed: int = 0
    base: Parameters | None = None           # the values the fitted ones replace

    @property
    def observation_model(self) -> ObservationModel:
        """The reporting error the fit assumed (its likelihood's), which its forecasts carry."""
        return ObservationModel.from_dict(self.settings)

    @property
    def weights(self) -> np.ndarray:
        w = np.exp(self.log_weights - np.max(self.log_weights))
        return w / w.sum()

    def scores(self, observations: list[Observation] | None = None, *,
               known: list[Observation] | None = None,
               known_until: dt.date | None = None, observation_noise: bool = True):
        """Scores of the predictive ensemble on observations (default: the fitted ones). The
        forecast of a report is the runs' values with the reporting error the fit assumed drawn
        onto them (`observation_noise=False`: the bare model values)."""
        obs = self.observations if observations is None else observations
        samples = samples_from_results(self.predictive, obs)
        if observation_noise:
            samples = with_reporting_noise(samples, self.observation_model,
                                           seed=self.settings.get("base_seed", 0))
        return score_forecasts(obs, samples, known=known, known_until=known_until)


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][min(np.searchsorted(cw, q * cw[-1]), len(x) - 1)])


def _log_gauss(Z: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    d = Z.shape[1]
    chol = np.linalg.cholesky(cov)
    sol = np.linalg.solve(chol, (Z - mean).T)
    return (
        -0.5 * (sol**2).sum(axis=0) - np.log(np.diag(chol)).sum() - 0.5 * d * math.log(2 * math.pi)
    )


@dataclass
class _Proposal:
    """A mixture of Gaussians in z space that drew `n` of the runs."""

    parts: list[tuple[float, np.ndarray, np.ndarray]]    # (share, mean, cov)
    n: int = 0

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shares = np.array([p[0] for p in self.parts])
        which = rng.choice(len(self.parts), size=n, p=shares / shares.sum())
        return np.array([rng.multivariate_normal(self.parts[k][1],
                                                 self.parts[k][2]) for k in which])


def fit_targets(observations: list[Observation], sc: Scenario, until: dt.date,
                measures: set[str] | None = None) -> list[Observation]:
    """The observations a fit compares with: up to `until`, on a crossing and a model series of
    the scenario (only `measures` when given), inside its period."""
    crossings = [c.name for c in sc.crossings]
    informal = [i.name for i in sc.informal]
    found = comparable([o for o in observations if o.date <= until], crossings + informal,
                       sc.spec.start, sc.spec.end,
                       MODEL_MEASURES if measures is None else set(measures) & MODEL_MEASURES)
    # an informal crossing's measures at an informal crossing, a crossing's at a crossing
    return [o for o in found if (o.crossing in informal) == (o.compare in INFORMAL_MEASURES)]


def as_date(value: Any, field: str) -> dt.date:
    """A date given to the Python API as a date or its ISO text (YYYY-MM-DD); else an error
    naming the argument."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(f"not a date (YYYY-MM-DD): {str(value)[:40]!r}", field=field) \
            from None


def calibrate(scenario: str | Path | Scenario | None = None, *,
              observations: str | Path | None = None,
              until: dt.date | None = None, budget: int = 2000, vary: Sequence[Prior] = (),
              measures: list[str] | None = None,
              params_file: str | Path | None = None,
              obs_model: ObservationModel = ObservationModel(),
              base_seed: int = 0, workers: int | None = None, scheduler: str | None = None,
              predictive_runs: int | None = None, predictive_days: int | None = None,
              runner: Runner | None = None, progress: Callable[[int, int], None] | None = None,
              future: str = "as-happened", prior_from: str | Path | None = None) -> Fit:
    """Fit the scenario's priors (replaced name by name by `vary`) to the observations up to
    `until`.

    `budget` counts every run, the predictive ensemble's included (a tenth, 20 to 200 runs).
    `predictive_days`: length of the predictive runs (default: the whole scenario).
    `future`: which timeline events the runs know of at `until` (scenario/timeline.py): `planned`,
    `frozen`, or `as-happened` (all of them, the default).
    `prior_from`: a fit file (fitted_params.yaml) whose posterior becomes the prior of the
    behaviour parameters it holds (runs/posterior.py priors_from_fit); `vary` still wins."""
    started = time.perf_counter()
    until = None if until is None else as_date(until, "--until")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    base = params_with_file(sc, params_file)
    priors = scenario_priors(sc)
    learned = []
    if prior_from is not None:
        from travesia.runs.posterior import priors_from_fit, read_fit

        learned = priors_from_fit(read_fit(prior_from), priors, scenario_name=sc.name)
    for p in [*learned, *vary]:
        priors[p.name] = p
    check_scenario_names(sc, [p.name for p in vary])
    if not priors:
        raise ScenarioError("nothing to fit: the scenario has no priors (give --vary NAME=DIST)",
                            file=sc.folder / "scenario.yaml", field="priors")
    obs_path = Path(observations) if observations else (sc.folder / sc.spec.observations
                                                        if sc.spec.observations
                                                         else None)
    if obs_path is None:
        raise ObservationError("the scenario has no observations: give --observations FILE",
                               file=sc.folder / "scenario.yaml")
    if until is not None and not sc.spec.start <= until <= sc.spec.end:
        raise ScenarioError(f"{until} is outside the scenario's period {sc.spec.start} to "
                            f"{sc.spec.end}", field="--until")
    all_obs = read_observations(obs_path)
    check_compared(all_obs, obs_path, [c.name for c in sc.crossings],
                   [i.name for i in sc.informal])
    if not all_obs:
        raise ObservationError("no observations in the file", file=obs_path)
    until = until or max(o.date for o in all_obs)
    if measures:
        unknown = sorted(set(measures) - MODEL_MEASURES)
        if unknown:
            raise ScenarioError(f"unknown measure '{unknown[0]}' (known: "
                                f"{', '.join(sorted(MODEL_MEASURES))})",
                                field="--measures")
    targets = fit_targets(all_obs, sc, until, set(measures) if measures else None)
    if not targets:
        raise ObservationError(f"no observation up to {until} names a crossing and a model series "
                               f"(columns crossing, compare) inside the scenario's period",
                               file=obs_path)
    n_fit, n_pred = split_budget(budget, predictive_runs)
    fit_days = (max(o.date for o in targets) - sc.spec.start).days + 1
    timeline = timeline_spec(future, until)
    space = PriorSpace(priors)
    loglik = Likelihood(targets, obs_model)
    own = runner is None
    runner = runner or Runner(sc, base, base_seed=base_seed, workers=workers, scheduler=scheduler)
    runner.timeline = timeline

    def loglik_of(results: list[Results]) -> np.ndarray:
        return loglik(np.stack(samples_from_results(results, targets), axis=1))

    found = search_posterior(space, runner, loglik_of, n_fit=n_fit, n_pred=n_pred,
                             fit_days=fit_days,
                             predictive_days=predictive_days, base_seed=base_seed, own_runner=own,
                             progress=progress)
    values, spread, best, ess = found.values, found.spread, found.best, found.ess
    popsize, lw = found.popsize, np.zeros(len(found.values))
    predictive, pred_values = found.predictive, found.predictive_values
    return Fit(scenario=sc, priors=priors, observations=targets, until=until, names=space.names,
               values=values,
               log_weights=lw, best=best, spread=spread, ess=ess, runs=runner.count,
               wall_seconds=time.perf_counter() - started, predictive=predictive,
               predictive_values=pred_values,
               settings={"observations": str(obs_path), "obs_error": obs_model.error,
                         "outlier_share": obs_model.outlier_share,
                         "outlier_error": obs_model.outlier_error,
                         "base_seed": base_seed, "budget": budget, "fit_days": fit_days,
                         "cma_popsize": popsize, "vary": {p.name: p.text() for p in vary},
                         "measures": sorted(measures) if measures else "all",
                         "prior_from": str(prior_from) if prior_from is not None else None,
                         "params_file": str(params_file) if params_file else None,
                         "future": future, "timeline": timeline},
               failed=len(runner.failed), base=base)


POSTERIOR_DRAWS = 1000


@dataclass
class PosteriorSearch:
    """What search_posterior finds: posterior draws of the values, their ranges and medians, the
    runs behind the fitted surface, and the predictive runs."""

    values: list[dict[str, Any]]
    spread: dict[str, dict]
    best: dict[str, Any]
    ess: float
    popsize: int
    predictive: list
    predictive_values: list[dict[str, Any]]


def split_budget(budget: int, predictive_runs: int | None = None) -> tuple[int, int]:
    """(runs to fit, predictive runs) of a budget: a tenth, 20 to 200, predicts unless given."""
    if budget < 40:
        raise ScenarioError("a budget of at least 40 runs is needed", field="--budget")
    n_pred = int(min(200, max(20, budget // 10))) if predictive_runs is None else predictive_runs
    n_fit = budget - n_pred
    if n_fit < 20:
        raise ScenarioError(f"the budget leaves {n_fit} runs to fit after {n_pred} predictive runs",
                            field="--budget")
    return n_fit, n_pred


def search_posterior(space: PriorSpace, runner: Runner, loglik_of: Callable[[list], np.ndarray], *,
                     n_fit: int, n_pred: int, fit_days: int | None, predictive_days: int | None,
                     base_seed: int, own_runner: bool = False,
                     progress: Callable[[int, int], None] | None = None) -> PosteriorSearch:
    """The method of the module docstring, for any ruleset: CMA-ES, the quadratic surface, two
    refinement rounds, posterior draws, the predictive runs. `runner.run(values, days)` gives
    each run's results (None for a failed one); `loglik_of(results)` their log likelihoods.
    `own_runner`: start and stop the runner's executor here. `progress(done, budget)`."""
    done = [0]

    def tick(k: int) -> None:
        done[0] += k
        if progress:
            progress(done[0], n_fit + n_pred)

    runner.progress = tick
    if own_runner:
        runner.__enter__()
    try:
        return _search(space, runner, loglik_of, n_fit=n_fit, n_pred=n_pred, fit_days=fit_days,
                       predictive_days=predictive_days, base_seed=base_seed)
    finally:
        if own_runner:
            runner.__exit__(None, None, None)


def _search(space: PriorSpace, runner: Runner, loglik_of: Callable[[list], np.ndarray], *,
            n_fit: int, n_pred: int, fit_days: int | None, predictive_days: int | None,
            base_seed: int) -> PosteriorSearch:
    priors = space.priors
    rng = np.random.default_rng([base_seed & 0xFFFFFFFF, 0xCA1])
    Zs: list[np.ndarray] = []
    lls: list[np.ndarray] = []
    proposals: list[_Proposal] = []

    def evaluate(Z: np.ndarray) -> np.ndarray:
        results = runner.run([space.values(z) for z in Z], fit_days)
        ll = np.full(len(Z), -np.inf)
        ok = [i for i, r in enumerate(results) if r is not None]
        if ok:
            ll[ok] = loglik_of([results[i] for i in ok])
        Zs.append(Z)
        lls.append(ll)
        return ll

    d = space.dims
    cma_budget = int(0.45 * n_fit)
    popsize = min(max(12, 2 * d + 4, 2 * runner.slot_count()), max(cma_budget, 4))
    _cma_search(evaluate, d, cma_budget, popsize, base_seed, proposals)
    used = sum(p.n for p in proposals)
    Z_all, ll_all = np.concatenate(Zs), np.concatenate(lls)
    if not np.isfinite(ll_all).any():
        raise ScenarioError("every fitting run failed: "
                            f"{runner.failed[0].splitlines()[0] if runner.failed else ''}")
    center, kernel = _elite_cloud(Z_all, ll_all)
    surface = _surface_posterior(Z_all, ll_all, center, kernel)
    post_mean, post_cov, ess = _within_runs(surface[0], surface[1], surface[2], Z_all, ll_all)
    rounds = 2
    for r in range(rounds):
        n = (n_fit - used) // (rounds - r)
        if n <= 0:
            continue
        prop = _Proposal([(0.85, post_mean, 1.5 ** 2 * post_cov),
                          (0.15, np.zeros(d), np.eye(d))], n)
        evaluate(prop.draw(rng, n))
        proposals.append(prop)
        used += n
        Z_all, ll_all = np.concatenate(Zs), np.concatenate(lls)
        surface = _surface_posterior(Z_all, ll_all, post_mean, 2.0**2 * post_cov)
        post_mean, post_cov, ess = _within_runs(surface[0], surface[1], surface[2], Z_all, ll_all)
    draws = rng.multivariate_normal(post_mean, post_cov, size=POSTERIOR_DRAWS)
    values = [space.values(z) for z in draws]
    w = np.full(len(values), 1.0 / len(values))
    spread: dict[str, dict] = {}
    best: dict[str, Any] = {}
    for name in space.names:
        prior = priors[name]
        col = [v[name] for v in values]
        if prior.dist == "values" and not all(isinstance(c, (int, float)) for c in col):
            tally: dict = {}
            for c, wi in zip(col, w):
                tally[c] = tally.get(c, 0.0) + wi
            best[name] = max(tally, key=lambda k: tally[k])
            spread[name] = {"p05": None, "p50": best[name], "p95": None, "prior": prior.text(),
                            "shares": {str(k): round(v, 3) for k, v in tally.items()}}
            continue
        x = np.array(col, dtype=float)
        p05, p50, p95 = (_weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
        best[name] = int(round(p50)) if _is_int_field(name) else p50
        spread[name] = {"p05": p05, "p50": p50, "p95": p95, "prior": prior.text()}
    # the predictive ensemble: parameter sets resampled from the posterior, fresh seeds
    picks = _systematic_resample(w, n_pred, rng)
    pred_values = [values[i] for i in picks]
    predictive = [r for r in runner.run(pred_values, predictive_days) if r is not None]
    if not predictive:
        raise ScenarioError("every predictive run failed")
    return PosteriorSearch(values, spread, best, ess, popsize, predictive, pred_values)


def _elite_cloud(Z: np.ndarray, ll: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and (doubled) spread of the best quarter of runs by log posterior: where to look."""
    score = np.where(np.isfinite(ll), ll - 0.5 * (Z ** 2).sum(axis=1), -np.inf)
    best = Z[np.argsort(score)[::-1][: max(Z.shape[1] + 2, len(Z) // 4)]]
    mean = best.mean(axis=0)
    cov = np.cov(best.T).reshape(Z.shape[1], Z.shape[1]) + 1e-3 * np.eye(Z.shape[1])
    return mean, 2.0 ** 2 * cov


def _within_runs(mean: np.ndarray, cov: np.ndarray, ess: float, Z: np.ndarray,
                 ll: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The surface's Gaussian, unless its mean lies outside the range of the runs it was fitted to
    (a quadratic extrapolated where no run went; seen on a Flee case, foreign_weight 181): then
    the best quarter of the runs, their centre and spread, stands in for it."""
    finite = np.isfinite(ll)
    low, high = Z[finite].min(axis=0), Z[finite].max(axis=0)
    if np.all((mean >= low) & (mean <= high)):
        return mean, cov, ess
    center, kernel = _elite_cloud(Z, ll)
    return center, kernel / 4.0, ess          # _elite_cloud doubles the spread: undo it


def _quadratic_pairs(d: int, runs: int) -> list[tuple[int, int]]:
    """The products a surface fits: all pairs when there are runs enough (two per coefficient),
    else the squares alone (no correlations between parameters)."""
    full = [(i, j) for i in range(d) for j in range(i, d)]
    return full if runs >= 2 * (1 + d + len(full)) else [(i, i) for i in range(d)]


def _quadratic_features(Z: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    d = Z.shape[1]
    cols = [np.ones(len(Z))] + [Z[:, i] for i in range(d)]
    cols += [Z[:, i] * Z[:, j] for i, j in pairs]
    return np.stack(cols, axis=1)


def _surface_posterior(Z: np.ndarray, ll: np.ndarray, center: np.ndarray, kernel: np.ndarray):
    """Gaussian posterior in z space from a quadratic fitted to the runs' log likelihoods near
    `center`.

    Each run's log likelihood is one seed's: noisy. A quadratic fitted by least squares to many
    runs (weighted by a Gaussian kernel around the centre) averages the noise out; with the
    standard normal prior of z the posterior is then Gaussian: precision I - A, mean (I - A)⁻¹ b
    for the fitted surface b·z + z·A·z/2. Directions the data do not curve keep the prior's width.
    Returns (mean, covariance, effective number of runs behind the surface)."""
    d = Z.shape[1]
    finite = np.isfinite(ll)
    Z, ll = Z[finite], ll[finite]
    pairs = _quadratic_pairs(d, len(Z))
    X = _quadratic_features(Z, pairs)
    need = 3 * X.shape[1]
    for _ in range(8):
        chol = np.linalg.cholesky(kernel)
        m2 = (np.linalg.solve(chol, (Z - center).T) ** 2).sum(axis=0)
        k = np.exp(-0.5 * m2)
        eff = float(k.sum() ** 2 / max((k ** 2).sum(), 1e-300))
        if eff >= need or eff >= 0.9 * len(Z):
            break
        kernel = 4.0 * kernel                  # too few runs near the centre: look wider
    XtK = X.T * k
    beta = np.linalg.solve(XtK @ X + 1e-6 * np.eye(X.shape[1]), XtK @ ll)
    b = beta[1:1 + d]
    A = np.zeros((d, d))
    for pos, (i, j) in enumerate(pairs, start=1 + d):
        if i == j:
            A[i, i] = 2 * beta[pos]
        else:
            A[i, j] = A[j, i] = beta[pos]
    curvature, vectors = np.linalg.eigh(-A)
    curvature = np.maximum(curvature, 0.0)     # no upward curvature: the prior rules that direction
    precision = np.eye(d) + (vectors * curvature) @ vectors.T
    cov = np.linalg.inv(precision)
    cov = 0.5 * (cov + cov.T)
    return cov @ b, cov, eff


def _cma_search(evaluate, d: int, budget: int, popsize: int, seed: int, proposals: list) -> None:
    """CMA-ES on -(log likelihood + log prior) in z space; records each generation's proposal."""
    import cma

    es = cma.CMAEvolutionStrategy(np.zeros(d), 1.0, {"popsize": popsize, "seed": (seed % 2**31) + 1,
                                                    "verbose": -9, "CMA_mirrors": 0})
    used = 0
    while used + popsize <= budget:
        mean, cov = np.array(es.mean,
                             dtype=float), float(es.sigma) ** 2 * np.array(es.sm.C, dtype=float)
        Z = np.array(es.ask(), dtype=float)
        ll = evaluate(Z)
        log_post = ll - 0.5 * (Z ** 2).sum(axis=1)
        es.tell(list(Z), [float(-v) if np.isfinite(v) else 1e300 for v in log_post])
        proposals.append(_Proposal([(1.0, mean, cov + 1e-12 * np.eye(d))], len(Z)))
        used += len(Z)


def _systematic_resample(w: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(w), positions), len(w) - 1)


# --- writing the fit
# ---------------------------------------------------------------------------------

def fitted_parameters(fit: Fit) -> dict[str, Any]:
    """The params-file mapping: each varied parameter at its posterior median (a mapping parameter
    is written whole, with its fitted key set)."""
    base = fit.base or fit.scenario.params
    # data names: in fit.spread
    merged = with_values(base, fit.best, where="calibrate").model_dump()
    return {top: merged[top] for top in dict.fromkeys(name.split(".")[0] for name in fit.names
                                                      if not is_data_name(name))}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(f"{float(value):.4g}")
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _shown_path(path: str | None, folder: Path) -> str | None:
    """A path inside the scenario's folder is written relative to it (files that travel with it)."""
    if not path:
        return path
    try:
        return str(Path(path).resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)


def write_fit(fit: Fit, out: str | Path, scores: dict | None = None) -> dict[str, Path]:
    """`out` (YAML: `parameters:` for --params, `fit:` with the spread and the scores) and, beside
    it, `<stem>.posterior.csv`: 1,000 parameter sets resampled from the posterior."""
    import csv

    import yaml

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sample_path = out.with_name(out.stem + ".posterior.csv")
    doc = {
        "parameters": _plain(fitted_parameters(fit)),
        "fit": _plain({
            "scenario": fit.scenario.name,
            "scenario_hash": fit.scenario.content_hash,
            "observations_until": fit.until.isoformat(),
            "observations_fitted": len(fit.observations),
            "method": "CMA-ES search; Gaussian posterior in prior-normal space from a quadratic "
                      "surface "
                      "fitted to the runs' log likelihoods (docs/calibration.md)",
            "runs": fit.runs,
            "effective_runs_behind_surface": round(fit.ess, 1),
            "wall_seconds": round(fit.wall_seconds, 1),
            **{k: v for k, v in fit.settings.items() if k not in ("budget", "observations")},
            "observations": _shown_path(fit.settings.get("observations"), fit.scenario.folder),
            "spread": {name: fit.spread[name] for name in fit.names},
            "posterior_sample": sample_path.name,
            "scores": scores or {},
        }),
    }
    header = (f"# Parameters of {fit.scenario.name} fitted by `travesia calibrate` to the "
              "observations up to "
              f"{fit.until}.\n# Use: travesia run --params {out.name}  |  travesia ensemble "
              f"--params {out.name}\n"
              "# `parameters` holds posterior medians; `fit.spread` the 5-95% ranges; "
              f"{sample_path.name} "
              f"a posterior sample.\n")
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                   encoding="utf-8")
    tmp.replace(out)
    picks = _systematic_resample(fit.weights, 1000,
                                 np.random.default_rng(fit.settings.get("base_seed", 0)))
    tmp = sample_path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["draw"] + fit.names)
        for k, i in enumerate(picks):
            writer.writerow([k] + [_plain(fit.values[i][n]) for n in fit.names])
    tmp.replace(sample_path)
    return {"params": out, "posterior": sample_path}


def store_predictive(fit: Fit, store_path: str | Path) -> str:
    """Write the predictive ensemble to a results store (readable by `bands` and `score`)."""
    from travesia.runs.ensemble import store_made_runs, task_of

    sc = fit.scenario
    key = canonical_json([sc.content_hash, "calibrate", fit.until.isoformat(), fit.settings,
                          [canonical_json(v) for v in fit.predictive_values]])
    ensemble_id = hashlib.sha256(key.encode()).hexdigest()[:12]
    base = fit.base or sc.params
    runs = [(task_of(sc, base, values, i, res.seed, None if res.days >= sc.days else res.days,
                     where="calibrate", timeline=fit.settings.get("timeline")), res)
            for i, (res, values) in enumerate(zip(fit.predictive, fit.predictive_values))]
    store_made_runs(store_path, ensemble_id, runs, base_seed=fit.settings.get("base_seed", 0),
                    vary=dict.fromkeys(fit.names, f"posterior of calibrate (until {fit.until})"),
                    base_parameters_json=canonical_json(base.model_dump()),
                    places=list(fit.predictive[0].place_names),
                    crossings=list(fit.predictive[0].crossing_names),
                    meta={"made_by": "calibrate",
                          "observations_until": fit.until.isoformat(),
                          "observation_model": fit.observation_model.as_dict(),
                          "noise_seed": fit.settings.get("base_seed", 0),
                          "noise_draws": NOISE_DRAWS,
                          "timeline": fit.settings.get("timeline")})
    return ensemble_id
