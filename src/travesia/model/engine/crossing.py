"""Phase 5, crossing: exit post, the walk along the strip between the posts, then entry post; each
post has a daily capacity, an admission rule and a first-come, first-served queue; refused people
are stranded (model.md §5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from travesia.scenario.admission import STATUSES, Rule
from travesia.model.engine.agents import ONWARD, QUEUED_ENTRY, QUEUED_EXIT, STRANDED
from travesia.model.engine.tally import select_states

REGULAR = STATUSES.index("regular")

if TYPE_CHECKING:
    from travesia.model.engine.simulation import Simulation


def admits(sim: Simulation, rule: Rule, post_place: int, who: np.ndarray) -> np.ndarray:
    """Whether each agent in `who` passes `rule` at the post `post_place`."""
    if rule.admits_everyone:
        return np.ones(len(who), dtype=bool)
    a, world = sim.agents, sim.world
    nat = a.view("nat")[who]
    national = world.nat_country[nat] == world.place_country[post_place]
    return rule.admits(a.view("traits")[who], a.view("status")[who], national, nat)


def first_come(indices: np.ndarray, since: np.ndarray) -> np.ndarray:
    """Queue order: by day joined, then by slot (slots are in arrival order)."""
    return indices[np.argsort(since[indices], kind="stable")]


def processed_today(sim: Simulation, c: int, post: str) -> int:
    """Whole people a post can process today; fractional capacity carries over to the next day."""
    cap = (sim.policy.exit_capacity if post == "exit" else sim.policy.entry_capacity)[c]
    carry = sim.capacity_carry[post]
    total = cap + carry[c]
    n = int(np.floor(total + 1e-9))
    carry[c] = total - n
    return n


def strip_walk_days(sim: Simulation, c: int) -> int:
    """Whole days spent walking the strip between the posts (0 when it is walked within the day)."""
    return int(sim.world.strip_km[c] // sim.params.walk_km_per_day)


def within_reception(sim: Simulation, entry_post: int, who: np.ndarray,
                     ok: np.ndarray) -> np.ndarray:
    """`ok` (who the entry post lets in) limited by the country's capacity to receive (a
    `reception` event): non-nationals past the cap are refused, first come first. Counts them
    against the cap (nationals never count)."""
    country = int(sim.world.place_country[entry_post])
    left = int(sim.policy.reception_left[country])
    if left < 0 or len(who) == 0:
        return ok
    foreign = sim.world.nat_country[sim.agents.view("nat")[who]] != country
    counted = np.flatnonzero(ok & foreign)
    ok = ok.copy()
    ok[counted[left:]] = False
    sim.policy.reception_left[country] = left - min(left, len(counted))
    return ok


def reception_full(sim: Simulation, entry_post: int, who: np.ndarray) -> np.ndarray:
    """[len(who)] whether the country of `entry_post` has no room left for each (non-nationals once
    its reception cap is spent)."""
    country = int(sim.world.place_country[entry_post])
    if sim.policy.reception_left[country] != 0:
        return np.zeros(len(who), dtype=bool)
    return sim.world.nat_country[sim.agents.view("nat")[who]] != country


def cross(sim: Simulation, day: int) -> np.ndarray:
    """Process the queues of every crossing; return the agents held at crossings (for phase 6)."""
    world, policy, a = sim.world, sim.policy, sim.agents
    state, since = a.view("state"), a.view("since")
    nat, status, place = a.view("nat"), a.view("status"), a.view("place")
    flows = sim.flows
    # one pass over all agents; the rest works on those at a crossing
    held = select_states(state, QUEUED_EXIT, QUEUED_ENTRY, STRANDED)
    held_crossing = a.view("crossing")[held]
    for c in range(len(world.crossing_names)):
        at_c = held[held_crossing == c]
        if len(at_c) == 0:
            continue
        exit_post, entry_post = int(world.exit_post[c]), int(world.entry_post[c])
        corridor_left = int(policy.corridor_per_day[c]) if policy.corridor(day)[c] else 0

        # stranded people rejoin a queue when the rule now admits them, or a corridor has room
        for post, post_place, rule, queue_state in (
            ("exit", exit_post, policy.exit_rule[c], QUEUED_EXIT),
            ("entry", entry_post, policy.entry_rule[c], QUEUED_ENTRY),
        ):
            stuck = at_c[(state[at_c] == STRANDED) & (place[at_c] == post_place)]
            if len(stuck) == 0:
                continue
            ok = admits(sim, rule, post_place, stuck)
            if post == "entry" and corridor_left > 0:
                rest = first_come(stuck[~ok], since)[:corridor_left]
                ok[np.isin(stuck, rest)] = True
            if post == "entry":             # nobody queues again for a country that is full
                ok &= ~reception_full(sim, post_place, stuck)
            state[stuck[ok]] = queue_state

        # exit post; those who pass walk the strip and reach the entry queue `walk` days later
        queue = first_come(at_c[state[at_c] == QUEUED_EXIT], since)
        served = queue[: processed_today(sim, c, "exit")]
        if len(served):
            ok = admits(sim, policy.exit_rule[c], exit_post, served)
            passed, refused = served[ok], served[~ok]
            state[passed], place[passed], since[passed] = (
                QUEUED_ENTRY,
                entry_post,
                day + strip_walk_days(sim, c),
            )
            state[refused], since[refused] = STRANDED, day
            flows["exits"][day, c] += len(passed)
            flows["refused"][day, c] += len(refused)

        # entry post: those still on the strip (joined in the future) wait for tomorrow
        waiting = at_c[(state[at_c] == QUEUED_ENTRY) & (since[at_c] <= day)]
        queue = first_come(waiting, since)
        served = queue[: processed_today(sim, c, "entry")]
        if len(served):
            ok = admits(sim, policy.entry_rule[c], entry_post, served)
            corridor = np.zeros(len(served), dtype=bool)
            if corridor_left > 0:
                corridor[np.flatnonzero(~ok)[:corridor_left]] = True
                ok |= corridor
            ok = within_reception(sim, entry_post, served, ok)
            flows["corridor"][day, c] += int((corridor & ok).sum())
            passed, refused = served[ok], served[~ok]
            state[passed] = ONWARD
            a.target[passed] = world.destination[c]
            a.next_place[passed] = -1
            state[refused], since[refused] = STRANDED, day
            flows["entries"][day, c] += len(passed)
            flows["refused"][day, c] += len(refused)
            sim.record_news(c, nat[passed], status[passed], ok=True)
            if sim.into_network[c]:     # let in at the post: regular in the new country (§4b)
                status[passed] = REGULAR
    return held
