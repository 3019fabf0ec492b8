"""Ensembles on local worker processes: planning, storing, resuming, bands and sensitivity, and the
CLI."""

from __future__ import annotations

import json

import duckdb
import numpy as np
from click.testing import CliRunner
from test_ensemble_kit import store_rows, stranding_scenario

from travesia.outputs.bands import bands_for_run, compute_bands
from travesia.cli import main
from travesia.model.engine import simulate
from travesia.runs.ensemble import plan_ensemble, run_ensemble, run_task
from travesia.scenario.parameters import Parameters
from travesia.runs.priors import parse_vary
from travesia.scenario import load_scenario
from travesia.inference.sensitivity import ranks, sensitivity, spearman
from travesia.outputs.store import Store
from travesia.model.world import compile_world

VARY = [parse_vary("giveup_rate_per_day=uniform(0.02,0.4)"), parse_vary("news_delay_days=[1,2,3]")]


def test_the_plan_is_the_same_for_the_same_command_and_grows_by_appending(tmp_path):
    folder = stranding_scenario(tmp_path / "sc")
    a = plan_ensemble(folder, 6, vary=VARY, base_seed=10)
    b = plan_ensemble(folder, 9, vary=VARY, base_seed=10)
    assert a.ensemble_id == b.ensemble_id                     # more runs extend the same ensemble
    assert [t.run_id for t in a.tasks] == [t.run_id for t in b.tasks[:6]]
    assert [t.seed for t in b.tasks] == list(range(10, 19))
    c = plan_ensemble(folder, 6, vary=VARY, base_seed=11)
    assert c.ensemble_id != a.ensemble_id and not {t.run_id for t
                                                   in a.tasks} & {t.run_id for t in c.tasks}
    rates = [json.loads(t.varied_json)["giveup_rate_per_day"] for t in a.tasks]
    assert len(set(rates)) == 6 and all(0.02 <= r <= 0.4 for r in rates)


def test_a_worker_runs_what_simulate_runs(tmp_path):
    folder = stranding_scenario(tmp_path / "sc")
    plan = plan_ensemble(folder, 2, vary=VARY, base_seed=3)
    task = plan.tasks[1]
    outcome = run_task(task)
    assert outcome.error is None
    sc = load_scenario(folder)
    expected = simulate(compile_world(sc), Parameters(**json.loads(task.parameters_json)),
                        seed=task.seed,
                        events=sc.spec.timeline)
    assert np.array_equal(outcome.results.counts, expected.counts)
    assert np.array_equal(outcome.results.at_crossing("X-Y"), expected.at_crossing("X-Y"))


def test_local_ensemble_stores_every_run_and_a_rerun_does_nothing(tmp_path):
    folder = stranding_scenario(tmp_path / "sc")
    store = tmp_path / "e.duckdb"
    plan = plan_ensemble(folder, 8, vary=VARY, base_seed=0)
    seen = []
    report = run_ensemble(plan, store, workers=2, progress=lambda d, n: seen.append((d, n)))
    assert report.ran == 8 and not report.failed and seen[0] == (0, 8) and seen[-1] == (8, 8)
    rows = store_rows(store)
    assert set(rows) == {t.run_id for t in plan.tasks}
    for _, _, daily, crossings in rows.values():
        assert len(crossings) == 20                           # one row a day at the one crossing
        total_per_day = {}
        for date, _, _, people in daily:
            total_per_day[date] = total_per_day.get(date, 0) + people
        # conservation, read back from the store
        assert set(total_per_day.values()) == {400}
    again = run_ensemble(plan, store, workers=2)
    assert again.ran == 0 and again.already_stored == 8
    more = run_ensemble(plan_ensemble(folder, 11, vary=VARY, base_seed=0), store, workers=2)
    assert more.already_stored == 8 and more.ran == 3


def test_two_ensembles_share_a_store(tmp_path):
    folder = stranding_scenario(tmp_path / "sc")
    store = tmp_path / "e.duckdb"
    first = plan_ensemble(folder, 4, vary=VARY, base_seed=0)
    second = plan_ensemble(folder, 5, vary=[parse_vary("giveup_rate_per_day=[0.05,0.5]")],
                           base_seed=0)
    run_ensemble(first, store, workers=1)
    run_ensemble(second, store, workers=1)
    with Store(store, read_only=True) as s:
        ids = [e["ensemble_id"] for e in s.ensembles()]
        assert ids == [first.ensemble_id, second.ensemble_id]
        assert [e["finished"] for e in s.ensembles()] == [4, 5]
        assert s.ensemble(None)["ensemble_id"] == second.ensemble_id    # the latest by default
        assert len(s.runs(first.ensemble_id)) == 4 and len(s.runs(second.ensemble_id)) == 5


