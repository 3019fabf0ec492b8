"""Priors on numbers of the data tables: a drawn document share, troop count or population changes
the scenario a run compiles, and an ensemble or a fit can vary them like behaviour parameters."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from scenario_kit import tiny_scenario, write_csv
from test_ensemble_kit import store_rows

from travesia.inference.calibrate import ObservationModel, calibrate
from travesia.cli import main
from travesia.model.engine import simulate
from travesia.runs import ensemble as ensemble_module
from travesia.runs.ensemble import compiled_scenario, plan_ensemble, run_ensemble, run_task
from travesia.errors import ScenarioError
from travesia.runs.priors import draw_values, parse_vary, scenario_priors, with_values
from travesia.scenario import load_scenario
from travesia.scenario.data_values import split_values, with_data_values
from travesia.model.world import compile_world

VISA = "documents[Venezuela,irregular,visa].share"


def visa_scenario(folder: Path, *, people: int = 100, days: int = 10, **kw) -> Path:
    """100 people leave A on day 0 for an entry post that admits visa holders only (room for all):
    whoever holds a visa enters, the rest are refused. Half hold a visa, 30% nothing, 20% a
    passport."""
    tiny_scenario(folder, people=people, entry_admits="visa", entry_cap=1000, days=days, **kw)
    write_csv(folder / "documents.csv", [
        {"nationality": "Venezuela", "status": "irregular", "documents": d, "share": s,
         "source": "hand"}
        for d, s in (("visa", 0.5), ("none", 0.3), ("passport", 0.2))])
    return folder


def _set_yaml(folder: Path, **keys) -> None:
    spec = yaml.safe_load((folder / "scenario.yaml").read_text())
    spec.update(keys)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))


def _totals(sc) -> dict:
    res = simulate(compile_world(sc), sc.params, seed=1, events=sc.spec.timeline)
    return res.summary()["crossings"]["X-Y"]["totals"]


def test_a_visa_share_of_1_admits_everyone_and_0_nobody_and_the_other_shares_are_rescaled(tmp_path):
    sc = load_scenario(visa_scenario(tmp_path / "sc"))
    everyone = with_data_values(sc, {VISA: 1.0})
    nobody = with_data_values(sc, {VISA: 0.0})
    assert [(d.documents,
             d.share) for d in everyone.documents] == [("visa", 1.0), ("none", 0.0),
                                                       ("passport", 0.0)]
    # 0.3 : 0.2 keep their ratio and fill what the visa leaves
    assert [(d.documents,
             d.share) for d in nobody.documents] == [("visa", 0.0), ("none", pytest.approx(0.6)),
                                                                  ("passport", pytest.approx(0.4))]
    # the original untouched
    assert [d.share for d in sc.documents] == [0.5, 0.3, 0.2]
    assert _totals(everyone)["entries"] == 100 and _totals(everyone)["refused"] == 0
    assert _totals(nobody)["entries"] == 0 and _totals(nobody)["refused"] == 100
    # a share is at most 1
    clipped = with_data_values(sc, {VISA: 1.7})
    assert clipped.documents[0].share == 1.0


def test_shares_set_together_keep_their_values_and_scale_down_only_beyond_1(tmp_path):
    sc = load_scenario(visa_scenario(tmp_path / "sc"))
    both = with_data_values(sc, {VISA: 0.6, "documents[Venezuela,irregular,none].share": 0.2})
    assert [d.share for d in both.documents] == pytest.approx([0.6, 0.2, 0.2])
    over = with_data_values(sc, {VISA: 0.9, "documents[Venezuela,irregular,none].share": 0.6})
    assert [d.share for d in over.documents] == pytest.approx([0.6, 0.4, 0.0])


def test_a_timeline_personnel_prior_changes_the_troops_and_so_who_gives_up(tmp_path):
    """Nobody holds the visa: all 100 are stranded; each 100 soldiers add 10% a day to giving up."""
    folder = tiny_scenario(tmp_path / "sc", people=100, entry_admits="visa", entry_cap=1000,
                           days=10,
                           parameters={"giveup_per_100_personnel": 0.1},
                           timeline=[{"date": "2026-01-01", "type": "troops", "crossing": "X-Y",
                                      "personnel": 100, "source": "hand"}])
    sc = load_scenario(folder)
    # events get an `id:` with the timeline work; until then the test names the event itself
    sc.spec.timeline[0] = sc.spec.timeline[0].model_copy(update={"id": "army"})
    more = with_data_values(sc, {"timeline[army].personnel": 499.6})
    assert more.spec.timeline[0].personnel == 500 and isinstance(
        more.spec.timeline[0].personnel, int
    )
    assert sc.spec.timeline[0].personnel == 100
    assert _totals(more)["gave_up"] > _totals(sc)["gave_up"]
    with pytest.raises(ScenarioError, match="no 'level'") as err:
        with_data_values(sc, {"timeline[army].level": 0.5})
    assert err.value.field == "priors.timeline[army].level"


def test_a_population_prior_sets_whole_people(tmp_path):
    sc = load_scenario(tiny_scenario(tmp_path / "sc", people=35))
    drawn = with_data_values(sc, {"population[A,Venezuela,irregular].people": 120.4})
    assert drawn.population[0].people == 120 and compile_world(drawn).population == 120
    assert compile_world(sc).population == 35
    routes = with_data_values(sc, {"routes[XP,A].distance_km": 250.0})            # either order
    assert routes.routes[0].distance_km == 250.0
    caps = with_data_values(sc, {"crossings[X-Y].entry_capacity_per_day": 3.0})
    assert compile_world(caps).entry_capacity[0] == 3.0


@pytest.mark.parametrize("name, says", [
    ("documents[Venezuela,irregular,visa].share",
     "no row Venezuela,irregular,visa in documents.csv"),
    ("population[Nowhere,Venezuela,irregular].people", "no row Nowhere,Venezuela,irregular"),
    ("crossings[X-Y].exit_admits", "'exit_admits' is not a number of crossings"),
    ("borders[X-Y].strip_km", "unknown table 'borders'"),
    ("timeline[army].personnel", "no timeline event has id 'army'"),
])
def test_an_unknown_row_table_or_column_is_a_one_line_error_naming_the_prior(tmp_path, name, says):
    folder = tiny_scenario(tmp_path / "sc")
    _set_yaml(folder, priors={name: {"dist": "uniform", "low": 0.1, "high": 0.9}})
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert says in err.value.reason and err.value.field == f"priors.{name}"
    assert err.value.file.endswith("scenario.yaml")
    _set_yaml(folder, priors={})
    result = CliRunner().invoke(main, ["ensemble", str(folder), "--runs", "2", "--vary",
                                       f"{name}=uniform(0.1,0.9)",
                                       "--store", str(tmp_path / "e.duckdb")])
    assert (
        result.exit_code == 2 and says in result.output and result.output.strip().count("\n") == 0
    )
    assert f"--vary {name}" in result.output


def test_priors_split_parameter_and_data_values(tmp_path):
    sc = load_scenario(visa_scenario(tmp_path / "sc"))
    _set_yaml(
        sc.folder,
        priors={
            VISA: {"dist": "uniform", "low": 0, "high": 1, "note": "an assumption"},
            "giveup_rate_per_day": {"dist": "uniform", "low": 0.1, "high": 0.2},
        },
    )
    priors = scenario_priors(load_scenario(sc.folder))
    values = draw_values(priors, 0, 3)
    params, data = split_values(values)
    assert set(params) == {"giveup_rate_per_day"} and set(data) == {VISA}
    assert with_values(sc.params, values).giveup_rate_per_day == params["giveup_rate_per_day"]
    assert isinstance(
        draw_values(
            {"p": parse_vary("population[A,Venezuela,irregular].people=uniform(10,50)")}, 0, 0
        )["p"],
        int,
    )


def test_an_ensemble_with_a_data_prior_stores_runs_that_differ_by_their_draws(tmp_path):
    folder = visa_scenario(tmp_path / "sc")
    plan = plan_ensemble(folder, 4, vary=[parse_vary(f"{VISA}=uniform(0,1)")], base_seed=5)
    shares = [json.loads(t.data_json)[VISA] for t in plan.tasks]
    assert len(set(shares)) == 4 and all(0 <= s <= 1 for s in shares)
    # the parameters are the scenario's
    assert len({t.parameters_json for t in plan.tasks}) == 1
    plain = plan_ensemble(folder, 4, base_seed=5)
    assert not {t.run_id for t in plan.tasks} & {t.run_id for t in plain.tasks}
    assert all(t.data_json == "{}" for t in plain.tasks)
    report = run_ensemble(plan, tmp_path / "e.duckdb", workers=1)
    assert report.ran == 4 and not report.failed
    rows = store_rows(tmp_path / "e.duckdb")
    assert len({tuple(crossings) for _, _, _, crossings in rows.values()}) == 4
    # a worker runs what simulate runs
    task = plan.tasks[2]
    sc = with_data_values(load_scenario(folder), json.loads(task.data_json))
    expected = simulate(compile_world(sc), sc.params, seed=task.seed, events=sc.spec.timeline)
    assert np.array_equal(run_task(task).results.counts, expected.counts)


def test_a_worker_keeps_a_few_compiled_variants_of_drawn_data_and_the_plain_scenario(tmp_path):
    sc = load_scenario(visa_scenario(tmp_path / "sc"))
    folder = str(sc.folder.resolve())
    plain = compiled_scenario(folder, sc.name, sc.content_hash)
    for i in range(12):
        world, _ = compiled_scenario(folder, sc.name, sc.content_hash, json.dumps({VISA: i / 12}))
        has_visa = (world.trait_masks & world.vocabulary.bit("visa")) != 0
        assert world.trait_shares[world.nationalities.index("Venezuela"), 1,
                                  has_visa].sum() == pytest.approx(i / 12)
    mine = [k for k in ensemble_module._COMPILED if k[0] == folder]
    assert len(mine) == 9 and compiled_scenario(folder, sc.name, sc.content_hash) is plain


def test_calibration_recovers_a_document_share(tmp_path):
    """Synthetic counts of people held at the line from a visa share of 0.3: the fit's 90% range
    of the share holds 0.3 and is narrower than the prior's."""
    folder = tiny_scenario(
        tmp_path / "sc",
        people=2000,
        days=15,
        entry_admits="visa",
        entry_cap=10_000,
        parameters={"departure_rate_per_day": {"regular": 0.1, "irregular": 0.1}},
    )
    write_csv(folder / "documents.csv", [
        {"nationality": "Venezuela", "status": "irregular", "documents": d, "share": s,
         "source": "hand"}
        for d, s in (("visa", 0.5), ("none", 0.5))])
    _set_yaml(folder, priors={VISA: {"dist": "uniform", "low": 0.0, "high": 1.0}})
    sc = load_scenario(folder)
    truth = with_data_values(sc, {VISA: 0.3})
    res = simulate(compile_world(truth), truth.params, seed=99, events=truth.spec.timeline)
    rng = np.random.default_rng(3)
    rows = []
    for day in range(1, 15, 2):
        value = res.at_crossing("X-Y",
                                "held")[day] * math.exp(0.1 * rng.standard_normal())
        rows.append({"date": res.dates[day].isoformat(), "place": "XP", "measure": "stranded",
                     "value": round(value),
                     "value_low": "", "value_high": "", "crossing": "X-Y", "compare": "held"})
    write_csv(folder / "observations.csv", rows)
    _set_yaml(folder, observations="observations.csv")   # named once it exists
    fit = calibrate(str(folder), budget=120, obs_model=ObservationModel(error=0.15), workers=2)
    s = fit.spread[VISA]
    assert s["p05"] <= 0.3 <= s["p95"] and s["p95"] - s["p05"] < 0.3, s
    assert all(VISA in v for v in fit.predictive_values)
