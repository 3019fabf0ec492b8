"""`travesia ensemble`, `travesia bands`, `travesia sensitivity` (registered at the end of
cli.py)."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import click

from travesia.cli.common import echo_ensemble_report, user_errors
from travesia.errors import WorkerDied


def _progress_columns():
    from rich.progress import (BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn,
                               TimeElapsedColumn,
                               TimeRemainingColumn)
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Runs per minute, from rich's moving estimate of speed."""

        def render(self, task):
            speed = task.finished_speed or task.speed
            return Text("-- runs/min" if not speed else f"{60 * speed:,.1f} runs/min",
                        style="progress.data.speed")

    return (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("runs"),
            RateColumn(), TimeElapsedColumn(), TextColumn("elapsed"), TimeRemainingColumn(),
            TextColumn("left"))


@click.command()
@click.argument("scenario", required=False)
@click.option("--runs", type=click.IntRange(min=1), default=100, show_default=True,
              help="Number of runs.")
@click.option("--vary", multiple=True, metavar="NAME=DIST",
              help="An uncertain parameter: uniform(low,high), normal(mean,sd), "
                   "lognormal(median,sigma) or "
                   "[a,b,c]; dotted names reach into mappings (departure_rate_per_day.irregular). "
                   "Repeat for several; replaces the scenario's prior of that name.")
@click.option("--seed", "base_seed", type=click.IntRange(0, 2**63 - 1), default=0,
              show_default=True,
              help="Base seed: run i has seed BASE+i and its draws are seeded from BASE.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on the Dask distributed scheduler at ADDRESS (tcp://host:8786) instead of "
                   "locally.")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="DuckDB results store (default: out/<scenario>/ensemble.duckdb).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: one per core).")
@click.option("--params", "params_file", type=click.Path(path_type=Path), default=None,
              help="YAML/JSON file of parameter values overriding the scenario's (the base of the "
                   "draws).")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Simulate only the first N days.")
@click.option("--no-priors", is_flag=True,
              help="Ignore the scenario's priors: vary only what --vary names.")
@click.option("--from", "draw_from", type=click.Choice(["posterior", "priors"]), default=None,
              help="Draw the fitted parameters from the posterior of the fit the scenario names "
                   "(`fit:` in "
                   "scenario.yaml; the default when it names one) or from the scenario's priors.")
@click.option("--settings", type=click.Path(path_type=Path), default=None,
              help="Flee folders only: the simsetting.yml the runs start from (--vary names its "
                   "settings).")
@click.option("--branch", default=None, metavar="ID",
              help="Run every run on this branch of the scenario's future (scenario.yaml "
                   "`branches:`; docs/branches.md).")
