"""Phase 6, stranded choices: each day a stranded person boards an offered flight, takes an offered
shelter place, tries to cross at night (success falls with troops and a state of emergency), gives
up and goes back, or waits (model.md §6). Return flights from a city take settled people too."""

from __future__ import annotations

import numpy as np

from .agents import FREE, ONWARD, RETURNING, SHELTERED, STRANDED
from .crossing import first_come
from .tally import select_states


def night_crossing_success(sim, day: int) -> np.ndarray:
    """[C] chance that one night attempt succeeds."""
    p, policy = sim.params, sim.policy
    success = p.irregular_success * np.exp(-p.enforcement_per_100_personnel * policy.personnel / 100.0)
    return success * np.where(policy.emergency(day), p.emergency_success_factor, 1.0)


def giveup_chance(sim) -> np.ndarray:
    """[C] daily chance that a stranded person gives up."""
    p = sim.params
    return np.clip(p.giveup_rate_per_day + p.giveup_per_100_personnel * sim.policy.personnel / 100.0, 0.0, 1.0)


def board_flights(sim, day: int) -> None:
    a = sim.agents
    for flight in sim.policy.flights_today:
        seats = flight.seats
        if flight.crossing >= 0:
            state, nat = a.view("state"), a.view("nat")
            who = np.flatnonzero((state == STRANDED) & (a.view("crossing") == flight.crossing)
                                 & ((nat == flight.nationality) if flight.nationality >= 0 else True))
            board = first_come(who, a.view("since"))[:seats]
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
            willing = int(sim.rng["stranded_choices"].binomial(pool.sum(), sim.params.flight_uptake)) if pool.sum() else 0
            take = min(seats, willing)
            if take:
                drawn = sim.rng["stranded_choices"].multivariate_hypergeometric(pool, take)
                sub = np.zeros_like(cells)
                sub[mask] = drawn.reshape(-1, cells.shape[1])
                sim.settled[flight.place] -= sub
                sim.flown[flight.place] += sub


def stranded_choices(sim, day: int, held: np.ndarray | None = None) -> None:
    """`held`: agents at crossings after phase 5 (a superset of the stranded), to spare a pass."""
    board_flights(sim, day)
    a, world, policy, rng, p = sim.agents, sim.world, sim.policy, sim.rng["stranded_choices"], sim.params
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
            room = max(0, int(policy.shelter_capacity[c]) - sheltered)
        u = rng.random((len(stuck), 4))
        if room:
            wants = np.flatnonzero(u[:, 0] < p.shelter_uptake_per_day)[:room]
            taken = stuck[wants]
            state[taken], place[taken] = SHELTERED, policy.shelter_place[c]
            keep = np.ones(len(stuck), dtype=bool)
            keep[wants] = False
            stuck, u = stuck[keep], u[keep]
        crossed = (u[:, 1] < p.irregular_attempt_rate_per_day) & (u[:, 2] < success[c])
        gave_up = ~crossed & (u[:, 3] < giveup[c])
        went = stuck[crossed]
        state[went], place[went] = ONWARD, world.entry_post[c]
        a.target[went], a.next_place[went] = world.destination[c], -1
        back = stuck[gave_up]
        state[back], place[back] = RETURNING, world.exit_post[c]
        a.target[back], a.next_place[back] = world.return_place[c], -1
        sim.flows["irregular"][day, c] += len(went)
        sim.flows["gave_up"][day, c] += len(back)
        sim.record_news(c, nat[went], status[went], ok=True)
        sim.record_news(c, nat[back], status[back], ok=False)

    # sheltered people leave to settle where the shelter is, and all leave when it closes
    if policy.shelter_until.max() < 0:      # no shelter has ever opened: nobody is sheltered
        return
    housed = select_states(state, SHELTERED)
    if len(housed):
        closing = policy.shelter_until[crossing[housed]] < day
        leave = closing | (rng.random(len(housed)) < p.shelter_leave_per_day)
        gone = housed[leave]
        np.add.at(sim.settled, (place[gone], nat[gone], status[gone]), 1)
        state[gone] = FREE
