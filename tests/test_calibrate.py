"""Calibration: the prior space, the observation likelihood, the fitted file, and recovering known
parameters from noisy observations of a tiny scenario."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from scenario_kit import tiny_scenario, write_csv

from travesia.inference.calibrate import (
    Likelihood,
    ObservationModel,
    calibrate,
    value_of,
    write_fit,
)
from travesia.cli import main
from travesia.model.engine import simulate
from travesia.errors import ObservationError, ScenarioError
from travesia.scenario.observations import read_observations
from travesia.scenario.parameters import load_params_file
from travesia.runs.priors import Prior, with_values
from travesia.scenario import load_scenario
from travesia.model.world import compile_world

TRUTH = {"departure_rate_per_day.irregular": 0.02, "giveup_rate_per_day": 0.15}
PRIORS = {"departure_rate_per_day.irregular": {"dist": "uniform", "low": 0.005, "high": 0.05},
          "giveup_rate_per_day": {"dist": "uniform", "low": 0.02, "high": 0.4}}


def test_prior_space_maps_the_standard_normal_to_each_prior():
    assert value_of(Prior("giveup_rate_per_day", "uniform", (0.1, 0.3)), 0.0) == pytest.approx(0.2)
    assert value_of(Prior("x", "lognormal", (8e-5, 0.5)), 0.0) == pytest.approx(8e-5)
    assert value_of(Prior("x", "lognormal", (8e-5, 0.5)),
                    1.0) == pytest.approx(8e-5 * math.exp(0.5))
    delays = [value_of(Prior("news_delay_days", "values", ((1, 2, 3, 4),)), z)
              for z in np.random.default_rng(0).standard_normal(4000)]
    assert {v: delays.count(v) / 4000 for v in (1, 2, 3, 4)} == pytest.approx(
        {1: 0.25, 2: 0.25, 3: 0.25, 4: 0.25}, abs=0.03
    )
    clipped = Prior("belief_weight", "normal", (1.5, 0.4), (1.0, 2.0))
    assert all(1.0 <= value_of(clipped, z) <= 2.0 for z in (-6, -1, 0, 1, 6))


def test_likelihood_prefers_a_model_inside_the_reported_range(tmp_path):
    write_csv(tmp_path / "o.csv", [
        {"date": "2026-01-02", "place": "XP", "measure": "m", "value": 45, "value_low": 40,
         "value_high": 50,
         "crossing": "X-Y", "compare": "held"},
        {"date": "2026-01-03", "place": "XP", "measure": "m", "value": 100, "value_low": 100,
         "value_high": "",
         "crossing": "X-Y", "compare": "held"}])
    lik = Likelihood(read_observations(tmp_path / "o.csv"), ObservationModel())
    ll = lik(np.array([[45, 1000], [90, 1000], [45, 60], [45, 5000]]))
    assert ll[0] > ll[1] and ll[0] > ll[2]
    assert ll[3] == pytest.approx(ll[0], abs=0.05)      # "100 or more": any value far above fits


def test_five_reports_of_one_event_move_the_likelihood_as_much_as_one(tmp_path):
    """One count of 45 reported by five outlets (one event id) weighs as one report of it; five
    rows without an id would count five times."""
    row = {"date": "2026-01-02", "place": "XP", "measure": "m", "value": 45, "crossing": "X-Y",
           "compare": "held"}
    write_csv(tmp_path / "one.csv", [{**row, "event": ""}])
    write_csv(tmp_path / "five.csv", [{**row, "event": "count-2-jan"}] * 5)
    write_csv(tmp_path / "rows.csv", [{**row, "event": ""}] * 5)
    values = np.array([[45.0], [90.0], [20.0]])
    one = Likelihood(read_observations(tmp_path / "one.csv"), ObservationModel())
    five = Likelihood(read_observations(tmp_path / "five.csv"), ObservationModel())
    rows = Likelihood(read_observations(tmp_path / "rows.csv"), ObservationModel())
    assert [o.event for o in read_observations(tmp_path / "five.csv")] == ["count-2-jan"] * 5
    ll_one, ll_five = one(values), five(np.repeat(values, 5, axis=1))
    assert ll_five == pytest.approx(ll_one)
    assert ll_five[0] - ll_five[1] == pytest.approx(ll_one[0] - ll_one[1])
    assert rows(np.repeat(values, 5, axis=1)) == pytest.approx(5 * ll_one)


def _observed_tiny(tmp_path, noise_sd=0.1):
    """The tiny scenario run with TRUTH; held people and give-ups every other day, with 10%
    noise."""
    folder = tiny_scenario(
        tmp_path / "sc",
        people=3000,
        days=20,
        entry_cap=20,
        entry_admits="visa",
        parameters={"departure_rate_per_day": {"regular": 0.01, "irregular": 0.01}},
    )
    spec = yaml.safe_load((folder / "scenario.yaml").read_text())
    spec["priors"] = PRIORS
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    sc = load_scenario(folder)
    truth = simulate(compile_world(sc), with_values(sc.params, TRUTH), seed=12345)
    rng = np.random.default_rng(7)
    rows = []
    for day in range(1, 20, 2):
        for compare, measure in (("held", "held"), ("gave_up", "gave_up")):
            value = truth.at_crossing("X-Y",
                                      measure)[day] * math.exp(noise_sd * rng.standard_normal())
            rows.append({"date": truth.dates[day].isoformat(), "place": "XP", "measure": compare,
                         "value": round(value), "value_low": "", "value_high": "",
                         "crossing": "X-Y",
                         "compare": compare})
    rows[-1].update(value_low=round(rows[-1]["value"] * 0.8),
                    value_high=round(rows[-1]["value"] * 1.25))
    write_csv(folder / "observations.csv", rows)
    spec["observations"] = "observations.csv"     # named once it exists: loading checks it
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder


def test_calibration_recovers_known_parameters(tmp_path):
    """Acceptance: the truth lies inside the fitted 90% range of each parameter, and the range is
    narrower than the prior's."""
    folder = _observed_tiny(tmp_path)
    fit = calibrate(str(folder), budget=300, obs_model=ObservationModel(error=0.15), workers=2)
    for name, true in TRUTH.items():
        s = fit.spread[name]
        assert s["p05"] <= true <= s["p95"], (name, s)
        prior = PRIORS[name]
        assert s["p95"] - s["p05"] < 0.6 * (prior["high"] - prior["low"]), (name, s)
    assert fit.ess > 20
    summary = fit.scores().summary()
    assert summary["model"]["coverage_90"] >= 0.6
    assert summary["model"]["wis"] < summary["naive_last"]["wis"]

    paths = write_fit(fit, tmp_path / "fitted.yaml", summary)
    # what run/ensemble --params read
    params = load_params_file(paths["params"], base=fit.scenario.params)
    assert params.giveup_rate_per_day == pytest.approx(fit.best["giveup_rate_per_day"], rel=1e-3)
    assert params.departure_rate_per_day["irregular"] == pytest.approx(
        fit.best["departure_rate_per_day.irregular"], rel=1e-3)
    # the rest of the mapping kept
    assert params.departure_rate_per_day["regular"] == 0.01
    doc = yaml.safe_load(paths["params"].read_text())
    assert set(doc["fit"]["spread"]) == set(TRUTH)
    assert len(paths["posterior"].read_text().splitlines()) == 1001


