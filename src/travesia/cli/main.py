"""The `travesia` command group and its own commands (run, scenarios, scenario, phases, parameters,
score); the others are registered from the modules beside this one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from travesia.errors import ScenarioError
from travesia.cli.common import user_errors


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="travesia")
def main() -> None:
    """travesia: simulate and forecast migration across borders when policy shocks hit."""


@main.command()
@click.argument("scenario", required=False)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Random seed: one seed gives one result.")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Simulate only the first N days.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: out/<scenario>).")
@click.option("--params", "params_file", type=click.Path(path_type=Path), default=None,
              help="YAML/JSON file of parameter values overriding the scenario's.")
@click.option("--settings", type=click.Path(path_type=Path), default=None,
              help="Flee folders only: the simsetting.yml to use.")
@click.option("--quiet", is_flag=True, help="No progress bar or table.")
@click.option("--bands", "bands_store", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="An ensemble store (travesia ensemble): draw its 5-95% and 25-75% bands of "
                   "people held "
                   "on stranded.png.")
@click.option("--ensemble", "ensemble_id", default=None,
              help="With --bands: which ensemble of the store (id or unique prefix; default: the "
                   "latest).")
@click.option("--branch", default=None, metavar="ID",
              help="Run this branch of the scenario's future (scenario.yaml `branches:`; "
                   "`travesia branches SCENARIO` lists them): its events from its date, to its "
                   "end.")
@user_errors
def run(scenario, seed, days, out_dir, params_file, settings, quiet, bands_store, ensemble_id,
        branch):
    """Run SCENARIO (a built-in name or a folder; default chile-peru-2025) and write its results:
    daily.parquet, crossings.parquet, summary.json and stranded.png."""
    from travesia.cli.flee import flee_only, is_flee_folder, run_flee

    if scenario and Path(scenario).is_dir() and is_flee_folder(Path(scenario)):
        if branch is not None:
            raise ScenarioError("--branch is for travesia scenarios; a Flee folder has no "
                                "branches", file=Path(scenario), field="--branch")
        if bands_store is not None:
            raise ScenarioError("--bands is for travesia scenarios; a Flee folder has no ensemble "
                                "bands",
                                file=Path(scenario), field="--bands")
        for option, value in (("--params", params_file), ("--days", days)):
            if value is not None:
                raise ScenarioError("is for travesia scenarios; a Flee folder runs its whole "
                                    "period with the rule settings of --settings",
                                    file=Path(scenario), field=option)
        run_flee(Path(scenario), settings=settings, seed=seed, out_dir=out_dir, quiet=quiet)
        return
    flee_only(scenario, **{"--settings": settings})
    if ensemble_id is not None and bands_store is None:
        raise ScenarioError("--ensemble goes with --bands STORE", field="--ensemble")
    from travesia.runs.runner import run_scenario

    run_scenario(scenario, seed=seed, days=days, out_dir=out_dir, params_file=params_file,
                 quiet=quiet,
                 bands_store=bands_store, ensemble_id=ensemble_id, branch=branch)


@main.command("scenarios")
def list_scenarios():
    """List the built-in scenarios."""
    from travesia.scenario import builtin_scenarios, load_scenario

    for name in builtin_scenarios():
        sc = load_scenario(name)
        click.echo(f"{name}\t{sc.spec.start} to {sc.spec.end}\t{sc.spec.title}")


@main.group()
def scenario():
    """Check and inspect scenarios."""


@scenario.command("check")
@click.argument("path")
@user_errors
def scenario_check(path):
    """Validate the scenario (or Flee folder, or stocks folder) at PATH: exit 0 if it is sound,
    else one line naming file, row, field."""
    from travesia.cli.flee import is_flee_folder

    if Path(path).is_dir() and (Path(path) / "stocks.yaml").is_file():
        from travesia.runs.stocks import check_stocks

        click.echo(check_stocks(path))
        return
    if Path(path).is_dir() and is_flee_folder(Path(path)):
        from travesia.model.flee.reader import read_case
        from travesia.model.flee.world import compile_world as compile_flee_world

        case = read_case(Path(path))
        compile_flee_world(case, case.settings)
        click.echo(f"ok: Flee folder {case.name}: {len(case.locations.name)} locations, "
                   f"{len(case.routes.src)} routes, {case.length_days} days from "
                   f"{case.start_date}")
        return
    from travesia.runs.checks import check_scenario

    checked = check_scenario(path)
    sc, world = checked.scenario, checked.world
    click.echo(f"ok: {sc.name}: {len(world.place_names)} places, {len(world.crossing_names)} "
               "crossings, "
               + (f"{len(world.informal)} informal crossings, " if len(world.informal) else "")
               + f"{world.population:,} people, {len(sc.spec.timeline)} events, {sc.days} days, "
               f"{checked.priors} priors, {checked.observations} observations"
               + (f", {len(sc.spec.branches)} branches of the future" if sc.spec.branches
                  else "")
               + (f", a fit of {checked.fit_draws} draws" if checked.fit_draws else ""))


@scenario.command("new")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write (default: ./NAME); it must not exist or be empty.")
@user_errors
def scenario_new(name, folder):
    """Write a commented starting folder for a new scenario NAME: every file of the format, with
    placeholder numbers marked `assumption` to replace with sourced figures."""
    from travesia.scenario.new import new_scenario

    target = new_scenario(name, folder)
    click.echo(f"wrote {target}: scenario.yaml, sources.csv, places.csv, routes.csv, "
               "crossings.csv, population.csv, documents.csv, groups.csv, informal_crossings.csv, "
               "SOURCES.md")
    click.echo(f"next: edit the files (docs/scenario-format.md), then `travesia scenario check "
               f"{target}` and `travesia run {target}`")


@scenario.command("show")
@click.argument("path", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the compiled scenario as JSON.")
@user_errors
def scenario_show(path, as_json):
    """Show the compiled scenario: population by nationality, status and region; places; crossings;
    events."""
    from travesia.scenario import load_scenario
    from travesia.scenario.describe import describe

    from travesia.cli.flee import refuse_flee_folder

    refuse_flee_folder(path, "scenario show", "`travesia scenario check FOLDER` describes it")
    info = describe(load_scenario(path))
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False, default=str))
        return
    pop = info["population"]
    click.echo(f"{info['name']}: {info['title']}\n{info['start']} to {info['end']}")
    click.echo(f"population: {pop['total']:,} ({pop['by_status'].get('irregular', 0):,} irregular)")
    for nat, n in sorted(pop["by_nationality"].items(), key=lambda kv: -kv[1]):
        click.echo(f"  {nat:<12} {n:>10,}")
    click.echo("crossings:")
    for c in info["crossings"]:
        click.echo(f"  {c['name']}: {c['exit_post']} -> {c['entry_post']}, entry admits "
                   f"{c['entry_admits']}")
    for place in info["places"]:
        if "capacity" in place:
            click.echo(f"  {place['name']} absorbs {place['capacity']:,}, then "
                       f"{place.get('beyond_capacity') or 'settle'}")
    if info.get("inflows"):
        click.echo("inflows:")
        for r in info["inflows"]:
            click.echo(f"  {r['start']} to {r['end']}  {r['people_per_day']:g}/day at "
                       f"{r['place']}: {r['nationality']} {r['status']}, {r['mode']}")
    if info["informal_crossings"]:
        click.echo("informal crossings:")
        for r in info["informal_crossings"]:
            click.echo(f"  {r['name']}: {r['from']} -> {r['to']} beside {r['border']}, "
                       f"{r['capacity_per_day']:g} a day, detection {r['detection']:g}, injury "
                       f"{r['injury_risk']:g}, death {r['death_risk']:g}, {r['km']:g} km "
                       f"{r['mode']}")
    click.echo("timeline:")
    for ev in info["timeline"]:
        click.echo(f"  {ev['date']}  {ev['type']:<10} {ev.get('note') or ''}")
    if info["branches"]:
        click.echo("branches of the future (docs/branches.md):")
        for b in info["branches"]:
            click.echo(f"  {b['id']} (weight {b['weight']:g}, from {b['after']} to "
                       f"{b.get('end') or info['end']}): {b.get('title') or ''}")
            for ev in b.get("timeline", []):
                click.echo(f"    {ev['date']}  {ev['type']:<10} {ev.get('note') or ''}")


@main.command()
def phases():
    """Print the plan of one simulated day: the phases of the travesia ruleset, in order."""
    from travesia.model.engine import PLAN

    for i, phase in enumerate(PLAN, start=1):
        click.echo(f"{i}. {phase.name:<17} docs/model.md {phase.section}  {phase.does}")


@main.command()
def parameters():
    """List the model's behaviour parameters with their defaults and meanings."""
    from travesia.scenario.parameters import Parameters

    for name, info in Parameters.model_fields.items():
        click.echo(f"{name} = {info.default!r}\n    {info.description}")


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--observations", type=click.Path(path_type=Path), default=None,
              help="Observations CSV (default: the scenario's own).")
