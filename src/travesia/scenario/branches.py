"""Futures as branches (docs/branches.md): a scenario's alternative futures after a date, each with
a weight. A run on a branch is the scenario with the branch's events added from its `after` date
and its `end`; before `after` it is the base run, seed for seed (common random numbers)."""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np

from travesia.errors import ScenarioError
from travesia.scenario.load import Scenario
from travesia.scenario.schema import Branch

BRANCH_MODES = ("mix", "each")


def find_branch(sc: Scenario, branch_id: str, *, field: str = "--branch") -> Branch:
    """The scenario's branch of that id, or a clear error listing the known ones."""
    for branch in sc.spec.branches:
        if branch.id == branch_id:
            return branch
    known = ", ".join(b.id for b in sc.spec.branches) or "none: scenario.yaml has no `branches:`"
    raise ScenarioError(f"unknown branch '{branch_id}' (known: {known})",
                        file=sc.folder / "scenario.yaml", field=field)


def with_branch(sc: Scenario, branch_id: str | None) -> Scenario:
    """The scenario as a run on branch `branch_id` sees it (None: the scenario itself): the base
    timeline then the branch's events, up to the branch's end. Its content hash is the
    scenario's: the branch's id goes into a run's identity beside it (runs/ensemble.py)."""
    if branch_id is None:
        return sc
    branch = find_branch(sc, branch_id)
    end = max(branch.end or sc.spec.end, sc.spec.end)
    spec = sc.spec.model_copy(update={"end": end,
                                      "timeline": list(sc.spec.timeline) + list(branch.timeline)})
    return replace(sc, spec=spec, extra={**sc.extra, "branch": branch.id})


def draw_branch(sc: Scenario, seed: int) -> str:
    """The branch a run of `seed` takes in a mixed ensemble: drawn by weight from a stream of its
    own (seeded from the run's seed and "branch"), so the draw touches no phase's stream."""
    branches = sc.spec.branches
    if not branches:
        raise ScenarioError("the scenario declares no branches (scenario.yaml `branches:`)",
                            file=sc.folder / "scenario.yaml", field="--branches")
    weights = np.array([b.weight for b in branches], dtype=float)
    u = np.random.default_rng([seed, zlib.crc32(b"branch")]).random()
    k = int(np.searchsorted(np.cumsum(weights / weights.sum()), u, side="right"))
    return branches[min(k, len(branches) - 1)].id
