"""The per-agent passes of a Flee day, as numba kernels over plain arrays (docs/flee.md, "One day").

Agent state is one array per attribute: `where` is a place index for an agent at a place and a
link index for an agent on a link (`on_link` tells which); `-1` is an agent taken out by a sink
camp. Agents are visited in the order they were created, as Flee visits its list, so counts seen
by later agents include earlier agents' moves of the same day (capacity feedback within a day).

Pass 1 (`move_pass(1, ...)`): every agent at a place leaves with that place's move chance,
chooses a route if it holds none, and steps onto the route's next link. Pass 2
(`move_pass(2, ...)`): every agent on a link advances; on arrival with time left it decides again
and may hop on. Distance a day is bounded by the link speed (Flee lets a hop start a fresh day's
distance; docs/flee.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .agents import AT_PLACE, AT_PLACE_PLANNED, GONE, ON_LINK


@njit(cache=True, inline="always")
def cap_multiplier(count: float, capacity: float, buffer: float) -> float:
    """1 below buffer*capacity, 0 at or above capacity, linear between; 1 when unlimited (< 1)."""
    if capacity < 1.0:
        return 1.0
    if count <= buffer * capacity:
        return 1.0
    if count >= capacity:
        return 0.0
    return 1.0 - (count - buffer * capacity) / (capacity * (1.0 - buffer))


@njit(cache=True, inline="always")
def choose_route(place, u, r_start, r_end, r_base, r_wpow, place_count, capacity, buffer, weight_power,
                 scratch):
    """Index of the chosen candidate route of `place`, -1 if it has none. One weighted draw with
    the uniform `u`; uniform when every weight is 0. `r_wpow` is the weight with a capacity
    multiplier of 1 (the common case); a route whose end camp is past its buffer is weighed
    afresh (without a pow call for the usual weight_power 1: it costs ~30 ns)."""
    a = r_start[place]
    b = r_start[place + 1]
    if b == a:
        return -1
    total = 0.0
    for r in range(a, b):
        e = r_end[r]
        cap = capacity[e]
        if cap >= 1.0 and place_count[e] > buffer * cap:
            w = r_base[r] * cap_multiplier(place_count[e], cap, buffer)
            if w <= 0.0:
                w = 0.0
            elif weight_power != 1.0:
                w = w ** weight_power
        else:
            w = r_wpow[r]
        scratch[r - a] = w
        total += w
    if total <= 0.0:
        k = a + int(u * (b - a))
        return k if k < b else b - 1
    target = u * total
    acc = 0.0
    for r in range(a, b):
        acc += scratch[r - a]
        if target < acc:
            return r
    return b - 1


@njit(cache=True, inline="always")
def trials_to_success(u, scale):
    """Geometric draw: number of Bernoulli(p) trials up to and including the first success, from
    a uniform `u` and scale = 1 / -log(1 - p) (0 when p = 1, -1 when p = 0: never)."""
    if scale < 0.0:
        return 1 << 62
    if scale == 0.0:
        return 1
    return 1 + int(-np.log(1.0 - u) * scale)


@njit(cache=True)
def draw_countdowns(rng, gap_scale, countdown):
    for p in range(len(gap_scale)):
        countdown[p] = trials_to_success(rng.random(), gap_scale[p])


@njit(cache=True, inline="always")
def leave_code(i, force_town, where, route_len, route_pos, town, countdown):
    """The move-chance trial of agent i at a place: 0 stays; 1 leaves (it holds a planned route,
    or is forced out of a town by avoid_short_stints: chance 1); 2 leaves on the place's move
    chance, and the caller draws the place's next gap. A place's Bernoulli trials are drawn as
    geometric gaps (`countdown`): same law, one draw per departure instead of one per agent.
    (No generator is passed to per-agent helpers: numba then boxes it per call, 15x slower.)"""
    p = where[i]
    if route_pos[i] < route_len[i] or (force_town and town[p]):
        return 1
    countdown[p] -= 1
    if countdown[p] <= 0:
        return 2
    return 0


@njit(cache=True)
def move_pass(phase, day, n, n_travellers, rng, agents, places, links, routes, rules):
    """phase 1: departures of every agent at a place (Flee's Person.evolve); lists, in creation
    order, every agent on a link after it (`travellers`) and returns how many.
    phase 2: every listed agent advances; on arrival with time left it decides again and may hop
    on (Flee's finish_travel). Only travellers are visited: an agent that did not move today only
    halves its recent-travel memory, which is kept lazily as (value, day it was computed); the
    day's distance and share of the day used live in locals, as they start each day at 0.
    One body for both phases so the departure rule is written once and stays inside one function
    (per-agent calls that take arrays cost ~300 ns each in numba). The arguments are the tuples
    of kernels.move_day."""
    (state, where, dist_on_link, recent, recent_day, places_travelled,
     route, route_len, route_pos, travellers) = agents
    gap_scale, town, camp, capacity, place_count, countdown = places
    link_src, link_dst, link_km, link_speed, link_walk, link_open, link_count, adj_start, adj_link = links
    r_start, r_nodes, r_len, r_end, r_first, r_base, r_wpow, scratch = routes
    buffer, weight_power, max_move_speed, max_walk_speed, start_on_foot, avoid_short_stints, fresh_hop = rules
    m = 0
    if phase == 1:
        draw_countdowns(rng, gap_scale, countdown)
    count = n if phase == 1 else n_travellers
    for j in range(count):
        i = j if phase == 1 else travellers[j]
        moved_km = 0.0
        day_used = 0.0
        if phase == 1:
            # the scan over every agent reads one byte for most (state), and for an agent at a
            # place without a plan only its place's countdown
            st = state[i]
            if st == AT_PLACE:
                p = where[i]
                countdown[p] -= 1
                if countdown[p] > 0:
                    continue
                countdown[p] = trials_to_success(rng.random(), gap_scale[p])
            elif st == ON_LINK:
                travellers[m] = i
                m += 1
                continue
            elif st == GONE:
                continue
            leaving = True  # AT_PLACE on its move chance, or AT_PLACE_PLANNED
        else:
            leaving = False
            # recent-travel memory as of the end of yesterday (halved each day without travel)
            gap = day - 1 - recent_day[i]
            if gap > 0:
                recent[i] = recent[i] * 0.5 ** gap if gap < 60 else 0.0
            recent_day[i] = day - 1
        while leaving or state[i] == ON_LINK:
            if leaving:
                # -- departure: choose a route if none is held, step onto its next link
                leaving = False
                p = where[i]
                k = -1
                if route_pos[i] >= route_len[i]:
                    r = choose_route(p, rng.random(), r_start, r_end, r_base, r_wpow, place_count, capacity,
                                     buffer, weight_power, scratch)
                    if r < 0:
                        break
                    hops = r_len[r]
                    for h in range(hops):
                        route[i, h] = r_nodes[r, h]
                    route_len[i] = hops
                    route_pos[i] = 0
                    k = r_first[r]  # routes are enumerated over open links only
                else:  # a planned route goes on (past a marker): the next open link to its next place
                    nxt = route[i, route_pos[i]]
                    for a in range(adj_start[p], adj_start[p + 1]):
                        kk = adj_link[a]
                        if link_dst[kk] == nxt and link_open[kk]:
                            k = kk
                            break
                dest = route[i, route_len[i] - 1]
                if k < 0 or (camp[dest] and cap_multiplier(place_count[dest], capacity[dest], buffer) < 0.5):
                    route_len[i] = 0  # next link closed or end camp full: plan dropped, stay today
                    route_pos[i] = 0
                    state[i] = AT_PLACE
                    break
                route_pos[i] += 1
                if route_pos[i] >= route_len[i]:
                    route_len[i] = 0
                    route_pos[i] = 0
                place_count[p] -= 1
                link_count[k] += 1
                where[i] = k
                state[i] = ON_LINK
                dist_on_link[i] = 0.0
                if phase == 1:
                    travellers[m] = i
                    m += 1
                    break
            if state[i] != ON_LINK:
                break
            # -- travel on the link
            k = where[i]
            speed = link_speed[k]
            if start_on_foot and places_travelled[i] == 1:
                speed = max_walk_speed
            if link_walk[k] > 0.0 and rng.random() < link_walk[k]:
                speed = max_walk_speed
            avail = speed if fresh_hop else speed * (1.0 - day_used)
            if avail <= 0.0:
                break
            remaining = link_km[k] - dist_on_link[i]
            if avail <= remaining:  # still on the link at the end of the day
                dist_on_link[i] += avail
                moved_km += avail
                day_used = 1.0
                break
            day_used += remaining / speed
            moved_km += remaining
            if places_travelled[i] < 255:
                places_travelled[i] += 1
            link_count[k] -= 1
            state[i] = AT_PLACE_PLANNED if route_pos[i] < route_len[i] else AT_PLACE
            dist_on_link[i] = 0.0
            if not link_open[k]:  # link closed while on it: back where it started
                where[i] = link_src[k]
                place_count[link_src[k]] += 1
                break
            p = link_dst[k]
            where[i] = p
            place_count[p] += 1
            if day_used >= 1.0:
                break
            # (recent + moved / max) / 2 < 0.5, without a division
            force = avoid_short_stints and recent[i] * max_move_speed + moved_km < max_move_speed
            code = leave_code(i, force, where, route_len, route_pos, town, countdown)
            if code == 2:
                countdown[p] = trials_to_success(rng.random(), gap_scale[p])
            leaving = code > 0
            if not leaving:
                break
        if phase == 2:  # Flee's recent_travel_distance at the end of today
            recent[i] = (recent[i] + moved_km / max_move_speed) / 2.0
            recent_day[i] = day
    return m


@njit(cache=True)
def move_day(day, n, rng, agents, places, links, routes, rules):
    """Both passes of a day (one call from Python instead of two). The state comes as tuples:
    agents = AgentArrays.state(); places = (gap_scale, town, camp, capacity, place_count,
    countdown); links = (src, dst, km, speed, walk_probability, open, count, adj_start,
    adj_link); routes = (start, nodes, length, end, base weight, weight ** power, scratch);
    rules = (capacity_buffer, weight_power, max_move_speed, max_walk_speed, start_on_foot,
    avoid_short_stints, fresh_hop)."""
    m = move_pass(1, day, n, 0, rng, agents, places, links, routes, rules)
    move_pass(2, day, n, m, rng, agents, places, links, routes, rules)


@njit(cache=True)
def end_of_day(n, rng, state, where, camp, place_count, deactivation):
    """Sink camps (camps_are_sinks): agents at a camp leave the simulation with the camp's
    deactivation_probability. Returns the number taken out today."""
    removed = 0
    for i in range(n):
        if state[i] == AT_PLACE or state[i] == AT_PLACE_PLANNED:
            p = where[i]
            if camp[p] and deactivation[p] > 0.0 and rng.random() < deactivation[p]:
                state[i] = GONE
                place_count[p] -= 1
                removed += 1
    return removed
