"""Backtests fit on what was known at a date and score the next 7 and 14 days beside naive
forecasts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from test_calibrate import _observed_tiny

from travesia.inference.backtest import backtest
from travesia.inference.calibrate import ObservationModel
from travesia.cli import main
from travesia.errors import ScenarioError


def test_backtest_scores_the_days_after_each_date(tmp_path):
    folder = _observed_tiny(tmp_path)
    at = dt.date(2026, 1, 8)           # observations every other day from 2 Jan to 20 Jan
    result = backtest(str(folder), [at], budget=80, obs_model=ObservationModel(error=0.2),
                      workers=2)
    entry = result["at"][0]
    assert entry["date"] == "2026-01-08"
    # the default: no hindsight
    assert result["future"] == entry["future"] == "planned"
    assert entry["observations_fitted"] == 8                      # 2, 4, 6, 8 Jan: held and gave up
    week, fortnight = entry["horizons"]["7"], entry["horizons"]["14"]
    assert week["summary"]["observations"] == 6                   # 10, 12, 14 Jan
    # to 22 Jan (the scenario ends on 20)
    assert fortnight["summary"]["observations"] == 12
    first = week["observations"][0]
    assert first["date"] == "2026-01-10"
    # the naive forecast carries the value known on 8 Jan, not a later one
    known = [r for r in fortnight["observations"] if r["compare"] == first["compare"]]
    assert all(r["naive_last"]["median"] == first["naive_last"]["median"] for r in known)
    for h in ("7", "14"):
        s = entry["horizons"][h]["summary"]
        assert s["model"]["wis"] < s["naive_zero"]["wis"]
    json.dumps(result)


def test_backtest_names_its_future_mode(tmp_path):
    folder = _observed_tiny(tmp_path)
    out = tmp_path / "bt.json"
    result = CliRunner().invoke(main, ["backtest", str(folder), "--at", "2026-01-08", "--budget",
                                       "60",
                                       "--future", "frozen", "--workers", "2", "--quiet", "--out",
                                       str(out)])
    assert result.exit_code == 0, result.output
    assert "future: frozen — only events dated by 2026-01-08" in result.output
    saved = json.loads(out.read_text())
    assert saved["future"] == "frozen" and saved["at"][0]["future"] == "frozen"
    assert saved["observation_noise"]["obs_error"] == 0.5
    result = CliRunner().invoke(main, ["backtest", str(folder), "--at", "2026-01-08", "--future",
                                       "hoped"])
    assert result.exit_code == 2


def test_backtest_date_outside_the_scenario_is_a_user_error(tmp_path):
    folder = _observed_tiny(tmp_path)
    with pytest.raises(ScenarioError, match="outside"):
        backtest(str(folder), [dt.date(2030, 1, 1)], budget=60)
    result = CliRunner().invoke(main, ["backtest", str(folder), "--at", "2030-01-01", "--budget",
                                       "60"])
    assert result.exit_code == 2 and "outside" in result.output
    result = CliRunner().invoke(main, ["backtest", str(folder), "--at", "1 Dec"])
    assert result.exit_code == 2 and "not a date" in result.output
