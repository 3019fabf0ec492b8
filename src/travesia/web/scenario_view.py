"""The scenario as the dashboard and the report show it: places with coordinates, roads, crossings,
timeline events with their labels, sources and observations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from travesia.model.needs import (
    KCAL_PER_PERSON_DAY,
    PEOPLE_PER_TOILET,
    PEOPLE_PER_TOILET_FIRST_DAYS,
    SHELTER_M2_PER_PERSON,
    SPHERE_SOURCE,
    WATER_L_PER_PERSON_DAY,
)
from travesia.model.impacts import Rates, scenario_rates
from travesia.scenario.measures import INFORMAL_MEASURES
from travesia.scenario.observations import Observation, read_observations
from travesia.outputs.plot import event_label
from travesia.scenario import load_scenario
from travesia.scenario.describe import describe
from travesia.scenario.load import Scenario
from travesia.model.world import World, compile_world

# observation series -> chart measure (observations.csv's `compare` column)
COMPARE_TO_MEASURE = {"held": "held", "stranded": "stranded", "queue": "queue",
                      "entries": "entries",
                      "refused": "refused",
                      "irregular": "irregular"}


@dataclass
class ScenarioView:
    scenario: Scenario
    world: World
    observations: list[Observation] = field(default_factory=list)
    rates: Rates | None = None       # impact rates: the scenario's own, else the package's

    @property
    def places(self) -> dict[str, tuple[str, str]]:
        """{place: (country, region)}."""
        w = self.world
        return {n: (w.countries[c], r) for n, c, r in zip(w.place_names, w.place_country,
                                                          w.place_region or w.place_names)}

    def impact_rates(self) -> Rates:
        if self.rates is None:
            self.rates = scenario_rates(self.scenario.folder)
        return self.rates

    @classmethod
    def load(cls, name_or_path: str | Path | None) -> ScenarioView:
        sc = load_scenario(name_or_path)
        obs = read_observations(sc.folder / sc.spec.observations) if sc.spec.observations else []
        return cls(sc, compile_world(sc), obs, scenario_rates(sc.folder))

    @property
    def needs_standard(self) -> dict:
        return {"water_litres_per_person_day": WATER_L_PER_PERSON_DAY,
                "kcal_per_person_day": KCAL_PER_PERSON_DAY,
                "covered_m2_per_person": SHELTER_M2_PER_PERSON,
                "people_per_toilet": PEOPLE_PER_TOILET,
                "people_per_toilet_first_days": PEOPLE_PER_TOILET_FIRST_DAYS,
                "source": SPHERE_SOURCE}

    def chart_observations(self) -> list[dict]:
        """Observations a chart can show: at a crossing, of a series the model has (`kind`
        crossing), or at an informal crossing, of one of its measures (`kind` informal: the
        inflows and informal crossings chart)."""
        informal = {i.name for i in self.scenario.informal}
        out = []
        for o in self.observations:
            kind, measure = (("informal", o.compare)
                             if o.crossing in informal and o.compare in INFORMAL_MEASURES
                             else ("crossing", COMPARE_TO_MEASURE.get(o.compare or "")))
            if o.crossing and measure:
                out.append({"date": o.date.isoformat(), "crossing": o.crossing, "measure": measure,
                            "kind": kind, "value": o.value,
                            "low": o.low, "high": o.high, "place": o.place, "source": o.source})
        return out

    def info(self) -> dict:
        d = describe(self.scenario)
        timeline = []
        for ev, raw in zip(self.scenario.spec.timeline, d["timeline"]):
            timeline.append({**raw, "label": event_label(ev)})
        return {
            "name": d["name"], "title": d["title"], "description": self.scenario.spec.description,
            "start": d["start"], "end": d["end"], "days": d["days"],
            "population": d["population"],
            "places": [{k: p.get(k) for k in ("name", "country", "region", "kind", "lat",
                                              "lon")} for p in d["places"]],
            "routes": [{"from": r["from"], "to": r["to"],
                        "distance_km": r["distance_km"]} for r in d["routes"]],
            "crossings": [{k: c[k] for k in ("name", "exit_post", "entry_post",
                                             "exit_capacity_per_day",
                                             "entry_capacity_per_day", "exit_admits",
                                             "entry_admits")}
                          for c in d["crossings"]],
            "timeline": timeline,
            "sources": d["sources"],
            "observations": self.chart_observations(),
            "needs_standard": self.needs_standard,
        }
