"""Each phase of the travesia ruleset on a tiny scenario, with outcomes worked out by hand.

The tiny world (tests/scenario_kit.py): town A -- road -- exit post XP | strip | entry post YP -- D.
Its default parameters make everyone at A leave on day 0 for the one crossing, with no night
crossings and nobody giving up, unless a test says otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenario_kit import tiny_scenario
from travesia.model.engine import Simulation, simulate
from travesia.model.engine.agents import BYTES_PER_AGENT
from travesia.model.engine.departures import departure_rates
from travesia.model.engine.stranded import night_crossing_success
from travesia.scenario.parameters import Parameters
from travesia.model.results import STATE_COLUMNS
from travesia.scenario import load_scenario
from travesia.model.world import compile_world


def run(folder, seed=0, **kw):
    sc = load_scenario(folder)
    world = compile_world(sc)
    return simulate(world, sc.params, seed=seed, events=sc.spec.timeline, **kw), sc, world


def sim_for(folder, seed=0):
    sc = load_scenario(folder)
    return Simulation(compile_world(sc), sc.params, seed=seed, events=sc.spec.timeline)


# --- phase 5: crossing
# -----------------------------------------------------------------------------

def test_queue_of_35_at_10_per_day_clears_on_day_4(tmp_path):
    res, *_ = run(tiny_scenario(tmp_path, people=35, entry_cap=10))
    # all 35 reach the post on day 1 (1 km); 10 pass a day: 25, 15, 5 left, then none on day 4
    assert res.flows["entries"][:5, 0].tolist() == [10, 10, 10, 5, 0]
    assert res.flows["queue"][:5, 0].tolist() == [25, 15, 5, 0, 0]


def test_fractional_capacity_carries_over(tmp_path):
    res, *_ = run(tiny_scenario(tmp_path, people=10, entry_cap=2.5))
    # 2.5 a day: 2, 3, 2, 3 -> 10 people through in 4 days
    assert res.flows["entries"][:4, 0].tolist() == [2, 3, 2, 3]


def test_nobody_without_a_permit_is_admitted_when_permits_are_required(tmp_path):
    folder = tiny_scenario(tmp_path, people=1000, entry_admits="national;visa", entry_cap=10_000)
    # 30% hold a visa: rewrite documents.csv with two rows
    (folder / "documents.csv").write_text(
        "nationality,status,documents,share,source\n"
        "Venezuela,irregular,passport;visa,0.3,hand\n"
        "Venezuela,irregular,passport,0.7,hand\n", encoding="utf-8")
    sim = sim_for(folder, seed=3)
    sim.step(0)
    a = sim.agents
    visa = (a.view("traits") & sim.world.vocabulary.bit("visa")) != 0
    assert sim.flows["entries"][0, 0] == np.count_nonzero(visa) > 200
    assert sim.flows["refused"][0, 0] == np.count_nonzero(~visa)
    # everyone who got in holds a visa; everyone stranded lacks one
    onward = a.view("state") == 5
    assert np.all(visa[onward]) and not np.any(visa[a.view("state") == 4])


def test_nationals_enter_under_a_national_rule(tmp_path):
    folder = tiny_scenario(tmp_path, people=50, nationality="Y", entry_admits="national;visa")
    res, *_ = run(folder)
    assert res.flows["entries"][:, 0].sum() == 50 and res.flows["refused"][:, 0].sum() == 0


def test_admission_event_lets_stranded_people_rejoin_the_queue(tmp_path):
    timeline = [{"date": "2026-01-04", "type": "admission", "crossing": "X-Y", "post": "entry",
                 "admits": "any",
                 "source": "hand"}]
    res, *_ = run(tiny_scenario(tmp_path, people=20, entry_admits="visa", entry_cap=100,
                                timeline=timeline))
    assert res.flows["entries"][:3, 0].sum() == 0
    assert res.flows["stranded"][2, 0] == 20
    assert res.flows["entries"][3, 0] == 20          # day 4 (index 3): the rule opens, all pass


def test_corridor_admits_up_to_its_daily_places(tmp_path):
    timeline = [{"date": "2026-01-03", "type": "corridor", "crossing": "X-Y", "days": 2,
                 "per_day": 6,
                 "source": "hand"}]
    res, *_ = run(tiny_scenario(tmp_path, people=20, entry_admits="visa", entry_cap=100,
                                timeline=timeline))
    assert res.flows["entries"][:, 0].tolist()[:5] == [0, 0, 6, 6, 0]
    assert res.flows["corridor"][:, 0].sum() == 12


# --- phase 6: stranded choices
# ---------------------------------------------------------------------

def test_flight_with_100_seats_takes_at_most_100(tmp_path):
    timeline = [{"date": "2026-01-03", "type": "flight", "from": "X-Y", "seats": 100,
                 "source": "hand"}]
    res, *_ = run(tiny_scenario(tmp_path, people=300, entry_admits="visa", entry_cap=1000,
                                timeline=timeline))
    assert res.flows["flown"][:, 0].sum() == 100
    assert res.counts[-1, :, STATE_COLUMNS.index("flown")].sum() == 100
    assert res.flows["stranded"][-1, 0] == 200


def test_flight_from_a_city_takes_settled_people_up_to_its_seats(tmp_path):
    timeline = [{"date": "2026-01-02", "type": "flight", "from": "A", "seats": 100,
                 "source": "hand"}]
    params = {"departure_rate_per_day": {"regular": 0.0, "irregular": 0.0}, "flight_uptake": 1.0}
    res, *_ = run(tiny_scenario(tmp_path, people=500, parameters=params, timeline=timeline))
    flown = res.counts[:, :, STATE_COLUMNS.index("flown")].sum(axis=1)
    assert flown.tolist()[:3] == [0, 100, 100]
    assert res.counts[-1, :, STATE_COLUMNS.index("settled")].sum() == 400


def test_everyone_who_gives_up_goes_back_and_settles(tmp_path):
    params = {"giveup_rate_per_day": 1.0}
    res, *_ = run(tiny_scenario(tmp_path, people=40, entry_admits="visa", entry_cap=100,
                                parameters=params,
                                days=6))
    # refused on day 0, all give up; they walk 1 km back and are settled at A at the end of day 1;
    # with a departure rate of 1 they leave again on day 2, and so on
    assert res.flows["gave_up"][:, 0].tolist() == [40, 0, 40, 0, 40, 0]
    settled_at_a = res.counts[:, 0, STATE_COLUMNS.index("settled")]
    assert settled_at_a.tolist() == [0, 40, 0, 40, 0, 40]


def test_night_crossing_success_falls_with_troops_and_emergency(tmp_path):
    timeline = [
        {"date": "2026-01-02", "type": "troops", "crossing": "X-Y", "personnel": 100,
         "source": "hand"},
        {"date": "2026-01-03", "type": "emergency", "crossing": "X-Y", "days": 2, "source": "hand"},
    ]
    params = {"irregular_success": 0.8, "enforcement_per_100_personnel": 1.0,
              "emergency_success_factor": 0.5}
    sim = sim_for(tiny_scenario(tmp_path, timeline=timeline, parameters=params))
    seen = []
    for day in range(5):
        sim.step(day)
        seen.append(float(night_crossing_success(sim, day)[0]))
    e = np.exp(-1.0)
    assert seen == pytest.approx([0.8, 0.8 * e, 0.4 * e, 0.4 * e, 0.8 * e])


def test_stranded_cross_at_night_at_the_expected_rate(tmp_path):
    params = {"irregular_attempt_rate_per_day": 0.5, "irregular_success": 0.4}
    res, *_ = run(tiny_scenario(tmp_path, people=20_000, entry_admits="visa", entry_cap=100_000,
                                exit_cap=100_000, parameters=params, days=3), seed=11)
    # day 1: 20,000 refused, then each tries with 0.5 and succeeds with 0.4: 20% cross
    assert res.flows["irregular"][0, 0] == pytest.approx(4000, rel=0.05)


def test_shelter_takes_no_more_than_its_places(tmp_path):
    timeline = [{"date": "2026-01-02", "type": "shelter", "place": "A", "crossing": "X-Y",
                 "capacity": 15,
                 "days": 3, "source": "hand"}]
    params = {"shelter_uptake_per_day": 1.0, "shelter_leave_per_day": 0.0}
    res, *_ = run(tiny_scenario(tmp_path, people=50, entry_admits="visa", timeline=timeline,
                                parameters=params))
    assert res.flows["sheltered"][:, 0].max() == 15
    assert res.flows["sheltered"][4, 0] == 0          # closed after 3 days: they settle at A


# --- phases 2-4: departures, exit choice, travel
# ---------------------------------------------------

def test_departure_rate_rises_with_threat_and_deadline(tmp_path):
    timeline = [
        {"date": "2026-01-02", "type": "threat", "level": 0.5, "source": "hand"},
        {"date": "2026-01-03", "type": "deadline", "deadline": "2026-01-08",
         "statuses": ["irregular"],
         "source": "hand"},
    ]
    params = {"departure_rate_per_day": {"regular": 1e-3, "irregular": 1e-3},
              "threat_response": 4.0,
              "deadline_response": 3.0, "deadline_horizon_days": 5.0}
    sim = sim_for(tiny_scenario(tmp_path, timeline=timeline, parameters=params))
    rates = []
    for day in range(4):
        sim.step(day)
        rates.append(departure_rates(sim, day)[0, 0, 1])
    assert rates[0] == pytest.approx(1e-3)
    assert rates[1] == pytest.approx(1e-3 * 3.0)                       # 1 + 4 × 0.5
    # 5 days before the deadline
    assert rates[2] == pytest.approx(1e-3 * (3.0 + 3.0 * np.exp(-5 / 5)))
    assert rates[3] == pytest.approx(1e-3 * (3.0 + 3.0 * np.exp(-4 / 5)))


def test_departures_are_binomial_draws_from_settled_cells(tmp_path):
    params = {"departure_rate_per_day": {"regular": 0.0, "irregular": 0.01}}
    res, *_ = run(tiny_scenario(tmp_path, people=100_000, parameters=params, days=1), seed=5)
    assert res.flows["departures"][0, 0] == pytest.approx(1000, abs=4 * np.sqrt(1000))


def test_low_believed_chance_keeps_people_home(tmp_path):
    params = {"departure_rate_per_day": {"regular": 0.0, "irregular": 0.01}, "stay_utility": 0.0,
              "distance_cost_per_1000km": 0.0, "belief_weight": 1.0}
    folder = tiny_scenario(tmp_path, people=200_000, parameters=params, days=1)
    sim = sim_for(folder, seed=2)
    sim.belief[:] = 1.0          # utility of going 0 = staying: half go
    sim.step(0)
    high = sim.flows["departures"][0, 0]
    sim = sim_for(folder, seed=2)
    sim.belief[:] = 0.1          # log(0.1): odds of going fall tenfold
    sim.step(0)
    low = sim.flows["departures"][0, 0]
    assert high == pytest.approx(1000, rel=0.1)
    assert low == pytest.approx(2000 * 0.1 / 1.1, rel=0.15)


def test_travel_of_1000_km_at_900_km_a_day_reaches_the_post_on_day_2(tmp_path):
    res, *_ = run(tiny_scenario(tmp_path, people=5, distance_km=1000, entry_cap=100))
    assert res.flows["entries"][:3, 0].tolist() == [0, 5, 0]
    travelling = res.counts[:, :, STATE_COLUMNS.index("travelling")].sum(axis=1)
    assert travelling[0] == 5


def test_beliefs_follow_news_after_the_delay(tmp_path):
    params = {"news_delay_days": 2, "belief_update_rate": 1.0, "giveup_rate_per_day": 1.0}
    sim = sim_for(tiny_scenario(tmp_path, people=100, entry_admits="visa", parameters=params))
    start = sim.belief.copy()
    b = []
    for day in range(4):
        sim.step(day)
        b.append(float(sim.belief[0, 0, 1]))
    # day 0: all refused and all give up -> news 'none got through' is heard at the end of day 2
    assert b[0] == b[1] == pytest.approx(float(start[0, 0, 1]))
    assert b[2] == 0.0


# --- the whole step -------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.integers(0, 3000),
    rate=st.floats(0.0, 1.0),
    attempt=st.floats(0.0, 1.0),
    giveup=st.floats(0.0, 1.0),
    cap=st.integers(0, 500),
    seats=st.integers(0, 300),
    seed=st.integers(0, 2**31),
)
def test_nobody_is_created_or_lost(tmp_path_factory, people, rate, attempt, giveup, cap, seats,
                                   seed):
    timeline = [
        {"date": "2026-01-02", "type": "troops", "crossing": "X-Y", "personnel": 50,
         "source": "hand"},
        {"date": "2026-01-03", "type": "flight", "from": "X-Y", "seats": seats, "source": "hand"},
        {"date": "2026-01-03", "type": "shelter", "place": "A", "crossing": "X-Y", "capacity": 40,
         "days": 3,
         "source": "hand"},
        {"date": "2026-01-05", "type": "corridor", "crossing": "X-Y", "days": 2, "per_day": 30,
         "source": "hand"},
        {"date": "2026-01-06", "type": "flight", "from": "A", "seats": seats, "source": "hand"},
    ]
    params = {"departure_rate_per_day": {"regular": rate, "irregular": rate},
              "irregular_attempt_rate_per_day": attempt, "giveup_rate_per_day": giveup,
              "stay_utility": 0.0,
              "flight_uptake": 0.3}
    folder = tiny_scenario(tmp_path_factory.mktemp("c"), people=people, entry_admits="visa",
                           entry_cap=cap,
                           parameters=params, timeline=timeline, days=12, distance_km=700,
                           extra_people=[{"place": "A", "nationality": "Y", "status": "regular",
                                          "people": people // 3, "source": "hand"}])
    res, *_ = run(folder, seed=seed)
    assert res.counts.sum(axis=(1, 2)).tolist() == [people + people // 3] * 12


def test_one_seed_gives_one_result_bit_for_bit(tmp_path):
    params = {"departure_rate_per_day": {"regular": 0.02, "irregular": 0.05}, "stay_utility": 0.0,
              "irregular_attempt_rate_per_day": 0.3, "giveup_rate_per_day": 0.1}
    folder = tiny_scenario(tmp_path, people=5000, entry_admits="visa", parameters=params, days=10)
    a, *_ = run(folder, seed=42)
    b, *_ = run(folder, seed=42)
    c, *_ = run(folder, seed=43)
    assert np.array_equal(a.counts, b.counts)
    assert all(np.array_equal(a.flows[k], b.flows[k]) for k in a.flows)
    assert not np.array_equal(a.counts, c.counts)


def test_agents_take_few_bytes():
    assert BYTES_PER_AGENT <= 24


def test_parameters_reject_unknown_names(tmp_path):
    from travesia.errors import ScenarioError

    with pytest.raises(ScenarioError, match="unknown parameter"):
        Parameters().with_overrides({"no_such_thing": 1})


def test_announced_enforcement_moves_beliefs_at_once(tmp_path):
    """Troops at a crossing are public news: beliefs close announcement_weight of the gap to the
    chance the new enforcement implies, the same day, before anyone has tried."""
    timeline = [{"date": "2026-01-03", "type": "troops", "crossing": "X-Y", "personnel": 200,
                 "source": "hand"}]
    params = {"departure_rate_per_day": {"regular": 0.0, "irregular": 0.0},
              "irregular_attempt_rate_per_day": 0.5,
              "irregular_success": 0.6, "giveup_rate_per_day": 0.1,
              "enforcement_per_100_personnel": 1.0,
              "announcement_weight": 0.5}
    sim = sim_for(tiny_scenario(tmp_path, entry_admits="visa", timeline=timeline,
                                parameters=params))

    def implied(success):   # nobody holds a visa: only the night crossing before giving up
        night = 0.5 * success
        return night / (night + (1 - night) * 0.1)

    before = implied(0.6)
    assert sim.belief[0, 0, 1] == pytest.approx(before)
    for day in range(3):
        sim.step(day)
    after = implied(0.6 * np.exp(-2.0))
    assert sim.belief[0, 0, 1] == pytest.approx(before + 0.5 * (after - before))


def test_troops_announced_ahead_move_beliefs_on_the_day_of_the_announcement(tmp_path):
    """Troops announced on day 1 for day 4: beliefs close announcement_weight of the gap to what
    the troops imply on day 1 already, then again when the troops arrive."""
    timeline = [{"date": "2026-01-05", "announced": "2026-01-02", "type": "troops",
                 "crossing": "X-Y",
                 "personnel": 200, "source": "hand"}]
    params = {"departure_rate_per_day": {"regular": 0.0, "irregular": 0.0},
              "irregular_attempt_rate_per_day": 0.5,
              "irregular_success": 0.6, "giveup_rate_per_day": 0.1,
              "enforcement_per_100_personnel": 1.0,
              "announcement_weight": 0.5}
    sim = sim_for(tiny_scenario(tmp_path, entry_admits="visa", timeline=timeline,
                                parameters=params))

    def implied(success):
        night = 0.5 * success
        return night / (night + (1 - night) * 0.1)

    before, after = implied(0.6), implied(0.6 * np.exp(-2.0))
    seen = []
    for day in range(5):
        sim.step(day)
        seen.append(float(sim.belief[0, 0, 1]))
    once = before + 0.5 * (after - before)
    assert seen[0] == pytest.approx(before)
    assert seen[1:4] == pytest.approx([once] * 3)
    assert seen[4] == pytest.approx(once + 0.5 * (after - once))
