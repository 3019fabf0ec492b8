"""The result tables of one run, their summary, and writing them (Parquet, JSON)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from travesia import __version__
from travesia.scenario.measures import CROSSING_FLOWS as MEASURE_FLOWS
from travesia.scenario.measures import CROSSING_LEVELS as MEASURE_LEVELS
from travesia.scenario.measures import HELD, INFORMAL_MEASURES, PLACE_STATES
from travesia.model.impacts import Rates, impacts_by_place, impacts_by_region, region_summary
from travesia.scenario.schema import removal_label
from travesia.model.needs import days_held, needs_at_peak, needs_on

# the measures' names and meanings are in measures.py: states of people at places (the daily
# table's columns), and per crossing and day the flows during the day and the levels at its end
STATE_COLUMNS = list(PLACE_STATES)
CROSSING_FLOWS = list(MEASURE_FLOWS)
CROSSING_LEVELS = list(MEASURE_LEVELS)


def removals_of(sim) -> dict[str, dict]:
    """The removal campaigns of a simulation, with the people each removed a day."""
    out: dict[str, dict] = {}
    for ev in sim.events:
        if ev.type == "removal":
            label = removal_label(ev)
            out[label] = {"people": sim.removed_by[label].copy(), "mode": ev.mode, "to": ev.to,
                          "cost_per_person": ev.cost_per_person, "currency": ev.currency}
    return out


@dataclass
class Results:
    """Daily counts [T, P, state] and crossing flows {name: [T, C]} of one run."""

    scenario: str
    seed: int
    start: dt.date
    place_names: list[str]
    crossing_names: list[str]
    counts: np.ndarray
    flows: dict[str, np.ndarray]
    population: int
    belief: np.ndarray | None = None
    wall_seconds: float = 0.0
    agent_steps: int = 0
    meta: dict = field(default_factory=dict)
    # per place: people settled there after a trip back or a shelter stay, cumulative [T, P]; the
    # places of shelters open there [T, P]; its country and region (empty: unknown)
    newly_settled: np.ndarray | None = None
    shelter_capacity: np.ndarray | None = None
    place_country: list[str] = field(default_factory=list)
    place_region: list[str] = field(default_factory=list)
    # removal campaign -> {"people": [T] removed each day, "mode", "to", "cost_per_person",
    # "currency"} (the `removal` events of the run)
    removals: dict[str, dict] = field(default_factory=dict)
    # needs category -> [T, P] people on the move of the groups mapped to it (needs.py)
    group_people: dict[str, np.ndarray] = field(default_factory=dict)
    # [T, P] people who came into the map at each place and day (inflows.csv; measure `inflow`)
    inflow: np.ndarray | None = None
    # informal crossings (informal_crossings.csv): their names and, per measure of
    # measures.INFORMAL_MEASURES, [T, I] people a day
    informal_names: list[str] = field(default_factory=list)
    informal: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_simulation(cls, sim, wall_seconds: float = 0.0) -> Results:
        w = sim.world
        return cls(scenario=w.name, seed=sim.seed, start=w.start, place_names=list(w.place_names),
                   crossing_names=list(w.crossing_names), counts=sim.counts.copy(),
                   flows={k: v.copy() for k, v in sim.flows.items()}, population=w.population,
                   belief=sim.belief_history.copy(), wall_seconds=wall_seconds,
                   agent_steps=sim.agent_steps, newly_settled=sim.newly_settled.copy(),
                   shelter_capacity=sim.shelter_capacity.copy(),
                   place_country=[w.countries[c] for c in w.place_country],
                   place_region=list(w.place_region) or list(w.place_names),
                   removals=removals_of(sim),
                   group_people={k: v.copy() for k, v in sim.group_people.items()},
                   inflow=sim.inflow.copy(),
                   informal_names=list(w.informal.names),
                   informal={k: v.copy() for k, v in sim.informal_flows.items()}
                   if len(w.informal) else {})

    @property
    def days(self) -> int:
        return self.counts.shape[0]

    @property
    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=d) for d in range(self.days)]

    def at_crossing(self, crossing: str, measure: str = HELD) -> np.ndarray:
        """[T] a crossing's series of a measure (measures.py); `held` is everyone held at it."""
        c = self.crossing_names.index(crossing)
        if measure == HELD:
            return self.flows["queue"][:, c] + self.flows["stranded"][:, c]
        return self.flows[measure][:, c]

    def present(self) -> np.ndarray:
        """[T] people the run accounts for each day: the population plus those who came in."""
        came = 0 if self.inflow is None else np.cumsum(self.inflow.sum(axis=1))
        return self.population + np.zeros(self.days, dtype=np.int64) + came

    def inflow_totals(self) -> dict[str, int]:
        """People who came into the map over the run, per place (places with none left out)."""
        if self.inflow is None:
            return {}
        total = self.inflow.sum(axis=0)
        return {self.place_names[p]: int(total[p]) for p in np.flatnonzero(total)}

    def died(self) -> np.ndarray:
        """[T] people who died crossing informally each day (0 without informal crossings)."""
        if not self.informal_names:
            return np.zeros(self.days, dtype=np.int64)
        return self.informal["informal_died"].sum(axis=1)

    def summary_informal(self) -> dict[str, dict[str, int]]:
        """Per informal crossing: people over the run of each measure, and the peak waiting."""
        return {name: {k: int(self.informal[k][:, i].sum()) for k in INFORMAL_MEASURES
                       if k != "informal_waiting"}
                | {"peak_waiting": int(self.informal["informal_waiting"][:, i].max())}
                for i, name in enumerate(self.informal_names)}

    def informal_table(self) -> pa.Table:
        """Per informal crossing and day, its measures (measures.INFORMAL_MEASURES)."""
        day, xi = np.meshgrid(np.arange(self.days), np.arange(len(self.informal_names)),
                              indexing="ij")
        dates = np.array(self.dates, dtype="datetime64[D]")
        cols = {"date": pa.array(dates[day.ravel()]),
                "informal_crossing": pa.array([self.informal_names[i] for i in xi.ravel()],
                                              type=pa.string())}
        for name in INFORMAL_MEASURES:
            cols[name] = pa.array(self.informal[name].ravel())
        return pa.table(cols)

    def inflow_table(self) -> pa.Table:
        """Per place and day, the people who came into the map there (inflows.csv); only the
        places anyone came in at, every day of the run."""
        assert self.inflow is not None
        places = np.flatnonzero(self.inflow.sum(axis=0))
        day, pi = np.meshgrid(np.arange(self.days), places, indexing="ij")
        dates = np.array(self.dates, dtype="datetime64[D]")
        return pa.table({"date": pa.array(dates[day.ravel()]),
                         "place": pa.array([self.place_names[p] for p in pi.ravel()],
                                           type=pa.string()),
                         "inflow": pa.array(self.inflow[:, places].ravel().astype(np.int64))})

    def removal_totals(self) -> dict[str, dict]:
        """Per removal campaign: people removed over the run, and what it cost."""
        return {label: {"people": int(r["people"].sum()), "mode": r["mode"], "to": r["to"],
                        "cost": float(r["people"].sum() * r["cost_per_person"]),
                        "currency": r["currency"]}
                for label, r in self.removals.items()}

    # --- tables --------------------------------------------------------------------------------
    def daily_table(self) -> pa.Table:
        T, P, S = self.counts.shape
        day, place, state = np.meshgrid(np.arange(T), np.arange(P), np.arange(S), indexing="ij")
        people = self.counts.ravel()
        keep = people != 0
        dates = np.array(self.dates, dtype="datetime64[D]")
        return pa.table({
            "date": pa.array(dates[day.ravel()[keep]]),
            "place": pa.DictionaryArray.from_arrays(place.ravel()[keep].astype(np.int32),
                                                    self.place_names),
            "state": pa.DictionaryArray.from_arrays(state.ravel()[keep].astype(np.int32),
                                                    STATE_COLUMNS),
            "people": pa.array(people[keep]),
        })

    def crossings_table(self) -> pa.Table:
        T, C = self.flows["exits"].shape
        day, xc = np.meshgrid(np.arange(T), np.arange(C), indexing="ij")
        dates = np.array(self.dates, dtype="datetime64[D]")
        cols = {
            "date": pa.array(dates[day.ravel()]),
            "crossing": pa.DictionaryArray.from_arrays(xc.ravel().astype(np.int32),
                                                       self.crossing_names),
        }
        for name in CROSSING_LEVELS[:1] + ["exits", "entries", "refused", "irregular"] + \
                [n for n in CROSSING_FLOWS if n not in ("exits", "entries", "refused",
                                                        "irregular")] + \
                CROSSING_LEVELS[1:]:
            cols[name] = pa.array(self.flows[name].ravel())
        return pa.table(cols)

    def needs_table(self) -> pa.Table:
        """Daily needs where people are held (queued, stranded, sheltered), by the Sphere standards.

        The first days a place holds people count as "first days" (needs.py: one toilet per 50, not
        20).
        """
        held_cols = [STATE_COLUMNS.index(s) for s in ("queued", "stranded", "sheltered")]
        held = self.counts[:, :, held_cols].sum(axis=2)           # [T, P]
        rows: dict[str, list] = {k: [] for k in ("date", "place", "people", "water_litres_per_day",
                                                 "food_kcal_per_day", "covered_shelter_m2",
                                                 "toilets")}
        run = days_held(held)
        for t, date in enumerate(self.dates):
            for p in np.flatnonzero(held[t]):
                need = needs_on(int(held[t, p]), int(run[t, p]))
                rows["date"].append(date)
                rows["place"].append(self.place_names[p])
                for k in list(rows)[2:]:
                    rows[k].append(need[k])
        return pa.table(rows)

    # --- summary -------------------------------------------------------------------------------
    def summary(self, rates: Rates | None = None) -> dict:
        """Key figures: per crossing, and per region the impacts where people are (impacts.py,
        with `rates` or the package's)."""
        # people who died crossing informally leave the counts: they are added back to check
        totals = self.counts.sum(axis=(1, 2)) + np.cumsum(self.died())
        crossings = {}
        for c, name in enumerate(self.crossing_names):
            held = self.at_crossing(name)
            peak_day = int(np.argmax(held))
            peak = int(held[peak_day])
            above = np.flatnonzero(held >= max(1, peak // 2)) if peak else np.array([], dtype=int)
            crossings[name] = {
                "peak_held": peak,
                "peak_date": self.dates[peak_day].isoformat() if peak else None,
                "days_with_half_peak_or_more": int(len(above)),
                "needs_at_peak": needs_at_peak(held)[1],
                "totals": {k: int(self.flows[k][:, c].sum()) for k in CROSSING_FLOWS},
            }
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "travesia_version": __version__,
            "period": {"start": self.dates[0].isoformat(), "end": self.dates[-1].isoformat(),
                       "days": self.days},
            "population": int(self.population),
            "conserved": bool(np.all(totals == self.present())),
            "final": {s: int(self.counts[-1, :, i].sum()) for i, s in enumerate(STATE_COLUMNS)},
            "crossings": crossings,
            "needs_standard": "Sphere 2018: 15 L water, 2,100 kcal, 3.5 m2 covered space per "
                              "person per day; "
                              "1 toilet per 50 people in a place's first 7 days of holding people "
                              "(per 20 later)",
            "impacts": region_summary(self, rates),
            **({"removals": self.removal_totals()} if self.removals else {}),
            **({"inflows": self.inflow_totals()} if self.inflow_totals() else {}),
            **({"informal_crossings": self.summary_informal()} if self.informal_names else {}),
            "wall_seconds": round(self.wall_seconds, 3),
            "agent_steps": int(self.agent_steps),
            **self.meta,
        }

    def write(self, out_dir: str | Path, rates: Rates | None = None) -> dict[str, Path]:
        """Write daily.parquet, crossings.parquet, needs.csv, impacts.csv (per region and day),
        impacts_places.csv (per place and day), summary.json, informal.csv (per informal crossing
        and day) when the scenario has informal crossings, and inflows.csv (per place and day)
        when people came into the map; return the paths.

        Each file is written to a temporary name then renamed, so an interrupted run never leaves
        a half-written file under a final name.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"daily": out / "daily.parquet", "crossings": out / "crossings.parquet",
                 "needs": out / "needs.csv", "impacts": out / "impacts.csv",
                 "impacts_places": out / "impacts_places.csv", "summary": out / "summary.json"}
        for key, table in (("daily", self.daily_table()), ("crossings", self.crossings_table())):
            tmp = paths[key].with_suffix(".parquet.tmp")
            pq.write_table(table, tmp)
            tmp.replace(paths[key])
        tables = [("needs", self.needs_table()), ("impacts", impacts_by_region(self, rates)),
                  ("impacts_places", impacts_by_place(self, rates))]
        if self.informal_names:
            paths["informal"] = out / "informal.csv"
            tables.append(("informal", self.informal_table()))
        if self.inflow_totals():
            paths["inflows"] = out / "inflows.csv"
            tables.append(("inflows", self.inflow_table()))
        for key, table in tables:
            tmp = paths[key].with_suffix(".csv.tmp")
            pacsv.write_csv(table, tmp)
            tmp.replace(paths[key])
        tmp = paths["summary"].with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.summary(rates), indent=2, ensure_ascii=False),
                       encoding="utf-8")
        tmp.replace(paths["summary"])
        return paths
