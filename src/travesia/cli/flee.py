"""Where the command line meets the Flee ruleset (travesia.flee), kept apart from our own runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from travesia.cli.common import echo_ensemble_report


def is_flee_folder(path: Path) -> bool:
    try:
        from travesia.model.flee import is_flee_folder as detect
    except ImportError:
        return False
    return detect(path)


def run_flee(folder: Path, *, settings: Path | None, seed: int, out_dir: Path | None,
             quiet: bool) -> dict:
    from rich.progress import Progress

    from travesia.model.flee import run_flee_folder

    from travesia.runs.runner import publish_folder, staging_folder

    out_dir = Path(out_dir or Path("out") / folder.name)
    staging = staging_folder(out_dir)     # the run's files move in only when all are written
    try:
        if quiet:
            summary = run_flee_folder(folder, settings=settings, seed=seed, out_dir=staging)
        else:
            with Progress(transient=True) as bar:
                task = bar.add_task(f"Flee ruleset: {folder.name}", total=None)
                summary = run_flee_folder(
                    folder, settings=settings, seed=seed, out_dir=staging,
                    progress=lambda d, n: bar.update(task, completed=d, total=n))
        publish_folder(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not quiet:
        click.echo(json.dumps(summary, indent=2, default=str))
        click.echo(f"results in {out_dir}")
    return summary


def score_flee_run(run_dir: Path) -> dict:
    from travesia.model.flee import score_run_dir

    return score_run_dir(run_dir)


def is_flee_arg(scenario, **not_for_flee) -> bool:
    """A command's SCENARIO argument names a Flee folder. `not_for_flee`: options (name -> value
    given) that only our scenarios take; one given with a Flee folder is a user error."""
    if not (bool(scenario) and Path(scenario).is_dir() and is_flee_folder(Path(scenario))):
        return False
    for option, value in not_for_flee.items():
        if value:
            from travesia.errors import ScenarioError

            raise ScenarioError("is for travesia scenarios, not Flee folders (vary the Flee rule "
                                "settings "
                                "with --vary, start from another simsetting.yml with --settings)",
                                file=Path(scenario), field=option)
    return True


def refuse_flee_folder(scenario, command: str, instead: str) -> None:
    """A command for travesia scenarios given a Flee folder: say so (and what to use), not that
    the folder lacks a scenario.yaml."""
    if scenario and Path(scenario).is_dir() and is_flee_folder(Path(scenario)):
        from travesia.errors import ScenarioError

        raise ScenarioError(f"is a Flee folder; `travesia {command}` is for travesia scenarios "
                            f"({instead})", file=Path(scenario))


def flee_only(scenario, **only_for_flee) -> None:
    """For a SCENARIO that is not a Flee folder: options (name -> value given) that only Flee
    folders take are a user error, never silently ignored."""
    for option, value in only_for_flee.items():
        if value:
            from travesia.errors import ScenarioError

            raise ScenarioError(f"is for Flee folders only; {scenario or 'the default scenario'} "
                                "is a travesia scenario", field=option)


def flee_ensemble(folder: Path, *, runs: int, vary: list[str], base_seed: int,
                  settings: Path | None,
                  store_path: Path | None, workers: int | None, scheduler: str | None,
                  days: int | None,
                  quiet: bool) -> None:
    """`travesia ensemble FLEE_FOLDER`: N runs of Flee's rules, --vary naming Flee rule settings."""
    from travesia.inference.flee_runs import (
        load_flee,
        parse_flee_vary,
        plan_flee_ensemble,
        run_flee_ensemble,
    )
    from travesia.outputs.store import default_store_path

    fs = load_flee(folder, settings)
    plan = plan_flee_ensemble(fs, runs, vary=parse_flee_vary(list(vary)), base_seed=base_seed,
                              days=days)
    store_path = store_path or default_store_path(fs.name)
    varied = ", ".join(f"{p.name}={p.text()}" for p
                       in plan.priors.values()) or "nothing (seeds only)"
    click.echo(f"ensemble {plan.ensemble_id} of Flee folder {fs.name} (hasten "
               f"{fs.settings.hasten}): {runs} runs, "
               f"seeds {base_seed}..{base_seed + runs - 1}, varying {varied}; store {store_path}")
    try:
        report = run_flee_ensemble(fs, plan, store_path, workers=workers, scheduler=scheduler,
                                   progress=None if quiet else _every_tenth())
    except KeyboardInterrupt:
        click.echo(f"interrupted: finished runs are in {store_path}; the same command resumes",
                   err=True)
        raise SystemExit(130) from None
    echo_ensemble_report(report, f"travesia bands {store_path}   or   travesia score {store_path}")


