"""`travesia serve` (the dashboard) and `travesia report` (one self-contained HTML file)."""

from __future__ import annotations

from pathlib import Path

import click

from travesia.errors import ScenarioError
from travesia.cli.common import user_errors
from travesia.web.sources import build


@click.command()
@click.option("--store", type=click.Path(path_type=Path), default=None,
              help="An ensemble store (DuckDB) written by `travesia ensemble` (of a scenario or a "
                   "Flee folder).")
@click.option("--run", "runs", type=click.Path(path_type=Path), multiple=True,
              help="A run folder written by `travesia run` (of a scenario or a Flee folder; may be "
                   "given more than once).")
@click.option("--scenario", default=None,
              help="Scenario name or folder (default: the one the results are of, else "
                   "chile-peru-2025).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Another name (or address) browsers reach this server by, when --host makes it "
                   "reachable from other machines. Repeat for several.")
@user_errors
def serve(store, runs, scenario, port, host, allow_hosts):
    """The dashboard in a browser: a map of the corridor, the curves with their bands, needs,
    what-ifs.

    With no --store or --run it shows out/<scenario>/ (from `travesia run` and `travesia ensemble`)
    or, when that is empty, a baseline of a few seeds it runs first."""
    import uvicorn

    from travesia.web.app import create_app

    view, catalogue = build(scenario, store, runs)
    from travesia.web.app import LOCAL_HOSTS

    hosts = LOCAL_HOSTS + tuple(allow_hosts) + ((host,) if host not in ("0.0.0.0", "::") else ())
    app = create_app(view, catalogue, hosts=hosts)
    click.echo(f"travesia dashboard for {view.scenario.name}: http://{host}:{port}/  (Ctrl-C stops "
               "it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"),
              show_default=True, help="The HTML file to write.")
@click.option("--ensemble", "ensemble_id", default=None,
              help="Store only: the ensemble (default: the latest).")
@click.option("--scenario", default=None,
              help="Scenario name or folder, when the results do not name one.")
@user_errors
def report(source, out_file, ensemble_id, scenario):
    """Write one self-contained HTML report of SOURCE (a run folder or an ensemble store): the
    scenario and its sources, the curves, the needs and the scores against observations. Of a
    Flee run or ensemble: its camps, map, curves per camp and ARD."""
    from travesia.web.report import render_report

    if not source.exists():
        raise ScenarioError("no such run folder or store", file=source)
    is_store = source.is_file()
    if ensemble_id and not is_store:
        raise ScenarioError("is for a store; a run folder holds one run", file=source,
                            field="--ensemble")
    view, catalogue = build(scenario, source if is_store else None, () if is_store else (source,),
                            baseline_if_empty=False)
    ids = catalogue.ids()
    if not ids:
        raise ScenarioError("holds no finished run", file=source)
    if is_store and ensemble_id:
        stored = [d for d in catalogue.list() if d.get("ensemble_id")]     # Flee's ones too
        found = [d["id"] for d in stored if d["ensemble_id"].startswith(ensemble_id)]
        if len(found) != 1:
            raise ScenarioError(f"{'no' if not found else 'more than one'} ensemble "
                                f"'{ensemble_id}' "
                                f"(in the store: {', '.join(d['ensemble_id'] for d in stored)})",
                                file=source, field="--ensemble")
        ds = catalogue.get(found[0])
    else:
        ds = catalogue.get(ids[-1])
    html = render_report(view, ds, store_members=catalogue.members(ds.id))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(out_file.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out_file)
    click.echo(f"wrote {out_file} ({len(html) / 1024:,.0f} KB): {ds.label}")
