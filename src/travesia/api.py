"""The Python API: what the command line does, for notebooks and scripts (docs/api.md).

    import travesia.api as tv

    sc = tv.scenario("chile-peru-2025")          # a built-in name or a folder
    results = tv.run(sc, seed=1)                 # one run, in memory
    results.at_crossing("Chacalluta–Santa Rosa", "held")      # numpy series, one value a day
    report = tv.ensemble(sc, runs=20, store="out/ens.duckdb")
    held = tv.bands("out/ens.duckdb", measure="held")          # quantiles per day

Each function is a face, like a command: it calls the same function the command calls, so a
notebook and `travesia ...` give the same numbers for the same seeds. A user's mistake raises
`travesia.errors.ScenarioError`, whose message names the file, row and field.

`calibrate`, `forecast` and `backtest` are the functions the commands call, re-exported as they
are: `calibrate(sc, until=date, budget=2000)` gives a Fit (docs/calibration.md),
`forecast(sc, at=date, horizon_days=14)` a ForecastResult, `backtest(sc, [date, ...])` the
scores per date and horizon. `impacts_by_region(results)` and `impacts_by_place(results)` give
people, needs, demand and costs where people are (docs/host-communities.md), as a run's
impacts.csv.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from travesia.errors import ScenarioError
from travesia.inference.backtest import backtest
from travesia.inference.calibrate import as_date, calibrate
from travesia.inference.flee_runs import (
    FleeScenario,
    backtest_flee,
    load_flee,
    parse_flee_vary,
)
from travesia.inference.forecast import ForecastResult, forecast
from travesia.model.impacts import impacts_by_place, impacts_by_region
from travesia.model.results import Results
from travesia.outputs.bands import Band, compute_bands
from travesia.outputs.scores import score_path
from travesia.outputs.store import Store, default_store_path
from travesia.runs.ensemble import EnsembleReport, plan_ensemble, run_ensemble
from travesia.runs.priors import check_parameter_keys, parse_vary
from travesia.runs.runner import run_parameters, run_scenario, simulate_scenario
from travesia.runs.stocks import StocksReport, stocks_report
from travesia.scenario import Scenario, load_scenario
from travesia.scenario.measures import CROSSING_MEASURES, MEANING, PLACE_STATES

__all__ = [
    "CROSSING_MEASURES", "MEANING", "PLACE_STATES", "Band", "EnsembleReport", "FleeScenario",
    "ForecastResult", "Results", "Scenario", "ScenarioError", "backtest", "bands", "calibrate",
    "ensemble", "flee", "flee_backtest", "forecast", "impacts_by_place", "impacts_by_region",
    "run", "scenario", "score", "stocks", "StocksReport",
]


def scenario(name_or_path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario: a built-in name (`chile-peru-2025`, the default) or a
    folder (docs/scenario-format.md)."""
    return load_scenario(name_or_path)


def _loaded(sc: str | Path | Scenario | None) -> Scenario:
    return sc if isinstance(sc, Scenario) else load_scenario(sc)


def run(sc: str | Path | Scenario | None = None, *, seed: int = 0, days: int | None = None,
        params: dict[str, Any] | str | Path | None = None,
        out: str | Path | None = None) -> Results:
    """One run, as `travesia run`: the scenario's fit's medians if it ships a fit, else its own
    parameters; `params` overrides them (a dict of parameter values, or a parameters YAML file).

    Without `out` nothing is written; with it, the run folder of `travesia run --out` is written
    too (daily.parquet, crossings.parquet, needs.csv, summary.json, stranded.png)."""
    _check_seed_and_days(seed, days)
    if out is not None:
        if isinstance(sc, Scenario):
            sc = sc.folder
        if isinstance(params, dict):
            raise ScenarioError("with out=, give params as a file (as `travesia run --params`)",
                                field="params")
        return run_scenario(None if sc is None else str(sc), seed=seed, days=days,
                            out_dir=Path(out), params_file=Path(params) if params else None,
                            quiet=True)
    loaded = _loaded(sc)
    if isinstance(params, dict):
        base, source = run_parameters(loaded)
        chosen = base.with_overrides(params, file="params")
        check_parameter_keys(loaded, chosen, file="params")
        return simulate_scenario(loaded, chosen, f"{source}, with overrides", seed=seed,
                                 days=days)
    chosen, source = run_parameters(loaded, Path(params) if params else None)
    return simulate_scenario(loaded, chosen, source, seed=seed, days=days)


