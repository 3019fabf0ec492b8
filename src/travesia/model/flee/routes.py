"""Candidate routes of every place, enumerated once (and again only when a closure changes the
open links), and their static weights once per day (docs/flee.md, "Route choice").

A candidate route is a loop-free path from a place of up to `awareness_level` hops; markers do not
count as a hop and are never a route's end. Two paths to one end are two candidates, as in Flee.
The static part of a route's weight, (weight_softening + S(end)) / (softening + km) **
distance_power,
is computed here per day; the capacity multiplier of the end, which changes as people arrive, is
applied at the moment of choice by the kernel (kernels.move_pass).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from travesia.model.flee.settings import FleeSettings
from travesia.model.flee.world import FleeWorld

NO_PLACE = np.iinfo(np.uint64).max  # padding of a route's places


@dataclass
class RouteTable:
    # Indices are unsigned, as in world.py (no negative-index check in the kernel)
    start: np.ndarray   # (places + 1,) uint64 CSR offsets into the rows below
    nodes: np.ndarray   # (routes, width) uint64 places after the origin (padding: NO_PLACE)
    length: np.ndarray  # (routes,) uint64 number of places in `nodes`
    end: np.ndarray     # (routes,) uint64 last place
    km: np.ndarray      # (routes,) float64 length of the path
    first_link: np.ndarray  # (routes,) uint64 the link the path leaves its origin by

    @property
    def width(self) -> int:
        return int(self.nodes.shape[1])


def enumerate_routes(world: FleeWorld, link_open: np.ndarray, awareness_level: int,
                     width: int | None = None) -> RouteTable:
    """All candidate routes of every place over the open links."""
    n = len(world.names)
    per_place: list[list[tuple[list[int], float, int]]] = []
    dst, km = world.link_dst, world.link_km
    adj_start, adj_link, marker = world.adj_start, world.adj_link, world.marker

    def open_links(p: int):
        for j in range(adj_start[p], adj_start[p + 1]):
            k = adj_link[j]
            if link_open[k]:
                yield k

    for p in range(n):
        found: list[tuple[list[int], float, int]] = []
        if awareness_level == 0:
            # Flee moves nobody here (a fault); we pick a neighbour uniformly (docs/flee.md).
            found = [([int(dst[k])], float(km[k]), int(k)) for k in open_links(p)]
        else:
            stack = [(int(k), 0.0, [p], 1, int(k)) for k in reversed(list(open_links(p)))]
            while stack:
                k, prior, origins, step, first = stack.pop()
                v = int(dst[k])
                d = prior + float(km[k])
                if not marker[v]:
                    found.append((origins[1:] + [v], d, first))
                else:
                    step -= 1
                if awareness_level > step:
                    nxt = [(int(k2), d, origins + [v], step + 1, first) for k2 in open_links(v)
                           if int(dst[k2]) not in origins]
                    stack.extend(reversed(nxt))
        per_place.append(found)
    longest = max((len(path) for found in per_place for path, _, _ in found), default=1)
    width = max(width or 1, longest)
    total = sum(len(f) for f in per_place)
    nodes = np.full((total, width), NO_PLACE, np.uint64)
    length = np.zeros(total, np.uint64)
    end = np.zeros(total, np.uint64)
    dist = np.zeros(total)
    first_link = np.zeros(total, np.uint64)
    start = np.zeros(n + 1, np.uint64)
    r = 0
    for p, found in enumerate(per_place):
        start[p] = r
        for path, d, first in found:
            nodes[r, : len(path)] = path
            first_link[r] = first
            length[r] = len(path)
            end[r] = path[-1]
            dist[r] = d
            r += 1
    start[n] = r
    return RouteTable(start, nodes, length, end, dist, first_link)


def static_weights(table: RouteTable, score: np.ndarray, cfg: FleeSettings) -> np.ndarray:
    """(weight_softening + S(end)) / (softening + km) ** distance_power for every route."""
    if cfg.awareness_level == 0:
        return np.ones(len(table.end))
    return (cfg.weight_softening + score[table.end]) / (cfg.softening
                                                        + table.km) ** cfg.distance_power
