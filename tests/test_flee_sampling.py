"""Leavers of a camp are drawn, not found by visiting every resting agent (kernels.move_pass):
the law must stay Flee's one trial per agent, and the list of agents visited one by one (the
mobile list, kept up to date day by day) must stay what a scan from scratch would give."""

from __future__ import annotations

import numpy as np
import pytest
from test_flee_kit import check_mobile_list, write_case

from travesia.model.flee import kernels
from travesia.model.flee.agents import AT_PLACE_PLANNED, ON_LINK
from travesia.model.flee.reader import read_case
from travesia.model.flee.settings import FleeSettings
from travesia.model.flee.simulation import FleeSimulation


def camp_and_town(tmp_path):
    return read_case(write_case(
        tmp_path,
        locations=["A,r,X,0,0,conflict_zone,0,1000", "C,r,X,0,0,camp,,", "T,r,X,0,0,town,,"],
        routes=["A,C,50", "C,T,80", "T,A,120"],
        days=60,
        counts={"c.csv": ["2020-01-01,10", "2020-03-01,3000"]},
        layout=["total,c.csv", "C,c.csv"],
        settings="spawn_rules:\n  sum_from_camps: False\n  insert_day0: False\n",
    ))


def test_leavers_of_a_camp_follow_one_trial_per_agent(tmp_path):
    """10,000 agents resting at C, move chance 0.01, one day, 10 seeds: the leavers number
    Binomial(100,000, 0.01) in all, 1,000 +- 31.5 (tolerance 4 sd), and are spread evenly over
    the agents (mean creation index 4,999.5 +- 91; tolerance 400): no agent is favoured by
    its place in the array, as a countdown from the start would do if it were wrong."""
    case = camp_and_town(tmp_path)
    cfg = FleeSettings(camp_movechance=0.01, max_move_speed=1.0, avoid_short_stints=False,
                       insert_day0=False)
    assert kernels.SAMPLED_MAX_MOVECHANCE >= 0.01  # so C is a sampled place
    leavers = []
    for seed in range(10):
        sim = FleeSimulation(case, seed=seed, cfg=cfg)
        c = sim.world.names.index("C")
        sim.add_agents(np.full(10_000, c, dtype=np.int64))
        assert sim.sampled_places()[c]
        sim.scores_today(0)
        sim.move()
        leavers.append(np.flatnonzero(sim.agents.state[:10_000] == ON_LINK))
        assert sim.place_count[c] == 10_000 - len(leavers[-1])
    everyone = np.concatenate(leavers)
    assert abs(len(everyone) - 1000) < 4 * 31.5
    assert abs(everyone.mean() - 4999.5) < 400


@pytest.mark.parametrize("chance", [0.5, 0.05])
def test_leavers_of_a_town_follow_one_trial_per_agent(tmp_path, chance):
    """10,000 agents at town T, one day, 10 seeds: Binomial(100,000, chance) leavers in all
    (tolerance 4 sd), spread evenly over the agents (mean creation index 4,999.5, tolerance
    4 sd of the mean of that many distinct indices). 0.5 is drawn agent by agent, 0.05 as gaps
    between departures (kernels.PER_AGENT_MIN_MOVECHANCE lies between): both must give the law."""
    assert 0.05 < kernels.PER_AGENT_MIN_MOVECHANCE <= 0.5
    case = camp_and_town(tmp_path)
    cfg = FleeSettings(default_movechance=chance, max_move_speed=1.0, avoid_short_stints=False,
                       insert_day0=False)
    leavers = []
    for seed in range(10):
        sim = FleeSimulation(case, seed=seed, cfg=cfg)
        t = sim.world.names.index("T")
        sim.add_agents(np.full(10_000, t, dtype=np.int64))
        assert not sim.sampled_places()[t]
        sim.scores_today(0)
        sim.move()
        leavers.append(np.flatnonzero(sim.agents.state[:10_000] == ON_LINK))
        assert sim.place_count[t] == 10_000 - len(leavers[-1])
    everyone = np.concatenate(leavers)
    expected, sd = 100_000 * chance, np.sqrt(100_000 * chance * (1 - chance))
    assert abs(len(everyone) - expected) < 4 * sd
    assert abs(everyone.mean() - 4999.5) < 4 * 2887 / np.sqrt(expected)


def test_the_mobile_list_stays_what_a_scan_gives(tmp_path):
    """60 days of spawning, travel into and out of a camp, and a closure that turns the camp
    into a town for a while (so the set of sampled places changes and back): each day, the list
    kept from day to day holds what a scan from scratch gives (test_flee_kit.check_mobile_list)."""
    case = camp_and_town(tmp_path)
    cfg = FleeSettings(camp_movechance=0.005)
    sim = FleeSimulation(case, seed=1, cfg=cfg)
    closure = type("C", (), {"kind": "camp", "name1": "C", "name2": ""})()
    a = sim.agents
    for t in range(60):
        if t == 20:
            sim.apply_closure(closure, close=True)
        if t == 35:
            sim.apply_closure(closure, close=False)
        sim.step()
        check_mobile_list(sim, t)
    assert a.n > 2000 and sim.place_count[sim.world.names.index("C")] > 0


def test_plans_through_a_camp_are_not_counted_as_resting_there(tmp_path):
    """With Flee's hop distance (a hop starts a fresh day's distance) agents can end a day
    part-way along A-X-C-B, holding a plan at camp C. The next day C's resting agents, among
    whom its leavers are drawn, exclude them: the kernel counts them (planned_at) whenever a
    route passes through a sampled place, and only then."""
    case = read_case(write_case(
        tmp_path,
        locations=["A,r,X,0,0,conflict_zone,0,1000", "X,r,X,0,0,town,,", "C,r,Y,0,0,camp,,",
                   "B,r,Y,0,0,camp,,"],
        routes=["A,X,100", "X,C,100", "C,B,100"],
        days=5,
        counts={"c.csv": ["2020-01-01,1000"]},
        layout=["total,c.csv"],
        settings="spawn_rules:\n  sum_from_camps: False\n  insert_day0: False\n"
                 "move_rules:\n  max_move_speed: 150\n  awareness_level: 3\n  avoid_short_stints: "
                 "False\n",
    ))
    sim = FleeSimulation(case, seed=2, flee_hop_distance=True)
    c = sim.world.names.index("C")
    assert sim.passed_through[c] and sim.sampled_places()[c]
    sim.step()
    a = sim.agents
    planned_at_c = int(((a.state[: a.n] == AT_PLACE_PLANNED) & (a.where[: a.n] == c)).sum())
    assert planned_at_c > 100
    sim.step()
    assert sim.planned_at[c] == planned_at_c
