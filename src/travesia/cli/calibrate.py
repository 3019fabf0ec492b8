"""`travesia calibrate`, `travesia backtest` and `travesia forecast` (registered at the end of
cli.py)."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import click

from travesia.cli.common import check_output_paths, user_errors


class DateType(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"not a date (YYYY-MM-DD): '{value}'", param, ctx)


_future_option = click.option(
    "--future", type=click.Choice(["planned", "frozen", "as-happened"]), default="planned",
    show_default=True,
    help="Timeline events the runs know at DATE: planned (dated by DATE or announced by then), "
         "frozen "
         "(dated by DATE), as-happened (all, hindsight).")


def _flee_settings_option(fn):
    fn = click.option("--likelihood", type=click.Choice(["log", "ard"]), default="log",
                      show_default=True,
                      help="Flee folders only: log (each camp count a report with --obs-error) or "
                           "ard (each "
                           "day's camp counts scored like Flee's ARD).")(fn)
    return click.option("--settings", type=click.Path(path_type=Path), default=None,
                        help="Flee folders only: the simsetting.yml the fit starts from (default: "
                             "the "
                             "folder's own).")(fn)


def _fit_options(fn):
    options = [
        click.option(
            "--observations",
            type=click.Path(path_type=Path),
            default=None,
            help="CSV of observed counts (default: the scenario's own).",
        ),
        click.option(
            "--vary",
            multiple=True,
            metavar="NAME=DIST",
            help="Fit this parameter too (or replace the scenario's prior of that name): "
            "uniform(low,high), normal(mean,sd), lognormal(median,sigma) or [a,b,c].",
        ),
        click.option(
            "--prior-from",
            "prior_from",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            metavar="FIT",
            help="Scenarios only: a fitted_params.yaml (of this or another scenario) whose "
                 "posterior becomes the prior of the behaviour parameters it holds; --vary "
                 "still wins.",
        ),
        click.option(
            "--measures",
            default=None,
            metavar="LIST",
            help="Fit only these model series (comma-separated: held, irregular_caught, gave_up, "
                 "...).",
        ),
        click.option(
            "--obs-error",
            type=click.FloatRange(min=0.01),
            default=0.5,
            show_default=True,
            help="Reporting error: sd of log(1 + count) of a report around the model's value.",
        ),
        click.option(
            "--seed",
            "base_seed",
            type=click.IntRange(0, 2**63 - 1),
            default=0,
            show_default=True,
            help="Base seed of the runs.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help="Local worker processes (default: one per core).",
        ),
        click.option(
            "--scheduler",
            default=None,
            metavar="ADDRESS",
            help="Run on the Dask distributed scheduler at ADDRESS instead of locally.",
        ),
        click.option("--quiet", is_flag=True, help="No progress lines."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _progress(quiet: bool, label: str = ""):
    if quiet:
        return None
    state = {"shown": 0.0, "start": time.monotonic()}

    def progress(done, total):
        now = time.monotonic()
        if done < total and now - state["shown"] < 5.0:
            return
        state["shown"] = now
        elapsed = now - state["start"]
        rate = f"{done / elapsed * 60:,.0f} runs/min" if elapsed > 1 else "starting"
        click.echo(f"{label}{done}/{total} runs ({rate})", err=True)

    return progress


@click.command()
@click.argument("scenario", required=False)
@click.option("--until", type=DateType(), default=None,
              help="Fit observations up to this date (default: all).")
@click.option("--budget", type=click.IntRange(min=40), default=2000, show_default=True,
              help="Runs in all (a tenth, 20 to 200, for the predictive ensemble).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fitted parameters file (default: out/<scenario>/fitted_params.yaml).")
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Store for the predictive ensemble (default: beside --out, calibration.duckdb).")
@click.option("--params", "params_file", type=click.Path(path_type=Path), default=None,
              help="YAML/JSON parameter values the fitted ones replace (default: the scenario's).")
@click.option("--future", type=click.Choice(["as-happened", "planned", "frozen"]),
              default="as-happened",
              show_default=True,
              help="Timeline events the runs know at --until: all (as-happened), those "
                                      "announced by then (planned) or dated by then (frozen).")
@_flee_settings_option
@_fit_options
@user_errors
def calibrate(scenario, until, budget, out, store_path, params_file, future, settings, likelihood,
              observations, vary, prior_from,
              measures, obs_error, base_seed, workers, scheduler, quiet):
    """Fit SCENARIO's uncertain parameters (its priors, plus --vary) to the observations up to
    --until; write the fitted values (a file `run`/`ensemble` take with --params), a posterior
    sample beside it, the predictive ensemble to a store; print the fit's scores. A Flee folder:
    fit the Flee rule settings --vary names to its camp counts; the fit is a simsetting.yml."""
    from travesia.cli.flee import flee_calibrate, flee_only, is_flee_arg

    check_output_paths(**{"--out": out, "--store": store_path})
    if is_flee_arg(scenario, **{"--params": params_file, "--observations": observations,
                                "--measures": measures, "--prior-from": prior_from}):
        flee_calibrate(Path(scenario), until=until, budget=budget, vary=list(vary),
                       settings=settings, out=out,
                       store_path=store_path, obs_error=obs_error, base_seed=base_seed,
                       workers=workers,
                       scheduler=scheduler, progress=_progress(quiet), likelihood=likelihood)
        return
    flee_only(scenario, **{"--settings": settings, "--likelihood": likelihood != "log"})
    from travesia.inference.calibrate import (
        ObservationModel,
        calibrate as fit_scenario,
        store_predictive,
        write_fit,
    )
    from travesia.runs.posterior import stale_warning
    from travesia.runs.priors import parse_vary
    from travesia.scenario import load_scenario

    sc = load_scenario(scenario)
    warning = stale_warning(params_file, sc) if params_file else None
    if warning:
        click.echo(f"warning: {warning}", err=True)
    out = out or Path("out") / sc.name / "fitted_params.yaml"
    store_path = store_path or out.parent / "calibration.duckdb"
    fit = fit_scenario(sc, observations=observations, until=until, budget=budget,
                       vary=[parse_vary(v) for v in vary], measures=_measures(measures),
                       params_file=params_file,
                       obs_model=ObservationModel(error=obs_error), base_seed=base_seed,
                       workers=workers,
                       scheduler=scheduler, progress=_progress(quiet), future=future,
                       prior_from=prior_from)
    table = fit.scores()
    summary = table.summary()
    paths = write_fit(fit, out, summary)
    ensemble_id = store_predictive(fit, store_path)
    (out.with_name(out.stem
                   + ".scores.json")).write_text(json.dumps(table.to_dict(), indent=2),
                                                 encoding="utf-8")
    click.echo(f"fitted {len(fit.names)} parameters of {sc.name} to {len(fit.observations)} "
               "observations up to "
               f"{fit.until}: {fit.runs} runs in {fit.wall_seconds:.0f} s, {fit.ess:.0f} runs "
               "behind the fitted surface")
    _print_spread(fit.spread)
    _print_scores(summary, "fit (in-sample)")
    click.echo(f"wrote {paths['params']}, {paths['posterior'].name}, {out.stem}.scores.json; "
               f"predictive ensemble {ensemble_id} in {store_path}")
    if fit.failed:
        click.echo(f"{fit.failed} runs failed and were left out", err=True)


@click.command()
@click.argument("scenario", required=False)
@click.option("--at", "dates", type=DateType(), multiple=True, required=True,
              help="Fit on what was known at this date and score the next 7 and 14 days; repeat "
                   "for several.")
@click.option("--budget", type=click.IntRange(min=40), default=600, show_default=True,
              help="Runs per date.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON of the results (default: out/<scenario>/backtest.json).")
@_future_option
@_flee_settings_option
@click.option("--assimilate/--no-assimilate", default=None,
              help="Flee folders only (default on): start the forecast from the observed state, "
                   "each camp set to its latest count up to DATE; the folder's rules are scored "
                   "with and without it.")
@_fit_options
@user_errors
def backtest(scenario, dates, budget, out, future, settings, likelihood, assimilate, observations,
             vary, prior_from, measures, obs_error,
             base_seed, workers, scheduler, quiet):
    """Backtest SCENARIO: at each --at DATE, fit on the observations known then, forecast the next
    7 and 14 days, and score the forecast beside the naive ones. A Flee folder: fit its rule
    settings to the camp counts up to DATE, forecast the rest of the period, and give the ARD of
    the forecast beside that of the folder's own rules over the same days."""
    from travesia.cli.flee import flee_backtest, flee_only, is_flee_arg

    check_output_paths(**{"--out": out})
    if is_flee_arg(scenario, **{"--observations": observations, "--measures": measures,
                                "--prior-from": prior_from}):
        flee_backtest(Path(scenario), dates=list(dates), budget=budget, vary=list(vary),
                      settings=settings, out=out,
                      obs_error=obs_error, base_seed=base_seed, workers=workers,
                      scheduler=scheduler,
                      progress=_progress(quiet), likelihood=likelihood,
                      assimilate=assimilate is not False)
        return
    if assimilate is not None:
        from travesia.errors import ScenarioError

        raise ScenarioError("is for Flee folders: a scenario's forecast starts from its own run",
                            field="--assimilate")
    flee_only(scenario, **{"--settings": settings, "--likelihood": likelihood != "log"})
    from travesia.inference.backtest import backtest as run_backtest
    from travesia.inference.calibrate import ObservationModel
    from travesia.runs.priors import parse_vary
    from travesia.scenario import load_scenario

    sc = load_scenario(scenario)
    out = out or Path("out") / sc.name / "backtest.json"
    progress = None
    if not quiet:
        shown = {}

        def progress(at, done, total):
            if at not in shown:
                shown[at] = _progress(False, f"{at}: ")
            shown[at](done, total)

    result = run_backtest(sc, list(dates), observations=observations, budget=budget,
                          vary=[parse_vary(v) for v in vary], measures=_measures(measures),
                          obs_model=ObservationModel(error=obs_error), base_seed=base_seed,
                          workers=workers,
                          scheduler=scheduler, progress=progress, future=future,
                          prior_from=prior_from)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    for entry in result["at"]:
        click.echo(f"future: {future} — {result['future_means'].replace('DATE', entry['date'])}")
        click.echo(f"at {entry['date']}: fitted to {entry['observations_fitted']} observations "
                   f"({entry['runs']} runs, {entry['effective_runs_behind_surface']:.0f} behind "
                   "the fitted surface)")
        for h, scores in entry["horizons"].items():
            if not scores.get("observations") and not scores.get("summary"):
                click.echo(f"  next {h} days: no observations")
                continue
            _print_scores(scores["summary"], f"next {h} days")
    click.echo(f"wrote {out}")


