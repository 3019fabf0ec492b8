"""Phase 1, timeline: dated events change the state of the world, never agents directly (model.md
§1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass, field

import numpy as np

from travesia.scenario.admission import Rule
from travesia.scenario.schema import removal_label
from travesia.model.world import World

if TYPE_CHECKING:
    from travesia.model.engine.simulation import Simulation


@dataclass
class Flight:
    crossing: int          # -1 when the flight takes settled people from a place
    place: int
    seats: int
    nationality: int       # -1 for any


@dataclass
class Removal:
    """A removal campaign in force (a `removal` event): a daily capacity from places or
    crossings."""

    label: str                 # the event's id, else "removal <date> <mode> to <country>"
    places: np.ndarray         # cities people are taken from
    crossings: np.ndarray      # crossings whose stranded and sheltered people are taken first
    until: int                 # last day
    per_day: float
    statuses: np.ndarray       # [S] bool
    nationality: int           # -1 for any
    carry: float = 0.0         # fraction of a person carried to the next day


@dataclass
class PolicyState:
    """What the timeline controls, per crossing where it is about a crossing."""

    threat: float
    # [S] day of the deadline felt by each status, or a large number
    deadline_day: np.ndarray
    exit_capacity: np.ndarray          # [C]
    entry_capacity: np.ndarray
    exit_rule: list[Rule]
    entry_rule: list[Rule]
    return_rule: list[Rule]
    emergency_until: np.ndarray        # [C] last day of a state of emergency, -1 if none
    personnel: np.ndarray              # [C] soldiers and police posted
    corridor_until: np.ndarray         # [C]
    corridor_per_day: np.ndarray       # [C]
    shelter_capacity: np.ndarray       # [C] places open for people stranded at the crossing
    shelter_place: np.ndarray          # [C]
    shelter_until: np.ndarray          # [C]
    # [C] daily share of stranded people who take a place; NaN: the parameter
    shelter_uptake: np.ndarray
    shelter_nationality: np.ndarray    # [C] the one nationality offered places, -1 for any
    flights_today: list[Flight] = field(default_factory=list)
    # [countries] non-nationals its entry posts may still let in; -1: no cap (a `reception` event)
    reception_left: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    removals: list[Removal] = field(default_factory=list)
    # [P] a threat level set for that place or its region, NaN where the national level holds
    threat_at: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def initial(cls, world: World) -> PolicyState:
        C = len(world.crossing_names)
        return cls(
            threat=0.0, deadline_day=np.full(len(world.statuses), 10**9),
            exit_capacity=world.exit_capacity.copy(), entry_capacity=world.entry_capacity.copy(),
            exit_rule=list(world.exit_rule), entry_rule=list(world.entry_rule),
            return_rule=list(world.return_rule),
            emergency_until=np.full(C, -1), personnel=np.zeros(C, dtype=np.int64),
            corridor_until=np.full(C, -1), corridor_per_day=np.zeros(C, dtype=np.int64),
            shelter_capacity=np.zeros(C, dtype=np.int64), shelter_place=np.full(C, -1),
            shelter_until=np.full(C, -1), shelter_uptake=np.full(C, np.nan),
            shelter_nationality=np.full(C, -1),
            reception_left=np.full(len(world.countries), -1, dtype=np.int64),
            threat_at=np.full(len(world.place_names), np.nan),
        )

    def threat_by_place(self) -> np.ndarray:
        """[P] the threat felt at each place: its own or its region's level, else the national
        one."""
        return np.where(np.isnan(self.threat_at), self.threat, self.threat_at)

    def emergency(self, day: int) -> np.ndarray:
        return self.emergency_until >= day

    def corridor(self, day: int) -> np.ndarray:
        return self.corridor_until >= day


def compile_timeline(world: World, events) -> dict[int, list]:
    """Events by day index."""
    by_day: dict[int, list] = {}
    for ev in events:
        by_day.setdefault((ev.date - world.start).days, []).append(ev)
    return by_day


# rules and enforcement: public news
ANNOUNCED = {"admission", "capacity", "emergency", "troops", "corridor"}


def compile_plans(world: World, events) -> dict[int, list]:
    """Rule and enforcement events announced before they take effect, by the day of the announcement
    (day 0 for those announced before the scenario starts)."""
    by_day: dict[int, list] = {}
    for ev in events:
        announced = getattr(ev, "announced", None)
        if announced is None or ev.type not in ANNOUNCED or ev.date <= world.start:
            continue
        if announced < ev.date:
            by_day.setdefault(max((announced - world.start).days, 0), []).append(ev)
    return by_day


def apply_timeline(sim: Simulation, day: int) -> set[int]:
    """Apply today's events; return the crossings whose rules or enforcement were announced
    today."""
    policy: PolicyState = sim.policy
    policy.flights_today = []
    announced: set[int] = set()
    for ev in sim.events_by_day.get(day, []):
        c = apply_event(policy, sim.world, ev, day)
        if ev.type in ANNOUNCED:
            announced.add(c)
    return announced


def apply_event(policy: PolicyState, world: World, ev, day: int) -> int:
    """Change `policy` as event `ev` does on `day`; return its crossing (-1 for none)."""
    c = world.crossing_index(ev.crossing) if getattr(ev, "crossing", None) else -1
    match ev.type:
        case "threat":
            if ev.places or ev.regions:
                regions = world.place_region or world.place_names
                hit = [i for i, (name, region) in enumerate(zip(world.place_names, regions))
                       if name in ev.places or region in ev.regions]
                policy.threat_at[hit] = ev.level
            else:            # a national level replaces the regional ones
                policy.threat = ev.level
                policy.threat_at[:] = np.nan
        case "deadline" if ev.crossing is None:     # at a crossing: a rush (departures.py)
            for status in ev.statuses:
                policy.deadline_day[world.statuses.index(status)] = (ev.deadline - world.start).days
        case "admission":
            rules = {"exit": policy.exit_rule, "entry": policy.entry_rule,
                     "return": policy.return_rule}[ev.post]
            rules[c] = world.vocabulary.parse(ev.admits)
        case "capacity":
            caps = policy.exit_capacity if ev.post == "exit" else policy.entry_capacity
            caps[c] = ev.per_day
        case "emergency":
            policy.emergency_until[c] = max(policy.emergency_until[c], day + ev.days - 1)
        case "troops":
            policy.personnel[c] = max(0, policy.personnel[c] + ev.personnel)
        case "corridor":
            policy.corridor_until[c] = day + ev.days - 1
            policy.corridor_per_day[c] = ev.per_day
        case "shelter":
            policy.shelter_capacity[c] = ev.capacity
            policy.shelter_place[c] = world.place_index(ev.place)
            policy.shelter_until[c] = day + ev.days - 1
            policy.shelter_uptake[c] = np.nan if ev.uptake is None else ev.uptake
            policy.shelter_nationality[c] = (-1 if ev.nationality is None
                                             else world.nationalities.index(ev.nationality))
        case "flight":
            known = ev.nationality in world.nationalities
            nat = world.nationalities.index(ev.nationality) if known else -1
            if ev.from_ in world.crossing_names:
                xc = world.crossing_index(ev.from_)
                policy.flights_today.append(Flight(xc, int(world.return_place[xc]), ev.seats, nat))
            else:
                policy.flights_today.append(Flight(-1, world.place_index(ev.from_), ev.seats, nat))
        case "removal":
            statuses = np.isin(np.array(world.statuses), ev.statuses)
            nat = -1 if ev.nationality is None else world.nationalities.index(ev.nationality)
            policy.removals.append(Removal(
                removal_label(ev),
                np.array([world.place_index(n) for n in dict.fromkeys(ev.from_)
                          if n not in world.crossing_names], dtype=np.int64),
                np.array([world.crossing_index(n) for n in dict.fromkeys(ev.from_)
                          if n in world.crossing_names], dtype=np.int64),
                day + ev.days - 1, ev.per_day, statuses, nat))
        case "reception":
            policy.reception_left[world.countries.index(ev.country)] = ev.total
        case "note":
            pass
    return c
