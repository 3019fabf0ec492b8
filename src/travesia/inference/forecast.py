"""Forecasts from a date without knowing the future (docs/calibration.md, "Forecasting from a
date").

`forecast(scenario, at)` fits the observations dated up to `at` (or takes the posterior sample of
an earlier fit), runs the posterior forward to `at` + the horizon on the timeline view the
`future` mode allows at `at` (scenario/timeline.py), and gives the daily quantiles of people held
and of the flows at each crossing. When observations after `at` exist within the horizon, they
score the forecast beside the two naive ones, as a backtest does (with the fit's reporting error).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np

from travesia.inference.calibrate import Runner, as_date, calibrate, fit_targets
from travesia.errors import ObservationError, ScenarioError
from travesia.scenario.observations import (Observation, ObservationModel, check_compared,
                                            read_observations)
from travesia.scenario.parameters import Parameters, load_params_file
from travesia.runs.priors import _is_int_field, check_name, check_scenario_names
from travesia.scenario.limits import read_input_text
from travesia.model.results import Results
from travesia.scenario import load_scenario
from travesia.scenario.load import Scenario
from travesia.scenario.timeline import FUTURE_MEANING, FUTURE_MODES, timeline_spec, timeline_view
from travesia.outputs.scores import samples_from_results, score_forecasts, with_reporting_noise

__all__ = ["FUTURE_MODES", "ForecastResult", "forecast", "read_fit_file", "timeline_view"]

HORIZON_DAYS = 14
SCORED_HORIZONS_DAYS = (7, 14)
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# what forecast.csv holds per crossing: the held series (queue + stranded), then daily flows
FORECAST_MEASURES = ("held", "irregular", "irregular_caught", "gave_up", "entries", "refused")


@dataclass
class FitFile:
    """What a forecast takes from `travesia calibrate`'s output: the fit's settings and its
    posterior sample."""

    path: Path
    fit: dict
    names: list[str]
    draws: list[dict[str, Any]]

    @property
    def observations_until(self) -> dt.date:
        return dt.date.fromisoformat(str(self.fit["observations_until"]))

    @property
    def observation_model(self) -> ObservationModel:
        return ObservationModel.from_dict(self.fit)


def _cell(name: str, text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return text
    return int(round(value)) if _is_int_field(name) else value


def read_fit_file(path: str | Path) -> FitFile:
    """A fitted_params.yaml and the `<stem>.posterior.csv` beside it."""
    from travesia.scenario.yamlfile import read_yaml_mapping

    path = Path(path)
    doc = read_yaml_mapping(path, missing="fit file not found",
                            expected="expected a fitted_params.yaml from "
                                                                        "`travesia calibrate`")
    fit = doc.get("fit")
    if not isinstance(fit, dict) or "observations_until" not in fit:
        raise ScenarioError("not a fit file (no `fit:` section with observations_until)", file=path,
                            field="fit")
    sample = path.with_name(str(fit.get("posterior_sample") or (path.stem + ".posterior.csv")))
    if not sample.is_file():
        raise ScenarioError("posterior sample not found beside the fit file", file=sample)
    reader = csv.DictReader(io.StringIO(read_input_text(sample), newline=""))
    names = [n for n in (reader.fieldnames or []) if n != "draw"]
    for name in names:
        check_name(name, file=sample, field=name)
    draws = []
    for row in reader:
        if None in row or None in row.values():
            given = sum(1 for k, v in row.items() if k is not None and v is not None)
            raise ScenarioError(f"has {given + len(row.get(None) or [])} fields but the header "
                                f"has {len(reader.fieldnames or [])}", file=sample,
                                row=reader.line_num)
        draws.append({n: _cell(n, row[n]) for n in names})
    if not names or not draws:
        raise ScenarioError("the posterior sample is empty", file=sample)
    return FitFile(path, fit, names, draws)


@dataclass
class ForecastResult:
    """A forecast from `at`: daily quantiles per crossing and measure, and what it was made with."""

    scenario: Scenario
    at: dt.date
    horizon_days: int
    future: str
    events_used: list
    events_dropped: list
    runs: list[Results]
    observation_model: ObservationModel
    fit_until: dt.date
    rows: list[dict]                          # forecast.csv: date, crossing, measure, p05 .. p95
    scores: dict = field(default_factory=dict)   # horizon (days) -> ScoreTable dict
    settings: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def in_sample(self) -> bool:
        """The fit saw observations after `at`: the result is not a forecast."""
        return self.fit_until > self.at

    @property
    def last_day(self) -> dt.date:
        return self.at + dt.timedelta(days=self.horizon_days)

    def to_dict(self) -> dict:
        return {
            "scenario": self.scenario.name, "at": self.at.isoformat(),
            "horizon_days": self.horizon_days,
            "last_day": self.last_day.isoformat(), "future": self.future,
            "future_means": FUTURE_MEANING[self.future].replace("DATE", self.at.isoformat()),
            "in_sample": self.in_sample, "fit_observations_until": self.fit_until.isoformat(),
            "runs": len(self.runs), "observation_noise": self.observation_model.as_dict(),
            "events_used": [_event_entry(ev) for ev in self.events_used],
            "events_dropped": [_event_entry(ev) for ev in self.events_dropped],
            "settings": self.settings, "warnings": self.warnings,
            "wall_seconds": round(self.wall_seconds, 1),
            "scores": self.scores,
        }

    def write(self, out: str | Path) -> dict[str, Path]:
        """forecast.csv, forecast.json and forecast.png in the folder `out`."""
        from travesia.outputs.plot import plot_forecast

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"csv": out / "forecast.csv", "json": out / "forecast.json",
                 "png": out / "forecast.png"}
        with paths["csv"].open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=["date", "crossing", "measure", "p05", "p25",
                                                   "p50", "p75", "p95"])
            writer.writeheader()
            writer.writerows(self.rows)
        paths["json"].write_text(json.dumps(self.to_dict(), indent=2, default=str),
                                 encoding="utf-8")
        plot_forecast(self.runs, self.at, self.last_day, self.events_used, self.observations,
                      paths["png"],
                      title=f"{self.scenario.name}: forecast from {self.at} ({self.future})"
                            + (" — IN-SAMPLE" if self.in_sample else ""))
        return paths


def _event_entry(ev) -> dict:
    from travesia.outputs.plot import event_label

    return {"id": ev.id, "date": ev.date.isoformat(),
            "announced": (ev.announced or ev.date).isoformat(), "type": ev.type,
            "what": event_label(ev)}


def forecast(scenario: str | Path | Scenario | None, at: dt.date, *,
             horizon_days: int = HORIZON_DAYS,
             future: str = "planned", fit_file: str | Path | None = None, budget: int = 600,
             runs: int | None = None, observations: str | Path | None = None,
             obs_model: ObservationModel = ObservationModel(), base_seed: int = 0,
             workers: int | None = None,
             scheduler: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> ForecastResult:
    """Forecast `scenario` from `at` to `at` + `horizon_days` (docs/calibration.md).

    Without `fit_file`, fit the observations up to `at` (`budget` runs, the predictive ensemble's
    included; `runs` sets its size). With `fit_file` (a fitted_params.yaml), run `runs` (default
    200) parameter sets resampled from its posterior sample; a fit that saw observations after
    `at` makes the result in-sample (a warning says so)."""
    started = time.perf_counter()
    at = as_date(at, "--at")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if horizon_days < 1:
        raise ScenarioError("the horizon must be at least one day", field="--horizon")
    if not sc.spec.start <= at < sc.spec.end:
        raise ScenarioError(f"{at} is outside the scenario's period {sc.spec.start} to "
                            f"{sc.spec.end} "
                            "(a forecast needs a day after it)", field="--at")
    spec = timeline_spec(future, at)
    used = timeline_view(sc.spec.timeline, at, future)
    kept = {id(ev) for ev in used}
    dropped = [ev for ev in sc.spec.timeline if id(ev) not in kept]
    last = min(at + dt.timedelta(days=horizon_days), sc.spec.end)
    days = (last - sc.spec.start).days + 1
    obs_path = Path(observations) if observations else (sc.folder / sc.spec.observations
                                                        if sc.spec.observations else None)
    all_obs = read_observations(obs_path) if obs_path else []
    if obs_path:
        check_compared(all_obs, obs_path, [c.name for c in sc.crossings],
                       [i.name for i in sc.informal])
    warnings: list[str] = []
    settings: dict[str, Any] = {"observations": str(obs_path) if obs_path else None,
                                "base_seed": base_seed}
    fit_given = fit_file is not None
    if fit_file is None and not fit_targets(all_obs, sc, at):
        # nothing observed by `at` to fit: the scenario's own or borrowed fit is the forecast
        from travesia.runs.posterior import scenario_fit

        named = scenario_fit(sc)
        if named is not None:
            fit_file = named.path
    if fit_file is None:
        if obs_path is None:
            raise ObservationError("the scenario has no observations to fit: give --observations "
                                   "FILE or --fit",
                                   file=sc.folder / "scenario.yaml")
        fit = calibrate(sc, observations=obs_path, until=at, budget=budget, obs_model=obs_model,
                        base_seed=base_seed, workers=workers, scheduler=scheduler,
                        predictive_runs=runs,
                        predictive_days=days, progress=progress, future=future)
        results, model, fit_until = fit.predictive, fit.observation_model, fit.until
        settings.update(fitted="here", budget=budget, fitted_observations=len(fit.observations),
                        spread={n: fit.spread[n] for n in fit.names})
    else:
        ff = read_fit_file(fit_file)
        lender = ff.fit.get("scenario")
        if lender not in (None, sc.name):
            # a fit of another scenario lends its behaviour only: its fitted data numbers are
            # that scenario's facts (as with scenario.yaml's `fit: {scenario: NAME}`)
            ff = _behaviour_only(ff)
            settings["borrowed_from"] = lender
            if fit_given:
                warnings.append(f"the fit {ff.path} is of scenario {lender}, not {sc.name}: its "
                                f"behaviour parameters are borrowed, its data numbers left out")
        elif ff.fit.get("scenario_hash") and ff.fit["scenario_hash"] != sc.content_hash:
            warnings.append(f"the fit {ff.path} was made on other files of "
                            f"{ff.fit.get('scenario')} "
                            f"(hash {ff.fit['scenario_hash']}, now {sc.content_hash})")
        check_scenario_names(sc, ff.names, field=f"{ff.path.name}: posterior column")
        model, fit_until = ff.observation_model, ff.observations_until
        if fit_until > at:
            warnings.append(f"the fit saw observations up to {fit_until}, after {at}: this is "
                            "in-sample, "
                            "not a forecast")
        base = _fit_base(ff, sc)
        n = runs or 200
        rng = np.random.default_rng([base_seed & 0xFFFFFFFF, 0xF0CA])
        picks = rng.integers(0, len(ff.draws), size=n)
        with Runner(sc, base, base_seed=base_seed, workers=workers, scheduler=scheduler,
                    timeline=spec) as runner:
            if progress:
                done = [0]

                def tick(k: int) -> None:
                    done[0] += k
                    progress(done[0], n)

                runner.progress = tick
            # the scenario's priors on names the fit does not hold (its data numbers) are drawn
            # as `travesia ensemble` draws them
            from travesia.runs.priors import draw_values, scenario_priors

            others = {n: p for n, p in scenario_priors(sc).items() if n not in ff.names}
            values = [{**ff.draws[i], **draw_values(others, base_seed, k)} for k,
                      i in enumerate(picks)]
            results = [r for r in runner.run(values, days) if r is not None]
            failed = runner.failed
        if not results:
            raise ScenarioError("every forecast run failed: "
                                f"{failed[0].splitlines()[0] if failed else ''}")
        settings.update(fitted=str(ff.path), fit_future=ff.fit.get("future", "as-happened"), runs=n,
                        failed=len(failed))
    rows = forecast_rows(results, at, last)
    scores = {}
    later = fit_targets(all_obs, sc, last) if all_obs else []
    for h in SCORED_HORIZONS_DAYS:
        if h > horizon_days:
            continue
        targets = [o for o in later if at < o.date <= at + dt.timedelta(days=h)]
        if not targets:
            continue
        samples = with_reporting_noise(samples_from_results(results, targets), model,
                                       seed=base_seed)
        scores[str(h)] = score_forecasts(targets, samples, known=all_obs, known_until=at).to_dict()
    return ForecastResult(sc, at, (last - at).days, future, used, dropped, results, model,
                          fit_until, rows, scores,
                          settings, warnings, [o for o in all_obs if o.date <= last],
                          time.perf_counter() - started)


def _behaviour_only(ff: FitFile) -> FitFile:
    from travesia.scenario.data_values import is_data_name

    names = [n for n in ff.names if not is_data_name(n)]
    return FitFile(ff.path, ff.fit, names, [{n: d[n] for n in names} for d in ff.draws])


def _fit_base(ff: FitFile, sc: Scenario) -> Parameters:
    """The values a fit's draws replace: its --params file if it had one, else the scenario's."""
    params_file = ff.fit.get("params_file")
    if params_file and Path(params_file).is_file():
        return load_params_file(params_file, base=sc.params)
    return sc.params


def forecast_rows(results: list[Results], at: dt.date, last: dt.date) -> list[dict]:
    """Quantiles over the runs of each crossing's measures, each day after `at` up to `last`."""
    start = results[0].start
    first, end = (at - start).days + 1, (last - start).days + 1
    rows = []
    for crossing in results[0].crossing_names:
        for measure in FORECAST_MEASURES:
            series = measure
            values = np.stack([r.at_crossing(crossing,
                                             series)[first:end] for r in results]).astype(float)
            q = np.quantile(values, QUANTILES, axis=0)
            for k in range(end - first):
                rows.append({"date": (at + dt.timedelta(days=k + 1)).isoformat(),
                             "crossing": crossing,
                             "measure": measure, **{f"p{int(p * 100):02d}": round(float(q[j, k]), 1)
                                                     for j, p in enumerate(QUANTILES)}})
    return rows
