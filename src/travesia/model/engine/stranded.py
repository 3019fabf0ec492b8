"""Phase 6, stranded choices: each day a stranded person boards an offered flight, takes an offered
shelter place, tries to cross at night (success falls with troops and a state of emergency; those
caught are returned to the line), gives up and goes back if the exit post lets them back in, or
waits (model.md §6). Return flights from a city take settled people too."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from travesia.model.engine.agents import FREE, ONWARD, RETURNING, SHELTERED, STRANDED
from travesia.scenario.admission import STATUSES
from travesia.model.engine.crossing import admits, first_come
from travesia.model.engine.tally import select_states

IRREGULAR = STATUSES.index("irregular")

if TYPE_CHECKING:
    from travesia.model.engine.simulation import Simulation


def night_crossing_success(sim: Simulation, day: int, policy=None) -> np.ndarray:
    """[C] chance that one night attempt succeeds (under `policy`, default the policy in force)."""
    p, policy = sim.params, policy or sim.policy
    success = p.irregular_success * np.exp(-p.enforcement_per_100_personnel * policy.personnel
                                           / 100.0)
    return success * np.where(policy.emergency(day), p.emergency_success_factor, 1.0)


def giveup_chance(sim: Simulation, policy=None) -> np.ndarray:
    """[C] daily chance that a stranded person gives up: from giveup_rate_per_day with nobody
    posted towards giveup_max_per_day (< 1) as soldiers and police grow (a saturating hazard)."""
    p, policy = sim.params, policy or sim.policy
    rise = max(p.giveup_max_per_day - p.giveup_rate_per_day, 0.0)
    return p.giveup_rate_per_day + rise * (1.0 - np.exp(-p.giveup_per_100_personnel
                                                        * policy.personnel / 100.0))


def board_flights(sim: Simulation, day: int) -> None:
    a = sim.agents
    for flight in sim.policy.flights_today:
        seats = flight.seats
        if flight.crossing >= 0:
            # people of the crossing in its shelter board first (registered for the flight), then
            # the stranded
            state, nat = a.view("state"), a.view("nat")
            mine = (a.view("crossing")
                    == flight.crossing) & ((nat == flight.nationality) if flight.nationality >= 0
                                                              else True)
            board = np.concatenate([first_come(np.flatnonzero(mine & (state == wanted)),
                                               a.view("since"))
                                    for wanted in (SHELTERED, STRANDED)])[:seats]
            np.add.at(sim.flown, (flight.place, nat[board], a.view("status")[board]), 1)
            state[board] = FREE
            sim.flows["flown"][day, flight.crossing] += len(board)
            sim.record_news(flight.crossing, nat[board], a.view("status")[board], ok=False)
            seats -= len(board)
        else:
            cells = sim.settled[flight.place]                       # [N, S]
            if flight.nationality >= 0:
                mask = np.zeros(cells.shape[0], dtype=bool)
                mask[flight.nationality] = True
            else:
                mask = np.ones(cells.shape[0], dtype=bool)
            pool = cells[mask].ravel()
            willing = (
                int(sim.rng["stranded_choices"].binomial(pool.sum(), sim.params.flight_uptake))
                if pool.sum()
                else 0
            )
            take = min(seats, willing)
            if take:
                drawn = sim.rng["stranded_choices"].multivariate_hypergeometric(pool, take)
                sub = np.zeros_like(cells)
                sub[mask] = drawn.reshape(-1, cells.shape[1])
                sim.unsettle(flight.place, sub)
                sim.settled[flight.place] -= sub
                sim.flown[flight.place] += sub


def stranded_choices(sim: Simulation, day: int, held: np.ndarray | None = None) -> None:
    """`held`: agents at crossings after phase 5 (a superset of the stranded), to spare a pass."""
    board_flights(sim, day)
    a, world, policy, rng, p = (
        sim.agents,
        sim.world,
        sim.policy,
        sim.rng["stranded_choices"],
        sim.params,
    )
    state, crossing, place = a.view("state"), a.view("crossing"), a.view("place")
    nat, status = a.view("nat"), a.view("status")
    success, giveup = night_crossing_success(sim, day), giveup_chance(sim)

    stuck_all = select_states(state, STRANDED) if held is None else held[state[held] == STRANDED]
    for c in np.unique(crossing[stuck_all]):
        stuck = first_come(stuck_all[crossing[stuck_all] == c], a.view("since"))
        # shelter places, if offered, go first come, first served to those who want one
        room = 0
        if policy.shelter_until[c] >= day:
            sheltered = np.count_nonzero((state == SHELTERED) & (crossing == c))
            room = max(0, int(policy.shelter_capacity[c]) - int(sheltered))
        u = rng.random((len(stuck), 4))
        if room:
            uptake = (
                p.shelter_uptake_per_day
                if np.isnan(policy.shelter_uptake[c])
                else policy.shelter_uptake[c]
            )
            offered = (
                (nat[stuck] == policy.shelter_nationality[c])
                if policy.shelter_nationality[c] >= 0
                else True
            )
            wants = np.flatnonzero((u[:, 0] < uptake) & offered)[:room]
            taken = stuck[wants]
            state[taken], place[taken] = SHELTERED, policy.shelter_place[c]
            keep = np.ones(len(stuck), dtype=bool)
            keep[wants] = False
            stuck, u = stuck[keep], u[keep]
        # a night attempt succeeds or is caught, and the caught are returned to the line
        tried = u[:, 1] < p.irregular_attempt_rate_per_day
        crossed = tried & (u[:, 2] < success[c])
        wants_back = ~crossed & (u[:, 3] < giveup[c])
        # from the strip, going back means passing the exit post the other way: its return rule
        on_strip = place[stuck] == world.entry_post[c]
        let_back = np.ones(len(stuck), dtype=bool)
        if wants_back.any() and not policy.return_rule[c].admits_everyone:
            let_back[on_strip] = admits(sim, policy.return_rule[c], int(world.exit_post[c]),
                                        stuck[on_strip])
        gave_up = wants_back & let_back
        went = stuck[crossed]
        state[went], place[went] = ONWARD, world.entry_post[c]
        a.target[went], a.next_place[went] = world.destination[c], -1
        back = stuck[gave_up]
        state[back], place[back] = RETURNING, world.exit_post[c]
        a.target[back], a.next_place[back] = world.return_place[c], -1
        kept_out = stuck[wants_back & ~let_back]
        flows = sim.flows
        flows["irregular_attempts"][day, c] += int(tried.sum())
        flows["irregular_caught"][day, c] += int((tried & ~crossed).sum())
        flows["irregular"][day, c] += len(went)
        flows["gave_up"][day, c] += len(back)
        flows["return_refused"][day, c] += len(kept_out)
        sim.record_news(c, nat[went], status[went], ok=True)
        sim.record_news(c, nat[back], status[back], ok=False)
        sim.record_news(c, nat[kept_out], status[kept_out], ok=False)
        if sim.into_network[c]:         # in by night: irregular in the new country (§4b)
            status[went] = IRREGULAR

    # sheltered people leave to settle where the shelter is, and all leave when it closes
    if policy.shelter_until.max() < 0:      # no shelter has ever opened: nobody is sheltered
        return
    housed = select_states(state, SHELTERED)
    if len(housed):
        closing = policy.shelter_until[crossing[housed]] < day
        leave = closing | (rng.random(len(housed)) < p.shelter_leave_per_day)
        gone = housed[leave]
        np.add.at(sim.settled, (place[gone], nat[gone], status[gone]), 1)
        sim.settle_newly(place[gone], nat[gone], status[gone])
        state[gone] = FREE
