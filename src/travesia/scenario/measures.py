"""The measures of a run, named once: every table, store, band, score, page and report says
these names and means these things (docs/architecture.md, "One vocabulary").

At a place, people are in one of PLACE_STATES every day. At a crossing, every day has flows
(people who did something that day) and levels (people there at the end of the day); `held` is
everyone held at the crossing: queued at a post plus stranded (refused, waiting).
"""

from __future__ import annotations

import numpy as np

PLACE_STATES = ("settled", "travelling", "queued", "stranded", "onward", "returning", "sheltered",
                "arrived",
                "flown", "removed")

CROSSING_FLOWS = ("departures", "exits", "entries", "refused", "irregular", "corridor", "gave_up",
                  "flown",
                  "irregular_attempts", "irregular_caught", "return_refused", "removed")
CROSSING_LEVELS = ("queue", "stranded", "sheltered")
# What a host community receives at a place each day (model/impacts.py): derived from the states
# above, except newly_settled, which the engine counts (a subset of `settled`, never added to it).
PLACE_MEASURES = ("held", "sheltered", "passing_through", "newly_settled")
# Flows at a place each day that the engine counts (Results.inflow): people coming into the map
PLACE_FLOWS = ("inflow",)
# people who depend on humanitarian provision where they are: Sphere needs count them
DEPENDENT = ("held", "sheltered", "passing_through")
HELD = "held"
CROSSING_MEASURES = (HELD,) + CROSSING_LEVELS + CROSSING_FLOWS

MEANING = {
    "held": "people held at the crossing at the end of the day: queued + stranded",
    "queue": "people queued at the exit or entry post (or walking the strip to it)",
    "stranded": "people refused, waiting beside the post or on the strip",
    "sheltered": "people in a shelter offered for the crossing",
    "departures": "people who set out for the crossing that day",
    "exits": "people let out by the exit post",
    "entries": "people let in by the entry post",
    "refused": "people refused by a post",
    "irregular": "night crossings that got through",
    "irregular_attempts": "night crossings tried",
    "irregular_caught": "night crossings caught, the people returned to the line",
    "corridor": "people let through by a humanitarian corridor",
    "gave_up": "stranded people who gave up and went back",
    "return_refused": "people on the strip the exit post would not let back in",
    "flown": "people who left on a return flight",
    "removed": "people removed by force (a `removal` event: a flight or bus to another country); "
               "at a place, everyone removed from it so far; at a crossing, those taken from it "
               "that day",
}
PLACE_MEANING = {
    "held": "people held at the posts of the place at the end of the day: queued + stranded",
    "sheltered": "people in a shelter at the place",
    "passing_through": "people on the move (travelling, onward or returning) whose current place "
                       "is this one: the last place they passed on the road",
    "newly_settled": "people who settled at the place during the run, after giving up and going "
                     "back or after a stay in a shelter there, and have not left again: a stock, "
                     "part of `settled`",
    "inflow": "people who came into the map at the place that day (inflows.csv): they settled "
              "there or set out at once for a crossing",
}


def crossing_series(flows: dict[str, np.ndarray], measure: str) -> np.ndarray:
    """[..., days, crossings] of a crossing measure from arrays of the flows and levels."""
    if measure == HELD:
        return flows["queue"] + flows["stranded"]
    if measure not in flows:
        raise KeyError(f"unknown crossing measure '{measure}' (known: "
                       f"{', '.join(CROSSING_MEASURES)})")
    return flows[measure]
