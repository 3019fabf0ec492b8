"""Humanitarian needs of a number of people, by the Sphere standards (Sphere Handbook 2018)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from travesia.scenario.measures import NEEDS_CATEGORIES as MEASURE_NEEDS_CATEGORIES

# Sphere Handbook 2018: water supply standard 2.1 (15 L/person/day), food security standard
# (2,100 kcal/person/day), shelter standard 3 (3.5 m² covered space/person), WASH excreta
# standard 3.2 (one toilet per 20 people; 50 in the first days of an emergency).
WATER_L_PER_PERSON_DAY = 15.0
KCAL_PER_PERSON_DAY = 2100.0
SHELTER_M2_PER_PERSON = 3.5
PEOPLE_PER_TOILET = 20
PEOPLE_PER_TOILET_FIRST_DAYS = 50
SPHERE_SOURCE = "The Sphere Handbook 2018, https://spherestandards.org/handbook/"


@dataclass(frozen=True)
class NeedsCategory:
    """Food energy of people of one kind: `kcal_per_person_day` replaces the Sphere planning
    figure for them (an age band), `extra_kcal_per_day` adds to it (pregnancy, breastfeeding)."""

    name: str
    kcal_per_person_day: float | None = None
    extra_kcal_per_day: float = 0.0
    source: str = ""


# Sphere's 2,100 kcal is a population average: it "incorporate[s] the requirements of all age
# groups" and the additional needs of pregnant and breastfeeding women (Sphere Handbook,
# Appendix 6, http://spherehandbook.org/en/appendix-6/). Where a scenario knows who is there, the
# figures it averages stand in, by age band (both sexes) and for pregnancy and breastfeeding:
# UNHCR/WFP, Guidelines for Estimating Food and Nutritional Needs in Emergencies, 1997, Annex I
# (from WHO Technical Report Series 724):
# https://nzdl.org/cgi-bin/library.cgi?e=d-00000-00---off-0who--00-0----0-10-0---0---0direct-10---4-------0-1l--11-en-50---20-about---00-0-1-00-0-0-11-1-0utfZz-8-00&a=d&c=who&cl=CL2.1&d=HASH01cb9828c4a71042fc43d7ab.9
ANNEX_I = "UNHCR/WFP 1997 Guidelines, Annex I"
NEEDS_CATEGORIES: dict[str, NeedsCategory] = {c.name: c for c in (
    NeedsCategory("child_0_4", 1290.0, source=ANNEX_I),
    NeedsCategory("child_5_9", 1860.0, source=ANNEX_I),
    NeedsCategory("child_10_14", 2210.0, source=ANNEX_I),
    NeedsCategory("youth_15_19", 2420.0, source=ANNEX_I),
    NeedsCategory("adult_20_59", 2230.0, source=ANNEX_I),
    NeedsCategory("older_60", 1890.0, source=ANNEX_I),
    # derived: Annex I's bands 0-4, 5-9, 10-14 and three fifths of 15-19, weighted by their
    # shares of the population (12.37, 11.69, 10.53, 0.6 x 9.54 %): minors, ages 0-17
    NeedsCategory("child", 1856.0, source=f"derived from {ANNEX_I}"),
    NeedsCategory("pregnant", None, 285.0, source=ANNEX_I),
    NeedsCategory("lactating", None, 500.0, source=ANNEX_I),
)}
assert tuple(NEEDS_CATEGORIES) == MEASURE_NEEDS_CATEGORIES    # the names scenarios may use


def needs_for(people: float, first_days: bool = False) -> dict[str, float]:
    """Daily needs of `people` people."""
    per_toilet = PEOPLE_PER_TOILET_FIRST_DAYS if first_days else PEOPLE_PER_TOILET
    return {
        "people": float(people),
        "water_litres_per_day": people * WATER_L_PER_PERSON_DAY,
        "food_kcal_per_day": people * KCAL_PER_PERSON_DAY,
        "covered_shelter_m2": people * SHELTER_M2_PER_PERSON,
        "toilets": math.ceil(people / per_toilet) if people > 0 else 0,
    }

FIRST_DAYS = 7   # days a place has held people that count as the first days of an emergency


def days_held(held: np.ndarray) -> np.ndarray:
    """[T, ...] how many days in a row (today included) each place has held people; 0 on empty
    days."""
    held = np.asarray(held)
    out = np.zeros(held.shape, dtype=np.int64)
    run = np.zeros(held.shape[1:], dtype=np.int64)
    for t in range(held.shape[0]):
        run = np.where(held[t] >= 0.5, run + 1, 0)
        out[t] = run
    return out


def needs_on(people: float, days: int) -> dict[str, float]:
    """Needs of `people` at a place that has held people for `days` days in a row (one rule for
    needs.csv, the run summary, the dashboard and the report)."""
    return needs_for(people, first_days=days <= FIRST_DAYS)


def needs_at_peak(held: np.ndarray) -> tuple[int, dict[str, float]]:
    """(day of the peak, needs then) of one place's or crossing's series of people held."""
    held = np.asarray(held, dtype=float)
    t = int(np.argmax(held))
    return t, needs_on(round(float(held[t])), int(days_held(held)[t]))


def food_kcal(whole: np.ndarray, groups: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Food energy a day of `whole` people, of whom `groups[category]` (same shape) are of a
    needs category: each at the Sphere planning figure, but at its own figure for people of an
    age band, plus the extra of pregnancy and breastfeeding (NEEDS_CATEGORIES)."""
    kcal = whole * KCAL_PER_PERSON_DAY
    for name, people in (groups or {}).items():
        cat = NEEDS_CATEGORIES[name]
        per_person = cat.extra_kcal_per_day + (0.0 if cat.kcal_per_person_day is None
                                               else cat.kcal_per_person_day - KCAL_PER_PERSON_DAY)
        kcal = kcal + np.rint(np.asarray(people, dtype=float)) * per_person
    return kcal


def needs_of_series(people: np.ndarray,
                    groups: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The rule of `needs_on`, on arrays: [T, ...] people (rounded to whole people) at places over
    days -> the same needs per day and place. A place's first days are counted on this series.
    `groups` (a run whose scenario maps groups to needs categories): how many of them are of
    each category, whose food energy follows `food_kcal`."""
    whole = np.rint(np.asarray(people, dtype=float))
    run = days_held(whole)
    per_toilet = np.where(run <= FIRST_DAYS, PEOPLE_PER_TOILET_FIRST_DAYS, PEOPLE_PER_TOILET)
    return {
        "water_litres_per_day": whole * WATER_L_PER_PERSON_DAY,
        "food_kcal_per_day": food_kcal(whole, groups),
        "covered_shelter_m2": whole * SHELTER_M2_PER_PERSON,
        "toilets": np.where(whole > 0, np.ceil(whole / per_toilet), 0).astype(np.int64),
    }
