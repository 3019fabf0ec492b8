"""Phase 4, travel: move agents along the quickest paths, `speed_km_per_day` km per day on roads
and each route's mode at its own speed (model.md §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from travesia.model.engine.agents import ONWARD, RETURNING, TRAVELLING
from travesia.model.world import World, shortest_paths
from travesia.scenario.parameters import Parameters
from travesia.scenario.schema import MODES

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


def mode_speeds(params: Parameters) -> np.ndarray:
    """[len(MODES)] km a day by each travel mode: speed_km_per_day_by_mode, else walk_km_per_day
    on foot and speed_km_per_day otherwise."""
    return np.array([params.speed_km_per_day_by_mode.get(
        mode, params.walk_km_per_day if mode == "foot" else params.speed_km_per_day)
        for mode in MODES])


def road_km(world: World, params: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """[P, P] each road's length in km at road speed (float32: km × speed_km_per_day / the
    route's speed, 0 where no road), and next hops along the quickest paths. The travel phase
    moves everyone speed_km_per_day of these a day, so a road taken on foot lasts longer. Where
    every route goes at road speed these are the road lengths and shortest paths unchanged."""
    road = np.isfinite(world.link_km)
    km = np.where(road, world.link_km, 0)
    if world.link_mode.size == 0:
        return km.astype(np.float32), world.next_hop
    speed = np.where(np.isnan(world.link_speed),
                     mode_speeds(params)[np.maximum(world.link_mode, 0)], world.link_speed)
    factor = np.where(road, params.speed_km_per_day / speed, 1.0)
    if np.all(factor == 1.0):
        return km.astype(np.float32), world.next_hop
    scaled = world.link_km * factor
    return np.where(road, scaled, 0).astype(np.float32), shortest_paths(scaled)[1]


def travel(sim: Simulation, day: int) -> np.ndarray:
    """Move everyone on a road; return the indices of agents that reached their trip's end today."""
    a = sim.agents
    arrived = np.zeros(a.n, dtype=np.int8)
    advance_on_roads(
        a.view("state"), a.view("place"), a.view("next_place"), a.view("km_left"), a.view("target"),
        np.float32(sim.params.speed_km_per_day), sim.link_km32, sim.next_hop, arrived,
    )
    return np.flatnonzero(arrived)
