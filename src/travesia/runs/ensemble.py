"""Ensembles: many (parameters, seed) runs of one scenario on an executor, stored as they finish.

The plan is made in the parent: run i has seed `base_seed + i` and the values drawn for index i
from each prior (priors.py) or from the posterior of the scenario's fit (posterior.py). Whole
runs are the unit of work, so one engine serves one process or a cluster (DESIGN.md: "keep one
engine; scale out whole runs"). Executors are standard `concurrent.futures` ones: local worker
processes by default, or a Dask cluster's `Client(address).get_executor()`. Each worker process
loads the scenario once and compiles it once per distinct set of drawn data values. The parent
writes each finished run to the store in one transaction (store.py).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from travesia.model.engine import simulate
from travesia.errors import ScenarioError, WorkerDied
from travesia.scenario.parameters import Parameters
from travesia.runs.posterior import (LoadedFit, posterior_values, scenario_fit,
                                     scenario_fit_warning,
                        stale_warning)
from travesia.runs.priors import (Prior, canonical_json, check_scenario_names, describe,
                                  params_with_file,
                                  draw_values,
                     scenario_priors, with_values)
from travesia.model.results import Results
from travesia.scenario import load_scenario
from travesia.scenario.branches import BRANCH_MODES, draw_branch, find_branch, with_branch
from travesia.scenario.data_values import split_values, with_data_values
from travesia.scenario.load import Scenario, builtin_scenarios
from travesia.outputs.store import RunRecord, Store, run_id_of


@dataclass(frozen=True)
class RunTask:
    """One run, as sent to a worker: everything it needs, small and picklable."""

    run_id: str
    index: int
    scenario_name: str
    scenario_folder: str
    scenario_hash: str
    parameters_json: str
    varied_json: str
    # drawn numbers of the data tables, {} if none
    data_json: str = field(default="{}", kw_only=True)
    seed: int
    days: int | None
    # a view of the events ("planned:2025-11-28", scenario/timeline.py); None: all
    timeline: str | None = None
    # a what-if's levers (scenario/levers.py) pulled on the timeline; None: none
    levers_json: str | None = None
    # "flee": a Flee folder, parameters = its settings
    ruleset: str = field(default="travesia", kw_only=True)
    # a branch of the scenario's future (scenario/branches.py); None: the base timeline
    branch: str | None = field(default=None, kw_only=True)


@dataclass
class RunOutcome:
    run_id: str
    results: Results | None
    started: dt.datetime
    finished: dt.datetime
    wall_seconds: float
    error: str | None = None
    user_error: str | None = None    # a user's mistake (ScenarioError), as its one-line message


@dataclass
class EnsemblePlan:
    ensemble_id: str
    scenario: Scenario
    priors: dict[str, Prior]
    base_params: Parameters
    base_seed: int
    days: int | None
    tasks: list[RunTask]
    posterior: LoadedFit | None = None        # the fit whose posterior the runs draw from
    posterior_names: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def varied(self) -> dict[str, str]:
        """What each varied name is drawn from, as the store records it."""
        posterior = ({} if self.posterior is None
                     else dict.fromkeys(self.posterior_names, self.posterior.label))
        return {**posterior, **describe(self.priors)}


@dataclass
class EnsembleReport:
    planned: int
    already_stored: int
    ran: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.ran / self.wall_seconds if self.wall_seconds > 0 else 0.0


# --- planning ------------------------------------------------------------------------------------

def plan_ensemble(scenario: str | Path | Scenario | None, runs: int, *, vary: Sequence[Prior] = (),
                  base_seed: int = 0, params_file: str | Path | None = None,
                  days: int | None = None,
                  use_scenario_priors: bool = True, draw_from: str | None = None,
                  branch: str | None = None, branches: str | None = None) -> EnsemblePlan:
    """The runs of an ensemble: seeds base_seed + i, values drawn for index i.

    `draw_from`: "posterior" draws the fitted names from the posterior sample of the fit the
    scenario names (`fit:` in scenario.yaml), "priors" from the scenario's priors; None (the
    default) is "posterior" when the scenario names a fit and its priors are used, else "priors".
    Priors of names the posterior lacks are drawn all the same (unless `use_scenario_priors` is
    false); `vary` replaces any of them, or a fitted name, by name. `params_file` sets the base
    values the draws replace."""
    if runs < 1:
        raise ScenarioError("needs at least one run", field="--runs")
    if draw_from not in (None, "posterior", "priors"):
        raise ScenarioError(f"draw from 'posterior' or 'priors' (got '{draw_from}')",
                            field="--from")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    warnings = []
    if params_file:
        warnings.append(stale_warning(params_file, sc))
    base = params_with_file(sc, params_file)
    fit = None
    if draw_from == "posterior" or (draw_from is None and use_scenario_priors):
        fit = scenario_fit(sc)
        if fit is None and draw_from == "posterior":
            raise ScenarioError("the scenario names no fit to draw from (scenario.yaml has no "
                                "`fit:`; "
                                "use --from priors, or fit it with travesia calibrate)",
                                file=sc.folder / "scenario.yaml", field="--from")
        if fit is not None:
            warnings.append(scenario_fit_warning(sc, fit))
    check_scenario_names(sc, [p.name for p in vary])
    priors = scenario_priors(sc) if use_scenario_priors else {}
    posterior_names = []
    if fit is not None:
        vary_names = {p.name for p in vary}
        posterior_names = [n for n in fit.names if n not in vary_names]
        check_scenario_names(sc, posterior_names, field=f"{fit.path.name}: posterior column")
        for n in fit.names:
            priors.pop(n, None)
    for prior in vary:
        priors[prior.name] = prior
    days = None if days is None or days >= sc.days else int(days)
    branch_ids = _branches_of(sc, branch, branches, days)
    base_json = canonical_json(base.model_dump())
    plan = EnsemblePlan("", sc, priors, base, base_seed, days, [], fit, posterior_names,
                        [w for w in warnings if w])
    ensemble_key = canonical_json([sc.content_hash, base_json, plan.varied, base_seed, days]
                                  + ([branch or branches] if branch or branches else []))
    plan.ensemble_id = hashlib.sha256(ensemble_key.encode()).hexdigest()[:12]
    for i in range(runs):
        values = draw_values(priors, base_seed, i)
        if fit is not None:
            values = {**posterior_values(fit, base_seed, i, posterior_names), **values}
        for k, b in enumerate(branch_ids):
            index = i if branches != "each" else k * runs + i
            taken = draw_branch(sc, base_seed + i) if branches == "mix" else b
            plan.tasks.append(task_of(sc, base, values, index, base_seed + i,
                                      days if taken is None else None, branch=taken))
    if branches == "each":
        plan.tasks.sort(key=lambda t: t.index)
    return plan


def _branches_of(sc: Scenario, branch: str | None, branches: str | None,
                 days: int | None) -> list[str | None]:
    """The branches each run index is run on: [None] for the base timeline, [ID] for one branch,
    every branch for "each"; "mix" draws one per run (one entry, replaced by the draw)."""
    if branch is not None and branches is not None:
        raise ScenarioError("name one branch (--branch) or how to run them all (--branches), "
                            "not both", field="--branches")
    if branches is not None and branches not in BRANCH_MODES:
        raise ScenarioError(f"unknown way to run branches '{branches}' (known: "
                            f"{', '.join(BRANCH_MODES)})", field="--branches")
    if (branch or branches) and days is not None:
        raise ScenarioError("a run on a branch runs to the branch's end: drop --days",
                            field="--days")
    if branch is not None:
        find_branch(sc, branch)
        return [branch]
    if branches is None:
        return [None]
    if not sc.spec.branches:
        raise ScenarioError("the scenario declares no branches (scenario.yaml `branches:`)",
                            file=sc.folder / "scenario.yaml", field="--branches")
    return [b.id for b in sc.spec.branches] if branches == "each" else ["mix"]


def task_of(sc: Scenario, base: Parameters, values: dict, index: int, seed: int, days: int | None,
            *,
            where: str = "--vary", timeline: str | None = None,
            levers: str | None = None, branch: str | None = None) -> RunTask:
    """The task of one run: `values` (drawn parameter and data values) set on `base` and the
    scenario's data. A drawn number the data cannot take fails here, in the parent, not in a
    worker."""
    param_values, data_values = split_values(values)
    params = with_values(base, param_values, where=where) if param_values else base
    pjson = canonical_json(params.model_dump())
    data_json = canonical_json(data_values)
    if data_values:
        with_data_values(sc, data_values)
    # the run's identity covers the data values; runs without any keep the ids they always had
    identity = pjson if not data_values else canonical_json([pjson, data_json])
    # a run on a view of the timeline (a forecast's future) differs from one on all the events
    if branch is not None:
        find_branch(sc, branch)
    scenario_key = sc.content_hash + (f"|{timeline}" if timeline
                                      else "") + (f"|{levers}" if levers else "") + (
        f"|branch:{branch}" if branch else "")
    return RunTask(run_id_of(scenario_key, identity, seed, days), index, sc.name,
                   str(sc.folder.resolve()),
                   sc.content_hash, pjson, canonical_json(values), seed, days, data_json=data_json,
                   timeline=timeline,
                   levers_json=levers, branch=branch)


# --- the worker side -----------------------------------------------------------------------------

_LOADED: dict[tuple[str, str], Scenario] = {}  # (folder, content hash) -> the scenario, per process
# (folder, content hash, data json) -> (world, events)
_COMPILED: dict[tuple[str, str, str], tuple] = {}
# the same keys -> the scenario with those data values
_DRAWN: dict[tuple[str, str, str], Scenario] = {}
# compiled variants of drawn data values kept per process
_COMPILED_WITH_DATA = 8
_COMPILED_LOCK = threading.Lock()               # Dask workers may run tasks in threads


def _loaded_scenario(folder: str, name: str, content_hash: str) -> Scenario:
    key = (folder, content_hash)
    if key not in _LOADED:
        # the folder may not exist on a remote worker: a built-in scenario is found by name there
        if not Path(folder).is_dir() and name not in builtin_scenarios():
            raise ScenarioError(f"scenario folder not found on worker {os.uname().nodename}: "
                                "workers need it "
                                "at the same path (a shared file system)", file=folder)
        sc = load_scenario(folder if Path(folder).is_dir() else name)
        if sc.content_hash != content_hash:
            raise ScenarioError(f"scenario files differ from those the ensemble was planned with "
                                f"(hash {sc.content_hash}, expected {content_hash}): on "
                                f"{os.uname().nodename}",
                                file=folder)
        _LOADED[key] = sc
    return _LOADED[key]


def compiled_scenario(folder: str, name: str, content_hash: str, data_json: str = "{}",
                      branch: str | None = None):
    """The scenario's world and events (on a branch of its future, if named), loaded once per
    worker process and compiled once per distinct set of drawn data values and branch (small
    scenarios compile in milliseconds)."""
    key = (folder, content_hash, data_json + (f"|branch:{branch}" if branch else ""))
    with _COMPILED_LOCK:
        if key not in _COMPILED:
            from travesia.model.world import compile_world

            sc = with_branch(_loaded_scenario(folder, name, content_hash), branch)
            if data_json != "{}":
                sc = with_data_values(sc, json.loads(data_json))
                with_data = [k for k in _COMPILED if k[2] != "{}"]
                for old in with_data[:max(0, len(with_data) + 1 - _COMPILED_WITH_DATA)]:
                    del _COMPILED[old]       # dicts keep insertion order: the oldest go first
                    _DRAWN.pop(old, None)
            _COMPILED[key] = (compile_world(sc), list(sc.spec.timeline))
            _DRAWN[key] = sc
        return _COMPILED[key]


def _drawn_scenario(folder: str, name: str, content_hash: str, data_json: str = "{}",
                    branch: str | None = None) -> Scenario:
    """The scenario with a task's drawn data values (compiled_scenario's cache keeps it)."""
    compiled_scenario(folder, name, content_hash, data_json, branch)
    with _COMPILED_LOCK:
        return _DRAWN[(folder, content_hash, data_json + (f"|branch:{branch}" if branch else ""))]


def run_task(task: RunTask, progress: Callable[[int, int], None] | None = None) -> RunOutcome:
    """Run one task: a member of an ensemble or a fit in a worker, a single run, a what-if or a
    dashboard baseline in this process. Failures come back as outcomes, not exceptions."""
    started = dt.datetime.now()
    clock = time.perf_counter()
    if task.ruleset == "flee":
        return _run_flee_task(task, started, clock)
    try:
        world, events = compiled_scenario(task.scenario_folder, task.scenario_name,
                                          task.scenario_hash,
                                          task.data_json, task.branch)
        params = Parameters(**json.loads(task.parameters_json))
        if task.levers_json:
            from travesia.scenario.levers import parse_whatif, whatif_timeline

            drawn = _drawn_scenario(task.scenario_folder, task.scenario_name, task.scenario_hash,
                                    task.data_json, task.branch)
            events = whatif_timeline(drawn,
                                     parse_whatif({"baseline": "-",
                                                   **json.loads(task.levers_json)}))
        if task.timeline:
            from travesia.scenario.timeline import apply_timeline_spec

            events = apply_timeline_spec(events, task.timeline)
        results = simulate(world, params, seed=task.seed, events=events, days=task.days,
                           progress=progress)
        results.belief = None          # not stored; spare the transfer
        error = None
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the ensemble goes on
        results = None
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        if isinstance(exc, ScenarioError):
            return RunOutcome(task.run_id, None, started, dt.datetime.now(),
                              time.perf_counter() - clock, error,
                              user_error=exc.message)
    return RunOutcome(task.run_id, results, started, dt.datetime.now(), time.perf_counter() - clock,
                      error)


def _run_flee_task(task: RunTask, started: dt.datetime, clock: float) -> RunOutcome:
    """A Flee folder's run (flee/batch.py): parameters_json holds its complete rule settings."""
    try:
        from travesia.model.flee.batch import run_values

        results, error = run_values(task.scenario_folder, task.scenario_hash, task.parameters_json,
                                    task.seed,
                                    task.days), None
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the ensemble goes on
        results, error = None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
    # a Flee run's results (flee/batch.py) take the place of Results: the store writes either
    return RunOutcome(task.run_id, results, started, dt.datetime.now(),  # type: ignore[arg-type]
                      time.perf_counter() - clock, error)


