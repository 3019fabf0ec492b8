"""hasten N divides populations, capacities and observed counts by N (FLEE.md, Spawning)."""

from __future__ import annotations

from test_flee_kit import write_case
from travesia.model.flee.reader import read_case
from travesia.model.flee.world import compile_world


def folder(tmp_path, hasten):
    return write_case(
        tmp_path / f"h{hasten}",
        locations=["A,r,X,0,0,conflict_zone,0,100005", "C,r,Y,0,0,camp,,2509"],
        routes=["A,C,10"],
        layout=["total,total.csv", "C,c.csv"],
        counts={"total.csv": ["2020-01-01,1000", "2020-01-11,3000"], "c.csv": ["2020-01-01,999"]},
        settings=f"optimisations:\n  hasten: {hasten}\n",
    )


def test_hasten_scales_places_and_counts(tmp_path):
    one = read_case(folder(tmp_path, 1))
    ten = read_case(folder(tmp_path, 10))
    w1, w10 = compile_world(one), compile_world(ten)
    # populations and capacities: integer division, as Flee (100005 // 10, 2509 // 10)
    assert (w1.initial.pop[0], w10.initial.pop[0]) == (100005, 10000)
    assert (w1.capacity[1], w10.capacity[1]) == (2509, 250)
    # counts: divided, then interpolated and truncated day by day
    assert one.total.at(5) == 2000 and ten.total.at(5) == 200
    assert one.camp_counts["C"].at(0) == 999 and ten.camp_counts["C"].at(0) == 99


def test_hasten_scales_the_run(tmp_path):
    from travesia.model.flee.simulation import FleeSimulation

    sims = {}
    for h in (1, 10):
        sim = FleeSimulation(read_case(folder(tmp_path, h)), seed=0)
        for _ in range(10):
            sim.step()
        sims[h] = sim.agents.n
    # day 0 puts C's count (999 / 99) in C; sum_from_camps (the default) spawns nobody after,
    # since C's count never changes
    assert sims == {1: 999, 10: 99}
