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
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@user_errors
def stocks(stocks, until, out_dir, as_json):
    """Project STOCKS (a built-in stocks folder: chile-stocks, peru-stocks; or a folder with
    stocks.yaml; default chile-stocks) month by month, print the model beside each published
    estimate and write monthly.csv, comparisons.csv and summary.json."""
    from travesia.runs.stocks import stocks_report, write_stocks

    report = stocks_report(stocks, until=until.date() if until else None)
    out_dir = out_dir or Path("out") / report.name
    write_stocks(report, out_dir)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=1))
        return
    click.echo(report.title)
    click.echo(f"{'date':<10}  {'measure':<32} {'role':<7} {'estimate':>11} {'model':>11} "
               f"{'diff':>7}")
    for row in report.comparisons:
        click.echo(f"{row.date:<10}  {row.measure[:32]:<32} {row.role:<7} {row.estimate:>11,.0f} "
                   f"{row.model:>11,.0f} {row.pct_diff:>+6.1f}%")
    click.echo(f"wrote monthly.csv, comparisons.csv, summary.json to {out_dir}")
