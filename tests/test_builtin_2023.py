"""The built-in scenario chile-peru-2023: built from the facts of 2023 with the 2025 behaviour,
and holding no count of the people at the line (those are kept aside to score its forecast)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner

from travesia.cli import main
from travesia.runs.posterior import scenario_fit
from travesia.scenario import load_scenario
from travesia.scenario.data_values import is_data_name
from travesia.scenario.load import SPECIAL_SOURCES


@pytest.fixture(scope="module")
def scenarios():
    return load_scenario("chile-peru-2023"), load_scenario("chile-peru-2025")


def test_the_behaviour_is_the_2025_posterior_unchanged(scenarios):
    sc23, sc25 = scenarios
    assert sc23.spec.parameters == sc25.spec.parameters
    borrowed, own = scenario_fit(sc23), scenario_fit(sc25)
    assert borrowed.borrowed_from == "chile-peru-2025"
    # behaviour only: the lender's fitted data numbers (its document shares) stay the lender's
    assert borrowed.names == [n for n in own.names if not is_data_name(n)]
    assert all(b == {n: d[n] for n in borrowed.names} for b, d in zip(borrowed.sample, own.sample))
    # priors of 2023 are on its own data numbers only
    assert all(is_data_name(name) for name in sc23.spec.priors)


def test_stocks_are_those_of_31_december_2022_on_the_2023_method(scenarios):
    sc23, _ = scenarios
    people = {s: sum(r.people for r in sc23.population if r.status == s) for s
              in ("regular", "irregular")}
    assert people["regular"] + people["irregular"] == 1_918_583 - 82_446
    assert people["irregular"] == 336_984 - 44_235


def test_children_elderly_and_pregnant_women_exist_and_rules_use_them(scenarios):
    sc23, _ = scenarios
    assert {"child", "elderly", "pregnant", "ill"} <= set(sc23.vocabulary.groups)
    crossing = next(c for c in sc23.crossings if c.name == "Chacalluta–Santa Rosa")
    assert (
        "Venezuela+pregnant" in crossing.entry_admits
        and "Venezuela+elderly" in crossing.entry_admits
    )
    assert crossing.return_admits == "national;regular"


def test_every_row_cites_a_known_source_and_no_count_of_the_2023_line_is_in_the_folder(scenarios):
    sc23, _ = scenarios
    ids = set(sc23.sources) | SPECIAL_SOURCES
    for name in ("places.csv", "routes.csv", "crossings.csv", "population.csv", "documents.csv",
                 "groups.csv"):
        with (sc23.folder / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                cited = [s.strip() for s in row["source"].split(";") if s.strip()]
                assert cited and set(cited) <= ids, (name, row)
    with (sc23.folder / "observations.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and not any(r["compare"] for r in rows)          # context only, nothing to score
    assert not any(re.search(r"migrant|people|stranded|present", r["measure"]) for r in rows)


def test_run_and_an_ensemble_drawing_from_the_2025_posterior_work(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["run", "chile-peru-2023", "--out", str(tmp_path / "run"),
                                  "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["scenario"] == "chile-peru-2023" and summary["conserved"]
    store = tmp_path / "e.duckdb"
    result = runner.invoke(main, ["ensemble", "chile-peru-2023", "--runs", "4", "--workers", "1",
                                  "--store",
                                  str(store)])
    assert result.exit_code == 0, result.output
    assert "from the posterior" in result.output
    from travesia.outputs.store import Store

    with Store(store, read_only=True) as st:
        ens = st.ensemble(None)
        assert ens["finished"] == 4
        assert any(str(v).startswith("posterior") for v in ens["vary"].values())


def test_a_forecast_of_2023_from_a_date_draws_the_borrowed_behaviour_and_its_own_priors(tmp_path):
    """Nothing of 2023 is observed, so `forecast` takes the scenario's borrowed fit: the 2025
    behaviour, without the 2025 document shares, and 2023's own priors drawn for each run."""
    from travesia.inference.forecast import forecast

    result = forecast("chile-peru-2023", dt.date(2023, 4, 20), horizon_days=7, runs=3, workers=1)
    assert result.settings["borrowed_from"] == "chile-peru-2025"
    assert result.settings["fitted"].endswith("chile_peru_2025/fitted_params.yaml")
    assert len(result.runs) == 3
    held = [r for r in result.rows if r["measure"] == "held" and r["crossing"]
            == "Chacalluta–Santa Rosa"]
    assert [r["date"] for r in held][0] == "2023-04-21" and len(held) == 7
