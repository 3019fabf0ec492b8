"""The DuckDB results store: a run goes in whole or not at all; identities; one writer at a time."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from test_ensemble_kit import stranding_scenario
from travesia.model.engine import simulate
from travesia.errors import ScenarioError
from travesia.scenario import load_scenario
from travesia.outputs.store import RunRecord, Store, run_id_of
from travesia.model.world import compile_world


def _results(tmp_path):
    sc = load_scenario(stranding_scenario(tmp_path / "sc"))
    return simulate(compile_world(sc), sc.params, seed=1, events=sc.spec.timeline), sc


def _record(run_id: str, sc) -> RunRecord:
    now = dt.datetime.now()
    return RunRecord(run_id=run_id, ensemble_id="e", scenario=sc.name,
                     scenario_hash=sc.content_hash,
                     parameters_json="{}", varied_json="{}", seed=1, days=None, started=now,
                     finished=now,
                     wall_seconds=0.1)


def test_a_run_is_written_whole(tmp_path):
    results, sc = _results(tmp_path)
    with Store(tmp_path / "s.duckdb") as store:
        store.add_run(_record("r1", sc), results)
        count = store.con.execute("SELECT count(*) FROM crossings WHERE run_id = 'r1'").fetchone()[
            0
        ]
        people = store.con.execute("SELECT sum(people) FROM daily WHERE run_id = 'r1' AND date = "
                                   "DATE "
                                   "'2026-01-05'").fetchone()[0]
    assert count == results.days and people == results.population


def test_a_failure_while_writing_leaves_nothing_of_the_run(tmp_path, monkeypatch):
    results, sc = _results(tmp_path)
    # fails after daily went in
    monkeypatch.setattr(type(results), "crossings_table", lambda self: 1 / 0)
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(ZeroDivisionError):
            store.add_run(_record("r1", sc), results)
        for table in ("runs", "daily", "crossings"):
            assert store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_run_identity_is_scenario_parameters_seed_and_days():
    a = run_id_of("h", '{"x":1}', 3, None)
    assert a == run_id_of("h", '{"x":1}', 3, None)
    assert len({a, run_id_of("h2", '{"x":1}', 3, None), run_id_of("h", '{"x":2}', 3, None),
                run_id_of("h", '{"x":1}', 4, None), run_id_of("h", '{"x":1}', 3, 10)}) == 5


def test_a_store_in_use_is_a_user_error(tmp_path):
    path = tmp_path / "s.duckdb"
    Store(path).close()
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(60)", str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(ScenarioError, match="in use by another process"):
            Store(path)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_a_file_that_is_not_a_store(tmp_path):
    with pytest.raises(ScenarioError, match="no such store"):
        Store(tmp_path / "none.duckdb", read_only=True)
    import duckdb

    con = duckdb.connect(str(tmp_path / "other.duckdb"))
    con.execute("CREATE TABLE t (x INT)")
    con.close()
    with pytest.raises(ScenarioError, match="not a travesia store"):
        Store(tmp_path / "other.duckdb", read_only=True)
