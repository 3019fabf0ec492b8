"""`travesia branches`: the branches of a scenario's future, run and compared (registered at the
end of cli/main.py)."""

from __future__ import annotations

from pathlib import Path

import click

from travesia.cli.common import check_output_paths, user_errors

# the figures printed (every figure is in branches.csv)
SHOWN = {"crossing": ("held_peak", "held_mean"), "removals": ("people",),
         "arrivals": ("people",),
         "region": ("held_mean", "sheltered_mean", "arrived", "settled_change"),
         "needs": ("dependent_peak", "water_litres", "toilets_peak", "health_consultations",
                   "school_places_end")}


@click.command()
@click.argument("scenario", required=False)
@click.option("--runs", type=click.IntRange(min=0), default=5, show_default=True,
              help="Runs per branch (seed for seed across branches); 0 only lists the branches.")
@click.option("--seed", "base_seed", type=click.IntRange(0, 2**63 - 1), default=0,
              show_default=True, help="Base seed: run i of every branch has seed BASE+i.")
@click.option("--medians", is_flag=True,
              help="Run the fit's posterior medians (seeds only) instead of posterior draws.")
@click.option("--only", multiple=True, metavar="ID", help="Only this branch (repeat for several).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local worker processes.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder for branches.csv (default: out/<scenario>).")
@user_errors
def branches(scenario, runs, base_seed, medians, only, workers, out_dir):
    """List the branches of SCENARIO's future (scenario.yaml `branches:`) and compare them: RUNS
    runs of each, from its date to its end; people held per crossing, removals and their cost,
    arrivals per country, per host region people held, sheltered and arrived, and their needs and
    costs (docs/host-communities.md). Printed and written to branches.csv (mean and 5/50/95% over
    the runs)."""
    from rich.console import Console
    from rich.table import Table

    from travesia.runs.branches import compare_branches, write_comparison
    from travesia.scenario import load_scenario

    check_output_paths(**{"--out": out_dir})
    from travesia.cli.flee import refuse_flee_folder

    refuse_flee_folder(scenario, "branches", "a Flee folder has no branches of the future")

    sc = load_scenario(scenario)
    console = Console(width=max(Console().width, 120))
    if not sc.spec.branches:
        click.echo(f"{sc.name} declares no branches (scenario.yaml `branches:`)")
        return
    for b in sc.spec.branches:
        console.print(f"[bold]{b.id}[/] (weight {b.weight:g}): {b.title} — from {b.after} to "
                      f"{b.end or sc.spec.end}, {len(b.timeline)} events")
    if runs == 0:
        return
    comparison = compare_branches(sc, runs, base_seed=base_seed, medians=medians, workers=workers,
                                  only=list(only) or None)
    path = write_comparison(comparison, out_dir or Path("out") / sc.name)
    rows = comparison.table.to_pylist()
    ids = list(dict.fromkeys(r["branch"] for r in rows))
    shown = "mean (5–95%)" if runs > 1 else "one run"
    table = Table(title=f"{sc.name}: branches compared, {runs} runs each ({comparison.draws}); "
                        f"{shown}, from each branch's date")
    for col in ("block", "where", "measure"):
        table.add_column(col, no_wrap=True)
    for b in ids:
        table.add_column(b, justify="right")
    cell = {(r["branch"], r["block"], r["where"], r["measure"]): r for r in rows}
    for block, where, measure in dict.fromkeys((r["block"], r["where"], r["measure"])
                                               for r in rows):
        if measure not in SHOWN.get(block, ()) and not measure.startswith("cost_"):
            continue
        found = [cell[(b, block, where, measure)] for b in ids]
        if not any(r["mean"] or r["p95"] for r in found):
            continue                      # nothing in any branch (a region nobody reaches)
        # costs of millions (removals in CLP) print in millions; smaller ones whole
        big = measure.startswith("cost_") and max(abs(r["mean"]) for r in found) >= 1e6
        scale, unit = (1e6, " M") if big else (1.0, "")
        table.add_row(block, where, measure,
                      *(f"{r['mean'] / scale:,.0f}{unit}"
                        + (f" ({r['p05'] / scale:,.0f}–{r['p95'] / scale:,.0f})" if runs > 1
                           else "") for r in found))
    console.print(table)
    click.echo(f"wrote {path}")
