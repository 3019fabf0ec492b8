"""The dashboard's API, endpoint by endpoint, with the bad inputs a user (or a stranger) may
send."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from test_web_kit import make_run_dir, scenario_run_and_store, web_scenario

from travesia.web.app import MAX_BODY_BYTES, create_app
from travesia.web.sources import build


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    scenario, run, store, ensemble_id = scenario_run_and_store(root, "run-a")
    view, catalogue = build(str(scenario), store, (run,))
    app = create_app(view, catalogue)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        yield client, ensemble_id, root
    app.state.runner.shutdown()


def ids(client) -> list[str]:
    return [d["id"] for d in client.get("/api/datasets").json()["datasets"]]


def test_page_and_vendor_files_are_served(served):
    client, _, _ = served
    page = client.get("/")
    assert (
        page.status_code == 200 and "leaflet.js" in page.text and "plotly-basic.min.js" in page.text
    )
    assert "http://" not in page.text.replace("http://www.w3.org",
                                              "") and "https://" not in page.text
    for path in ("/static/app.js", "/static/style.css", "/static/vendor/leaflet/leaflet.js",
                 "/static/vendor/plotly-basic.min.js", "/static/vendor/countries-110m.geojson"):
        assert client.get(path).status_code == 200, path


def test_scenario_has_places_routes_crossings_timeline_observations(served):
    client, _, _ = served
    sc = client.get("/api/scenario").json()
    assert [p["name"] for p in sc["places"]] == ["A", "XP", "YP", "D"]
    assert sc["places"][3]["lon"] == 1
    assert sc["crossings"][0]["name"] == "X-Y" and len(sc["routes"]) == 2
    assert [e["label"] for e in sc["timeline"]] == ["deadline 2026-01-08", "+50 troops/police",
                                                    "+30 troops/police"]
    assert [(o["date"], o["measure"], o["low"], o["high"]) for o in sc["observations"]] == [
        ("2026-01-03", "held", 15, 30), ("2026-01-06", "held", None, None)]
    assert sc["needs_standard"]["water_litres_per_person_day"] == 15


def test_datasets_list_the_run_and_the_ensemble(served):
    client, ensemble_id, _ = served
    data = client.get("/api/datasets").json()
    kinds = {d["id"]: (d["kind"], d["runs"]) for d in data["datasets"]}
    assert kinds == {"run-run-a": ("run", 1), f"ens-{ensemble_id}": ("ensemble", 3)}
    assert set(data["measures"]) == {"held", "queue", "stranded", "entries", "refused", "irregular"}


def test_dataset_info_has_summary_and_members(served):
    client, ensemble_id, _ = served
    info = client.get(f"/api/datasets/ens-{ensemble_id}").json()
    assert info["runs"] == 3 and [m["seed"] for m in info["members"]] == [0, 1, 2]
    assert info["summary"]["X-Y"]["peak_held"] > 0


def test_map_conserves_people_every_day(served):
    client, ensemble_id, _ = served
    for id in ("run-run-a", f"ens-{ensemble_id}"):
        m = client.get(f"/api/datasets/{id}/map").json()
        assert m["places"] == ["A", "XP", "YP", "D"] and len(m["dates"]) == 10
        for day in m["people"]:
            assert sum(sum(place) for place in day) == pytest.approx(35)


def test_crossings_give_bands_in_order(served):
    client, ensemble_id, _ = served
    c = client.get(f"/api/datasets/ens-{ensemble_id}/crossings").json()
    assert c["runs"] == 3 and c["crossings"] == ["X-Y"]
    held = c["measures"]["held"]["X-Y"]
    for t in range(10):
        assert (
            held["p05"][t] <= held["p25"][t] <= held["p50"][t] <= held["p75"][t] <= held["p95"][t]
        )
    first2 = client.get(f"/api/datasets/ens-{ensemble_id}/crossings?runs=2").json()
    assert first2["runs"] == 2 and len(first2["measures"]["held"]["X-Y"]["p50"]) == 10
    one = client.get(f"/api/datasets/ens-{ensemble_id}/crossings?measure=entries").json()
    assert list(one["measures"]) == ["entries"]
    # entry capacity 10 a day: never more entries than that
    assert max(one["measures"]["entries"]["X-Y"]["p95"]) <= 10


def test_needs_follow_sphere(served):
    client, _, _ = served
    for day in range(10):
        rows = client.get(f"/api/datasets/run-run-a/needs?day={day}").json()["rows"]
        for r in rows:
            assert r["water_litres_per_day"] == 15 * r["people"]
            assert r["food_kcal_per_day"] == 2100 * r["people"]
            assert r["covered_shelter_m2"] == pytest.approx(3.5 * r["people"])
    by_date = client.get("/api/datasets/run-run-a/needs?day=2026-01-02").json()
    assert by_date["day"] == 1 and by_date["date"] == "2026-01-02"


def test_host_community_of_a_run_folder_is_its_impacts_csv(served):
    import csv

    client, ensemble_id, root = served
    with (root / "run-a" / "impacts.csv").open(encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    for day in (0, 3, 6):
        answer = client.get(f"/api/datasets/run-run-a/host?day={day}").json()
        assert answer["notes"] == [] and answer["columns"][0] == "held"
        date = answer["date"]
        for region in answer["regions"]:
            row = next(r for r in written if r["date"] == date and
                       f"{r['region']} ({r['country']})" == region["key"])
            for col, value in region["on_day"].items():
                if value is None:
                    assert row[col] == ""
                else:
                    assert float(row[col]) == pytest.approx(value, abs=0.006), (day, col)
    # an ensemble store keeps the places' counts too; its regions come from the scenario
    stored = next(i for i in ids(client) if i.startswith("ens-"))
    answer = client.get(f"/api/datasets/{stored}/host?day=2").json()
    assert answer["notes"] == [] and [r["key"] for r in answer["regions"]] == ["r (X)", "r (Y)"]


def test_compare_two_side_by_side(served):
    client, ensemble_id, _ = served
    c = client.get(f"/api/compare?a=run-run-a&b=ens-{ensemble_id}").json()
    assert c["a"]["id"] == "run-run-a" and c["b"]["runs"] == 3 and "X-Y" in c["b"]["summary"]


def test_levers_offer_the_timeline_values(served):
    client, _, _ = served
    lv = client.get("/api/levers").json()
    (x,) = lv["crossings"]
    assert (
        x["entry_capacity_per_day"] == 10
        and x["troops_at_most"] == 80
        and lv["deadline"] == "2026-01-08"
    )
    assert lv["places"] == ["A", "XP", "YP", "D"] and lv["nationalities"] == ["Venezuela"]


def test_report_of_a_dataset_is_self_contained(served):
    client, ensemble_id, _ = served
    r = client.get(f"/api/datasets/ens-{ensemble_id}/report")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert (
        "<script" not in r.text and 'src="http' not in r.text and "data:image/png;base64," in r.text
    )


def wait_for(client, job_id: str, timeout_s: float = 60) -> dict:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        job = client.get(f"/api/whatif/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"what-if {job_id} did not finish")


def test_whatif_doubling_entry_capacity_lowers_the_queue(served):
    client, ensemble_id, _ = served
    base = f"ens-{ensemble_id}"
    r = client.post("/api/whatif", json={"baseline": base, "seeds": 2,
                                         "capacity": [{"crossing": "X-Y", "post": "entry",
                                                       "per_day": 20}]})
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["id"])
    assert job["status"] == "done" and job["progress"] == 1 and job["total_runs"] == 2
    assert job["dataset"] in ids(client)
    new = client.get(f"/api/datasets/{job['dataset']}/crossings?measure=entries").json()
    old = client.get(f"/api/datasets/{base}/crossings?measure=entries").json()
    assert (
        max(new["measures"]["entries"]["X-Y"]["p95"])
        > 10
        >= max(old["measures"]["entries"]["X-Y"]["p95"])
    )
    assert client.get(f"/api/datasets/{job['dataset']}/map").status_code == 200
    assert any(j["id"] == job["id"] for j in client.get("/api/whatif").json()["jobs"])


def test_whatif_with_every_lever_runs(served):
    client, _, _ = served
    body = {"baseline": "run-run-a", "seeds": 1, "label": "all levers",
            "capacity": [{"crossing": "X-Y", "post": "exit", "per_day": 5, "from": "2026-01-02"}],
            "admission": [{"crossing": "X-Y", "post": "entry", "admits": "national;visa"}],
            "corridor": [{"crossing": "X-Y", "date": "2026-01-04", "days": 3, "per_day": 5}],
            "flight": [{"from": "A", "date": "2026-01-02", "seats": 3}],
            "troops": [{"crossing": "X-Y", "personnel": 0}], "deadline": "2026-01-05"}
    r = client.post("/api/whatif", json=body)
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["id"])
    assert job["status"] == "done", job["error"]
    assert "all levers" in next(d["label"] for d in client.get("/api/datasets").json()["datasets"]
                                if d["id"] == job["dataset"])


# --- bad input: always a 4xx with a message, never a 500 or a file -------------------------------

@pytest.mark.parametrize("path, status, words", [
    ("/api/datasets/nope", 404, "no dataset 'nope'"),
    ("/api/datasets/nope/map", 404, "no dataset"),
    ("/api/datasets/nope/crossings", 404, "no dataset"),
    ("/api/datasets/nope/needs", 404, "no dataset"),
    ("/api/datasets/nope/report", 404, "no dataset"),
    ("/api/datasets/..%2F..%2Fetc%2Fpasswd/map", 404, ""),
    ("/api/datasets/run-run-a/crossings?measure=happiness", 400, "unknown measure"),
    ("/api/datasets/run-run-a/needs?day=10", 400, "outside the run"),
    ("/api/datasets/run-run-a/crossings?runs=2", 400, "outside 1 to 1"),
    ("/api/datasets/run-run-a/crossings?runs=0", 400, "outside 1 to 1"),
    ("/api/datasets/run-run-a/crossings?runs=many", 400, "runs"),
    ("/api/datasets/run-run-a/needs?day=-1", 400, "outside the run"),
    ("/api/datasets/run-run-a/needs?day=--5", 400, "not a day index"),
    ("/api/datasets/run-run-a/needs?day=%C2%B2", 400, "not a day index"),
    ("/api/datasets/run-run-a/needs?day=2027-01-01", 400, "outside the run"),
    ("/api/datasets/run-run-a/needs?day=tomorrow", 400, "not a day"),
    ("/api/datasets/run-run-a/host?day=99", 400, "outside the run"),
    ("/api/datasets/zzz/host", 404, "no dataset 'zzz'"),
    ("/api/compare?a=run-run-a&b=..%2Fens.duckdb", 400, "no paths"),
    ("/api/compare?a=run-run-a&b=%2Fetc%2Fpasswd", 400, "no paths"),
    ("/api/compare?a=run-run-a", 400, "b"),
    ("/api/compare?a=run-run-a&b=zzz", 404, "no dataset 'zzz'"),
    ("/api/whatif/job-999", 404, "no what-if"),
    ("/api/whatif/..%2Fx", 404, ""),
    ("/api/nothing", 404, ""),
    ("/static/../ens.duckdb", 404, ""),
    ("/static/%2e%2e/%2e%2e/ens.duckdb", 404, ""),
])
def test_bad_requests_get_a_clear_4xx(served, path, status, words):
    client, _, _ = served
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code, r.text)
    assert "error" in r.json() and words in r.json()["error"]
    assert "DUCK" not in r.text and "SQLite" not in r.text


def test_a_wrong_method_says_which_are_allowed(served):
    client, _, _ = served
    r = client.delete("/api/scenario")
    assert r.status_code == 405 and "GET" in r.headers.get("allow", ""), r.headers


@pytest.mark.parametrize("body, status, words", [
    (b"{not json", 400, "malformed JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (b"\xff\xfe", 400, "malformed JSON"),
    (b'{"baseline": "nope"}', 404, "no dataset 'nope'"),
    (b'{"baseline": "../ens.duckdb"}', 400, "no paths"),
    (b'{"baseline": "/etc/passwd"}', 400, "no paths"),
    (b'{"seeds": 2}', 422, "baseline"),
    (b'{"baseline": "run-run-a", "seeds": 0}', 422, "seeds"),
    (b'{"baseline": "run-run-a", "seeds": 9}', 422, "seeds"),
    (b'{"baseline": "run-run-a", "capacity": [{"crossing": "X-Y", "post": "entry", "per_day": '
     b'-5}]}', 422,
     "capacity.0.per_day"),
    (b'{"baseline": "run-run-a", "capacity": [{"crossing": "X-Y", "post": "side", "per_day": 5}]}',
     422,
     "capacity.0.post"),
    (b'{"baseline": "run-run-a", "capacity": [{"crossing": "Nowhere", "post": "entry", "per_day": '
     b'5}]}', 422,
     "no crossing 'Nowhere'"),
    (b'{"baseline": "run-run-a", "troops": [{"crossing": "X-Y", "personnel": 1000000}]}', 422,
     "personnel"),
    (b'{"baseline": "run-run-a", "deadline": "2025-01-01"}', 422, "deadline"),
    (b'{"baseline": "run-run-a", "deadline": "soon"}', 422, "deadline"),
    (b'{"baseline": "run-run-a", "admission": [{"crossing": "X-Y", "post": "entry", "admits": '
     b'"gold"}]}', 422,
     "unknown name 'gold'"),
    (b'{"baseline": "run-run-a", "flight": [{"from": "A", "date": "2026-01-02", "seats": 1, '
     b'"nationality": "Mars"}]}',
     422, "no nationality"),
    (b'{"baseline": "run-run-a", "rm": "-rf"}', 422, "rm"),
])
def test_bad_whatifs_get_a_clear_4xx(served, body, status, words):
    client, _, _ = served
    r = client.post("/api/whatif", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, (body, r.status_code, r.text)
    assert words in r.json()["error"], r.json()


def test_oversized_bodies_are_refused(served):
    client, _, _ = served
    big = b'{"baseline": "run-run-a", "label": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    r = client.post("/api/whatif", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["error"]

    def chunks():                      # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b" " * (MAX_BODY_BYTES // 5)

    r = client.post("/api/whatif", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_no_file_outside_the_store_is_written(served):
    client, _, root = served
    before = sorted(p.name for p in root.rglob("*"))
    client.post("/api/whatif", json={"baseline": "../../x", "label": "/tmp/evil"})
    client.get("/api/datasets/run-run-a/report")
    assert sorted(p.name for p in root.rglob("*")) == before


def test_too_many_waiting_whatifs_get_429(tmp_path):
    from travesia.web.whatif import WhatIfRunner

    scenario = web_scenario(tmp_path / "tiny")
    view, catalogue = build(str(scenario), None, (make_run_dir(scenario, tmp_path / "run"),))
    runner = WhatIfRunner(view.scenario, view.world, catalogue)
    runner.MAX_WAITING = 0
    with TestClient(create_app(view, catalogue, runner), base_url="http://localhost") as client:
        r = client.post("/api/whatif", json={"baseline": "run-run"})
        assert r.status_code == 429 and "waiting" in r.json()["error"]
    runner.shutdown()


def test_another_sites_host_or_origin_is_refused(served):
    client, _, _ = served
    # DNS rebinding: a foreign name pointing at this machine reads nothing
    r = client.get("/api/datasets", headers={"Host": "evil.example:8765"})
    assert r.status_code == 400 and "not served here" in r.json()["error"]
    # a page of another site cannot start a what-if (or evict the user's)
    r = client.post("/api/whatif", json={"baseline": "run-run-a"},
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "refused" in r.json()["error"]
    r = client.post("/api/whatif", content=b'{"baseline": "run-run-a"}',
                    headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    # the dashboard's own page may, and a GET from anywhere on this machine still reads
    r = client.post("/api/whatif", json={"baseline": "run-run-a"},
                    headers={"Origin": "http://127.0.0.1:8765"})
    assert r.status_code == 202, r.text
    assert client.get("/api/levers", headers={"Origin": "http://elsewhere"}).status_code == 200


def test_a_body_nested_thousands_deep_is_a_400(served):
    client, _, _ = served
    body = b'{"baseline": ' + b"[" * 3000 + b"]" * 3000 + b"}"
    r = client.post("/api/whatif", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "nested" in r.json()["error"], r.text
    body = b'{"baseline": ' + b"[" * 40 + b"]" * 40 + b"}"    # parses, but no lever is so deep
    r = client.post("/api/whatif", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "at most 16 levels" in r.json()["error"], r.text


def test_reports_past_the_cap_get_429(tmp_path, monkeypatch):
    import travesia.web.app as web_app

    monkeypatch.setattr(web_app, "MAX_REPORTS_AT_ONCE", 0)     # as if every slot were drawing
    scenario = web_scenario(tmp_path / "tiny")
    view, catalogue = build(str(scenario), None, (make_run_dir(scenario, tmp_path / "run"),))
    app = create_app(view, catalogue)
    with TestClient(app, base_url="http://localhost") as client:
        r = client.get("/api/datasets/run-run/report")
        assert r.status_code == 429 and "try again" in r.json()["error"]
    app.state.runner.shutdown()


def test_serve_without_results_runs_a_baseline(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)            # no out/<scenario>/ here
    scenario = web_scenario(tmp_path / "tiny")
    _, catalogue = build(str(scenario), None, ())
    (info,) = catalogue.list()
    assert info["id"] == "baseline" and info["runs"] == 4


def test_whatif_without_change_reproduces_the_baseline(served):
    # same seeds, same parameters, one random stream per phase: no lever, no difference at all
    client, _, _ = served
    r = client.post("/api/whatif", json={"baseline": "run-run-a", "seeds": 1})
    job = wait_for(client, r.json()["id"])
    assert job["levers"] == ["no change (baseline rerun)"]
    new = client.get(f"/api/datasets/{job['dataset']}/crossings").json()["measures"]
    old = client.get("/api/datasets/run-run-a/crossings").json()["measures"]
    assert new == old
    assert client.get(f"/api/datasets/{job['dataset']}/map").json()["people"] == \
        client.get("/api/datasets/run-run-a/map").json()["people"]


def test_old_whatifs_are_let_go(tmp_path):
    from travesia.web.data import Catalogue

    scenario = web_scenario(tmp_path / "tiny")
    _, catalogue = build(str(scenario), None, (make_run_dir(scenario, tmp_path / "run"),))
    run = catalogue.get("run-run")
    for i in range(Catalogue.MAX_WHATIFS + 3):
        run_copy = type(run)(**{**run.__dict__, "id": f"whatif-{i}", "kind": "whatif"})
        catalogue.add_dataset(run_copy)
    kept = [i for i in catalogue.ids() if i.startswith("whatif-")]
    assert (
        len(kept) == Catalogue.MAX_WHATIFS
        and kept[0] == "whatif-3"
        and "run-run" in catalogue.ids()
    )


def test_travesia_serve_starts_and_answers(tmp_path):
    import json
    import socket
    import subprocess
    import sys
    import urllib.request

    scenario = web_scenario(tmp_path / "tiny")
    run = make_run_dir(scenario, tmp_path / "run")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "travesia.cli", "serve", "--run", str(run),
                             "--scenario",
                             str(scenario), "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline, answer = time.time() + 30, None
        while time.time() < deadline and answer is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/datasets",
                                            timeout=2) as r:
                    answer = json.load(r)
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.2)
        assert answer and [d["id"] for d in answer["datasets"]] == ["run-run"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- branches of the future ------------------------------------------------------------------

def test_branches_of_a_scenario_without_them_are_an_empty_list_and_cannot_run(served):
    client, _, _ = served
    assert client.get("/api/branches").json() == {"branches": [], "job": None}
    answer = client.post("/api/branches", json={"runs": 1})
    assert answer.status_code == 422 and "declares no branches" in answer.json()["error"]


def test_branches_run_in_the_background_and_join_the_datasets(tmp_path):
    import yaml

    from scenario_kit import tiny_scenario
    from travesia.web.data import Catalogue
    from travesia.web.scenario_view import ScenarioView
    from travesia.web.sources import baseline_dataset

    folder = tiny_scenario(tmp_path / "s", people=200, days=10,
                           parameters={"departure_rate_per_day": {"regular": 0.0,
                                                                  "irregular": 0.0}})
    spec = yaml.safe_load((folder / "scenario.yaml").read_text())
    spec["branches"] = [
        {"id": "none", "weight": 0.5, "after": "2026-01-06", "end": "2026-01-12",
         "source": "hand"},
        {"id": "buses", "weight": 0.5, "after": "2026-01-06", "end": "2026-01-12",
         "source": "hand",
         "timeline": [{"date": "2026-01-06", "type": "removal", "from": "A", "days": 7,
                       "per_day": 10, "mode": "bus", "to": "Z", "source": "hand"}]}]
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    view = ScenarioView.load(str(folder))
    catalogue = Catalogue(view.scenario.name)
    catalogue.add_dataset(baseline_dataset(view, 1))
    app = create_app(view, catalogue)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        listed = client.get("/api/branches").json()["branches"]
        assert [b["id"] for b in listed] == ["none", "buses"]
        for bad, status in (({"runs": 0}, 422), ({"runs": 99}, 422), ({"runs": "2"}, 400),
                            ([1], 400)):
            assert client.post("/api/branches", json=bad).status_code == status, bad
        assert client.post("/api/branches", content=b'{"runs": 1}',
                           headers={"Content-Type": "text/plain"}).status_code == 415
        assert client.post("/api/branches", json={"runs": 2}).status_code == 202
        for _ in range(200):
            job = client.get("/api/branches").json()["job"]
            if job["status"] != "running":
                break
            time.sleep(0.05)
        assert job["status"] == "done", job
        rows = {(r["branch"], r["block"], r["where"], r["measure"]): r["mean"]
                for r in job["comparison"]}
        assert rows[("buses", "removals", "Z", "people")] == 70       # 10 a day for 7 days
        assert set(job["datasets"]) == {"none", "buses"}
        shown = client.get(f"/api/datasets/{job['datasets']['buses']}").json()
        assert shown["kind"] == "branch" and shown["runs"] == 2 and shown["days"] == 12
    app.state.runner.shutdown()
    app.state.branches.shutdown()
