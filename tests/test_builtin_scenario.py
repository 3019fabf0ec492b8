"""The built-in scenario chile-peru-2025: its figures, its sources, and the shape of the 2025
episode."""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner

from travesia.cli import main
from travesia.model.engine import simulate
from travesia.scenario.parameters import load_params_file
from travesia.scenario import load_scenario
from travesia.scenario.load import SPECIAL_SOURCES
from travesia.model.world import compile_world

CROSSING = "Chacalluta–Santa Rosa"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("chile-peru-2025")


def test_scenario_show_reproduces_the_ine_sermig_estimate():
    result = CliRunner().invoke(main, ["scenario", "show", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    pop = info["population"]
    assert info["name"] == "chile-peru-2025"
    assert pop["total"] == 1_918_583
    assert pop["by_nationality"]["Venezuela"] == 728_586
    assert pop["by_status"]["irregular"] == 336_984
    assert pop["by_nationality_and_status"]["Venezuela"]["irregular"] == 252_738
    for nat, n in {"Peru": 260_785, "Colombia": 209_946, "Haiti": 188_131, "Bolivia": 180_266,
                   "Argentina": 83_265}.items():
        assert pop["by_nationality"][nat] == n


def test_every_row_of_builtin_data_cites_a_known_source(scenario):
    folder = scenario.folder
    ids = set(scenario.sources) | SPECIAL_SOURCES
    for src in scenario.sources.values():
        assert src.publisher and src.title, src.id
    for name in ("places.csv", "routes.csv", "crossings.csv", "population.csv", "documents.csv"):
        with (folder / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                cited = [s.strip() for s in row["source"].split(";") if s.strip()]
                assert cited and set(cited) <= ids, (name, row)
    assert (folder / "SOURCES.md").is_file()


def test_timeline_holds_the_episode(scenario):
    by_date = {}
    for ev in scenario.spec.timeline:
        by_date.setdefault(ev.date.isoformat(), set()).add(ev.type)
    assert "deadline" in by_date["2025-10-29"]
    assert {"emergency", "troops"} <= by_date["2025-11-29"]
    assert "threat" in by_date["2025-12-14"]
    deadline = [ev for ev in scenario.spec.timeline if ev.type == "deadline"][0]
    assert deadline.deadline == dt.date(2026, 3, 11)


def test_police_are_posted_at_the_line_from_28_november_and_150_from_the_emergency(scenario):
    """The sources date the police before the soldiers: the PNP watch doubled by the morning of
    28 Nov, and on 29 Nov the minister counted 100 police already there when the first 50 soldiers
    came. So the walk back of 28 Nov happens under 100 posted (and is evidence of the response to
    them), and the total from 29 Nov is the 150 of the operation, not 250."""
    from travesia.model.engine.timeline import PolicyState, apply_event
    world = compile_world(scenario)
    policy = PolicyState.initial(world)
    c = world.crossing_names.index(CROSSING)
    posted = {}
    for ev in sorted(scenario.spec.timeline, key=lambda e: e.date):
        if ev.date > dt.date(2025, 12, 2):
            break
        apply_event(policy, world, ev, (ev.date - scenario.spec.start).days)
        posted[ev.date.isoformat()] = int(policy.personnel[c])
    assert posted["2025-11-28"] == 100
    assert posted["2025-11-29"] == 150
    assert posted["2025-12-02"] == 200


def held_series(scenario, seed):
    """People held at the line in a run with the shipped fit's posterior medians."""
    params = load_params_file(scenario.folder / "fitted_params.yaml", base=scenario.params)
    res = simulate(compile_world(scenario), params, seed=seed, events=scenario.spec.timeline)
    start = scenario.spec.start
    held = res.at_crossing(CROSSING)
    return res, lambda d: int(held[(dt.date.fromisoformat(d) - start).days])


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_held_count_has_the_shape_of_the_2025_episode(scenario, seed):
    """Observed: "more than 100" held on the nights of 26-28 Nov (some reports 400-500, the mayor
    "at most 60"); "practically nil" on 2 Dec and nobody on 7 Dec. The fitted model peaks in the
    last week of November and the line is below a quarter of its peak five days after the state
    of emergency of 29 Nov (give-ups saturate below 1: people can still be waiting)."""
    res, held_on = held_series(scenario, seed)
    late_november = [held_on(f"2025-11-{d}") for d in range(22, 29)]
    peak = max(late_november)
    assert 60 <= peak <= 450, late_november
    assert held_on("2025-12-04") <= 0.25 * peak
    assert held_on("2025-12-07") <= 0.1 * peak
    # and the count stays low for the rest of the period, runoff and deadline included
    assert res.at_crossing(CROSSING)[(dt.date(2025, 12,
                                              7) - scenario.spec.start).days:].max() <= 0.3 * peak
    # conservation on the real scenario too
    assert np.all(res.counts.sum(axis=(1, 2)) == res.population)


def test_make_run_writes_the_five_outputs(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--out", str(out), "--seed", "0"])
    assert result.exit_code == 0, result.output
    for name in ("daily.parquet", "crossings.parquet", "needs.csv", "summary.json", "stranded.png"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "chile-peru-2025" and summary["conserved"]
    peak = summary["crossings"][CROSSING]
    assert peak["needs_at_peak"]["water_litres_per_day"] == peak["peak_held"] * 15
    assert CROSSING in result.output
    import duckdb

    n_days = duckdb.sql(f"select count(distinct date) from '{out / 'daily.parquet'}'").fetchall()[
        0
    ][0]
    assert n_days == summary["period"]["days"]
