"""Phase 4b, network: people who reached a destination with a capacity arrive while it has room, and
past it settle there or go on; people come into the map (inflows.csv); those in transit set out for
a crossing, or informal crossing, out of the country they are in (model.md §4b). Its draws come from
its own stream, so a scenario without inflows or capacities draws nothing here and runs as
before."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from travesia.model.engine.agents import FREE, TRAVELLING
from travesia.model.engine.departures import exit_utilities, rush_pressure

if TYPE_CHECKING:
    from travesia.model.engine.simulation import Simulation


def reach_places(sim: Simulation, day: int, who: np.ndarray) -> None:
    """Agents `who` reached a destination with a capacity today: the first (in arrival order) fill
    what room it has left and arrive; the rest go on in transit where the place says so, or
    settle there, with the status their entry gave them, as newly settled people."""
    if len(who) == 0:
        return
    a, world = sim.agents, sim.world
    place = a.place[who]
    room = world.place_capacity - sim.arrived.sum(axis=(1, 2))                # [P]
    # rank of each agent among today's arrivals at its place (who is in slot order)
    order = np.argsort(place, kind="stable")
    first = np.searchsorted(place[order], place[order])
    rank = np.empty(len(who), dtype=np.int64)
    rank[order] = np.arange(len(who)) - first
    stays = rank < room[place]
    absorbed = who[stays]
    np.add.at(sim.arrived, (a.place[absorbed], a.nat[absorbed], a.status[absorbed]), 1)
    a.state[absorbed] = FREE
    beyond = who[~stays]
    transit = world.place_transit[a.place[beyond]]
    settle = beyond[~transit]
    np.add.at(sim.settled, (a.place[settle], a.nat[settle], a.status[settle]), 1)
    sim.settle_newly(a.place[settle], a.nat[settle], a.status[settle])
    a.state[settle] = FREE
    set_out(sim, day, beyond[transit])


def come_in(sim: Simulation, day: int) -> None:
    """Today's inflows: each row active today adds its people a day to what it carries; the whole
    people join the place's settled stock (`settle`) or set out at once (`transit`)."""
    flows = sim.world.inflows
    if len(flows) == 0:
        return
    active = np.flatnonzero((flows.first <= day) & (day <= flows.last))
    if len(active) == 0:
        return
    carry = sim.inflow_carry
    carry[active] += flows.per_day[active] * transit_rush(sim, day, active)
    whole = np.floor(carry[active] + 1e-9).astype(np.int64)
    carry[active] -= whole
    world, rng, a = sim.world, sim.rng["network"], sim.agents
    for r, k in zip(active, whole):
        if k <= 0:
            continue
        pl, n, s = int(flows.place[r]), int(flows.nat[r]), int(flows.status[r])
        sim.inflow[day, pl] += k
        if not flows.transit[r]:
            sim.settled[pl, n, s] += k
            continue
        traits = np.repeat(world.trait_masks, rng.multinomial(k, world.trait_shares[n, s]))
        rng.shuffle(traits)
        added = a.add(int(k), state=TRAVELLING, place=pl, target=pl, nat=n, status=s,
                      traits=traits, since=day)
        set_out(sim, day, np.arange(added.start, added.stop))


def transit_rush(sim: Simulation, day: int, rows: np.ndarray) -> np.ndarray | float:
    """Factor on today's rate of inflow rows `rows`: people in transit hurry before a rule change
    that would shut them out, as settled people do (model.md §2, "Rushes"): 1 + rush_response ×
    the rush pressure at the row's place for its nationality and status; 1 for `settle` rows and
    when there is no rush. They come in after today's travel and take the road tomorrow, so the
    pressure is tomorrow's."""
    rush = rush_pressure(sim, day + 1)
    if rush is None:
        return 1.0
    flows = sim.world.inflows
    felt = rush.sum(axis=-1)[flows.place[rows], flows.nat[rows], flows.status[rows]]
    return np.where(flows.transit[rows], 1.0 + sim.params.rush_response * felt, 1.0)


def transit_probabilities(sim: Simulation) -> np.ndarray:
    """[P, N, S, C + I] chance that someone in transit at P of (N, S) sets out for each crossing,
    then each informal crossing: the exit choice of §3 without staying, among those out of P's
    country that P's roads reach (an informal crossing by its origin side; all 0 where there is
    none)."""
    world = sim.world
    u = exit_utilities(sim)[..., :-1]
    country = world.place_country
    starts = np.concatenate([world.exit_post, world.informal.from_place]).astype(np.int64)
    out = country[:, None] == country[starts][None, :]                          # [P, C + I]
    u = np.where(out[:, None, None, :], u, -np.inf)
    top = u.max(axis=-1, keepdims=True)
    some = np.isfinite(top)
    prob = np.exp(u - np.where(some, top, 0.0))
    total = prob.sum(axis=-1, keepdims=True)
    return np.divide(prob, total, out=np.zeros_like(prob), where=total > 0)


def set_out(sim: Simulation, day: int, who: np.ndarray) -> None:
    """Agents `who` (at their place) choose a crossing out of its country and set out for it today
    (counted in `departures`), or an informal one, going to its origin side as crossing C + i
    (counted in `informal_departures`); with none in reach they settle where they are."""
    if len(who) == 0:
        return
    a, world = sim.agents, sim.world
    place, nat, status = a.place[who], a.nat[who], a.status[who]
    prob = transit_probabilities(sim)[place, nat, status]                      # [n, C + I]
    cum = np.cumsum(prob, axis=1)
    u = sim.rng["network"].random(len(who))
    choice = np.minimum((cum < u[:, None] * cum[:, -1:]).sum(axis=1), prob.shape[1] - 1)
    stuck = cum[:, -1] <= 0
    go, stay = who[~stuck], who[stuck]
    c = choice[~stuck]
    C = len(world.crossing_names)
    formal, informal = go[c < C], go[c >= C]
    cf, ci = c[c < C], c[c >= C] - C
    a.state[go], a.crossing[go] = TRAVELLING, c
    a.target[formal], a.target[informal] = world.exit_post[cf], world.informal.from_place[ci]
    a.next_place[go], a.km_left[go], a.since[go] = -1, 0.0, day
    np.add.at(sim.flows["departures"][day], cf, 1)
    if len(informal):
        np.add.at(sim.informal_flows["informal_departures"][day], ci, 1)
    if len(stay):
        np.add.at(sim.settled, (a.place[stay], a.nat[stay], a.status[stay]), 1)
        a.state[stay] = FREE