def _check_seed_and_days(seed: Any, days: Any, seed_field: str = "seed") -> None:
    """What the command line's option types check (--seed, --days), for the API's callers."""
    if not (_whole(seed) and 0 <= seed < 2**63):
        raise ScenarioError(f"a whole number from 0 to 2^63-1 (got {seed!r})", field=seed_field)
    if days is not None and not (_whole(days) and days >= 1):
        raise ScenarioError(f"a whole number of days, at least 1 (got {days!r})", field="days")


def _whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def ensemble(sc: str | Path | Scenario | None = None, runs: int = 20, *,
             store: str | Path | None = None, vary: Sequence[str] = (), base_seed: int = 0,
             draw_from: str | None = None, days: int | None = None, workers: int | None = None,
             scheduler: str | None = None) -> EnsembleReport:
    """An ensemble, as `travesia ensemble`: `runs` runs over seeds and the uncertain parameters
    (the fit's posterior if the scenario ships one, else its priors; `draw_from="priors"` to
    force the priors), each written to the DuckDB `store` as it finishes (default
    out/NAME/ensemble.duckdb). `vary` items read like the command's `--vary` (`threat_response=
    uniform(5,25)`). `scheduler` is a Dask scheduler's address; else local processes. Calling it
    again with the same arguments resumes it."""
    _check_seed_and_days(base_seed, days, seed_field="base_seed")
    plan = plan_ensemble(_loaded(sc), runs, vary=[parse_vary(text) for text in vary],
                         base_seed=base_seed, days=days, draw_from=draw_from)
    path = Path(store) if store else default_store_path(plan.scenario.name)
    return run_ensemble(plan, path, workers=workers, scheduler=scheduler)


def bands(store: str | Path, *, ensemble_id: str | None = None, measure: str = "held",
          crossing: str | None = None, place: str | None = None,
          state: str | None = None) -> list[Band]:
    """5/25/50/75/95% quantiles per day over an ensemble's runs, as `travesia bands`: of a
    crossing measure (`held`, `entries`, ...) at each crossing or the one named, or of a state
    of people (`settled`, `queued`, ...) at a place. `ensemble_id` (or a prefix) defaults to the
    store's latest ensemble."""
    with Store(store, read_only=True) as opened:
        ens = opened.ensemble(ensemble_id)
        return compute_bands(opened, ens["ensemble_id"], measure=measure, crossing=crossing,
                             place=place, state=state)


def score(path: str | Path, observations: str | Path | None = None) -> dict:
    """Scores of a run folder, an ensemble store or a Flee output against observations (default:
    the scenario's), as `travesia score`."""
    return score_path(Path(path), Path(observations) if observations else None)


def flee(folder: str | Path, settings: str | Path | None = None) -> FleeScenario:
    """A Flee folder (Flee's own files), for `ensemble`-like work with Flee's rules
    (travesia.inference.flee_runs) and `travesia run FOLDER` from the command line."""
    return load_flee(folder, settings)


def flee_backtest(folder: str | Path | FleeScenario, at: dt.date | str, vary: Sequence[str], *,
                  budget: int = 400, assimilate: bool = True, **options: Any) -> dict:
    """`travesia backtest FLEE_FOLDER --at DATE --vary ...`: fit the Flee rule settings `vary`
    (NAME=DIST) on the camp counts up to `at`, forecast the rest (by default from the observed
    state at `at`), and the ARDs beside the folder's own rules' (backtest_flee's dict; `options`:
    its keywords, e.g. workers=, likelihood=, base_seed=, fit_from_state=)."""
    fs = folder if isinstance(folder, FleeScenario) else load_flee(folder)
    day = as_date(at, "at")
    return backtest_flee(fs, day, vary=parse_flee_vary(list(vary)), budget=budget,
                         assimilate=assimilate, **options)


def stocks(name_or_path: str | Path | None = "chile-stocks", *, until: Any = None,
           draws: int = 0, seed: int = 0) -> StocksReport:
    """The monthly stocks mode, as `travesia stocks` (docs/stocks.md): a stocks folder
    (`chile-stocks`, `peru-stocks` or a folder) projected month by month to `until` and compared
    with its observations; `draws` > 0 adds 5-95% bands over draws of its priors."""
    return stocks_report(name_or_path, until=None if until is None else as_date(until, "until"),
                         draws=draws, seed=seed)

