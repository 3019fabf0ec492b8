"""Humanitarian needs of a number of people, by the Sphere standards (Sphere Handbook 2018)."""

from __future__ import annotations

import math

import numpy as np

# Sphere Handbook 2018: water supply standard 2.1 (15 L/person/day), food security standard
# (2,100 kcal/person/day), shelter standard 3 (3.5 m² covered space/person), WASH excreta
# standard 3.2 (one toilet per 20 people; 50 in the first days of an emergency).
WATER_L_PER_PERSON_DAY = 15.0
KCAL_PER_PERSON_DAY = 2100.0
SHELTER_M2_PER_PERSON = 3.5
PEOPLE_PER_TOILET = 20
PEOPLE_PER_TOILET_FIRST_DAYS = 50
SPHERE_SOURCE = "The Sphere Handbook 2018, https://spherestandards.org/handbook/"


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


def needs_of_series(people: np.ndarray) -> dict[str, np.ndarray]:
    """The rule of `needs_on`, on arrays: [T, ...] people (rounded to whole people) at places over
    days -> the same needs per day and place. A place's first days are counted on this series."""
    whole = np.rint(np.asarray(people, dtype=float))
    run = days_held(whole)
    per_toilet = np.where(run <= FIRST_DAYS, PEOPLE_PER_TOILET_FIRST_DAYS, PEOPLE_PER_TOILET)
    return {
        "water_litres_per_day": whole * WATER_L_PER_PERSON_DAY,
        "food_kcal_per_day": whole * KCAL_PER_PERSON_DAY,
        "covered_shelter_m2": whole * SHELTER_M2_PER_PERSON,
        "toilets": np.where(whole > 0, np.ceil(whole / per_toilet), 0).astype(np.int64),
    }
