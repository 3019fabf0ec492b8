"""Sink camps (camps_are_sinks): agents at a camp leave the simulation with the camp's
deactivation_probability (a named extra column of locations.csv)."""

from __future__ import annotations

import numpy as np
from test_flee_kit import check_mobile_list, write_case

from travesia.model.flee.agents import GONE
from travesia.model.flee.reader import read_case
from travesia.model.flee.settings import FleeSettings
from travesia.model.flee.simulation import FleeSimulation


def sink_case(tmp_path):
    root = write_case(
        tmp_path,
        locations=["A,r,X,0,0,conflict_zone,0,1000", "C,r,X,0,0,camp,,"],
        routes=["A,C,50"],
        days=30,
        counts={"c.csv": ["2020-01-01,10", "2020-01-30,600"]},
        layout=["total,c.csv", "C,c.csv"],
        settings="spawn_rules:\n  sum_from_camps: False\n  insert_day0: False\n",
    )
    (root / "input_csv" / "locations.csv").write_text(
        "#name,region,country,latitude,longitude,location_type,conflict_date,population,deactivation_probability\n"
        "A,r,X,0,0,conflict_zone,0,1000,\nC,r,X,0,0,camp,,,0.1\n")
    return read_case(root)


def test_a_sink_camp_takes_out_its_share_each_day(tmp_path):
    """10,000 agents at C, deactivation 0.1, nobody leaves on foot: after one day about 1,000
    of them are gone (Binomial: sd 30; tolerance 4 sd), and the counts agree with who is left
    (the day also spawns 10 agents at A)."""
    cfg = FleeSettings(camps_are_sinks=True, camp_movechance=0.0, insert_day0=False)
    sim = FleeSimulation(sink_case(tmp_path), seed=2, cfg=cfg)
    c = sim.world.names.index("C")
    assert sim.world.deactivation_probability[c] == 0.1
    sim.add_agents(np.full(10_000, c, dtype=np.int64))
    sim.step()
    state = sim.agents.state[: sim.agents.n]
    assert abs(int((state[:10_000] == GONE).sum()) - 1000) < 120
    gone = int((state == GONE).sum())
    assert sim.removed == gone and sim.agents_present() == sim.agents.n - gone
    assert sim.place_count.sum() + sim.link_count.sum() == sim.agents_present()


def test_without_camps_are_sinks_nobody_is_taken_out(tmp_path):
    cfg = FleeSettings(camps_are_sinks=False, camp_movechance=0.0, insert_day0=False)
    sim = FleeSimulation(sink_case(tmp_path), seed=2, cfg=cfg)
    sim.add_agents(np.full(1000, sim.world.names.index("C"), dtype=np.int64))
    sim.step()
    assert not (sim.agents.state[: sim.agents.n] == GONE).any()


def test_sinks_keep_the_mobile_list_right(tmp_path):
    """30 days of spawning at A, travel to C and sinks at C (whose leavers are drawn): the list
    kept from day to day holds what a fresh scan gives (test_flee_kit.check_mobile_list), and
    the counts add up."""
    cfg = FleeSettings(camps_are_sinks=True, camp_movechance=0.005, insert_day0=False)
    sim = FleeSimulation(sink_case(tmp_path), seed=4, cfg=cfg)
    for t in range(30):
        sim.step()
        check_mobile_list(sim, t)
        assert sim.place_count.sum() + sim.link_count.sum() == sim.agents_present()
    assert sim.removed > 0
