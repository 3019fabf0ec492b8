"""Forecast scores worked out by hand: errors against points and ranges, coverage, WIS, naive
forecasts."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from scenario_kit import tiny_scenario, write_csv

from travesia.errors import ObservationError
from travesia.scenario.observations import Observation, ObservationModel
from travesia.runs.runner import run_scenario
from travesia.outputs.scores import (
    interval_score, last_value, range_wis, score_forecasts, score_one, score_path,
    weighted_interval_score,
    with_reporting_noise,
)

D = dt.date(2025, 11, 28)


def obs(value, low=None, high=None, date=D, compare="held", crossing="X-Y", event=None):
    return Observation(date, "p", "m", value, low, high, crossing, compare, "hand", event)


def test_an_event_of_four_reports_counts_once_in_the_coverage():
    """A forecast of 90 to 110: four outlets report one count of 300 (event 'e'), one report of 100
    stands alone. By rows 1 of 5 is covered; by events 1 of 2."""
    observations = [obs(300, event="e")] * 4 + [obs(100, date=D + dt.timedelta(days=1))]
    sample = np.linspace(90, 110, 21)
    table = score_forecasts(observations, [sample] * 5)
    summary = table.summary()
    assert summary["observations"] == 5 and summary["events"] == 2
    assert summary["model"]["coverage_90"] == pytest.approx(0.5)
    assert [r["weight"] for r in table.rows] == [0.25] * 4 + [1.0]
    one = score_forecasts([obs(300), obs(100, date=D + dt.timedelta(days=1))],
                          [sample] * 2).summary()
    assert summary["model"]["wis"] == pytest.approx(one["model"]["wis"])


def test_reporting_noise_lets_a_tight_forecast_cover_a_report_twice_its_value():
    """Every run says 100; the report says 200. log(201/101) = 0.69 is inside 1.645 x 0.5 = 0.82,
    the 90% reach of the fit's reporting error (sd 0.5 on log 1 + count), so with that error drawn
    onto the runs the forecast covers the report; the bare runs do not."""
    bare = np.full(40, 100.0)
    report = obs(200)
    noisy = with_reporting_noise([bare], ObservationModel(error=0.5), seed=3)[0]
    assert len(noisy) == 40 * 50
    assert not score_one(bare, report)["in_90"]
    assert score_one(noisy, report)["in_90"]
    assert np.array_equal(noisy, with_reporting_noise([bare], ObservationModel(error=0.5),
                                                      seed=3)[0])


def test_interval_score_by_hand():
    """Width 10, plus 2/0.1 = 20 per person outside: 25 is 5 above -> 10 + 100."""
    assert interval_score(10, 20, 25, 0.1) == pytest.approx(110)
    assert interval_score(10, 20, 15, 0.1) == pytest.approx(10)


def test_wis_of_a_point_forecast_is_its_absolute_error():
    assert weighted_interval_score(np.array([30.0]), 45.0) == pytest.approx(15.0)


def test_wis_of_an_even_spread_by_hand():
    """Values 0..100: the interval at level alpha is [50 alpha, 100 - 50 alpha], which holds 50, so
    each term is alpha/2 x width = 50 alpha (1 - alpha); their sum over the 11 alphas is
    50 x 1.7171, and the median term is 0: WIS = 85.855 / 11.5."""
    assert weighted_interval_score(np.arange(101.0), 50.0) == pytest.approx(85.855 / 11.5)


def test_a_forecast_inside_a_reported_range_is_a_hit_with_no_error():
    s = score_one(np.array([45.0]), obs(45, 40, 50))
    assert s["hit"] is True and s["abs_error"] == 0 and s["log_error"] == 0 and s["wis"] == 0
    s = score_one(np.array([60.0]), obs(45, 40, 50))
    assert s["hit"] is False and s["abs_error"] == pytest.approx(10)
    assert s["log_error"] == pytest.approx(np.log(61 / 51))


def test_one_sided_ranges_at_least_and_at_most():
    assert score_one(np.array([150.0]), obs(100, low=100))["hit"] is True       # "more than 100"
    # "at most 60"
    assert score_one(np.array([70.0]), obs(60, high=60))["abs_error"] == pytest.approx(10)
    assert score_one(np.array([0.0]), obs(60, high=60))["hit"] is True


def test_a_point_observation_has_no_hit_but_an_error():
    s = score_one(np.array([12.0]), obs(17))
    assert s["hit"] is None and s["abs_error"] == pytest.approx(5)


def test_interval_coverage_counts_an_overlap_with_the_range():
    sample = np.arange(11.0)             # 90% interval [0.5, 9.5], 50% interval [2.5, 7.5]
    s = score_one(sample, obs(20, 8, 30))
    assert s["in_90"] is True and s["in_50"] is False
    assert score_one(sample, obs(20))["in_90"] is False


def test_wis_against_a_range_is_its_lowest_value_over_the_range():
    sample = np.arange(101.0)
    assert range_wis(sample, 40, 60) == pytest.approx(weighted_interval_score(sample, 50))
    assert range_wis(np.array([10.0]), 5, 20) == 0
    assert range_wis(np.array([10.0]), 30, np.inf) == pytest.approx(20)


def test_naive_last_value_carries_the_latest_earlier_observation():
    known = [obs(100, date=dt.date(2025, 11, 26)), obs(60, date=D), obs(40, date=D),
             obs(9, date=dt.date(2025, 11, 20), compare="irregular")]
    key = ("X-Y", "held")
    assert last_value(known, key, dt.date(2025, 11, 26)) == 0           # nothing before: zero
    assert last_value(known, key, dt.date(2025, 11, 27)) == 100
    # median of that day's reports
    assert last_value(known, key, dt.date(2025, 11, 29)) == 50


def test_score_forecasts_compares_model_with_both_naive_forecasts():
    observations = [obs(100, date=dt.date(2025, 11, 26)), obs(20, date=D)]
    table = score_forecasts(observations, [np.array([90.0, 100, 110]), np.array([15.0, 20, 25])])
    s = table.summary()
    assert s["naive_zero"]["wis"] == pytest.approx(60)                   # (100 + 20) / 2
    # (100 - 0 + |20 - 100|) / 2
    assert s["naive_last"]["wis"] == pytest.approx(90)
    assert s["model"]["wis"] < 10 and s["model_beats_naive"] == {
        "wis_vs_last": True,
        "wis_vs_zero": True,
    }
    assert s["model"]["coverage_90"] == 1.0


def test_backtest_naive_uses_only_what_was_known(tmp_path):
    known = [obs(100, date=dt.date(2025, 11, 26)), obs(20, date=D)]
    table = score_forecasts([known[1]], [np.array([20.0])], known=known,
                            known_until=dt.date(2025, 11, 26))
    assert table.rows[0]["naive_last"]["median"] == 100


def _run_dir(tmp_path):
    folder = tiny_scenario(tmp_path / "sc", people=35, entry_cap=10, entry_admits="visa", days=6)
    out = tmp_path / "run"
    run_scenario(str(folder), seed=0, out_dir=out, quiet=True)
    return out


def test_score_path_of_a_run_folder(tmp_path):
    out = _run_dir(tmp_path)
    held = {}
    crossings = __import__("pyarrow.parquet",
                           fromlist=["x"]).read_table(out / "crossings.parquet").to_pydict()
    for d, q, s in zip(crossings["date"], crossings["queue"], crossings["stranded"]):
        held[d] = q + s
    rows = [{"date": d.isoformat(), "place": "XP", "measure": "held", "value": v, "value_low": "",
             "value_high": "", "crossing": "X-Y", "compare": "held", "source": "hand"} for d,
            v in held.items()]
    rows.append({"date": "2026-01-02", "place": "XP", "measure": "note", "value": 1,
                 "value_low": "",
                 "value_high": "", "crossing": "", "compare": "", "source": "hand"})
    write_csv(tmp_path / "obs.csv", rows)
    result = score_path(out, tmp_path / "obs.csv")
    assert result["kind"] == "run" and result["summary"]["observations"] == len(held)
    # the run scored against itself
    assert result["summary"]["model"]["mean_abs_error"] == 0
    assert result["summary"]["naive_zero"]["wis"] > 0
    json.dumps(result)                                                 # plain JSON for the CLI


def test_score_path_without_observations_says_so(tmp_path):
    out = _run_dir(tmp_path)
    with pytest.raises(ObservationError, match="observations"):
        score_path(out)


def test_score_path_of_a_flee_out_csv_compares_ard_with_naive(tmp_path):
    (tmp_path / "out.csv").write_text(
        "Day,Date,A sim,A data,A error,B sim,B data,B error,Total error\n"
        "0,2020-01-01,10,10,0,0,10,1,0\n"
        "1,2020-01-02,20,10,1,10,10,0,0\n", encoding="utf-8")
    result = score_path(tmp_path)
    assert result["kind"] == "flee" and result["ard"] == pytest.approx(0.5)
    assert result["naive_zero"]["ard"] == pytest.approx(1.0)
    assert result["naive_last"]["ard"] == pytest.approx(0.0)          # the data did not change
