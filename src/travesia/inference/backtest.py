"""Backtests: fit on what was known at a date, forecast the days after it, score the forecast.

At each date D the fit sees only observations dated D or earlier; its predictive ensemble runs to
D + the longest horizon, and is scored on the observations of the next 7 and 14 days beside the
two naive forecasts (the last value known at D carried forward; zero), both forecasts of the
report (the fit's reporting error drawn onto the runs). The runs know the timeline events the
`future` mode allows at D (scenario/timeline.py; default `planned`: those announced by D).
docs/calibration.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from travesia.inference.calibrate import ObservationModel, as_date, calibrate, fit_targets
from travesia.errors import ObservationError, ScenarioError
from travesia.scenario.observations import read_observations
from travesia.runs.priors import Prior
from travesia.scenario import load_scenario
from travesia.scenario.load import Scenario
from travesia.scenario.timeline import FUTURE_MEANING, timeline_spec

HORIZONS_DAYS = (7, 14)


def backtest(scenario: str | Path | Scenario | None, dates: list[dt.date], *,
             observations: str | Path | None = None,
             budget: int = 600, horizons: tuple[int, ...] = HORIZONS_DAYS,
             vary: Sequence[Prior] = (),
             measures: list[str] | None = None, obs_model: ObservationModel = ObservationModel(),
             base_seed: int = 0, workers: int | None = None, scheduler: str | None = None,
             progress: Callable[[dt.date, int, int], None] | None = None,
             future: str = "planned", prior_from: str | Path | None = None) -> dict:
    """{'at': [{date, fitted, spread, horizons: {7: scores, 14: scores}}]} for each date."""
    if not dates:
        raise ScenarioError("give at least one --at DATE", field="--at")
    dates = [as_date(d, "--at") for d in dates]
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    obs_path = Path(observations) if observations else (sc.folder / sc.spec.observations
                                                        if sc.spec.observations else None)
    if obs_path is None:
        raise ObservationError("the scenario has no observations: give --observations FILE",
                               file=sc.folder / "scenario.yaml")
    all_obs = read_observations(obs_path)
    timeline_spec(future, sc.spec.start)           # an unknown mode fails before any run
    out = []
    for at in sorted(dates):
        if not sc.spec.start <= at < sc.spec.end:
            raise ScenarioError(f"{at} is outside the scenario's period {sc.spec.start} to "
                                f"{sc.spec.end}",
                                field="--at")
        last = at + dt.timedelta(days=max(horizons))
        days = (min(last, sc.spec.end) - sc.spec.start).days + 1
        fit = calibrate(sc, observations=obs_path, until=at, budget=budget, vary=vary,
                        measures=measures,
                        obs_model=obs_model, base_seed=base_seed, workers=workers,
                        scheduler=scheduler,
                        predictive_days=days, future=future, prior_from=prior_from,
                        progress=partial(progress, at) if progress else None)
        later = fit_targets(all_obs, sc, last, set(measures) if measures else None)
        entry: dict[str, Any] = {"date": at.isoformat(), "future": future,
                                 "observations_fitted": len(fit.observations),
                 "runs": fit.runs,
                 "effective_runs_behind_surface": round(fit.ess, 1),
                 "spread": {n: fit.spread[n] for n in fit.names}, "horizons": {}}
        for h in horizons:
            end = at + dt.timedelta(days=h)
            targets = [o for o in later if at < o.date <= end]
            if not targets:
                entry["horizons"][str(h)] = {"observations": 0}
                continue
            table = fit.scores(targets, known=all_obs, known_until=at)
            entry["horizons"][str(h)] = table.to_dict()
        out.append(entry)
    return {"scenario": sc.name, "observations": str(obs_path), "budget_per_date": budget,
            "future": future,
            "future_means": FUTURE_MEANING[future], "observation_noise": obs_model.as_dict(),
            "prior_from": str(prior_from) if prior_from is not None else None,
            "at": out}
