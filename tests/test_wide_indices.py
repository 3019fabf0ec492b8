"""Agents keep nationality and crossing in 16 bits: 200 of either work (8 bits stopped at 127).
"""

from __future__ import annotations

from scenario_kit import tiny_scenario, write_csv
from travesia.model.engine import simulate
from travesia.model.world import compile_world
from travesia.scenario import load_scenario


def test_the_200th_nationality_is_the_one_a_rule_names(tmp_path):
    # 200 nationalities of 3 people each at A; the entry post admits only the last one, N199
    names = [f"N{i:03d}" for i in range(200)]
    folder = tiny_scenario(tmp_path, people=3, nationality=names[0], entry_cap=10_000,
                           entry_admits="N199", extra_people=[
                               {"place": "A", "nationality": n, "status": "irregular",
                                "people": 3, "source": "hand"} for n in names[1:]])
    write_csv(folder / "documents.csv", [
        {"nationality": n, "status": "irregular", "documents": "none", "share": 1,
         "source": "hand"} for n in names])
    sc = load_scenario(folder)
    world = compile_world(sc)
    assert world.nationalities.index("N199") == 199
    res = simulate(world, sc.params, seed=0, events=sc.spec.timeline)
    assert res.flows["entries"][:, 0].sum() == 3
    assert res.flows["refused"][:, 0].sum() == 199 * 3


def test_the_200th_crossing_gets_the_people_who_prefer_it(tmp_path):
    # town A with roads of 1 km to 200 crossings; everyone prefers the last, C199
    folder = tiny_scenario(tmp_path, people=40, entry_cap=1000, parameters={
        "crossing_preference": {"C199": {"Venezuela": 50.0}}})
    places = [{"name": "A", "country": "X", "region": "r", "lat": 0, "lon": 0, "kind": "city",
               "source": "hand"},
              {"name": "D", "country": "Y", "region": "r", "lat": 0, "lon": 1,
               "kind": "destination", "source": "hand"}]
    routes, crossings = [], []
    for c in range(200):
        xp, yp = f"XP{c}", f"YP{c}"
        places += [{"name": xp, "country": "X", "region": "r", "lat": 0, "lon": 0.01,
                    "kind": "post", "source": "hand"},
                   {"name": yp, "country": "Y", "region": "r", "lat": 0, "lon": 0.02,
                    "kind": "post", "source": "hand"}]
        routes += [{"from": "A", "to": xp, "distance_km": 1, "source": "hand"},
                   {"from": yp, "to": "D", "distance_km": 100, "source": "hand"}]
        crossings.append({"name": f"C{c}", "exit_post": xp, "entry_post": yp, "strip_km": 1,
                          "exit_capacity_per_day": 1000, "entry_capacity_per_day": 1000,
                          "exit_admits": "any", "entry_admits": "any", "return_place": "A",
                          "destination": "D", "source": "hand"})
    write_csv(folder / "places.csv", places)
    write_csv(folder / "routes.csv", routes)
    write_csv(folder / "crossings.csv", crossings)
    sc = load_scenario(folder)
    world = compile_world(sc)
    res = simulate(world, sc.params, seed=1, events=sc.spec.timeline)
    assert res.flows["departures"][:, 199].sum() == 40
    assert res.flows["entries"][:, 199].sum() == 40
    assert res.flows["entries"][:, :199].sum() == 0
