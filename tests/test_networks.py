"""Networks of borders: inflows.csv, and chains of crossings (model.md §4b), on tiny scenarios with
outcomes worked out by hand.

The tiny world (tests/scenario_kit.py): town A (country X) -- 1 km -- exit post XP | 1 km strip |
entry post YP (country Y) -- 100 km -- destination D. Everyone settled at A leaves on day 0 unless
a test says otherwise; the entry post lets 10 people a day in.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenario_kit import tiny_scenario
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
    (inflow(mode="fly"), "mode", "Input should be 'settle' or 'transit'"),
    (inflow(per_day=-1), "people_per_day", "greater than or equal to 0"),
    (inflow(status="tourist"), "status", "Input should be 'regular' or 'irregular'"),
    (inflow(start="soon"), "start", "valid date"),
    (inflow(place="D", mode="transit"), "place",
     "place 'D' is a dead end for people in transit: no road from it reaches a crossing out of Y"),
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
