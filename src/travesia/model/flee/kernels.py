"""The per-agent passes of a Flee day, as numba kernels over plain arrays (docs/flee.md, "One day").

Agent state is one array per attribute (agents.py): `state` says whether an agent is at a place
(with or without a planned route), on a link, or gone; `where` is a place index at a place and a
link index on a link. Agents are visited in the order they were created, as Flee visits its
list, so counts seen by later agents include earlier agents' moves of the same day (capacity
feedback within a day).

Pass 1 (`move_pass(1, ...)`): every agent at a place leaves with that place's move chance,
chooses a route if it holds none, and steps onto the route's next link. Pass 2
(`move_pass(2, ...)`): every agent on a link advances; on arrival with time left it decides again
and may hop on. Distance a day is bounded by the link speed (Flee lets a hop start a fresh day's
distance; docs/flee.md).

Random numbers come from xoshiro256+ (Blackman and Vigna, "Scrambled linear pseudorandom number
generators", ACM TOMS 47(4), 2021), whose 53 high bits are its authors' choice for doubles. Its
state is four uint64 seeded from the run's seed; inline, a draw costs ~1 ns, where a numpy
Generator's random() called from numba costs ~6 ns.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from travesia.model.flee.agents import (
    AT_PLACE,
    AT_PLACE_PLANNED,
    CHOSEN,
    GONE,
    ON_LINK,
    append_agents,
)

# A place whose move chance is at most this has its leavers drawn rather than found by visiting
# every agent resting there (camps: 0.001 by default). Visiting costs ~4 ns an agent a day; the
# draw costs ~n x move chance tries a day.
SAMPLED_MAX_MOVECHANCE = 0.01
# At a place whose move chance is at least this, each agent's trial is one draw (~1.5 ns); below
# it, the place draws the gap to its next departure instead (a log, ~15 ns, per departure).
PER_AGENT_MIN_MOVECHANCE = 0.1

_SHIFT_A = np.uint64(17)
_ROTATE = np.uint64(45)
_ROTATE_BACK = np.uint64(64 - 45)
_TO_53_BITS = np.uint64(11)
_INV_2_53 = 1.0 / 9007199254740992.0

# The move kernels never meet a NaN or an infinity (speeds are checked above 0 before any
# division, draws are below 1 before a log), so LLVM may drop the NaN branches of float
# comparisons; rounding is untouched (no reassociation, no fused multiply-add), so a run is the
# same bit for bit. ~10% of the kernel's time.
NO_NAN_OR_INF = {"nnan", "ninf", "nsz"}

# Indices in the kernel are unsigned (agents.INDEX, world.py, routes.py): numba indexes with a
# signed integer through a negative-index check, ~15% of the kernel's time when measured. Signed
# and unsigned 64-bit integers mix into a float64 in numba, hence these typed constants.
_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_NO_LINK = np.uint64(np.iinfo(np.uint64).max)


def new_seed_state(seed: int, stream: int) -> np.ndarray:
    """The generator's state for a run's seed and a stream number (never all zeros)."""
    state = np.random.SeedSequence(entropy=seed, spawn_key=(stream,)).generate_state(4, np.uint64)
    if not state.any():
        state[0] = 1
    return state


@njit(cache=True, inline="always")
def xoshiro(s0, s1, s2, s3):
    """One xoshiro256+ step on a state held in four scalars: (uniform in [0, 1), new state)."""
    result = s0 + s3
    t = s1 << _SHIFT_A
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _ROTATE) | (s3 >> _ROTATE_BACK)
    return float(result >> _TO_53_BITS) * _INV_2_53, s0, s1, s2, s3


@njit(cache=True)
def uniforms(seed_state, k):
    """k draws from the generator (for tests of its law), advancing the state."""
    out = np.empty(k)
    s0, s1, s2, s3 = seed_state[0], seed_state[1], seed_state[2], seed_state[3]
    for j in range(k):
        out[j], s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
    seed_state[0], seed_state[1], seed_state[2], seed_state[3] = s0, s1, s2, s3
    return out


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
def trials_to_success(u, scale):
    """Geometric draw: number of Bernoulli(p) trials up to and including the first success, from
    a uniform `u` and scale = 1 / -log(1 - p) (0 when p = 1, -1 when p = 0: never). A place's
    move-chance trials are drawn this way when the chance is small (below
    PER_AGENT_MIN_MOVECHANCE), as gaps between departures (`countdown`): the same law as one
    trial per agent, with one draw per departure instead of one per agent."""
    if scale < 0.0:
        return 1 << 62
    if scale == 0.0:
        return 1
    return 1 + int(-np.log(1.0 - u) * scale)


@njit(cache=True, inline="always")
def move_trial(chance, scale, countdown, s0, s1, s2, s3):
    """One agent's move-chance trial at a place of move `chance` (gap `scale` as in
    trials_to_success, and the place's `countdown` of agents to its next departure):
    (leaves, the countdown after, the generator's state)."""
    if chance >= PER_AGENT_MIN_MOVECHANCE:
        if chance >= 1.0:
            return True, countdown, s0, s1, s2, s3
        u, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
        return u < chance, countdown, s0, s1, s2, s3
    if countdown > 1:
        return False, countdown - 1, s0, s1, s2, s3
    u, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
    return True, trials_to_success(u, scale), s0, s1, s2, s3


@njit(cache=True, fastmath=NO_NAN_OR_INF)
def move_pass(phase, day, n, n_travellers, seed_state, agents, places, links, routes, rules):
    """phase 1: departures (Flee's Person.evolve, over every agent at a place); lists, in
    creation order, every agent on a link after it (`travellers`) and returns how many.
    phase 2: every listed agent advances; on arrival with time left it decides again and may hop
    on (Flee's finish_travel). Only travellers are visited: an agent that did not move today only
    halves its recent-travel memory, which is kept lazily as (value, day it was computed); the
    day's distance and share of the day used live in locals, as they start each day at 0.

    Pass 1 does not visit the agents resting at a sampled place (a camp: move chance at most
    SAMPLED_MAX_MOVECHANCE), who are most of them: the number leaving such a place is drawn,
    Binomial(agents resting there, move chance), as Flee's one trial per agent would give, and
    that many distinct agents resting there are drawn at random from the whole array (rejection:
    about n x move chance draws a day per place). They are sorted and visited in creation order
    along with the mobile list (everyone else), so the day's order of events is Flee's. Pass 1
    writes the next day's mobile list as it goes (see the end of this function).

    One body for both phases, with the departure rule and the route draw written out in it rather
    than in helpers: a helper that takes arrays, called or even inlined by numba, increfs and
    decrefs every array at each use (about a third of the time, measured with perf). Helpers take
    scalars only. The arguments are those of kernels.move_day."""
    (state, where, dist_on_link, recent, recent_day, places_travelled,
     route, route_len, route_pos, travellers, mobile, mobile_len, chosen, mobile_next) = agents
    chance, gap_scale, town, camp, capacity, place_count, countdown, sampled, planned_at = places
    (
        link_src,
        link_dst,
        link_km,
        link_speed,
        link_walk,
        link_open,
        link_count,
        adj_start,
        adj_link,
    ) = links
    r_start, r_nodes, r_len, r_end, r_first, r_base, r_wpow, scratch = routes
    (buffer, weight_power, max_move_speed, max_walk_speed, start_on_foot, avoid_short_stints,
     fresh_hop,
     plans_pass_sampled) = rules
    s0 = seed_state[0]  # the generator's state lives in registers for the whole pass
    s1 = seed_state[1]
    s2 = seed_state[2]
    s3 = seed_state[3]
    m = 0
    n_mobile = mobile_len[0]
    n_chosen = 0
    if phase == 1:
        # each place's first gap of the day (where trials are drawn as gaps)
        for q in range(len(gap_scale)):
            if chance[q] < PER_AGENT_MIN_MOVECHANCE:
                u, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
                countdown[q] = trials_to_success(u, gap_scale[q])
        # who leaves the sampled places: agents resting there are those counted there less
        # those with a plan (all of them in the mobile list; none unless a route held
        # passes through a sampled place)
        planned_at[:] = 0
        if plans_pass_sampled:
            for j in range(n_mobile):
                i = mobile[j]
                if state[i] == AT_PLACE_PLANNED and sampled[where[i]]:
                    planned_at[where[i]] += 1
        for q in range(len(gap_scale)):
            resting = place_count[q] - planned_at[q]
            if not sampled[q] or resting <= 0 or gap_scale[q] < 0.0:
                continue
            leaving_here = 0  # Binomial(resting, chance): geometric gaps that fit in `resting`
            trial = 0
            while True:
                u, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
                trial += trials_to_success(u, gap_scale[q])
                if trial > resting:
                    break
                leaving_here += 1
            # about n / resting tries a leaver; far more means the counts are wrong: fail loudly
            # rather than loop for ever (the chance of a false alarm is below e^-64)
            tries_left = 64 * (n // resting + 1) * leaving_here + 1024
            while leaving_here > 0:
                u, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
                pick = min(int(u * n), n - 1)
                if state[pick] == AT_PLACE and where[pick] == q:
                    state[pick] = CHOSEN
                    chosen[n_chosen] = pick
                    n_chosen += 1
                    leaving_here -= 1
                tries_left -= 1
                if tries_left == 0:
                    raise RuntimeError("flee kernel: fewer agents resting at a sampled place than "
                                       "counted")
        chosen[:n_chosen].sort()
    next_mobile = 0
    next_chosen = 0
    kept = 0  # phase 1 writes tomorrow's mobile list as it goes (mobile_next)
    j = -1
    while True:
        j += 1
        moved_km = 0.0
        day_used = 0.0
        if phase == 1:
            # merge of the mobile list and the chosen leavers, both in creation order
            if next_chosen < n_chosen and (next_mobile >= n_mobile or chosen[next_chosen]
                                           <= mobile[next_mobile]):
                i = chosen[next_chosen]
                next_chosen += 1
                if next_mobile < n_mobile and mobile[next_mobile] == i:
                    next_mobile += 1  # also listed: it came to rest at the camp yesterday
                st = AT_PLACE
            elif next_mobile < n_mobile:
                i = mobile[next_mobile]
                next_mobile += 1
                st = state[i]
                if st == AT_PLACE:
                    p = where[i]
                    if sampled[p]:
                        continue  # came to rest at a sampled place: drawn with it from now on
                    leaves, countdown[p], s0, s1, s2, s3 = move_trial(
                        chance[p], gap_scale[p], countdown[p], s0, s1, s2, s3)
                    if not leaves:
                        mobile_next[kept] = i
                        kept += 1
                        continue
                elif st == ON_LINK:
                    travellers[m] = i
                    m += 1
                    mobile_next[kept] = i
                    kept += 1
                    continue
                elif st == GONE:
                    continue
            else:
                break
            leaving = True  # chosen, AT_PLACE on its move chance, or AT_PLACE_PLANNED
        else:
            if j >= n_travellers:
                break
            i = travellers[j]
            st = ON_LINK
            leaving = False
        # The agent's fields live in locals until it stops for the day: numba's arrays may alias
        # for all LLVM knows, so it would reload each one after every store to any array.
        w = np.uint64(where[i])
        dist = np.float64(dist_on_link[i])
        rpos = np.uint64(route_pos[i])
        rlen = np.uint64(route_len[i])
        travelled = places_travelled[i]
        rec = np.float64(recent[i])
        if phase == 2:
            # recent-travel memory as of the end of yesterday (halved each day without travel)
            gap = day - 1 - recent_day[i]
            if gap > 0:
                rec = rec * 0.5 ** gap if gap < 60 else 0.0
        while leaving or st == ON_LINK:
            if leaving:
                # -- departure: choose a route if none is held, step onto its next link
                leaving = False
                p = w
                k = _NO_LINK
                if rpos >= rlen:
                    # one weighted draw over the candidate routes of p (uniform when all weigh 0);
                    # a route whose end camp is past its buffer is weighed afresh
                    a = r_start[p]
                    b = r_start[p + _ONE]
                    if b == a:
                        break
                    u, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
                    total = 0.0
                    for r in range(a, b):
                        e = r_end[r]
                        cap = capacity[e]
                        if cap >= 1.0 and place_count[e] > buffer * cap:
                            wt = r_base[r] * cap_multiplier(place_count[e], cap, buffer)
                            if wt <= 0.0:
                                wt = 0.0
                            elif weight_power != 1.0:
                                wt = wt ** weight_power
                        else:
                            wt = r_wpow[r]
                        scratch[r - a] = wt
                        total += wt
                    last = b - _ONE
                    if total <= 0.0:
                        r = min(a + np.uint64(u * (b - a)), last)
                    else:
                        target = u * total
                        acc = 0.0
                        r = a
                        while r < last:
                            acc += scratch[r - a]
                            if target < acc:
                                break
                            r += _ONE
                    rlen = r_len[r]
                    for h in range(rlen):
                        route[i, h] = r_nodes[r, h]
                    rpos = _ZERO
                    dest = r_end[r]
                    k = r_first[r]  # routes are enumerated over open links only
                # a planned route goes on (past a marker): the next open link to its next place
                else:
                    nxt = route[i, rpos]
                    for c in range(adj_start[p], adj_start[p + _ONE]):
                        kk = adj_link[c]
                        if link_dst[kk] == nxt and link_open[kk]:
                            k = kk
                            break
                    dest = np.uint64(route[i, rlen - _ONE])
                if k == _NO_LINK or (camp[dest]
                                     and cap_multiplier(place_count[dest], capacity[dest],
                                                        buffer) < 0.5):
                    rlen = _ZERO  # next link closed or end camp full: plan dropped, stay today
                    rpos = _ZERO
                    st = AT_PLACE
                    break
                rpos += _ONE
                if rpos >= rlen:
                    rlen = _ZERO
                    rpos = _ZERO
                place_count[p] -= 1
                link_count[k] += 1
                w = k
                st = ON_LINK
                dist = 0.0
                if phase == 1:
                    travellers[m] = i
                    m += 1
                    break
            if st != ON_LINK:
                break
            # -- travel on the link
            k = w
            speed = link_speed[k]
            if start_on_foot and travelled == 1:
                speed = max_walk_speed
            if link_walk[k] > 0.0:
                u, s0, s1, s2, s3 = xoshiro(s0, s1, s2, s3)
                if u < link_walk[k]:
                    speed = max_walk_speed
            avail = speed if fresh_hop else speed * (1.0 - day_used)
            if avail <= 0.0:
                break
            remaining = link_km[k] - dist
            if avail <= remaining:  # still on the link at the end of the day
                dist += avail
                moved_km += avail
                day_used = 1.0
                break
            day_used += remaining / speed
            moved_km += remaining
            if travelled < 255:
                travelled += 1
            link_count[k] -= 1
            st = AT_PLACE_PLANNED if rpos < rlen else AT_PLACE
            dist = 0.0
            if not link_open[k]:  # link closed while on it: back where it started
                w = link_src[k]
                place_count[w] += 1
                break
            p = link_dst[k]
            w = p
            place_count[p] += 1
            if day_used >= 1.0:
                break
            # (recent + moved / max) / 2 < 0.5, without a division
            force = avoid_short_stints and rec * max_move_speed + moved_km < max_move_speed
            if rpos < rlen or (force and town[p]):
                leaving = True
            else:
                leaving, countdown[p], s0, s1, s2, s3 = move_trial(
                    chance[p], gap_scale[p], countdown[p], s0, s1, s2, s3)
            if not leaving:
                break
        state[i] = st
        where[i] = w
        dist_on_link[i] = dist
        route_pos[i] = rpos
        route_len[i] = rlen
        places_travelled[i] = travelled
        if phase == 1 and not (st == AT_PLACE and sampled[w]):
            mobile_next[kept] = i
            kept += 1
        if phase == 2:  # Flee's recent_travel_distance at the end of today
            recent[i] = (rec + moved_km / max_move_speed) / 2.0
            recent_day[i] = day
    seed_state[0] = s0
    seed_state[1] = s1
    seed_state[2] = s2
    seed_state[3] = s3
    if phase == 1:
        # Tomorrow's mobile list: everyone visited today but those now resting at a sampled
        # place or gone. Those who come to rest at one in pass 2 stay listed until tomorrow's
        # pass 1 drops them (above): a stale entry costs less than a second merge of the lists.
        mobile[:kept] = mobile_next[:kept]
        mobile_len[0] = kept
    return m


@njit(cache=True)
def rebuild_mobile(n, state, where, sampled, mobile, mobile_len):
    """The mobile list from scratch (when the set of sampled places changes)."""
    kept = 0
    for i in range(n):
        st = state[i]
        if st == ON_LINK or st == AT_PLACE_PLANNED or (st == AT_PLACE and not sampled[where[i]]):
            mobile[kept] = i
            kept += 1
    mobile_len[0] = kept



@njit(cache=True, fastmath=NO_NAN_OR_INF)
def move_day(day, n, seed_state, new_agents, agents, places, links, routes, rules):
    """Today's spawned agents join (new_agents[q] at place q, in place order, after the n there
    are), then both passes run. One call a day from Python: Python code that runs after this
    kernel finds its caches cold, and each numpy call then costs ~5-10 us. The state comes as
    tuples:
    agents = AgentArrays.kernel_arrays(); places = (movechance, gap_scale, town, camp, capacity,
    place_count,
    countdown, sampled, planned_at); links = (src, dst, km, speed, walk_probability, open, count,
    adj_start,
    adj_link); routes = (start, nodes, length, end, first_link, base weight, weight ** power,
    scratch); rules = (capacity_buffer, weight_power, max_move_speed, max_walk_speed,
    start_on_foot, avoid_short_stints, fresh_hop, plans_pass_sampled: whether a route an agent
    may hold passes through a sampled place); seed_state is the generator's uint64[4]."""
    if new_agents.sum() > 0:
        (state, where, dist_on_link, recent, recent_day, places_travelled, _, route_len, route_pos,
         _, mobile, mobile_len, _, _) = agents
        place_count, sampled = places[5], places[7]
        spawned = np.repeat(np.arange(len(new_agents)), new_agents)
        append_agents(n, spawned, sampled, place_count, state, where, dist_on_link, recent,
                      recent_day,
                      places_travelled, route_len, route_pos, mobile, mobile_len)
        n += len(spawned)
    m = move_pass(1, day, n, 0, seed_state, agents, places, links, routes, rules)
    move_pass(2, day, n, m, seed_state, agents, places, links, routes, rules)


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
