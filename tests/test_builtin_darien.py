"""The built-in scenario darien-2023: its figures, its sources, and the chain of two borders
(the Darién jungle from Colombia into Panama, Paso Canoas from Panama into Costa Rica).

The inflow rates are Panama's monthly SNM counts (derive_inflows.py), so the model's monthly and
yearly crossings of the jungle match those counts by construction: the tests say so and check
what could fail instead — counts no rate was set from (Costa Rica's entries at Paso Canoas, the
SNM count of 1-14 September, the nationality report of 27 September), the chain, and the deaths.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from travesia.cli import main
from travesia.model.engine import simulate
from travesia.model.results import STATE_COLUMNS
from travesia.model.world import compile_world
from travesia.runs.posterior import stale_warning
from travesia.scenario import load_scenario
from travesia.scenario.load import SPECIAL_SOURCES
from travesia.scenario.observations import read_observations

SNM_2023_TOTAL = 520_085              # ultimocable-2024-01 (Minseg)
JUNGLE = "Darién jungle"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("darien-2023")


@pytest.fixture(scope="module")
def results(scenario):
    return simulate(compile_world(scenario), scenario.params, seed=0,
                    events=scenario.spec.timeline)


def days_between(res, first: dt.date, last: dt.date) -> slice:
    return slice((first - res.start).days, (last - res.start).days + 1)


def test_it_is_listed_checked_and_runs_by_name(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(main, ["scenarios"])
    assert listed.exit_code == 0 and "darien-2023" in listed.output
    check = runner.invoke(main, ["scenario", "check", "darien-2023"])
    assert check.exit_code == 0, check.output
    assert "1 crossings, 1 informal crossings" in check.output
    run = runner.invoke(main, ["run", "darien-2023", "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    assert (tmp_path / "run" / "informal.csv").is_file()
    # score and report compare the SNM counts with the jungle's series, Costa Rica's with the post's
    scored = runner.invoke(main, ["score", str(tmp_path / "run")])
    assert scored.exit_code == 0, scored.output
    rows = json.loads(scored.output)["observations"]
    assert {(r["crossing"], r["compare"]) for r in rows} == {(JUNGLE, "informal_crossed"),
                                                               ("Paso Canoas", "entries")}
    assert len(rows) == 15
    report = runner.invoke(main, ["report", str(tmp_path / "run"), "--out",
                                  str(tmp_path / "report.html")])
    assert report.exit_code == 0, report.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "15 observations (2 reported as ranges)" in html and "informal_crossed" in html


def test_every_row_of_its_data_cites_a_known_source(scenario):
    folder = scenario.folder
    ids = set(scenario.sources) | SPECIAL_SOURCES
    for src in scenario.sources.values():
        assert src.publisher and src.title and src.url, src.id
    for name in ("places.csv", "routes.csv", "crossings.csv", "informal_crossings.csv",
                 "documents.csv", "groups.csv", "inflows.csv"):
        with (folder / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if next(iter(row.values())).startswith("#"):
                    continue
                cited = [s.strip() for s in row["source"].split(";") if s.strip()]
                assert cited and set(cited) <= ids, (name, row)
    urls = {src.url for src in scenario.sources.values()}
    for o in read_observations(folder / "observations.csv"):
        assert o.source in urls, o            # an observation's address is a source's
    for ev in scenario.spec.timeline:
        assert set(ev.source.split(";")) <= ids, ev
    assert (folder / "SOURCES.md").is_file()


def test_inflows_csv_is_what_derive_inflows_writes(scenario, tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("derive_inflows",
                                                  scenario.folder / "derive_inflows.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    assert (tmp_path / "inflows.csv").read_text(encoding="utf-8") == \
        (scenario.folder / "inflows.csv").read_text(encoding="utf-8")


def test_the_year_through_the_jungle_is_the_snm_total_in_sample_by_construction(results):
    # The rates ARE the monthly counts: this checks the derivation and that the engine carries
    # everyone who came in across the jungle (a day's boat; the last day's arrivals are still
    # at Capurganá), not the model's skill.
    crossed = int(results.informal["informal_crossed"][:, 0].sum())
    came_in = int(results.inflow.sum())
    assert abs(came_in - SNM_2023_TOTAL) < 50
    assert 0.995 < crossed / SNM_2023_TOTAL < 1.0


def test_people_reach_costa_rica_through_the_jungle_and_the_posts(results):
    """The chain: Necoclí -> boat -> Capurganá -> jungle -> Lajas Blancas (capacity 0, transit) ->
    bus -> Paso Canoas -> Peñas Blancas. Nobody stays in Panama; nobody is refused."""
    arrived = dict(zip(results.place_names,
                       results.counts[-1, :, STATE_COLUMNS.index("arrived")].tolist()))
    assert arrived["Lajas Blancas"] == 0
    assert arrived["Peñas Blancas"] > 0.97 * SNM_2023_TOTAL
    assert results.flows["refused"].sum() == 0
    crossed = results.informal["informal_crossed"][:, 0]
    entries = results.flows["entries"][:, 0]
    # who crosses the jungle reaches Costa Rica's post about 11 days later (10 on foot, the bus)
    assert crossed[:11].sum() > 0 and entries[:11].sum() == 0
    assert abs(int(entries.sum()) - int(crossed[:-12].sum())) < 0.01 * crossed.sum()
    assert results.summary()["conserved"]


def test_deaths_and_injuries_are_their_own_series_at_the_jungles_risks(scenario, results):
    path = scenario.informal[0]
    attempts = results.informal["informal_attempts"][:, 0].sum()
    died = int(results.informal["informal_died"][:, 0].sum())
    injured = int(results.informal["informal_injured"][:, 0].sum())
    for count, risk in ((died, path.death_risk), (injured, path.injury_risk)):
        expected = attempts * risk
        assert abs(count - expected) < 4 * np.sqrt(expected) + 1, (count, expected)
    assert died > 0 and results.died().sum() == died
    summary = results.summary_informal()[JUNGLE]
    assert summary["informal_died"] == died and summary["informal_caught"] == 0


def test_costa_ricas_september_entries_no_rate_was_set_from(results):
    # 60,000 entered Costa Rica from Panama in 1-26 Sep (elimpulso-2023-09-27), reported by
    # Costa Rica, not Panama: the model's entries follow from the SNM rates, the chain's days and
    # the post's capacity. The model carries the September rate from Panama's year remainder
    # (2,604 a day) and so runs above it: within 20%.
    model = int(results.flows["entries"][days_between(results, dt.date(2023, 9, 1),
                                                      dt.date(2023, 9, 26)), 0].sum())
    assert 60_000 <= model <= 1.2 * 60_000, model


def test_the_snm_counts_of_mid_september_no_rate_was_set_from(results):
    # 36,717 crossed in 1-14 Sep (prensa-2023-09-15); the September rate comes from the year's
    # remainder, not from this count. And 399,606 by the morning of 27 Sep.
    crossed = results.informal["informal_crossed"][:, 0]
    first_half = crossed[days_between(results, dt.date(2023, 9, 1), dt.date(2023, 9, 14))].sum()
    assert abs(first_half / 36_717 - 1) < 0.05, first_half
    by_27 = crossed[: (dt.date(2023, 9, 26) - results.start).days + 1].sum()
    assert abs(by_27 / 399_606 - 1) < 0.02, by_27


def test_minors_among_people_on_the_move_are_the_reported_share(results):
    # groups.csv takes the year's 120,000 of 520,085 (23.1%); the dated reports say 21% (30 Apr,
    # 31 Jul) and 25% (27 Sep): the chain must carry the group through boat, jungle and bus.
    children = results.group_people["child"].sum()
    moving = sum(results.counts[:, :, STATE_COLUMNS.index(s)].sum()
                 for s in ("travelling", "onward", "queued", "stranded"))
    assert 0.21 <= children / moving <= 0.25


def test_nationality_shares_reproduce_the_report_of_27_september(scenario):
    # The shares are derived from the reports of Feb, Apr, Jul and the year; the report of
    # 27 Sep (elquinto-2023-09: Venezuela more than 252,000, Ecuador 47,724) is not among them.
    by_nat: dict[str, float] = {}
    last = dt.date(2023, 9, 26)
    for row in scenario.inflows:
        days = (min(row.end, last) - row.start).days + 1
        if days > 0:
            by_nat[row.nationality] = by_nat.get(row.nationality, 0) + row.people_per_day * days
    assert abs(by_nat["Venezuela"] / 252_000 - 1) < 0.06, by_nat
    assert abs(by_nat["Ecuador"] / 47_724 - 1) < 0.06, by_nat


def test_the_timeline_holds_the_dated_shocks(scenario):
    by_id = {ev.id: ev for ev in scenario.spec.timeline}
    assert by_id["title-42-ends"].date == dt.date(2023, 5, 11)
    assert by_id["gualaca-bus-accident"].date == dt.date(2023, 2, 15)
    assert by_id["costa-rica-emergency"].type == "emergency"
    agreement = by_id["bus-agreement"]
    assert (agreement.type, agreement.date, agreement.announced) == (
        "capacity", dt.date(2023, 10, 9), dt.date(2023, 10, 6))


def test_the_shipped_fit_is_of_these_files_and_narrows_the_capacity(scenario):
    # fitted to Costa Rica's three counts (the SNM counts do not depend on either number): the
    # post let fewer in a day than the September flow, so people waited until the buses of 9 Oct
    fit = scenario.folder / "fitted_params.yaml"
    assert stale_warning(fit, scenario) is None
    spread = yaml.safe_load(fit.read_text(encoding="utf-8"))["fit"]["spread"]
    capacity = spread["crossings[Paso Canoas].entry_capacity_per_day"]
    assert 2000 <= capacity["p05"] < capacity["p50"] < 2700 < capacity["p95"] <= 3500
    assert not (scenario.folder / "fitted_params.scores.json").exists()
