"""Closures under Flee's rules, on the smallest case: two places, one road.

Flee's own test (tests/test_tiny_closure.py in Flee) adds one agent a day at A (move chance 1),
links A and B by 5 km, and closes B after the step of day 2; after 100 days B holds 3 and A 97.
Why exactly: an agent added on day t leaves A the same day (chance 1), covers the 5 km well
within one day's travel, and stops at B, whose move chance 0 makes it a camp that nobody leaves.
Agents of days 0, 1 and 2 do so before the closure. From day 3 on A has no open link: the
97 agents of days 3..99 still "leave" A with chance 1, find no route, and stay.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from test_flee_kit import write_case
from travesia.model.flee.reader import read_case
from travesia.model.flee.simulation import FleeSimulation

SETTINGS = """
spawn_rules:
  sum_from_camps: False
  insert_day0: False
move_rules:
  camp_movechance: 0.0
  conflict_movechance: 1.0
"""


def two_places(root: Path, closures: list[str]) -> Path:
    # A is the only conflict zone, so every new agent starts there; the observed total grows by
    # exactly one a day (1 on day 0, 100 on day 99, interpolated), so one agent is added a day.
    return write_case(
        root,
        locations=["A,r,X,0,0,conflict_zone,0,1000", "B,r,X,0,0,camp,,"],
        routes=["A,B,5"],
        days=100,
        closures=closures,
        counts={"refugees.csv": ["2020-01-01,1", "2020-04-09,100"]},
        layout=["total,refugees.csv", "B,refugees.csv"],
        settings=SETTINGS,
    )


def test_closing_b_after_day_2_leaves_3_in_b_and_97_in_a(tmp_path):
    """As Flee's test does it: step, and close B at the end of day 2."""
    case = read_case(two_places(tmp_path, []))
    sim = FleeSimulation(case, seed=0)
    b_closure = type("C", (), {"kind": "location", "name1": "B", "name2": ""})()
    for t in range(100):
        sim.step()
        if t == 2:
            sim.apply_closure(b_closure, close=True)
    a, b = sim.place_count
    assert (a, b) == (97, 3)
    assert sim.agents.n == 100 and sim.link_count.sum() == 0


def test_the_same_closure_from_closures_csv(tmp_path):
    """In closures.csv a closure acts from the start of its first day: 'closed after day 2' is
    start_day 3 (end_day -1: never reopened)."""
    case = read_case(two_places(tmp_path, ["location,B,,3,-1"]))
    sim = FleeSimulation(case, seed=7)
    for _ in range(100):
        sim.step()
    assert tuple(sim.place_count) == (97, 3)


def test_closure_with_start_day_2_lets_two_through_and_reopening_lets_the_rest(tmp_path):
    """Start day 2: only the agents of days 0 and 1 get through. Reopened on day 50, every agent
    waiting at A leaves that day (chance 1) and reaches B."""
    case = read_case(two_places(tmp_path, ["location,B,,2,-1"]))
    sim = FleeSimulation(case, seed=0)
    for _ in range(100):
        sim.step()
    assert tuple(sim.place_count) == (98, 2)

    case = read_case(two_places(tmp_path / "reopen", ["location,B,,2,50"]))
    sim = FleeSimulation(case, seed=0)
    for _ in range(100):
        sim.step()
    assert tuple(sim.place_count) == (0, 100)


def test_link_and_country_closures_close_both_directions(tmp_path):
    """Flee compares names with `is` in link closures, so rows of closures.csv never close a link
    (a fault); here they do. Country closures close every link between the two countries."""
    for row in ("link,A,B,0,-1", "link,B,A,0,-1", "country,X,Y,0,-1"):
        root = write_case(
            tmp_path / row.replace(",", "_"),
            locations=["A,r,X,0,0,conflict_zone,0,1000", "B,r,Y,0,0,camp,,"],
            routes=["A,B,5"], days=10, closures=[row],
            counts={"refugees.csv": ["2020-01-01,1", "2020-01-10,10"]},
            layout=["total,refugees.csv", "B,refugees.csv"], settings=SETTINGS)
        sim = FleeSimulation(read_case(root), seed=0)
        for _ in range(10):
            sim.step()
        assert not sim.link_open.any()
        assert tuple(sim.place_count) == (10, 0)


def test_camp_closure_turns_the_camp_into_a_town_for_the_period(tmp_path):
    root = write_case(
        tmp_path,
        locations=["A,r,X,0,0,conflict_zone,0,1000", "B,r,X,0,0,camp,,"],
        routes=["A,B,5"], days=10, closures=["camp,B,,0,5"],
        counts={"refugees.csv": ["2020-01-01,1", "2020-01-10,10"]},
        layout=["total,refugees.csv", "B,refugees.csv"], settings=SETTINGS)
    sim = FleeSimulation(read_case(root), seed=0)
    sim.step()
    assert not sim.state.camp[1] and sim.state.town[1]
    assert np.isclose(sim.state.movechance[1], 0.3)  # Flee's default_movechance
    for _ in range(5):
        sim.step()
    assert sim.state.camp[1] and sim.state.movechance[1] == 0.0
