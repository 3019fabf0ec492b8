"""`travesia run` for travesia-format scenarios: load, simulate with a progress bar, write,
summarise."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from travesia.runs.ensemble import run_task, task_of
from travesia.errors import ScenarioError
from travesia.scenario.observations import read_observations, stranded_points
from travesia.outputs.plot import plot_stranded
from travesia.runs.posterior import stale_warning
from travesia.runs.priors import params_with_file, scenario_priors
from travesia.model.impacts import scenario_rates
from travesia.model.results import Results
from travesia.scenario import load_scenario
from travesia.scenario.branches import with_branch


def staging_folder(out_dir: Path) -> Path:
    """A new empty folder beside `out_dir` for a run's files; a path that cannot be an output
    folder (below a file, or a file itself) is a user error found before the run, not after."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ScenarioError("the output folder is a file", file=out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial",
                                     dir=out_dir.parent))
    except OSError as exc:
        raise ScenarioError(f"cannot make the output folder ({exc.strerror})",
                            file=out_dir) from None


def publish_folder(staging: Path, out_dir: Path) -> None:
    """Move a finished run's files from `staging` into `out_dir`, each by one rename. Only a run
    whose every file, plots included, was written gets here, so a failed run leaves the previous
    run's files as they were, never a mix of two runs. Other files in `out_dir` are kept."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in staging.iterdir():
        os.replace(path, out_dir / path.name)
    staging.rmdir()


def scenario_observations(sc) -> list:
    if not sc.spec.observations:
        return []
    return read_observations(sc.folder / sc.spec.observations,
                             crossings=[c.name for c in sc.crossings],
                             informal=[i.name for i in sc.informal])


def run_parameters(sc, params_file: Path | None = None):
    """(parameters, where they come from) of a single run: `--params FILE` over the scenario's own;
    without it, a scenario that ships a fit runs its posterior medians (the fit is the forecast)."""
    if params_file:
        return params_with_file(sc, params_file), str(params_file)
    from travesia.runs.posterior import scenario_fit

    return fit_parameters(sc, scenario_fit(sc))


def fit_parameters(sc, fit):
    """(parameters, where they come from) of a run on `fit`'s posterior medians (a LoadedFit, or
    None for the scenario's own parameters); an invalid median raises, naming the fit file."""
    if fit is None:
        return sc.params, "scenario.yaml"
    medians = {k: v for k, v in fit.parameters.items() if k in type(sc.params).model_fields}
    lender = f" of {fit.borrowed_from}" if fit.borrowed_from else ""
    source = f"posterior medians of the fit{lender} ({fit.path.name})"
    return sc.params.with_overrides(medians, file=fit.path), source


