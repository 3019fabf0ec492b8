"""Agent state of the Flee ruleset: one numpy array per attribute, grown geometrically."""

from __future__ import annotations

import numpy as np

_FIELDS = {
    "active": np.bool_,
    "where": np.int64,          # place index, or link index when on_link
    "on_link": np.bool_,
    "dist_on_link": np.float64,  # km travelled on the current link
    "moved_km": np.float64,      # km travelled today
    "day_used": np.float64,      # share of today's travel time used
    "recent": np.float64,        # Flee's recent_travel_distance (in days of max_move_speed)...
    "recent_day": np.int64,      # ...as of the end of this day (halved for each day after)
    "places_travelled": np.int64,
    "route_len": np.int64,       # planned route: route[i, route_pos:route_len] still to go
    "route_pos": np.int64,
}


class AgentArrays:
    def __init__(self, route_width: int, capacity: int = 1024) -> None:
        self.n = 0
        self.route_width = max(1, route_width)
        for name, dtype in _FIELDS.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))
        self.route = np.full((capacity, self.route_width), -1, dtype=np.int64)
        self.travellers = np.zeros(capacity, dtype=np.int64)  # scratch: today's agents on links

    @property
    def capacity(self) -> int:
        return len(self.active)

    def _grow(self, need: int) -> None:
        cap = self.capacity
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in _FIELDS:
            old = getattr(self, name)
            arr = np.zeros(new, dtype=old.dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        route = np.full((new, self.route_width), -1, dtype=np.int64)
        route[: self.n] = self.route[: self.n]
        self.route = route
        self.travellers = np.zeros(new, dtype=np.int64)

    def add(self, places: np.ndarray) -> None:
        """Append one agent at each of `places` (place indices), in that order."""
        k = len(places)
        if k == 0:
            return
        self._grow(self.n + k)
        s = slice(self.n, self.n + k)
        self.active[s] = True
        self.where[s] = places
        self.on_link[s] = False
        self.dist_on_link[s] = 0.0
        self.moved_km[s] = 0.0
        self.day_used[s] = 0.0
        self.recent[s] = 0.0
        self.recent_day[s] = -1
        self.places_travelled[s] = 1
        self.route_len[s] = 0
        self.route_pos[s] = 0
        self.n += k
