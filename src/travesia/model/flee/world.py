"""A Flee case compiled into arrays: places, directed links, and their initial state.

Initial state follows Flee's set-up (docs/flee.md, "Set-up"): a conflict zone whose
conflict_date is after day 0 starts as a town (conflicts.csv turns it into a conflict zone);
camps hold capacity, other places population, both divided by `hasten`; a non-camp place with a
move chance below 0.005 is treated as a camp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from travesia.errors import ScenarioError
from travesia.model.flee.reader import FleeCase
from travesia.model.flee.settings import FleeSettings


@dataclass
class PlaceState:
    """Per-place values that closures and conflicts change during a run."""

    movechance: np.ndarray   # float64
    camp: np.ndarray         # bool
    idpcamp: np.ndarray      # bool
    town: np.ndarray         # bool
    conflict: np.ndarray     # float64 intensity, -1 = none
    time_of_conflict: np.ndarray  # int64, -1 = never
    pop: np.ndarray          # float64 (population, / hasten)

    def copy(self) -> PlaceState:
        return PlaceState(*(getattr(self, f).copy() for f in self.__dataclass_fields__))


@dataclass
class FleeWorld:
    names: list[str]
    country: list[str]
    foreign: np.ndarray          # bool: country differs from the first row's
    forward: np.ndarray          # bool
    marker: np.ndarray           # bool
    capacity: np.ndarray         # float64, people (/ hasten); < 1 = unlimited
    capacity_per_day: np.ndarray # float64 (/ hasten)
    deactivation_probability: np.ndarray  # float64, used when camps_are_sinks
    initial: PlaceState
    # directed links: route r gives links 2r (name1 -> name2) and 2r+1 (name2 -> name1)
    link_src: np.ndarray
    link_dst: np.ndarray
    link_km: np.ndarray
    link_speed: np.ndarray       # km/day (per-link max_move_speed, else the setting)
    link_walk_probability: np.ndarray
    # CSR over link_src: links leaving place p are adj_link[adj_start[p]:adj_start[p+1]]
    adj_start: np.ndarray
    adj_link: np.ndarray
    initial_camps: list[int]     # camps at set-up: the columns of out.csv


def _attr_numbers(values: list[str], n: int, default: float, case: FleeCase, file: str, column: str,
                  rows: list[int] | None = None) -> np.ndarray:
    out = np.full(n, default, dtype=float)
    for i, text in enumerate(values):
        if text == "":
            continue
        try:
            out[i] = float(text)
        except ValueError:
            raise ScenarioError(f"'{text}' is not a number", file=case.folder / "input_csv" / file,
                                row=rows[i] if rows else None, field=column) from None
    return out


def compile_world(case: FleeCase, cfg: FleeSettings | None = None) -> FleeWorld:
    cfg = cfg or case.settings
    loc = case.locations
    n = len(loc.name)
    h = cfg.hasten
    home = loc.country[0]
    foreign = np.array([c != home for c in loc.country])
    movechance = np.zeros(n)
    camp = np.zeros(n, bool)
    idp = np.zeros(n, bool)
    town = np.zeros(n, bool)
    forward = np.zeros(n, bool)
    marker = np.zeros(n, bool)
    conflict = np.full(n, -1.0)
    pop = np.zeros(n)
    capacity = np.full(n, -1.0)
    intensity = _attr_numbers(loc.attributes.get("conflict_intensity", []), n, 1.0, case,
                              "locations.csv",
                              "conflict_intensity")
    for i, kind in enumerate(loc.location_type):
        if "conflict" in kind and loc.conflict_date[i] > 0:
            kind = "town"  # becomes a conflict zone on its conflict date
        people = loc.pop_or_cap[i] // h
        if "camp" in kind:
            capacity[i] = people
            camp[i] = True
            movechance[i] = cfg.camp_movechance
            if "idp" in kind:
                idp[i] = True
                movechance[i] = cfg.idpcamp_movechance
        else:
            pop[i] = people
            if "conflict" in kind:
                movechance[i] = cfg.conflict_movechance
                conflict[i] = intensity[i]
            elif "forward" in kind:
                movechance[i] = 1.0
                forward[i] = True
            elif "marker" in kind:
                movechance[i] = 1.0
                marker[i] = True
            else:
                movechance[i] = cfg.default_movechance
                town[i] = True
        if movechance[i] < 0.005 and not camp[i]:
            camp[i] = True
            town[i] = False
    per_day = _attr_numbers(loc.attributes.get("capacity_per_day", []), n, 0.0, case,
                            "locations.csv",
                            "capacity_per_day") / h
    deact = _attr_numbers(loc.attributes.get("deactivation_probability", []), n, 0.0, case,
                          "locations.csv",
                          "deactivation_probability")

    r = case.routes
    m = len(r.src)
    # Index arrays are unsigned: numba indexes with an unsigned value without a negative-index check
    link_src = np.empty(2 * m, np.uint64)
    link_dst = np.empty(2 * m, np.uint64)
    link_src[0::2], link_dst[0::2] = r.src, r.dst
    link_src[1::2], link_dst[1::2] = r.dst, r.src
    link_km = np.repeat(r.distance_km, 2)
    speed = _attr_numbers(r.attributes.get("max_move_speed", []), m, cfg.max_move_speed, case,
                          "routes.csv",
                          "max_move_speed")
    walk = _attr_numbers(r.attributes.get("walk_probability", []), m, 0.0, case, "routes.csv",
                         "walk_probability")
    order = np.argsort(link_src, kind="stable")
    adj_start = np.zeros(n + 1, np.uint64)
    np.add.at(adj_start, link_src + 1, 1)
    adj_start = np.cumsum(adj_start, dtype=np.uint64)
    initial = PlaceState(movechance, camp, idp, town, conflict, np.full(n, -1, np.int64),
                         pop.astype(float))
    return FleeWorld(
        names=list(loc.name), country=list(loc.country), foreign=foreign, forward=forward,
        marker=marker,
        capacity=capacity, capacity_per_day=per_day, deactivation_probability=deact,
        initial=initial,
        link_src=link_src, link_dst=link_dst, link_km=link_km, link_speed=np.repeat(speed, 2),
        link_walk_probability=np.repeat(walk, 2), adj_start=adj_start,
        adj_link=order.astype(np.uint64),
        initial_camps=[i for i in range(n) if camp[i]],
    )
