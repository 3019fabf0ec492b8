"""Phase 4, travel: move agents along shortest road paths, `speed_km_per_day` km per day (model.md
§4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from travesia.model.engine.agents import ONWARD, RETURNING, TRAVELLING

if TYPE_CHECKING:
    from travesia.model.engine.simulation import Simulation


@njit(cache=True, nogil=True)
def advance_on_roads(state, place, next_place, km_left, target, budget_km, link_km, next_hop,
                     arrived):
    """Advance every moving agent by budget_km; set arrived[i] = 1 for those reaching their target.

    Returns the number of agents moved (the agent-steps of this phase).
    """
    moved = 0
    for i in range(state.shape[0]):
        s = state[i]
        if s != TRAVELLING and s != ONWARD and s != RETURNING:
            continue
        moved += 1
        budget = budget_km
        while True:
            if next_place[i] < 0:
                if place[i] == target[i]:
                    arrived[i] = 1
                    break
                nxt = next_hop[place[i], target[i]]
                if nxt < 0:  # unreachable: the loader rejects such scenarios; stay put defensively
                    break
                next_place[i] = nxt
                km_left[i] = link_km[place[i], nxt]
            if km_left[i] <= budget:
                budget -= km_left[i]
                place[i] = next_place[i]
                next_place[i] = -1
                km_left[i] = 0.0
                if place[i] == target[i]:
                    arrived[i] = 1
                    break
            else:
                km_left[i] -= budget
                break
    return moved


def travel(sim: Simulation, day: int) -> np.ndarray:
    """Move everyone on a road; return the indices of agents that reached their trip's end today."""
    a = sim.agents
    arrived = np.zeros(a.n, dtype=np.int8)
    advance_on_roads(
        a.view("state"), a.view("place"), a.view("next_place"), a.view("km_left"), a.view("target"),
        np.float32(sim.params.speed_km_per_day), sim.link_km32, sim.world.next_hop, arrived,
    )
    return np.flatnonzero(arrived)
