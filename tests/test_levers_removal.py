"""The levers of issue 13 on the tiny world, outcomes worked out by hand: forced removals (a daily
capacity from places or a crossing, of some statuses, with a cost) and a country's capacity to
receive (a cap on entries of non-nationals).

The tiny world (tests/scenario_kit.py): town A (country X) -- XP | strip | YP (country Y) -- D.
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

STAY = {"departure_rate_per_day": {"regular": 0.0, "irregular": 0.0}}
REMOVED = STATE_COLUMNS.index("removed")
SETTLED = STATE_COLUMNS.index("settled")


def run(folder, seed=0):
    sc = load_scenario(folder)
    return simulate(compile_world(sc), sc.params, seed=seed, events=sc.spec.timeline)


def removal(**kw):
    ev = {"date": "2026-01-02", "type": "removal", "from": "A", "days": 5, "per_day": 10,
          "mode": "flight", "to": "Venezuela", "cost_per_person": 1500, "currency": "USD",
          "source": "hand", "id": "campaign"}
    ev.update(kw)
    return ev


def test_35_people_at_10_a_day_are_removed_10_10_10_5_and_cost_is_per_person(tmp_path):
    res = run(tiny_scenario(tmp_path / "s", people=35, parameters=STAY, timeline=[removal()]))
    daily = res.removals["campaign"]["people"]
    # day 0 is 1 Jan, before the campaign; the stock of 35 limits the fourth day
    assert daily[:6].tolist() == [0, 10, 10, 10, 5, 0]
    assert res.counts[-1, 0, REMOVED] == 35 and res.counts[-1, 0, SETTLED] == 0
    totals = res.summary()["removals"]["campaign"]
    assert totals == {"people": 35, "mode": "flight", "to": "Venezuela", "cost": 52_500.0,
                      "currency": "USD"}
    assert res.summary()["conserved"]


def test_campaign_ends_after_its_days(tmp_path):
    res = run(tiny_scenario(tmp_path / "s", people=100, parameters=STAY,
                            timeline=[removal(days=2)]))
    assert res.removals["campaign"]["people"].tolist() == [0, 10, 10] + [0] * 7
    assert res.counts[-1, 0, SETTLED] == 80


def test_fractional_pace_carries_over_2_5_a_day_is_2_3_2_3(tmp_path):
    res = run(tiny_scenario(tmp_path / "s", people=100, parameters=STAY,
                            timeline=[removal(per_day=2.5, days=4)]))
    assert res.removals["campaign"]["people"][1:5].tolist() == [2, 3, 2, 3]


def test_only_the_statuses_named_are_removed(tmp_path):
    regular = [{"place": "A", "nationality": "Venezuela", "status": "regular", "people": 20,
                "source": "hand"}]
    res = run(tiny_scenario(tmp_path / "s", people=15, parameters=STAY, extra_people=regular,
                            timeline=[removal()]))
    # 15 irregular go in two days; the 20 regular stay
    assert res.removals["campaign"]["people"].sum() == 15
    assert res.counts[-1, 0, SETTLED] == 20


def test_only_the_nationality_named_is_removed(tmp_path):
    haitians = [{"place": "A", "nationality": "Haiti", "status": "irregular", "people": 12,
                 "source": "hand"}]
    res = run(tiny_scenario(tmp_path / "s", people=30, parameters=STAY, extra_people=haitians,
                            timeline=[removal(nationality="Haiti")]))
    assert res.removals["campaign"]["people"][1:4].tolist() == [10, 2, 0]
    assert res.counts[-1, 0, SETTLED] == 30


def test_people_stranded_at_a_named_crossing_are_removed_first_come(tmp_path):
    # everyone leaves on day 0 and is refused at the entry post (nationals only): 35 stranded;
    # from day 2, 10 a day are taken from the crossing
    res = run(tiny_scenario(tmp_path / "s", people=35, entry_admits="national", entry_cap=100,
                            timeline=[removal(**{"from": "X-Y", "date": "2026-01-03"})]))
    removed = res.flows["removed"][:, 0]
    assert removed[:7].tolist() == [0, 0, 10, 10, 10, 5, 0]
    assert res.at_crossing("X-Y", "stranded")[5] == 0
    # counted at the place they were taken from: the entry post YP, where they were stranded
    assert res.counts[-1, res.place_names.index("YP"), REMOVED] == 35


def test_removal_from_an_unknown_place_is_a_clear_error(tmp_path):
    folder = tiny_scenario(tmp_path / "s", timeline=[removal(**{"from": "A;Nowhere"})])
    with pytest.raises(ScenarioError, match=r"'Nowhere' is neither a city") as err:
        load_scenario(folder)
    assert err.value.field == "timeline[0].from"


def test_removal_of_a_bad_mode_is_a_clear_error(tmp_path):
    folder = tiny_scenario(tmp_path / "s", timeline=[removal(mode="boat")])
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert err.value.field == "timeline[0].mode"


# --- a country's capacity to receive ---------------------------------------------------------

def reception(total, date="2026-01-01"):
    return {"date": date, "type": "reception", "country": "Y", "total": total, "source": "hand"}


def test_reception_cap_of_25_lets_in_10_10_5_then_refuses(tmp_path):
    res = run(tiny_scenario(tmp_path / "s", people=35, entry_cap=10, timeline=[reception(25)]))
    entries = res.flows["entries"][:, 0]
    assert entries[:5].tolist() == [10, 10, 5, 0, 0]
    assert entries.sum() == 25
    assert res.at_crossing("X-Y", "stranded")[-1] == 10
    # the refused do not queue again every day while the country is full
    assert res.flows["refused"][:, 0].sum() == 10


def test_lifting_the_cap_lets_the_stranded_in(tmp_path):
    res = run(tiny_scenario(tmp_path / "s", people=35, entry_cap=10,
                            timeline=[reception(25), reception(-1, date="2026-01-06")]))
    assert res.flows["entries"][:, 0].sum() == 35
    assert res.at_crossing("X-Y", "stranded")[-1] == 0


def test_nationals_do_not_count_against_the_cap(tmp_path):
    home = [{"place": "A", "nationality": "Y", "status": "regular", "people": 10,
             "source": "hand"}]
    res = run(tiny_scenario(tmp_path / "s", people=20, entry_cap=100, extra_people=home,
                            timeline=[reception(5)]))
    # 10 nationals + 5 of the 20 others
    assert res.flows["entries"][:, 0].sum() == 15


def test_reception_of_an_unknown_country_is_a_clear_error(tmp_path):
    folder = tiny_scenario(tmp_path / "s", timeline=[{**reception(5), "country": "Peru"}])
    with pytest.raises(ScenarioError, match="unknown country 'Peru'"):
        load_scenario(folder)


def test_seeds_give_the_same_removals_when_the_stock_is_smaller_than_the_pace(tmp_path):
    folder = tiny_scenario(tmp_path / "s", people=35, parameters=STAY, timeline=[removal()])
    a, b = run(folder, seed=1), run(folder, seed=2)
    assert np.array_equal(a.removals["campaign"]["people"], b.removals["campaign"]["people"])
