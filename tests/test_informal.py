"""Informal crossings (informal_crossings.csv) and travel modes (routes.csv `mode`), on the tiny
world with outcomes worked out by hand.

The tiny world (tests/scenario_kit.py): town A -- road -- exit post XP | strip | entry post YP -- D;
here with an informal path "path" from A (country X) to D (country Y) beside the crossing X-Y.
Everyone at A leaves on day 0; a preference of -1000 for X-Y sends them all to the path.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from scenario_kit import tiny_scenario, write_csv
from travesia.cli import main
from travesia.errors import ScenarioError
from travesia.model.engine import simulate
from travesia.model.results import STATE_COLUMNS
from travesia.model.world import compile_world
from travesia.scenario import load_scenario

AVOID_POSTS = {"crossing_preference": {"X-Y": {"Venezuela": -1000.0}}}


def informal_row(**over) -> dict:
    row = {"name": "path", "border": "X-Y", "from": "A", "to": "D", "capacity_per_day": 10,
           "detection": 0, "injury_risk": 0, "death_risk": 0, "cost": 0, "currency": "USD",
           "km": 10, "mode": "foot", "speed_km_per_day": "", "source": "hand"}
    row.update(over)
    return row


def world_with_path(folder, rows=None, parameters=None, **kw):
    params = dict(AVOID_POSTS)
    params.update(parameters or {})
    tiny_scenario(folder, parameters=params, **kw)
    write_csv(folder / "informal_crossings.csv", rows or [informal_row()])
    return folder


def run(folder, seed=0):
    sc = load_scenario(folder)
    return simulate(compile_world(sc), sc.params, seed=seed, events=sc.spec.timeline)


def series(res, measure):
    return res.informal[measure][:, 0].tolist()


def arrived_at_d(res):
    return res.counts[:, 3, STATE_COLUMNS.index("arrived")].tolist()


def test_capacity_caps_the_attempts_a_day(tmp_path):
    # 35 people at A, 10 attempts a day: 10, 10, 10, 5; all get across; the 10 km path on foot
    # (20 km a day) is walked the next day, so they arrive at D a day after crossing
    res = run(world_with_path(tmp_path))
    assert series(res, "informal_departures")[:2] == [35, 0]
    assert series(res, "informal_attempts")[:5] == [10, 10, 10, 5, 0]
    assert series(res, "informal_crossed") == series(res, "informal_attempts")
    assert series(res, "informal_waiting")[:4] == [25, 15, 5, 0]
    assert arrived_at_d(res)[:5] == [0, 10, 20, 30, 35]
    assert res.flows["departures"].sum() == 0          # nobody chose the posts
    assert res.summary()["conserved"]


def test_fractional_capacity_carries_over(tmp_path):
    res = run(world_with_path(tmp_path, [informal_row(capacity_per_day=2.5)], people=6))
    assert series(res, "informal_attempts")[:4] == [2, 3, 1, 0]


def test_detection_of_1_returns_everyone_caught_to_try_again(tmp_path):
    res = run(world_with_path(tmp_path, [informal_row(detection=1)]))
    assert series(res, "informal_attempts") == [10] * 10
    assert series(res, "informal_caught") == [10] * 10
    assert sum(series(res, "informal_crossed")) == 0
    assert series(res, "informal_waiting") == [35] * 10      # caught: back on the origin side
    queued = res.counts[:, 0, STATE_COLUMNS.index("queued")]
    assert queued.tolist() == [35] * 10                       # waiting at A counts as queued there


def test_troops_at_the_crossing_beside_raise_detection(tmp_path):
    # detection 0 alone lets everyone across; 100 soldiers at X-Y with a strong effect catch all
    troops = [{"date": "2026-01-01", "type": "troops", "crossing": "X-Y", "personnel": 100,
               "source": "hand"}]
    folder = world_with_path(tmp_path, parameters={"detection_per_100_personnel": 1000.0},
                             timeline=troops)
    res = run(folder)
    assert sum(series(res, "informal_crossed")) == 0
    assert series(res, "informal_caught")[:3] == [10, 10, 10]
    # and the believed chance of the path falls with them: people then prefer to stay
    from travesia.model.engine import Simulation
    from travesia.model.engine.informal import informal_belief
    sc = load_scenario(folder)
    assert informal_belief(Simulation(compile_world(sc), sc.params, events=sc.spec.timeline)) \
        == pytest.approx([0.0])


def test_death_risk_of_1_kills_every_attempt_and_they_leave_the_counts(tmp_path):
    res = run(world_with_path(tmp_path, [informal_row(death_risk=1)]))
    assert series(res, "informal_died")[:5] == [10, 10, 10, 5, 0]
    assert sum(series(res, "informal_crossed")) == 0
    assert sum(series(res, "informal_injured")) == 0     # the dead are not counted injured too
    assert int(res.counts[-1].sum()) == 0                 # nobody left on the map
    summary = res.summary()
    assert summary["conserved"]                           # the dead are added back to check
    assert summary["informal_crossings"]["path"]["informal_died"] == 35


def test_injury_risk_of_1_injures_everyone_who_tries_and_they_go_on(tmp_path):
    res = run(world_with_path(tmp_path, [informal_row(injury_risk=1)]))
    assert series(res, "informal_injured")[:5] == [10, 10, 10, 5, 0]
    assert series(res, "informal_crossed") == series(res, "informal_injured")
    assert arrived_at_d(res)[-1] == 35


def test_stranded_people_leave_the_line_for_the_path_beside(tmp_path):
    # the exit post lets nobody out; the stranded at XP walk back 1 km to A and take the path
    folder = world_with_path(tmp_path, parameters={"crossing_preference": {},
                                                   "informal_switch_per_day": 1.0,
                                                   "stay_utility": -1000.0})
    write_csv(folder / "informal_crossings.csv", [informal_row(cost=1e9)])  # nobody goes at once
    text = (folder / "crossings.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("exit_admits")] = "passport"
    (folder / "crossings.csv").write_text("\n".join([lines[0], ",".join(cells)]) + "\n",
                                          encoding="utf-8")
    res = run(folder)
    assert res.flows["refused"][0, 0] == 35
    assert series(res, "informal_departures")[:2] == [35, 0]
    assert series(res, "informal_attempts")[:5] == [0, 10, 10, 10, 5]
    assert arrived_at_d(res)[-1] == 35


def test_the_waiting_give_up_and_settle_on_the_origin_side(tmp_path):
    res = run(world_with_path(tmp_path, [informal_row(capacity_per_day=0)],
                              parameters={"giveup_rate_per_day": 1.0}))
    assert series(res, "informal_gave_up")[0] == 35
    assert res.counts[0, 0, STATE_COLUMNS.index("settled")] == 35   # (they leave again on day 1)


def test_a_scenario_without_informal_crossings_has_no_series(tmp_path):
    res = run(tiny_scenario(tmp_path))
    assert res.informal_names == [] and res.informal == {}
    assert "informal_crossings" not in res.summary()


def test_a_run_folder_has_informal_csv_and_the_summary_totals(tmp_path):
    folder = world_with_path(tmp_path / "sc", [informal_row(death_risk=1, capacity_per_day=5)],
                             people=7)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    lines = (out / "informal.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[:3] == ['"date"', '"informal_crossing"', '"informal_departures"']
    assert len(lines) == 1 + 10
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["informal_crossings"]["path"]["informal_died"] == 7
    assert summary["informal_crossings"]["path"]["informal_attempts"] == 7


def test_exit_choice_weighs_the_cost_of_the_path(tmp_path):
    # the path and the posts equal but for a cost of 10,000 (5 of disutility at 0.5 per 1,000)
    folder = world_with_path(tmp_path, [informal_row(cost=10_000)],
                             parameters={"crossing_preference": {}}, people=2000)
    sc = load_scenario(folder)
    from travesia.model.engine import Simulation
    from travesia.model.engine.departures import exit_utilities
    sim = Simulation(compile_world(sc), sc.params)
    u = exit_utilities(sim)
    assert u.shape[-1] == 3                    # X-Y, path, stay
    # X-Y: 1 km of road and the crossing's belief; the path: 0 km of road and its 10 km, a cost
    # of 5, a belief of 1 (log 0)
    gap = u[0, 0, 1, 0] - u[0, 0, 1, 1]
    belief_xy = np.log(max(sim.belief[0, 0, 1], 0.01))
    assert gap == pytest.approx(1.5 * belief_xy + 0.5 * 9 / 1000 + 5.0)
    res = run(folder)
    assert series(res, "informal_departures")[0] < res.flows["departures"][0, 0]


# --- travel modes ----------------------------------------------------------------------------

def set_route(folder, **cells):
    rows = [{"from": "A", "to": "XP", "distance_km": 100, "mode": "road", "speed_km_per_day": "",
             "source": "hand"},
            {"from": "YP", "to": "D", "distance_km": 100, "mode": "road", "speed_km_per_day": "",
             "source": "hand"}]
    rows[0].update(cells)
    write_csv(folder / "routes.csv", rows)


def first_queued_day(folder):
    res = run(folder)
    queued = res.counts[:, :, STATE_COLUMNS.index("queued")].sum(axis=1)
    return int(np.flatnonzero(queued)[0])


@pytest.mark.parametrize("cells, parameters, day", [
    ({"mode": "road"}, {}, 0),                          # 100 km at 900 km a day
    ({"mode": "foot"}, {}, 4),                          # 100 km at 20 km a day: day 4
    ({"mode": "foot", "speed_km_per_day": 50}, {}, 1),  # the row's own speed comes first
    ({"mode": "boat"}, {"speed_km_per_day_by_mode": {"boat": 25}}, 3),
    ({"mode": "bus"}, {"speed_km_per_day_by_mode": {"bus": 50}}, 1),
])
def test_a_foot_route_is_slower_than_a_road(tmp_path, cells, parameters, day):
    folder = tiny_scenario(tmp_path, parameters=parameters)
    set_route(folder, **cells)
    assert first_queued_day(folder) == day


def test_people_take_the_quicker_path_not_the_shorter(tmp_path):
    # A -- XP on foot, 100 km (5 days), or A -- B -- XP by road, 2 x 300 km (1 day)
    folder = tiny_scenario(tmp_path)
    places = (folder / "places.csv").read_text(encoding="utf-8")
    (folder / "places.csv").write_text(places + "B,X,r,0,0.5,city,hand\n", encoding="utf-8")
    set_route(folder, mode="foot")
    with (folder / "routes.csv").open("a", encoding="utf-8") as f:
        f.write("A,B,300,road,,hand\nB,XP,300,road,,hand\n")
    assert first_queued_day(folder) == 0


def test_a_scenario_without_modes_travels_as_before(tmp_path):
    folder = tiny_scenario(tmp_path, distance_km=1000)
    assert first_queued_day(folder) == 1          # 1,000 km at 900 km a day


# --- named errors ----------------------------------------------------------------------------

def check(folder):
    result = CliRunner().invoke(main, ["scenario", "check", str(folder)])
    return result.exit_code, result.output


@pytest.mark.parametrize("over, says", [
    ({"from": "Nowhere"}, "informal_crossings.csv, row 2, field 'from': unknown place 'Nowhere'"),
    ({"from": "XP"}, "field 'from': place 'XP' is a post, expected city"),
    ({"border": "X-Z"}, "field 'border': 'X-Z' is neither a crossing"),
    ({"border": "X;X"}, "field 'border': 'X;X' is neither a crossing"),
    ({"to": "A"}, "field 'to': 'A' (X) to 'A' (X) does not cross the border X-Y"),
    ({"detection": 1.5}, "field 'detection': must be at most 1"),
    ({"death_risk": -0.1}, "field 'death_risk'"),
    ({"capacity_per_day": ""}, "field 'capacity_per_day': is empty"),
    ({"km": 0}, "field 'km'"),
    ({"mode": "plane"}, "field 'mode'"),
    ({"mode": "boat"}, "field 'speed_km_per_day': mode boat has no speed"),
    ({"name": "X-Y"}, "field 'name': 'X-Y' is already the name of a crossing"),
])
def test_bad_informal_rows_are_named(tmp_path, over, says):
    world_with_path(tmp_path, [informal_row(**over)])
    code, out = check(tmp_path)
    assert code == 2, out
    assert says in out, out
    assert "Traceback" not in out


def test_costs_in_two_currencies_are_refused(tmp_path):
    world_with_path(tmp_path, [informal_row(), informal_row(name="other", currency="PEN")])
    code, out = check(tmp_path)
    assert code == 2 and "field 'currency': costs in 2 currencies (PEN, USD)" in out, out


def test_a_border_of_two_countries_is_accepted_either_way(tmp_path):
    world_with_path(tmp_path, [informal_row(border="Y;X")])
    code, out = check(tmp_path)
    assert code == 0, out
    sc = load_scenario(tmp_path)
    assert compile_world(sc).informal.beside.tolist() == [[True]]


def test_a_boat_route_without_a_speed_is_named(tmp_path):
    folder = tiny_scenario(tmp_path)
    set_route(folder, mode="boat")
    code, out = check(folder)
    assert code == 2 and "routes.csv, row 2, field 'speed_km_per_day': mode boat" in out, out


def test_an_unknown_mode_in_the_parameters_is_named(tmp_path):
    folder = tiny_scenario(tmp_path, parameters={"speed_km_per_day_by_mode": {"jet": 5000}})
    code, out = check(folder)
    assert code == 2 and "unknown travel mode 'jet'" in out, out


def test_a_prior_may_vary_a_number_of_an_informal_crossing(tmp_path):
    from travesia.errors import ScenarioError
    from travesia.scenario.data_values import check_data_name, with_data_values

    sc = load_scenario(world_with_path(tmp_path))
    check_data_name(sc, "informal_crossings[path].detection")
    drawn = with_data_values(sc, {"informal_crossings[path].detection": 1.0})
    assert drawn.informal[0].detection == 1.0 and sc.informal[0].detection == 0.0
    res = simulate(compile_world(drawn), drawn.params, events=drawn.spec.timeline)
    assert sum(series(res, "informal_crossed")) == 0
    with pytest.raises(ScenarioError, match="a drawn value is not allowed"):
        with_data_values(sc, {"informal_crossings[path].death_risk": 2.0})
    with pytest.raises(ScenarioError, match="no row nowhere in informal_crossings.csv"):
        check_data_name(sc, "informal_crossings[nowhere].detection")


def test_run_check_and_show_name_the_informal_crossings(tmp_path):
    folder = world_with_path(tmp_path / "sc", [informal_row(death_risk=1, capacity_per_day=5)],
                             people=7)
    shown = CliRunner().invoke(main, ["scenario", "show", str(folder)])
    assert "path: A -> D beside X-Y, 5 a day, detection 0, injury 0, death 1, 10 km foot" \
        in shown.output, shown.output
    assert "1 informal crossings" in check(folder)[1]
    ran = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "run")])
    assert ran.exit_code == 0, ran.output
    assert "Informal crossings" in ran.output and "informal.csv" in ran.output
    row = next(line for line in ran.output.splitlines() if line.strip("│ ").startswith("path"))
    # 7 tried (5 on day 0, 2 on day 1) and died; 2 waited at the end of day 0
    assert [cell.strip() for cell in row.strip("│").split("│")] == \
        ["path", "7", "0", "0", "0", "7", "0", "2"]


def test_the_new_scenario_template_has_an_informal_crossing_to_uncomment(tmp_path):
    folder = tmp_path / "x"
    CliRunner().invoke(main, ["scenario", "new", "x", "--dir", str(folder)])
    path = folder / "informal_crossings.csv"
    assert load_scenario(folder).informal == []          # commented out: none until wanted
    path.write_text(path.read_text(encoding="utf-8").replace("# Trail", "Trail"),
                    encoding="utf-8")
    sc = load_scenario(folder)
    assert [r.name for r in sc.informal] == ["Trail"]
    res = simulate(compile_world(sc), sc.params, events=sc.spec.timeline)
    assert res.informal_names == ["Trail"] and res.summary()["conserved"]


def test_outcomes_of_attempts_come_at_their_rates(tmp_path):
    # 4,000 attempts on day 0: die 10%; of the living, 20% injured and 30% caught (independent)
    res = run(world_with_path(tmp_path, [informal_row(capacity_per_day=10_000, death_risk=0.1,
                                                      injury_risk=0.2, detection=0.3)],
                              people=4000), seed=3)
    n = 4000
    day0 = {m: series(res, f"informal_{m}")[0] for m in ("attempts", "died", "injured", "caught",
                                                         "crossed")}
    assert day0["attempts"] == n
    assert day0["died"] + day0["caught"] + day0["crossed"] == n
    for measure, p in (("died", 0.1), ("injured", 0.9 * 0.2), ("caught", 0.9 * 0.3)):
        assert abs(day0[measure] - n * p) < 5 * np.sqrt(n * p * (1 - p)), (measure, day0)


def test_the_report_shows_the_informal_crossings(tmp_path):
    folder = world_with_path(tmp_path / "sc", [informal_row(death_risk=1, capacity_per_day=5)],
                             people=7)
    out = tmp_path / "run"
    assert CliRunner().invoke(main, ["run", str(folder), "--out", str(out),
                                     "--quiet"]).exit_code == 0
    page = tmp_path / "r.html"
    made = CliRunner().invoke(main, ["report", str(out), "--out", str(page), "--scenario",
                                     str(folder)])
    assert made.exit_code == 0, made.output
    html = page.read_text(encoding="utf-8")
    assert "<h2>Informal crossings</h2>" in html
    cells = html.split("<h2>Informal crossings</h2>")[1].split("</table>")[0]
    # attempts 7, caught 0, crossed 0, injured 0, died 7, gave up 0, peak waiting 2
    assert [c.split(">")[-1] for c in cells.split("</td>")[:-1]] == \
        ["path", "7", "0", "0", "0", "7", "0", "2"]
    # a what-if of runs in memory gives the medians of the runs
    from travesia.web.data import from_results
    sc = load_scenario(folder)
    runs = [simulate(compile_world(sc), sc.params, seed=s) for s in range(3)]
    ds = from_results("w", "whatif", "w", runs, [sc.params.model_dump()] * 3)
    assert ds.informal["path"]["informal_died"] == 7.0


def test_an_ensemble_store_keeps_the_informal_series_and_bands_read_them(tmp_path):
    folder = world_with_path(tmp_path / "sc", [informal_row(death_risk=1, capacity_per_day=5)],
                             people=7)
    store = tmp_path / "ens.duckdb"
    made = CliRunner().invoke(main, ["ensemble", str(folder), "--runs", "2", "--store", str(store),
                                     "--workers", "1"])
    assert made.exit_code == 0, made.output
    drawn = CliRunner().invoke(main, ["bands", str(store), "--measure", "informal_died",
                                      "--out", str(tmp_path / "bands")])
    assert drawn.exit_code == 0, drawn.output
    import pyarrow.csv as pacsv
    table = pacsv.read_csv(tmp_path / "bands" / "bands.csv").to_pydict()
    assert set(table["where"]) == {"path"} and set(table["measure"]) == {"informal_died"}
    assert table["p50"][:3] == [5, 2, 0]               # 5 on day 0, 2 on day 1, in every run
    wrong = CliRunner().invoke(main, ["bands", str(store), "--measure", "informal_dead"])
    assert wrong.exit_code == 2 and "unknown measure 'informal_dead'" in wrong.output
    # an ensemble without informal crossings says so
    plain = tmp_path / "plain.duckdb"
    CliRunner().invoke(main, ["ensemble", str(tiny_scenario(tmp_path / "tiny")), "--runs", "1",
                              "--store", str(plain), "--workers", "1"])
    none = CliRunner().invoke(main, ["bands", str(plain), "--measure", "informal_died"])
    assert none.exit_code == 2 and "no informal crossing" in none.output, none.output


def test_the_dashboard_gives_the_informal_totals_of_a_run(tmp_path):
    from fastapi.testclient import TestClient

    from travesia.web.app import create_app
    from travesia.web.sources import build

    folder = world_with_path(tmp_path / "sc", [informal_row(death_risk=1, capacity_per_day=5)],
                             people=7)
    out = tmp_path / "run"
    assert CliRunner().invoke(main, ["run", str(folder), "--out", str(out),
                                     "--quiet"]).exit_code == 0
    view, catalogue = build(str(folder), None, (out,))
    app = create_app(view, catalogue)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        run_id = next(d["id"] for d in client.get("/api/datasets").json()["datasets"]
                      if d["kind"] == "run")
        info = client.get(f"/api/datasets/{run_id}").json()
        assert info["informal"]["path"]["informal_died"] == 7
        both = client.get(f"/api/compare?a={run_id}&b={run_id}").json()
        assert both["b"]["informal"]["path"]["informal_attempts"] == 7
    app.state.runner.shutdown()


# --- transit people may take an informal crossing (model.md §4b) ---------------------------------

def transit_in(per_day=10, end="2026-01-03") -> dict:
    return {"place": "A", "nationality": "Venezuela", "status": "irregular",
            "start": "2026-01-01", "end": end, "people_per_day": per_day, "mode": "transit"}


def test_a_transit_inflow_beside_a_path_it_prefers_goes_there_and_crosses(tmp_path):
    # 10 a day come in at A on days 0-2 and set out at once for the path (the posts weigh -1000),
    # whose origin side is A itself: they wait there from the next day, cross 10 a day (days 1-3)
    # and walk the 10 km path to D the day after
    res = run(world_with_path(tmp_path, people=0, inflows=[transit_in()]))
    assert series(res, "informal_departures") == [10, 10, 10] + [0] * 7
    assert res.flows["departures"].sum() == 0
    assert series(res, "informal_attempts")[:5] == [0, 10, 10, 10, 0]
    assert series(res, "informal_crossed") == series(res, "informal_attempts")
    assert arrived_at_d(res)[:6] == [0, 0, 10, 20, 30, 30]
    assert res.summary()["conserved"]


def test_transit_people_split_between_posts_and_path_by_the_exit_choice(tmp_path):
    # without preferences the posts (1 km) and the path (10 km) are both believed open and only
    # km apart: the exit choice gives them 0.501 and 0.499; 2000 people split about evenly
    # (sd 22), and nobody stays at A
    folder = world_with_path(tmp_path, people=0,
                             inflows=[transit_in(per_day=2000, end="2026-01-01")],
                             parameters={"crossing_preference": {}})
    res = run(folder)
    formal, informal = int(res.flows["departures"].sum()), sum(series(res, "informal_departures"))
    assert formal + informal == 2000 and 900 < formal < 1100


def test_a_path_out_of_another_country_is_not_a_transit_choice(tmp_path):
    # a road D -- A lets people at D (country Y) reach the path's origin side A, but the path leads
    # out of X, not out of Y (nor does the crossing): from D there is no choice, from A the path
    from travesia.model.engine import Simulation
    from travesia.model.engine.network import transit_probabilities
    folder = world_with_path(tmp_path, people=0)
    with (folder / "routes.csv").open("a", encoding="utf-8") as f:
        f.write("D,A,50,hand\n")
    sc = load_scenario(folder)
    world = compile_world(sc)
    prob = transit_probabilities(Simulation(world, sc.params))            # [P, N, S, C + I]
    assert prob[world.place_index("D")].sum() == 0
    assert prob[world.place_index("A"), 0, :, 1] == pytest.approx(1.0)     # the posts weigh -1000
    # so a transit inflow at D is still a dead end
    write_csv(folder / "inflows.csv", [{**transit_in(), "place": "D", "source": "hand"}])
    with pytest.raises(ScenarioError, match="dead end for people in transit"):
        load_scenario(folder)


def test_a_place_whose_only_way_out_is_a_path_is_no_dead_end_for_transit(tmp_path):
    # town B (country X) has no road at all; a path leads from it to D: transit inflows at B are
    # accepted and all take the path
    folder = world_with_path(tmp_path, people=0, rows=[informal_row(**{"from": "B"})],
                             inflows=[{**transit_in(), "place": "B"}])
    with (folder / "places.csv").open("a", encoding="utf-8") as f:
        f.write("B,X,r,0,-0.01,city,hand\n")
    res = run(folder)
    assert series(res, "informal_departures") == [10, 10, 10] + [0] * 7
    assert sum(series(res, "informal_crossed")) == 30 and res.flows["departures"].sum() == 0


def test_a_path_nobody_would_take_leaves_a_transit_run_as_it_was(tmp_path):
    # a path of prohibitive cost: departures, entries and the network stream as without it
    plain = tiny_scenario(tmp_path / "plain", people=0, inflows=[transit_in(per_day=7)])
    with_path = world_with_path(tmp_path / "path", people=0, inflows=[transit_in(per_day=7)],
                                rows=[informal_row(cost=1e9)],
                                parameters={"crossing_preference": {}})
    a, b = run(plain, seed=5), run(with_path, seed=5)
    for measure in ("departures", "entries"):
        assert a.flows[measure].tolist() == b.flows[measure].tolist()
    assert sum(series(b, "informal_departures")) == 0