def test_bands_are_quantiles_over_runs_and_sensitivity_finds_the_giveup_rate(tmp_path):
    folder = stranding_scenario(tmp_path / "sc")
    store = tmp_path / "e.duckdb"
    plan = plan_ensemble(folder, 16, vary=VARY, base_seed=1)
    run_ensemble(plan, store, workers=2)
    with Store(store, read_only=True) as s:
        ens = s.ensemble(None)["ensemble_id"]
        (band,) = compute_bands(s, ens, crossing="X-Y")
        _, _, values = s.series(ens, crossing="X-Y")
        (settled,) = compute_bands(s, ens, place="A", state="settled")
        rows = sensitivity(s, ens)
    assert band.runs == 16 and band.q.shape == (5, 20)
    assert np.allclose(band.q[2], np.median(values, axis=0))
    assert np.all(np.diff(band.q, axis=0) >= 0)                # 5% <= 25% <= ... <= 95% every day
    assert settled.runs == 16 and settled.q[2][0] < 400         # people leave A at 20% a day
    top = rows[0]
    assert top.parameter == "giveup_rate_per_day" and top.spearman < -0.8 and top.clear
    # run --bands
    drawn = bands_for_run(store, None, plan.scenario.name, plan.scenario.content_hash).bands
    assert np.array_equal(drawn["X-Y"].q, band.q)


def test_ranks_share_ties_and_spearman_is_one_for_a_monotone_relation():
    assert ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]
    x = np.array([0.1, 0.5, 0.2, 0.9, 0.3])
    assert spearman(x, np.exp(-x)) == -1.0 or np.isclose(spearman(x, np.exp(-x)), -1.0)