def _every_tenth():
    def progress(done, total):
        if done == total or done % max(1, total // 10) == 0:
            click.echo(f"stored {done}/{total} runs", err=True)
    return progress


def flee_calibrate(folder: Path, *, until, budget: int, vary: list[str], settings: Path | None,
                   out: Path | None,
                   store_path: Path | None, obs_error: float, base_seed: int, workers: int | None,
                   scheduler: str | None, progress, likelihood: str = "log") -> None:
    """`travesia calibrate FLEE_FOLDER`: fit Flee rule settings to the camp counts up to --until."""
    from travesia.inference.flee_runs import (
        calibrate_flee,
        fit_scores,
        load_flee,
        parse_flee_vary,
        store_flee_predictive,
        write_flee_fit,
    )
    from travesia.scenario.observations import ObservationModel

    fs = load_flee(folder, settings)
    fit = calibrate_flee(fs, until=until, vary=parse_flee_vary(list(vary)), budget=budget,
                         obs_model=ObservationModel(error=obs_error), base_seed=base_seed,
                         workers=workers,
                         scheduler=scheduler, progress=progress, likelihood=likelihood)
    scores = fit_scores(fit)
    out = out or Path("out") / fs.name / "fitted_simsetting.yml"
    store_path = store_path or out.parent / "calibration.duckdb"
    write_flee_fit(fit, out, scores)
    ensemble_id = store_flee_predictive(fit, store_path)
    click.echo(f"fitted {len(fit.names)} Flee rule settings of {fs.name} to "
               f"{len(fit.observations)} camp counts up to "
               f"{fit.until}: {fit.runs} runs in {fit.wall_seconds:.0f} s, {fit.ess:.0f} runs "
               "behind the fitted surface")
    click.echo("setting                            5%          median      95%         prior")
    for name, s in fit.spread.items():
        click.echo(f"  {name:<32} {s['p05']:<11.4g} {s['p50']:<11.4g} {s['p95']:<11.4g} "
                   f"{s['prior']}")
    click.echo("ARD of the predictive median over the fitted days: "
               f"{scores['ard_fitted_days']:.3f}")
    click.echo(f"wrote {out} (a simsetting.yml: travesia run {folder} --settings {out}); "
               f"predictive ensemble {ensemble_id} in {store_path}")


def flee_backtest(folder: Path, *, dates, budget: int, vary: list[str], settings: Path | None,
                  out: Path | None,
                  obs_error: float, base_seed: int, workers: int | None, scheduler: str | None,
                  progress,
                  likelihood: str = "log", assimilate: bool = True) -> None:
    """`travesia backtest FLEE_FOLDER --at DATE`: fit up to DATE, forecast the rest, ARD beside the
    default rules' (with and without the assimilation at DATE)."""
    from travesia.inference.flee_runs import backtest_flee, load_flee, parse_flee_vary
    from travesia.scenario.observations import ObservationModel

    fs = load_flee(folder, settings)
    priors = parse_flee_vary(list(vary))
    results = []
    for at in sorted(dates):
        r = backtest_flee(fs, at, vary=priors, budget=budget,
                          obs_model=ObservationModel(error=obs_error),
                          base_seed=base_seed, workers=workers, scheduler=scheduler,
                          progress=progress,
                          likelihood=likelihood, assimilate=assimilate)
        results.append(r)
        click.echo(f"at {r['at']}: fitted to {r['observations_fitted']} camp counts ({r['runs']} "
                   "runs, "
                   f"{r['wall_seconds']:.0f} s); forecast of the {r['forecast_days']} days after "
                   "it:")
        click.echo(f"  ARD fitted forecast (median of {r['predictive_runs']} runs) "
                   f"{r['ard_forecast']:.3f}   "
                   f"default rules (median of {r['default_rule_runs']} runs) "
                   f"{r['ard_default_rules']:.3f}   "
                   f"difference {r['ard_difference']:+.3f}")
        if r["ard_default_rules_assimilated"] is not None:
            click.echo("  (the forecast starts from the camps' latest counts up to the date; the "
                       "default rules so started: ARD "
                       f"{r['ard_default_rules_assimilated']:.3f})")
    out = out or Path("out") / fs.name / "backtest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"case": fs.name, "at": results}, indent=2, default=str),
                   encoding="utf-8")
    click.echo(f"wrote {out}")


def score_flee_store_if_any(path: Path) -> dict | None:
    """The scores of an ensemble store of a Flee folder; None for any other path."""
    if not path.is_file():
        return None
    from travesia.inference.flee_runs import flee_store_meta, score_flee_store

    try:
        if flee_store_meta(path) is None:
            return None
    except Exception:  # noqa: BLE001 - not a store we can read: score_path says why
        return None
    return score_flee_store(path)


def flee_camp_points(store_path: Path, ensemble_id: str) -> dict | None:
    """The weekly camp counts of a Flee ensemble's folder, as bands.png draws points; None for
    others."""
    from travesia.inference.flee_runs import flee_ensemble_case, flee_observations, flee_store_meta

    found = flee_store_meta(store_path, ensemble_id)
    if found is None:
        return None
    fs = flee_ensemble_case(*found)
    if fs is None:
        return None
    points: dict = {}
    for o in flee_observations(fs):
        points.setdefault(o.place, []).append((o.date, o.value, None, None))
    return points
