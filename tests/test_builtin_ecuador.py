"""The built-in scenario ecuador-peru-2018-2019: its figures, its sources, and the three rushes of
entries at Tumbes before Peru's rule changes (docs/ecuador-peru-2018-2019.md)."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest

from travesia.model.engine import simulate
from travesia.model.world import compile_world
from travesia.scenario import load_scenario
from travesia.scenario.load import SPECIAL_SOURCES
from travesia.runs.posterior import posterior_values, scenario_fit
from travesia.runs.priors import with_values
from travesia.scenario.data_values import split_values, with_data_values

CROSSING = "Huaquillas–Tumbes (CEBAF)"
# the last day before each rule: the passport rule (25 Aug 2018), the PTP entry deadline
# (entry by 31 Oct 2018), the humanitarian visa (15 Jun 2019)
LAST_DAYS = ("2018-08-24", "2018-10-31", "2019-06-14")


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("ecuador-peru-2018-2019")


def test_the_stocks_are_the_cited_counts(scenario):
    world = compile_world(scenario)
    by_place = world.settled.sum(axis=(1, 2))
    assert by_place[world.place_index("Bogotá")] == 1_030_000      # 573k + 240k + 217k
    ecuador = by_place[world.place_index("Quito")] + by_place[world.place_index("Guayaquil")]
    assert ecuador == 250_000                                        # Toscanini, Aug 2018
    assert by_place[world.place_index("Quito")] == 0.4 * ecuador     # World Bank: 40% in Quito


def test_every_row_of_its_data_cites_a_known_source(scenario):
    folder = scenario.folder
    ids = set(scenario.sources) | SPECIAL_SOURCES
    for name in ("places.csv", "routes.csv", "crossings.csv", "population.csv", "documents.csv",
                 "groups.csv", "inflows.csv"):
        with (folder / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                cited = [s.strip() for s in row["source"].split(";") if s.strip()]
                assert cited and set(cited) <= ids, (name, row)
    for ev in scenario.spec.timeline:
        sources = ev.source if isinstance(ev.source, list) else ev.source.split(";")
        assert {s.strip() for s in sources} <= ids, ev
    assert (folder / "SOURCES.md").is_file()


def test_its_observations_are_the_tumbes_entries_of_the_shared_file(scenario):
    with (scenario.folder / "observations.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["crossing"] for r in rows} == {CROSSING}
    assert {r["compare"] for r in rows} == {"entries"}
    values = {r["date"]: int(r["value"]) for r in rows}
    assert values["2019-06-14"] == 9612 and values["2018-10-31"] == 6708
    assert values["2018-08-25"] == 1630 and values["2018-08-11"] == 5100


def test_each_rule_change_is_a_deadline_at_the_crossing_known_days_before(scenario):
    deadlines = {ev.deadline.isoformat(): ev for ev in scenario.spec.timeline
                 if ev.type == "deadline"}
    assert set(deadlines) == {"2018-08-25", "2018-11-01", "2019-06-15"}
    assert all(ev.crossing == CROSSING for ev in deadlines.values())
    assert deadlines["2018-08-25"].date == dt.date(2018, 8, 17)       # announced on a Friday
    assert deadlines["2019-06-15"].date == dt.date(2019, 6, 6)        # Vizcarra, Thursday 6 Jun


def _median_entries(scenario, runs=8):
    """Median entries over runs of the shipped fit's posterior (behaviour and data values), one
    draw and seed a run, as an ensemble draws them."""
    fit = scenario_fit(scenario)
    series = []
    for i in range(runs):
        params_values, data_values = split_values(posterior_values(fit, 0, i))
        sc = with_data_values(scenario, data_values)
        world = compile_world(sc)
        res = simulate(world, with_values(sc.params, params_values), seed=i,
                       events=sc.spec.timeline)
        series.append(res.flows["entries"][:, world.crossing_index(CROSSING)])
    return world, np.median(np.array(series), axis=0)


def test_the_median_of_the_fitted_runs_shows_the_rushes(scenario):
    world, entries = _median_entries(scenario)
    ratios = {}
    for last in LAST_DAYS:
        i = (dt.date.fromisoformat(last) - world.start).days
        ratios[last] = entries[i] / entries[i - 7:i].mean()
    # the PTP deadline and the humanitarian visa: at least twice the week before
    assert ratios["2018-10-31"] >= 2 and ratios["2019-06-14"] >= 2, ratios
    # the passport rule: its week before held the August surge (inflows row 1); the last day
    # still tops it (docs/ecuador-peru-2018-2019.md says what holds and what does not)
    assert ratios["2018-08-24"] > 1, ratios
    # the day after the two rule changes far fewer come through than on the last day
    for last in ("2018-08-24", "2019-06-14"):
        i = (dt.date.fromisoformat(last) - world.start).days
        assert entries[i + 1] < 0.5 * entries[i], last