def test_calibrate_needs_priors_and_observations(tmp_path):
    folder = tiny_scenario(tmp_path / "sc", days=5)
    with pytest.raises(ScenarioError, match="no priors"):
        calibrate(str(folder), budget=50)
    with pytest.raises(ObservationError, match="no observations"):
        calibrate(str(folder), budget=50, vary=[Prior("giveup_rate_per_day", "uniform",
                                                      (0.1, 0.2))])


def test_calibrate_cli_errors_are_one_line(tmp_path):
    folder = tiny_scenario(tmp_path / "sc", days=5)
    result = CliRunner().invoke(main, ["calibrate", str(folder), "--budget", "50"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "priors" in result.output
    result = CliRunner().invoke(main, ["calibrate", str(folder), "--vary", "nope=uniform(0,1)"])
    assert result.exit_code == 2 and "unknown parameter" in result.output
    result = CliRunner().invoke(main, ["calibrate", str(folder), "--vary",
                                       "giveup_rate_per_day=uniform(0.1,0.2)",
                                       "--observations", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "not found" in result.output


def test_calibrate_cli_writes_the_params_file_and_store(tmp_path):
    folder = _observed_tiny(tmp_path)
    out = tmp_path / "fit" / "fitted.yaml"
    result = CliRunner().invoke(main, ["calibrate", str(folder), "--budget", "60", "--out",
                                       str(out),
                                       "--obs-error", "0.2", "--workers", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "naive_last" in result.output and out.is_file()
    assert (out.parent
            / "calibration.duckdb").is_file() and (out.parent / "fitted.scores.json").is_file()
    from travesia.outputs.scores import score_path

    scored = score_path(out.parent / "calibration.duckdb")             # `travesia score STORE`
    assert scored["kind"] == "ensemble" and scored["runs"] == 20
    # the fit's, from ensemble_meta
    assert scored["observation_noise"]["obs_error"] == 0.2
    fit_scores = yaml.safe_load(out.read_text())["fit"]["scores"]
    assert scored["summary"]["model"]["wis"] == pytest.approx(fit_scores["model"]["wis"], rel=1e-3)
    bare = score_path(out.parent / "calibration.duckdb", observation_noise=False)
    assert (
        bare["observation_noise"] is None and bare["summary"]["model"] != scored["summary"]["model"]
    )
    run = CliRunner().invoke(main, ["run", str(folder), "--params", str(out), "--quiet",
                                    "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_a_surface_mean_outside_every_run_gives_way_to_the_best_runs():
    """A quadratic fitted to runs in [-1, 1] may put its peak far outside them: the fit then falls
    back to where the best runs are, not to a place no run went."""
    from travesia.inference.calibrate import _within_runs

    Z = np.array([[-1.0], [0.0], [1.0], [0.5]])
    ll = np.array([-3.0, -1.0, -0.5, -0.2])
    kept = _within_runs(np.array([0.4]), np.eye(1), 9.0, Z, ll)
    assert kept[0].tolist() == [0.4] and kept[2] == 9.0
    moved = _within_runs(np.array([7.0]), np.eye(1), 9.0, Z, ll)
    assert -1.0 <= moved[0][0] <= 1.0