def test_the_three_commands(tmp_path):
    folder = stranding_scenario(tmp_path / "sc")
    store = tmp_path / "out" / "e.duckdb"
    runner = CliRunner()
    result = runner.invoke(main, ["ensemble", str(folder), "--runs", "6", "--vary",
                                  "giveup_rate_per_day=uniform(0.02,0.4)", "--seed", "4", "--store",
                                  str(store),
                                  "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "ran 6 runs" in result.output and "stored 6/6 runs" in result.output
    result = runner.invoke(main, ["ensemble", str(folder), "--runs", "6", "--vary",
                                  "giveup_rate_per_day=uniform(0.02,0.4)", "--seed", "4", "--store",
                                  str(store)])
    assert result.exit_code == 0 and "6 of 6 runs were already stored" in result.output
    result = runner.invoke(main, ["bands", str(store), "--crossing", "X-Y"])
    assert result.exit_code == 0, result.output
    for name in ("bands.csv", "bands.parquet", "bands.png"):
        assert (store.parent / name).stat().st_size > 0
    header = (store.parent / "bands.csv").read_text().splitlines()[0]
    assert header == '"date","where","measure","runs","p05","p25","p50","p75","p95","mean"'
    result = runner.invoke(main, ["sensitivity", str(store), "--out", str(tmp_path / "sens")])
    assert result.exit_code == 0, result.output
    assert "giveup_rate_per_day" in result.output
    assert json.loads((tmp_path / "sens"
                       / "sensitivity.json").read_text())[0]["parameter"] == "giveup_rate_per_day"


def test_user_mistakes_print_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.setattr("travesia.runs.ensemble.DASK_CONNECT_TIMEOUT_S", 1.0)
    folder = stranding_scenario(tmp_path / "sc")
    runner = CliRunner()
    cases = [
        (["ensemble", str(folder), "--runs", "2", "--vary", "giveup=uniform(0,1)"],
         "unknown parameter 'giveup'"),
        (["ensemble", str(folder), "--runs", "2", "--vary", "giveup_rate_per_day=uniform(1,0)"],
         "low (1) must"),
        (["ensemble", str(tmp_path / "nowhere"), "--runs", "2"], "no such scenario folder"),
        (["ensemble", str(folder), "--runs", "2", "--scheduler", "tcp://127.0.0.1:9"],
         "cannot reach a Dask"),
        (["bands", str(tmp_path / "none.duckdb")], "no such store"),
    ]
    for args, says in cases:
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert says in result.output and result.output.count("error:") == 1
    store = tmp_path / "e.duckdb"
    # seeds only: nothing varied
    run_ensemble(plan_ensemble(folder, 4, base_seed=0), store, workers=1)
    for args, says in [(["bands", str(store), "--crossing", "Z"], "no crossing 'Z'"),
                       (["bands", str(store), "--place", "A"], "--place and --state go together"),
                       (["bands", str(store), "--measure", "happiness"],
                        "unknown measure 'happiness'"),
                       (["sensitivity", str(store)], "varied no parameter")]:
        result = runner.invoke(main, args)
        assert result.exit_code == 2 and says in result.output, (args, result.output)
    (tmp_path / "junk.duckdb").write_text("not a database")
    result = runner.invoke(main, ["bands", str(tmp_path / "junk.duckdb")])
    assert result.exit_code == 2 and "error:" in result.output


def test_a_failed_run_is_recorded_and_retried(tmp_path, monkeypatch):
    folder = stranding_scenario(tmp_path / "sc")
    store = tmp_path / "e.duckdb"
    plan = plan_ensemble(folder, 3, base_seed=0)
    bad = plan.tasks[1]
    plan.tasks[1] = type(bad)(**{**bad.__dict__, "parameters_json": '{"no_such_parameter": 1}'})
    report = run_ensemble(plan, store, workers=1)
    assert (
        report.ran == 2 and len(report.failed) == 1 and "no_such_parameter" in report.failed[0][1]
    )
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute(
        "SELECT status, count(*) FROM runs GROUP BY status ORDER BY status"
    ).fetchall() == [("failed", 1), ("finished", 2)]
    assert con.execute("SELECT count(*) FROM crossings WHERE run_id = ?",
                       [bad.run_id]).fetchone()[0] == 0
    con.close()
    plan.tasks[1] = bad
    assert run_ensemble(plan, store, workers=1).ran == 1       # the retry replaces the failed row
    assert len(store_rows(store)) == 3


def test_the_scenarios_priors_are_the_defaults_and_vary_replaces_them(tmp_path):
    folder = stranding_scenario(tmp_path / "sc")
    text = (folder / "scenario.yaml").read_text()
    (folder / "scenario.yaml").write_text(text + "priors:\n"
                                          "  giveup_rate_per_day: {dist: uniform, low: 0.05, high: "
                                          "0.1}\n"
                                          "  news_delay_days: {dist: values, values: [4, 5]}\n")
    (tmp_path / "p.yaml").write_text("belief_weight: 2.5\n")
    plan = plan_ensemble(folder, 5, params_file=tmp_path / "p.yaml")
    values = [json.loads(t.varied_json) for t in plan.tasks]
    assert all(0.05 <= v["giveup_rate_per_day"] <= 0.1 and v["news_delay_days"] in (4, 5) for v
               in values)
    assert all(json.loads(t.parameters_json)["belief_weight"] == 2.5 for t in plan.tasks)
    replaced = plan_ensemble(folder, 5, vary=[parse_vary("giveup_rate_per_day=[0.5]")])
    assert {json.loads(t.varied_json)["giveup_rate_per_day"] for t in replaced.tasks} == {0.5}
    assert [json.loads(t.varied_json)["news_delay_days"] for t in replaced.tasks] == \
        [v["news_delay_days"] for v in values]                 # the other prior draws as before
    only = plan_ensemble(folder, 5, vary=[parse_vary("giveup_rate_per_day=[0.5]")],
                         use_scenario_priors=False)
    assert set(only.priors) == {"giveup_rate_per_day"}


def test_a_worker_without_the_scenario_folder_says_so(tmp_path):
    folder = stranding_scenario(tmp_path / "sc")
    task = plan_ensemble(folder, 1).tasks[0]
    moved = type(task)(**{**task.__dict__, "scenario_folder": str(tmp_path / "elsewhere")})
    outcome = run_task(moved)
    assert outcome.results is None and "workers need it at the same path" in outcome.error
