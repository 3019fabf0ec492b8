"""Levers: what a what-if changes in a scenario's timeline (capacities, admission rules, troops,
corridors, flights, the deadline), validated, and the timeline they make.

A what-if reruns the baseline's runs (same seeds, same parameters, same drawn data) on the
changed timeline; each phase has its own random stream (common random numbers), so the new
curves differ from the baseline's by the policy, not by noise. The dashboard asks for levers
(web/whatif.py) and the run tasks carry them (ensemble.RunTask.levers_json).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from travesia.errors import ScenarioError
from travesia.scenario.load import Scenario
from travesia.scenario.plain_errors import first_error, plain_reason, shown_value
from travesia.scenario.schema import (
    AdmissionEvent,
    AdmissionRule,
    CapacityEvent,
    CorridorEvent,
    DeadlineEvent,
    FlightEvent,
    TroopsEvent,
)

MAX_SEEDS = 8
MAX_PER_DAY = 1_000_000
MAX_PERSONNEL = 100_000
RULE_CHOICES = ["any", "national;visa", "national;passport;visa", "national;visa;humanitarian",
                "national;passport;visa;humanitarian", "national", "humanitarian"]
SOURCE = "what-if"


class _Lever(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CapacityLever(_Lever):
    crossing: str
    post: Literal["exit", "entry"]
    per_day: float = Field(ge=0, le=MAX_PER_DAY)
    start: dt.date | None = Field(default=None, alias="from")


class AdmissionLever(_Lever):
    crossing: str
    post: Literal["exit", "entry"]
    admits: AdmissionRule
    start: dt.date | None = Field(default=None, alias="from")


class CorridorLever(_Lever):
    crossing: str
    date: dt.date
    days: int = Field(gt=0, le=3650)
    per_day: int = Field(ge=0, le=MAX_PER_DAY)


class FlightLever(_Lever):
    from_: str = Field(alias="from")
    date: dt.date
    seats: int = Field(ge=0, le=MAX_PER_DAY)
    nationality: str | None = None


class TroopsLever(_Lever):
    crossing: str
    personnel: int = Field(ge=0, le=MAX_PERSONNEL)
    start: dt.date | None = Field(default=None, alias="from")


class WhatIf(BaseModel):
    """A what-if request: the baseline to rerun and the levers to pull."""

    model_config = ConfigDict(extra="forbid")
    baseline: str
    seeds: int = Field(default=4, ge=1, le=MAX_SEEDS)
    label: str | None = Field(default=None, max_length=80)
    capacity: list[CapacityLever] = Field(default_factory=list, max_length=20)
    admission: list[AdmissionLever] = Field(default_factory=list, max_length=20)
    corridor: list[CorridorLever] = Field(default_factory=list, max_length=20)
    flight: list[FlightLever] = Field(default_factory=list, max_length=20)
    troops: list[TroopsLever] = Field(default_factory=list, max_length=20)
    deadline: dt.date | None = None


def parse_whatif(data) -> WhatIf:
    """Validate a request body; the first problem becomes a ScenarioError naming its field."""
    try:
        return WhatIf.model_validate(data)
    except ValidationError as exc:
        err = first_error(exc)
        # the form's fields are named as the web page names them: capacity.0.per_day
        loc = ".".join(str(x) for x in err["loc"]) or "body"
        raise ScenarioError(plain_reason(err) + shown_value(err.get("input")), field=loc) from None


def levers_of(sc: Scenario) -> dict:
    """The levers the form offers, with the scenario's values and the allowed ranges."""
    troops: dict[str, int] = {c.name: 0 for c in sc.crossings}
    rules = {c.name: {"exit": c.exit_admits, "entry": c.entry_admits} for c in sc.crossings}
    deadline = None
    for ev in sc.spec.timeline:
        if ev.type == "troops":
            troops[ev.crossing] = max(0, troops[ev.crossing] + ev.personnel)
        elif ev.type == "deadline":
            deadline = ev.deadline.isoformat()
    return {
        "start": sc.spec.start.isoformat(), "end": sc.spec.end.isoformat(),
        "crossings": [{"name": c.name, "exit_capacity_per_day": c.exit_capacity_per_day,
                       "entry_capacity_per_day": c.entry_capacity_per_day,
                       "exit_admits": rules[c.name]["exit"],
                       "entry_admits": rules[c.name]["entry"], "troops_at_most": troops[c.name]}
                      for c in sc.crossings],
        "places": [p.name for p in sc.places],
        "nationalities": sorted({r.nationality for r in sc.population}),
        "deadline": deadline,
        "rules": RULE_CHOICES,
        "max_seeds": MAX_SEEDS, "max_per_day": MAX_PER_DAY, "max_personnel": MAX_PERSONNEL,
    }


