"""Travel along links: speed, per-link speed, hops on arrival, avoid_short_stints, markers."""

from __future__ import annotations

import pytest

from test_flee_kit import write_case
from travesia.model.flee.reader import read_case
from travesia.model.flee.simulation import FleeSimulation


def chain(tmp_path, *, b_type="town", bc_speed="", settings=""):
    # one agent, spawned at A on day 0; A -100 km- B -100 km- C (a camp nobody leaves); with
    # conflict_weight 0 nobody chooses to go back to A
    return read_case(write_case(
        tmp_path,
        locations=["A,r,X,0,0,conflict_zone,0,10", f"B,r,X,0,0,{b_type},,", "C,r,X,0,0,camp,,"],
        routes=["A,B,100,0,", f"B,C,100,0,{bc_speed}"],
        days=3,
        layout=["total,t.csv", "C,t.csv"],
        counts={"t.csv": ["2020-01-01,1", "2020-01-03,1"]},
        settings="spawn_rules:\n  sum_from_camps: False\n  insert_day0: False\n"
                 "move_rules:\n  max_move_speed: 150\n  camp_movechance: 0.0\n  conflict_weight: "
                 "0.0\n" + settings,
    ))


def run_one_day(case):
    sim = FleeSimulation(case, seed=0)
    sim.step()
    return sim


def test_a_hop_gets_what_is_left_of_the_day(tmp_path):
    """150 km a day: 100 km to B (2/3 of the day), B is a town the agent is made to leave
    (avoid_short_stints: it has travelled under half a day's distance recently), so it takes the
    only road on, B -> C, for the 50 km left. (Flee would give the hop a fresh 150 km and reach
    C.)"""
    sim = run_one_day(chain(tmp_path,
                            settings="  avoid_short_stints: True\n  default_movechance: 0.005\n"))
    a = sim.agents
    assert a.on_link[0] and sim.world.link_dst[a.where[0]] == 2
    assert a.dist_on_link[0] == pytest.approx(50.0)
    assert a.recent[0] == pytest.approx((0 + 150 / 150) / 2)  # a full day's distance, halved
    sim.step()
    assert sim.place_count[2] == 1


def test_without_avoid_short_stints_the_town_move_chance_decides(tmp_path):
    """default_movechance 0.005 (lower would make B a camp, Flee's rule): the agent stops at B."""
    sim = run_one_day(chain(tmp_path,
                            settings="  avoid_short_stints: False\n  default_movechance: 0.005\n"))
    assert not sim.agents.on_link[0] and sim.place_count[1] == 1


def test_per_link_speed(tmp_path):
    """B -> C allows 30 km a day: after 2/3 of the day on A -> B, the last third covers 10 km."""
    case = chain(tmp_path, bc_speed="30", settings="  avoid_short_stints: True\n")
    (case.folder / "input_csv" / "routes.csv").write_text(
        "#name1,name2,distance,forced_redirection,max_move_speed\nA,B,100,0,\nB,C,100,0,30\n")
    sim = run_one_day(read_case(case.folder))
    assert sim.agents.dist_on_link[0] == pytest.approx(10.0)


def test_a_marker_is_passed_through(tmp_path):
    """B is a marker: from A the only candidate route is A-B-C (markers are no destination), and
    an agent arriving at a marker goes on (move chance 1), here for the 50 km left."""
    sim = run_one_day(chain(tmp_path, b_type="marker"))
    a = sim.agents
    assert a.on_link[0] and sim.world.link_dst[a.where[0]] == 2
    assert a.dist_on_link[0] == pytest.approx(50.0)


def test_link_longer_than_a_day(tmp_path):
    """Day 0 ends 150 km along a 400 km link; day 1 at 300; day 2 arrives."""
    root = write_case(
        tmp_path, locations=["A,r,X,0,0,conflict_zone,0,10", "C,r,X,0,0,camp,,"],
        routes=["A,C,400"], days=3,
        layout=["total,t.csv", "C,t.csv"], counts={"t.csv": ["2020-01-01,1", "2020-01-03,1"]},
        settings="spawn_rules:\n  sum_from_camps: False\n  insert_day0: False\nmove_rules:\n  "
                 "max_move_speed: 150\n")
    sim = FleeSimulation(read_case(root), seed=0)
    seen = []
    for _ in range(3):
        sim.step()
        seen.append((bool(sim.agents.on_link[0]), float(sim.agents.dist_on_link[0])))
    assert seen == [(True, 150.0), (True, 300.0), (False, 0.0)]
    assert sim.place_count[1] == 1
