"""Flee folders through the many-runs machinery: ensembles, observations, fits, backtests, scores.

A Flee folder (docs/flee.md) is run by the same executor and stored in the same store as our
scenarios (ensemble.py, store.py): a run is a `RunTask` with `ruleset="flee"` whose parameters
are Flee's rule settings (flee/settings.py's FleeSettings), the folder's (or --settings') values
with the varied names set. The people at each location each day go to the store's `daily` table
(state `at_location`); `crossings` stays empty. The camp series of `source_data/data_layout.csv`
become observations (people at the camp, every `OBSERVATION_STEP_DAYS`-th day); the fit is
calibrate.py's (CMA-ES, then a quadratic surface), and a forecast is scored by Flee's averaged
relative difference (ARD) of the predictive median, beside the ARD of the folder's own rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from travesia.inference.calibrate import PriorSpace, Runner, search_posterior, split_budget
from travesia.runs.ensemble import EnsemblePlan, RunTask, store_made_runs
from travesia.errors import ScenarioError
from travesia.model.flee.batch import (
    SETTING_NAMES,
    FleeResults,
    camp_names,
    case_at_hasten,
    check_setting_name,
    folder_hash,
    observed_camps,
    settings_json,
    settings_with,
)
from travesia.model.flee.reader import FleeCase, read_case
from travesia.model.flee.scoring import averaged_relative_difference
from travesia.model.flee.settings import FleeSettings
from travesia.scenario.observations import Observation, ObservationModel
from travesia.runs.priors import Prior, canonical_json, describe, draw_values, parse_vary
from travesia.outputs.scores import score_forecasts
from travesia.outputs.store import Store, run_id_of

# ArdLikelihood: a day's ARD 0.05 worse is one unit of log likelihood less
ARD_SCALE = 0.05
LIKELIHOODS = ("ard", "log")
OBSERVATION_STEP_DAYS = 7      # one observation per camp a week: the daily series are interpolated
DEFAULT_RULE_SEEDS = 5         # runs of the folder's own rules a backtest compares with


# --- a Flee folder as the ensemble layer sees a scenario
# ----------------------------------------------

@dataclass(frozen=True)
class _Place:
    name: str


class _SettingsValues:
    """The base settings as run_ensemble records them (`model_dump`, like our Parameters)."""

    def __init__(self, cfg: FleeSettings):
        self.cfg = cfg

    def model_dump(self) -> dict:
        return json.loads(settings_json(self.cfg))


@dataclass
class FleeScenario:
    """A Flee folder read with its settings: what ensembles, fits and backtests need of it."""

    case: FleeCase
    settings: FleeSettings
    content_hash: str
    camps: list[str]                      # the camps Flee scores, in out.csv's order
    settings_file: Path | None = None

    @property
    def name(self) -> str:
        return self.case.name

    @property
    def folder(self) -> Path:
        return self.case.folder

    @property
    def days(self) -> int:
        return self.case.length_days

    @property
    def start(self) -> dt.date:
        return self.case.start_date

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    @property
    def places(self) -> list[_Place]:
        return [_Place(n) for n in self.case.locations.name]

    @property
    def crossings(self) -> list:
        return []

    def observed(self, days: int | None = None) -> np.ndarray:
        """(days, camps) observed counts (/ hasten), as Flee scores them."""
        return observed_camps(self.case, self.camps, self.days if days is None else days)


def load_flee(folder: str | Path, settings: str | Path | None = None) -> FleeScenario:
    """A Flee folder with its simsetting.yml (or `settings`, which wins)."""
    folder = Path(folder)
    case = read_case(folder, Path(settings) if settings else None)
    cfg = case.settings
    return FleeScenario(case, cfg, folder_hash(folder), camp_names(case, cfg), case.settings_file)


def parse_flee_vary(texts: list[str]) -> list[Prior]:
    """`--vary NAME=DIST` where NAME is a Flee rule setting (a field of FleeSettings)."""
    return [parse_vary(t, check=lambda name,
                       field: check_setting_name(name, field=field)) for t in texts]


def flee_task(fs: FleeScenario, values: dict[str, Any], index: int, seed: int, days: int | None, *,
              base: FleeSettings | None = None, where: str = "--vary") -> RunTask:
    """The task of one run of a Flee folder: `values` set on the base settings."""
    cfg = settings_with(base or fs.settings, values, where=where)
    pjson = settings_json(cfg)
    return RunTask(run_id_of(fs.content_hash + "|flee", pjson, seed, days), index, fs.name,
                   str(fs.folder.resolve()), fs.content_hash, pjson, canonical_json(values), seed,
                   days,
                   ruleset="flee")


def plan_flee_ensemble(fs: FleeScenario, runs: int, *, vary: Sequence[Prior] = (),
                       base_seed: int = 0, days: int | None = None) -> EnsemblePlan:
    """Runs base_seed + i of a Flee folder, with the values drawn for index i from `vary`."""
    if runs < 1:
        raise ScenarioError("needs at least one run", field="--runs")
    for p in vary:
        check_setting_name(p.name, field=f"--vary {p.name}")
    priors = {p.name: p for p in vary}
    days = None if days is None or days >= fs.days else int(days)
    base = _SettingsValues(fs.settings)
    key = canonical_json([fs.content_hash, "flee", settings_json(fs.settings), describe(priors),
                          base_seed, days])
    plan = EnsemblePlan(hashlib.sha256(key.encode()).hexdigest()[:12],
                        fs, priors, base, base_seed, days, [])  # type: ignore[arg-type]
    for i in range(runs):
        plan.tasks.append(flee_task(fs, draw_values(priors, base_seed, i), i, base_seed + i, days))
    return plan


def flee_meta(fs: FleeScenario, **more) -> dict:
    """What a reader of a Flee ensemble needs: its ruleset, camps, hasten, settings file."""
    return {"ruleset": "flee", "camps": fs.camps, "hasten": fs.settings.hasten,
            "settings_file": str(fs.settings_file) if fs.settings_file else None, **more}


def run_flee_ensemble(fs: FleeScenario, plan: EnsemblePlan, store_path: str | Path, **kwargs):
    """run_ensemble with the Flee folder's meta recorded first (bands and score read it)."""
    from travesia.runs.ensemble import run_ensemble

    with Store(store_path) as store:
        store.set_meta(plan.ensemble_id, flee_meta(fs))
    return run_ensemble(plan, store_path, **kwargs)


