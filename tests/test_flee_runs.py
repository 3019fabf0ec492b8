"""Flee folders through ensembles, stores, bands, scores, fits and backtests (flee_runs.py).

The tiny case of most tests: a conflict zone A sends 2,000 people over two months to camp C1
(10 km away) and camp C2 (100 km away). Route weight is 1 / (softening + d) ** distance_power
(FLEE.md, Route choice) with softening 10: at distance_power 1 C1 takes 20⁻¹ / (20⁻¹ + 110⁻¹) =
110/130 ≈ 85% of them; at distance_power 0 both take half. The counts say half and half, so a fit
of distance_power must find it near 0 and forecast far better than the folder's rules (power 1).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner
from test_flee_kit import SHARED_FLEE, needs_shared_flee, write_case

from travesia.cli import main
from travesia.runs.ensemble import run_task
from travesia.errors import ScenarioError
from travesia.model.flee import run_flee_folder
from travesia.model.flee.batch import settings_with
from travesia.model.flee.scoring import read_out_csv
from travesia.model.flee.settings import read_settings
from travesia.inference.flee_runs import (
    backtest_flee,
    calibrate_flee,
    flee_observations,
    flee_task,
    load_flee,
    parse_flee_vary,
    plan_flee_ensemble,
    run_flee_ensemble,
    score_flee_store,
)


def two_camps(root, *, days=60):
    def ramp(n):
        return ["2020-01-01,0", f"2020-03-01,{n}"]
    return write_case(root, locations=["A,r,X,0,0,conflict_zone,0,100000", "C1,r,Y,0,0,camp,,",
                                       "C2,r,Y,0,0,camp,,"],
                      routes=["A,C1,10", "A,C2,100"], days=days,
                      layout=["total,total.csv", "C1,c1.csv", "C2,c2.csv"],
                      counts={"total.csv": ramp(2000), "c1.csv": ramp(1000), "c2.csv": ramp(1000)},
                      settings="move_rules:\n  softening: 10.0\n  distance_power: 1.0\n")


def share_at_c1(results) -> float:
    last = results.camp_counts(["C1", "C2"])[-1]
    return last[0] / last.sum()


def test_a_task_runs_the_folder_as_travesia_run_does(tmp_path):
    folder = two_camps(tmp_path / "case")
    fs = load_flee(folder)
    outcome = run_task(flee_task(fs, {}, 0, 7, None))
    assert outcome.error is None
    run_flee_folder(folder, seed=7, out_dir=tmp_path / "run")
    camps, sim, _ = read_out_csv(tmp_path / "run" / "out.csv")
    assert camps == ["C1", "C2"] == outcome.results.camps
    # seed for seed, day for day
    assert np.array_equal(outcome.results.camp_counts(camps), sim)


def test_a_varied_setting_overrides_the_folders(tmp_path):
    fs = load_flee(two_camps(tmp_path / "case"))
    folder_rules = run_task(flee_task(fs, {}, 0, 1, None)).results
    no_distance = run_task(flee_task(fs, {"distance_power": 0.0}, 0, 1, None)).results
    assert share_at_c1(folder_rules) == pytest.approx(110 / 130, abs=0.04)
    assert share_at_c1(no_distance) == pytest.approx(0.5, abs=0.04)
    # spawned from the counts
    assert folder_rules.camp_counts().sum(axis=1)[-1] == pytest.approx(1983, abs=20)


def test_a_name_that_is_no_flee_setting_is_a_one_line_error(tmp_path):
    with pytest.raises(ScenarioError, match="'camp_movechanse' is not a Flee rule setting") as err:
        parse_flee_vary(["camp_movechanse=uniform(0.0005,0.01)"])
    assert "--vary camp_movechanse" in str(err.value)
    assert parse_flee_vary(["camp_movechance=uniform(0.0005,0.01)"])[0].name == "camp_movechance"
    with pytest.raises(ScenarioError, match="probability"):
        settings_with(load_flee(two_camps(tmp_path / "case")).settings, {"camp_movechance": 2.0})
    result = CliRunner().invoke(main, ["ensemble", str(tmp_path / "case"), "--runs", "2",
                                       "--vary", "giveup_rate_per_day=uniform(0,1)"])
    assert result.exit_code == 2
    assert "giveup_rate_per_day" in result.output and len(result.output.strip().splitlines()) == 1


def test_an_ensemble_is_stored_and_banded_per_camp(tmp_path):
    folder = two_camps(tmp_path / "case")
    store = tmp_path / "runs.duckdb"
    fs = load_flee(folder)
    plan = plan_flee_ensemble(fs, 4, vary=parse_flee_vary(["distance_power=uniform(0,2)"]),
                              base_seed=3)
    report = run_flee_ensemble(fs, plan, store, workers=1)
    assert report.ran == 4 and not report.failed
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT count(*) FROM crossings").fetchone()[0] == 0
    assert con.execute("SELECT DISTINCT state FROM daily").fetchall() == [("at_location",)]
    # every day of every run holds both camps, zeros included (60 days x 2 camps x 4 runs)
    assert con.execute("SELECT count(*) FROM daily WHERE place IN ('C1','C2')").fetchone()[0] == 480
    seeds = [r[0] for r in con.execute("SELECT seed FROM runs ORDER BY seed").fetchall()]
    con.close()
    assert seeds == [3, 4, 5, 6]
    # resumes: nothing to redo
    assert run_flee_ensemble(fs, plan, store, workers=1).already_stored == 4
    runner = CliRunner()
    result = runner.invoke(main, ["bands", str(store), "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "C1: at_location" in result.output and "C2: at_location" in result.output
    result = runner.invoke(main, ["bands", str(store), "--place", "C2", "--state", "at_location",
                                  "--out", str(tmp_path / "b2")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b2" / "bands.csv").read_text().count("C2") == 60


def test_observations_are_the_weekly_camp_counts(tmp_path):
    fs = load_flee(two_camps(tmp_path / "case"))
    obs = flee_observations(fs)
    # days 7, 14, ..., 56 for each of two camps; the count on day t is 1000 t / 60, truncated
    assert len(obs) == 16
    first = next(o for o in obs if o.place == "C1")
    assert first.date == dt.date(2020, 1,
                                 8) and first.value == 116 and first.compare == "at_location"
    known = flee_observations(fs, until=dt.date(2020, 1, 21))
    assert [o.date for o in known][-1] == dt.date(2020, 1, 15)


def test_the_score_of_a_one_run_ensemble_is_that_runs_ard(tmp_path):
    folder = two_camps(tmp_path / "case")
    fs = load_flee(folder)
    store = tmp_path / "runs.duckdb"
    run_flee_ensemble(fs, plan_flee_ensemble(fs, 1, base_seed=5), store, workers=1)
    summary = run_flee_folder(folder, seed=5)
    scored = score_flee_store(store)
    assert scored["ard"] == pytest.approx(summary["ard"])
    assert scored["days"] == 60 and "naive_last" in scored
    assert "wis" in scored["weekly_camp_counts"]["model"]
    result = CliRunner().invoke(main, ["score", str(store)])
    assert result.exit_code == 0 and '"kind": "flee ensemble"' in result.output


def test_a_backtest_fits_the_even_split_and_beats_the_folders_rules(tmp_path):
    fs = load_flee(two_camps(tmp_path / "case"))
    # without the assimilation: the counts' only row by the date is day 0's (zero), which would
    # empty the camps (test_flee_assimilate.py); this is about the fit
    r = backtest_flee(fs, dt.date(2020, 1, 25),
                      vary=parse_flee_vary(["distance_power=uniform(0,2)"]), budget=60,
                      workers=2, assimilate=False)
    assert r["ard_default_rules_assimilated"] is None
    assert r["fitted"]["distance_power"] < 0.5
    assert r["forecast_days"] == 35 and r["predictive_runs"] == 20 and r["default_rule_runs"] == 5
    # the folder's rules put ~85% at C1 where the counts say 50%: ARD about 0.7; the fit's far less
    assert r["ard_default_rules"] > 0.5 and r["ard_forecast"] < r["ard_default_rules"] - 0.3


def test_calibrate_writes_a_settings_file_that_run_reads(tmp_path):
    folder = two_camps(tmp_path / "case")
    out = tmp_path / "fit" / "fitted.yml"
    result = CliRunner().invoke(main, ["calibrate", str(folder), "--until", "2020-01-25",
                                       "--budget", "60",
                                       "--vary", "distance_power=uniform(0,2)", "--workers", "2",
                                       "--quiet",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    cfg = read_settings(out)
    assert cfg.distance_power < 0.5 and cfg.softening == 10.0
    assert (tmp_path / "fit" / "calibration.duckdb").is_file()
    from travesia.outputs.store import Store

    with Store(tmp_path / "fit" / "calibration.duckdb", read_only=True) as store:
        ens = store.ensemble(None)           # the predictive runs, each stored with its task
        runs = store.runs(ens["ensemble_id"])
        assert len(runs) == 20 and store.meta(ens["ensemble_id"])["made_by"] == "calibrate"
        assert ens["scenario_folder"] == str(folder.resolve())
    fitted = run_flee_folder(folder, settings=out, seed=0)
    assert fitted["ard"] < run_flee_folder(folder, seed=0)["ard"]


def test_calibrate_without_vary_says_so(tmp_path):
    fs = load_flee(two_camps(tmp_path / "case"))
    with pytest.raises(ScenarioError, match="--vary"):
        calibrate_flee(fs, vary=[])


@needs_shared_flee
def test_mali_runs_as_an_ensemble_member(tmp_path):
    settings = tmp_path / "simsetting.yml"
    settings.write_text((SHARED_FLEE
                         / "simsetting.yml").read_text().replace("hasten: 1", "hasten: 50"))
    fs = load_flee(SHARED_FLEE / "scenarios" / "mali2012", settings)
    outcome = run_task(flee_task(fs, {"camp_weight": 2.0}, 0, 0, 40))
    assert outcome.error is None and outcome.results.days == 40
    summary = run_flee_folder(SHARED_FLEE / "scenarios" / "mali2012", settings=settings, seed=0,
                              out_dir=tmp_path / "r")
    same = run_task(flee_task(fs, {}, 0, 0, None)).results
    _, sim, _ = read_out_csv(tmp_path / "r" / "out.csv")
    assert summary["hasten"] == 50 and np.array_equal(same.camp_counts(), sim)


def test_the_ard_likelihood_is_the_days_ard_over_its_scale():
    from travesia.inference.flee_runs import ArdLikelihood
    from travesia.scenario.observations import Observation

    day = dt.date(2020, 1, 8)
    obs = [Observation(day, c, "at_location", v, None, None, c, "at_location", "") for c,
           v in (("C1", 60), ("C2", 40))]
    # the model says 70 and 30: |70 - 60| + |30 - 40| = 20 of 100 observed, ARD 0.2 = 4 scales of
    # 0.05
    runs = np.array([[70.0, 30.0], [60.0, 40.0]])
    assert ArdLikelihood(obs, scale=0.05)(runs).tolist() == pytest.approx([-4.0, 0.0])


def test_backtest_on_the_command_line(tmp_path):
    folder = two_camps(tmp_path / "case")
    result = CliRunner().invoke(main, ["backtest", str(folder), "--at", "2020-01-25", "--budget",
                                       "60", "--quiet",
                                       "--vary", "distance_power=uniform(0,2)", "--likelihood",
                                       "ard",
                                       "--workers", "2", "--out", str(tmp_path / "bt.json")])
    assert result.exit_code == 0, result.output
    assert "ARD fitted forecast" in result.output and "default rules" in result.output
    result = CliRunner().invoke(main, ["backtest", str(folder), "--at", "2021-01-01", "--budget",
                                       "60",
                                       "--vary", "distance_power=uniform(0,2)"])
    assert result.exit_code == 2 and "outside the case's period" in result.output


def test_options_of_our_scenarios_are_refused_for_a_flee_folder(tmp_path):
    folder = two_camps(tmp_path / "case")
    result = CliRunner().invoke(main, ["ensemble", str(folder), "--runs", "2", "--params",
                                       "p.yaml"])
    assert result.exit_code == 2 and "--params" in result.output and "Flee" in result.output
