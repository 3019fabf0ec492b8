"""Engine benchmark (not a test): agent-steps per second and bytes per moving agent.

    python benchmarks/engine.py [--sizes 10000 100000 1000000] [--days 100]

Each size runs in a fresh process on a synthetic network of 50 places and 4 crossings: M agents
start on the roads at day 0, travel, queue at posts that process M/40 people a day each, half of
them lack the
visa the entry posts ask for and are stranded, cross at night, give up and go back, settle and
leave again. Every phase of the step runs on every day. An agent-step is one live agent on one
day. Memory is the peak resident size of the process above what it held before the agents
existed, divided by M. The last line times the whole default run (`travesia run`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def synthetic_world(places: int = 50, crossings: int = 4, seed: int = 0):
    from travesia.scenario.admission import Vocabulary
    from travesia.model.world import World, shortest_paths

    rng = np.random.default_rng(seed)
    P = places + 2 * crossings + crossings          # cities, posts, destinations
    link = np.full((P, P), np.inf)
    for i in range(places):                          # a ring of cities with random chords
        j = (i + 1) % places
        link[i, j] = link[j, i] = rng.uniform(100, 500)
    for _ in range(places):
        i, j = rng.integers(0, places, 2)
        if i != j:
            link[i, j] = link[j, i] = rng.uniform(100, 800)
    exit_post = np.arange(places, places + crossings)
    entry_post = exit_post + crossings
    dest = entry_post + crossings
    for c in range(crossings):
        city = int(rng.integers(0, places))
        link[city, exit_post[c]] = link[exit_post[c], city] = 30.0
        # long onward trips keep agents moving
        link[entry_post[c], dest[c]] = link[dest[c], entry_post[c]] = 6000.0
    dist, nxt = shortest_paths(link)
    countries = ["X", "Y"]
    place_country = np.zeros(P, dtype=np.int16)
    place_country[entry_post] = 1
    place_country[dest] = 1
    settled = np.zeros((P, 2, 2), dtype=np.int64)
    settled[:places] = 1000
    vocab = Vocabulary()
    masks = np.array([0, vocab.mask_of(["passport", "visa"])], dtype=np.uint16)
    return World(
        name="synthetic", start=__import__("datetime").date(2026, 1, 1), days=10_000,
        place_names=[f"p{i}" for i in range(P)], place_country=place_country,
        place_kind=["city"] * places + ["post"] * (2 * crossings) + ["destination"] * crossings,
        lat=np.zeros(P), lon=np.zeros(P), countries=countries, link_km=link, dist_km=dist,
        next_hop=nxt,
        crossing_names=[f"c{c}" for c in range(crossings)], exit_post=exit_post.astype(np.int16),
        entry_post=entry_post.astype(np.int16), return_place=np.zeros(crossings, dtype=np.int16),
        destination=dest.astype(np.int16), strip_km=np.ones(crossings),
        exit_capacity=np.full(crossings, 2000.0), entry_capacity=np.full(crossings, 2000.0),
        exit_rule=[vocab.parse("any")] * crossings,
        entry_rule=[vocab.parse("national;visa")] * crossings,
        return_rule=[vocab.parse("any")] * crossings,
        nationalities=["A", "B"], nat_country=np.array([-1, -1], dtype=np.int16),
        statuses=["regular", "irregular"],
        settled=settled, trait_masks=masks, trait_shares=np.full((2, 2, 2), 0.5), vocabulary=vocab,
    )


def bench_size(agents: int, days: int) -> dict:
    from travesia.model.engine import Simulation
    from travesia.model.engine.agents import TRAVELLING
    from travesia.scenario.parameters import Parameters

    world = synthetic_world()
    # posts process a fortieth of the agents a day each, so queues form but do not hold everyone
    world.exit_capacity[:] = world.entry_capacity[:] = max(agents / 40, 50)
    params = Parameters(speed_km_per_day=60.0,
                        departure_rate_per_day={"regular": 1e-3, "irregular": 1e-3},
                        irregular_attempt_rate_per_day=0.2, irregular_success=0.2,
                        giveup_rate_per_day=0.02)
    # warm the JIT on a small run so compile time is not counted
    Simulation(world, params, seed=1, days=3).run()
    sim = Simulation(world, params, seed=0, days=days)
    rng = np.random.default_rng(0)
    rss_before = current_rss_bytes()
    C = len(world.crossing_names)
    crossing = rng.integers(0, C, agents)
    sim.agents.add(agents, state=TRAVELLING, place=rng.integers(0, 50, agents),
                   target=world.exit_post[crossing],
                   crossing=crossing, nat=rng.integers(0, 2, agents), status=1,
                   traits=world.trait_masks[rng.integers(0, 2, agents)], since=0)
    started = time.perf_counter()
    sim.run()
    wall = time.perf_counter() - started
    peak = peak_rss_bytes()
    return {"agents": agents, "days": days, "wall_s": round(wall, 3),
            "agent_steps": sim.agent_steps,
            "agent_steps_per_s": round(sim.agent_steps / wall),
            "bytes_per_agent": round((peak - rss_before) / agents, 1)}


def bench_default_run() -> dict:
    out = tempfile.mkdtemp()
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from travesia.cli import main; main()", "run",
                           "--quiet", "--out", out],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    summary = json.loads(Path(out, "summary.json").read_text())
    return {"default_run_wall_s": round(wall, 2), "default_run_peak_rss_mb": round(peak / 2**20, 1),
            "simulated_days": summary["period"]["days"], "engine_wall_s": summary["wall_seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(bench_size(args.one, args.days)))
        return
    print(f"{'agents':>10} {'days':>5} {'wall s':>8} {'agent-steps/s':>15} {'bytes/agent':>12}")
    for size in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(size), "--days",
                               str(args.days)],
                              capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{r['agents']:>10,} {r['days']:>5} {r['wall_s']:>8.2f} "
              f"{r['agent_steps_per_s']:>15,} "
              f"{r['bytes_per_agent']:>12}")
    print(json.dumps(bench_default_run()))


if __name__ == "__main__":
    main()