# --- executors -----------------------------------------------------------------------------------

def local_executor(workers: int | None = None) -> tuple[cf.Executor, Callable[[], int]]:
    """Worker processes on this machine (every core by default): (executor, their count)."""
    workers = workers or os.cpu_count() or 1
    # forkserver: workers fork from a clean server that has imported the engine once; forking the
    # parent itself would copy the store's and the progress bar's threads.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["travesia.runs.ensemble"])
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                  initializer=end_with_parent, initargs=(os.getpid(),)), \
        lambda: workers


def outcome_of(fut: cf.Future) -> Any:
    """The result of a worker's future; a pool broken by a worker that died is `WorkerDied`, a
    clear error, instead of concurrent.futures' BrokenProcessPool."""
    try:
        return fut.result()
    except BrokenProcessPool:
        raise WorkerDied() from None


def end_with_parent(parent: int, every_s: float = 0.5) -> None:
    """In a worker: end when the process that started the pool is gone. A SIGKILLed parent runs no
    clean-up, and a worker waiting for work would wait forever, keeping the forkserver and the
    resource tracker alive with it; once the workers end, those two end by themselves."""

    def watch() -> None:
        while _alive(parent):
            time.sleep(every_s)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:                      # a killed parent not yet reaped is a zombie: gone all the same
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


