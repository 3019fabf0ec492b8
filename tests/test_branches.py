"""Futures as branches (docs/branches.md): validation, common random numbers with the base run,
mixed ensembles drawing branches by weight, the comparison, and the built-in branches of
chile-peru-2025."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from scenario_kit import tiny_scenario
from travesia.cli.main import main
from travesia.errors import ScenarioError
from travesia.model.engine import simulate
from travesia.model.results import STATE_COLUMNS
from travesia.model.world import compile_world
from travesia.outputs.store import Store
from travesia.runs.branches import compare_branches
from travesia.runs.ensemble import plan_ensemble, run_ensemble
from travesia.scenario import load_scenario
from travesia.scenario.branches import draw_branch, with_branch

# a slow trickle out of A: 400 people, 5% a day leave; entry 10 a day, nationals only after 1 Jan
PARAMS = {"departure_rate_per_day": {"regular": 0.05, "irregular": 0.05},
          "irregular_attempt_rate_per_day": 0.2, "giveup_rate_per_day": 0.05}


def branch(id_, weight, **kw):
    b = {"id": id_, "title": id_, "weight": weight, "after": "2026-01-06", "end": "2026-01-20",
         "source": "hand", "timeline": []}
    b.update(kw)
    return b


def removal(per_day=20, date="2026-01-06"):
    return {"date": date, "type": "removal", "from": "A", "days": 30, "per_day": per_day,
            "mode": "bus", "to": "Z", "cost_per_person": 100, "currency": "USD",
            "source": "hand", "id": "buses"}


def with_branches(folder, branches):
    spec = yaml.safe_load((folder / "scenario.yaml").read_text())
    spec["branches"] = branches
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False),
                                          encoding="utf-8")
    return folder


def scenario(tmp_path, branches, name="s"):
    folder = tiny_scenario(tmp_path / name, people=400, parameters=PARAMS, days=10)
    return with_branches(folder, branches)


def run(sc, seed=0):
    return simulate(compile_world(sc), sc.params, seed=seed, events=sc.spec.timeline)


TWO = [branch("none", 0.25), branch("buses", 0.75, timeline=[removal()])]


# --- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("branches, field, message", [
    ([branch("a", 0.5), branch("b", 0.4)], "branches", "sum to 0.9, not 1"),
    ([branch("a", 0.5), branch("a", 0.5)], "branches[1].id", "duplicate branch id 'a'"),
    ([branch("a", 1.0, after="2027-01-01")], "branches[0].after", "outside the period"),
    ([branch("a", 1.0, timeline=[removal(date="2026-01-05")])], "branches[0].timeline[0].date",
     "outside the period 2026-01-06 to 2026-01-20"),
    ([branch("a", 1.0, timeline=[removal(date="2026-01-21")])], "branches[0].timeline[0].date",
     "outside the period"),
    ([branch("a", 1.0, end="2026-01-02")], "branches[0].end", "before after"),
    ([branch("a", 1.5)], "branches[0].weight", "must be at most 1"),
    ([branch("a", 1.0, timeline=[{**removal(), "per_day": -1}])],
     "branches[0].timeline[0].per_day", "must be at least 0"),
    ([branch("a", 1.0, source="nowhere")], "branches[0].source", "unknown source id 'nowhere'"),
])
def test_bad_branches_are_clear_errors(tmp_path, branches, field, message):
    folder = scenario(tmp_path, branches)
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario(folder)
    assert err.value.field == field


def test_unknown_branch_is_a_clear_error_naming_the_known_ones(tmp_path):
    sc = load_scenario(scenario(tmp_path, TWO))
    with pytest.raises(ScenarioError, match=r"unknown branch 'nope' \(known: none, buses\)") as err:
        with_branch(sc, "nope")
    assert err.value.field == "--branch"


def test_cli_run_of_an_unknown_branch_is_one_line(tmp_path):
    folder = scenario(tmp_path, TWO)
    result = CliRunner().invoke(main, ["run", str(folder), "--branch", "nope", "--quiet",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "unknown branch 'nope'" in result.output and "Traceback" not in result.output


# --- runs ------------------------------------------------------------------------------------

def test_declaring_branches_leaves_the_base_run_unchanged(tmp_path):
    plain = run(load_scenario(tiny_scenario(tmp_path / "plain", people=400, parameters=PARAMS,
                                            days=10)))
    declared = run(load_scenario(scenario(tmp_path, TWO)))
    assert np.array_equal(plain.counts, declared.counts)
    assert all(np.array_equal(plain.flows[k], declared.flows[k]) for k in plain.flows)


def test_a_branch_run_is_the_base_run_before_its_date_and_runs_to_its_end(tmp_path):
    sc = load_scenario(scenario(tmp_path, TWO))
    base = run(sc, seed=3)
    buses = run(with_branch(sc, "buses"), seed=3)
    assert buses.days == 20 and base.days == 10
    before = 5                                  # days 0-4: 1-5 Jan, before `after` (6 Jan)
    assert np.array_equal(base.counts[:before], buses.counts[:before])
    removed = STATE_COLUMNS.index("removed")
    assert buses.counts[-1, :, removed].sum() > 0 and not base.counts[:, :, removed].any()
    # the branch without events is the base run, lengthened: identical over the base's days
    none = run(with_branch(sc, "none"), seed=3)
    assert np.array_equal(base.counts, none.counts[:10])


def test_mixed_ensemble_draws_branches_by_weight(tmp_path):
    sc = load_scenario(scenario(tmp_path, TWO))
    drawn = collections.Counter(draw_branch(sc, seed) for seed in range(4000))
    assert abs(drawn["buses"] / 4000 - 0.75) < 0.03
    # a run's branch depends on its seed only: the same every time
    assert [draw_branch(sc, s) for s in range(20)] == [draw_branch(sc, s) for s in range(20)]


def test_each_runs_every_branch_seed_for_seed_and_the_store_records_the_branch(tmp_path):
    sc = load_scenario(scenario(tmp_path, TWO))
    plan = plan_ensemble(sc, 3, branches="each", use_scenario_priors=False)
    assert [(t.branch, t.seed) for t in plan.tasks] == [
        ("none", 0), ("none", 1), ("none", 2), ("buses", 0), ("buses", 1), ("buses", 2)]
    store_path = tmp_path / "e.duckdb"
    report = run_ensemble(plan, store_path, workers=1)
    assert report.ran == 6 and not report.failed
    with Store(store_path, read_only=True) as store:
        assert store.branches(plan.ensemble_id) == ["none", "buses"]
        _, runs, removed = store.series(plan.ensemble_id, place="A", state="removed",
                                        branch="buses")
        assert len(runs) == 3 and removed[:, -1].min() > 0
        _, _, none_removed = store.series(plan.ensemble_id, place="A", state="removed",
                                          branch="none")
        assert not none_removed.any()


def test_mix_plan_records_the_drawn_branch_of_each_run(tmp_path):
    sc = load_scenario(scenario(tmp_path, TWO))
    plan = plan_ensemble(sc, 40, branches="mix", use_scenario_priors=False)
    assert [t.branch for t in plan.tasks] == [draw_branch(sc, t.seed) for t in plan.tasks]
    assert {t.branch for t in plan.tasks} == {"none", "buses"}


def test_branches_with_days_or_both_options_are_refused(tmp_path):
    sc = load_scenario(scenario(tmp_path, TWO))
    with pytest.raises(ScenarioError, match="drop --days"):
        plan_ensemble(sc, 2, branches="each", days=3, use_scenario_priors=False)
    with pytest.raises(ScenarioError, match="not both"):
        plan_ensemble(sc, 2, branches="each", branch="none", use_scenario_priors=False)


def test_comparison_counts_removals_and_their_cost_from_the_branch_date(tmp_path):
    # nobody leaves: 400 settled; the buses take 20 a day from 6 Jan to 20 Jan (15 days) = 300
    folder = tiny_scenario(tmp_path / "still", people=400, days=10,
                           parameters={"departure_rate_per_day": {"regular": 0.0,
                                                                  "irregular": 0.0}})
    with_branches(folder, TWO)
    comparison = compare_branches(folder, 2, medians=True)
    rows = {(r["branch"], r["block"], r["where"], r["measure"]): r
            for r in comparison.table.to_pylist()}
    assert rows[("buses", "removals", "Z", "people")]["mean"] == 300
    assert rows[("buses", "removals", "Z", "cost_USD")]["mean"] == 30_000
    assert rows[("none", "removals", "Z", "people")]["mean"] == 0
    assert rows[("buses", "region", "r (X)", "settled_change")]["mean"] == -300


# --- the built-in branches -------------------------------------------------------------------

def test_chile_peru_2025_runs_each_branch_to_the_end_of_2026():
    sc = load_scenario("chile-peru-2025")
    assert sc.spec.end.isoformat() == "2026-03-31"       # the base run is unchanged
    assert len(sc.spec.branches) >= 3
    assert abs(sum(b.weight for b in sc.spec.branches) - 1) < 1e-9
    comparison = compare_branches(sc, 1, medians=True, workers=2)
    rows = {(r["branch"], r["block"], r["where"], r["measure"]): r["mean"]
            for r in comparison.table.to_pylist()}
    for b in sc.spec.branches:
        assert with_branch(sc, b.id).days == (b.end - sc.spec.start).days + 1
        assert b.end.isoformat() == "2026-12-31"
        for crossing in ("Chacalluta–Santa Rosa", "Colchane–Pisiga"):
            assert (b.id, "crossing", crossing, "held_peak") in rows
        assert rows[(b.id, "arrivals", "Peru", "people")] > 0
        assert rows[(b.id, "arrivals", "Bolivia", "people")] > 0
    air = "countries of origin (by air)"
    # 296 days at 2.04 a day, and at 34.29 a day
    assert rows[("pace-2025", "removals", air, "people")] == pytest.approx(2.04 * 296, abs=1)
    assert rows[("charter-campaign", "removals", air, "people")] == pytest.approx(34.29 * 296,
                                                                                 abs=1)
    # the corridor lets more into Peru than removals at the same pace without it
    assert rows[("corridor", "arrivals", "Peru", "people")] > rows[("pace-2025", "arrivals",
                                                                     "Peru", "people")]
    # needs and costs per host region for each branch (Tacna, at the line, and Arica)
    for b in sc.spec.branches:
        for region in ("Tacna (Peru)", "Arica y Parinacota (Chile)"):
            assert rows[(b.id, "needs", region, "water_litres")] > 0
            assert rows[(b.id, "needs", region, "cost_food_USD")] > 0


def test_check_and_show_name_the_branches(tmp_path):
    folder = scenario(tmp_path, TWO)
    checked = CliRunner().invoke(main, ["scenario", "check", str(folder)])
    assert checked.exit_code == 0 and "2 branches of the future" in checked.output
    shown = CliRunner().invoke(main, ["scenario", "show", str(folder)])
    assert "buses (weight 0.75, from 2026-01-06 to 2026-01-20)" in shown.output
    assert "removal" in shown.output


def test_branches_command_prints_and_writes_the_comparison(tmp_path):
    folder = tiny_scenario(tmp_path / "still", people=400, days=10,
                           parameters={"departure_rate_per_day": {"regular": 0.0,
                                                                  "irregular": 0.0}})
    with_branches(folder, TWO)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["branches", str(folder), "--runs", "2", "--medians",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "buses (weight 0.75)" in result.output and "cost_USD" in result.output
    text = (out / "branches.csv").read_text()
    assert text.splitlines()[0] == ('"branch","block","where","measure","runs","mean","p05",'
                                    '"p50","p95"')
    assert '"buses","removals","Z","people",2,300,300,300,300' in text
    bad = CliRunner().invoke(main, ["branches", str(folder), "--only", "nope"])
    assert bad.exit_code == 2 and "unknown branch 'nope'" in bad.output


def test_comparison_gives_needs_and_costs_per_host_region_from_the_branch_date(tmp_path):
    # 35 people refused at Y's post from the first days, waiting (nobody gives up or crosses at
    # night); the branch runs from 6 Jan to 20 Jan: 15 days of 35 people in region r of Y
    folder = tiny_scenario(tmp_path / "held", people=35, entry_admits="national", days=10)
    with_branches(folder, [branch("wait", 1.0)])
    comparison = compare_branches(folder, 1, medians=True)
    needs = {r["measure"]: r["mean"] for r in comparison.table.to_pylist()
             if r["block"] == "needs" and r["where"] == "r (Y)"}
    days, people = 15, 35
    assert needs["dependent_peak"] == people
    assert needs["water_litres"] == people * 15 * days            # Sphere: 15 L a day
    assert needs["food_kcal"] == people * 2100 * days
    assert needs["covered_m2_peak"] == pytest.approx(people * 3.5)
    assert needs["toilets_peak"] == 2           # past the first 7 days: one per 20 people
    # the package's rates: 3.5 consultations a year outside Chile, USD 1.08 and 2.0 a day
    assert needs["health_consultations"] == pytest.approx(people * 3.5 / 365 * days)
    assert needs["cost_shelter_USD"] == pytest.approx(people * 1.08 * days)
    assert needs["cost_food_USD"] == pytest.approx(people * 2.0 * days)
    # region X (the town and the exit post) holds nobody after the first day: no needs block
    assert not any(r["block"] == "needs" and r["where"] == "r (X)" and r["mean"]
                   for r in comparison.table.to_pylist())
