"""What a review of the 2025 reproduction found, each as a behaviour that the model must keep:
give-ups saturate below certainty, the line empties through what people hear, each report is
compared with the series it describes, hand-set values say what they were set against, and one
rule computes needs everywhere."""

from __future__ import annotations

import csv
import datetime as dt
import re

import numpy as np
import pytest
import pyarrow.csv as pacsv

from scenario_kit import tiny_scenario
from travesia.model.engine import Simulation, simulate
from travesia.model.engine.stranded import giveup_chance
from travesia.scenario.parameters import load_params_file
from travesia.web.report import needs_rows
from travesia.scenario import load_scenario
from travesia.web.data import from_results
from travesia.model.world import compile_world

CROSSING = "Chacalluta–Santa Rosa"


def test_give_up_chance_saturates_below_its_limit_however_many_troops(tmp_path):
    timeline = [{"date": "2026-01-02", "type": "troops", "crossing": "X-Y", "personnel": 1_000_000,
                 "source": "hand"}]
    params = {"giveup_rate_per_day": 0.1, "giveup_max_per_day": 0.6,
              "giveup_per_100_personnel": 0.5}
    sc = load_scenario(tiny_scenario(tmp_path, timeline=timeline, parameters=params))
    sim = Simulation(compile_world(sc), sc.params, events=sc.spec.timeline)
    sim.step(0)
    assert giveup_chance(sim)[0] == pytest.approx(0.1)
    sim.step(1)
    assert 0.59 < giveup_chance(sim)[0] <= 0.6
    # 250 personnel (the 2025 line from 5 Dec): the gap to the limit closes by 1 - exp(-0.5 x 2.5)
    sim.policy.personnel[0] = 250
    assert giveup_chance(sim)[0] == pytest.approx(0.1 + 0.5 * (1 - np.exp(-1.25)))


@pytest.fixture(scope="module")
def fitted():
    sc = load_scenario("chile-peru-2025")
    return sc, load_params_file(sc.folder / "fitted_params.yaml", base=sc.params)


def _runs(sc, params, seeds):
    world = compile_world(sc)
    return [simulate(world, params, seed=s, events=sc.spec.timeline) for s in seeds]


def test_the_2025_line_empties_because_of_what_people_hear(fitted):
    """With beliefs frozen (no news, no announcements), people keep setting out for the shut
    border after the state of emergency of 29 Nov: the line holds several times more people in
    the two weeks that follow. The emptying comes from the feedback, not from certain give-ups."""
    sc, params = fitted
    seeds = range(6)
    heard = _runs(sc, params, seeds)
    deaf = _runs(sc, params.with_overrides({"belief_update_rate": 0.0, "announcement_weight": 0.0}),
                 seeds)
    start, end = ((dt.date(2025, m, d) - sc.spec.start).days for m, d in ((12, 2), (12, 15)))

    def held(runs):
        return np.mean([r.at_crossing(CROSSING)[start:end + 1].mean() for r in runs])

    def set_out(runs):
        c = runs[0].crossing_names.index(CROSSING)
        return np.mean([r.flows["departures"][start:end + 1, c].sum() for r in runs])

    assert set_out(deaf) > 2.0 * set_out(heard)
    assert held(deaf) > 2.0 * held(heard)
    # and with the news, nobody is forced out: on days after 4 Dec some refused people wait
    r = heard[0]
    c = r.crossing_names.index(CROSSING)
    late = slice((dt.date(2025, 12, 5) - sc.spec.start).days, end + 1)
    assert r.flows["stranded"][late, c].sum() > 0


def test_reports_of_the_1_december_walk_in_are_compared_with_caught_attempts_and_count_once():
    sc = load_scenario("chile-peru-2025")
    with (sc.folder / "observations.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["measure"]
                == "migrants_crossed_control_without_authorization"]
    assert len(rows) == 5
    assert {r["compare"] for r in rows} == {"irregular_caught"}
    assert len({r["event"] for r in rows}) == 1 and rows[0]["event"]


def test_every_hand_set_value_says_what_it_was_set_against():
    """SOURCES.md lists each parameter of scenario.yaml with the observations it was set against;
    every date it cites is a row of observations.csv, and no target is left without one."""
    sc = load_scenario("chile-peru-2025")
    text = (sc.folder / "SOURCES.md").read_text(encoding="utf-8")
    section = text.split("## Values set by hand", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z0-9_]+)` \|[^|]*\|([^|]*)\|",
                                                        section, re.M)}
    assert set(sc.spec.parameters) <= set(rows), set(sc.spec.parameters) - set(rows)
    with (sc.folder / "observations.csv").open(encoding="utf-8") as f:
        dates = {r["date"] for r in csv.DictReader(f)}
    for name, against in rows.items():
        cited = re.findall(r"20\d\d-\d\d-\d\d", against)
        assert cited or "no count" in against, name
        assert set(cited) <= dates, (name, set(cited) - dates)
    assert "early November" not in (sc.folder / "scenario.yaml").read_text(encoding="utf-8")


def test_needs_at_a_peak_follow_one_rule_in_the_summary_the_table_and_the_report(tmp_path):
    """People keep arriving at a shut post for 12 days: the peak (the last day) is past a place's
    first 7 days of holding people, so one toilet per 20 people, in summary.json, needs.csv and
    the report alike (the summary used to count one per 50, the report one per 20 always)."""
    params = {"departure_rate_per_day": {"regular": 0.1, "irregular": 0.1}}
    folder = tiny_scenario(tmp_path, people=1000, entry_admits="visa", entry_cap=1000, days=12,
                           parameters=params)
    sc = load_scenario(folder)
    res = simulate(compile_world(sc), sc.params, events=sc.spec.timeline)
    held = res.at_crossing("X-Y")
    assert np.all(np.diff(held) > 0) and held[-1] > 300
    toilets = int(np.ceil(held[-1] / 20))
    assert res.summary()["crossings"]["X-Y"]["needs_at_peak"]["toilets"] == toilets
    paths = res.write(tmp_path / "out")
    table = [r for r in pacsv.read_csv(paths["needs"]).to_pylist() if r["place"] == "YP"]
    assert table[-1]["toilets"] == toilets and table[0]["toilets"] == int(np.ceil(held[0] / 50))
    ds = from_results("r", "run", "one run", [res], [sc.params.model_dump()])
    assert [r["toilets"] for r in needs_rows(ds) if r["place"] == "YP"] == [toilets]