@click.option("--branches", type=click.Choice(["mix", "each"]), default=None,
              help="mix: each run takes a branch drawn by weight (from its seed); each: --runs "
                   "runs on every branch, seed for seed.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@user_errors
def ensemble(scenario, runs, vary, base_seed, scheduler, store_path, workers, params_file, days,
             no_priors,
             draw_from, settings, branch, branches, quiet):
    """Run an ensemble of SCENARIO (a built-in name or a folder): N runs over seeds and uncertain
    parameters (the posterior of the scenario's fit, if it names one; else its priors), stored as
    each finishes. Running the same command again resumes it. A Flee folder runs with Flee's
    rules, --vary naming its rule settings (camp_movechance=uniform(0.0005,0.01))."""
    from travesia.cli.flee import flee_ensemble, flee_only, is_flee_arg

    if is_flee_arg(scenario, **{"--params": params_file, "--no-priors": no_priors,
                                "--from": draw_from, "--branch": branch,
                                "--branches": branches}):
        flee_ensemble(Path(scenario), runs=runs, vary=list(vary), base_seed=base_seed,
                      settings=settings,
                      store_path=store_path, workers=workers, scheduler=scheduler, days=days,
                      quiet=quiet)
        return
    flee_only(scenario, **{"--settings": settings})
    from rich.progress import Progress

    from travesia.runs.ensemble import plan_ensemble, run_ensemble
    from travesia.runs.priors import parse_vary
    from travesia.outputs.store import default_store_path

    priors = [parse_vary(text) for text in vary]
    plan = plan_ensemble(scenario, runs, vary=priors, base_seed=base_seed, params_file=params_file,
                         days=days,
                         use_scenario_priors=not no_priors, draw_from=draw_from,
                         branch=branch, branches=branches)
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    store_path = store_path or default_store_path(plan.scenario.name)
    local = workers or os.cpu_count()
    where = (f"Dask scheduler {scheduler}" if scheduler
             else f"{local} local worker process{'es' if local != 1 else ''}")
    varied = ", ".join(f"{p.name}={p.text()}" for p in plan.priors.values())
    if plan.posterior is not None:
        fitted = f"{len(plan.posterior_names)} fitted parameters from the {plan.posterior.label}"
        varied = f"{fitted}, {varied}" if varied else fitted
    varied = varied or "nothing (seeds only)"
    if branch or branches:
        ids = ", ".join(b.id for b in plan.scenario.spec.branches)
        varied += f"; on branch {branch}" if branch else f"; branches {branches} ({ids})"
    click.echo(f"ensemble {plan.ensemble_id} of {plan.scenario.name}: {len(plan.tasks)} "
               f"runs, seeds "
               f"{base_seed}.."
               f"{base_seed + runs - 1}, varying {varied}; on {where}; store {store_path}")
    try:
        if quiet:
            report = run_ensemble(plan, store_path, workers=workers, scheduler=scheduler)
        # a log (CI, a cluster job): plain lines, at most one a second
        elif not sys.stdout.isatty():
            report = run_ensemble(plan, store_path, workers=workers, scheduler=scheduler,
                                  progress=_log_lines())
        else:
            with Progress(*_progress_columns()) as bar:
                task = bar.add_task(plan.scenario.name, total=len(plan.tasks))
                first = []

                def progress(done, total):
                    if not first:   # runs already stored do not count towards the rate
                        first.append(done)
                        bar.reset(task, total=total, completed=done)
                    else:
                        bar.update(task, completed=done)

                report = run_ensemble(plan, store_path, workers=workers, scheduler=scheduler,
                                      progress=progress)
    except KeyboardInterrupt:
        click.echo(f"interrupted: finished runs are in {store_path}; the same command resumes",
                   err=True)
        sys.exit(130)
    except WorkerDied as exc:
        click.echo(f"error: {exc.message}; finished runs are in {store_path}; the same command "
                   "resumes", err=True)
        sys.exit(1)
    echo_ensemble_report(report,
                         f"travesia bands {store_path}   or   travesia sensitivity {store_path}")


def _log_lines():
    import time

    state = {"start": None, "first": 0, "shown": 0.0}

    def progress(done, total):
        now = time.monotonic()
        if state["start"] is None:
            state["start"], state["first"] = now, done
        if done == state["first"] or (done < total and now - state["shown"] < 1.0):
            return
        state["shown"] = now
        ran, elapsed = done - state["first"], now - state["start"]
        rate = 60 * ran / elapsed if ran and elapsed > 0 else 0.0
        left = f", about {(total - done) * 60 / rate:.0f} s left" if rate else ""
        click.echo(f"stored {done}/{total} runs ({rate:,.1f} runs/min{left})")

    return progress


def _scenario_of(ens: dict):
    """The ensemble's scenario, if its folder is still here unchanged (for observations and
    events)."""
    from travesia.errors import ScenarioError
    from travesia.scenario import load_scenario

    for where in (ens["scenario_folder"], ens["scenario"]):
        try:
            sc = load_scenario(where)
        except ScenarioError:
            continue
        if sc.content_hash == ens["scenario_hash"]:
            return sc
    return None


@click.command()
@click.argument("store_path", metavar="STORE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--measure", default="held", show_default=True,
              help="At crossings: held (queued + stranded), stranded, queue, exits, entries, "
                   "refused, "
                   "irregular, "
                   "departures, corridor, gave_up, flown, sheltered, removed; at informal "
                   "crossings: informal_attempts, informal_caught, informal_crossed, "
                   "informal_injured, informal_died, ...")
@click.option("--crossing", default=None,
              help="One crossing (default: each); of an informal measure, one informal crossing.")
@click.option("--place", default=None, help="A place instead of crossings (with --state).")
@click.option("--state", default=None,
              help="The state of people at --place: settled, travelling, queued, ...")
@click.option("--ensemble", "ensemble_id", default=None,
              help="Ensemble id or prefix (default: the latest).")
@click.option("--branch", default=None, metavar="ID",
              help="Only the runs of this branch of the future (an ensemble run with --branches).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: the store's folder).")
@user_errors
def bands(store_path, measure, crossing, place, state, ensemble_id, branch, out_dir):
    """5/25/50/75/95% quantiles per day over an ensemble's runs: printed, written to bands.csv and
    bands.parquet, and drawn in bands.png (with the scenario's observations)."""
    from rich.console import Console
    from rich.table import Table

    from travesia.outputs.bands import compute_bands, plot_bands, write_bands

    from travesia.outputs.store import Store

    with Store(store_path, read_only=True) as store:     # DuckDB's errors come out as one line
        ens = store.ensemble(ensemble_id)
        result = compute_bands(store, ens["ensemble_id"], measure=measure, crossing=crossing,
                               place=place,
                               state=state, branch=branch)
    out_dir = out_dir or store_path.parent
    paths = write_bands(result, out_dir)
    sc = _scenario_of(ens)
    observations, events = None, ()
    if sc is not None:
        if branch is not None:
            from travesia.scenario.branches import with_branch

            sc = with_branch(sc, branch)
        events = sc.spec.timeline
        if place is None and measure == "held":
            from travesia.scenario.observations import stranded_points
            from travesia.runs.runner import scenario_observations

            observations = stranded_points(scenario_observations(sc))
    if sc is None and observations is None:
        from travesia.cli.flee import flee_camp_points

        observations = flee_camp_points(store_path, ens["ensemble_id"])
    title = (f"{ens['scenario']} — ensemble {ens['ensemble_id']}, {result[0].runs} runs"
             + (f", branch {branch}" if branch else ""))
    png = plot_bands(result, out_dir / "bands.png", observations=observations, events=events,
                     title=title)
    console = Console()
    for b in result:
        table = Table(title=f"{b.label}: {b.measure}, {b.runs} runs")
        for col in ("date", "5%", "25%", "median", "75%", "95%"):
            table.add_column(col, justify="right")
        step = max(1, -(-len(b.dates) // 30))   # at most ~30 rows; every day is in the files
        for i in range(0, len(b.dates), step):
            table.add_row(b.dates[i].isoformat(), *(f"{v:,.0f}" for v in b.q[:, i]))
        console.print(table)
        if step > 1:
            console.print(f"(every {step} days shown; every day in {paths['csv'].name})")
    click.echo(f"wrote {paths['csv'].name}, {paths['parquet'].name}, {png.name} to {out_dir}")


@click.command()
@click.argument("store_path", metavar="STORE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--ensemble", "ensemble_id", default=None,
              help="Ensemble id or prefix (default: the latest).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: the store's folder).")
@user_errors
def sensitivity(store_path, ensemble_id, out_dir):
    """Which varied parameters move the peak number held at each crossing most: Spearman rank
    correlation and partial rank correlation (PRCC), printed and written to
    sensitivity.csv/.json."""
    from rich.console import Console
    from rich.table import Table

    from travesia.inference.sensitivity import sensitivity as compute, write_sensitivity

    from travesia.outputs.store import Store

    with Store(store_path, read_only=True) as store:
        ens = store.ensemble(ensemble_id)
        rows = compute(store, ens["ensemble_id"])
    paths = write_sensitivity(rows, out_dir or store_path.parent)
    console = Console()
    for crossing in dict.fromkeys(r.crossing for r in rows):
        table = Table(title=f"peak held at {crossing} ({rows[0].runs} runs of ensemble "
                            f"{ens['ensemble_id']})")
        table.add_column("parameter", no_wrap=True)
        for col in ("Spearman ρ", "partial ρ (PRCC)", "Spearman ρ vs chance (5%)"):
            table.add_column(col, justify="right")
        for r in rows:
            if r.crossing == crossing:
                table.add_row(r.parameter, _signed(r.spearman), _signed(r.prcc),
                              "beyond" if r.clear else "within")
        console.print(table)
    click.echo(f"wrote {paths['csv'].name}, {paths['json'].name} to {paths['csv'].parent}")


def _signed(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:+.2f}"   # NaN: no variation to rank
