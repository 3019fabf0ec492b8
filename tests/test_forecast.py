"""Forecasts from a date: which timeline events they know, the files they write, and the warning
when a fit saw observations after the date."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys

import pytest
from click.testing import CliRunner
from scenario_kit import tiny_scenario
from test_calibrate import _observed_tiny

from travesia.inference.calibrate import (
    ObservationModel,
    Runner,
    calibrate,
    run_id_with_timeline,
    write_fit,
)
from travesia.cli import main
from travesia.runs.ensemble import RunTask, run_task
from travesia.errors import ScenarioError
from travesia.inference.forecast import timeline_view
from travesia.runs.priors import canonical_json
from travesia.scenario import load_scenario
from travesia.scenario.schema import CapacityEvent, NoteEvent, ThreatEvent, announced_on

JAN = dt.date(2026, 1, 1)


def day(n: int) -> dt.date:
    return JAN + dt.timedelta(days=n)


def test_an_event_announced_before_the_date_is_planned_on_but_not_frozen_in():
    """At 10 Jan: a threat of 5 Jan has happened; a closure dated 20 Jan was announced on 8 Jan; a
    corridor note dated 15 Jan is announced only on its day."""
    happened = ThreatEvent(type="threat", date=day(4), source="hand", level=0.5)
    announced = CapacityEvent(type="capacity", date=day(19), announced=day(7), source="hand",
                              crossing="X-Y",
                              post="entry", per_day=0, id="closure")
    unannounced = NoteEvent(type="note", date=day(14), source="hand", label="corridor")
    events = [happened, announced, unannounced]
    at = day(9)
    assert announced_on(announced) == day(7) and announced_on(unannounced) == day(14)
    assert timeline_view(events, at, "planned") == [happened, announced]
    assert timeline_view(events, at, "frozen") == [happened]
    assert timeline_view(events, at, "as-happened") == events
    assert timeline_view(events, day(19), "frozen") == events
    with pytest.raises(ScenarioError, match="unknown future mode"):
        timeline_view(events, at, "hoped")


def test_announced_after_the_event_is_a_one_line_error(tmp_path):
    folder = tiny_scenario(tmp_path / "sc", timeline=[
        {"date": "2026-01-03", "announced": "2026-01-05", "type": "note", "label": "x",
         "source": "hand"}])
    with pytest.raises(ScenarioError, match="announced 2026-01-05 is after") as err:
        load_scenario(folder)
    assert err.value.field == "timeline[0].announced"
    result = CliRunner().invoke(main, ["scenario", "check", str(folder)])
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0
    assert "timeline[0].announced" in result.output


def test_two_events_with_one_id_are_an_error(tmp_path):
    folder = tiny_scenario(tmp_path / "sc", timeline=[
        {"date": "2026-01-03", "id": "close", "type": "note", "label": "x", "source": "hand"},
        {"date": "2026-01-04", "id": "close", "type": "note", "label": "y", "source": "hand"}])
    with pytest.raises(ScenarioError, match="duplicate event id 'close'") as err:
        load_scenario(folder)
    assert err.value.field == "timeline[1].id"


def _closure_scenario(tmp_path):
    return load_scenario(tiny_scenario(tmp_path / "sc", timeline=[
        {"date": "2026-01-03", "announced": "2026-01-02", "type": "capacity", "crossing": "X-Y",
         "post": "entry", "per_day": 0, "source": "hand"}]))


def test_the_worker_runs_the_timeline_view_its_task_names(tmp_path):
    """35 people wait at an entry post that admits 10 a day. A closure (0 a day) dated 3 Jan was
    announced on 2 Jan: a run planned on 2 Jan closes the post on 3 Jan, as the scenario does; a run
    frozen on 2 Jan never closes it, so all 35 pass."""
    sc = _closure_scenario(tmp_path)
    pjson = canonical_json(sc.params.model_dump())

    def entries(timeline):
        task = RunTask("r", 0, sc.name, str(sc.folder), sc.content_hash, pjson, "{}", 1, None,
                       timeline=timeline)
        outcome = run_task(task)
        assert outcome.error is None, outcome.error
        return int(outcome.results.at_crossing("X-Y", "entries").sum())

    assert entries("frozen:2026-01-02") == 35                  # the post never closes: all 35 pass
    # the closure announced on 2 Jan is run
    assert entries("planned:2026-01-02") == entries(None) < 35


def test_the_fit_runner_passes_its_timeline_view_to_every_run(tmp_path):
    """calibrate's Runner: the same closure, frozen on 2 Jan, is never run; run ids differ by
    view."""
    sc = _closure_scenario(tmp_path)
    with Runner(sc, sc.params, workers=1, timeline="frozen:2026-01-02") as runner:
        frozen = runner.run([{}], None)[0]
    with Runner(sc, sc.params, workers=1) as runner:
        every = runner.run([{}], None)[0]
    assert frozen.at_crossing("X-Y", "entries").sum() == 35
    assert every.at_crossing("X-Y", "entries").sum() < 35
    pjson = canonical_json(sc.params.model_dump())
    assert run_id_with_timeline(sc, pjson, 0, None, "frozen:2026-01-02") != run_id_with_timeline(
        sc, pjson, 0, None, None
    )


def _forecast_cli(args):
    return CliRunner().invoke(main, ["forecast", *args, "--workers", "2", "--quiet"])


def test_forecast_writes_quantiles_plot_and_scores_for_the_days_after_the_date(tmp_path):
    folder = _observed_tiny(tmp_path)              # observations every other day, 2 to 20 Jan
    out = tmp_path / "fc"
    result = _forecast_cli([str(folder), "--at", "2026-01-08", "--horizon", "7", "--budget", "60",
                            "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "future: planned — events announced by 2026-01-08" in result.output
    with (out / "forecast.csv").open() as f:
        rows = list(csv.DictReader(f))
    dates = sorted({r["date"] for r in rows})
    assert dates[0] == "2026-01-09" and dates[-1] == "2026-01-15" and len(dates) == 7
    assert {r["measure"] for r in rows} == {"held", "irregular", "irregular_caught", "gave_up",
                                            "entries", "refused"}
    assert all(float(r["p05"]) <= float(r["p50"]) <= float(r["p95"]) for r in rows)
    info = json.loads((out / "forecast.json").read_text())
    assert (
        info["in_sample"] is False
        and info["future"] == "planned"
        and info["fit_observations_until"] == "2026-01-08"
    )
    # 10, 12, 14 Jan: held and gave up
    assert info["scores"]["7"]["summary"]["observations"] == 6
    assert "14" not in info["scores"]                                # beyond the 7-day horizon
    assert info["observation_noise"]["obs_error"] == 0.5
    assert (out / "forecast.png").stat().st_size > 10_000


def test_a_fit_that_saw_later_observations_makes_an_in_sample_forecast(tmp_path):
    folder = _observed_tiny(tmp_path)
    # to 20 Jan
    fit = calibrate(str(folder), budget=60, obs_model=ObservationModel(error=0.2), workers=2)
    paths = write_fit(fit, tmp_path / "fit" / "fitted_params.yaml")
    out = tmp_path / "fc"
    result = _forecast_cli([str(folder), "--at", "2026-01-08", "--fit", str(paths["params"]),
                            "--runs", "12",
                            "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "fit saw observations up to 2026-01-20, after 2026-01-08" in result.stderr
    assert "in-sample, not a forecast" in result.stderr
    info = json.loads((out / "forecast.json").read_text())
    assert info["in_sample"] is True and info["runs"] == 12
    assert info["observation_noise"]["obs_error"] == 0.2                # the fit's, not the default
    _forecast_cli([str(folder), "--at", "2026-01-08", "--fit", str(paths["params"]), "--runs", "12",
                           "--out", str(tmp_path / "fc2")])
    # seeded
    assert (tmp_path / "fc2" / "forecast.csv").read_text() == (out / "forecast.csv").read_text()


def test_forecast_user_errors_are_one_line(tmp_path):
    folder = _observed_tiny(tmp_path)
    result = _forecast_cli([str(folder), "--at", "2030-01-01"])
    assert result.exit_code == 2 and "outside" in result.output and "Traceback" not in result.output
    result = _forecast_cli([str(folder), "--at", "2026-01-08", "--fit",
                            str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "fit file not found" in result.output


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
