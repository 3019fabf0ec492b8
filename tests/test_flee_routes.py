"""Route choice on a 4-place graph: candidates, pruning of loops, markers, weights, capacity."""

from __future__ import annotations

import numpy as np
import pytest

from test_flee_kit import write_case
from travesia.flee.kernels import cap_multiplier, choose_route
from travesia.flee.reader import read_case
from travesia.flee.routes import enumerate_routes, static_weights
from travesia.flee.settings import FleeSettings
from travesia.flee.world import compile_world

#      10 km        20 km
#   A ------- B ------- C          a square: A-B 10, B-C 20, C-D 30, D-A 40
#   |                   |
#   +------ D ----------+
#     40 km     30 km


def square(tmp_path, b_type="town", c_type="camp", c_cap=""):
    return read_case(write_case(
        tmp_path,
        locations=["A,r,X,0,0,town,,", f"B,r,X,0,0,{b_type},,", f"C,r,X,0,0,{c_type},,{c_cap}", "D,r,X,0,0,town,,"],
        routes=["A,B,10", "B,C,20", "C,D,30", "D,A,40", "B,A,10"],  # A-B listed twice: one link
    ))


def routes_of(table, world, place):
    names = world.names
    out = {}
    for r in range(table.start[place], table.start[place + 1]):
        out["".join(names[p] for p in table.nodes[r, : table.length[r]])] = float(table.km[r])
    return out


def test_a_link_listed_twice_is_one_link(tmp_path):
    world = compile_world(square(tmp_path))
    assert len(world.link_km) == 8  # 4 roads, both directions


def test_candidates_up_to_awareness_hops_without_loops(tmp_path):
    world = compile_world(square(tmp_path))
    open_ = np.ones(len(world.link_km), bool)
    a = world.names.index("A")
    assert routes_of(enumerate_routes(world, open_, 1), world, a) == {"B": 10, "D": 40}
    # two hops: A-B-C (30 km), A-D-C (70 km); A-B-A and A-D-A are loops and pruned
    assert routes_of(enumerate_routes(world, open_, 2), world, a) == {"B": 10, "BC": 30, "D": 40, "DC": 70}
    # three hops: also A-B-C-D (60) and A-D-C-B (90); never back to A
    assert routes_of(enumerate_routes(world, open_, 3), world, a) == {
        "B": 10, "BC": 30, "BCD": 60, "D": 40, "DC": 70, "DCB": 90}


def test_each_route_knows_the_link_it_leaves_by(tmp_path):
    """The kernel steps onto `first_link` without searching: it must leave the origin towards the
    route's first place, also when that place is a marker, and only over open links."""
    world = compile_world(square(tmp_path, b_type="marker"))
    open_ = np.ones(len(world.link_km), bool)
    a_to_d = next(k for k in range(len(world.link_km))
                  if world.names[world.link_src[k]] == "A" and world.names[world.link_dst[k]] == "D")
    for links_open in (open_, np.where(np.arange(len(open_)) == a_to_d, False, open_)):
        t = enumerate_routes(world, links_open, 2)
        for p in range(len(world.names)):
            for r in range(t.start[p], t.start[p + 1]):
                k = t.first_link[r]
                assert world.link_src[k] == p and world.link_dst[k] == t.nodes[r, 0] and links_open[k]
    assert "D" not in routes_of(t, world, world.names.index("A"))


def test_a_marker_is_no_hop_and_no_destination(tmp_path):
    world = compile_world(square(tmp_path, b_type="marker"))
    open_ = np.ones(len(world.link_km), bool)
    a = world.names.index("A")
    # awareness 1: B is a marker, so the route through it ends at C, one hop away in Flee's count
    assert routes_of(enumerate_routes(world, open_, 1), world, a) == {"BC": 30, "D": 40}


def test_closed_links_are_not_candidates(tmp_path):
    world = compile_world(square(tmp_path))
    open_ = np.ones(len(world.link_km), bool)
    open_[(world.link_src == 0) & (world.link_dst == 1)] = False  # A -> B closed
    assert routes_of(enumerate_routes(world, open_, 2), world, 0) == {"D": 40, "DC": 70}