# --- observations
# -------------------------------------------------------------------------------------

def flee_observations(fs: FleeScenario, *, step_days: int = OBSERVATION_STEP_DAYS,
                      until: dt.date | None = None,
                      after: dt.date | None = None) -> list[Observation]:
    """One observation per camp with a series and every `step_days`-th day (from day `step_days`:
    day 0 is inserted as observed): the people at that camp, compared with the model's."""
    out = []
    for name in fs.camps:
        series = fs.case.camp_counts.get(name)
        if series is None:
            continue
        days = np.arange(step_days, fs.days, step_days)
        for t, value in zip(days, series.levels(days)):
            date = fs.start + dt.timedelta(days=int(t))
            if (until is not None and date > until) or (after is not None and date <= after):
                continue
            out.append(Observation(date, name, "at_location", float(value), None, None, name,
                                   "at_location",
                                   "source/data_layout.csv"))
    return sorted(out, key=lambda o: (o.date, o.place))


def samples_of(results: list[FleeResults], observations: list[Observation]) -> np.ndarray:
    """[runs, observations]: each run's people at the observation's camp and day."""
    out = np.zeros((len(results), len(observations)))
    for j, o in enumerate(observations):
        t = (o.date - results[0].start).days
        for i, r in enumerate(results):
            out[i, j] = r.at_place(o.place)[t]
    return out


def median_camps(results: list[FleeResults], camps: list[str]) -> np.ndarray:
    """(days, camps) the median over runs of the people at each camp."""
    return np.median(np.stack([r.camp_counts(camps) for r in results]), axis=0)


class ArdLikelihood:
    """A likelihood shaped like Flee's score: each day's camp counts as one report of where that
    day's people are, log p = -Σ_camps |model - observed| / (scale × Σ_camps observed), so two
    parameter sets differ in log likelihood by their ARD difference over `scale` per observed day.
    (calibrate.py's Likelihood weighs a camp of 50 as much as one of 50,000; ARD does not.)"""

    def __init__(self, observations: list[Observation], scale: float = ARD_SCALE):
        dates = sorted({o.date for o in observations})
        day = {d: i for i, d in enumerate(dates)}
        self.day = np.array([day[o.date] for o in observations])
        totals = np.zeros(len(dates))
        np.add.at(totals, self.day, [o.value for o in observations])
        self.per_obs = 1.0 / (scale * np.maximum(totals[self.day], 1.0))
        self.observed = np.array([o.value for o in observations], dtype=float)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        return -(np.abs(np.asarray(values, dtype=float) - self.observed) * self.per_obs).sum(axis=1)


