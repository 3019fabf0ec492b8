"""The built-in scenario peru-chile-2019: Venezuelans in Peru heading for Chile in June–August
2019, built from the policy facts and the stocks with the 2025 behaviour, and holding no count of
the people waiting at Chacalluta or at the consulate in Tacna (kept aside to score it)."""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner

import travesia.api as tv
from travesia.cli import main
from travesia.runs.posterior import scenario_fit
from travesia.scenario import load_scenario
from travesia.scenario.data_values import is_data_name
from travesia.scenario.load import SPECIAL_SOURCES
from travesia.scenario.schema import split_ids

CROSSING = "Santa Rosa–Chacalluta"


@pytest.fixture(scope="module")
def scenarios():
    return load_scenario("peru-chile-2019"), load_scenario("chile-peru-2025")


@pytest.fixture(scope="module")
def seed_run():
    return tv.run("peru-chile-2019", seed=0)


def test_the_behaviour_is_the_2025_posterior_unchanged(scenarios):
    sc19, sc25 = scenarios
    # the 2025 hand-set values, its crossing preferences aside (they name Colchane–Pisiga, which
    # this map does not have)
    own = {k: v for k, v in sc25.spec.parameters.items() if k != "crossing_preference"}
    assert own and sc19.spec.parameters == own
    borrowed, lender = scenario_fit(sc19), scenario_fit(sc25)
    assert borrowed.borrowed_from == "chile-peru-2025"
    assert borrowed.names == [n for n in lender.names if not is_data_name(n)]
    assert all(b == {n: d[n] for n in borrowed.names}
               for b, d in zip(borrowed.sample, lender.sample))
    assert all(is_data_name(name) for name in sc19.spec.priors)


def test_stocks_are_the_venezuelans_in_peru_of_june_2019_half_with_a_ptp(scenarios):
    sc19, _ = scenarios
    people = {s: sum(r.people for r in sc19.population if r.status == s)
              for s in ("regular", "irregular")}
    assert people["regular"] + people["irregular"] == 768_000          # R4V, June 2019
    assert people["regular"] == people["irregular"]                    # ENPOVE: about half
    countries = {p.name: p.country for p in sc19.places}
    assert all(countries[r.place] == "Peru" for r in sc19.population)
    assert {r.nationality for r in sc19.population} == {"Venezuela"}


def test_chiles_rule_of_22_june_drops_the_passport_and_the_consulate_is_a_corridor(scenarios):
    sc19, _ = scenarios
    crossing = next(c for c in sc19.crossings if c.name == CROSSING)
    assert "passport" in crossing.entry_admits.split(";")
    assert crossing.return_place == "Tacna" and crossing.return_admits == "any"
    events = {e.id: e for e in sc19.spec.timeline if e.id}
    rule = events["chile-visa"]
    assert rule.date == dt.date(2019, 6, 22) and rule.admits == "national;chile_visa"
    consulate = events["consulate-tacna"]
    first = consulate.date
    last = first + dt.timedelta(days=consulate.days - 1)
    assert (first, last) == (dt.date(2019, 6, 24), dt.date(2019, 8, 16))


def test_the_seed_run_follows_the_rules(seed_run):
    """Nobody passes by the consulate outside 24 Jun – 16 Aug, nor more than its 70 a day;
    nobody with a passport is refused before 22 June, so refusals before are the cédula holders
    only, and they rise once the passport no longer admits."""
    r = seed_run
    c = r.crossing_names.index(CROSSING)
    dates = np.array(r.dates)
    corridor = r.flows["corridor"][:, c]
    open_ = (dates >= dt.date(2019, 6, 24)) & (dates <= dt.date(2019, 8, 16))
    assert corridor[~open_].sum() == 0
    assert corridor[open_].sum() > 0 and corridor.max() <= 70
    refused = r.flows["refused"][:, c]
    entries = r.flows["entries"][:, c]
    before = dates < dt.date(2019, 6, 22)
    week_before = before & (dates >= dt.date(2019, 6, 15))
    week_after = (dates >= dt.date(2019, 6, 22)) & (dates < dt.date(2019, 6, 29))
    # before the rule about a quarter (the cédula share) is refused; after it nearly everyone
    assert refused[before].sum() < entries[before].sum()
    assert refused[week_after].sum() > refused[week_before].sum()
    assert (entries[week_after] - corridor[week_after]).sum() < entries[week_before].sum()


