"""Networks of borders: inflows.csv, and chains of crossings (model.md §4b), on tiny scenarios with
outcomes worked out by hand.

The tiny world (tests/scenario_kit.py): town A (country X) -- 1 km -- exit post XP | 1 km strip |
entry post YP (country Y) -- 100 km -- destination D. Everyone settled at A leaves on day 0 unless
a test says otherwise; the entry post lets 10 people a day in.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenario_kit import chain_scenario, tiny_scenario, write_csv
from travesia.errors import ScenarioError
from travesia.model.engine import simulate
from travesia.model.results import STATE_COLUMNS
from travesia.model.world import compile_world
from travesia.scenario import load_scenario
from travesia.scenario.data_values import check_data_name, with_data_values

SETTLED, TRAVELLING = STATE_COLUMNS.index("settled"), STATE_COLUMNS.index("travelling")
ARRIVED = STATE_COLUMNS.index("arrived")


def inflow(place="A", start="2026-01-01", end="2026-01-03", per_day=10.0, mode="settle",
           status="irregular", nationality="Venezuela") -> dict:
    return {"place": place, "nationality": nationality, "status": status, "start": start,
            "end": end, "people_per_day": per_day, "mode": mode}


def run(folder, seed=0):
    sc = load_scenario(folder)
    world = compile_world(sc)
    return simulate(world, sc.params, seed=seed, events=sc.spec.timeline), world


def test_an_inflow_of_10_a_day_for_3_days_brings_30(tmp_path):
    folder = tiny_scenario(tmp_path / "s", people=0, inflows=[inflow()],
                           parameters={"departure_rate_per_day": {"regular": 0.0,
                                                                  "irregular": 0.0}})
    res, world = run(folder)
    a = world.place_index("A")
    assert res.inflow[:, a].tolist() == [10, 10, 10] + [0] * 7
    assert res.counts[:, a, SETTLED].tolist() == [10, 20, 30] + [30] * 7
    summary = res.summary()
    assert summary["inflows"] == {"A": 30} and summary["conserved"]
    assert res.population == 0 and res.present()[-1] == 30


def test_fractions_of_people_carry_over_day_to_day(tmp_path):
    # 2.5 a day for 4 days: 2, 3 (0.5 + 2.5), 2, 3 -> 10; D reaches no crossing, so all stay
    folder = tiny_scenario(tmp_path / "s", inflows=[inflow(place="D", end="2026-01-04",
                                                           per_day=2.5)])
    res, world = run(folder)
    d = world.place_index("D")
    assert res.inflow[:4, d].tolist() == [2, 3, 2, 3]
    assert res.counts[:4, d, SETTLED].tolist() == [2, 5, 7, 10]


def test_an_inflow_outside_the_period_brings_only_its_days_inside(tmp_path):
    folder = tiny_scenario(tmp_path / "s", people=0, days=3,
                           inflows=[inflow(start="2025-12-30", end="2026-01-02", per_day=4)],
                           parameters={"departure_rate_per_day": {"regular": 0.0,
                                                                  "irregular": 0.0}})
    res, world = run(folder)
    assert res.inflow[:, world.place_index("A")].tolist() == [4, 4, 0]


def test_a_transit_inflow_sets_out_at_once_and_crosses(tmp_path):
    # 10 a day on days 0-2 set out from A the day they come (departures), walk the 1 km the next
    # day, pass both posts (the entry post takes 10 a day) and reach D 100 km on
    folder = tiny_scenario(tmp_path / "s", people=0, inflows=[inflow(mode="transit")])
    res, world = run(folder)
    a, d = world.place_index("A"), world.place_index("D")
    assert res.flows["departures"][:, 0].tolist() == [10, 10, 10] + [0] * 7
    assert res.counts[:3, a, TRAVELLING].tolist() == [10, 10, 10]
    assert res.counts[:, a, SETTLED].sum() == 0
    assert res.flows["entries"][:, 0].tolist() == [0, 10, 10, 10] + [0] * 6
    assert res.counts[-1, d, ARRIVED] == 30
    assert res.summary()["conserved"]


def test_transit_inflows_draw_their_documents(tmp_path):
    # half hold a visa; the entry post admits only visa holders: about half get in
    folder = tiny_scenario(tmp_path / "s", people=0, entry_cap=1000, entry_admits="visa",
                           inflows=[inflow(mode="transit", per_day=200, end="2026-01-01")])
    (folder / "documents.csv").write_text(
        "nationality,status,documents,share,source\n"
        "Venezuela,irregular,visa,0.5,hand\nVenezuela,irregular,none,0.5,hand\n",
        encoding="utf-8")
    res, _ = run(folder)
    assert res.flows["entries"].sum() + res.flows["refused"].sum() == 200
    assert 60 < res.flows["entries"].sum() < 140


def test_a_prior_may_vary_an_inflow_rate_by_row_number(tmp_path):
    folder = tiny_scenario(tmp_path / "s", people=0,
                           inflows=[inflow(), inflow(place="D", per_day=1)],
                           parameters={"departure_rate_per_day": {"regular": 0.0,
                                                                  "irregular": 0.0}})
    sc = load_scenario(folder)
    check_data_name(sc, "inflows[2].people_per_day")
    with pytest.raises(ScenarioError, match=r"no data row 3 in inflows.csv \(.*1 to 2\)"):
        check_data_name(sc, "inflows[3].people_per_day")
    changed = with_data_values(sc, {"inflows[2].people_per_day": 5.0})
    assert [r.people_per_day for r in changed.inflows] == [10.0, 5.0]
    assert [r.people_per_day for r in sc.inflows] == [10.0, 1.0]
    res = simulate(compile_world(changed), changed.params, seed=0)
    assert res.inflow_totals() == {"A": 30, "D": 15}


@pytest.mark.parametrize("row, field, message", [
    (inflow(place="Nowhere"), "place", "unknown place 'Nowhere'"),
    (inflow(place="XP"), "place", "place 'XP' is a post, expected city or destination"),
    (inflow(end="2025-12-31"), "end", "end 2025-12-31 is before start 2026-01-01"),
    (inflow(mode="fly"), "mode", "must be 'settle' or 'transit'"),
    (inflow(per_day=-1), "people_per_day", "must be at least 0"),
    (inflow(status="tourist"), "status",
     "unknown status 'tourist' (scenario.yaml declares: regular, irregular)"),
    (inflow(start="soon"), "start", "not a date"),
    (inflow(per_day=1e9, end="2026-02-10"), "people_per_day",
     "brings 1e+09 people a day for 41 days, more than 10,000,000,000 in all"),
    (inflow(place="D", mode="transit"), "place",
     "place 'D' is a dead end for people in transit: no road from it reaches a crossing (or "
     "informal crossing) out of Y"),
])
def test_bad_inflow_rows_are_named_errors(tmp_path, row, field, message):
    folder = tiny_scenario(tmp_path / "s", inflows=[inflow(), row])
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    text = str(err.value)
    assert "inflows.csv" in text and "row 3" in text and field in text and message in text


def test_an_inflow_row_needs_a_known_source(tmp_path):
    folder = tiny_scenario(tmp_path / "s", inflows=[{**inflow(), "source": "nobody"}])
    with pytest.raises(ScenarioError, match="unknown source id 'nobody'"):
        load_scenario(folder)


def test_a_scenario_without_inflows_draws_nothing_from_the_network_stream(tmp_path):
    from travesia.model.engine import Simulation
    from travesia.model.engine.simulation import phase_rng

    sc = load_scenario(tiny_scenario(tmp_path / "s"))
    sim = Simulation(compile_world(sc), sc.params, seed=3)
    for day in range(sim.days):
        sim.step(day)
    assert sim.rng["network"].random() == phase_rng(3, "network").random()
    assert not sim.inflow.any() and np.isclose(sim.inflow_carry.sum(), 0)


# --- chains of crossings: A (X) | M (Y, capacity) | E (Z) -----------------------------------------

def at(res, world, place, state):
    return res.counts[:, world.place_index(place), STATE_COLUMNS.index(state)].tolist()


def test_a_chain_of_two_borders_is_crossed_through_a_transit_place(tmp_path):
    # 20 leave A on day 0; the first entry post lets 10 a day in (days 0, 1); 900 km a day takes
    # them to M the next day, where (capacity 0, transit) they set out at once for Y-Z: across
    # it the day after, at E one more day on
    res, world = run(chain_scenario(tmp_path / "s"))
    assert res.flows["entries"][:, 0].tolist()[:3] == [10, 10, 0]
    assert res.flows["departures"][:, 1].tolist()[:4] == [0, 10, 10, 0]
    assert at(res, world, "M", "travelling")[:4] == [0, 10, 10, 0]
    assert res.flows["entries"][:, 1].tolist()[:5] == [0, 0, 10, 10, 0]
    assert at(res, world, "E", "arrived")[:5] == [0, 0, 0, 10, 20]
    assert at(res, world, "M", "arrived") == [0] * 10 and at(res, world, "M", "settled") == [0] * 10
    assert res.summary()["conserved"]


def test_a_destination_absorbs_up_to_its_capacity_and_the_rest_settle(tmp_path):
    # capacity 15: the first 10 (day 1) and 5 of the next 10 (day 2) arrive; 5 settle at M, let
    # in at the post, so regular in Y, and regular people here never leave
    folder = chain_scenario(tmp_path / "s", capacity=15, beyond="settle",
                            parameters={"departure_rate_per_day": {"regular": 0.0,
                                                                   "irregular": 1.0}})
    res, world = run(folder)
    assert at(res, world, "M", "arrived")[:4] == [0, 10, 15, 15]
    assert at(res, world, "M", "settled")[:4] == [0, 0, 5, 5]
    assert res.newly_settled[:4, world.place_index("M")].tolist() == [0, 0, 5, 5]
    assert res.flows["departures"][:, 1].sum() == 0
    assert at(res, world, "E", "arrived")[-1] == 0


def test_those_settled_past_capacity_leave_again_by_the_departure_rules(tmp_path):
    # capacity 0, settle: all 20 settle at M as regular; regular people leave at once, so they
    # go on the day after they settle, through Y-Z
    folder = chain_scenario(tmp_path / "s", beyond="settle",
                            parameters={"departure_rate_per_day": {"regular": 1.0,
                                                                   "irregular": 1.0}})
    res, world = run(folder)
    assert at(res, world, "M", "settled")[:4] == [0, 10, 10, 0]
    assert res.flows["departures"][:, 1].tolist()[:4] == [0, 0, 10, 10]
    assert at(res, world, "E", "arrived")[-1] == 20


def test_the_entry_decides_the_status_in_the_new_country(tmp_path):
    # irregular people leave at once, regular ones never. All 20 (irregular in X) settle at M
    # (capacity 0). Let in at the first entry post they are regular in Y, and stay at M; when the
    # post admits only visa holders (nobody) they cross at night (always succeeding), are
    # irregular in Y, and leave M again through Y-Z.
    rates = {"departure_rate_per_day": {"regular": 0.0, "irregular": 1.0}}
    res, _ = run(chain_scenario(tmp_path / "post", beyond="settle", parameters=rates))
    assert res.flows["entries"][:, 0].sum() == 20
    assert res.flows["departures"][:, 1].sum() == 0
    res, world = run(chain_scenario(tmp_path / "night", beyond="settle", entry_admits="visa",
                                    parameters={**rates, "irregular_attempt_rate_per_day": 1.0,
                                                "irregular_success": 1.0}))
    assert res.flows["irregular"][:, 0].sum() == 20 and res.flows["entries"][:, 0].sum() == 0
    assert res.flows["departures"][:, 1].sum() == 20
    assert at(res, world, "E", "arrived")[-1] == 20


def test_a_transit_inflow_at_a_chain_place_goes_through_the_next_border(tmp_path):
    folder = chain_scenario(tmp_path / "s", people=0,
                            inflows=[inflow(place="M", mode="transit", per_day=7,
                                            end="2026-01-02")])
    res, world = run(folder)
    assert res.flows["departures"][:, 0].sum() == 0
    assert res.flows["departures"][:, 1].tolist()[:3] == [7, 7, 0]
    assert at(res, world, "E", "arrived")[-1] == 14


def test_an_inflow_crosses_a_chain_of_two_borders(tmp_path):
    # the acceptance scenario: nobody settled; 5 a day come in at A on days 0-1 in transit, set
    # out at once, cross X-Y the next day, go on from M (capacity 0, transit) and cross Y-Z
    folder = chain_scenario(tmp_path / "s", people=0,
                            inflows=[inflow(mode="transit", per_day=5, end="2026-01-02")])
    res, world = run(folder)
    assert res.inflow[:3, world.place_index("A")].tolist() == [5, 5, 0]
    assert res.flows["departures"].sum(axis=0).tolist() == [10, 10]
    assert res.flows["entries"][:, 0].tolist()[:4] == [0, 5, 5, 0]
    assert res.flows["entries"][:, 1].tolist()[:6] == [0, 0, 0, 5, 5, 0]
    assert at(res, world, "E", "arrived")[-1] == 10 and res.summary()["conserved"]


def test_old_scenarios_absorb_everyone_at_the_destination(tmp_path):
    # no capacity column: M absorbs all 20, nobody goes on (the old meaning)
    res, world = run(chain_scenario(tmp_path / "s", capacity=None, beyond=None))
    assert at(res, world, "M", "arrived")[-1] == 20
    assert res.flows["departures"][:, 1].sum() == 0


@pytest.mark.parametrize("edit, field, message", [
    ({"name": "A", "capacity": 5}, "capacity", "only a destination has a capacity ('A' is a city)"),
    ({"name": "M", "capacity": "", "beyond_capacity": "transit"}, "beyond_capacity",
     "beyond_capacity without a capacity"),
    ({"name": "M", "capacity": -1}, "capacity", "must be at least 0"),
    ({"name": "M", "beyond_capacity": "fly"}, "beyond_capacity", "'settle' or 'transit'"),
    ({"name": "E", "capacity": 0, "beyond_capacity": "transit"}, "beyond_capacity",
     "place 'E' sends people on in transit, but no road from it reaches a crossing (or informal "
     "crossing) out of Z"),
])
def test_bad_capacities_are_named_errors(tmp_path, edit, field, message):
    folder = chain_scenario(tmp_path / "s")
    import csv
    with (folder / "places.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["name"] == edit["name"]:
            row.update({k: str(v) for k, v in edit.items()})
    write_csv(folder / "places.csv", rows)
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    text = str(err.value)
    assert "places.csv" in text and field in text and message in text


def test_the_store_keeps_the_inflow_per_place_and_day(tmp_path):
    import datetime as dt

    from travesia.outputs.store import RunRecord, Store

    folder = tiny_scenario(tmp_path / "s", people=0, inflows=[inflow(per_day=2.5)],
                           parameters={"departure_rate_per_day": {"regular": 0.0,
                                                                  "irregular": 0.0}})
    res, _ = run(folder)
    sc = load_scenario(folder)
    now = dt.datetime.now()
    record = RunRecord(run_id="r1", ensemble_id="e", scenario=sc.name,
                       scenario_hash=sc.content_hash, parameters_json="{}", varied_json="{}",
                       seed=0, days=None, started=now, finished=now, wall_seconds=0.1)
    with Store(tmp_path / "s.duckdb") as store:
        store.add_run(record, res)
        rows = store.con.execute("SELECT date, place, inflow FROM places WHERE run_id = 'r1' "
                                 "ORDER BY date").fetchall()
    assert [(d.day, p, n) for d, p, n in rows] == [(1, "A", 2), (2, "A", 3), (3, "A", 2)]


def test_a_prior_may_vary_a_destinations_capacity(tmp_path):
    sc = load_scenario(chain_scenario(tmp_path / "s", beyond="settle", parameters={
        "departure_rate_per_day": {"regular": 0.0, "irregular": 1.0}}))
    check_data_name(sc, "places[M].capacity")
    changed = with_data_values(sc, {"places[M].capacity": 14.6})
    world = compile_world(changed)
    res = simulate(world, changed.params, seed=0)
    m = world.place_index("M")
    assert res.counts[-1, m, ARRIVED] == 15 and res.counts[-1, m, SETTLED] == 5
    assert compile_world(sc).place_capacity[m] == 0


def test_the_cli_shows_capacities_and_inflows_and_counts_who_came_in(tmp_path):
    from click.testing import CliRunner

    from travesia.cli import main

    folder = chain_scenario(tmp_path / "s", people=0,
                            inflows=[inflow(mode="transit", per_day=3.5, end="2026-01-05")])
    shown = CliRunner().invoke(main, ["scenario", "show", str(folder)])
    assert shown.exit_code == 0
    assert "  M absorbs 0, then transit" in shown.output
    assert "  2026-01-01 to 2026-01-05  3.5/day at A: Venezuela irregular, transit" in shown.output
    ran = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output
    assert "0 people + 17 who came in" in ran.output        # 3, 4, 3, 4, 3


def test_an_inflow_may_bring_people_of_a_status_the_scenario_declares(tmp_path):
    import yaml

    folder = tiny_scenario(tmp_path / "s", inflows=[inflow(status="asylum_seeker", per_day=4)],
                           parameters={"departure_rate_per_day": {"regular": 0.0,
                                                                  "irregular": 0.0}})
    spec = yaml.safe_load((folder / "scenario.yaml").read_text())
    spec["statuses"] = ["regular", "irregular", "asylum_seeker"]
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    sc = load_scenario(folder)
    world = compile_world(sc)
    res = simulate(world, sc.params, seed=0, events=sc.spec.timeline)
    # 4 a day for 3 days settle at A as asylum seekers (no departure rate: they stay)
    assert res.inflow_totals() == {"A": 12}
    settled = res.counts[-1, world.place_index("A"), STATE_COLUMNS.index("settled")]
    assert settled == 35 + 12