DASK_CONNECT_TIMEOUT_S = 15.0


def dask_executor(address: str, timeout_s: float | None = None):
    """The executor of a running Dask scheduler: (executor, its worker threads now, client)."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - a dependency
        raise ScenarioError("dask distributed is not installed (pip install 'dask[distributed]')",
                            field="--scheduler") from None
    try:
        client = Client(address, timeout=timeout_s or DASK_CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError(f"cannot reach a Dask scheduler at {address}: {exc}",
                            field="--scheduler") from None
    asked = {"at": 0.0, "slots": 1}

    def slots() -> int:
        if time.monotonic() - asked["at"] > 2.0:
            asked["at"], asked["slots"] = time.monotonic(), max(1, sum(client.nthreads().values()))
        return int(asked["slots"])

    return client.get_executor(pure=False), slots, client


# --- the loop ------------------------------------------------------------------------------------

def run_ensemble(plan: EnsemblePlan, store_path: str | Path, *, workers: int | None = None,
                 scheduler: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> EnsembleReport:
    """Run the plan's missing runs on local processes (or the Dask scheduler at `scheduler`),
    writing each to the store as it finishes. `progress(done, total)` counts stored runs."""
    started = time.perf_counter()
    sc = plan.scenario
    with Store(store_path) as store:
        store.add_ensemble(plan.ensemble_id, scenario=sc.name, scenario_hash=sc.content_hash,
                           scenario_folder=str(sc.folder.resolve()), base_seed=plan.base_seed,
                           days=plan.days,
                           vary=plan.varied,
                           base_parameters_json=canonical_json(plan.base_params.model_dump()),
                           places=[p.name for p in sc.places],
                           crossings=[c.name for c in sc.crossings],
                           members=[(t.run_id, t.index) for t in plan.tasks])
        stored = store.finished_run_ids()
        todo = [t for t in plan.tasks if t.run_id not in stored]
        report = EnsembleReport(planned=len(plan.tasks), already_stored=len(plan.tasks) - len(todo))
        done = report.already_stored
        if progress:
            progress(done, len(plan.tasks))
        if not todo:
            return report
        client = None
        if scheduler:
            executor, slots, client = dask_executor(scheduler)
        else:
            executor, slots = local_executor(min(workers or os.cpu_count() or 1, len(todo)))
        by_future: dict[cf.Future, RunTask] = {}
        queue = iter(todo)
        try:
            while True:
                # runs in flight: twice the workers keeps them busy and leaves little to redo after
                # a
                # kill; on Dask the count of workers is asked again, as workers join and leave
                while len(by_future) < 2 * slots():
                    task = next(queue, None)
                    if task is None:
                        break
                    by_future[executor.submit(run_task, task)] = task
                if not by_future:
                    break
                finished, _ = cf.wait(by_future, timeout=2.0, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    task = by_future.pop(fut)
                    outcome = outcome_of(fut)
                    _store_outcome(store, plan, task, outcome)
                    if outcome.error:
                        report.failed.append((task.run_id, outcome.error))
                    else:
                        report.ran += 1
                    done += 1
                    if progress:
                        progress(done, len(plan.tasks))
        except BaseException:
            for fut in by_future:
                fut.cancel()
            executor.shutdown(wait=False, cancel_futures=True)
            if client is not None:
                client.close()
            raise
        executor.shutdown(wait=True)
        if client is not None:
            client.close()
    report.wall_seconds = time.perf_counter() - started
    return report


def store_made_runs(store_path: str | Path, ensemble_id: str,
                    runs: Sequence[tuple[RunTask, object]], *, base_seed: int, vary: dict,
                    base_parameters_json: str, places: list[str], crossings: list[str],
                    meta: dict) -> None:
    """Write runs already made in memory (a fit's predictive ensemble, of either ruleset) to a
    store as one ensemble, each run with the task that makes it again; runs the store holds are
    kept. The first task names the scenario."""
    now = dt.datetime.now()
    records = [(RunRecord(task.run_id, ensemble_id, task.scenario_name, task.scenario_hash,
                          task.parameters_json, task.varied_json, task.seed, task.days, now, now,
                          getattr(res, "wall_seconds", 0.0)), res, i)
               for i, (task, res) in enumerate(runs)]
    first = runs[0][0] if runs else None
    with Store(store_path) as store:
        store.add_ensemble(ensemble_id, scenario=first.scenario_name if first else "",
                           scenario_hash=first.scenario_hash if first else "",
                           scenario_folder=first.scenario_folder if first else "",
                           base_seed=base_seed, days=first.days if first else None, vary=vary,
                           base_parameters_json=base_parameters_json, places=places,
                           crossings=crossings, members=[(r.run_id, i) for r, _, i in records])
        store.set_meta(ensemble_id, meta)
        stored = store.finished_run_ids()
        for record, res, _ in records:
            if record.run_id not in stored:
                store.add_run(record, res)  # type: ignore[arg-type]   # Flee results: flee/batch.py


def _store_outcome(store: Store, plan: EnsemblePlan, task: RunTask, outcome: RunOutcome) -> None:
    record = RunRecord(
        run_id=task.run_id, ensemble_id=plan.ensemble_id, scenario=task.scenario_name,
        scenario_hash=task.scenario_hash, parameters_json=task.parameters_json,
        varied_json=task.varied_json,
        seed=task.seed, days=task.days, started=outcome.started, finished=outcome.finished,
        wall_seconds=outcome.wall_seconds, status="failed" if outcome.error else "finished",
        error=outcome.error, branch=task.branch)
    store.add_run(record, outcome.results)
