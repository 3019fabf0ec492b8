"""A forecast of a Flee folder started from the observed state (FleeSimulation.assimilate).

The tiny case: conflict zone A sends people over a town T (50 km) to camps C1 (300 km beyond T)
and C2 (400 km). Camp counts are rows every 7 days; the total is that of the camps. On the day
after the origin the camps are set to their counts on the last row up to the origin: C1's
surplus goes to C2, then agents outside the camps (on links, at A or T) fill what C2 still
lacks; what no camp needs leaves the run, and a shortfall with nobody left outside is filled
with new agents added to the spawning debt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from click.testing import CliRunner
from test_flee_kit import check_mobile_list, write_case

from travesia import api
from travesia.cli import main
from travesia.inference.flee_runs import (
    FleeRunner,
    backtest_flee,
    calibrate_flee,
    load_flee,
    parse_flee_vary,
)
from travesia.model.flee.agents import AT_PLACE, AT_PLACE_PLANNED, GONE, ON_LINK
from travesia.model.flee.batch import run_case, settings_json
from travesia.model.flee.reader import read_case
from travesia.model.flee.simulation import FleeSimulation

WEEKS = (1, 8, 15, 22, 29)
CAMPS_AFTER = {"c1.csv": (400, 800), "c2.csv": (2600, 3200)}   # rows of days 21 and 28


def weekly(values) -> list[str]:
    return [f"2020-01-{d:02d},{v}" for d, v in zip(WEEKS, values)]


def case(root, *, c1=(0, 250, 300), c2=(0, 750, 1700), after=None, settings="", total=None):
    """Counts of days 0, 7, 14 as given, then days 21 and 28 (`after`, default CAMPS_AFTER); the
    total is the camps' sum unless given."""
    after = after or CAMPS_AFTER
    c1_rows, c2_rows = list(c1) + list(after["c1.csv"]), list(c2) + list(after["c2.csv"])
    total = total or [a + b for a, b in zip(c1_rows, c2_rows)]
    return write_case(root, locations=["A,r,X,0,0,conflict_zone,0,100000", "T,r,X,0,0,town,,",
                                       "C1,r,Y,0,0,camp,,", "C2,r,Y,0,0,camp,,"],
                      routes=["A,T,50", "T,C1,300", "T,C2,400"], days=30,
                      layout=["total,total.csv", "C1,c1.csv", "C2,c2.csv"],
                      counts={"total.csv": weekly(total), "c1.csv": weekly(c1_rows),
                              "c2.csv": weekly(c2_rows)},
                      settings=settings)


def simulation(folder, origin=-1, seed=3) -> FleeSimulation:
    c = read_case(folder)
    return FleeSimulation(c, seed=seed, cfg=dataclasses.replace(c.settings, assimilate_day=origin))


def recount(sim) -> tuple[np.ndarray, np.ndarray]:
    """People per place and per link counted from the agent arrays."""
    a = sim.agents
    st, wh = a.state[: a.n], a.where[: a.n].astype(np.int64)
    resting = (st == AT_PLACE) | (st == AT_PLACE_PLANNED)
    return (np.bincount(wh[resting], minlength=len(sim.place_count)),
            np.bincount(wh[st == ON_LINK], minlength=len(sim.link_count)))


def test_the_camps_hold_their_latest_counts_and_the_rest_moves_in_from_outside(tmp_path):
    sim = simulation(case(tmp_path / "c"))
    for _ in range(15):                      # days 0 to 14: the origin is day 14
        sim.step()
    c1, c2 = sim.world.names.index("C1"), sim.world.names.index("C2")
    present = sim.agents_present()
    assert present == 2000                   # the observed total on day 14 (300 + 1700)
    before_c1, before_c2 = int(sim.place_count[c1]), int(sim.place_count[c2])
    assert before_c1 > 300 and before_c2 < 1700  # the rules send more to the near camp
    done = sim.assimilate(14)
    assert (sim.place_count[c1], sim.place_count[c2]) == (300, 1700)
    # C1's surplus went to C2; the rest of C2's shortfall came from outside the camps
    assert done["moved"] == 1700 - before_c2
    assert done["moved_from_outside_camps"] == 1700 - before_c2 - (before_c1 - 300)
    assert done["taken_out"] == done["added"] == 0 and sim.agents_present() == present
    places, links = recount(sim)
    assert (places == sim.place_count).all() and (links == sim.link_count).all()
    assert places.sum() + links.sum() == present
    for day in range(15, 30):                # the run goes on from there, its lists kept right
        sim.step()
        check_mobile_list(sim, day)
    places, links = recount(sim)
    assert (places == sim.place_count).all() and (links == sim.link_count).all()


