"""A scenario compiled into arrays: the road graph with shortest paths, crossings, stocks,
timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from travesia.scenario.admission import STATUSES, Rule, Vocabulary
from travesia.scenario.load import Scenario
from travesia.scenario.schema import split_ids


@dataclass
class Inflows:
    """[R] the rows of inflows.csv as arrays (model.md §4b)."""

    place: np.ndarray
    nat: np.ndarray
    status: np.ndarray
    first: np.ndarray                # run day of `start`
    last: np.ndarray                 # run day of `end` (inclusive)
    per_day: np.ndarray              # float: fractions carry over day to day
    transit: np.ndarray              # bool: set out at once, else settle

    @classmethod
    def empty(cls) -> Inflows:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, z, np.zeros(0), np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.place)


@dataclass
class World:
    """Everything the engine needs, as arrays indexed by place (P), crossing (C), nationality (N),
    status (S) and trait set (K: a combination of documents and demographic groups)."""

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
    exit_rule: list[Rule]            # [C] admission rules (admission.py)
    entry_rule: list[Rule]
    return_rule: list[Rule]          # who the exit post lets back in from the strip
    nationalities: list[str]
    nat_country: np.ndarray          # [N] index into countries, -1 if not a country of the network
    statuses: list[str]
    settled: np.ndarray              # [P, N, S] int64
    trait_masks: np.ndarray          # [K] uint16 bits of vocabulary.traits
    trait_shares: np.ndarray         # [N, S, K] documents x groups, drawn independently
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    # [P] the region of each place (places.csv `region`; a place without one is its own region)
    place_region: list[str] = field(default_factory=list)
    # inflows.csv, one entry per row: where, who, the days [first, last] (run days, may lie
    # outside the run), people a day, and whether they set out at once (transit) or settle
    inflows: Inflows = field(default_factory=Inflows.empty)
    # [P] people a destination absorbs over the run (-1: everyone), and whether those past it go
    # on in transit (else they settle there) (model.md §4b)
    place_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    place_transit: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        P = len(self.place_names)
        if len(self.place_capacity) != P:
            self.place_capacity = np.full(P, -1, dtype=np.int64)
        if len(self.place_transit) != P:
            self.place_transit = np.zeros(P, dtype=bool)

    @property
    def into_network(self) -> np.ndarray:
        """[C] whether a crossing leads to a destination with a capacity: a place of the network,
        where people who entered take a status in the new country by how they entered."""
        return self.place_capacity[self.destination] >= 0

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
    nationalities = list(scenario.vocabulary.nationalities) or sorted(
        {p.nationality for p in scenario.population} | {d.nationality for d in scenario.documents})
    nindex = {n: i for i, n in enumerate(nationalities)}
    settled = np.zeros((P, len(nationalities), len(STATUSES)), dtype=np.int64)
    for p in scenario.population:
        settled[index[p.place], nindex[p.nationality], STATUSES.index(p.status)] += p.people

    vocab = scenario.vocabulary
    doc_masks, doc_shares = _mask_shares(scenario.documents, "documents", vocab, nindex)
    group_masks, group_shares = _mask_shares(scenario.groups, "groups", vocab, nindex)
    # documents and groups are drawn independently: the joint is their product
    masks = (doc_masks[:, None] | group_masks[None, :]).ravel()
    shares = (doc_shares[:, :, :, None] * group_shares[:, :, None, :]).reshape(
        len(nationalities), len(STATUSES), -1
    )

    return World(
        name=scenario.name, start=scenario.spec.start, days=scenario.days,
        place_names=names, place_country=np.array([cindex[p.country] for p in places],
                                                  dtype=np.int16),
        place_kind=[p.kind for p in places],
        lat=np.array([p.lat for p in places]), lon=np.array([p.lon for p in places]),
        countries=countries, link_km=link, dist_km=dist, next_hop=nxt,
        crossing_names=[c.name for c in xs],
        exit_post=np.array([index[c.exit_post] for c in xs], dtype=np.int16),
        entry_post=np.array([index[c.entry_post] for c in xs], dtype=np.int16),
        return_place=np.array([index[c.return_place] for c in xs], dtype=np.int16),
        destination=np.array([index[c.destination] for c in xs], dtype=np.int16),
        strip_km=np.array([c.strip_km for c in xs], dtype=float),
        exit_capacity=np.array([c.exit_capacity_per_day for c in xs], dtype=float),
        entry_capacity=np.array([c.entry_capacity_per_day for c in xs], dtype=float),
        exit_rule=[vocab.parse(c.exit_admits) for c in xs],
        entry_rule=[vocab.parse(c.entry_admits) for c in xs],
        return_rule=[vocab.parse(c.return_admits) for c in xs],
        nationalities=nationalities,
        nat_country=np.array([cindex.get(n, -1) for n in nationalities], dtype=np.int16),
        statuses=list(STATUSES), settled=settled,
        trait_masks=masks.astype(np.uint16), trait_shares=shares, vocabulary=vocab,
        place_region=[p.region or p.name for p in places],
        inflows=_inflows(scenario, index, nindex),
        place_capacity=np.array([-1 if p.capacity is None else p.capacity for p in places],
                                dtype=np.int64),
        place_transit=np.array([p.beyond_capacity == "transit" for p in places], dtype=bool),
    )


def _inflows(scenario: Scenario, index: dict[str, int], nindex: dict[str, int]) -> Inflows:
    rows = scenario.inflows
    start = scenario.spec.start
    return Inflows(
        place=np.array([index[r.place] for r in rows], dtype=np.int64),
        nat=np.array([nindex[r.nationality] for r in rows], dtype=np.int64),
        status=np.array([STATUSES.index(r.status) for r in rows], dtype=np.int64),
        first=np.array([(r.start - start).days for r in rows], dtype=np.int64),
        last=np.array([(r.end - start).days for r in rows], dtype=np.int64),
        per_day=np.array([r.people_per_day for r in rows], dtype=float),
        transit=np.array([r.mode == "transit" for r in rows], dtype=bool),
    )


def _mask_shares(rows, column: str, vocab, nindex: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct trait masks of a shares table and their shares [N, S, K]; a (nationality, status)
    without rows holds none of them."""
    def mask_of(value: str) -> int:
        return 0 if value == "none" else vocab.mask_of(split_ids(value))

    masks = [0] + sorted({mask_of(getattr(r, column)) for r in rows} - {0})
    shares = np.zeros((len(nindex), len(STATUSES), len(masks)))
    for r in rows:
        if r.nationality in nindex:
            shares[nindex[r.nationality], STATUSES.index(r.status),
                   masks.index(mask_of(getattr(r, column)))] += r.share
    shares[shares.sum(axis=2) == 0, 0] = 1.0
    return np.array(masks, dtype=np.int64), shares
