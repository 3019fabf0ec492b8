"""What-ifs in the dashboard: the levers a request pulls (scenario/levers.py) rerun in the
background.

A what-if reruns the baseline's first few runs (same seeds, same parameters) on a changed
timeline, as run tasks (ensemble.RunTask with levers) run in this process one after another.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from travesia.scenario.levers import (  # noqa: F401 (the dashboard's names for them)
    MAX_PER_DAY,
    MAX_PERSONNEL,
    MAX_SEEDS,
    RULE_CHOICES,
    WhatIf,
    describe_levers,
    levers_of,
    parse_whatif,
    whatif_timeline,
)
from travesia.errors import ScenarioError
from travesia.scenario.load import Scenario
from travesia.web.jobs import run_job
from travesia.web.data import Catalogue, Dataset, check_id, from_results


# --- the background runs -------------------------------------------------------------------------

@dataclass
class Job:
    id: str
    request: WhatIf
    baseline: str
    total_runs: int
    status: str = "queued"          # queued | running | done | failed
    progress: float = 0.0           # 0..1
    done_runs: int = 0
    dataset: str | None = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    wall_seconds: float = 0.0

    def info(self) -> dict:
        return {"id": self.id, "status": self.status, "progress": round(self.progress, 3),
                "done_runs": self.done_runs, "total_runs": self.total_runs,
                "baseline": self.baseline,
                "dataset": self.dataset, "error": self.error,
                "levers": describe_levers(self.request),
                "wall_seconds": round(self.wall_seconds, 2)}


class Busy(Exception):
    """Too many what-ifs waiting."""


class WhatIfRunner:
    """Runs what-ifs one at a time on a background thread; the results join the catalogue."""

    MAX_WAITING = 4
    MAX_KEPT = 50

    def __init__(self, scenario: Scenario, world, catalogue: Catalogue):
        self.scenario, self.world, self.catalogue = scenario, world, catalogue
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="travesia-whatif")

    def submit(self, w: WhatIf) -> Job:
        check_id(w.baseline)
        baseline = self.catalogue.get(w.baseline)          # KeyError: unknown baseline
        if getattr(baseline, "ruleset", "travesia") == "flee":
            raise ScenarioError(f"'{baseline.id}' is a Flee case: what-ifs change a travesia "
                                "scenario's timeline, which a Flee case does not have",
                                field="baseline")
        events = whatif_timeline(self.scenario, w)
        runs = min(w.seeds, baseline.runs)
        with self._lock:
            waiting = sum(j.status in ("queued", "running") for j in self.jobs.values())
            if waiting >= self.MAX_WAITING:
                raise Busy(f"{waiting} what-ifs are already waiting or running; try again when one "
                           "finishes")
            job = Job(f"job-{next(self._counter)}", w, baseline.id, runs)
            self.jobs[job.id] = job
            finished = [j for j in self.jobs.values() if j.status in ("done", "failed")]
            for old in finished[: max(0, len(self.jobs) - self.MAX_KEPT)]:
                del self.jobs[old.id]
        self._pool.submit(self._run, job, baseline, events)
        return job

    def get(self, job_id: str) -> Job:
        check_id(job_id, "job")
        with self._lock:
            return self.jobs[job_id]

    def _run(self, job: Job, baseline: Dataset, events: list) -> None:
        from travesia.runs.ensemble import run_task, task_of

        job.status = "running"

        def work() -> None:
            results, params_used, data_used = [], [], []
            days = min(baseline.days, self.scenario.days)
            levers = job.request.model_dump_json(by_alias=True,
                                                 exclude={"baseline", "seeds", "label"})
            for i in range(job.total_runs):
                params = baseline.parameters[i] or self.scenario.params.model_dump()
                data = baseline.data[i] if i < len(baseline.data) else {}
                # the baseline run's parameters and drawn data numbers stay: only the levers differ
                task = task_of(self.scenario, self.scenario.params.with_overrides(params),
                               dict(data), i,
                               baseline.seeds[i], days if days < self.scenario.days else None,
                               levers=levers)
                outcome = run_task(task)
                if outcome.error:
                    raise RuntimeError(outcome.error.splitlines()[0])
                assert outcome.results is not None      # an outcome without error has results
                results.append(outcome.results)
                params_used.append(json.loads(task.parameters_json))
                data_used.append(data)
                job.done_runs = i + 1
                job.progress = job.done_runs / job.total_runs
            label = job.request.label or "; ".join(describe_levers(job.request))
            n = job.id.split("-")[1]
            ds = from_results(f"whatif-{n}", "whatif", f"what-if {n}: {label}", results,
                              params_used,
                              {"baseline": baseline.id, "levers": describe_levers(job.request)},
                              data_used)
            job.dataset = self.catalogue.add_dataset(ds)
            job.progress = 1.0

        run_job(job, work)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
