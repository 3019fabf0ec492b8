"""Ensemble benchmark (not a test): runs per minute on local worker processes against one process.

    python benchmarks/ensemble.py [SCENARIO] [--runs 96] [--workers N] [--days D]

SCENARIO defaults to the built-in chile-peru-2025 (or name a folder). Both sides do the same
work: the same planned runs (seeds and draws from the scenario's priors), each written to a fresh
DuckDB store as it finishes. "one process" runs them one after another in this process (scenario
compiled once); "local processes" is `travesia ensemble` with N worker processes (default: every
core), timed from the call to the last stored run, so worker start-up counts against it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path


def one_process(plan, store_path: Path) -> float:
    from travesia.runs.ensemble import _store_outcome, run_task
    from travesia.outputs.store import Store

    started = time.perf_counter()
    with Store(store_path) as store:
        for task in plan.tasks:
            outcome = run_task(task)
            assert outcome.error is None, outcome.error
            _store_outcome(store, plan, task, outcome)
    return time.perf_counter() - started


def mean_run_seconds(store_path: Path) -> float:
    import duckdb

    con = duckdb.connect(str(store_path), read_only=True)
    try:
        return float(con.execute("SELECT avg(wall_seconds) FROM runs").fetchone()[0])
    finally:
        con.close()


def local_processes(plan, store_path: Path, workers: int) -> float:
    from travesia.runs.ensemble import run_ensemble

    started = time.perf_counter()
    report = run_ensemble(plan, store_path, workers=workers)
    assert report.ran == len(plan.tasks) and not report.failed
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=None)
    ap.add_argument("--runs", type=int, default=96)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = ap.parse_args()

    from travesia.runs.ensemble import compiled_scenario, plan_ensemble

    load_before = os.getloadavg()[0]   # other work on the machine skews both figures

    plan = plan_ensemble(args.scenario, args.runs, base_seed=0, days=args.days)
    sc = plan.scenario
    # JIT and caches warm, as in workers
    compiled_scenario(str(sc.folder.resolve()), sc.name, sc.content_hash)
    with tempfile.TemporaryDirectory() as tmp:
        serial_s = one_process(plan, Path(tmp) / "serial.duckdb")
        parallel_s = local_processes(plan, Path(tmp) / "parallel.duckdb", args.workers)
        serial_run_s = mean_run_seconds(Path(tmp) / "serial.duckdb")
        parallel_run_s = mean_run_seconds(Path(tmp) / "parallel.duckdb")
    serial_rpm, parallel_rpm = 60 * args.runs / serial_s, 60 * args.runs / parallel_s
    figures = {
        "scenario": sc.name, "scenario_hash": sc.content_hash, "runs": args.runs,
        "days": args.days or sc.days,
        "varied": sorted(plan.priors), "cores": os.cpu_count(), "workers": args.workers,
        "one_process_runs_per_minute": round(serial_rpm, 1),
        "local_processes_runs_per_minute": round(parallel_rpm, 1),
        "speedup": round(parallel_rpm / serial_rpm, 2),
        "python": sys.version.split()[0], "machine": platform.machine(),
        "load_average_before": round(load_before, 2),
        # a run's own time, alone and beside the other workers: when it grows, the cores are shared
        "mean_run_seconds_one_process": round(serial_run_s, 3),
        "mean_run_seconds_in_workers": round(parallel_run_s, 3),
        # share of the workers' time spent running: what the ensemble loop itself wastes
        "worker_busy_share": round(args.runs * parallel_run_s / (args.workers * parallel_s), 3),
    }
    print(f"{sc.name}: {args.runs} runs of {figures['days']} days, varying {len(plan.priors)} "
          "parameters")
    print(f"one process:                  {serial_rpm:8.1f} runs/min  ({serial_s:.1f} s)")
    print(f"local processes ({args.workers} workers):  {parallel_rpm:8.1f} runs/min  "
          f"({parallel_s:.1f} s)")
    print(f"speed-up: {figures['speedup']:.2f}x on {os.cpu_count()} cores "
          f"(load average before: {load_before:.2f})")
    print(f"a run takes {serial_run_s:.3f} s alone and {parallel_run_s:.3f} s in a worker; workers "
          "were busy "
          f"{100 * figures['worker_busy_share']:.0f}% of the time")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":   # worker processes import this file; only the parent runs the benchmark
    main()
