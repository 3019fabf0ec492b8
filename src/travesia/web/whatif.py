"""What-ifs: the levers of a scenario's timeline, the timeline they make, and reruns in the
background.

A what-if reruns the baseline's first few runs (same seeds, same parameters) on a changed
timeline. Each phase has its own random stream seeded from the run's seed (common random
numbers), so the new curves differ from the baseline's by the policy, not by noise.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine import simulate
from ..errors import ScenarioError
from ..parameters import Parameters
from ..scenario.data_values import with_data_values
from ..scenario.load import Scenario
from ..scenario.schema import (
    AdmissionEvent,
    AdmissionRule,
    CapacityEvent,
    CorridorEvent,
    DeadlineEvent,
    FlightEvent,
    TroopsEvent,
)
from ..world import compile_world
from .data import Catalogue, Dataset, check_id, from_results

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
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "body"
        msg = err["msg"].removeprefix("Value error, ")
        raise ScenarioError(msg, field=loc) from None


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


# --- the background runs -------------------------------------------------------------------------

@dataclass
class Job:
    id: str
    request: WhatIf
    baseline: str
    total_runs: int
    status: str = "queued"          # queued | running | done | failed
    progress: float = 0.0           # 0..1
    done_runs: int = 0
    dataset: str | None = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    wall_seconds: float = 0.0

    def info(self) -> dict:
        return {"id": self.id, "status": self.status, "progress": round(self.progress, 3),
                "done_runs": self.done_runs, "total_runs": self.total_runs,
                "baseline": self.baseline,
                "dataset": self.dataset, "error": self.error,
                "levers": describe_levers(self.request),
                "wall_seconds": round(self.wall_seconds, 2)}


class Busy(Exception):
    """Too many what-ifs waiting."""


class WhatIfRunner:
    """Runs what-ifs one at a time on a background thread; the results join the catalogue."""

    MAX_WAITING = 4
    MAX_KEPT = 50

    def __init__(self, scenario: Scenario, world, catalogue: Catalogue):
        self.scenario, self.world, self.catalogue = scenario, world, catalogue
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="travesia-whatif")

    def submit(self, w: WhatIf) -> Job:
        check_id(w.baseline)
        baseline = self.catalogue.get(w.baseline)          # KeyError: unknown baseline
        events = whatif_timeline(self.scenario, w)
        runs = min(w.seeds, baseline.runs)
        with self._lock:
            waiting = sum(j.status in ("queued", "running") for j in self.jobs.values())
            if waiting >= self.MAX_WAITING:
                raise Busy(f"{waiting} what-ifs are already waiting or running; try again when one "
                           "finishes")
            job = Job(f"job-{next(self._counter)}", w, baseline.id, runs)
            self.jobs[job.id] = job
            finished = [j for j in self.jobs.values() if j.status in ("done", "failed")]
            for old in finished[: max(0, len(self.jobs) - self.MAX_KEPT)]:
                del self.jobs[old.id]
        self._pool.submit(self._run, job, baseline, events)
        return job

    def get(self, job_id: str) -> Job:
        check_id(job_id, "job")
        with self._lock:
            return self.jobs[job_id]

    def _run(self, job: Job, baseline: Dataset, events: list) -> None:
        job.status = "running"
        clock = time.perf_counter()
        try:
            results, params_used, data_used = [], [], []
            days = min(baseline.days, self.scenario.days)
            for i in range(job.total_runs):
                params = (
                    Parameters(**baseline.parameters[i])
                    if baseline.parameters[i]
                    else self.scenario.params
                )
                data = baseline.data[i] if i < len(baseline.data) else {}
                world, run_events = self.world, events
                if data:   # the baseline run's drawn data numbers stay: only the levers differ
                    drawn = with_data_values(self.scenario, data)
                    world, run_events = compile_world(drawn), whatif_timeline(drawn, job.request)

                def progress(d, n, i=i):
                    job.progress = (i + d / n) / job.total_runs

                results.append(simulate(world, params, seed=baseline.seeds[i], events=run_events,
                                        days=days,
                                        progress=progress))
                params_used.append(params.model_dump())
                data_used.append(data)
                job.done_runs = i + 1
            label = job.request.label or "; ".join(describe_levers(job.request))
            n = job.id.split("-")[1]
            ds = from_results(f"whatif-{n}", "whatif", f"what-if {n}: {label}", results,
                              params_used,
                              {"baseline": baseline.id, "levers": describe_levers(job.request)},
                              data_used)
            job.dataset = self.catalogue.add_dataset(ds)
            job.progress = 1.0
            job.status = "done"
        except Exception as exc:  # noqa: BLE001 - reported to the page, the server goes on
            job.error = f"{type(exc).__name__}: {exc}"
            job.status = "failed"
            traceback.print_exc()
        job.wall_seconds = time.perf_counter() - clock

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
