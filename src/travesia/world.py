"""A scenario compiled into arrays: the road graph with shortest paths, crossings, stocks, timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .scenario.load import Scenario
from .scenario.schema import DOCUMENTS, STATUSES, check_rule, split_ids

# Document bits held by a person; NATIONAL is a rule bit only (it follows from nationality).
DOC_BIT = {name: 1 << i for i, name in enumerate(DOCUMENTS)}
NATIONAL_BIT = 1 << len(DOCUMENTS)
RULE_ANY = -1


def rule_mask(rule: str) -> int:
    parts = check_rule(rule)
    if parts == ["any"]:
        return RULE_ANY
    mask = 0
    for part in parts:
        mask |= NATIONAL_BIT if part == "national" else DOC_BIT[part]
    return mask


def rule_text(mask: int) -> str:
    if mask == RULE_ANY:
        return "any"
    names = [d for d, bit in DOC_BIT.items() if mask & bit]
    return ";".join((["national"] if mask & NATIONAL_BIT else []) + names)


@dataclass
class World:
    """Everything the engine needs, as arrays indexed by place (P), crossing (C), nationality (N),
    status (S) and document set (K)."""

    name: str
    start: dt.date
    days: int
    place_names: list[str]
    place_country: np.ndarray        # [P] index into countries
    place_kind: list[str]
    lat: np.ndarray
    lon: np.ndarray
    countries: list[str]
    link_km: np.ndarray              # [P, P] road length, inf where no road
    dist_km: np.ndarray              # [P, P] shortest road distance
    next_hop: np.ndarray             # [P, P] next place on the shortest path (int16), -1 if none
    crossing_names: list[str]
    exit_post: np.ndarray            # [C]
    entry_post: np.ndarray
    return_place: np.ndarray
    destination: np.ndarray
    strip_km: np.ndarray
    exit_capacity: np.ndarray        # [C] people per day (float: capacities may be fractional)
    entry_capacity: np.ndarray
    exit_rule: np.ndarray            # [C] rule masks
    entry_rule: np.ndarray
    nationalities: list[str]
    nat_country: np.ndarray          # [N] index into countries, -1 if not a country of the network
    statuses: list[str]
    settled: np.ndarray              # [P, N, S] int64
    doc_masks: np.ndarray            # [K] int8
    doc_shares: np.ndarray           # [N, S, K]

    @property
    def population(self) -> int:
        return int(self.settled.sum())

    def place_index(self, name: str) -> int:
        return self.place_names.index(name)

    def crossing_index(self, name: str) -> int:
        return self.crossing_names.index(name)

    def date_of(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)


def shortest_paths(link_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floyd–Warshall on the (small) road graph: distances and next hops for every pair."""
    n = link_km.shape[0]
    dist = link_km.copy()
    np.fill_diagonal(dist, 0.0)
    nxt = np.where(np.isfinite(link_km), np.arange(n)[None, :], -1).astype(np.int64)
    np.fill_diagonal(nxt, np.arange(n))
    for k in range(n):
        via = dist[:, k:k + 1] + dist[k:k + 1, :]
        better = via < dist
        dist = np.where(better, via, dist)
        nxt = np.where(better, nxt[:, k:k + 1], nxt)
    return dist, nxt.astype(np.int16)


def compile_world(scenario: Scenario) -> World:
    places = scenario.places
    names = [p.name for p in places]
    index = {n: i for i, n in enumerate(names)}
    countries = sorted({p.country for p in places})
    cindex = {c: i for i, c in enumerate(countries)}
    P = len(names)

    link = np.full((P, P), np.inf)
    for r in scenario.routes:
        a, b = index[r.from_], index[r.to]
        link[a, b] = link[b, a] = r.distance_km
    dist, nxt = shortest_paths(link)

    xs = scenario.crossings
    nationalities = sorted({p.nationality for p in scenario.population}
                           | {d.nationality for d in scenario.documents})
    nindex = {n: i for i, n in enumerate(nationalities)}
    settled = np.zeros((P, len(nationalities), len(STATUSES)), dtype=np.int64)
    for p in scenario.population:
        settled[index[p.place], nindex[p.nationality], STATUSES.index(p.status)] += p.people

    masks: list[int] = []
    for d in scenario.documents:
        m = 0 if d.documents == "none" else sum(DOC_BIT[x] for x in split_ids(d.documents))
        if m not in masks:
            masks.append(m)
    if 0 not in masks:
        masks.insert(0, 0)
    shares = np.zeros((len(nationalities), len(STATUSES), len(masks)))
    for d in scenario.documents:
        m = 0 if d.documents == "none" else sum(DOC_BIT[x] for x in split_ids(d.documents))
        shares[nindex[d.nationality], STATUSES.index(d.status), masks.index(m)] += d.share
    # a (nationality, status) with no documents row holds none
    empty = shares.sum(axis=2) == 0
    shares[empty, masks.index(0)] = 1.0

    return World(
        name=scenario.name, start=scenario.spec.start, days=scenario.days,
        place_names=names, place_country=np.array([cindex[p.country] for p in places], dtype=np.int16),
        place_kind=[p.kind for p in places],
        lat=np.array([p.lat for p in places]), lon=np.array([p.lon for p in places]),
        countries=countries, link_km=link, dist_km=dist, next_hop=nxt,
        crossing_names=[c.name for c in xs],
        exit_post=np.array([index[c.exit_post] for c in xs], dtype=np.int16),
        entry_post=np.array([index[c.entry_post] for c in xs], dtype=np.int16),
        return_place=np.array([index[c.return_place] for c in xs], dtype=np.int16),
        destination=np.array([index[c.destination] for c in xs], dtype=np.int16),
        strip_km=np.array([c.strip_km for c in xs]),
        exit_capacity=np.array([c.exit_capacity_per_day for c in xs], dtype=float),
        entry_capacity=np.array([c.entry_capacity_per_day for c in xs], dtype=float),
        exit_rule=np.array([rule_mask(c.exit_admits) for c in xs], dtype=np.int64),
        entry_rule=np.array([rule_mask(c.entry_admits) for c in xs], dtype=np.int64),
        nationalities=nationalities,
        nat_country=np.array([cindex.get(n, -1) for n in nationalities], dtype=np.int16),
        statuses=list(STATUSES), settled=settled,
        doc_masks=np.array(masks, dtype=np.int8), doc_shares=shares,
    )