def test_every_row_cites_a_known_source_and_no_count_of_2019_waiting_is_in_the_folder(scenarios):
    sc19, _ = scenarios
    ids = set(sc19.sources) | SPECIAL_SOURCES
    for name in ("places.csv", "routes.csv", "crossings.csv", "population.csv", "documents.csv",
                 "groups.csv", "inflows.csv"):
        with (sc19.folder / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                cited = [s.strip() for s in row["source"].split(";") if s.strip()]
                assert cited and set(cited) <= ids, (name, row)
    for event in sc19.spec.timeline:
        assert set(split_ids(event.source)) <= ids, event
    assert sc19.spec.observations is None and not (sc19.folder / "observations.csv").exists()


def test_the_transit_arrivals_are_the_2018_through_flow_and_the_tumbes_rush(scenarios):
    """inflows.csv: before Peru's visa the 2018 exits (377 a day) less the model's own 18; after it
    the residents' 54.3% of them less the same 18; the Tumbes rush of 8-14 June above its
    1,300-a-day baseline, times the 17% who did not mean to stay in Peru, a day later at Lima."""
    sc19, _ = scenarios
    rows = sc19.inflows
    assert {(r.place, r.nationality, r.status, r.mode) for r in rows} == {
        ("Lima", "Venezuela", "irregular", "transit")}
    through, after, rush = rows
    assert (through.start, through.end) == (dt.date(2019, 6, 1), dt.date(2019, 6, 15))
    assert abs(through.people_per_day - (137_633 / 365 - 18)) < 5
    assert (after.start, after.end) == (dt.date(2019, 6, 16), dt.date(2019, 8, 31))
    assert abs(after.people_per_day - (137_633 / 365 * 0.543 - 18)) < 5
    tumbes = {8: 2500, 9: 3000, 10: 3500, 11: 4800, 12: 5400, 13: (5400 + 9612) / 2, 14: 9612}
    excess = sum(v - 1300 for v in tumbes.values())
    assert (rush.start, rush.end) == (dt.date(2019, 6, 9), dt.date(2019, 6, 15))
    assert abs(rush.people_per_day - excess * 0.17 / 7) < 5
    # each rate has a prior that covers it
    for i, row in enumerate(rows, start=1):
        prior = sc19.spec.priors[f"inflows[{i}].people_per_day"]
        assert prior["low"] < row.people_per_day < prior["high"]


def test_the_transit_arrivals_come_in_and_reach_the_crossing(seed_run):
    r = seed_run
    lima = r.place_names.index("Lima")
    came = r.inflow[:, lima]
    dates = list(r.dates)
    day = {d: came[dates.index(d)] for d in dates}
    assert day[dt.date(2019, 6, 8)] == 360 and day[dt.date(2019, 6, 12)] == 360 + 660
    assert day[dt.date(2019, 6, 16)] == 190 and day[dt.date(2019, 8, 31)] == 190
    assert came.sum() == 360 * 15 + 660 * 7 + 190 * 77
    assert r.inflow_totals() == {"Lima": 360 * 15 + 660 * 7 + 190 * 77}
    # they reach the post: Peru's exits at Santa Rosa in the week before Chile's rule are far
    # above the ~18 a day the settled stock alone sent (docs/peru-chile-2019.md, before inflows)
    c = r.crossing_names.index(CROSSING)
    d = np.array(r.dates)
    week = (d >= dt.date(2019, 6, 8)) & (d < dt.date(2019, 6, 15))
    assert r.flows["exits"][week, c].mean() > 300


def test_run_and_an_ensemble_drawing_from_the_2025_posterior_work(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["run", "peru-chile-2019", "--out", str(tmp_path / "run"),
                                  "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["scenario"] == "peru-chile-2019" and summary["conserved"]
    store = tmp_path / "e.duckdb"
    result = runner.invoke(main, ["ensemble", "peru-chile-2019", "--runs", "4", "--workers", "1",
                                  "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "from the posterior" in result.output
    from travesia.outputs.store import Store

    with Store(store, read_only=True) as st:
        ens = st.ensemble(None)
        assert ens["finished"] == 4
        assert any(str(v).startswith("posterior") for v in ens["vary"].values())
        # the scenario's own priors are drawn too (the consulate's pace among them)
        assert "timeline[consulate-tacna].per_day" in ens["vary"]
