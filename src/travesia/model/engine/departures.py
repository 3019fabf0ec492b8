"""Phases 2 and 3: settled people consider leaving (binomial draws per cell), then choose an exit
among the crossings and staying put, by distance and the believed chance of getting through
(model.md §2–3); before a rule change at a crossing, those it would shut out rush to it
("Rushes", model.md §2)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from travesia.errors import ScenarioError
from travesia.model.engine.agents import TRAVELLING
from travesia.model.engine.informal import informal_utilities
from travesia.model.engine.timeline import PolicyState, apply_event
from travesia.model.world import World

if TYPE_CHECKING:
    from travesia.model.engine.simulation import Simulation


def response_by_cell(nationality_response: dict, nationalities: list[str],
                     statuses: list[str]) -> np.ndarray:
    """[N, S] the multiplier of the departure rate by nationality and status: a nationality's
    number applies to all its statuses, a mapping to the statuses it names; missing = 1."""
    out = np.ones((len(nationalities), len(statuses)))
    for n, nat in enumerate(nationalities):
        response = nationality_response.get(nat, 1.0)
        if isinstance(response, dict):
            out[n] = [response.get(s, 1.0) for s in statuses]
        else:
            out[n] = response
    return out


def group_tilt(group_response: dict, world) -> tuple[np.ndarray, np.ndarray] | None:
    """With group responses: ([N, S] mean multiplier of a cell's departure rate, [N, S, K] the
    trait shares of those who leave, tilted towards the groups that respond more); None without
    (model.md §2)."""
    if not group_response:
        return None
    vocab = world.vocabulary
    per_mask = np.ones(len(world.trait_masks))
    for group, factor in group_response.items():
        if group not in vocab.groups:        # a --params file names a group the scenario lacks
            raise ScenarioError(f"unknown group (the scenario declares: "
                                f"{', '.join(vocab.groups) or 'none'})",
                                field=f"parameters.group_response.{group}")
        per_mask = np.where((world.trait_masks & vocab.bit(group)) != 0, per_mask * factor,
                            per_mask)
    weighted = world.trait_shares * per_mask                                   # [N, S, K]
    mean = weighted.sum(axis=-1)
    shares = np.divide(weighted, mean[..., None], out=world.trait_shares.copy(),
                       where=mean[..., None] > 0)
    return mean, shares


def admitted_shares(world: World, policy: PolicyState) -> np.ndarray:
    """[C, N, S] share of each nationality and status whose documents and groups both posts of a
    crossing admit under the rules of `policy`."""
    C, N, S = len(world.crossing_names), len(world.nationalities), len(world.statuses)
    traits = world.trait_masks[:, None, None]                                   # [K, 1, 1]
    status = np.arange(S)[None, None, :]                                        # [1, 1, S]
    shares = np.zeros((C, N, S))
    for c in range(C):
        ok = np.ones((len(traits), N, S), dtype=bool)
        for rule, post in ((policy.exit_rule[c], world.exit_post[c]),
                           (policy.entry_rule[c], world.entry_post[c])):
            national = (world.nat_country == world.place_country[post])[None, :, None]
            ok &= rule.admits(traits, status, national, np.arange(N)[None, :, None])
        shares[c] = np.einsum("nsk,kns->ns", world.trait_shares, ok)
    return shares


@dataclass(frozen=True)
class Rush:
    """A rule change at crossing `crossing` from day `closes`, known from day `known`: `shut[n, s]`
    is the share of each nationality and status it shuts out (who hurry to cross before it)."""

    crossing: int
    known: int
    closes: int
    shut: np.ndarray                  # [N, S]


def compile_rushes(world: World, events) -> list[Rush]:
    """The rushes of a timeline: one per deadline event with a crossing. If admission events at that
    crossing take effect on the deadline, the shut out are those the old rules admit and the new
    ones refuse; otherwise (a benefit lost, such as a permit for those who entered before a date)
    everyone of the event's statuses (and nationality) that the rules admit."""
    rushes = []
    ordered = sorted(events, key=lambda ev: ev.date)
    for ev in ordered:
        if ev.type != "deadline" or ev.crossing is None:
            continue
        c = world.crossing_index(ev.crossing)
        policy = PolicyState.initial(world)
        for other in ordered:
            if other.date < ev.deadline:
                apply_event(policy, world, other, max((other.date - world.start).days, 0))
        before = admitted_shares(world, policy)[c]
        changes = [o for o in ordered if o.type == "admission" and o.date == ev.deadline
                   and o.crossing == ev.crossing]
        for other in changes:
            apply_event(policy, world, other, (other.date - world.start).days)
        shut = np.clip(before - admitted_shares(world, policy)[c], 0.0, 1.0) if changes else before
        targeted = np.zeros(shut.shape, dtype=bool)
        for status in ev.statuses:
            if status in world.statuses:
                targeted[:, world.statuses.index(status)] = True
        if ev.nationality is not None:
            targeted &= (np.array(world.nationalities) == ev.nationality)[:, None]
        rushes.append(Rush(c, (ev.date - world.start).days, (ev.deadline - world.start).days,
                           np.where(targeted, shut, 0.0)))
    return rushes