def run_scenario(scenario: str | None, *, seed: int = 0, days: int | None = None,
                 out_dir: Path | None = None,
                 params_file: Path | None = None, quiet: bool = False,
                 bands_store: Path | None = None,
                 ensemble_id: str | None = None, branch: str | None = None) -> Results:
    sc = load_scenario(scenario)
    if branch is not None:
        if days is not None:
            raise ScenarioError("a run on a branch runs to the branch's end: drop --days",
                                field="--days")
        sc = with_branch(sc, branch)
    scenario_priors(sc)     # unused by one run, but a folder `check` refuses must not run either
    params, source = run_parameters(sc, params_file)
    warning = stale_warning(params_file, sc) if params_file else None
    if warning:
        click.echo(f"warning: {warning}", err=True)
    run_bands = None
    if bands_store is not None:  # checked before the run, so a bad store fails at once
        from travesia.outputs.bands import bands_for_run

        run_bands = bands_for_run(bands_store, ensemble_id, sc.name, sc.content_hash)
        if run_bands.warning:
            click.echo(f"warning: {run_bands.warning}", err=True)
    observations = scenario_observations(sc)
    rates = scenario_rates(sc.folder)     # a bad rates file fails before the run, not after
    out_dir = Path(out_dir) if out_dir else Path("out") / sc.name
    staging = staging_folder(out_dir)
    try:
        results = _run_into(sc, params, source, seed, days, quiet, run_bands, observations,
                            staging, rates)
        publish_folder(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not quiet:
        print_summary(results)
        click.echo("wrote daily.parquet, crossings.parquet, needs.csv, impacts.csv, "
                   "impacts_places.csv, summary.json, stranded.png"
                   + (", informal.csv" if results.informal_names else "")
                   + (", inflows.csv" if results.inflow_totals() else "") + f" to {out_dir}")
    return results


def simulate_scenario(sc, params, source: str, *, seed: int = 0, days: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> Results:
    """One run of a loaded scenario in memory: the run `travesia run` writes and the Python API
    returns (the same task an ensemble runs). `source` says where the parameters come from."""
    task = task_of(sc, params, {}, 0, seed, days if days and days < sc.days else None,
                   where="--params", branch=sc.extra.get("branch"))
    outcome = run_task(task, progress=progress)
    if outcome.user_error:
        raise ScenarioError(outcome.user_error)
    if outcome.error or outcome.results is None:
        raise RuntimeError(outcome.error or "the run gave no results")
    results = outcome.results
    results.meta = {"scenario_hash": sc.content_hash, "parameters": params.model_dump(),
                    "parameters_from": source,
                    **({"branch": sc.extra["branch"]} if "branch" in sc.extra else {})}
    return results


def _run_into(sc, params, source, seed, days, quiet, run_bands, observations,
              out_dir: Path, rates=None) -> Results:
    if quiet:
        results = simulate_scenario(sc, params, source, seed=seed, days=days)
    else:
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("days"), TimeRemainingColumn())
        with Progress(*columns, transient=True) as bar:
            shown = bar.add_task(sc.name, total=days or sc.days)
            results = simulate_scenario(
                sc, params, source, seed=seed, days=days,
                progress=lambda d, n: bar.update(shown, completed=d, total=n))
    if run_bands is not None:
        results.meta["bands"] = run_bands.source
    results.write(out_dir, rates)
    plot_stranded(results, sc.spec.timeline, out_dir / "stranded.png",
                  observations=stranded_points(observations),
                  title=f"{sc.spec.title or sc.name} — seed {seed}"
                  + (f", branch {sc.extra['branch']}" if "branch" in sc.extra else "")
                  + (f", with the bands of {run_bands.source['runs']} ensemble runs" if run_bands
                     else ""),
                  bands=run_bands.bands if run_bands else None)
    return results


def print_summary(results: Results) -> None:
    s = results.summary()
    console = Console(width=max(Console().width, 120))
    console.print(f"[bold]{s['scenario']}[/] seed {s['seed']}: {s['period']['start']} to "
                  f"{s['period']['end']}, "
                  f"{s['population']:,} people"
                  + (f" + {sum(s['inflows'].values()):,} who came in" if s.get("inflows") else "")
                  + f", {s['wall_seconds']:.2f} s")
    table = Table(title="Border crossings: people held (queued + stranded), flows, needs at the "
                        "peak (Sphere)")
    for col in ("crossing", "peak held", "on", "days≥½peak", "entries", "refused", "night",
                "gave up",
                "water L/d", "toilets"):
        if col == "crossing":
            table.add_column(col, no_wrap=True, min_width=max(len(n) for n in s["crossings"]))
        elif col == "on":
            table.add_column(col, no_wrap=True, min_width=10)
        else:
            table.add_column(col, justify="right")
    for name, c in s["crossings"].items():
        t, needs = c["totals"], c["needs_at_peak"]
        table.add_row(name, f"{c['peak_held']:,}", c["peak_date"] or "-",
                      str(c["days_with_half_peak_or_more"]),
                      f"{t['entries']:,}", f"{t['refused']:,}", f"{t['irregular']:,}",
                      f"{t['gave_up']:,}",
                      f"{needs['water_litres_per_day']:,.0f}", str(needs["toilets"]))
    console.print(table)
    if s.get("informal_crossings"):
        informal = Table(title="Informal crossings (informal.csv): people over the whole run")
        columns = ("attempts", "caught", "crossed", "injured", "died", "gave_up")
        for col in ("informal crossing",) + columns + ("peak waiting",):
            informal.add_column(col.replace("_", " "), no_wrap=col == "informal crossing",
                                justify="left" if col == "informal crossing" else "right")
        for name, t in s["informal_crossings"].items():
            informal.add_row(name, *(f"{t['informal_' + col]:,}" for col in columns),
                             f"{t['peak_waiting']:,}")
        console.print(informal)
    regions = {k: r for k, r in s["impacts"]["regions"].items()
               if r["peak_held"] or r["peak_sheltered"] or r["newly_settled_at_end"]}
    if regions:
        costs = [c for c in next(iter(regions.values()))["totals"] if c.startswith("cost_")]
        host = Table(title="Host communities (impacts.csv): peaks, the newly settled at the end, "
                           "costs over the whole run")
        for col in ("region", "peak held", "peak sheltered", "peak passing", "newly settled",
                    "school places", *(c.removeprefix("cost_").replace("_", " ") for c in costs)):
            host.add_column(col, justify="left" if col == "region" else "right",
                            no_wrap=col == "region")
        for key, r in regions.items():
            host.add_row(key, f"{r['peak_held']:,}", f"{r['peak_sheltered']:,}",
                         f"{r['peak_passing_through']:,}", f"{r['newly_settled_at_end']:,}",
                         f"{r.get('school_places_at_end', 0):,.0f}",
                         *(f"{r['totals'][c]:,.0f}" for c in costs))
        console.print(host)
    final = s["final"]
    console.print("at the end: " + ", ".join(f"{k} {v:,}" for k, v in final.items() if v))
