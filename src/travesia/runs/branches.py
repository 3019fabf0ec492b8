"""Run every branch of a scenario's future and compare them (`travesia branches`; docs/branches.md).

Run i of every branch has seed base_seed + i and the same drawn values (the posterior of the
scenario's fit, or its medians): branches differ by their events, not by noise. The runs go
through the same tasks and executor as ensembles; their results are summarised in memory
(outputs/branches.py), not stored.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from travesia.errors import ScenarioError
from travesia.model.impacts import Rates, place_impacts, region_label, scenario_rates
from travesia.model.results import Results
from travesia.outputs.branches import BlockOf, PlaceInfo, branch_summary, comparison_table
from travesia.runs.ensemble import (RunTask, local_executor, outcome_of, plan_ensemble, run_task,
                                    task_of)
from travesia.runs.runner import run_parameters
from travesia.scenario import load_scenario
from travesia.scenario.branches import find_branch
from travesia.scenario.load import Scenario


@dataclass
class BranchComparison:
    scenario: Scenario
    table: pa.Table                                   # comparison_table's rows
    runs: int
    draws: str                                        # what the runs' parameters are
    summaries: dict[str, list[dict]] = field(default_factory=dict)
    # branch -> its runs' results and parameters (kept only when asked: the dashboard draws them)
    results: dict[str, list[Results]] = field(default_factory=dict)
    parameters: dict[str, list[dict]] = field(default_factory=dict)


def place_info(sc: Scenario) -> PlaceInfo:
    """Each place's country, and its region as "Region (Country)" (a region's own note, in
    parentheses in places.csv, left out)."""
    return PlaceInfo({p.name: p.country for p in sc.places},
                     {p.name: region_label(p.country, p.region or p.name) for p in sc.places})


def needs_block(rates: Rates) -> BlockOf:
    """The `needs` block of a branch's figures: per host region, over the days from the branch's
    date, the needs and costs a run's impacts.csv gives day by day (model/impacts.py, one rule):
    totals of water, food, health consultations and each cost (per currency, never added
    together); the peaks of people depending on provision, covered space and toilets; the school
    places at the end."""

    def block(results: Results, first: int, places: PlaceInfo) -> dict:
        cols = place_impacts(results, rates)
        regions = [places.region[n] for n in results.place_names]
        dependent = cols["held"] + cols["sheltered"] + cols["passing_through"]
        out = {}
        for region in dict.fromkeys(regions):
            idx = [p for p, r in enumerate(regions) if r == region]

            def total(values, idx=idx):
                return float(values[first:, idx].sum())

            def peak(values, idx=idx):
                return float(values[first:, idx].sum(axis=1).max())

            figures = {
                "dependent_peak": peak(dependent), "water_litres": total(cols["water_litres"]),
                "food_kcal": total(cols["food_kcal"]), "covered_m2_peak": peak(cols["covered_m2"]),
                "toilets_peak": peak(cols["toilets"]),
                "health_consultations": total(cols["health_consultations"]),
                "school_places_end": float(cols["school_places"][-1, idx].sum()),
                **{name: total(values) for name, values in cols.items()
                   if name.startswith("cost_")},
            }
            if any(figures.values()):
                out.update({("needs", region, k): v for k, v in figures.items()})
        return out

    return block


def branch_tasks(sc: Scenario, runs: int, *, base_seed: int = 0, medians: bool = False,
                 only: list[str] | None = None) -> tuple[list[RunTask], str]:
    """The runs of every branch (or those in `only`): the fit's posterior draws, or with
    `medians` its posterior medians (the scenario's parameters without a fit), seed for seed."""
    if not sc.spec.branches:
        raise ScenarioError("the scenario declares no branches (scenario.yaml `branches:`)",
                            file=sc.folder / "scenario.yaml")
    ids = [find_branch(sc, b, field="--only").id for b in only] if only else \
        [b.id for b in sc.spec.branches]
    if medians:
        params, source = run_parameters(sc)
        return [task_of(sc, params, {}, k * runs + i, base_seed + i, None, branch=b)
                for k, b in enumerate(ids) for i in range(runs)], \
            f"{source}, seeds {base_seed}..{base_seed + runs - 1}"
    plan = plan_ensemble(sc, runs, base_seed=base_seed, branches="each")
    label = plan.posterior.label if plan.posterior is not None else "the scenario's priors"
    return [t for t in plan.tasks if t.branch in ids], \
        f"draws from {label}, seeds {base_seed}..{base_seed + runs - 1}"


def run_tasks(tasks: list[RunTask], workers: int = 1,
              progress: Callable[[int, int], None] | None = None) -> dict[str, Results]:
    """Results of the tasks by run id: in this process for one worker, else on local worker
    processes. A failed run is an error (a user's mistake as its one line)."""
    out: dict[str, Results] = {}

    def take(outcome) -> None:
        if outcome.user_error:
            raise ScenarioError(outcome.user_error)
        if outcome.error or outcome.results is None:
            raise RuntimeError(outcome.error or "a run gave no results")
        out[outcome.run_id] = outcome.results
        if progress:
            progress(len(out), len(tasks))

    if workers <= 1:
        for task in tasks:
            take(run_task(task))
        return out
    executor, _ = local_executor(min(workers, len(tasks)))
    with executor:
        for fut in cf.as_completed([executor.submit(run_task, t) for t in tasks]):
            take(outcome_of(fut))
    return out


def compare_branches(scenario: str | Path | Scenario | None, runs: int = 10, *,
                     base_seed: int = 0, medians: bool = False, workers: int = 1,
                     only: list[str] | None = None, extra_blocks: tuple[BlockOf, ...] = (),
                     progress: Callable[[int, int], None] | None = None,
                     keep_results: bool = False) -> BranchComparison:
    """Run every branch `runs` times and compare their futures (from each branch's `after`);
    `keep_results`: keep each branch's results too."""
    if runs < 1:
        raise ScenarioError("needs at least one run", field="--runs")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    tasks, draws = branch_tasks(sc, runs, base_seed=base_seed, medians=medians, only=only)
    results = run_tasks(tasks, workers, progress)
    info = place_info(sc)
    # needs and costs per host region always; `extra_blocks` add to them
    blocks = (needs_block(scenario_rates(sc.folder)), *extra_blocks)
    comparison = BranchComparison(sc, pa.table({}), runs, draws)
    for task in tasks:
        branch = find_branch(sc, task.branch or "")
        comparison.summaries.setdefault(branch.id, []).append(
            branch_summary(results[task.run_id], info, branch.after, blocks))
        if keep_results:
            comparison.results.setdefault(branch.id, []).append(results[task.run_id])
            comparison.parameters.setdefault(branch.id, []).append(
                json.loads(task.parameters_json))
    comparison.table = comparison_table(comparison.summaries)
    return comparison


def write_comparison(comparison: BranchComparison, out_dir: str | Path) -> Path:
    """branches.csv in `out_dir` (written whole, then renamed)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "branches.csv"
    tmp = path.with_suffix(".csv.tmp")
    pacsv.write_csv(comparison.table, tmp)
    tmp.replace(path)
    return path
