"""`travesia stocks`: the monthly stock-flow projection beside the published estimates."""

from __future__ import annotations

import json
from pathlib import Path

import click

from travesia.cli.common import user_errors


@click.command("stocks")
@click.argument("stocks", required=False)
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Project to this date's month end (default: the folder's end).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: out/<name>).")
@click.option("--draws", type=click.IntRange(0, 100_000), default=0, show_default=True,
              help="Also project this many draws of the folder's priors and show each figure's "
                   "5-95% band.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Seed of the draws.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@user_errors
def stocks(stocks, until, out_dir, draws, seed, as_json):
    """Project STOCKS (a built-in stocks folder: chile-stocks, peru-stocks; or a folder with
    stocks.yaml; default chile-stocks) month by month, print the model beside each published
    estimate and write monthly.csv, comparisons.csv and summary.json."""
    from travesia.runs.stocks import stocks_report, write_stocks

    report = stocks_report(stocks, until=until.date() if until else None, draws=draws,
                           seed=seed)
    out_dir = out_dir or Path("out") / report.name
    write_stocks(report, out_dir)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=1))
        return
    click.echo(report.title)
    band = f"  {'5-95% of ' + str(draws) + ' draws':>25}" if draws else ""
    click.echo(f"{'date':<10}  {'measure':<32} {'role':<7} {'estimate':>11} {'model':>11} "
               f"{'diff':>7}{band}")
    for row in report.comparisons:
        band = (f"  {row.model_low:>11,.0f} {row.model_high:>11,.0f}"
                if row.model_low is not None and row.model_high is not None else "")
        click.echo(f"{row.date:<10}  {row.measure[:32]:<32} {row.role:<7} {row.estimate:>11,.0f} "
                   f"{row.model:>11,.0f} {row.pct_diff:>+6.1f}%{band}")
    click.echo(f"wrote monthly.csv, comparisons.csv, summary.json to {out_dir}")
