"""The deadline response at a crossing (model.md §2, "Rushes"): those a rule change would shut out
hurry to cross before it. Figures worked out by hand on the tiny scenario of scenario_kit."""

from __future__ import annotations

import numpy as np
import pytest

from scenario_kit import tiny_scenario
from travesia.model.engine import Simulation, simulate
from travesia.model.engine.departures import exit_utilities, rush_pressure
from travesia.model.world import compile_world
from travesia.scenario import load_scenario

# Known on day 1 (2 Jan); from day 7 (8 Jan) the entry post admits only passport holders.
RULE_CHANGE = [
    {"date": "2026-01-02", "type": "deadline", "deadline": "2026-01-08", "crossing": "X-Y",
     "statuses": ["irregular"], "source": "hand"},
    {"date": "2026-01-08", "type": "admission", "crossing": "X-Y", "post": "entry",
     "admits": "passport", "source": "hand"},
]
HALF_PASSPORT = ("nationality,status,documents,share,source\n"
                 "Venezuela,irregular,passport,0.5,hand\n"
                 "Venezuela,irregular,none,0.5,hand\n")


def _folder(tmp_path, timeline, rush_response=20.0, **kw):
    params = {"departure_rate_per_day": {"regular": 1e-3, "irregular": 1e-3},
              "rush_response": rush_response, "rush_horizon_days": 2.0}
    params.update(kw.pop("parameters", {}))
    folder = tiny_scenario(tmp_path, people=100_000, distance_km=1000, entry_cap=100_000,
                           exit_cap=100_000, days=12, timeline=timeline, parameters=params, **kw)
    (folder / "documents.csv").write_text(HALF_PASSPORT, encoding="utf-8")
    return folder


def _sim(folder, seed=0):
    sc = load_scenario(folder)
    return Simulation(compile_world(sc), sc.params, seed=seed, events=sc.spec.timeline)


def _run(folder, seed=0):
    sc = load_scenario(folder)
    return simulate(compile_world(sc), sc.params, seed=seed, events=sc.spec.timeline)


def test_pressure_grows_to_the_last_day_that_still_reaches_the_crossing(tmp_path):
    sim = _sim(_folder(tmp_path, RULE_CHANGE))
    # half (those without a passport) are shut out; 1,000 km at 900 km a day: one day of road
    assert sim.rushes[0].shut[0, sim.world.statuses.index("irregular")] == pytest.approx(0.5)
    irr = sim.world.statuses.index("irregular")
    pressure = [rush_pressure(sim, day)[0, 0, irr, 0] for day in range(9)]
    # last day of the old rule: day 6; days to spare on day d: 6 - d - 1
    assert pressure[0] == 0.0                                     # not yet known
    assert pressure[1] == pytest.approx(0.5 * np.exp(-4 / 2))
    assert pressure[3] == pytest.approx(0.5 * np.exp(-2 / 2))
    assert pressure[5] == pytest.approx(0.5)
    assert pressure[6] == 0.0 and pressure[7] == 0.0              # too late to arrive in time
    reg = sim.world.statuses.index("regular")
    assert rush_pressure(sim, 5)[0, 0, reg, 0] == 0.0              # regular residents not targeted


def test_the_last_day_before_the_rule_brings_a_rush_of_several_times_the_baseline(tmp_path):
    res = _run(_folder(tmp_path, RULE_CHANGE), seed=4)
    departures = res.flows["departures"][:, 0]
    entries = res.flows["entries"][:, 0]
    # settled 100,000 x 1e-3 a day: ~100 (+-4 sd of 10) before the rule is known
    assert departures[0] == pytest.approx(100, abs=40)
    # day 5: rate 1e-3 x (1 + 20 x 0.5) = 11e-3 of ~99,000 left
    assert departures[5] == pytest.approx(11e-3 * (100_000 - departures[:5].sum()), rel=0.1)
    # one day of road: those who left on day d enter on day d + 1; on day 6, the last day before
    # the rule, ~11 x those who left before the rule was known (day 0)
    assert entries[1:7].tolist() == departures[0:6].tolist()
    assert entries[6] > 5 * entries[1]
    assert entries[2] < entries[3] < entries[4] < entries[5] < entries[6]
    # from day 7 the half without a passport is refused and the rush is over
    assert entries[8] < 0.7 * departures[7] + 40
    assert res.flows["refused"][8, 0] > 0


def test_without_rush_response_the_run_is_the_one_without_the_event(tmp_path):
    with_event = _run(_folder(tmp_path / "a", RULE_CHANGE, rush_response=0.0), seed=7)
    without = _run(_folder(tmp_path / "b", RULE_CHANGE[1:], rush_response=0.0), seed=7)
    for name in ("departures", "entries", "refused"):
        assert np.array_equal(with_event.flows[name], without.flows[name])