def rush_pressure(sim: Simulation, day: int) -> np.ndarray | None:
    """[P, N, S, C] rush pressure today, or None when there is none (no rush in the timeline, or
    `rush_response` 0): for each rush, its shut-out share × exp(−days_to_spare / rush_horizon_days)
    where days_to_spare = the last day of the old rule − today − the days of road from the place to
    the crossing; 0 before the rule is known and for those who can no longer reach it in time."""
    p, world = sim.params, sim.world
    if p.rush_response == 0.0 or not sim.rushes:
        return None
    P, N, S = sim.settled.shape
    out = np.zeros((P, N, S, len(world.crossing_names)))
    for rush in sim.rushes:
        if not rush.known <= day < rush.closes:
            continue
        km = world.dist_km[:, world.exit_post[rush.crossing]]
        road_days = np.where(np.isfinite(km),
                             np.maximum(np.ceil(np.where(np.isfinite(km), km, 0.0)
                                                / p.speed_km_per_day) - 1, 0), math.inf)
        spare = (rush.closes - 1) - day - road_days                               # [P]
        felt = np.where(spare >= 0, np.exp(-np.maximum(spare, 0) / p.rush_horizon_days), 0.0)
        out[:, :, :, rush.crossing] += felt[:, None, None] * rush.shut[None]
    return out


def departure_rates(sim: Simulation, day: int) -> np.ndarray:
    """[P, N, S] daily chance that a settled person considers leaving today."""
    p, policy, world = sim.params, sim.policy, sim.world
    base = np.array([p.departure_rate_per_day.get(s, 0.0) for s in world.statuses])
    days_left = policy.deadline_day - day
    felt = policy.deadline_day < 10**8
    pressure = np.where(felt, np.exp(-np.maximum(days_left, 0) / p.deadline_horizon_days), 0.0)
    threat = policy.threat_by_place()[:, None]                                  # [P, 1]
    rate_ps = base * (1.0 + p.threat_response * threat + p.deadline_response * pressure)
    return np.clip(sim.cell_response[None] * rate_ps[:, None, :], 0.0, 1.0)


def depart(sim: Simulation, day: int) -> np.ndarray:
    """[P, N, S] people who consider leaving today (they may still choose to stay)."""
    rates = departure_rates(sim, day)
    rush = rush_pressure(sim, day)
    if rush is not None:
        rates = np.clip(rates * (1.0 + sim.params.rush_response * rush.sum(axis=-1)), 0.0, 1.0)
    return sim.rng["departures"].binomial(sim.settled, rates)


def exit_utilities(sim: Simulation, day: int | None = None) -> np.ndarray:
    """[P, N, S, C + I + 1] utility of each crossing, then of each informal crossing (none where a
    scenario has none), last of staying put, for someone at P of (N, S); on `day`, a crossing
    with a rush pulls by log(1 + rush_response × pressure)."""
    p, world = sim.params, sim.world
    C = len(world.crossing_names)
    dist = world.dist_km[:, world.exit_post]                                   # [P, C]
    reachable = np.isfinite(dist)
    dist = np.where(reachable, dist, 0.0)
    pref = np.zeros((C, len(world.nationalities)))
    for ci, name in enumerate(world.crossing_names):
        for ni, nat in enumerate(world.nationalities):
            pref[ci, ni] = p.crossing_preference.get(name, {}).get(nat, 0.0)
    belief = np.log(np.maximum(sim.belief, p.belief_floor))                  # [C, N, S]
    u = (pref.T[None, :, None, :]                                              # [1, N, 1, C]
         - p.distance_cost_per_1000km * dist[:, None, None, :] / 1000.0        # [P, 1, 1, C]
         + p.belief_weight * np.moveaxis(belief, 0, -1)[None])                 # [1, N, S, C]
    rush = None if day is None else rush_pressure(sim, day)
    if rush is not None:
        u = u + np.log1p(p.rush_response * rush)
    u = np.where(reachable[:, None, None, :], u, -np.inf)
    stay = np.full(u.shape[:3] + (1,), p.stay_utility)
    if len(world.informal):
        informal = informal_utilities(sim)
        informal = np.broadcast_to(informal, u.shape[:3] + informal.shape[-1:])
        return np.concatenate([u, informal, stay], axis=-1)
    return np.concatenate([u, stay], axis=-1)


def choose_exit(sim: Simulation, day: int, considering: np.ndarray) -> None:
    """Split who considers leaving among crossings and staying; those who go become agents."""
    world, rng = sim.world, sim.rng["exit_choice"]
    cells = np.argwhere(considering > 0)
    if len(cells) == 0:
        return
    u = exit_utilities(sim, day)
    u = u - u.max(axis=-1, keepdims=True)
    prob = np.exp(u)
    prob /= prob.sum(axis=-1, keepdims=True)
    C = len(world.crossing_names)
    trait_shares = sim.leaver_traits
    for pl, n, s in cells:
        counts = rng.multinomial(considering[pl, n, s], prob[pl, n, s])
        # crossings, then informal crossings (crossing C + i: to its origin side); last: staying
        for j in np.flatnonzero(counts[:-1]):
            k = int(counts[j])
            traits = np.repeat(world.trait_masks, rng.multinomial(k, trait_shares[n, s]))
            rng.shuffle(traits)
            target = world.exit_post[j] if j < C else world.informal.from_place[j - C]
            sim.agents.add(k, state=TRAVELLING, place=pl, target=target, crossing=j, nat=n,
                           status=s, traits=traits, since=day)
            if sim.newly[pl, n, s]:
                sim.unsettle((pl, n, s), k)
            sim.settled[pl, n, s] -= k
            if j < C:
                sim.flows["departures"][day, j] += k
            else:
                sim.informal_flows["informal_departures"][day, j - C] += k