@click.command()
@click.argument("scenario", required=False)
@click.option("--at", type=DateType(), required=True,
              help="Forecast from this date (knowing what was known then).")
@click.option("--horizon", "horizon_days", type=click.IntRange(min=1), default=14,
              show_default=True,
              help="Days to forecast after --at.")
@_future_option
@click.option("--fit", "fit_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A fitted_params.yaml from `travesia calibrate` (its posterior sample beside "
                   "it): "
                   "skip fitting, draw parameter sets from it.")
@click.option("--budget", type=click.IntRange(min=40), default=600, show_default=True,
              help="Runs of the fit made here (without --fit).")
@click.option("--runs", type=click.IntRange(min=1), default=None,
              help="Forecast runs (default: 200 with --fit; without, a tenth of the budget, 20 to "
                   "200).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for forecast.csv, .json, .png (default: "
                   "out/<scenario>/forecast-<DATE>/).")
@click.option("--observations", type=click.Path(path_type=Path), default=None,
              help="CSV of observed counts (default: the scenario's own).")
@click.option("--obs-error", type=click.FloatRange(min=0.01), default=0.5, show_default=True,
              help="Reporting error of the fit made here (without --fit).")
@click.option("--seed", "base_seed", type=click.IntRange(0, 2**63 - 1), default=0,
              show_default=True, help="Base seed of the runs.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: one per core).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on the Dask distributed scheduler at ADDRESS instead of locally.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@user_errors
def forecast(scenario, at, horizon_days, future, fit_file, budget, runs, out, observations,
             obs_error, base_seed,
             workers, scheduler, quiet):
    """Forecast SCENARIO from --at DATE for --horizon days, knowing only what was known at DATE:
    the observations up to it and the timeline events --future allows. Writes forecast.csv
    (daily 5-95% quantiles per crossing), forecast.png and forecast.json (with scores when later
    observations exist)."""
    from travesia.inference.calibrate import ObservationModel
    from travesia.inference.forecast import forecast as make_forecast
    from travesia.scenario import load_scenario

    check_output_paths(**{"--out": out})
    from travesia.cli.flee import refuse_flee_folder

    refuse_flee_folder(scenario, "forecast", "a Flee folder's forecast is scored by "
                                             "`travesia backtest FOLDER --at DATE`")
    sc = load_scenario(scenario)
    out = out or Path("out") / sc.name / f"forecast-{at.isoformat()}"
    result = make_forecast(sc, at, horizon_days=horizon_days, future=future, fit_file=fit_file,
                           budget=budget,
                           runs=runs, observations=observations,
                           obs_model=ObservationModel(error=obs_error),
                           base_seed=base_seed, workers=workers, scheduler=scheduler,
                           progress=_progress(quiet))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    paths = result.write(out)
    info = result.to_dict()
    flag = " (IN-SAMPLE: the fit saw later observations)" if result.in_sample else ""
    click.echo(f"forecast of {sc.name} from {at} to {result.last_day}: {len(result.runs)} runs, "
               f"{result.wall_seconds:.0f} s{flag}")
    click.echo(f"future: {future} — {info['future_means']} ({len(result.events_used)} events used, "
               f"{len(result.events_dropped)} left out)")
    _print_forecast(result.rows, result.at, result.horizon_days)
    for h, scores in result.scores.items():
        _print_scores(scores["summary"], f"next {h} days (observed later)")
    click.echo(f"wrote {paths['csv']}, {paths['png'].name}, {paths['json'].name}")


def _print_forecast(rows: list[dict], at: dt.date, horizon_days: int) -> None:
    """Median [5%-95%] of each crossing's measures a week on and at the horizon."""
    days = sorted({min(7, horizon_days), horizon_days})
    shown = [(at + dt.timedelta(days=d)).isoformat() for d in days]
    click.echo(f"  {'crossing':<22} {'measure':<10} " + " ".join(f"{d:>24}" for d in shown))
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        if r["date"] in shown:
            cells.setdefault((r["crossing"], r["measure"]), {})[r["date"]] = \
                f"{r['p50']:,.0f} [{r['p05']:,.0f}-{r['p95']:,.0f}]"
    for (crossing, measure), by_date in cells.items():
        click.echo(f"  {crossing:<22} {measure:<10} "
                   + " ".join(f"{by_date.get(d, ''):>24}" for d in shown))


def _measures(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [m.strip() for m in text.split(",") if m.strip()]
    if not names:
        from travesia.errors import ScenarioError

        raise ScenarioError(f"names no measure (got '{text}'; e.g. held,gave_up)",
                            field="--measures")
    return names


def _print_spread(spread: dict) -> None:
    click.echo("parameter                          5%          median      95%         prior")
    for name, s in spread.items():
        cells = [f"{v:<11.4g}" if isinstance(v, (int, float)) else f"{str(v):<11}" for v in
                 (s["p05"], s["p50"], s["p95"])]
        click.echo(f"  {name:<32} {' '.join(cells)} {s['prior']}")


def _print_scores(summary: dict, label: str) -> None:
    events = summary.get("events", summary["observations"])
    counted = f", {events:g} events" if events != summary["observations"] else ""
    click.echo(f"scores, {label}: {summary['observations']} observations ({summary['ranged']} with "
               f"ranges{counted})")
    click.echo("  forecast      WIS        abs error  log error  ranges hit  in 50%  in 90%")
    for name in ("model", "naive_last", "naive_zero"):
        s = summary[name]
        click.echo(f"  {name:<12} {s['wis']:>9.1f}  {s['mean_abs_error']:>9.1f}  "
                   f"{s['mean_log_error']:>9.2f}  "
                   f"{s['ranges_hit']:>10}  {s['coverage_50']:>6.0%}  {s['coverage_90']:>6.0%}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: travesia calibrate | travesia backtest")