def test_a_surplus_no_camp_needs_leaves_and_a_shortfall_adds_agents_to_the_debt(tmp_path):
    # the total is 100 on every day (no spawning after day 0's insertion into C1); nobody leaves
    # a camp (camp_movechance 0)
    still = "spawn_rules:\n  sum_from_camps: false\nmove_rules:\n  camp_movechance: 0.0\n"

    def run(c1, c2):
        folder = write_case(tmp_path / f"c{c1}-{c2}",
                            locations=["A,r,X,0,0,conflict_zone,0,1000", "C1,r,Y,0,0,camp,,",
                                       "C2,r,Y,0,0,camp,,"],
                            routes=["A,C1,10", "A,C2,10"], days=10,
                            layout=["total,total.csv", "C1,c1.csv", "C2,c2.csv"],
                            counts={"total.csv": ["2020-01-01,100", "2020-01-10,100"],
                                    "c1.csv": ["2020-01-01,100", f"2020-01-04,{c1}"],
                                    "c2.csv": ["2020-01-01,0", f"2020-01-04,{c2}"]},
                            settings=still)
        sim = simulation(folder)
        for _ in range(4):
            sim.step()
        assert sim.agents_present() == 100 and sim.debt == 0
        return sim, sim.assimilate(3)

    sim, done = run(40, 0)        # 60 too many in C1, nobody short: 60 leave
    assert done["taken_out"] == 60 and done["added"] == 0 and done["moved"] == 0
    assert sim.agents_present() == 40 and sim.place_count[1:].tolist() == [40, 0]
    assert (sim.agents.state[: sim.agents.n] == GONE).sum() == 60
    sim, done = run(40, 200)      # C1's 60 go to C2, which lacks 140 more: 140 new, owed
    assert done["moved"] == 60 and done["added"] == 140 and done["taken_out"] == 0
    assert sim.place_count[1:].tolist() == [40, 200] and sim.debt == 140
    sim.step()                    # the debt holds spawning back: still nobody new
    assert sim.agents_present() == 240


def test_counts_after_the_origin_cannot_change_the_forecast(tmp_path):
    # the total is the spawning's input (Flee's, as for the folder's own rules): here total.csv,
    # so the camps' counts after the origin may be anything
    own_total = "spawn_rules:\n  sum_from_camps: false\n"
    first = case(tmp_path / "a", settings=own_total)
    other = case(tmp_path / "b", settings=own_total, total=[0, 1000, 2000, 3000, 4000],
                 after={"c1.csv": (9, 0), "c2.csv": (123456, 7)})
    runs = [run_case(read_case(f), dataclasses.replace(read_case(f).settings, assimilate_day=14),
                     seed=4).places for f in (first, other)]
    assert np.array_equal(runs[0], runs[1])
    # the counts up to the origin do change it (the test can fail)
    moved = case(tmp_path / "m", c2=(0, 750, 1500), settings=own_total,
                 total=[0, 1000, 2000, 3000, 4000])
    changed = run_case(read_case(moved),
                       dataclasses.replace(read_case(moved).settings, assimilate_day=14),
                       seed=4).places
    assert not np.array_equal(runs[0][15:], changed[15:])
    assert np.array_equal(runs[0][:15], changed[:15])


def test_counts_after_the_origin_cannot_change_a_fitted_forecast(tmp_path):
    """The whole forecast of a backtest: the fit on the counts up to the origin and its
    predictive runs started from the observed state; the total (the spawning's input) kept."""
    at = dt.date(2020, 1, 15)
    medians = []
    for name, after in (("a", CAMPS_AFTER), ("b", {"c1.csv": (3000, 1), "c2.csv": (0, 99)})):
        fs = load_flee(case(tmp_path / name, after=after, total=[0, 1000, 2000, 3000, 4000],
                            settings="spawn_rules:\n  sum_from_camps: false\n"))
        base = dataclasses.replace(fs.settings, assimilate_day=14)
        with FleeRunner(fs, base, workers=1) as runner:  # type: ignore[arg-type]
            fit = calibrate_flee(fs, until=at, budget=60, runner=runner,
                                 vary=parse_flee_vary(["distance_power=uniform(0,2)"]))
        medians.append((fit.best, np.stack([r.camp_counts(fs.camps) for r in fit.predictive])))
    assert medians[0][0] == medians[1][0]
    assert np.array_equal(medians[0][1], medians[1][1])
    assert medians[0][1].shape[1] == 30      # the forecast runs to the end of the period


def test_a_run_is_unchanged_up_to_the_origin_and_without_the_setting(tmp_path):
    folder = case(tmp_path / "c")
    plain, started = simulation(folder), simulation(folder, origin=14)
    for day in range(30):
        plain.step()
        started.step()
        if day <= 14:
            assert np.array_equal(plain.place_count, started.place_count), day
    assert not np.array_equal(plain.place_count, started.place_count)
    # off, the settings (and so the runs' ids) are as before the setting existed
    assert "assimilate_day" not in settings_json(plain.cfg)
    assert '"assimilate_day":14' in settings_json(started.cfg)


