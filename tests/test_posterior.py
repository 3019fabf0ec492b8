"""The fit is the forecast: a scenario that names a fit draws its ensembles from the posterior
sample; `--from priors` draws from the priors; a fit made on other scenario files is flagged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from scenario_kit import tiny_scenario, write_csv

from travesia.cli import main
from travesia.runs.ensemble import plan_ensemble, run_ensemble
from travesia.errors import ScenarioError
from travesia.runs.posterior import read_fit, scenario_fit, stale_warning
from travesia.runs.priors import parse_vary
from travesia.scenario import load_scenario
from travesia.scenario import load as scenario_load
from travesia.outputs.store import Store

DRAWS = [0.11, 0.22, 0.33]
SHARES = [0.25, 0.5, 0.75]
VISA = "documents[Venezuela,irregular,visa].share"


def _set_yaml(folder: Path, **keys) -> None:
    spec = yaml.safe_load((folder / "scenario.yaml").read_text())
    spec.update(keys)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))


def write_fit_files(folder: Path, name: str, scenario: str, scenario_hash: str) -> Path:
    """A fit file as `travesia calibrate` writes it, and a posterior sample of three draws."""
    doc = {"parameters": {"giveup_rate_per_day": 0.22},
           "fit": {"scenario": scenario, "scenario_hash": scenario_hash,
                   "observations_until": "2026-01-05",
                   "obs_error": 0.3, "outlier_share": 0.1, "outlier_error": 2.5,
                   "posterior_sample": f"{Path(name).stem}.posterior.csv"}}
    (folder / name).write_text(yaml.safe_dump(doc, sort_keys=False))
    write_csv(folder / f"{Path(name).stem}.posterior.csv",
              [{"draw": i, "giveup_rate_per_day": g, VISA: s} for i,
               (g, s) in enumerate(zip(DRAWS, SHARES))])
    return folder / name


def fitted_scenario(folder: Path) -> Path:
    """A tiny scenario with visa/none document rows, priors on three names, and a fit of two of
    them."""
    tiny_scenario(folder, people=100, entry_admits="visa", entry_cap=1000, days=8)
    write_csv(folder / "documents.csv", [
        {"nationality": "Venezuela", "status": "irregular", "documents": d, "share": s,
         "source": "hand"}
        for d, s in (("visa", 0.5), ("none", 0.5))])
    _set_yaml(folder, priors={"giveup_rate_per_day": {"dist": "uniform", "low": 0.5, "high": 0.6},
                              "belief_weight": {"dist": "uniform", "low": 2.0, "high": 3.0},
                              VISA: {"dist": "uniform", "low": 0.0, "high": 1.0}})
    sc = load_scenario(folder)
    write_fit_files(folder, "fitted_params.yaml", sc.name, sc.content_hash)
    _set_yaml(folder, fit="fitted_params.yaml")
    return folder


def test_naming_a_fit_in_scenario_yaml_leaves_the_scenario_hash_alone(tmp_path):
    folder = tiny_scenario(tmp_path / "sc")
    before = load_scenario(folder).content_hash
    _set_yaml(folder, fit="fitted_params.yaml")
    assert load_scenario(folder).content_hash == before


def test_a_fit_reads_its_medians_sample_and_what_it_was_fitted_to(tmp_path):
    folder = fitted_scenario(tmp_path / "sc")
    fit = scenario_fit(load_scenario(folder))
    assert fit.parameters == {"giveup_rate_per_day": 0.22}
    assert fit.names == ["giveup_rate_per_day", VISA]
    assert [d["giveup_rate_per_day"] for d in fit.sample] == DRAWS
    assert (
        fit.scenario == "tiny"
        and fit.observations_until == "2026-01-05"
        and fit.obs_model["obs_error"] == 0.3
    )


def test_an_ensemble_draws_the_fitted_names_from_the_posterior_and_the_rest_from_priors(tmp_path):
    folder = fitted_scenario(tmp_path / "sc")
    plan = plan_ensemble(folder, 6, base_seed=4)
    values = [json.loads(t.varied_json) for t in plan.tasks]
    for v in values:
        # a whole draw: the pair stays together
        k = DRAWS.index(v["giveup_rate_per_day"])
        assert v[VISA] == SHARES[k]
        assert 2.0 <= v["belief_weight"] <= 3.0                   # not in the posterior: its prior
    assert len({v["giveup_rate_per_day"] for v in values}) > 1
    more = plan_ensemble(folder, 9, base_seed=4)
    # run i's draw is its own
    assert [t.run_id for t in more.tasks[:6]] == [t.run_id for t in plan.tasks]
    assert plan.varied["giveup_rate_per_day"].startswith(
        "posterior fitted_params.posterior.csv (3 draws"
    )
    assert plan.varied["belief_weight"] == "uniform(2,3)" and not plan.warnings

    priors = plan_ensemble(folder, 6, base_seed=4, draw_from="priors")
    assert all(0.5 <= json.loads(t.varied_json)["giveup_rate_per_day"] <= 0.6 for t in priors.tasks)
    assert priors.ensemble_id != plan.ensemble_id

    vary = plan_ensemble(folder, 6, base_seed=4, vary=[parse_vary("giveup_rate_per_day=[0.05]")])
    assert {json.loads(t.varied_json)["giveup_rate_per_day"] for t in vary.tasks} == {0.05}
    assert all(json.loads(t.varied_json)[VISA] in SHARES for t in vary.tasks)

    store = tmp_path / "e.duckdb"
    assert run_ensemble(plan, store, workers=1).ran == 6
    with Store(store, read_only=True) as s:
        assert s.ensemble(plan.ensemble_id)["vary"]["giveup_rate_per_day"].startswith("posterior ")


def test_from_posterior_without_a_fit_is_a_one_line_error(tmp_path):
    folder = tiny_scenario(tmp_path / "sc")
    with pytest.raises(ScenarioError, match="names no fit"):
        plan_ensemble(folder, 2, draw_from="posterior")
    result = CliRunner().invoke(main, ["ensemble", str(folder), "--runs", "2", "--from",
                                       "posterior",
                                       "--store", str(tmp_path / "e.duckdb")])
    assert result.exit_code == 2 and "names no fit" in result.output
    assert result.output.strip().count("\n") == 0


def test_the_ensemble_command_says_it_draws_from_the_posterior(tmp_path):
    folder = fitted_scenario(tmp_path / "sc")
    result = CliRunner().invoke(main, ["ensemble", str(folder), "--runs", "2", "--workers", "1",
                                       "--quiet",
                                       "--store", str(tmp_path / "e.duckdb")])
    assert result.exit_code == 0, result.output
    assert "2 fitted parameters from the posterior fitted_params.posterior.csv" in result.output


@pytest.mark.parametrize("fit, says", [
    ("../fitted_params.yaml", "must be a file inside the scenario folder"),
    ("/etc/passwd", "must be a file inside the scenario folder"),
    ("outside.yaml", "leads out of the scenario folder"),
    ("missing.yaml", "'missing.yaml' not found"),
])
def test_a_fit_path_must_stay_inside_the_scenario_folder(tmp_path, fit, says):
    folder = fitted_scenario(tmp_path / "sc")
    write_fit_files(tmp_path, "elsewhere.yaml", "tiny", "x")
    os.symlink(tmp_path / "elsewhere.yaml", folder / "outside.yaml")
    _set_yaml(folder, fit=fit)
    result = CliRunner().invoke(main, ["ensemble", str(folder), "--runs", "2", "--store",
                                       str(tmp_path / "e.db")])
    assert result.exit_code == 2 and says in result.output and "field 'fit'" in result.output
    assert result.output.strip().count("\n") == 0


def test_a_fit_of_other_scenario_files_is_flagged_once_on_stderr(tmp_path):
    folder = fitted_scenario(tmp_path / "sc")
    sc = load_scenario(folder)
    assert stale_warning(folder / "fitted_params.yaml", sc) is None
    # the scenario changes after its fit
    with (folder / "places.csv").open("a") as f:
        f.write("# a comment is a change of the files all the same\n")
    changed = load_scenario(folder)
    said = stale_warning(folder / "fitted_params.yaml", changed)
    assert said == (f"{folder / 'fitted_params.yaml'} was fitted to another version of tiny (hash "
                    f"{sc.content_hash}, now {changed.content_hash}): refit with travesia "
                    "calibrate")
    assert plan_ensemble(folder, 1).warnings == [said]
    assert plan_ensemble(folder, 1, draw_from="priors").warnings == []
    other = write_fit_files(tmp_path, "other.yaml", "chile-peru-2025", "abc")
    assert "was fitted to scenario chile-peru-2025, not tiny" in stale_warning(other, changed)
    # no `fit:` section: a plain file
    assert stale_warning(folder / "scenario.yaml", changed) is None
    runner = CliRunner()
    run = runner.invoke(main, ["run", str(folder), "--params", str(other), "--quiet", "--days", "2",
                               "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    assert run.stderr.count("\n") == 1 and "was fitted to scenario chile-peru-2025" in run.stderr
    ens = runner.invoke(main, ["ensemble", str(folder), "--runs", "1", "--workers", "1", "--quiet",
                               "--store", str(tmp_path / "e.duckdb")])
    assert ens.exit_code == 0 and "was fitted to another version of tiny" in ens.stderr
    fit = runner.invoke(main, ["calibrate", str(folder), "--params", str(other), "--budget", "40"])
    assert "warning: " in fit.stderr and "was fitted to scenario chile-peru-2025" in fit.stderr
    # and then: the tiny scenario has no observations
    assert fit.exit_code == 2


def test_a_scenario_borrows_the_fit_a_built_in_scenario_ships(tmp_path, monkeypatch):
    builtin = tmp_path / "builtin"
    lender = fitted_scenario(builtin / "lender")
    _set_yaml(lender, name="lender")
    lender_sc = load_scenario(lender)
    write_fit_files(lender, "fitted_params.yaml", "lender", lender_sc.content_hash)
    monkeypatch.setattr(scenario_load, "BUILTIN_DIR", builtin)
    borrower = tiny_scenario(tmp_path / "sc", people=100, entry_admits="visa", days=8)
    write_csv(borrower / "documents.csv", [
        {"nationality": "Venezuela", "status": "irregular", "documents": d, "share": s,
         "source": "hand"}
        for d, s in (("visa", 0.5), ("none", 0.5))])
    _set_yaml(borrower, fit={"scenario": "lender"})
    plan = plan_ensemble(borrower, 4)
    # borrowed: fitted to its lender, on purpose
    assert plan.warnings == []
    assert all(json.loads(t.varied_json)["giveup_rate_per_day"] in DRAWS for t in plan.tasks)
    with (lender / "routes.csv").open("a") as f:                  # the lender changed since its fit
        f.write("# changed\n")
    assert "was fitted to another version of lender" in plan_ensemble(borrower, 1).warnings[0]
    _set_yaml(borrower, fit={"scenario": "nope"})
    with pytest.raises(ScenarioError, match="no built-in scenario 'nope'"):
        plan_ensemble(borrower, 1)


def test_the_dashboard_baseline_draws_from_the_posterior_and_a_what_if_keeps_its_draws(tmp_path):
    import time

    import numpy as np

    from travesia.web.data import Catalogue
    from travesia.web.scenario_view import ScenarioView
    from travesia.web.sources import baseline_dataset
    from travesia.web.whatif import WhatIfRunner, parse_whatif

    folder = fitted_scenario(tmp_path / "sc")
    view = ScenarioView.load(str(folder))
    ds = baseline_dataset(view, 3)
    assert all(p["giveup_rate_per_day"] in DRAWS for p in ds.parameters)
    assert [d[VISA] for d in ds.data] == [SHARES[DRAWS.index(p["giveup_rate_per_day"])] for p
                                          in ds.parameters]
    assert "posterior" in ds.label
    entries = ds.crossing["entries"].sum(axis=(1, 2))
    # visa shares of 25/50/75% let in different numbers
    assert len(set(entries)) > 1
    catalogue = Catalogue(view.scenario.name)
    catalogue.add_dataset(ds)
    runner = WhatIfRunner(view.scenario, view.world, catalogue)
    # no lever: the baseline again
    job = runner.submit(parse_whatif({"baseline": ds.id, "seeds": 3}))
    for _ in range(200):
        if job.status in ("done", "failed"):
            break
        time.sleep(0.05)
    runner.shutdown()
    assert job.status == "done", job.error
    again = catalogue.get(job.dataset)
    assert np.array_equal(again.crossing["entries"], ds.crossing["entries"])


def test_the_shipped_chile_peru_2025_fit_is_of_the_scenario_as_it_stands():
    sc = load_scenario("chile-peru-2025")
    fit = read_fit(sc.folder / "fitted_params.yaml")
    assert fit.scenario == sc.name and fit.scenario_hash == sc.content_hash