def test_weights_by_flee_formula(tmp_path):
    """w = (weight_softening + S(end)) / (softening + km) ** distance_power, then ** weight_power.
    With softening 10, distance_power 1, camp_weight 2 (C is a camp): B 1/20, BC 2/40, D 1/50,
    DC 2/80."""
    case = square(tmp_path)
    cfg = FleeSettings(awareness_level=2, softening=10.0, distance_power=1.0, camp_weight=2.0)
    world = compile_world(case, cfg)
    table = enumerate_routes(world, np.ones(len(world.link_km), bool), 2)
    score = np.ones(4)
    score[world.initial.camp] *= cfg.camp_weight
    w = static_weights(table, score, cfg)
    got = {k: w[r] for r, k in zip(range(table.start[0], table.start[1]), routes_of(table, world, 0))}
    assert got == pytest.approx({"B": 1 / 20, "BC": 2 / 40, "D": 1 / 50, "DC": 2 / 80})


def test_one_weighted_draw_over_all_candidates(tmp_path):
    """Weights 0.05, 0.05, 0.02, 0.025 (total 0.145): cumulative shares 0.345, 0.690, 0.828, 1;
    u below 0.345 picks B, below 0.690 BC, below 0.828 D, else DC."""
    case = square(tmp_path)
    cfg = FleeSettings(awareness_level=2, softening=10.0, distance_power=1.0, camp_weight=2.0)
    world = compile_world(case, cfg)
    t = enumerate_routes(world, np.ones(len(world.link_km), bool), 2)
    score = np.where(world.initial.camp, 2.0, 1.0)
    base = static_weights(t, score, cfg)
    counts = np.zeros(4, np.int64)
    cap = np.full(4, -1.0)
    scratch = np.zeros(8)
    names = list(routes_of(t, world, 0))
    picks = [names[choose_route(0, u, t.start, t.end, base, base, counts, cap, 0.9, 1.0, scratch) - t.start[0]]
             for u in (0.0, 0.34, 0.35, 0.68, 0.7, 0.82, 0.83, 0.999)]
    assert picks == ["B", "B", "BC", "BC", "D", "D", "DC", "DC"]


def test_capacity_multiplier_near_and_at_capacity():
    """Capacity 100, buffer 0.9: 1 up to 90 people, then linear to 0 at 100."""
    assert cap_multiplier(0, 100.0, 0.9) == 1.0
    assert cap_multiplier(90, 100.0, 0.9) == 1.0
    assert cap_multiplier(95, 100.0, 0.9) == pytest.approx(0.5)
    assert cap_multiplier(99, 100.0, 0.9) == pytest.approx(0.1)
    assert cap_multiplier(100, 100.0, 0.9) == 0.0
    assert cap_multiplier(150, 100.0, 0.9) == 0.0
    assert cap_multiplier(10**6, -1.0, 0.9) == 1.0  # unlimited (empty capacity)
    assert cap_multiplier(10**6, 0.0, 0.9) == 1.0


def test_capacity_in_the_draw(tmp_path):
    """C (camp, capacity 100) past its buffer: the routes ending at C are weighed with the
    multiplier; at capacity they get weight 0 and only B and D remain."""
    case = square(tmp_path)
    cfg = FleeSettings(awareness_level=2, softening=10.0, distance_power=1.0, camp_weight=2.0)
    world = compile_world(case, cfg)
    t = enumerate_routes(world, np.ones(len(world.link_km), bool), 2)
    base = static_weights(t, np.where(world.initial.camp, 2.0, 1.0), cfg)
    cap = np.array([-1.0, -1.0, 100.0, -1.0])
    scratch = np.zeros(8)
    names = list(routes_of(t, world, 0))
    for occupants, expect in ((95, [0.05, 0.025, 0.02, 0.0125]), (100, [0.05, 0.0, 0.02, 0.0])):
        counts = np.array([0, 0, occupants, 0])
        # the draw's cumulative weights, read back through u just below each boundary
        cum = np.cumsum(expect) / sum(expect)
        for k, c in enumerate(cum):
            if expect[k] == 0:
                continue
            r = choose_route(0, c - 1e-9, t.start, t.end, base, base, counts, cap, 0.9, 1.0, scratch)
            assert names[r - t.start[0]] == names[k]
        assert scratch[: len(expect)] == pytest.approx(expect)


def test_empty_capacity_is_unlimited(tmp_path):
    world = compile_world(square(tmp_path, c_cap=""))
    assert world.capacity[2] == 0  # empty: 0 -> unlimited (< 1)
    world = compile_world(square(tmp_path / "cap", c_cap="500"))
    assert world.capacity[2] == 500