def test_only_rows_up_to_the_origin_and_no_older_than_60_days_count(tmp_path):
    folder = write_case(tmp_path / "c", locations=["A,r,X,0,0,conflict_zone,0,1000",
                                                   "C1,r,Y,0,0,camp,,", "C2,r,Y,0,0,camp,,"],
                        routes=["A,C1,10", "A,C2,10"], days=100,
                        layout=["total,total.csv", "C1,c1.csv", "C2,c2.csv"],
                        counts={"total.csv": ["2020-01-01,0"],
                                "c1.csv": ["2020-01-01,5", "2020-03-04,70", "2020-03-12,99"],
                                "c2.csv": ["2020-01-01,8", "2020-03-31,500"]})
    sim = simulation(folder)
    # day 70: C1's last row is day 63's (not day 71's, nor a value between); C2's is day 0's,
    # 70 days old: left as simulated
    assert sim.latest_counts(70) == {sim.world.names.index("C1"): 70}
    assert sim.latest_counts(71) == {sim.world.names.index("C1"): 99}
    assert sim.latest_counts(60) == {sim.world.names.index("C1"): 5,
                                     sim.world.names.index("C2"): 8}


def test_the_command_line_takes_it_for_flee_folders_only(tmp_path):
    folder = case(tmp_path / "c")
    result = CliRunner().invoke(main, ["backtest", str(folder), "--at", "2020-01-15", "--budget",
                                       "60", "--quiet", "--vary", "distance_power=uniform(0,2)",
                                       "--workers", "1", "--out", str(tmp_path / "bt.json")])
    assert result.exit_code == 0, result.output
    assert "default rules so started: ARD" in result.output
    result = CliRunner().invoke(main, ["backtest", str(folder), "--at", "2020-01-15", "--budget",
                                       "60", "--quiet", "--no-assimilate", "--vary",
                                       "distance_power=uniform(0,2)", "--workers", "1", "--out",
                                       str(tmp_path / "bt2.json")])
    assert result.exit_code == 0 and "so started" not in result.output
    result = CliRunner().invoke(main, ["backtest", "chile-peru-2025", "--at", "2025-11-01",
                                       "--no-assimilate"])
    assert result.exit_code == 2 and "--assimilate" in result.output and "Flee" in result.output


@pytest.mark.parametrize("origin", [-2, -10])
def test_an_origin_before_the_period_is_a_one_line_error(tmp_path, origin):
    from travesia.errors import ScenarioError
    from travesia.model.flee.settings import FleeSettings, _check

    with pytest.raises(ScenarioError, match="assimilate_day"):
        _check(FleeSettings(assimilate_day=origin), tmp_path / "s.yml")


def test_a_fit_from_the_state_fits_only_the_counts_after_its_own_origin(tmp_path):
    fs = load_flee(case(tmp_path / "c"))
    vary = parse_flee_vary(["distance_power=uniform(0,2)"])
    r = backtest_flee(fs, dt.date(2020, 1, 15), vary=vary, budget=60, workers=1,
                      fit_from_state=True)
    # the fit's runs start from the state of day 7 (14 // 2): only day 14's counts are fitted
    assert r["fit_from_state"] and r["observations_fitted"] == 2
    plain = api.flee_backtest(tmp_path / "c", "2020-01-15", ["distance_power=uniform(0,2)"],
                              budget=60, workers=1)             # the Python API's face of it
    assert not plain["fit_from_state"] and plain["assimilate"] and plain["observations_fitted"] == 4
    # the default rules' runs are the same either way
    assert r["ard_default_rules"] == plain["ard_default_rules"]
    assert r["ard_default_rules_assimilated"] == plain["ard_default_rules_assimilated"]


def test_a_camp_closed_at_the_origin_is_still_set_to_its_count(tmp_path):
    # C1 is a town from day 2 (a camp closure): its people count as the camp's, not as outside
    folder = case(tmp_path / "c", c1=(0, 250, 300), c2=(0, 750, 1700))
    (folder / "input_csv" / "closures.csv").write_text(
        "#closure_type,name1,name2,closure_start,closure_end\ncamp,C1,C1,2,29\n")
    sim = simulation(folder)
    for _ in range(15):
        sim.step()
    c1, c2 = sim.world.names.index("C1"), sim.world.names.index("C2")
    assert not sim.state.camp[c1]
    sim.assimilate(14)
    assert (sim.place_count[c1], sim.place_count[c2]) == (300, 1700)
    places, links = recount(sim)
    assert (places == sim.place_count).all() and (links == sim.link_count).all()
    assert places.sum() + links.sum() == sim.agents_present()