def test_a_deadline_at_a_crossing_is_not_a_deadline_to_leave(tmp_path):
    sim = _sim(_folder(tmp_path, RULE_CHANGE, rush_response=0.0,
                       parameters={"deadline_response": 50.0}))
    for day in range(6):
        sim.step(day)
    assert (sim.policy.deadline_day >= 10**8).all()


def test_a_benefit_lost_shuts_out_everyone_the_rules_admit(tmp_path):
    # no rule change on the deadline (a permit for those who entered before it): all targeted rush
    timeline = [dict(RULE_CHANGE[0])]
    sim = _sim(_folder(tmp_path / "all", timeline))
    irr = sim.world.statuses.index("irregular")
    assert sim.rushes[0].shut[0, irr] == pytest.approx(1.0)
    # of another nationality only: nobody here is shut out
    timeline = [dict(RULE_CHANGE[0], nationality="Colombia")]
    folder = _folder(tmp_path / "other", timeline, extra_people=[
        {"place": "A", "nationality": "Colombia", "status": "irregular", "people": 10,
         "source": "hand"}])
    sim = _sim(folder)
    ven = sim.world.nationalities.index("Venezuela")
    col = sim.world.nationalities.index("Colombia")
    assert sim.rushes[0].shut[ven, irr] == 0.0
    assert sim.rushes[0].shut[col, irr] == pytest.approx(1.0)


def test_the_crossing_pulls_by_log_one_plus_response_times_pressure(tmp_path):
    sim = _sim(_folder(tmp_path, RULE_CHANGE))
    irr = sim.world.statuses.index("irregular")
    calm = exit_utilities(sim)[0, 0, irr, 0]
    rushed = exit_utilities(sim, 5)[0, 0, irr, 0]
    assert rushed - calm == pytest.approx(np.log1p(20.0 * 0.5))
    assert exit_utilities(sim, 5)[0, 0, irr, 1] == exit_utilities(sim)[0, 0, irr, 1]   # staying


def test_an_unknown_crossing_in_a_deadline_is_a_one_line_error(tmp_path):
    from travesia.errors import ScenarioError
    timeline = [dict(RULE_CHANGE[0], crossing="Nowhere")]
    with pytest.raises(ScenarioError, match="unknown crossing 'Nowhere'"):
        load_scenario(_folder(tmp_path, timeline))


def test_people_in_transit_hurry_too(tmp_path):
    # 100 a day come into A in transit; those without a passport (half) are shut out on day 7.
    # They come in after the day's travel and take the road the next day, so the pressure on
    # day d is that of day d + 1: 1 km of road, no day of road, spare 6 - (d + 1) (day 6 the
    # last of the old rule): 100 x (1 + 20 x 0.5 x e^-(5-d)/2) come in (from day 0: they leave
    # on day 1, when the rule is known), 1,100 on day 5; those of day 5 enter on day 6
    rows = [{"place": "A", "nationality": "Venezuela", "status": "irregular",
             "start": "2026-01-01", "end": "2026-01-12", "people_per_day": 100.0,
             "mode": "transit"}]
    folder = tiny_scenario(tmp_path, people=0, distance_km=1, entry_cap=100_000,
                           exit_cap=100_000, days=12, timeline=RULE_CHANGE, inflows=rows,
                           parameters={"rush_response": 20.0, "rush_horizon_days": 2.0})
    (folder / "documents.csv").write_text(HALF_PASSPORT, encoding="utf-8")
    res = _run(folder)
    inflow = res.inflow[:, 0]
    expected = [100 * (1 + 20 * 0.5 * np.exp(-(5 - d) / 2)) for d in range(0, 6)]
    assert inflow[0] == int(expected[0])
    assert inflow[:6].sum() == pytest.approx(sum(expected), abs=1)
    assert inflow[5] == pytest.approx(1100, abs=1)
    assert inflow[6:].tolist() == [100] * 6                   # too late, then the plain rate
    assert res.flows["entries"][6, 0] == inflow[5]            # on the last day of the old rule
    # a settle row does not hurry
    rows[0]["mode"] = "settle"
    folder = tiny_scenario(tmp_path / "settle", people=0, days=12, timeline=RULE_CHANGE,
                           inflows=rows, parameters={"rush_response": 20.0})
    (folder / "documents.csv").write_text(HALF_PASSPORT, encoding="utf-8")
    assert _run(folder).inflow[:, 0].tolist() == [100] * 12
