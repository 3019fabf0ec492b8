"""Impacts where people are (model/impacts.py), on tiny scenarios and hand-made series with
outcomes worked out by hand: who settles where, needs by region as sums of places, rates × people,
cost units, and rates files that are refused with file, row and field."""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner

from scenario_kit import tiny_scenario
from travesia.cli import main
from travesia.errors import ScenarioError
from travesia.model.engine import simulate
from travesia.model.impacts import (
    RATE_COLUMNS, PlaceSeries, impacts_by_place, impacts_by_region, load_rates, region_summary,
)
from travesia.model.needs import needs_of_series, needs_on
from travesia.model.results import STATE_COLUMNS
from travesia.model.world import compile_world
from travesia.scenario import load_scenario


def run(folder):
    sc = load_scenario(folder)
    return simulate(compile_world(sc), sc.params, seed=0, events=sc.spec.timeline)


def rows_of(table, **match) -> list[dict]:
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in match.items())]


# --- the engine's newly settled ----------------------------------------------------------------

def test_a_give_up_settles_at_the_return_place_and_is_counted_there_once(tmp_path):
    res = run(tiny_scenario(tmp_path, people=40, entry_admits="visa", entry_cap=100,
                            parameters={"giveup_rate_per_day": 1.0}, days=6))
    # refused on day 0, all 40 give up and are settled back at A at the end of day 1; with a
    # departure rate of 1 they leave again on day 2 (no longer newly settled there), and so on:
    # a second return counts them again as 40, never 80
    a = res.place_names.index("A")
    assert res.newly_settled[:, a].tolist() == [0, 40, 0, 40, 0, 40]
    assert res.newly_settled.sum(axis=1).tolist() == [0, 40, 0, 40, 0, 40]   # nowhere else
    settled = res.counts[:, a, STATE_COLUMNS.index("settled")]
    assert np.all(res.newly_settled[:, a] <= settled)                      # a part of `settled`
    assert [r["newly_settled"] for r in rows_of(impacts_by_place(res), place="A")] == \
        [0, 40, 0, 40, 0, 40]


def test_a_shelter_shows_its_places_and_those_who_leave_it_settle_where_it_is(tmp_path):
    timeline = [{"date": "2026-01-02", "type": "shelter", "place": "A", "crossing": "X-Y",
                 "capacity": 15, "days": 3, "source": "hand"}]
    res = run(tiny_scenario(tmp_path, people=50, entry_admits="visa", timeline=timeline, days=6,
                            parameters={"shelter_uptake_per_day": 1.0,
                                        "shelter_leave_per_day": 0.0}))
    # the shelter at A is open on days 1-3 with 15 places, all taken on day 1; it closes after
    # day 3, and its 15 settle at A on day 4; on day 5 they leave again
    a = rows_of(impacts_by_place(res), place="A")
    assert [r["shelter_capacity"] for r in a] == [0, 15, 15, 15, 0, 0]
    assert [r["sheltered"] for r in a] == [0, 15, 15, 15, 0, 0]
    assert [r["shelter_occupancy_pct"] for r in a] == [None, 100.0, 100.0, 100.0, None, None]
    assert [r["newly_settled"] for r in a] == [0, 0, 0, 0, 15, 0]
    # the other 35 stay stranded at the entry post, in region r of country Y; on day 5 the 15
    # are back among them (1 km from A)
    region = rows_of(impacts_by_region(res), country="Y", region="r")
    assert [r["held"] for r in region] == [50, 35, 35, 35, 35, 50]


def test_pinned_streams_do_not_move_with_the_count(tmp_path):
    """The count draws no random number: two runs of one seed are equal, counts and all."""
    folder = tiny_scenario(tmp_path, people=300, entry_admits="visa", days=8,
                           parameters={"giveup_rate_per_day": 0.3,
                                       "departure_rate_per_day": {"irregular": 0.4}})
    one, two = run(folder), run(folder)
    assert np.array_equal(one.counts, two.counts) and np.array_equal(one.newly_settled,
                                                                     two.newly_settled)
    assert one.newly_settled.max() > 0


# --- impacts of hand-made series ---------------------------------------------------------------

RATES = [
    {"measure": "health_consultations", "applies_to": "present", "country": "Chile",
     "value": 3.65, "low": 1, "high": 5, "unit": "per_year", "currency": "", "year": 2019,
     "source": "hand", "note": ""},
    {"measure": "health_consultations", "applies_to": "present", "country": "*", "value": 7.3,
     "low": 1, "high": 8, "unit": "per_year", "currency": "", "year": 2019, "source": "hand",
     "note": ""},
    {"measure": "school_places", "applies_to": "newly_settled", "country": "*", "value": 0.2,
     "low": 0.1, "high": 0.3, "unit": "share", "currency": "", "year": 2023, "source": "hand",
     "note": ""},
    {"measure": "cost_food", "applies_to": "dependent", "country": "*", "value": 2, "low": 1,
     "high": 3, "unit": "per_day", "currency": "USD", "year": 2023, "source": "hand",
     "note": ""},
    {"measure": "cost_school", "applies_to": "school_places", "country": "*", "value": 1,
     "low": 1, "high": 3, "unit": "per_month", "currency": "CLF", "year": 1998,
     "source": "hand", "note": ""},
]


