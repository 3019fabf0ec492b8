"""Which scenario and which results a server or a report shows: run folders, a store, or a fresh
baseline."""

from __future__ import annotations

import json
from pathlib import Path

import click

from travesia.errors import ScenarioError

BASELINE_SEEDS = 4


def scenario_of_sources(store: Path | None, runs: tuple[Path, ...]) -> str | None:
    """The scenario the given results are of: a run's summary names it; a store's latest ensemble
    names its folder (or, for a built-in one, its name)."""
    for run in runs:
        summary = Path(run) / "summary.json"
        if summary.is_file():
            try:
                found = json.loads(summary.read_text(encoding="utf-8"))
            except ValueError:
                raise ScenarioError("summary.json is not JSON", file=summary) from None
            if isinstance(found, dict) and found.get("ruleset") != "flee":   # Flee's: no scenario
                return found.get("scenario")
    if store is not None:
        from travesia.scenario import builtin_scenarios
        from travesia.web.data import StoreReader

        ensembles = [e for e in StoreReader(store).ensembles() if e["ruleset"] != "flee"]
        if ensembles:
            latest = ensembles[-1]
            if latest["scenario"] in builtin_scenarios():
                return latest["scenario"]
            if latest.get("scenario_folder") and Path(latest["scenario_folder"]).is_dir():
                return latest["scenario_folder"]
            return latest["scenario"]
    return None


def build(scenario: str | None, store: Path | None, runs: tuple[Path, ...], *,
          baseline_if_empty: bool = True):
    """The scenario view and the catalogue of datasets to show (with a fresh baseline if none)."""
    from travesia.web.data import Catalogue
    from travesia.web.scenario_view import ScenarioView

    named = scenario or scenario_of_sources(store, runs)
    try:
        view = ScenarioView.load(named)
    except ScenarioError as exc:
        if scenario or named is None:
            raise
        raise ScenarioError(f"{exc.message} (the results are of scenario '{named}': give its "
                            "folder with --scenario)",
                            field="--scenario") from None
    catalogue = Catalogue(view.scenario.name)
    # what `make run` and `travesia ensemble` leave by default
    if not runs and store is None:
        default = Path("out") / view.scenario.name
        if (default / "summary.json").is_file():
            runs = (default,)
        if (default / "ensemble.duckdb").is_file():
            store = default / "ensemble.duckdb"
    for run in runs:
        catalogue.add_run_dir(Path(run))
    if store is not None:
        catalogue.add_store(Path(store))
    for info in catalogue.list():
        if info.get("scenario_hash") and info["scenario_hash"] != view.scenario.content_hash:
            click.echo(f"warning: {info['id']} was run on other scenario files than "
                       f"{view.scenario.folder} "
                       f"(hash {info['scenario_hash']}, now {view.scenario.content_hash})",
                       err=True)
    if not catalogue.ids() and baseline_if_empty:
        catalogue.add_dataset(baseline_dataset(view, BASELINE_SEEDS))
    return view, catalogue


def baseline_dataset(view, seeds: int):
    """A baseline of a few seeds of the scenario as it stands, when no results were given: run s
    takes the posterior draw `travesia ensemble` gives run s when the scenario names a fit. The
    runs are run tasks (ensemble.py), run in this process."""
    from travesia.runs.ensemble import run_task, task_of
    from travesia.runs.posterior import posterior_values, scenario_fit, scenario_fit_warning
    from travesia.scenario.data_values import split_values
    from travesia.web.data import from_results

    sc = view.scenario
    fit = scenario_fit(sc)
    if fit is not None:
        warning = scenario_fit_warning(sc, fit)
        if warning:
            click.echo(f"warning: {warning}", err=True)
    results, params, datas = [], [], []
    for s in range(seeds):
        values = posterior_values(fit, 0, s) if fit is not None else {}
        task = task_of(sc, sc.params, values, s, s, None,
                       where=str(fit.path) if fit else "scenario.yaml")
        outcome = run_task(task)
        if outcome.error:
            raise ScenarioError(f"a baseline run failed: {outcome.error.splitlines()[0]}",
                                file=sc.folder)
        assert outcome.results is not None          # an outcome without error has results
        results.append(outcome.results)
        params.append(json.loads(task.parameters_json))
        datas.append(split_values(values)[1])
    if fit is None:
        return from_results("baseline", "run",
                            f"baseline: {seeds} seeds of the scenario's parameters", results,
                            params)
    return from_results("baseline", "run",
                        f"baseline: {seeds} seeds, each with a draw of the fit's posterior",
                        results, params, data=datas)
