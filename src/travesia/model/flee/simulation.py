"""One Flee-ruleset run: the day's phases in order, on array state (docs/flee.md, "One day").

    step(day):
      0. assimilate           only on the day after the forecast origin (cfg.assimilate_day):
                              the camps set to their latest counts observed up to the origin
      1. conflicts_today      new conflict zones and their intensities (conflicts.csv)
      2. spawn_today          new agents from the observed daily increase, debt carried (they
                              join at the start of 5, in the same compiled call)
      3. closures_today       closures that start or end today
      4. scores_today         place scores, camp capacities, route weights
      5. move                 pass 1 departures, pass 2 travel (numba kernels)
      6. end_of_day           sink camps (camps_are_sinks)
      7. record               counts per place and per link

Randomness: one stream per phase that draws, all from the run's seed (common random numbers):
a numpy Generator for spawning, for sink camps and for the assimilation, and the kernels' inline
xoshiro256+ for moves. The same seed gives the same run, bit for bit.
"""

from __future__ import annotations

import numpy as np

from travesia.model.flee import kernels
from travesia.model.flee.agents import AgentArrays
from travesia.model.flee.reader import FleeCase
from travesia.model.flee.routes import RouteTable, enumerate_routes, static_weights
from travesia.model.flee.settings import FleeSettings
from travesia.model.flee.world import FleeWorld, compile_world

STREAMS = {"spawn": 1, "move": 2, "sinks": 3, "assimilate": 4}
# A camp's last count older than this at the forecast origin is not assimilated: the run's own
# state is then a better guess than a count months old. Set by hand from the cases' spacing of
# rows (mali2012 ~3 weeks, nigeria2016 ~6), not tuned on forecasts.
ASSIMILATE_MAX_AGE_DAYS = 60


def stream(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(STREAMS[name],)))