def write_rates(path, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def three_places() -> PlaceSeries:
    """P1 (Chile, R1): 10 queued + 20 stranded, 100 newly settled; P2 (Chile, R1): 10 travelling +
    5 returning; P3 (Peru, R2): 40 sheltered of 50 places. Two days alike."""
    counts = np.zeros((2, 3, len(STATE_COLUMNS)))
    col = STATE_COLUMNS.index
    counts[:, 0, col("queued")], counts[:, 0, col("stranded")] = 10, 20
    counts[:, 1, col("travelling")], counts[:, 1, col("returning")] = 10, 5
    counts[:, 2, col("sheltered")] = 40
    newly = np.zeros((2, 3))
    newly[:, 0] = 100
    shelter = np.zeros((2, 3))
    shelter[:, 2] = 50
    return PlaceSeries([dt.date(2026, 1, 1), dt.date(2026, 1, 2)], ["P1", "P2", "P3"],
                       ["Chile", "Chile", "Peru"], ["R1", "R1", "R2"], counts, newly, shelter)


def test_needs_of_a_region_are_the_sums_of_its_places(tmp_path):
    write_rates(tmp_path / "rates.csv", RATES)
    table = impacts_by_region(three_places(), load_rates(tmp_path / "rates.csv"))
    r1 = rows_of(table, region="R1")[0]
    assert (r1["held"], r1["passing_through"], r1["newly_settled"]) == (30, 15, 100)
    # 45 depend on provision: 675 L, 94,500 kcal, 157.5 m2; toilets per place, first days 1 per
    # 50: ceil(30/50) + ceil(15/50) = 2, not ceil(45/50) = 1
    assert (r1["water_litres"], r1["food_kcal"], r1["covered_m2"], r1["toilets"]) == \
        (675, 94_500, 157.5, 2)
    r2 = rows_of(table, region="R2")[0]
    assert (r2["sheltered"], r2["shelter_capacity"], r2["shelter_occupancy_pct"]) == (40, 50, 80.0)
    assert r2["country"] == "Peru" and r2["toilets"] == 1


def test_rates_times_people_give_demand_and_costs_in_their_units(tmp_path):
    write_rates(tmp_path / "rates.csv", RATES)
    table = impacts_by_region(three_places(), load_rates(tmp_path / "rates.csv"))
    assert table.column_names[-4:] == ["health_consultations", "school_places", "cost_food_USD",
                                       "cost_school_CLF"]
    r1, r2 = rows_of(table, region="R1")[0], rows_of(table, region="R2")[0]
    # Chile's rate: 3.65 a year = 0.01 a day for the 145 present; Peru has none: 7.3 (any
    # country) = 0.02 a day for 40
    assert r1["health_consultations"] == pytest.approx(1.45)
    assert r2["health_consultations"] == pytest.approx(0.8)
    # school places: a share (0.2) of the 100 newly settled, a stock; 1 UF a month a place is
    # 20 x 12 / 365 UF a day
    assert r1["school_places"] == pytest.approx(20)
    assert r1["cost_school_CLF"] == pytest.approx(20 * 12 / 365, abs=1e-3)
    # food: USD 2 a day for each of the 45 and the 40 who depend on provision
    assert (r1["cost_food_USD"], r2["cost_food_USD"]) == (90, 80)
    summary = region_summary(three_places(), load_rates(tmp_path / "rates.csv"))
    assert summary["regions"]["R1 (Chile)"]["totals"]["cost_food_USD"] == 180      # two days
    assert summary["regions"]["R2 (Peru)"]["peak_sheltered"] == 40


def test_the_array_rule_of_needs_is_the_rule_of_needs_on():
    held = np.array([[0, 3], [49, 51], [120, 0], [120, 7], [120, 7], [120, 7], [120, 7],
                     [120, 7], [120, 7], [120, 7]], dtype=float)
    needs = needs_of_series(held)
    run = np.zeros(2, dtype=int)
    for t in range(held.shape[0]):
        run = np.where(held[t] > 0, run + 1, 0)
        for p in range(2):
            one = needs_on(int(held[t, p]), int(run[p]))
            assert needs["toilets"][t, p] == one["toilets"]
            assert needs["water_litres_per_day"][t, p] == one["water_litres_per_day"]


def test_the_shipped_rates_carry_a_source_and_cover_any_country():
    rates = load_rates()
    assert {"health_consultations", "school_places"} <= set(rates.measures)
    assert all(r.source and 1990 <= r.year <= 2030 for r in rates.rows)
    assert all(rates.rate(m, "Bolivia") for m in rates.measures)


# --- bad rates files ---------------------------------------------------------------------------

def _changed(row: int, **values) -> list[dict]:
    rows = [dict(r) for r in RATES]
    rows[row].update(values)
    return rows


@pytest.mark.parametrize("rows, where, says", [
    (_changed(0, value="many"), ("row 2", "field 'value'"), "not a number"),
    (_changed(1, value=-1), ("row 3", "field 'value'"), "0 or more"),
    (_changed(2, value=1.5, high=2), ("row 4", "field 'value'"), "at most 1"),
    (_changed(0, unit="per_week"), ("row 2", "field 'unit'"), "unknown unit"),
    (_changed(3, currency="dollars"), ("row 5", "field 'currency'"), "currency code"),
    (_changed(2, currency="USD"), ("row 4", "field 'currency'"), "not a cost"),
    (_changed(0, source=""), ("row 2", "field 'source'"), "source"),
    (_changed(3, measure="food"), ("row 5", "field 'measure'"), "unknown measure"),
    (_changed(3, applies_to="tourists"), ("row 5", "field 'applies_to'"), "applies to"),
    (_changed(0, low=4), ("row 2", "field 'low'"), "does not hold"),
    (_changed(1, country="Chile"), ("row 3", "field 'country'"), "given twice"),
    (_changed(1, country="Peru"), ("field 'country'",), "no row for any other country"),
    (_changed(0, year="recent"), ("row 2", "field 'year'"), "not a year"),
    (RATES + [dict(RATES[4], country="Chile", currency="USD")], ("row 7", "field 'currency'"),
     "one measure, one currency"),
])
def test_a_bad_rates_file_is_refused_with_file_row_and_field(tmp_path, rows, where, says):
    write_rates(tmp_path / "rates.csv", rows)
    with pytest.raises(ScenarioError) as err:
        load_rates(tmp_path / "rates.csv")
    message = err.value.message
    assert "rates.csv" in message and says in message and all(w in message for w in where), \
        message


def test_a_rates_file_without_a_column_names_the_missing_one(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "year"} for r in RATES]
    write_rates(tmp_path / "rates.csv", rows)
    with pytest.raises(ScenarioError, match="missing column.*year"):
        load_rates(tmp_path / "rates.csv")
    assert "year" in RATE_COLUMNS


