"""Agent state of the Flee ruleset: one numpy array per attribute, grown geometrically.

Types are as narrow as the values allow: 40 bytes an agent with awareness_level 1 (20 of state,
4 per route place, 16 for the kernel's four index lists), against Flee's ~450 per Python
object."""

from __future__ import annotations

import numpy as np
from numba import njit

# `state` of an agent: what pass 1 needs to know from one byte (kernels.move_pass)
GONE = 0             # taken out by a sink camp
AT_PLACE = 1         # at a place, no plan: leaves on the place's move chance
ON_LINK = 2          # travelling
AT_PLACE_PLANNED = 3  # at a place part-way along a planned route: goes on
CHOSEN = 4           # within pass 1 only: drawn to leave a sampled place (kernels.move_pass)

_FIELDS = {
    "state": np.int8,
    "where": np.uint32,          # place index, or link index when ON_LINK (unsigned: numba then
                                 # indexes with it without a negative-index check)
    "dist_on_link": np.float32,  # km travelled on the current link
    "recent": np.float32,        # Flee's recent_travel_distance (in days of max_move_speed)...
    "recent_day": np.int32,      # ...as of the end of this day (halved for each day after)
    "places_travelled": np.uint8,  # saturates at 255: only "still at the first place" is read
    "route_len": np.uint8,       # planned route: route[i, route_pos:route_len] still to go
    "route_pos": np.uint8,
}
MAX_ROUTE_WIDTH = np.iinfo(np.uint8).max
# Agent indices (the kernel's lists) and route places are unsigned, as `where` is.
INDEX = np.uint32
NO_PLACE = np.iinfo(INDEX).max


class AgentArrays:
    # one array per name in _FIELDS, set by __init__ (declared here for the type checker)
    state: np.ndarray
    where: np.ndarray
    dist_on_link: np.ndarray
    recent: np.ndarray
    recent_day: np.ndarray
    places_travelled: np.ndarray
    route_len: np.ndarray
    route_pos: np.ndarray

    def __init__(self, route_width: int, capacity: int = 1024) -> None:
        if route_width > MAX_ROUTE_WIDTH:
            raise ValueError(f"routes of {route_width} places: at most {MAX_ROUTE_WIDTH} are "
                             "supported")
        self.n = 0
        self.route_width = max(1, route_width)
        for name, dtype in _FIELDS.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))
        self.route = np.full((capacity, self.route_width), NO_PLACE, dtype=INDEX)
        self.travellers = np.zeros(capacity, dtype=INDEX)  # scratch: today's agents on links
        # The agents pass 1 visits one by one, in creation order: all but those resting at a
        # sampled place (a camp, whose leavers are drawn at random instead; kernels.move_pass),
        # and perhaps some who came to rest at one since the last pass 1 (dropped by the next).
        self.mobile = np.zeros(capacity, dtype=INDEX)
        self.mobile_len = np.zeros(1, dtype=np.int64)
        self.scratch = np.zeros(capacity, dtype=INDEX)
        self.mobile_next = np.zeros(capacity, dtype=INDEX)  # tomorrow's, as the kernel writes it

    @property
    def capacity(self) -> int:
        return len(self.state)

    @property
    def active(self) -> np.ndarray:
        return self.state != GONE

    @property
    def on_link(self) -> np.ndarray:
        return self.state == ON_LINK

    def reserve(self, need: int) -> None:
        """Room for `need` agents (grown geometrically)."""
        cap = self.capacity
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in _FIELDS:
            old = getattr(self, name)
            arr = np.zeros(new, dtype=old.dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        route = np.full((new, self.route_width), NO_PLACE, dtype=INDEX)
        route[: self.n] = self.route[: self.n]
        self.route = route
        self.travellers = np.zeros(new, dtype=INDEX)
        mobile = np.zeros(new, dtype=INDEX)
        mobile[: self.mobile_len[0]] = self.mobile[: self.mobile_len[0]]
        self.mobile = mobile
        self.scratch = np.zeros(new, dtype=INDEX)
        self.mobile_next = np.zeros(new, dtype=INDEX)

    def add(self, places: np.ndarray, sampled: np.ndarray | None = None,
            place_count: np.ndarray | None = None) -> None:
        """Append one agent at each of `places` (place indices), in that order; those not at a
        `sampled` place (a boolean per place) join the mobile list. Each is counted into
        `place_count` (people per place) when given."""
        k = len(places)
        if k == 0:
            return
        self.reserve(self.n + k)
        places_seen = int(places.max()) + 1
        if sampled is None:
            sampled = np.zeros(places_seen, dtype=np.bool_)
        if place_count is None:
            place_count = np.zeros(places_seen, dtype=np.int64)
        append_agents(self.n, places, sampled, place_count, self.state, self.where,
                      self.dist_on_link,
                      self.recent, self.recent_day, self.places_travelled, self.route_len,
                      self.route_pos,
                      self.mobile, self.mobile_len)
        self.n += k

    def kernel_arrays(self) -> tuple:
        """The arrays the move kernel takes, in its order (kernels.move_day)."""
        return (self.state, self.where, self.dist_on_link, self.recent, self.recent_day,
                self.places_travelled, self.route, self.route_len, self.route_pos, self.travellers,
                self.mobile, self.mobile_len, self.scratch, self.mobile_next)


@njit(cache=True)
def append_agents(n, places, sampled, place_count, state, where, dist_on_link, recent, recent_day,
                  places_travelled, route_len, route_pos, mobile, mobile_len):
    """Agents n, n+1, ... at `places`, counted into place_count; those not at a sampled place
    join the mobile list. The arrays must have room (AgentArrays.reserve). Compiled: spawning
    adds agents every day, and a dozen numpy calls cost more than the loop."""
    m = mobile_len[0]
    for j in range(len(places)):
        i = n + j
        p = places[j]
        place_count[p] += 1
        state[i] = AT_PLACE
        where[i] = p
        dist_on_link[i] = 0.0
        recent[i] = 0.0
        recent_day[i] = -1
        places_travelled[i] = 1
        route_len[i] = 0
        route_pos[i] = 0
        if not sampled[p]:
            mobile[m] = i
            m += 1
    mobile_len[0] = m
