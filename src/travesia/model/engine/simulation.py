"""The step loop of the travesia ruleset. One day is one step: `PLAN` lists its phases in order,
each a function of the simulation (the typed state below) and the day (docs/model.md §1–7).
`travesia phases` prints the plan."""

from __future__ import annotations

import copy
import time
import zlib
from dataclasses import dataclass, field
from collections.abc import Callable

import numpy as np

from travesia.scenario.parameters import Parameters
from travesia.model.results import CROSSING_FLOWS, CROSSING_LEVELS, STATE_COLUMNS, Results
from travesia.model.world import World
from travesia.model.engine.agents import (
    FREE, INFORMAL, ONWARD, QUEUED_ENTRY, QUEUED_EXIT, RETURNING, SHELTERED, STRANDED, TRAVELLING,
    Agents,
)
from travesia.model.engine.crossing import cross
from travesia.model.engine.removals import removals
from travesia.model.engine.departures import (
    admitted_shares, choose_exit, compile_rushes, depart, group_tilt, response_by_cell,
)
from travesia.model.engine.network import come_in, reach_places
from travesia.model.engine.informal import informal_crossings
from travesia.model.engine.stranded import giveup_chance, night_crossing_success, stranded_choices
from travesia.model.engine.timeline import (
    PolicyState,
    apply_event,
    apply_timeline,
    compile_plans,
    compile_timeline,
)
from travesia.model.engine.tally import tally_agents
from travesia.scenario.schema import removal_label
from travesia.model.engine.travel import road_km, travel
from travesia.scenario.measures import INFORMAL_MEASURES

# agent state -> column of the daily table
STATE_COLUMN = {
    TRAVELLING: "travelling", QUEUED_EXIT: "queued", QUEUED_ENTRY: "queued", STRANDED: "stranded",
    ONWARD: "onward", RETURNING: "returning", SHELTERED: "sheltered", INFORMAL: "queued",
}
_COL = np.full(9, -1, dtype=np.int64)
for _state, _name in STATE_COLUMN.items():
    _COL[_state] = STATE_COLUMNS.index(_name)
# agent state -> crossing level (queue, stranded, sheltered)
_LEVEL = np.full(9, -1, dtype=np.int64)
_LEVEL[[QUEUED_EXIT, QUEUED_ENTRY, STRANDED, SHELTERED]] = [0, 0, 1, 2]

@dataclass(frozen=True)
class Phase:
    """One phase of the day: its name (also its random stream's), the model.md section, what it
    does."""

    name: str
    section: str
    does: str
    run: Callable[[Simulation, int], None]


def _timeline(sim: Simulation, day: int) -> None:
    if day == 0 and sim.applied_day0:       # applied when the simulation was set up
        return
    sim.hear_announcements(day, apply_timeline(sim, day))
    sim.hear_plans(day)


def _departures(sim: Simulation, day: int) -> None:
    sim.today.considering = depart(sim, day)


def _exit_choice(sim: Simulation, day: int) -> None:
    choose_exit(sim, day, sim.today.considering)


def _travel(sim: Simulation, day: int) -> None:
    sim.today.reached = _NOBODY
    sim.arrive(day, travel(sim, day))


def _network(sim: Simulation, day: int) -> None:
    reach_places(sim, day, sim.today.reached)
    come_in(sim, day)


def _crossing(sim: Simulation, day: int) -> None:
    sim.today.held = cross(sim, day)


def _stranded_choices(sim: Simulation, day: int) -> None:
    stranded_choices(sim, day, sim.today.held)


def _informal(sim: Simulation, day: int) -> None:
    informal_crossings(sim, day)


def _removals(sim: Simulation, day: int) -> None:
    removals(sim, day)


def _record(sim: Simulation, day: int) -> None:
    sim.record(day)


PLAN: tuple[Phase, ...] = (
    Phase("timeline", "§1",
          "today's events change the policy; announced and planned rules move beliefs", _timeline),
    Phase("departures", "§2", "settled people consider leaving: binomial draws per cell",
          _departures),
    Phase("exit_choice", "§3", "those considering choose a crossing or staying, by believed chance",
          _exit_choice),
    Phase("travel", "§4",
          "agents move along the quickest paths (each route at its mode's speed); trips that "
          "end queue, wait, arrive or settle", _travel),
    Phase("network", "§4b",
          "arrivals past a place's capacity settle or go on; people come into the map "
          "(inflows.csv); those in transit set out for a crossing",
          _network),
    Phase("crossing", "§5",
          "exit post, strip, entry post: capacities, rules, first come first served",
          _crossing),
    Phase("stranded_choices", "§6", "flights, shelter, night attempts, giving up, waiting",
          _stranded_choices),
    Phase("informal", "§6b",
          "informal crossings: leaving the line for one; attempts up to capacity, caught, "
          "injured, died, across", _informal),
    Phase("removals", "§7",
          "removal campaigns take people by flight or bus, up to their daily capacity",
          _removals),
    Phase("record", "§8", "counts by place and state, flows by crossing; beliefs take in the news",
          _record),
)
PHASES = tuple(phase.name for phase in PLAN)      # the random streams, one per phase


