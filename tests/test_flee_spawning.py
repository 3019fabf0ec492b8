"""Data-driven spawning: counts interpolated by day, a registration correction, debt, day 0."""

from __future__ import annotations

from test_flee_kit import write_case
from travesia.model.flee.reader import read_case
from travesia.model.flee.simulation import FleeSimulation

SETTINGS = """
spawn_rules:
  sum_from_camps: {sum_from_camps}
  insert_day0: {insert_day0}
move_rules:
  camp_movechance: 0.0
optimisations:
  hasten: {hasten}
"""


def camp_case(root, *, hasten=1, sum_from_camps=True, insert_day0=True, days=21):
    # C's count file says 100 on day 0, 200 on day 10, 150 on day 20. The correction on day 20
    # says the last count was a new registration: earlier counts are scaled by 150/200 = 0.75,
    # so the corrected series is 75, 150, 150 and in between 75 + 7.5 t (truncated, as Flee).
    return write_case(
        root,
        locations=["A,r,X,0,0,conflict_zone,0,1000", "C,r,Y,0,0,camp,,"],
        routes=["A,C,50"],
        days=days,
        layout=["total,total.csv", "C,c.csv"],
        counts={"total.csv": ["2020-01-01,0", "2020-01-21,0"],
                "c.csv": ["Date,count", "2020-01-01,100", "2020-01-11,200", "2020-01-21,150"]},
        corrections=["C,2020-01-21,normalize"],
        settings=SETTINGS.format(hasten=hasten, sum_from_camps=sum_from_camps,
                                 insert_day0=insert_day0),
    )


def test_registration_correction_and_interpolation(tmp_path):
    c = read_case(camp_case(tmp_path)).camp_counts["C"]
    assert list(c.counts) == [75.0, 150.0, 150.0]
    assert [c.at(t) for t in (0, 1, 2, 5, 10, 15, 20, 30)] == [75, 82, 90, 112, 150, 150, 150, 150]


def test_spawning_totals(tmp_path):
    """Day 0: the 75 counted at C are put into C (insert_day0), nobody is spawned. Days 1-10:
    the daily increases 7, 8, 7, 8, ... add up to 150 - 75 = 75 new agents at A, the only
    conflict zone. Days 11-20: no increase, no agent. Total 150."""
    sim = FleeSimulation(read_case(camp_case(tmp_path)), seed=3)
    sim.step()
    assert sim.agents.n == 75 and sim.place_count[1] == 75
    per_day = []
    for _ in range(20):
        before = sim.agents.n
        sim.step()
        per_day.append(sim.agents.n - before)
    assert per_day[:10] == [7, 8, 7, 8, 7, 8, 7, 8, 7, 8]
    assert sum(per_day) == 75 and sim.agents.n == 150
    assert (sim.agents.where[:75] == 1).all()


def test_without_day0_insertion_day0_spawns_the_first_count(tmp_path):
    sim = FleeSimulation(read_case(camp_case(tmp_path, insert_day0=False)), seed=0)
    sim.step()
    # all 75 were spawned at A and walked the 50 km to C (one place travelled past the first)
    assert sim.agents.n == 75 and (sim.agents.places_travelled[:75] == 2).all()
    for _ in range(20):
        sim.step()
    assert sim.agents.n == 150


def test_hasten_divides_counts(tmp_path):
    """hasten 2: counts 37.5, 75, 75 -> day 0 puts int(37.5) = 37 in C, the run ends at 75."""
    sim = FleeSimulation(read_case(camp_case(tmp_path, hasten=2)), seed=0)
    sim.step()
    assert sim.agents.n == 37
    for _ in range(20):
        sim.step()
    assert sim.agents.n == 75


def test_a_fall_in_the_count_is_carried_as_debt(tmp_path):
    """Total 10, 20, 15, 25 (not from camps): spawns 10, 10, 0 (debt 5), then 10 - 5 = 5."""
    root = write_case(
        tmp_path,
        locations=["A,r,X,0,0,conflict_zone,0,1000", "C,r,Y,0,0,camp,,"],
        routes=["A,C,50"], days=4,
        layout=["total,total.csv", "C,c.csv"],
        counts={"total.csv": ["2020-01-01,10", "2020-01-02,20", "2020-01-03,15", "2020-01-04,25"],
                "c.csv": ["2020-01-01,0"]},
        settings=SETTINGS.format(hasten=1, sum_from_camps=False, insert_day0=False))
    sim = FleeSimulation(read_case(root), seed=0)
    added, debts = [], []
    for _ in range(4):
        before = sim.agents.n
        sim.step()
        added.append(sim.agents.n - before)
        debts.append(sim.debt)
    assert added == [10, 10, 0, 5]
    assert debts == [0, 0, 5, 0]
    assert sim.raw_total == 25


def test_spawn_places_follow_population_times_intensity(tmp_path):
    """Two conflict zones, populations 3000 and 1000, same intensity: about 3/4 start at the
    first."""
    root = write_case(
        tmp_path,
        locations=["A,r,X,0,0,conflict_zone,0,3000", "B,r,X,0,0,conflict_zone,0,1000",
                   "C,r,Y,0,0,camp,,"],
        routes=["A,C,5000", "B,C,5000"], days=2,
        layout=["total,total.csv", "C,c.csv"],
        counts={"total.csv": ["2020-01-01,0", "2020-01-02,40000"], "c.csv": ["2020-01-01,0"]},
        settings=SETTINGS.format(hasten=1, sum_from_camps=False, insert_day0=False))
    sim = FleeSimulation(read_case(root), seed=0)
    sim.step()
    sim.step()
    # everyone left on day 1 (move chance 1) onto A->C (link 0) or B->C (link 2), 5000 km long
    assert sim.agents.n == 40000
    from_a = sim.link_count[0] + sim.place_count[0]
    assert from_a + sim.link_count[2] + sim.place_count[1] == 40000
    assert abs(from_a / 40000 - 0.75) < 0.01


def test_a_correction_date_found_on_two_rows_scales_twice(tmp_path):
    """Rows in file order: 10 (day 0), 20 (day 10), 40 (day 20), then 30 dated day 10 again (out
    of order, as nigeria2016's cameroon.csv). The correction for day 10 applies at each row with
    that date, as Flee: first rows before row 2 x 20/10 -> 20, 20, 40, 30; then rows before row 4
    x 30/40 -> 15, 15, 30, 30."""
    root = write_case(
        tmp_path,
        locations=["A,r,X,0,0,conflict_zone,0,1000", "C,r,Y,0,0,camp,,"], routes=["A,C,50"], days=5,
        layout=["total,c.csv", "C,c.csv"],
        counts={"c.csv": ["2020-01-01,10", "2020-01-11,20", "2020-01-21,40", "2020-01-11,30"]},
        corrections=["C,2020-01-11,normalize"])
    c = read_case(root).camp_counts["C"]
    assert list(c.counts) == [15.0, 15.0, 30.0, 30.0]