class FleeSimulation:
    """A run of a Flee case. `flee_hop_distance=True` reproduces Flee's fault of giving a hop a
    fresh day's distance (for studies of that fault only; docs/flee.md)."""

    def __init__(self, case: FleeCase, *, seed: int = 0, cfg: FleeSettings | None = None,
                 world: FleeWorld | None = None, flee_hop_distance: bool = False) -> None:
        self.case = case
        self.cfg = cfg or case.settings
        self.world = world or compile_world(case, self.cfg)
        self.seed = seed
        c = self.cfg  # the kernel's rules that stay fixed for the run (kernels.move_day)
        self._fixed_rules = (float(c.capacity_buffer), float(c.weight_power),
                             float(c.max_move_speed),
                             float(c.max_walk_speed), bool(c.start_on_foot),
                             bool(c.avoid_short_stints),
                             bool(flee_hop_distance))
        self.rng_spawn = stream(seed, "spawn")
        self.move_state = kernels.new_seed_state(seed, STREAMS["move"])
        self.rng_sinks = stream(seed, "sinks")
        self.rng_assimilate = stream(seed, "assimilate")
        # what the assimilation did (agents moved into camps, taken out, added), once it has run
        self.assimilated: dict[str, int] | None = None
        w = self.world
        self.state = w.initial.copy()
        self.link_open = np.ones(len(w.link_src), dtype=np.bool_)
        self.place_count = np.zeros(len(w.names), dtype=np.int64)
        self.link_count = np.zeros(len(w.link_src), dtype=np.int64)
        self.capacity_today = w.capacity.copy()
        full = enumerate_routes(w, self.link_open, self.cfg.awareness_level)
        self.routes: RouteTable = full
        # places that some route enumerated in this run passes through (not its end): an agent
        # can hold a plan there (tables change with closures; agents keep the routes they hold)
        self.passed_through = np.zeros(len(w.names), dtype=np.bool_)
        self._note_passed_through(full)
        self._routes_key = self.link_open.tobytes()
        self.route_base = np.zeros(len(full.end))
        self.route_wpow = np.zeros(len(full.end))
        self.scratch = np.zeros(max(1, int(np.diff(full.start).max(initial=1))))
        self.countdown = np.zeros(len(w.names), dtype=np.int64)
        self.agents = AgentArrays(full.width)
        # today's spawned agents per place: they join at the start of today's move
        # (kernels.move_day)
        self.new_agents = np.zeros(len(w.names), dtype=np.int64)
        self.debt = 0
        # cumulative observed increase (Flee's "raw UNHCR refugee count")
        self.raw_total = 0
        self.removed = 0
        self.agent_steps = 0
        self.day = 0
        self._name_index = {n: i for i, n in enumerate(w.names)}
        self._conflict_events = self._conflict_calendar()
        self.camps = list(w.initial_camps)
        self._increase = self._daily_increase()
        self._score_key: bytes | None = None
        self._decay: tuple[int, int, np.ndarray] | None = None  # (from day, until day, decay)
        self._spawn_shares: tuple[tuple, np.ndarray | None] | None = None
        self._movechance_rules: tuple[bytes, np.ndarray, np.ndarray, bool] | None = None
        self._day_key: tuple | None = None
        self._sampled_listed: np.ndarray | None = None  # the sampled places the mobile list is for
        self.planned_at = np.zeros(len(w.names), dtype=np.int64)  # kernel scratch
        self._decay_steps = np.asarray(self.cfg.conflict_spawn_decay or (), dtype=float)
        self._capacity_grows = bool(np.any(self.world.capacity_per_day != 0))
        if self.cfg.insert_day0:
            self.insert_day0()

    # ------------------------------------------------------------------ set-up
    def insert_day0(self) -> None:
        """Day-0 populations of the camps (observed, / hasten) are placed in the camps."""
        for c in self.camps:
            series = self.case.camp_counts.get(self.world.names[c])
            if series is not None:
                self.add_agents(np.full(series.at(0), c, dtype=np.int64))

    def add_agents(self, places: np.ndarray) -> None:
        self.agents.add(places, self.sampled_places(), self.place_count)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        t = self.day
        if self.cfg.assimilate_day >= 0 and t == self.cfg.assimilate_day + 1:
            self.assimilate(self.cfg.assimilate_day)
        self.conflicts_today(t)
        self.spawn_today(t)
        self.closures_today(t)
        self.scores_today(t)
        self.move()
        self.end_of_day()
        self.agent_steps += self.agents_present()
        self.day += 1

    def agents_present(self) -> int:
        return self.agents.n - self.removed

    # 0 -------------------------------------------------------------------------
    def latest_counts(self, origin: int) -> dict[int, int]:
        """Per camp with a series: its count on the last row dated on or before day `origin`
        (not interpolated: a value between two rows would read the row after the origin). A camp
        with no row by then, or none in the ASSIMILATE_MAX_AGE_DAYS before it, is left out."""
        out = {}
        for c in self.camps:
            series = self.case.camp_counts.get(self.world.names[c])
            if series is None:
                continue
            known = np.flatnonzero((series.days <= origin)
                                   & (series.days >= origin - ASSIMILATE_MAX_AGE_DAYS))
            if len(known):
                last = known[np.argmax(series.days[known] + 1e-9 * known)]  # ties: the later row
                out[c] = int(series.counts[last])
        return out

    def assimilate(self, origin: int) -> dict[str, int]:
        """Start the forecast from the observed state (docs/flee.md, "Assimilation"): each camp
        with a count by day `origin` holds exactly that count. Agents move, chosen at random
        (own stream): a camp's surplus and then agents not at a camp (on a link, at a town or a
        conflict zone) go to the camps short of their count; a surplus no camp needs leaves the
        run (as a sink takes agents out); a shortfall left when no agent is outside a camp is
        filled with new agents, added to the spawning debt so the agents present stay those of
        the observed total. Moved agents rest at their camp with no plan."""
        from travesia.model.flee.agents import AT_PLACE, AT_PLACE_PLANNED, GONE, NO_PLACE, ON_LINK

        a, rng = self.agents, self.rng_assimilate
        targets = self.latest_counts(origin)
        n = a.n
        st, wh = a.state[:n], a.where[:n]
        resting = (st == AT_PLACE) | (st == AT_PLACE_PLANNED)
        place_of = np.where(resting, wh, 0).astype(np.int64)
        camp = self.state.camp.copy()
        camp[list(targets)] = True  # a camp closed today (a town for now) still has its count
        at_camp = resting & camp[place_of]
        surplus, need = [], []
        for c, want in targets.items():
            have = int(self.place_count[c])
            if have > want:
                here = np.flatnonzero(resting & (place_of == c))
                surplus.append(rng.choice(here, have - want, replace=False))
            elif want > have:
                need.append(np.full(want - have, c, dtype=np.int64))
        surplus_ids = rng.permutation(np.concatenate(surplus)) if surplus else np.zeros(0, np.int64)
        need_at = rng.permutation(np.concatenate(need)) if need else np.zeros(0, np.int64)
        outside = np.flatnonzero((st != GONE) & ~at_camp)
        outside = rng.permutation(outside)[: max(0, len(need_at) - len(surplus_ids))]
        movers = np.concatenate([surplus_ids, outside])[: len(need_at)]
        leaving = surplus_ids[len(need_at):]
        added = need_at[len(movers):]
        # take the movers and the leavers off where they are
        for ids in (movers, leaving):
            links = st[ids] == ON_LINK
            np.subtract.at(self.link_count, wh[ids[links]].astype(np.int64), 1)
            np.subtract.at(self.place_count, wh[ids[~links]].astype(np.int64), 1)
        st[leaving] = GONE
        self.removed += len(leaving)
        dest = need_at[: len(movers)]
        st[movers] = AT_PLACE
        wh[movers] = dest
        a.dist_on_link[movers] = 0.0
        a.route_len[movers] = 0
        a.route_pos[movers] = 0
        a.route[movers] = NO_PLACE
        a.places_travelled[movers] = np.maximum(a.places_travelled[movers], 2)
        np.add.at(self.place_count, dest, 1)
        self.add_agents(added)
        self.debt += len(added)
        self._sampled_listed = None  # the next move lists the mobile afresh
        self.assimilated = {"day": origin, "moved": len(movers),
                            "moved_from_outside_camps": len(movers) - min(len(surplus_ids),
                                                                          len(movers)),
                            "taken_out": len(leaving), "added": len(added)}
        return self.assimilated

    # 1 -------------------------------------------------------------------------
    def _conflict_calendar(self) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The days on which a conflict starts or ends: {day: (places starting, their intensity,
        places ending)}, from conflicts.csv, else from the conflict dates of locations.csv."""
        case = self.case
        if case.conflicts is None:
            loc = case.locations
            events: dict[int, list[int]] = {}
            for i, kind in enumerate(loc.location_type):
                if "conflict" in kind:
                    events.setdefault(int(loc.conflict_date[i]), []).append(i)
            return {t: (np.array(ps, dtype=np.int64), np.ones(len(ps)), np.zeros(0, np.int64))
                    for t, ps in events.items()}
        assert case.conflict_names is not None   # read with the conflicts
        cols = np.array([self._name_index[n] for n in case.conflict_names], dtype=np.int64)
        today = case.conflicts
        before = np.vstack([np.zeros((1, today.shape[1])), today[:-1]])
        on = today > 1e-6
        # Flee ends a conflict only when yesterday's intensity was exactly 1.
        starting, ending = on & (before < 1e-6), ~on & (before == 1.0)
        days = np.flatnonzero(starting.any(axis=1) | ending.any(axis=1))
        return {int(t): (cols[starting[t]], today[t, starting[t]], cols[ending[t]]) for t in days}

    def conflicts_today(self, t: int) -> None:
        events = self._conflict_events.get(t)
        if events is None:
            return
        starting, intensity, ending = events
        for p, x in zip(starting, intensity):
            self._start_conflict(p, x, t)
        if len(ending):
            s = self.state
            s.movechance[ending] = self.cfg.default_movechance
            s.conflict[ending] = -1.0
            s.town[ending] = True

    def _start_conflict(self, p: int, intensity: float, t: int) -> None:
        s = self.state
        s.movechance[p] = self.cfg.conflict_movechance
        s.conflict[p] = intensity
        s.town[p] = False
        s.time_of_conflict[p] = t
        self._decay = None

    # 2 -------------------------------------------------------------------------
    def observed_increase(self, t: int) -> int:
        """Daily increase of the interpolated observed total (sum of camps if sum_from_camps)."""
        return int(self._increase[t]) if t < len(self._increase) else 0

    def _daily_increase(self) -> np.ndarray:
        case = self.case
        series = list(case.camp_counts.values()) if self.cfg.sum_from_camps else (
            [case.total] if case.total is not None else [])
        days = case.length_days
        level = np.zeros(days, np.int64)
        for ser in series:
            level += ser.levels(np.arange(days))
        return np.diff(level, prepend=0)

    def decay_today(self, t: int) -> np.ndarray:
        """Per place: conflict_spawn_decay stepped every interval days since its conflict began
        (time_of_conflict is -1 where none began). Kept until the next day a step changes or a
        conflict starts: spawning and scores both read it every day."""
        if self._decay is not None and self._decay[0] <= t < self._decay[1]:
            return self._decay[2]
        seq, toc = self._decay_steps, self.state.time_of_conflict
        if not len(seq):
            decay, until = np.ones(len(toc)), np.iinfo(np.int64).max
        else:
            interval = self.cfg.conflict_spawn_decay_interval
            steps = (t - toc) // interval
            decay = seq[np.minimum(np.maximum(steps, 0), len(seq) - 1)]
            until = int((toc + (steps + 1) * interval).min())
        self._decay = (t, until, decay)
        return decay

    def spawn_weights(self, t: int) -> np.ndarray:
        """Population x intensity x decay at conflict zones, 0 elsewhere."""
        s = self.state
        return np.where(s.conflict > 0.0, s.pop * s.conflict * self.decay_today(t), 0.0)

    def spawn_shares(self, t: int) -> np.ndarray | None:
        """spawn_weights as shares of their sum (None when it is 0), kept while the weights'
        inputs are unchanged: a day's Python runs with cold caches after the move kernel, where
        each numpy call costs several microseconds."""
        s = self.state
        key = (s.conflict.tobytes(), s.pop.tobytes(), self.decay_today(t).tobytes())
        if self._spawn_shares is None or self._spawn_shares[0] != key:
            weights = self.spawn_weights(t)
            total = weights.sum()
            self._spawn_shares = (key, weights / total if total > 0 else None)
        return self._spawn_shares[1]

    def spawn_today(self, t: int) -> int:
        increase = self.observed_increase(t)
        self.raw_total += increase
        new = increase - self.debt
        if self.cfg.insert_day0 and t == 0:
            new = 0
        if new < 0:
            self.debt = -new
            new = 0
        elif self.debt > 0:
            self.debt = 0
        if new == 0:
            return 0
        shares = self.spawn_shares(t)
        if shares is None:
            self.debt += new  # nowhere to spawn today: carried over (Flee stops with an assertion)
            return 0
        counts = self.rng_spawn.multinomial(new, shares)
        if self.cfg.take_from_population:
            self.state.pop -= counts
            np.maximum(self.state.pop, 0.0, out=self.state.pop)
        self.new_agents += counts  # they join at the start of the move, as Flee adds them before it
        return new

    # 3 -------------------------------------------------------------------------
    def closures_today(self, t: int) -> None:
        for c in self.case.closures:
            if t == c.start_day:
                self.apply_closure(c, close=True)
            if t == c.end_day:
                self.apply_closure(c, close=False)

    def apply_closure(self, c, *, close: bool) -> None:
        w, s, cfg = self.world, self.state, self.cfg
        idx = self._name_index
        if c.kind == "country":
            ca = np.array([x == c.name1 for x in w.country])
            cb = np.array([x == c.name2 for x in w.country])
            sel = (ca[w.link_src] & cb[w.link_dst]) | (cb[w.link_src] & ca[w.link_dst])
        elif c.kind == "location":
            p = idx[c.name1]
            sel = (w.link_src == p) | (w.link_dst == p)
        elif c.kind == "link":
            a, b = idx[c.name1], idx[c.name2]
            sel = ((w.link_src == a) & (w.link_dst == b)) | ((w.link_src == b) & (w.link_dst == a))
        elif c.kind in ("camp", "idpcamp"):
            p = idx[c.name1]
            idp = c.kind == "idpcamp"
            s.conflict[p] = -1.0
            if close:  # the camp turns into a town for the period
                s.movechance[p] = cfg.default_movechance
                s.camp[p] = s.idpcamp[p] = False
                s.town[p] = True
            else:
                s.movechance[p] = cfg.idpcamp_movechance if idp else cfg.camp_movechance
                s.camp[p] = True
                s.idpcamp[p] = idp
                s.town[p] = False
            return
        else:  # remove_forced_redirection: no movement rule reads the flag (docs/flee.md)
            return
        self.link_open[sel] = not close

    # 4 -------------------------------------------------------------------------
    def scores_today(self, t: int) -> None:
        w, s, cfg = self.world, self.state, self.cfg
        # Everything below follows from these; most days none has changed.
        day_key = (s.conflict.tobytes(), s.camp.tobytes(), self.link_open.tobytes(),
                   self.decay_today(t).tobytes(), t if self._capacity_grows else None)
        if day_key == self._day_key:
            return
        self._day_key = day_key
        score = np.ones(len(w.names))
        score[w.foreign] *= cfg.foreign_weight
        score[s.camp] *= cfg.camp_weight
        in_conflict = s.conflict > 0.0
        if in_conflict.any():
            score[in_conflict] *= cfg.conflict_weight ** (
                self.decay_today(t)[in_conflict] * s.conflict[in_conflict]
            )
        limited = w.capacity >= 1
        self.capacity_today = np.where(limited,
                                       (w.capacity + w.capacity_per_day * t) * cfg.capacity_scaling,
                                       -1.0)
        key = self.link_open.tobytes()
        changed = key != self._routes_key
        if changed:
            self.routes = enumerate_routes(w, self.link_open, cfg.awareness_level,
                                           width=self.agents.route_width)
            self._note_passed_through(self.routes)
            self._routes_key = key
        self.score = score
        score_key = score.tobytes()
        if not changed and score_key == self._score_key:
            return
        self._score_key = score_key
        self.route_base = static_weights(self.routes, score, cfg)
        self.route_wpow = np.where(self.route_base > 0, self.route_base, 0.0) ** cfg.weight_power
        counts = np.diff(self.routes.start)
        if len(counts) and counts.max() > len(self.scratch):
            self.scratch = np.zeros(int(counts.max()))

    def _note_passed_through(self, table: RouteTable) -> None:
        for r in np.flatnonzero(table.length > 1):
            self.passed_through[table.nodes[r, : int(table.length[r]) - 1].astype(np.int64)] = True
        self._movechance_rules = None

    # 5 -------------------------------------------------------------------------
    def _rules_of_movechance(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """(gap scale, sampled places, whether a route held may pass through a sampled place),
        recomputed only when a move chance or the routes have changed. The gap scale per place is
        1 / -log(1 - move chance): it turns an Exp(1) draw into the number of agents until the
        next departure (kernels.trials_to_success); 0 for chance 1, -1 for chance 0."""
        mc = self.state.movechance
        key = mc.tobytes()
        if self._movechance_rules is None or self._movechance_rules[0] != key:
            with np.errstate(divide="ignore"):
                scale = np.where(mc >= 1.0, 0.0, -1.0 / np.log1p(-np.minimum(mc, 0.999999999)))
            sampled = mc <= kernels.SAMPLED_MAX_MOVECHANCE
            self._movechance_rules = (key, np.where(mc <= 0.0, -1.0, scale), sampled,
                                      bool((sampled & self.passed_through).any()))
        return self._movechance_rules[1:]

    def warm_up(self) -> None:
        """Load the compiled kernels (numba's cache) before the clock starts: a move over no agents
        with a throwaway generator, so the run's own agents and streams are untouched."""
        kept = self.agents, self.place_count, self.link_count, self.new_agents
        self.agents = AgentArrays(self.agents.route_width)
        self.place_count, self.link_count = (
            np.zeros_like(self.place_count),
            np.zeros_like(self.link_count),
        )
        self.new_agents = np.zeros_like(self.new_agents)
        try:
            self.move(seed_state=kernels.new_seed_state(0, 0))
            self.end_of_day(rng=np.random.default_rng(0))
        finally:
            self.agents, self.place_count, self.link_count, self.new_agents = kept
            self._sampled_listed = None  # the first real move lists the mobile afresh

    def sampled_places(self) -> np.ndarray:
        """Places whose leavers the kernel draws instead of visiting each agent (camps)."""
        return self._rules_of_movechance()[1]

    def move(self, seed_state: np.ndarray | None = None) -> None:
        a, w, s, r = self.agents, self.world, self.state, self.routes
        gap_scale, sampled, plans_pass_sampled = self._rules_of_movechance()
        # recomputed (a move chance changed): list the mobile afresh
        if sampled is not self._sampled_listed:
            kernels.rebuild_mobile(a.n, a.state, a.where, sampled, a.mobile, a.mobile_len)
            self._sampled_listed = sampled
        spawned = int(self.new_agents.sum())
        if spawned:
            a.reserve(a.n + spawned)
        kernels.move_day(
            self.day, a.n, self.move_state if seed_state is None else seed_state, self.new_agents,
            a.kernel_arrays(),
            (s.movechance, gap_scale, s.town, s.camp, self.capacity_today, self.place_count,
             self.countdown, sampled,
             self.planned_at),
            (w.link_src, w.link_dst, w.link_km, w.link_speed, w.link_walk_probability,
             self.link_open,
             self.link_count, w.adj_start, w.adj_link),
            (r.start, r.nodes, r.length, r.end, r.first_link, self.route_base, self.route_wpow,
             self.scratch),
            (*self._fixed_rules, plans_pass_sampled))
        if spawned:
            a.n += spawned
            self.new_agents[:] = 0

    # 6 -------------------------------------------------------------------------
    def end_of_day(self, rng: np.random.Generator | None = None) -> None:
        """Sink camps take agents out (only with camps_are_sinks; the recent-travel memory is
        updated at the end of pass 2)."""
        a, cfg = self.agents, self.cfg
        if not cfg.camps_are_sinks:
            return
        self.removed += kernels.end_of_day(
            a.n, self.rng_sinks if rng is None else rng, a.state, a.where,
            self.state.camp, self.place_count, self.world.deactivation_probability)