@dataclass
class Today:
    """What one phase hands the next within a day."""

    # [P, N, S]
    considering: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # agents at crossings
    held: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # agents who reached a destination with a capacity today (for the network phase)
    reached: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


_NOBODY = np.zeros(0, dtype=np.int64)


def phase_rng(seed: int, phase: str) -> np.random.Generator:
    """One stream per phase, seeded from the run's seed and the phase's name (common random
    numbers)."""
    return np.random.default_rng([seed, zlib.crc32(phase.encode())])


class Simulation:
    """The state a day's phases read and change."""

    world: World
    params: Parameters
    seed: int
    days: int
    rng: dict[str, np.random.Generator]     # one stream per phase
    agents: Agents                          # people on the move (arrays)
    settled: np.ndarray                     # [P, N, S] people settled, counts per cell
    arrived: np.ndarray                     # [P, N, S] people who reached a destination
    flown: np.ndarray                       # [P, N, S] people who left on a flight
    newly: np.ndarray                       # [P, N, S] of `settled`, those who settled in the run
    newly_settled: np.ndarray               # [T, P] `newly` at each day's end
    shelter_capacity: np.ndarray            # [T, P] places of the shelters open at each place
    removed: np.ndarray                     # [P, N, S] people removed from each place
    removed_by: dict[str, np.ndarray]       # removal campaign -> [T] people it removed each day
    policy: PolicyState                     # what the timeline controls
    cell_response: np.ndarray               # [N, S] departure-rate multiplier (§2)
    leaver_traits: np.ndarray               # [N, S, K] trait shares of leavers
    belief: np.ndarray                      # [C, N, S] believed chance of getting through
    flows: dict[str, np.ndarray]            # per crossing and day: flows and levels
    informal_flows: dict[str, np.ndarray]   # per informal crossing and day (INFORMAL_MEASURES)
    informal_carry: np.ndarray              # [I] fractions of capacity carried to the next day
    link_km32: np.ndarray                   # [P, P] road km at road speed (travel.road_km)
    next_hop: np.ndarray                    # [P, P] next place on the quickest path
    counts: np.ndarray                      # [T, P, states]
    inflow: np.ndarray                      # [T, P] people who came into the map (inflows.csv)
    inflow_carry: np.ndarray                # [R] fractions of people each inflow row carries
    into_network: np.ndarray                # [C] the crossing leads to a place with a capacity
    has_capacity: bool                      # some destination has a capacity (model.md §4b)
    today: Today

    def __init__(self, world: World, params: Parameters, seed: int = 0, events=(),
                 days: int | None = None):
        self.world, self.params, self.seed = world, params, seed
        self.days = world.days if days is None else min(days, world.days)
        self.rng = {name: phase_rng(seed, name) for name in PHASES}
        self.agents = Agents()
        self.settled = world.settled.copy()
        P, N, S = self.settled.shape
        C = len(world.crossing_names)
        self.arrived = np.zeros((P, N, S), dtype=np.int64)
        self.flown = np.zeros((P, N, S), dtype=np.int64)
        self.removed = np.zeros((P, N, S), dtype=np.int64)
        self.policy = PolicyState.initial(world)
        self.events = list(events)
        self.events_by_day = compile_timeline(world, self.events)
        self.plans_by_day = compile_plans(world, self.events)   # announced before they take effect
        self.rushes = compile_rushes(world, self.events)        # rule changes to beat (§2)
        # departure responses by nationality, status and group are fixed for the run (§2): [N, S]
        # multiplier of a cell's rate, and [N, S, K] the trait shares of those who leave
        response = response_by_cell(params.nationality_response, world.nationalities,
                                    world.statuses)
        tilt = group_tilt(params.group_response, world)
        self.cell_response = response if tilt is None else response * tilt[0]
        self.leaver_traits = world.trait_shares if tilt is None else tilt[1]
        # road lengths at road speed and quickest paths (a route on foot counts longer)
        self.link_km32, self.next_hop = road_km(world, params)
        self.capacity_carry = {"exit": np.zeros(C), "entry": np.zeros(C)}
        T = self.days
        self.flows = {name: np.zeros((T, C),
                                     dtype=np.int64) for name in CROSSING_FLOWS + CROSSING_LEVELS}
        self.counts = np.zeros((T, P, len(STATE_COLUMNS)), dtype=np.int64)
        self.inflow = np.zeros((T, P), dtype=np.int64)
        self.inflow_carry = np.zeros(len(world.inflows))
        self.into_network = world.into_network
        self.has_capacity = bool((world.place_capacity >= 0).any())
        # per informal crossing and day (measures.py INFORMAL_MEASURES); capacity carried over
        self.informal_flows = {name: np.zeros((T, len(world.informal)), dtype=np.int64)
                               for name in INFORMAL_MEASURES}
        self.informal_carry = np.zeros(len(world.informal))
        self.newly = np.zeros((P, N, S))
        self.newly_settled = np.zeros((T, P))
        self.shelter_capacity = np.zeros((T, P), dtype=np.int64)
        # [T, P] per needs category: people on the move at each place of the groups mapped to it
        self.group_people = {category: np.zeros((T, P), dtype=np.int64)
                             for category, _ in world.needs_groups}
        self.removed_by = {removal_label(ev): np.zeros(T, dtype=np.int64)
                           for ev in self.events if ev.type == "removal"}
        self.news_ok = np.zeros((T, C, N, S))
        self.news_all = np.zeros((T, C, N, S))
        self.belief_history = np.zeros((T, C, N, S))
        self.agent_steps = 0
        self.day = 0
        self.today = Today()
        apply_timeline(self, 0)   # events of day 0 set the initial conditions people believe in
        self.applied_day0 = True
        self.belief = self.implied_belief(0)
        self.hear_plans(0)

    # --- the step -------------------------------------------------------------------------------
    def step(self, day: int) -> None:
        """One day: the phases of PLAN, in order."""
        self.day = day
        for phase in PLAN:
            phase.run(self, day)

    def run(self, progress: Callable[[int, int], None] | None = None) -> Results:
        started = time.perf_counter()
        for day in range(self.days):
            self.step(day)
            if progress:
                progress(day + 1, self.days)
        return Results.from_simulation(self, wall_seconds=time.perf_counter() - started)

    # --- pieces of phases -----------------------------------------------------------------------
    def arrive(self, day: int, who: np.ndarray) -> None:
        """Trips that ended today: at a post people queue; past the border they arrive (at a
        destination with a capacity, the network phase decides); back home they settle."""
        if len(who) == 0:
            return
        a = self.agents
        state = a.view("state")
        st = state[who]
        to_queue = who[st == TRAVELLING]
        state[to_queue] = QUEUED_EXIT
        if len(self.world.informal):        # at an informal crossing's origin side: wait there
            state[to_queue[a.crossing[to_queue] >= len(self.world.crossing_names)]] = INFORMAL
        a.since[to_queue] = day
        for end_state, stock in ((ONWARD, self.arrived), (RETURNING, self.settled)):
            done = who[st == end_state]
            if end_state == ONWARD and self.has_capacity:
                limited = self.world.place_capacity[a.place[done]] >= 0
                self.today.reached, done = done[limited], done[~limited]
            np.add.at(stock, (a.place[done], a.nat[done], a.status[done]), 1)
            state[done] = FREE
        back = who[st == RETURNING]
        self.settle_newly(a.place[back], a.nat[back], a.status[back])

    def settle_newly(self, place: np.ndarray, nat: np.ndarray, status: np.ndarray) -> None:
        """People (one entry each) who settle after a trip back or a stay in a shelter: the host
        community's new residents, counted where they stay (measures.py `newly_settled`)."""
        if len(place):
            np.add.at(self.newly, (place, nat, status), 1.0)

    def unsettle(self, cells, taken) -> None:
        """`taken` people leave the settled `cells` (call before `settled` is lowered). Those who
        leave are drawn from a cell at random, so the newly settled among them are, in
        expectation, their share of the cell: no random number is drawn for it."""
        have = self.settled[cells]
        share = np.divide(self.newly[cells], have, out=np.zeros(np.shape(have), dtype=float),
                          where=have > 0)
        self.newly[cells] -= share * taken

    def record_news(self, c: int, nat: np.ndarray, status: np.ndarray, ok: bool) -> None:
        """What people met at a crossing (got through, or gave up) travels back as news."""
        if len(nat) == 0:
            return
        N, S = self.news_all.shape[2:]
        heard = np.bincount(nat.astype(np.int64) * S + status, minlength=N * S).reshape(N, S)
        self.news_all[self.day, c] += heard
        if ok:
            self.news_ok[self.day, c] += heard

    def implied_belief(self, day: int, policy: PolicyState | None = None) -> np.ndarray:
        """[C, N, S] chance of getting through that the rules in force imply: those admitted by
        their documents, plus those who would cross at night before giving up. Beliefs start here,
        and move towards it when a crossing's rules or enforcement are announced (model.md §3)."""
        world, p, policy = self.world, self.params, policy or self.policy
        night = p.irregular_attempt_rate_per_day * night_crossing_success(self, day, policy)
        give = giveup_chance(self, policy)
        eventually = night / np.maximum(night + (1 - night) * give, 1e-12)
        admitted = admitted_shares(world, policy)
        return admitted + (1 - admitted) * np.reshape(eventually, (-1, 1, 1))

    def hear_announcements(self, day: int, crossings: set[int]) -> None:
        """Changed rules or enforcement at a crossing are public news, heard at once."""
        if not crossings:
            return
        implied = self.implied_belief(day)
        w = self.params.announcement_weight
        for c in crossings:
            self.belief[c] += w * (implied[c] - self.belief[c])

    def hear_plans(self, day: int) -> None:
        """Rules or enforcement announced today for a later date are news too: beliefs close
        announcement_weight of the gap to the chance the announced policy implies (model.md §3)."""
        plans = self.plans_by_day.get(day)
        if not plans:
            return
        planned = copy.deepcopy(self.policy)
        crossings = {apply_event(planned, self.world, ev, day) for ev in plans}
        implied = self.implied_belief(day, planned)
        w = self.params.announcement_weight
        for c in crossings:
            self.belief[c] += w * (implied[c] - self.belief[c])

    def update_beliefs(self, day: int) -> None:
        news_day = day - self.params.news_delay_days
        if news_day < 0:
            return
        heard = self.news_all[news_day]
        rate = np.divide(self.news_ok[news_day], heard, out=np.zeros_like(heard), where=heard > 0)
        self.belief = np.where(heard > 0,
                               self.belief + self.params.belief_update_rate * (rate - self.belief),
                               self.belief)

    def record_group_people(self, day: int) -> None:
        """Per place, the people on the move (all of whom depend on provision where they are:
        impacts.py) of each needs category's groups."""
        a, P = self.agents, len(self.world.place_names)
        live = _COL[a.view("state")] >= 0
        traits, place = a.view("traits"), a.view("place")
        for category, bit in self.world.needs_groups:
            mine = live & ((traits & bit) != 0)
            self.group_people[category][day] += np.bincount(place[mine], minlength=P)

    def record(self, day: int) -> None:
        a, world = self.agents, self.world
        P, C = len(world.place_names), len(world.crossing_names)
        counts = np.zeros((P, len(STATE_COLUMNS)), dtype=np.int64)
        levels = np.zeros((C, len(CROSSING_LEVELS)), dtype=np.int64)
        self.agent_steps += tally_agents(a.view("state"), a.view("place"), a.view("crossing"), _COL,
                                         _LEVEL,
                                         # agents alive today: the work of this step
                                         counts, levels)
        counts[:, STATE_COLUMNS.index("settled")] = self.settled.sum(axis=(1, 2))
        counts[:, STATE_COLUMNS.index("arrived")] = self.arrived.sum(axis=(1, 2))
        counts[:, STATE_COLUMNS.index("flown")] = self.flown.sum(axis=(1, 2))
        counts[:, STATE_COLUMNS.index("removed")] = self.removed.sum(axis=(1, 2))
        self.counts[day] = counts
        self.newly_settled[day] = self.newly.sum(axis=(1, 2))
        if world.needs_groups:
            self.record_group_people(day)
        policy = self.policy
        open_ = np.flatnonzero((policy.shelter_until >= day) & (policy.shelter_place >= 0))
        np.add.at(self.shelter_capacity[day], policy.shelter_place[open_],
                  policy.shelter_capacity[open_])
        for i, name in enumerate(CROSSING_LEVELS):
            self.flows[name][day] = levels[:, i]
        self.update_beliefs(day)
        self.belief_history[day] = self.belief
        if a.n > 4096 and a.active < a.n // 2:
            a.compact()


def simulate(world: World, params: Parameters, seed: int = 0, events=(), days: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> Results:
    return Simulation(world, params, seed=seed, events=events, days=days).run(progress)
