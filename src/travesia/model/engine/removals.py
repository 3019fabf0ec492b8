"""Phase 7, removals: each removal campaign in force takes up to its daily capacity of people of its
statuses (and nationality) by flight or bus to another country: first those stranded or sheltered
at a crossing it names (first come, first served), then settled people of the cities it names,
drawn at random among them (model.md §7). Removed people leave the simulation; their count stays
at the place they were taken from (the `removed` state)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from travesia.model.engine.agents import FREE, SHELTERED, STRANDED
from travesia.model.engine.crossing import first_come

if TYPE_CHECKING:
    from travesia.model.engine.simulation import Simulation
    from travesia.model.engine.timeline import Removal


def capacity_today(removal: Removal) -> int:
    """Whole people a campaign can remove today; a fraction carries to the next day (unused whole
    places do not: a flight that leaves half empty does not seat more tomorrow)."""
    total = removal.per_day + removal.carry
    n = int(np.floor(total + 1e-9))
    removal.carry = total - n
    return n


def remove_held(sim: Simulation, day: int, removal: Removal, seats: int) -> int:
    """Take up to `seats` people stranded or sheltered at the campaign's crossings; return how many
    were taken."""
    a = sim.agents
    taken = 0
    state, nat, status = a.view("state"), a.view("nat"), a.view("status")
    for c in removal.crossings:
        if taken >= seats:
            break
        mine = ((a.view("crossing") == c) & ((state == STRANDED) | (state == SHELTERED))
                & removal.statuses[status])
        if removal.nationality >= 0:
            mine &= nat == removal.nationality
        board = first_come(np.flatnonzero(mine), a.view("since"))[:seats - taken]
        np.add.at(sim.removed, (a.view("place")[board], nat[board], status[board]), 1)
        state[board] = FREE
        sim.flows["removed"][day, c] += len(board)
        sim.record_news(int(c), nat[board], status[board], ok=False)
        taken += len(board)
    return taken


def remove_settled(sim: Simulation, removal: Removal, seats: int) -> int:
    """Take up to `seats` settled people of the campaign's statuses and nationality from its
    cities, drawn without replacement among all of them; return how many were taken."""
    if seats <= 0 or len(removal.places) == 0:
        return 0
    cells = sim.settled[removal.places]                       # [places, N, S]
    mask = np.zeros(cells.shape[1:], dtype=bool)
    if removal.nationality >= 0:
        mask[removal.nationality] = removal.statuses
    else:
        mask[:] = removal.statuses
    pool = np.where(mask[None], cells, 0).ravel()
    total = int(pool.sum())
    take = min(seats, total)
    if take == 0:
        return 0
    drawn = pool if take == total else sim.rng["removals"].multivariate_hypergeometric(pool, take)
    drawn = drawn.reshape(cells.shape)
    sim.settled[removal.places] -= drawn
    sim.removed[removal.places] += drawn
    return take


def removals(sim: Simulation, day: int) -> None:
    for removal in sim.policy.removals:
        if removal.until < day:
            continue
        seats = capacity_today(removal)
        taken = remove_held(sim, day, removal, seats) if len(removal.crossings) else 0
        taken += remove_settled(sim, removal, seats - taken)
        sim.removed_by[removal.label][day] += taken
