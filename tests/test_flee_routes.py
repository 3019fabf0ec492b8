"""Route choice on a 4-place graph: candidates, pruning of loops, markers, weights, capacity."""

from __future__ import annotations

import numpy as np
import pytest

from test_flee_kit import write_case
from travesia.model.flee.kernels import cap_multiplier
from travesia.model.flee.reader import read_case
from travesia.model.flee.routes import enumerate_routes, static_weights
from travesia.model.flee.settings import FleeSettings
from travesia.model.flee.simulation import FleeSimulation
from travesia.model.flee.world import compile_world

#      10 km        20 km
#   A ------- B ------- C          a square: A-B 10, B-C 20, C-D 30, D-A 40
#   |                   |
#   +------ D ----------+
#     40 km     30 km


def square(tmp_path, b_type="town", c_type="camp", c_cap=""):
    return read_case(write_case(
        tmp_path,
        locations=["A,r,X,0,0,town,,", f"B,r,X,0,0,{b_type},,", f"C,r,X,0,0,{c_type},,{c_cap}",
                   "D,r,X,0,0,town,,"],
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
    assert routes_of(enumerate_routes(world, open_, 2), world,
                     a) == {"B": 10, "BC": 30, "D": 40, "DC": 70}
    # three hops: also A-B-C-D (60) and A-D-C-B (90); never back to A
    assert routes_of(enumerate_routes(world, open_, 3), world, a) == {
        "B": 10, "BC": 30, "BCD": 60, "D": 40, "DC": 70, "DCB": 90}


def test_each_route_knows_the_link_it_leaves_by(tmp_path):
    """The kernel steps onto `first_link` without searching: it must leave the origin towards the
    route's first place, also when that place is a marker, and only over open links."""
    world = compile_world(square(tmp_path, b_type="marker"))
    open_ = np.ones(len(world.link_km), bool)
    a_to_d = next(k for k in range(len(world.link_km))
                  if world.names[world.link_src[k]] == "A" and world.names[world.link_dst[k]]
                  == "D")
    for links_open in (open_, np.where(np.arange(len(open_)) == a_to_d, False, open_)):
        t = enumerate_routes(world, links_open, 2)
        for p in range(len(world.names)):
            for r in range(t.start[p], t.start[p + 1]):
                k = t.first_link[r]
                assert (
                    world.link_src[k] == p and world.link_dst[k] == t.nodes[r, 0] and links_open[k]
                )
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
    got = {k: w[r] for r, k in zip(range(table.start[0], table.start[1]),
                                   routes_of(table, world, 0))}
    assert got == pytest.approx({"B": 1 / 20, "BC": 2 / 40, "D": 1 / 50, "DC": 2 / 80})


def first_choices(case, *, agents=20_000, at_c=0):
    """Shares of the routes chosen by `agents` people leaving A at once (move chance 1), read
    back from the kernel's state after one day: max_move_speed 1 keeps everyone on the first
    link, and a two-hop plan is still held (route_len 2) while a one-hop plan is done."""
    cfg = FleeSettings(awareness_level=2, softening=10.0, distance_power=1.0, camp_weight=2.0,
                       max_move_speed=1.0, avoid_short_stints=False)
    sim = FleeSimulation(case, seed=3, cfg=cfg)
    a, c = sim.world.names.index("A"), sim.world.names.index("C")
    sim.state.movechance[a], sim.state.movechance[c] = 1.0, 0.0
    sim.add_agents(np.full(at_c, c, dtype=np.int64))
    sim.add_agents(np.full(agents, a, dtype=np.int64))
    sim.scores_today(0)
    sim.move()
    ag = sim.agents
    movers = slice(at_c, at_c + agents)
    to = np.array(sim.world.names)[sim.world.link_dst[ag.where[movers]]]
    held = ag.route_len[movers] == 2
    assert ag.on_link[movers].all()
    return {name: float(np.mean((to == first) & (held == two)))
            for name, first, two in (("B", "B", False), ("BC", "B", True), ("D", "D", False),
                                     ("DC", "D", True))}


def test_one_weighted_draw_over_all_candidates(tmp_path):
    """Weights 0.05, 0.05, 0.02, 0.025 (total 0.145): shares 0.345, 0.345, 0.138, 0.172 for B,
    BC, D and DC. 20,000 draws: a share's standard error is under 0.0034, the tolerance 0.015."""
    shares = first_choices(square(tmp_path))
    expect = np.array([0.05, 0.05, 0.02, 0.025]) / 0.145
    assert list(shares.values()) == pytest.approx(list(expect), abs=0.015)


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
    """C (camp, capacity 100) past its buffer 0.9: the routes ending at C are weighed with the
    multiplier. 94 there: 0.6, weights 0.05, 0.03, 0.02, 0.015; 100 there: C weighs 0 and only
    B and D remain (0.05 and 0.02). (At 95 and more a plan to C is also dropped on leaving, as
    the camp counts as full below a multiplier of 0.5.)"""
    for occupants, weights in ((94, [0.05, 0.03, 0.02, 0.015]), (100, [0.05, 0.0, 0.02, 0.0])):
        case = square(tmp_path / str(occupants), c_cap="100")
        shares = first_choices(case, at_c=occupants)
        assert list(shares.values()) == pytest.approx(list(np.array(weights) / sum(weights)),
                                                      abs=0.015)


def test_empty_capacity_is_unlimited(tmp_path):
    world = compile_world(square(tmp_path, c_cap=""))
    assert world.capacity[2] == 0  # empty: 0 -> unlimited (< 1)
    world = compile_world(square(tmp_path / "cap", c_cap="500"))
    assert world.capacity[2] == 500