@click.option("--observation-noise/--no-observation-noise", default=True, show_default=True,
              help="For a store made by a fit: add the reporting error the fit assumed to the "
                   "runs' values.")
@user_errors
def score(path, observations, observation_noise):
    """Score a run folder, an ensemble store (.duckdb) or a Flee-style run against observations:
    errors per observation, 50%/90% coverage, weighted interval score, and the same for two naive
    forecasts (last value carried forward; zero). Flee-style runs also get the averaged relative
    difference."""
    from travesia.cli.flee import score_flee_store_if_any
    from travesia.outputs.scores import score_path

    flee = score_flee_store_if_any(path)
    if flee is not None:
        click.echo(json.dumps(flee, indent=2, default=str))
        return
    click.echo(json.dumps(score_path(path, observations, observation_noise=observation_noise),
                          indent=2,
                          default=str))



@main.group()
def store():
    """Inspect results stores."""


@store.command("verify")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@user_errors
def store_verify(path):
    """Read every table of the store at PATH to its last row; exit 0 if all can be read, else
    print what cannot and exit 2. A damaged store is never written to by `ensemble`."""
    from travesia.outputs.store import Store

    with Store(path, read_only=True) as opened:
        report = opened.verify()
    width = max(len(row["part"]) for row in report)
    for row in report:
        click.echo(f"{row['part']:<{width}}  " + (f"{row['rows']:>12,}" if "rows" in row
                                                  else f"unreadable: {row['error']}"))
    bad = [row["part"] for row in report if "error" in row]
    if bad:
        click.echo(f"error: {path}: damaged: {', '.join(bad)} cannot be read", err=True)
        sys.exit(2)


from travesia.cli.ensemble import bands, ensemble, sensitivity  # noqa: E402

for _cmd in (ensemble, bands, sensitivity):
    main.add_command(_cmd)

from travesia.cli.branches import branches  # noqa: E402

main.add_command(branches)

from travesia.cli.web import report, serve  # noqa: E402

for _cmd in (serve, report):
    main.add_command(_cmd)

from travesia.cli.calibrate import backtest, calibrate, forecast  # noqa: E402

for _cmd in (calibrate, backtest, forecast):
    main.add_command(_cmd)

from travesia.cli.stocks import stocks  # noqa: E402

main.add_command(stocks)

if __name__ == "__main__":
    main()
