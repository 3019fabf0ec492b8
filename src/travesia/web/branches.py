"""Branches of the future in the dashboard (docs/branches.md): every branch run in the background
by the same function as `travesia branches`, each branch then a dataset of the catalogue (to show,
overlay or compare), and the comparison table beside them."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from travesia.errors import ScenarioError
from travesia.runs.branches import compare_branches
from travesia.scenario.load import Scenario
from travesia.web.data import Catalogue, from_results
from travesia.web.jobs import run_job

MAX_BRANCH_RUNS = 8          # runs per branch the page may ask for


@dataclass
class BranchJob:
    runs: int
    total_runs: int
    status: str = "running"          # running | done | failed
    done_runs: int = 0
    error: str | None = None
    datasets: dict[str, str] = field(default_factory=dict)    # branch -> dataset id
    comparison: list[dict] = field(default_factory=list)      # comparison_table's rows
    draws: str = ""
    wall_seconds: float = 0.0

    def info(self) -> dict:
        return {"status": self.status, "runs": self.runs, "done_runs": self.done_runs,
                "total_runs": self.total_runs,
                "progress": round(self.done_runs / max(self.total_runs, 1), 3),
                "error": self.error, "datasets": self.datasets, "comparison": self.comparison,
                "draws": self.draws, "wall_seconds": round(self.wall_seconds, 2)}


class BranchRunner:
    """One comparison of the branches at a time, on a background thread."""

    def __init__(self, scenario: Scenario, catalogue: Catalogue):
        self.scenario, self.catalogue = scenario, catalogue
        self.job: BranchJob | None = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="travesia-branches")

    def branches(self) -> list[dict]:
        sc = self.scenario
        return [{"id": b.id, "title": b.title, "weight": b.weight, "after": b.after.isoformat(),
                 "end": (b.end or sc.spec.end).isoformat(), "source": b.source, "note": b.note,
                 "events": len(b.timeline)} for b in sc.spec.branches]

    def submit(self, runs: int) -> BranchJob:
        if not self.scenario.spec.branches:
            raise ScenarioError("the scenario declares no branches (scenario.yaml `branches:`)",
                                field="branches")
        if not 1 <= runs <= MAX_BRANCH_RUNS:
            raise ScenarioError(f"runs per branch from 1 to {MAX_BRANCH_RUNS} (got {runs})",
                                field="runs")
        with self._lock:
            if self.job is not None and self.job.status == "running":
                raise BusyBranches("the branches are already being run; wait for them")
            self.job = BranchJob(runs, runs * len(self.scenario.spec.branches))
            job = self.job
        self._pool.submit(self._run, job)
        return job

    def _run(self, job: BranchJob) -> None:
        def progress(done: int, total: int) -> None:
            job.done_runs = done

        def work() -> None:
            comparison = compare_branches(self.scenario, job.runs, medians=True, workers=1,
                                          progress=progress, keep_results=True)
            titles = {b.id: b.title for b in self.scenario.spec.branches}
            for branch, results in comparison.results.items():
                ds = from_results(f"branch-{branch}", "branch",
                                  f"branch {branch}: {titles[branch]}", results,
                                  comparison.parameters[branch], {"branch": branch})
                job.datasets[branch] = self.catalogue.add_dataset(ds)
            job.comparison = comparison.table.to_pylist()
            job.draws = comparison.draws

        run_job(job, work)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class BusyBranches(Exception):
    """A comparison is already running."""