# --- the fit
# ------------------------------------------------------------------------------------------

class FleeRunner(Runner):
    """calibrate.Runner for a Flee folder: each parameter set run with a fresh seed. Runs to the
    end of the period (a fit's predictive runs) start from `forecast_base` when it is set, the
    others from `base`."""

    forecast_base: FleeSettings | None = None

    def run(self, values_list: list[dict[str, Any]],  # type: ignore[override]
            days: int | None) -> list[FleeResults | None]:
        import concurrent.futures as cf

        from travesia.runs.ensemble import outcome_of, run_task

        tasks = []
        for values in values_list:
            tasks.append(flee_task(self.sc, values, self.count,  # type: ignore[arg-type]
                                   self.base_seed + self.count, days,
                                   base=self.forecast_base if days is None and self.forecast_base
                                   else self.base,  # type: ignore[arg-type]
                                   where="calibrate"))
            self.count += 1
        futures = {self.executor.submit(run_task, t): i for i, t in enumerate(tasks)}
        out: list[FleeResults | None] = [None] * len(tasks)
        for fut in cf.as_completed(futures):
            outcome = outcome_of(fut)
            if outcome.error:
                self.failed.append(outcome.error)
            out[futures[fut]] = outcome.results
            if self.progress:
                self.progress(1)
        return out


@dataclass
class FleeFit:
    """A Flee folder's rule settings fitted to its camp counts up to `until`."""

    scenario: FleeScenario
    priors: dict[str, Prior]
    observations: list[Observation]
    until: dt.date
    names: list[str]
    best: dict[str, Any]                     # posterior medians
    spread: dict[str, dict]
    ess: float
    runs: int
    wall_seconds: float
    predictive: list[FleeResults] = field(default_factory=list)
    predictive_values: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    failed: int = 0

    @property
    def fitted_settings(self) -> FleeSettings:
        return settings_with(self.scenario.settings, self.best, where="calibrate")


def calibrate_flee(fs: FleeScenario, *, until: dt.date | None = None, vary: Sequence[Prior] = (),
                   budget: int = 400,
                   obs_model: ObservationModel = ObservationModel(),
                   base_seed: int = 0,  # noqa: B008 - frozen
                   workers: int | None = None, scheduler: str | None = None,
                   predictive_days: int | None = None,
                   step_days: int = OBSERVATION_STEP_DAYS, runner: FleeRunner | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   likelihood: str = "log", after: dt.date | None = None) -> FleeFit:
    """Fit `vary` (Flee rule settings) to the camp counts up to `until` (default: all) with
    calibrate.py's method. `budget` counts every run, a tenth (20 to 200) predictive. `after`:
    only the counts after that date (a fit of forecasts made from the state then: the runner's
    settings then assimilate on that date)."""
    from travesia.inference.calibrate import Likelihood

    started = time.perf_counter()
    if not vary:
        raise ScenarioError("nothing to fit: give --vary NAME=DIST (a Flee rule setting)",
                            field="--vary")
    priors = {p.name: p for p in vary}
    for name in priors:
        check_setting_name(name, field=f"--vary {name}")
    until = until or fs.end
    if not fs.start <= until <= fs.end:
        raise ScenarioError(f"{until} is outside the case's period {fs.start} to {fs.end}",
                            field="--until")
    targets = flee_observations(fs, step_days=step_days, until=until, after=after)
    if not targets:
        raise ScenarioError(f"no camp count up to {until} to fit (source_data/data_layout.csv)",
                            file=fs.folder / "source_data" / "data_layout.csv")
    n_fit, n_pred = split_budget(budget)
    fit_days = (max(o.date for o in targets) - fs.start).days + 1
    space = PriorSpace(priors)
    if likelihood not in LIKELIHOODS:
        raise ScenarioError(f"unknown likelihood '{likelihood}' (known: {', '.join(LIKELIHOODS)})",
                            field="--likelihood")
    loglik = ArdLikelihood(targets) if likelihood == "ard" else Likelihood(targets, obs_model)
    own = runner is None
    runner = runner or FleeRunner(fs, fs.settings,  # type: ignore[arg-type]
                                  base_seed=base_seed, workers=workers, scheduler=scheduler)

    def loglik_of(results: list) -> np.ndarray:
        return loglik(samples_of(results, targets))

    found = search_posterior(space, runner, loglik_of, n_fit=n_fit, n_pred=n_pred,
                             fit_days=fit_days,
                             predictive_days=predictive_days, base_seed=base_seed, own_runner=own,
                             progress=progress)
    best, spread, ess, popsize = found.best, found.spread, found.ess, found.popsize
    predictive, pred_values = found.predictive, found.predictive_values
    return FleeFit(fs, priors, targets, until, space.names, best, spread, ess, runner.count,
                   time.perf_counter() - started, predictive, pred_values,
                   {"obs_error": obs_model.error, "outlier_share": obs_model.outlier_share,
                    "outlier_error": obs_model.outlier_error, "base_seed": base_seed,
                    "budget": budget,
                    "fit_days": fit_days, "observation_step_days": step_days,
                    "cma_popsize": popsize,
                    "likelihood": likelihood},
                   len(runner.failed))


