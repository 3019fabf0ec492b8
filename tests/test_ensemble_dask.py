"""An ensemble on a real Dask cluster (a scheduler and two workers, each its own process on
127.0.0.1) gives the same numbers as the same ensemble on local processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from test_ensemble_kit import store_rows, stranding_scenario
from travesia.runs.ensemble import plan_ensemble, run_ensemble
from travesia.runs.priors import parse_vary


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """`dask scheduler` and two `dask worker`s, as a user starts them; yields the address."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    procs = [subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
         "0",
         "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() or not scheduler_file.read_text().strip():
            assert procs[0].poll() is None, "the scheduler stopped"
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                 "--no-nanny",
                 "--no-dashboard", "--host", "127.0.0.1", "--name", f"worker-{i}",
                 "--local-directory", str(folder / f"w{i}")],
                cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


def test_dask_ensemble_equals_the_local_one(tmp_path, dask_cluster):
    folder = stranding_scenario(tmp_path / "sc")
    vary = [parse_vary("giveup_rate_per_day=uniform(0.02,0.4)"),
            parse_vary("news_delay_days=[1,2,3]")]
    plan = plan_ensemble(folder, 8, vary=vary, base_seed=21)
    on_dask = run_ensemble(plan, tmp_path / "dask.duckdb", scheduler=dask_cluster)
    local = run_ensemble(plan, tmp_path / "local.duckdb", workers=2)
    assert on_dask.ran == local.ran == 8 and not on_dask.failed
    dask_rows, local_rows = store_rows(tmp_path
                                       / "dask.duckdb"), store_rows(tmp_path / "local.duckdb")
    assert set(dask_rows) == {t.run_id for t in plan.tasks}
    # same seeds, same parameters, same numbers, row for row
    assert dask_rows == local_rows
    assert any(row[3][0][3] for row in dask_rows.values())      # and the numbers are not all zeros


def test_the_cli_reaches_the_cluster_and_resumes_there(tmp_path, dask_cluster):
    from click.testing import CliRunner

    from travesia.cli import main

    folder = stranding_scenario(tmp_path / "sc")
    store = tmp_path / "e.duckdb"
    args = ["ensemble", str(folder), "--runs", "5", "--vary",
            "giveup_rate_per_day=uniform(0.02,0.4)",
            "--scheduler", dask_cluster, "--store", str(store), "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"on Dask scheduler {dask_cluster}" in result.output and "ran 5 runs" in result.output
    result = CliRunner().invoke(main, args[:3] + ["7"] + args[4:])
    assert result.exit_code == 0 and "5 of 7 runs were already stored" in result.output
    assert len(store_rows(store)) == 7
