"""Conflicts over time (conflicts.csv) and the spawn decay (simulation.conflicts_today,
decay_today, spawn_weights): expected weights worked out by hand, day by day."""

from __future__ import annotations

import numpy as np
from test_flee_kit import write_case

from travesia.model.flee.reader import read_case
from travesia.model.flee.simulation import FleeSimulation

# Days 0-9, intensity at A and B. A ends on day 5 (yesterday exactly 1) and starts again on
# day 7 at 0.5; B falls to 0 on day 6 but stays in conflict: Flee ends a conflict only when
# yesterday's intensity was exactly 1, and B's was 0.5.
CONFLICTS = ["#Day,A,B", "0,1,0", "1,1,0", "2,1,0", "3,1,0.5", "4,1,0.5", "5,0,0.5", "6,0,0",
             "7,0.5,0", "8,0.5,0", "9,0.5,0"]
# population x intensity x decay, decay [1, 0.5, 0.1] stepped every 2 days since the start:
# A (1000) from day 0, again from day 7; B (500, intensity 0.5) from day 3
EXPECTED = {  # day: (A, B)
    0: (1000, 0), 1: (1000, 0), 2: (500, 0), 3: (500, 250), 4: (100, 250),
    5: (0, 125), 6: (0, 125), 7: (500, 25), 8: (500, 25), 9: (250, 25),
}


def test_conflicts_start_end_and_decay_day_by_day(tmp_path):
    case = read_case(write_case(
        tmp_path,
        locations=["A,r,X,0,0,town,,1000", "B,r,X,0,0,town,,500", "C,r,Y,0,0,camp,,"],
        routes=["A,C,100", "B,C,100"],
        conflicts=CONFLICTS,
        settings="spawn_rules:\n  conflict_spawn_decay: [1.0, 0.5, 0.1]\n  "
                 "conflict_spawn_decay_interval: 2\n"
                 "move_rules:\n  default_movechance: 0.3\n  conflict_movechance: 1.0\n",
    ))
    sim = FleeSimulation(case, seed=0)
    a, b = sim.world.names.index("A"), sim.world.names.index("B")
    for t in range(10):
        sim.conflicts_today(t)
        weights = sim.spawn_weights(t)
        assert (weights[a], weights[b]) == EXPECTED[t], t
        in_conflict_a = t < 5 or t >= 7
        assert sim.state.movechance[a] == (1.0 if in_conflict_a else 0.3), t
        assert sim.state.town[a] == (not in_conflict_a), t
        assert sim.state.conflict[b] == (0.5 if t >= 3 else -1.0), t
    assert sim.state.time_of_conflict[a] == 7 and sim.state.time_of_conflict[b] == 3
    assert np.all(sim.spawn_weights(9)[sim.world.names.index("C")] == 0)