def fit_scores(fit: FleeFit) -> dict:
    """ARD of the predictive median over the fitted days, and its WIS beside the naive forecasts."""
    days = fit.settings["fit_days"]
    median = median_camps(fit.predictive, fit.scenario.camps)[:days]
    table = score_forecasts(fit.observations, list(samples_of(fit.predictive, fit.observations).T))
    return {"ard_fitted_days": averaged_relative_difference(median, fit.scenario.observed(days)),
            **table.summary()}


def write_flee_fit(fit: FleeFit, out: str | Path, scores: dict | None = None) -> Path:
    """A simsetting.yml with the fitted medians (Flee and `travesia run --settings` read it; Flee
    ignores the `fit:` section), plus the spread and scores of the fit."""
    import yaml

    from travesia.inference.calibrate import _plain
    from travesia.model.flee.settings import _SECTIONS

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cfg = json.loads(settings_json(fit.fitted_settings))
    doc = {section: {k: cfg[k] for k in keys if k in cfg} for section, keys in _SECTIONS.items()}
    doc["fit"] = _plain({"case": fit.scenario.name, "case_hash": fit.scenario.content_hash,
                         "settings_fitted_from": str(fit.scenario.settings_file)
                         if fit.scenario.settings_file else None,
                         "observations_until": fit.until.isoformat(),
                         "observations_fitted": len(fit.observations),
                         "runs": fit.runs, "effective_runs_behind_surface": round(fit.ess, 1),
                         "wall_seconds": round(fit.wall_seconds, 1), **fit.settings,
                         "spread": {n: fit.spread[n] for n in fit.names}, "scores": scores or {}})
    header = (f"# Flee rule settings of {fit.scenario.name} fitted by `travesia calibrate` to the "
              "camp counts up to "
              f"{fit.until} (posterior medians).\n# Use: travesia run {fit.scenario.folder} "
              f"--settings {out.name}\n")
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(header + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    tmp.replace(out)
    return out


def store_flee_predictive(fit: FleeFit, store_path: str | Path) -> str:
    """The predictive runs of a fit into a store (bands and score read it)."""
    fs = fit.scenario
    key = canonical_json([fs.content_hash, "flee calibrate", fit.until.isoformat(), fit.settings,
                          [canonical_json(v) for v in fit.predictive_values]])
    ensemble_id = hashlib.sha256(key.encode()).hexdigest()[:12]
    runs = [(flee_task(fs, values, i, res.seed, None if res.days >= fs.days else res.days,
                       where="calibrate"), res)
            for i, (res, values) in enumerate(zip(fit.predictive, fit.predictive_values))]
    store_made_runs(store_path, ensemble_id, runs, base_seed=fit.settings["base_seed"],
                    vary=dict.fromkeys(fit.names, f"posterior of calibrate (until {fit.until})"),
                    base_parameters_json=settings_json(fs.settings),
                    places=[p.name for p in fs.places], crossings=[],
                    meta=flee_meta(fs, made_by="calibrate",
                                   observations_until=fit.until.isoformat()))
    return ensemble_id


# --- backtest
# -----------------------------------------------------------------------------------------

def default_rules_runs(fs: FleeScenario, seeds: int, *, base_seed: int = 0,
                       workers: int | None = None,
                       runner: FleeRunner | None = None) -> list[FleeResults]:
    """Runs of the folder's own settings (no value changed), seeds base_seed+10**6 + k."""
    own = runner is None
    runner = runner or FleeRunner(fs, fs.settings,  # type: ignore[arg-type]
                                  base_seed=base_seed + 10 ** 6, workers=workers)
    try:
        if own:
            runner.__enter__()
        return [r for r in runner.run([{}] * seeds, None) if r is not None]
    finally:
        if own:
            runner.__exit__(None, None, None)


def backtest_flee(fs: FleeScenario, at: dt.date, *, vary: list[Prior], budget: int = 400,
                  obs_model: ObservationModel = ObservationModel(),
                  base_seed: int = 0,  # noqa: B008 - frozen
                  default_seeds: int = DEFAULT_RULE_SEEDS, workers: int | None = None,
                  scheduler: str | None = None, progress: Callable[[int, int], None] | None = None,
                  likelihood: str = "log", assimilate: bool = True,
                  fit_from_state: bool = False) -> dict:
    """Fit on the camp counts up to `at`, forecast to the end of the period; the ARD (of the
    predictive median) over the days after `at`, beside that of the folder's own rules (the median
    of `default_seeds` runs) over the same days. With `assimilate` (the default) the forecast
    starts from the observed state: on the day after `at` the camps are set to their latest counts
    up to `at` (FleeSimulation.assimilate); the folder's rules are then scored both without it
    (Flee as it is, `ard_default_rules`) and with it (`ard_default_rules_assimilated`, the same
    seeds), so the gain of the state and that of the fit show apart. With `fit_from_state` (and
    `assimilate`) the fit too scores forecasts started from the observed state: its runs
    assimilate half-way to `at` (day origin // 2) and only the counts after that are fitted. Flee
    spawns people from the observed total, so all forecast where people go, not how many they
    are."""
    if not fs.start <= at < fs.end:
        raise ScenarioError(f"{at} is outside the case's period {fs.start} to {fs.end} (its last "
                            "day excluded)",
                            field="--at")
    started = time.perf_counter()
    origin = (at - fs.start).days
    base = dataclasses.replace(fs.settings, assimilate_day=origin) if assimilate else fs.settings
    fit_origin = origin // 2 if assimilate and fit_from_state else None
    runner = FleeRunner(fs, base if fit_origin is None else  # type: ignore[arg-type]
                        dataclasses.replace(fs.settings, assimilate_day=fit_origin),
                        base_seed=base_seed, workers=workers, scheduler=scheduler)
    runner.forecast_base = base
    with runner:
        fit = calibrate_flee(fs, until=at, vary=vary, budget=budget, obs_model=obs_model,
                             base_seed=base_seed,
                             runner=runner, progress=progress, likelihood=likelihood,
                             after=None if fit_origin is None
                             else fs.start + dt.timedelta(days=fit_origin))
        # the default rules' seeds: apart from the fit's; the same seeds with and without the
        # assimilation
        defaults = _runs_of(runner, fs.settings, base_seed + 10 ** 6, default_seeds)
        assimilated = (_runs_of(runner, base, base_seed + 10 ** 6, default_seeds)
                       if assimilate else [])
    first = origin + 1                                # the forecast's first day
    observed = fs.observed()[first:]
    fitted = median_camps(fit.predictive, fs.camps)[first:]
    default = median_camps(defaults, fs.camps)[first:]
    fit_days = first
    ard_fit_in = averaged_relative_difference(median_camps(fit.predictive, fs.camps)[:fit_days],
                                              fs.observed(fit_days))
    ard_default_in = averaged_relative_difference(median_camps(defaults, fs.camps)[:fit_days],
                                                  fs.observed(fit_days))
    ard_fit = averaged_relative_difference(fitted, observed)
    ard_default = averaged_relative_difference(default, observed)
    ard_assimilated = (averaged_relative_difference(
        median_camps(assimilated, fs.camps)[first:], observed) if assimilated else None)
    later = flee_observations(fs, after=at)
    wis = score_forecasts(later, list(samples_of(fit.predictive, later).T),
                          known=flee_observations(fs), known_until=at).summary() if later else {}
    return {
        "case": fs.name, "at": at.isoformat(), "forecast_days": int(observed.shape[0]),
        "hasten": fs.settings.hasten, "budget": budget,
        "runs": fit.runs + len(defaults) + len(assimilated),
        "predictive_runs": len(fit.predictive), "default_rule_runs": len(defaults),
        "assimilate": assimilate, "fit_from_state": fit_origin is not None,
        "observations_fitted": len(fit.observations),
        "effective_runs_behind_surface": round(fit.ess, 1),
        "spread": fit.spread, "fitted": fit.best,
        "default": {n: getattr(fs.settings, n) for n in fit.names},
        "likelihood": likelihood,
        "ard_forecast": ard_fit, "ard_default_rules": ard_default,
        "ard_default_rules_assimilated": ard_assimilated,
        "ard_difference": ard_fit - ard_default,
        "ard_fitted_days": ard_fit_in, "ard_default_rules_fitted_days": ard_default_in,
        "ard_forecast_rescaled": averaged_relative_difference(fitted, observed, rescaled=True),
        "ard_default_rules_rescaled": averaged_relative_difference(default, observed,
                                                                   rescaled=True),
        "scores_after": wis, "wall_seconds": time.perf_counter() - started, "failed": fit.failed,
    }


def _runs_of(runner: FleeRunner, cfg: FleeSettings, base_seed: int, seeds: int) -> list:
    """`seeds` runs of the settings `cfg` unchanged, seeds base_seed, base_seed + 1, ..."""
    runner.base, runner.base_seed, runner.count = cfg, base_seed, 0  # type: ignore[assignment]
    runner.forecast_base = cfg
    return [r for r in runner.run([{}] * seeds, None) if r is not None]


# --- scoring a store
# ----------------------------------------------------------------------------------

def flee_store_meta(store_path: Path, ensemble_id: str | None = None) -> tuple[dict, dict] | None:
    """(ensemble, meta) when the store's ensemble ran a Flee folder, else None."""
    with Store(store_path, read_only=True) as store:
        ens = store.ensemble(ensemble_id)
        meta = store.meta(ens["ensemble_id"])
    return (ens, meta) if meta.get("ruleset") == "flee" else None


def flee_ensemble_case(ens: dict, meta: dict) -> FleeScenario | None:
    """The Flee folder an ensemble ran, read at its hasten; None if it is gone or changed."""
    folder = Path(ens["scenario_folder"])
    if not folder.is_dir() or folder_hash(folder) != ens["scenario_hash"]:
        return None
    case = read_case(folder)
    cfg = dataclasses.replace(case.settings, hasten=int(meta.get("hasten", case.settings.hasten)))
    return FleeScenario(case_at_hasten(case, cfg), cfg, ens["scenario_hash"], list(meta["camps"]))


def score_flee_store(store_path: Path, ensemble_id: str | None = None) -> dict:
    """ARD of the ensemble's median camp counts over its days, beside the naive forecasts' (the
    first day carried forward; zero), and the weighted interval scores of the weekly camp counts."""
    found = flee_store_meta(store_path, ensemble_id)
    if found is None:
        raise ScenarioError("not an ensemble of a Flee folder", file=store_path)
    ens, meta = found
    fs = flee_ensemble_case(ens, meta)
    if fs is None:
        raise ScenarioError("the Flee folder is gone or changed since the ensemble ran: its counts "
                            "are not "
                            "the ones it ran with", file=ens["scenario_folder"])
    with Store(store_path, read_only=True) as store:
        per_camp = []
        for camp in fs.camps:
            dates, _, values = store.series(ens["ensemble_id"], place=camp, state="at_location")
            per_camp.append(values)
    days = len(dates)
    sims = np.stack(per_camp, axis=2)             # runs, days, camps
    observed = fs.observed(days)
    median = np.median(sims, axis=0)
    carried = np.repeat(observed[:1], days, axis=0)
    obs = [o for o in flee_observations(fs) if (o.date - fs.start).days < days]
    index = {c: j for j, c in enumerate(fs.camps)}
    samples = [sims[:, (o.date - fs.start).days, index[o.place]] for o in obs]
    table = score_forecasts(obs, samples)
    return {"kind": "flee ensemble", "scenario": ens["scenario"], "ensemble_id": ens["ensemble_id"],
            "runs": int(sims.shape[0]), "days": days,
            "ard": averaged_relative_difference(median, observed),
            "ard_rescaled": averaged_relative_difference(median, observed, rescaled=True),
            "naive_last": {"ard": averaged_relative_difference(carried, observed)},
            "naive_zero": {"ard": averaged_relative_difference(np.zeros_like(observed), observed)},
            "weekly_camp_counts": table.summary()}


__all__ = [
    "SETTING_NAMES",
    "FleeScenario",
    "backtest_flee",
    "calibrate_flee",
    "flee_observations",
    "flee_task",
    "load_flee",
    "parse_flee_vary",
    "plan_flee_ensemble",
    "run_flee_ensemble",
    "score_flee_store",
    "store_flee_predictive",
    "write_flee_fit",
]
