"""Killing an ensemble (SIGKILL, no chance to clean up) loses no finished run and leaves no
partial one; the same command then runs only what is missing."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np

from test_ensemble_kit import store_rows, stranding_scenario
from travesia.model.engine import simulate
from travesia.scenario.parameters import Parameters
from travesia.scenario import load_scenario
from travesia.model.world import compile_world

RUNS = 30


def _command(folder: Path, store: Path) -> list[str]:
    # 120,000 people: about a fifth of a second a run here, so the kill lands mid-ensemble
    return [sys.executable, "-c", "from travesia.cli import main; main()", "ensemble", str(folder),
            "--runs", str(RUNS), "--vary", "giveup_rate_per_day=uniform(0.02,0.4)", "--seed", "100",
            "--store", str(store), "--workers", "1"]


def test_sigkill_loses_no_finished_run_and_the_rerun_completes(tmp_path):
    folder = stranding_scenario(tmp_path / "sc", people=120_000, days=28)
    store = tmp_path / "e.duckdb"
    proc = subprocess.Popen(_command(folder, store), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    reported = 0
    try:
        deadline = time.monotonic() + 120
        # not a terminal: one plain line a second at most
        for line in proc.stdout:
            m = re.match(r"stored (\d+)/", line)
            if m and int(m.group(1)) >= 3:
                reported = int(m.group(1))
                break
            assert time.monotonic() < deadline, "the ensemble never reported progress"
        assert 3 <= reported < RUNS, "the ensemble finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):   # its worker processes, orphaned by the kill
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    # every run it reported is there, whole; nothing of an unfinished run is
    con = duckdb.connect(str(store), read_only=True)
    finished = {r[0] for r
                in con.execute("SELECT run_id FROM runs WHERE status = 'finished'").fetchall()}
    assert con.execute("SELECT count(*) FROM runs WHERE status <> 'finished'").fetchone()[0] == 0
    for table in ("daily", "crossings"):
        orphans = con.execute(f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT run_id "
                              "FROM runs)")
        assert orphans.fetchone()[0] == 0
    con.close()
    assert reported <= len(finished) < RUNS
    sc = load_scenario(folder)
    world = compile_world(sc)
    rows = store_rows(store)
    for seed, params, daily, crossings in rows.values():
        expected = simulate(world, Parameters(**json.loads(params)), seed=seed,
                            events=sc.spec.timeline)
        held = np.array([c[2] + c[11] for c in crossings])     # queue + stranded, by date
        assert np.array_equal(held, expected.at_crossing("X-Y"))
        assert len(daily) == expected.daily_table().num_rows

    # the same command again runs only the missing runs
    again = subprocess.run(_command(folder, store) + ["--quiet"], capture_output=True, text=True,
                           timeout=300,
                           check=False)
    assert again.returncode == 0, again.stderr
    assert f"{len(finished)} of {RUNS} runs were already stored" in again.stdout
    assert f"ran {RUNS - len(finished)} runs" in again.stdout
    after = store_rows(store)
    assert len(after) == RUNS and all(after[r] == rows[r] for r in rows)
