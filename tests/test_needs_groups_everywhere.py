"""Needs that follow demography (scenario.yaml `needs_groups`) are the same wherever a planner reads
them: a run's impacts.csv, the dashboard's host-community panel of that run folder, of an
ensemble store, and of runs in memory (a what-if). Before, only impacts.csv used them; the panel
and the report counted everyone at the Sphere average."""

from __future__ import annotations

import csv

import pytest
from test_vocabulary_drivers import demography, run
from test_web_flows import run_and_ensemble_served

from travesia.model.impacts import load_rates
from travesia.web.data import from_results

# 10 children under 5 at 1,290 kcal and 5 pregnant women at 2,100 + 285, all held from day 1
FOOD = 10 * 1290 + 5 * (2100 + 285)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("groups")
    folder = demography(root / "sc", {"child": "child_0_4", "pregnant": "pregnant"})
    with run_and_ensemble_served(folder, root, 2) as (client, out):
        yield client, folder, out


def food_on(answer) -> float:
    return sum(r["on_day"]["food_kcal"] for r in answer["regions"])


def test_the_run_folders_panel_and_its_impacts_csv_count_food_by_age_and_pregnancy(served):
    client, _, out = served
    ids = {d["kind"]: d["id"] for d in client.get("/api/datasets").json()["datasets"]}
    answer = client.get(f"/api/datasets/{ids['run']}/host?day=5").json()
    with (out / "impacts.csv").open(encoding="utf-8") as f:
        written = [r for r in csv.DictReader(f) if r["date"] == answer["date"]]
    assert food_on(answer) == sum(float(r["food_kcal"]) for r in written) == FOOD
    # and an ensemble store keeps the people of each category: the same food, not 15 x 2,100
    answer = client.get(f"/api/datasets/{ids['ensemble']}/host?day=5").json()
    assert food_on(answer) == FOOD


def test_runs_in_memory_carry_the_mean_of_their_categories(served):
    _, folder, _ = served
    results = [run(folder, seed=s)[0] for s in (0, 1)]
    ds = from_results("w", "whatif", "w", results, [{}, {}])
    assert set(ds.group_people) == {"child_0_4", "pregnant"}
    assert food_on(ds.host_community(5, load_rates())) == FOOD
