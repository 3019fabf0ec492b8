"""Flee cases in the dashboard's API and in `travesia report` (docs/dashboard.md, docs/flee.md).

The tiny case: a conflict zone A at (0, 0) sends people to camp C1 (10 km away, at 0.1, 0.1) and
camp C2 (100 km away, at 0.5, 0.9) for 30 days; each camp's count file rises from 0 on 1 Jan
2020 to 1,000 on 1 Mar (60 days later), so the count observed on day t is 1000 t / 60, truncated
(day 29: 483). One run folder of it (seed 2) and a store holding both a travesia ensemble (the tiny
web scenario, test_web_kit.py) and a 3-run Flee ensemble (seeds 0-2, distance_power drawn).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from test_flee_kit import write_case
from test_web_kit import scenario_run_and_store

from travesia.cli import main
from travesia.inference.flee_runs import (
    flee_meta,
    load_flee,
    parse_flee_vary,
    plan_flee_ensemble,
    score_flee_store,
)
from travesia.model.flee import run_flee_folder
from travesia.model.flee.scoring import read_out_csv, score_out_csv
from travesia.outputs.store import Store
from travesia.web.app import create_app
from travesia.web.sources import build

CAMPS = ["C1", "C2"]


def flee_case(root: Path, days: int = 30) -> Path:
    def ramp(n):
        return ["2020-01-01,0", f"2020-03-01,{n}"]
    return write_case(root, locations=["A,r,X,0,0,conflict_zone,0,100000",
                                       "C1,r,Y,0.1,0.1,camp,,", "C2,r,Y,0.5,0.9,camp,,"],
                      routes=["A,C1,10", "A,C2,100"], days=days,
                      layout=["total,total.csv", "C1,c1.csv", "C2,c2.csv"],
                      counts={"total.csv": ramp(2000), "c1.csv": ramp(1000),
                              "c2.csv": ramp(1000)},
                      settings="move_rules:\n  softening: 10.0\n  distance_power: 1.0\n")


def add_flee_ensemble(case: Path, store_path: Path, runs: int = 3) -> str:
    """A Flee ensemble of `case` into the store, run here in this process (as run_ensemble
    records it, without its worker pool)."""
    from travesia.runs.ensemble import _store_outcome, run_task
    from travesia.runs.priors import canonical_json

    fs = load_flee(case)
    plan = plan_flee_ensemble(fs, runs, vary=parse_flee_vary(["distance_power=uniform(0,2)"]))
    with Store(store_path) as store:
        store.set_meta(plan.ensemble_id, flee_meta(fs))
        store.add_ensemble(plan.ensemble_id, scenario=fs.name, scenario_hash=fs.content_hash,
                           scenario_folder=str(fs.folder.resolve()), base_seed=plan.base_seed,
                           days=plan.days, vary=plan.varied,
                           base_parameters_json=canonical_json(plan.base_params.model_dump()),
                           places=[p.name for p in fs.places], crossings=[],
                           members=[(t.run_id, t.index) for t in plan.tasks])
        for task in plan.tasks:
            _store_outcome(store, plan, task, run_task(task))
    return plan.ensemble_id


def flee_results(root: Path) -> dict:
    """The tiny web scenario with a run and a store, plus the Flee case, its run and its ensemble
    in the same store."""
    scenario, run, store, ensemble_id = scenario_run_and_store(root, "run-a")
    case = flee_case(root / "case")
    flee_run = root / "flee-out"
    run_flee_folder(case, seed=2, out_dir=flee_run)
    flee_eid = add_flee_ensemble(case, store)
    return {"scenario": scenario, "run": run, "store": store, "ensemble_id": ensemble_id,
            "case": case, "flee_run": flee_run, "flee_ensemble_id": flee_eid}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return flee_results(tmp_path_factory.mktemp("webflee"))


@pytest.fixture(scope="module")
def client(results):
    view, catalogue = build(str(results["scenario"]), results["store"],
                            (results["run"], results["flee_run"]))
    app = create_app(view, catalogue)
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        yield c
    app.state.runner.shutdown()


def datasets(client) -> dict[str, dict]:
    return {d["id"]: d for d in client.get("/api/datasets").json()["datasets"]}


def flee_ids(client, results) -> tuple[str, str]:
    return "flee-flee-out", f"flee-ens-{results['flee_ensemble_id']}"


# --- the API ------------------------------------------------------------------------------------

def test_flee_run_and_ensemble_are_listed_beside_travesias(client, results):
    found = datasets(client)
    run_id, ens_id = flee_ids(client, results)
    assert set(found) == {"run-run-a", f"ens-{results['ensemble_id']}", run_id, ens_id}
    assert found[run_id]["ruleset"] == found[ens_id]["ruleset"] == "flee"
    assert "ruleset" not in found["run-run-a"]          # travesia's, as before
    assert found[run_id]["label"] == "Flee run flee-out of case (seed 2)"
    assert found[ens_id]["runs"] == 3 and found[ens_id]["label"].startswith("Flee ensemble ")
    # the scenario shown is the travesia one the other results are of, not the Flee case
    assert client.get("/api/scenario").json()["title"] == "Tiny: one crossing"


def test_a_flee_run_shows_what_its_files_hold(client, results):
    run_id, _ = flee_ids(client, results)
    f = client.get(f"/api/datasets/{run_id}/flee").json()
    camps, sim, data = read_out_csv(results["flee_run"] / "out.csv")
    assert f["camps"] == camps == CAMPS and f["runs"] == 1 and len(f["dates"]) == 30
    assert f["dates"][0] == "2020-01-01" and f["dates"][-1] == "2020-01-30"
    for k, camp in enumerate(CAMPS):
        assert f["bands"][camp]["p50"] == list(sim[:, k])        # one run: its own series
        assert f["bands"][camp]["p05"] == list(sim[:, k])
        assert f["observed"][camp] == list(data[:, k])
        assert f["observed"][camp][29] == 1000 * 29 // 60 == 483      # worked out by hand
    assert f["total"]["band"]["p50"] == list(sim.sum(axis=1))
    assert f["total"]["observed"][29] == 2 * 483
    # people at every location, day by day, as daily.parquet holds them
    import pyarrow.parquet as pq

    daily = pq.read_table(results["flee_run"] / "daily.parquet").to_pylist()
    at_a = {r["date"].isoformat(): r["people"] for r in daily
            if r["place"] == "A" and r["state"] == "at_location"}
    a = f["places"].index("A")
    assert [day[a] for day in f["people"]] == [at_a[d] for d in f["dates"]]
    # the map: the case's locations with their types and coordinates, and its routes
    assert [(p["name"], p["type"]) for p in f["locations"]] == [
        ("A", "conflict_zone"), ("C1", "camp"), ("C2", "camp")]
    assert (f["locations"][2]["lat"], f["locations"][2]["lon"]) == (0.5, 0.9)
    assert {(r["from"], r["to"], r["distance_km"]) for r in f["routes"]} == {
        ("A", "C1", 10.0), ("A", "C2", 100.0)}
    # scored as `travesia score DIR` scores it
    scored = score_out_csv(results["flee_run"] / "out.csv")
    assert f["scores"]["ard"] == pytest.approx(scored["ard"])
    assert f["scores"]["ard"] == pytest.approx(json.loads(
        (results["flee_run"] / "summary.json").read_text())["ard"])
    assert f["summary"]["C1"]["peak"] == round(float(sim[:, 0].max()))
    assert f["summary"]["C1"]["observed_last"] == 483 and not f["notes"]


def test_a_flee_ensemble_shows_what_the_store_holds(client, results):
    _, ens_id = flee_ids(client, results)
    f = client.get(f"/api/datasets/{ens_id}/flee").json()
    con = duckdb.connect(str(results["store"]), read_only=True)
    rows = con.execute(
        "SELECT er.run_index, d.date, d.place, d.people FROM daily d JOIN ensemble_runs er "
        "USING (run_id) WHERE er.ensemble_id = ? AND d.place IN ('C1', 'C2')",
        [results["flee_ensemble_id"]]).fetchall()
    con.close()
    held = np.zeros((3, 30, 2))
    for run, date, place, people in rows:
        held[run, (date - dt.date(2020, 1, 1)).days, CAMPS.index(place)] = people
    assert f["runs"] == 3 and f["camps"] == CAMPS
    for k, camp in enumerate(CAMPS):
        assert f["bands"][camp]["p50"] == pytest.approx(np.median(held[:, :, k], axis=0))
        assert f["bands"][camp]["p95"] == pytest.approx(
            np.round(np.quantile(held[:, :, k], 0.95, axis=0), 2))
        assert f["observed"][camp][29] == 483
    # the runs differ (distance_power drawn), so the band has a width somewhere
    assert any(hi > lo for hi, lo in zip(f["bands"]["C2"]["p95"], f["bands"]["C2"]["p05"]))
    scored = score_flee_store(results["store"], results["flee_ensemble_id"])
    assert f["scores"]["ard"] == pytest.approx(scored["ard"])
    assert f["scores"]["naive_zero"]["ard"] == pytest.approx(scored["naive_zero"]["ard"])
    info = client.get(f"/api/datasets/{ens_id}").json()
    assert [m["seed"] for m in info["members"]] == [0, 1, 2]


def test_travesia_views_of_a_flee_case_are_empty_not_broken(client, results):
    run_id, ens_id = flee_ids(client, results)
    for id in (run_id, ens_id):
        crossings = client.get(f"/api/datasets/{id}/crossings").json()
        assert crossings["crossings"] == [] and crossings["measures"]["held"] == {}
        assert client.get(f"/api/datasets/{id}/needs?day=3").json()["rows"] == []
        assert client.get(f"/api/datasets/{id}/map").status_code == 200
        assert client.get(f"/api/compare?a={id}&b=run-run-a").status_code == 200
    answer = client.post("/api/whatif", json={"baseline": ens_id, "seeds": 1})
    assert answer.status_code == 422 and "is a Flee case" in answer.json()["error"]
    answer = client.get("/api/datasets/run-run-a/flee")
    assert answer.status_code == 422 and "not a Flee case" in answer.json()["error"]
    assert client.get("/api/datasets/flee-nope/flee").status_code == 404
    # the host-community panel is travesia's: a Flee case is refused with the reason
    answer = client.get(f"/api/datasets/{run_id}/host?day=0")
    assert answer.status_code == 422 and "is a Flee case" in answer.json()["error"]
    # so are the inflows and informal crossings by day
    for id in (run_id, ens_id):
        answer = client.get(f"/api/datasets/{id}/flows")
        assert answer.status_code == 422 and "is a Flee case" in answer.json()["error"]


def test_the_report_endpoint_draws_a_flee_case(client, results):
    run_id, _ = flee_ids(client, results)
    page = client.get(f"/api/datasets/{run_id}/report")
    assert page.status_code == 200 and "<h1>Flee case case</h1>" in page.text


def test_a_flee_ensemble_whose_folder_changed_keeps_its_runs_without_scores(tmp_path):
    case = flee_case(tmp_path / "moved", days=10)
    store = tmp_path / "s.duckdb"
    eid = add_flee_ensemble(case, store, runs=1)
    (case / "source_data" / "c1.csv").write_text("2020-01-01,0\n2020-03-01,5000\n")
    view, catalogue = build(None, store, ())
    ds = catalogue.get(f"flee-ens-{eid}")
    assert ds.runs == 1 and ds.days == 10 and ds.camps == CAMPS
    assert ds.scores is None and ds.observed is None and not ds.locations
    assert "gone or changed" in ds.notes[0]
    from travesia.web.report import render_report

    html = render_report(view, ds)                 # no map, no observations, no scores: said so
    assert images(html) == 1 and "<b>Missing:</b> the Flee folder moved is gone or changed" in html
    assert "No scores: the observed counts are not at hand" in html


def test_a_flee_run_whose_case_folder_is_gone_keeps_its_camps_and_scores(results, tmp_path):
    from travesia.web.data import Catalogue

    moved = tmp_path / "run"
    shutil.copytree(results["flee_run"], moved)
    summary = json.loads((moved / "summary.json").read_text())
    summary["case_folder"] = str(tmp_path / "nowhere" / "case")
    (moved / "summary.json").write_text(json.dumps(summary))
    catalogue = Catalogue("tiny")
    ds = catalogue.get(catalogue.add_run_dir(moved))
    _, sim, data = read_out_csv(moved / "out.csv")
    assert np.array_equal(ds.camp_runs[0], sim) and np.array_equal(ds.observed, data)
    assert ds.scores["ard"] == pytest.approx(summary["ard"])     # out.csv holds both series
    assert not ds.locations and ds.notes == [
        "the case folder case is gone: no map"]
    assert str(tmp_path) not in json.dumps(ds.flee_view())          # no path of this machine
    (tmp_path / "nowhere" / "case" / "input_csv").mkdir(parents=True)
    catalogue = Catalogue("tiny")
    ds = catalogue.get(catalogue.add_run_dir(moved))
    assert ds.notes == ["the case folder case cannot be read (locations.csv: file is missing): "
                        "no map"]


# --- travesia report -----------------------------------------------------------------------------

def report(*args) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["report", *map(str, args)])
    return r.exit_code, r.output


def images(html: str) -> int:
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.IGNORECASE)
    sources = re.findall(r"""\bsrc\s*=\s*["']?([^"'\s>]*)""", html, re.IGNORECASE)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    return len(sources)


def test_report_of_a_flee_run_folder(results, tmp_path):
    out = tmp_path / "r.html"
    code, output = report(results["flee_run"], "--out", out)
    assert code == 0, output
    html = out.read_text(encoding="utf-8")
    assert images(html) == 2                             # the map and the curves
    scored = score_out_csv(results["flee_run"] / "out.csv")
    assert f"<b>{scored['ard']:.4f}</b>" in html
    for camp in CAMPS:
        assert f"<tr><td>{camp}</td>" in html
    for section in ("Camps", "Map on 2020-01-30", "Curves", "Scores against the camp counts",
                    "Sources"):
        assert f"<h2>{section}" in html
    assert "<td>483</td>" in html                        # C1's and C2's count on the last day


def test_report_of_a_flee_ensemble_in_a_store(results, tmp_path):
    out = tmp_path / "e.html"
    eid = results["flee_ensemble_id"]
    code, output = report(results["store"], "--out", out, "--ensemble", eid[:6])
    assert code == 0, output
    html = out.read_text(encoding="utf-8")
    assert images(html) == 2
    scored = score_flee_store(results["store"], eid)
    assert f"<b>{scored['ard']:.4f}</b>" in html
    assert f"<td>{scored['naive_zero']['ard']:.4f}</td>" in html
    assert "Runs of the ensemble" in html and "3 runs" in html and "distance_power" in html
    assert all(f"<tr><td>{camp}</td>" in html for camp in CAMPS)
    # the travesia ensemble of the same store is still reported as before
    code, output = report(results["store"], "--out", tmp_path / "t.html", "--ensemble",
                          results["ensemble_id"][:6])
    assert code == 0 and "Tiny: one crossing" in (tmp_path / "t.html").read_text()


def test_report_mistakes_on_flee_folders_are_one_line(results, tmp_path):
    code, output = report(results["case"], "--out", tmp_path / "x.html")
    assert code == 2 and "is a Flee case folder, not a run of one" in output
    assert len(output.strip().splitlines()) == 1
    broken = tmp_path / "broken"
    shutil.copytree(results["flee_run"], broken)
    (broken / "out.csv").unlink()
    code, output = report(broken, "--out", tmp_path / "x.html")
    assert code == 2 and "not a Flee run folder (missing out.csv" in output
    assert len(output.strip().splitlines()) == 1
    (tmp_path / "bad").mkdir()
    shutil.copytree(results["flee_run"], tmp_path / "bad" / "run")
    (tmp_path / "bad" / "run" / "out.csv").write_text("Day,Date,C1 sim,C1 data\n0,x,1,zz\n")
    code, output = report(tmp_path / "bad" / "run", "--out", tmp_path / "x.html")
    assert code == 2 and "not a number" in output and len(output.strip().splitlines()) == 1
    assert not (tmp_path / "x.html").exists()


def test_the_report_maps_find_the_bundled_country_outlines():
    # the path once pointed at web/web/static/...: the maps were drawn on a blank sea
    from travesia.web.report import COUNTRIES

    assert COUNTRIES.is_file() and COUNTRIES.name == "countries-110m.geojson"