def whatif_timeline(sc: Scenario, w: WhatIf) -> list:
    """The scenario's timeline with the levers pulled.

    Capacity, admission and troops set a post's value from a date (the start by default) for the
    rest of the run: the timeline's own events of that kind at that post from that date on are
    dropped. A corridor and a flight are added. The deadline moves every deadline event."""
    start, end = sc.spec.start, sc.spec.end
    crossings = {c.name for c in sc.crossings}
    places = {p.name for p in sc.places}
    nationalities = {r.nationality for r in sc.population}

    def in_period(date: dt.date | None, fld: str) -> dt.date:
        date = date or start
        if not start <= date <= end:
            raise ScenarioError(f"{date} is outside the scenario ({start} to {end})", field=fld)
        return date

    def known_crossing(name: str, fld: str) -> None:
        if name not in crossings:
            raise ScenarioError(f"no crossing '{name[:60]}' (known: "
                                f"{', '.join(sorted(crossings))})", field=fld)

    events: list[Any] = list(sc.spec.timeline)   # a union of event types: read by their `type`
    added: list[Any] = []
    lv: Any                                       # the levers of each kind in turn
    # A capacity or admission lever replaces the post's own events of that kind from its date on.
    post_levers = (("capacity", w.capacity, lambda lv, date: CapacityEvent(
                        type="capacity", date=date, crossing=lv.crossing, post=lv.post,
                        per_day=lv.per_day,
                        source=SOURCE)),
                   ("admission", w.admission, lambda lv, date: AdmissionEvent(
                        type="admission", date=date, crossing=lv.crossing, post=lv.post,
                        admits=lv.admits,
                        source=SOURCE)))
    for i, lv in enumerate(w.admission):
        try:
            sc.vocabulary.parse(lv.admits)
        except ValueError as exc:
            raise ScenarioError(str(exc), field=f"admission.{i}.admits") from None
    for kind, levers, make in post_levers:
        for i, lv in enumerate(levers):
            known_crossing(lv.crossing, f"{kind}.{i}.crossing")
            date = in_period(lv.start, f"{kind}.{i}.from")
            events = [e for e in events if not (e.type == kind and e.crossing == lv.crossing
                                                and e.post == lv.post and e.date >= date)]
            added.append(make(lv, date))
    for i, lv in enumerate(w.troops):
        known_crossing(lv.crossing, f"troops.{i}.crossing")
        date = in_period(lv.start, f"troops.{i}.from")
        before = 0
        for e in events:
            if e.type == "troops" and e.crossing == lv.crossing and e.date < date:
                before = max(0, before + e.personnel)
        events = [e for e in events if not (e.type == "troops" and e.crossing == lv.crossing
                                            and e.date >= date)]
        if lv.personnel != before:
            added.append(TroopsEvent(type="troops", date=date, crossing=lv.crossing,
                                     personnel=lv.personnel - before, source=SOURCE))
    for i, lv in enumerate(w.corridor):
        known_crossing(lv.crossing, f"corridor.{i}.crossing")
        added.append(CorridorEvent(type="corridor", date=in_period(lv.date, f"corridor.{i}.date"),
                                   crossing=lv.crossing, days=lv.days, per_day=lv.per_day,
                                   source=SOURCE))
    for i, lv in enumerate(w.flight):
        if lv.from_ not in places and lv.from_ not in crossings:
            raise ScenarioError(f"no place or crossing '{lv.from_[:60]}'", field=f"flight.{i}.from")
        if lv.nationality is not None and lv.nationality not in nationalities:
            raise ScenarioError(f"no nationality '{lv.nationality[:40]}' (known: "
                                f"{', '.join(sorted(nationalities))})",
                                field=f"flight.{i}.nationality")
        added.append(FlightEvent(type="flight", date=in_period(lv.date, f"flight.{i}.date"),
                                 source=SOURCE,
                                 seats=lv.seats, nationality=lv.nationality, **{"from": lv.from_}))
    if w.deadline is not None:
        if not start <= w.deadline <= end + dt.timedelta(days=3650):
            raise ScenarioError(f"{w.deadline} is before the scenario starts or more than 10 years "
                                "after it ends",
                                field="deadline")
        if not any(e.type == "deadline" for e in events):
            raise ScenarioError("the scenario's timeline has no deadline to move", field="deadline")
        events = [e.model_copy(update={"deadline": w.deadline}) if isinstance(e, DeadlineEvent)
                  else e
                  for e in events]
    return sorted(events + added, key=lambda e: e.date)


def describe_levers(w: WhatIf) -> list[str]:
    out = [f"{lv.crossing} {lv.post} capacity {lv.per_day:g}/day"
           + (f" from {lv.start}" if lv.start else "")
           for lv in w.capacity]
    out += [f"{lv.crossing} {lv.post} admits {lv.admits}"
            + (f" from {lv.start}" if lv.start else "")
            for lv in w.admission]
    out += [f"{lv.crossing}: {lv.personnel} troops/police"
            + (f" from {lv.start}" if lv.start else "")
            for lv in w.troops]
    out += [f"corridor at {lv.crossing} from {lv.date}, {lv.days} d, {lv.per_day}/day" for lv
            in w.corridor]
    out += [f"flight from {lv.from_} on {lv.date}, {lv.seats} seats" for lv in w.flight]
    if w.deadline:
        out.append(f"deadline {w.deadline}")
    return out or ["no change (baseline rerun)"]
