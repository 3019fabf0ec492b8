"""`--prior-from FIT`: an earlier fit's posterior becomes the prior of the behaviour parameters it
holds, so a new episode (or a later stretch of the same one) is fitted from what was learned
(runs/posterior.py priors_from_fit; docs/calibration.md)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from test_calibrate import _observed_tiny

from travesia.cli import main
from travesia.errors import ScenarioError
from travesia.runs.posterior import priors_from_fit, read_fit
from travesia.runs.priors import Prior


def earlier_fit(folder, columns: dict[str, np.ndarray]):
    """A fit file of another scenario, with its posterior sample of `columns`."""
    folder.mkdir(parents=True, exist_ok=True)
    names = list(columns)
    with (folder / "earlier.posterior.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)          # a data number's name holds commas: quoted
        writer.writerow(["draw", *names])
        for i in range(len(next(iter(columns.values())))):
            writer.writerow([i, *(f"{columns[n][i]:.6g}" for n in names)])
    path = folder / "earlier.yaml"
    path.write_text(yaml.safe_dump({"parameters": {n: float(np.median(v))
                                                   for n, v in columns.items()},
                                    "fit": {"scenario": "earlier-episode",
                                            "posterior_sample": "earlier.posterior.csv"}}),
                    encoding="utf-8")
    return path


def test_each_prior_takes_the_shape_of_the_posterior_within_the_scenarios_bounds(tmp_path):
    rng = np.random.default_rng(1)
    path = earlier_fit(tmp_path, {
        "giveup_rate_per_day": rng.normal(0.3, 0.02, 500),
        "departure_rate_per_day.irregular": np.exp(rng.normal(np.log(1e-4), 0.3, 500)),
        "news_delay_days": rng.integers(1, 5, 500).astype(float),
        "documents[Venezuela,irregular,none].share": rng.uniform(0.3, 0.5, 500),
        "irregular_success": rng.uniform(0.3, 0.8, 500)})
    priors = {"giveup_rate_per_day": Prior("giveup_rate_per_day", "uniform", (0.05, 0.9)),
              "departure_rate_per_day.irregular": Prior("departure_rate_per_day.irregular",
                                                        "lognormal", (8e-5, 0.5)),
              "news_delay_days": Prior("news_delay_days", "values", ([1, 2, 3, 4],)),
              "documents[Venezuela,irregular,none].share": Prior(
                  "documents[Venezuela,irregular,none].share", "uniform", (0.1, 0.7))}
    learned = {p.name: p for p in priors_from_fit(read_fit(path), priors)}
    # the behaviour the scenario puts priors on, and nothing else: not a list of values (its
    # weights cannot be written), not a data number (the other episode's facts), not a parameter
    # the scenario does not fit
    assert set(learned) == {"giveup_rate_per_day", "departure_rate_per_day.irregular"}
    giveup = learned["giveup_rate_per_day"]
    assert giveup.dist == "normal" and giveup.clip == (0.05, 0.9)
    assert giveup.args == pytest.approx((0.3, 0.02), rel=0.1)
    rate = learned["departure_rate_per_day.irregular"]
    assert rate.dist == "lognormal" and rate.args == pytest.approx((1e-4, 0.3), rel=0.1)


def test_a_fit_sharing_no_prior_with_the_scenario_is_an_error(tmp_path):
    path = earlier_fit(tmp_path, {"threat_response": np.linspace(10, 20, 50)})
    with pytest.raises(ScenarioError) as err:
        priors_from_fit(read_fit(path), {"giveup_rate_per_day": Prior(
            "giveup_rate_per_day", "uniform", (0.05, 0.9))}, scenario_name="tiny")
    assert "earlier.yaml" in str(err.value) and "none of the parameters tiny" in str(err.value)


def test_calibrate_from_an_earlier_fit_starts_where_it_ended(tmp_path):
    """The tiny scenario's truth is a give-up rate of 0.15 (tests/test_calibrate.py). An earlier
    fit that had learned 0.15 ± 0.005 keeps this fit's range narrow at the same budget; from the
    scenario's own prior, uniform(0.02, 0.4), it stays wide."""
    folder = _observed_tiny(tmp_path)
    rng = np.random.default_rng(3)
    earlier = earlier_fit(tmp_path / "earlier", {
        "giveup_rate_per_day": rng.normal(0.15, 0.005, 400)})
    spreads = {}
    for label, extra in (("own", []), ("learned", ["--prior-from", str(earlier)])):
        out = tmp_path / label / "fit.yaml"
        result = CliRunner().invoke(main, ["calibrate", str(folder), "--budget", "60", "--out",
                                           str(out), "--obs-error", "0.2", "--workers", "1",
                                           "--quiet", *extra])
        assert result.exit_code == 0, result.output
        doc = yaml.safe_load(out.read_text())
        spreads[label] = doc["fit"]["spread"]["giveup_rate_per_day"]
    learned, own = spreads["learned"], spreads["own"]
    assert learned["prior"].startswith("normal(0.15") and own["prior"] == "uniform(0.02,0.4)"
    assert learned["p05"] >= 0.13 and learned["p95"] <= 0.17
    assert learned["p95"] - learned["p05"] < 0.5 * (own["p95"] - own["p05"])
    assert yaml.safe_load((tmp_path / "learned" / "fit.yaml").read_text())["fit"][
        "prior_from"] == str(earlier)
