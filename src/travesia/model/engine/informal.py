"""Informal crossings (informal_crossings.csv): unofficial paths across a border beside a crossing,
each with a daily capacity, detection by enforcement, risks of injury and death, a cost and a length
travelled by a mode (model.md §3 and §6b). People choose one in the exit choice (settled people or
those in transit, §4b), or set out for one from the line at a crossing beside it; at the path, first
come first served up to its capacity, each attempt may kill, injure, be caught (returned to the
origin side, to try again) or get across. The phase draws from its own stream: a scenario without
informal crossings draws nothing here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from travesia.model.engine.agents import FREE, INFORMAL, ONWARD, STRANDED, TRAVELLING
from travesia.model.engine.crossing import first_come
from travesia.model.engine.tally import select_states
from travesia.model.engine.travel import mode_speeds

if TYPE_CHECKING:
    from travesia.model.engine.simulation import Simulation


def detection_today(sim: Simulation, policy=None) -> np.ndarray:
    """[I] chance an attempt is caught: the row's detection, with the undetected share falling by
    exp(-detection_per_100_personnel × personnel / 100) as soldiers and police are posted at the
    crossings beside it (troops events)."""
    inf, policy = sim.world.informal, policy or sim.policy
    personnel = inf.beside.astype(float) @ np.asarray(policy.personnel, dtype=float)
    undetected = (1.0 - inf.detection) * np.exp(-sim.params.detection_per_100_personnel
                                                * personnel / 100.0)
    return 1.0 - undetected


def informal_belief(sim: Simulation) -> np.ndarray:
    """[I] believed chance of getting through an informal crossing: that one attempt neither kills
    nor is caught, under today's enforcement (model.md §3)."""
    inf = sim.world.informal
    return (1.0 - inf.death_risk) * (1.0 - detection_today(sim))


def informal_utilities(sim: Simulation) -> np.ndarray:
    """[P, N, S, I] utility of each informal crossing, like a crossing's (model.md §3): preference,
    the road km to its origin-side city plus its path, its cost, and the believed chance."""
    p, world = sim.params, sim.world
    inf = world.informal
    dist = world.dist_km[:, inf.from_place]                                     # [P, I]
    reachable = np.isfinite(dist)
    dist = np.where(reachable, dist, 0.0) + inf.km[None, :]
    pref = np.array([[p.crossing_preference.get(name, {}).get(nat, 0.0)
                      for nat in world.nationalities] for name in inf.names])   # [I, N]
    belief = np.log(np.maximum(informal_belief(sim), p.belief_floor))           # [I]
    u = (pref.T[None, :, None, :]
         - p.distance_cost_per_1000km * dist[:, None, None, :] / 1000.0
         - p.cost_disutility_per_1000 * inf.cost[None, None, None, :] / 1000.0
         + p.belief_weight * belief[None, None, None, :])
    return np.where(reachable[:, None, None, :], u, -np.inf)


def path_km(sim: Simulation) -> np.ndarray:
    """[I] each path's length in km at road speed (the unit of the travel phase's budget)."""
    inf, p = sim.world.informal, sim.params
    speed = np.where(np.isnan(inf.speed), mode_speeds(p)[inf.mode], inf.speed)
    return inf.km * p.speed_km_per_day / speed


def leave_the_line(sim: Simulation, day: int) -> None:
    """People stranded at a crossing with informal crossings beside it set out, with daily chance
    informal_switch_per_day, for one of those they can reach by road (chosen at random)."""
    a, world, p = sim.agents, sim.world, sim.params
    inf = world.informal
    if p.informal_switch_per_day <= 0:
        return
    state, crossing, place = a.view("state"), a.view("crossing"), a.view("place")
    stuck = select_states(state, STRANDED)
    if len(stuck) == 0:
        return
    reach = np.isfinite(world.dist_km[:, inf.from_place])                       # [P, I]
    options = inf.beside.T[crossing[stuck]] & reach[place[stuck]]               # [n, I]
    can = options.any(axis=1)
    stuck, options = stuck[can], options[can]
    if len(stuck) == 0:
        return
    rng = sim.rng["informal"]
    go = rng.random(len(stuck)) < p.informal_switch_per_day
    who, options = stuck[go], options[go]
    if len(who) == 0:
        return
    k = np.floor(rng.random(len(who)) * options.sum(axis=1))
    pick = np.argmax(np.cumsum(options, axis=1) > k[:, None], axis=1)
    nat, status = a.view("nat"), a.view("status")
    for c in np.unique(crossing[who]):
        left = who[crossing[who] == c]
        sim.record_news(int(c), nat[left], status[left], ok=False)
    C = len(world.crossing_names)
    state[who], a.target[who], a.next_place[who] = TRAVELLING, inf.from_place[pick], -1
    crossing[who], a.since[who] = C + pick, day
    np.add.at(sim.informal_flows["informal_departures"][day], pick, 1)


def informal_crossings(sim: Simulation, day: int) -> None:
    """Phase 6b: some stranded people leave the line for an informal crossing; at each, those
    waiting try in turn up to its capacity; those not served may give up and settle."""
    inf = sim.world.informal
    if len(inf) == 0:
        return
    leave_the_line(sim, day)
    a, p, rng, flows = sim.agents, sim.params, sim.rng["informal"], sim.informal_flows
    state, crossing, since = a.view("state"), a.view("crossing"), a.view("since")
    place, nat, status = a.view("place"), a.view("nat"), a.view("status")
    C = len(sim.world.crossing_names)
    caught_chance, km = detection_today(sim), path_km(sim)
    waiting = select_states(state, INFORMAL)
    for i in range(len(inf)):
        mine = waiting[crossing[waiting] == C + i]
        ready = first_come(mine[since[mine] <= day], since)
        total = inf.capacity[i] + sim.informal_carry[i]
        n = int(np.floor(total + 1e-9))
        sim.informal_carry[i] = total - n
        tried = ready[:n]
        if len(tried):
            u = rng.random((len(tried), 3))
            died = u[:, 0] < inf.death_risk[i]
            injured = ~died & (u[:, 1] < inf.injury_risk[i])
            caught = ~died & (u[:, 2] < caught_chance[i])
            across = ~died & ~caught
            state[tried[died]] = FREE
            since[tried[caught]] = day + 1            # back on the origin side: tomorrow again
            went = tried[across]
            state[went], a.target[went] = ONWARD, inf.to_place[i]
            a.next_place[went], a.km_left[went] = inf.to_place[i], km[i]
            for name, did in (("attempts", np.ones(len(tried), dtype=bool)), ("died", died),
                              ("injured", injured), ("caught", caught), ("crossed", across)):
                flows[f"informal_{name}"][day, i] += int(did.sum())
        rest = mine[state[mine] == INFORMAL]
        if len(rest) and p.giveup_rate_per_day > 0:
            quit_ = rest[rng.random(len(rest)) < p.giveup_rate_per_day]
            np.add.at(sim.settled, (place[quit_], nat[quit_], status[quit_]), 1)
            sim.settle_newly(place[quit_], nat[quit_], status[quit_])
            state[quit_] = FREE
            flows["informal_gave_up"][day, i] += len(quit_)
            rest = rest[state[rest] == INFORMAL]
        flows["informal_waiting"][day, i] = len(rest)