# --- the ensemble store ------------------------------------------------------------------------

def test_an_ensemble_store_keeps_the_newly_settled_of_each_run(tmp_path):
    from travesia.runs.ensemble import plan_ensemble, run_ensemble, run_task
    from travesia.web.data import StoreReader

    folder = tiny_scenario(tmp_path / "sc", people=200, entry_admits="visa", days=8,
                           parameters={"giveup_rate_per_day": 0.4,
                                       "departure_rate_per_day": {"irregular": 0.3}})
    plan = plan_ensemble(folder, 3, base_seed=5)
    report = run_ensemble(plan, tmp_path / "e.duckdb", workers=1)
    assert report.ran == 3 and not report.failed
    expected = np.mean([run_task(t).results.newly_settled for t in plan.tasks], axis=0)
    assert expected.max() > 0
    reader = StoreReader(tmp_path / "e.duckdb")
    ds = reader.dataset(reader.ensembles()[0], "ens")
    assert ds.newly_settled == pytest.approx(expected)
    assert ds.shelter_capacity is not None and not ds.shelter_capacity.any()
    # a store written before the table existed is read as before, and says what it lacks
    import duckdb

    with duckdb.connect(str(tmp_path / "e.duckdb")) as con:
        con.execute("DROP TABLE places")
    old = StoreReader(tmp_path / "e.duckdb")
    ds = old.dataset(old.ensembles()[0], "ens")
    assert ds.newly_settled is None
    assert "does not keep the newly settled" in ds.place_series().notes[0]


# --- a run's files -----------------------------------------------------------------------------

def test_a_run_writes_impacts_per_region_and_a_summary_block(tmp_path):
    folder = tiny_scenario(tmp_path / "sc", people=40, entry_admits="visa", entry_cap=100,
                           parameters={"giveup_rate_per_day": 1.0}, days=6)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    with (out / "impacts.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 * 2                  # regions r (country X) and r (country Y), 6 days
    assert [int(r["newly_settled"]) for r in rows if r["country"] == "X"] == [0, 40, 0, 40, 0, 40]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    block = summary["impacts"]["regions"]["r (X)"]
    assert block["newly_settled_at_end"] == 40
    # refused at the entry post on day 0, they give up at once: on their way back from the exit
    # post XP (country X) at the end of the day
    assert summary["impacts"]["regions"]["r (X)"]["peak_passing_through"] == 40
    assert summary["impacts"]["rates"] == "travesia/model/impact_rates.csv"


def test_a_scenario_with_a_bad_rates_file_is_refused_before_the_run(tmp_path):
    folder = tiny_scenario(tmp_path / "sc")
    write_rates(folder / "impact_rates.csv", _changed(0, unit="fortnightly"))
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "out"),
                                       "--quiet"])
    assert result.exit_code == 2
    assert "impact_rates.csv, row 2, field 'unit'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()
    check = CliRunner().invoke(main, ["scenario", "check", str(folder)])
    assert check.exit_code == 2 and "impact_rates.csv, row 2, field 'unit'" in check.output
