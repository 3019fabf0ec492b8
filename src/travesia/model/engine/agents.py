"""People on the move: one numpy array per attribute, grown geometrically, compacted when slots die.

Settled people are counts per cell (World.settled); only movers become agents here, and an agent
ends (its slot is freed) when it settles again, arrives at a destination or boards a flight.
"""

from __future__ import annotations

import numpy as np

# Agent states. FREE marks an unused slot. INFORMAL: waiting at an informal crossing (its
# `crossing` is then C + the informal crossing's index), counted as queued at the place.
FREE, TRAVELLING, QUEUED_EXIT, QUEUED_ENTRY, STRANDED, ONWARD, RETURNING, SHELTERED = range(8)
INFORMAL = 8
STATE_NAMES = {
    TRAVELLING: "travelling", QUEUED_EXIT: "queued", QUEUED_ENTRY: "queued", STRANDED: "stranded",
    ONWARD: "onward", RETURNING: "returning", SHELTERED: "sheltered", INFORMAL: "queued",
}

FIELDS = {
    "state": np.int8,        # one of the states above
    "place": np.int16,       # current place, or the last one passed while on a road
    "next_place": np.int16,  # place at the end of the current road, -1 when not on a road
    "km_left": np.float32,   # km still to go to next_place
    "target": np.int16,      # where the current trip ends
    # 16 bits, as for places: 8 would cap crossings and nationalities at 127
    "crossing": np.int16,    # crossing chosen (C + i: informal crossing i), -1 for none
    "nat": np.int16,         # nationality index
    "status": np.int8,       # legal status index
    "traits": np.uint16,     # bits of the documents held and demographic groups (admission.py)
    # day the agent entered its current queue or state (first come, first served)
    "since": np.int16,
}
BYTES_PER_AGENT = sum(np.dtype(t).itemsize for t in FIELDS.values())


class Agents:
    """Struct of arrays. `n` slots are in use (some may be FREE until the next compaction)."""

    # one array per field of FIELDS (set in __init__ and _grow)
    state: np.ndarray
    place: np.ndarray
    next_place: np.ndarray
    km_left: np.ndarray
    target: np.ndarray
    crossing: np.ndarray
    nat: np.ndarray
    status: np.ndarray
    traits: np.ndarray
    since: np.ndarray

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        for name, dtype in FIELDS.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))

    @property
    def capacity(self) -> int:
        return len(self.state)

    def _grow(self, need: int) -> None:
        cap = max(self.capacity, 1024)
        while cap < need:
            cap *= 2
        if cap == self.capacity:
            return
        for name in FIELDS:
            old = getattr(self, name)
            new = np.zeros(cap, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    def add(self, count: int, **values) -> slice:
        """Append `count` agents; each keyword is a scalar or an array of length count."""
        if count <= 0:
            return slice(self.n, self.n)
        self._grow(self.n + count)
        sl = slice(self.n, self.n + count)
        for name in FIELDS:
            getattr(self, name)[sl] = values.get(name,
                                                 -1 if name in ("next_place", "crossing") else 0)
        self.n += count
        return sl

    def view(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.n]

    def compact(self) -> None:
        """Drop FREE slots, keeping order (order is the tie-break of first come, first served)."""
        keep = np.flatnonzero(self.state[: self.n] != FREE)
        if len(keep) == self.n:
            return
        for name in FIELDS:
            arr = getattr(self, name)
            arr[: len(keep)] = arr[keep]
        self.n = len(keep)

    @property
    def active(self) -> int:
        return int(np.count_nonzero(self.state[: self.n] != FREE))
