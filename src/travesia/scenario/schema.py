"""What a scenario folder may say: one pydantic model per file row and per timeline event.

docs/scenario-format.md is the prose twin of this module; keep them in step.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from travesia.scenario.admission import DEFAULT_DOCUMENTS, DEFAULT_STATUSES, split_terms

# Limits on the numbers a scenario may hold (docs/scenario-format.md, "Limits"): finite, and
# far above any real corridor, so that a typo (1e308 km, 10^20 people) is an error, not a run
# that allocates terabytes or silently treats a road as missing.
MAX_KM = 50_000.0                  # longer than any road on Earth
MAX_PER_DAY = 1e9                  # people a post processes, a corridor passes, a flight seats
MAX_PEOPLE = 10**10                # people in one population cell, or in a shelter
MAX_PERSONNEL = 10**7              # soldiers and police added or removed by one event
MAX_DAYS = 365 * 50                # a scenario's period, an emergency's length
MAX_PLACES = 2_000                 # the world keeps a places x places table of roads
MAX_PLACE_DAYS = 2_000_000         # places x days: the daily counts a run keeps
MAX_NATIONALITIES = 2_000          # agents keep a nationality in 16 bits; far above any corridor
MAX_CROSSINGS = 2_000              # crossings and informal crossings together (16-bit index)

PLACE_KINDS = ("city", "post", "destination")
# travel modes of routes.csv and informal_crossings.csv (docs/scenario-format.md): road, bus and
# car go at speed_km_per_day, foot at walk_km_per_day, unless the row or the parameter
# speed_km_per_day_by_mode gives the mode its speed; boat and rail need one of those
MODES = ("road", "bus", "car", "rail", "foot", "boat")
Mode = Literal["road", "bus", "car", "rail", "foot", "boat"]


def split_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def names_list(value: Any) -> list[str]:
    """A field of names written as a list or as 'A;B' (threat places, removal `from`); anything
    else (a mapping, a number) is refused rather than read as one odd name."""
    if value is not None and not isinstance(value, (str, list)):
        raise ValueError("must be a list of names or one text 'A;B'")
    return split_ids(value)


def _valid_rule(value: str) -> str:
    # syntax here; names are checked against the scenario's vocabulary on load
    split_terms(value)
    return str(value).strip()


AdmissionRule = Annotated[str, AfterValidator(_valid_rule)]  # admission.py explains the language


class Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, allow_inf_nan=False)
    source: str = Field(min_length=1)
    note: str | None = None


class SourceRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    id: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    title: str = Field(min_length=1)
    date: str | None = None
    url: str | None = None
    note: str | None = None


class PlaceRow(Row):
    name: str = Field(min_length=1)
    country: str = Field(min_length=1)
    region: str | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    kind: Literal["city", "post", "destination"]
    # a destination's room: people it absorbs over the run (blank: everyone, as before); past it,
    # arrivals settle there or go on in transit (model.md §4b)
    capacity: int | None = Field(default=None, ge=0, le=MAX_PEOPLE)
    beyond_capacity: Literal["settle", "transit"] | None = None


class RouteRow(Row):
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    distance_km: float = Field(gt=0, le=MAX_KM)
    # how the route is travelled, and (optional) its own speed (docs/scenario-format.md)
    mode: Mode = "road"
    speed_km_per_day: float | None = Field(default=None, gt=0, le=MAX_KM)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        return "road" if value is None else value


class CrossingRow(Row):
    name: str = Field(min_length=1)
    exit_post: str
    entry_post: str
    strip_km: float = Field(ge=0, le=MAX_KM)
    exit_capacity_per_day: float = Field(ge=0, le=MAX_PER_DAY)
    entry_capacity_per_day: float = Field(ge=0, le=MAX_PER_DAY)
    exit_admits: AdmissionRule
    entry_admits: AdmissionRule
    return_admits: AdmissionRule = "any"    # who the exit post lets back in from the strip
    return_place: str
    destination: str


class InformalCrossingRow(Row):
    """An unofficial crossing point (informal_crossings.csv): a path from `from` (a city on the
    origin side) to `to` (the far side) beside a crossing of crossings.csv or between two
    countries (`border`: a crossing's name, or "A;B"), with its own capacity, detection, risks,
    cost and length (docs/scenario-format.md, model.md §3 and §6)."""

    name: str = Field(min_length=1)
    border: str = Field(min_length=1)
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    capacity_per_day: float = Field(ge=0, le=MAX_PER_DAY)
    detection: float = Field(ge=0, le=1)
    injury_risk: float = Field(ge=0, le=1)
    death_risk: float = Field(ge=0, le=1)
    cost: float = Field(default=0.0, ge=0, le=1e9)
    currency: str = Field(default="USD", min_length=1, max_length=8)
    km: float = Field(gt=0, le=MAX_KM)
    mode: Mode = "foot"
    speed_km_per_day: float | None = Field(default=None, gt=0, le=MAX_KM)

    @field_validator("mode", "currency", mode="before")
    @classmethod
    def _defaults(cls, value: Any, info) -> Any:
        if value is None:
            return "foot" if info.field_name == "mode" else "USD"
        return value

    @field_validator("cost", mode="before")
    @classmethod
    def _cost(cls, value: Any) -> Any:
        return 0.0 if value is None else value


class PopulationRow(Row):
    place: str
    nationality: str = Field(min_length=1)
    status: str = Field(min_length=1)     # one of scenario.yaml `statuses:`, checked on load
    people: int = Field(ge=0, le=MAX_PEOPLE)


class DocumentsRow(Row):
    nationality: str = Field(min_length=1)
    status: str = Field(min_length=1)     # one of scenario.yaml `statuses:`, checked on load
    documents: str
    share: float = Field(ge=0, le=1)

    @field_validator("documents")
    @classmethod
    def _docs(cls, value: str) -> str:
        return "none" if value.strip() == "none" else value    # names checked on load


class InflowRow(Row):
    """inflows.csv: `people_per_day` people a day (fractions carry over) come into the map at
    `place` from `start` to `end` (inclusive), of a nationality and status; `settle`: they join
    the place's settled stock; `transit`: they set out at once for a crossing out of the place's
    country (docs/scenario-format.md, docs/model.md §4b)."""

    place: str = Field(min_length=1)
    nationality: str = Field(min_length=1)
    status: str = Field(min_length=1)     # one of scenario.yaml `statuses:`, checked on load
    start: dt.date
    end: dt.date
    people_per_day: float = Field(ge=0, le=MAX_PER_DAY)
    mode: Literal["settle", "transit"]


class GroupsRow(Row):
    """Share of people of a nationality and status in demographic groups (`none`: none of them)."""

    nationality: str = Field(min_length=1)
    status: str = Field(min_length=1)     # one of scenario.yaml `statuses:`, checked on load
    groups: str
    share: float = Field(ge=0, le=1)


# --- timeline events -------------------------------------------------------------------------

class Event(BaseModel):
    """A dated change to the world. `id` names it (unique in the timeline); `announced` is when it
    became known (default: its own date): a forecast made between the two may plan on it."""

    model_config = ConfigDict(extra="forbid")
    date: dt.date
    source: str | list[str]
    note: str | None = None
    id: str | None = Field(default=None, min_length=1)
    announced: dt.date | None = None


def announced_on(ev: Event) -> dt.date:
    """The day an event became known: its `announced` date, else its own date."""
    return ev.announced if ev.announced is not None else ev.date


class ThreatEvent(Event):
    """The perceived threat (0-1) from `date`: everywhere, or only at the `places` and in the
    `regions` (places.csv `region`) named, where it replaces the national level (model.md §2)."""

    type: Literal["threat"]
    level: float = Field(ge=0, le=1)
    places: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)

    @field_validator("places", "regions", mode="before")
    @classmethod
    def _names(cls, value: Any) -> list[str]:
        return names_list(value)      # "Santiago;Arica" or a list


class DeadlineEvent(Event):
    """A deadline felt by the `statuses`. Without `crossing`: a date by which to leave (departure
    pressure, model.md §2). With `crossing`: a rule change there from `deadline` on, known from the
    event's date; those whom it would shut out (of `nationality`, if given) rush to cross before
    it (model.md §2, "Rushes")."""

    type: Literal["deadline"]
    deadline: dt.date
    statuses: list[str] = Field(min_length=1)      # declared statuses, checked on load
    crossing: str | None = None
    nationality: str | None = None


class AdmissionEvent(Event):
    type: Literal["admission"]
    crossing: str
    post: Literal["exit", "entry", "return"]
    admits: AdmissionRule


class CapacityEvent(Event):
    type: Literal["capacity"]
    crossing: str
    post: Literal["exit", "entry"]
    per_day: float = Field(ge=0, le=MAX_PER_DAY)


class EmergencyEvent(Event):
    type: Literal["emergency"]
    crossing: str
    days: int = Field(gt=0, le=MAX_DAYS)


class TroopsEvent(Event):
    type: Literal["troops"]
    crossing: str
    personnel: int = Field(ge=-MAX_PERSONNEL, le=MAX_PERSONNEL)


class CorridorEvent(Event):
    type: Literal["corridor"]
    crossing: str
    days: int = Field(gt=0, le=MAX_DAYS)
    per_day: int = Field(ge=0, le=int(MAX_PER_DAY))


class FlightEvent(Event):
    type: Literal["flight"]
    from_: str = Field(alias="from")
    seats: int = Field(ge=0, le=int(MAX_PER_DAY))
    nationality: str | None = None


class ShelterEvent(Event):
    type: Literal["shelter"]
    place: str
    crossing: str
    capacity: int = Field(ge=0, le=MAX_PEOPLE)
    days: int = Field(gt=0, le=MAX_DAYS)
    # daily share who take a place; default parameter
    uptake: float | None = Field(default=None, ge=0, le=1)
    # places for people of one nationality only
    nationality: str | None = None


class RemovalEvent(Event):
    """Forced removals: from `date` for `days`, up to `per_day` people a day (fractions carry over)
    by `mode` from the places (or crossings) in `from` to the country `to`, of the `statuses` (and
    `nationality`, if given), at `cost_per_person` in `currency` (docs/scenario-format.md)."""

    type: Literal["removal"]
    from_: list[str] = Field(alias="from", min_length=1)
    days: int = Field(gt=0, le=MAX_DAYS)
    per_day: float = Field(ge=0, le=MAX_PER_DAY)
    mode: Literal["flight", "bus"]
    to: str = Field(min_length=1)
    statuses: list[str] = Field(default=["irregular"], min_length=1)   # checked on load
    nationality: str | None = None
    cost_per_person: float = Field(default=0.0, ge=0, le=1e9)
    currency: str = Field(default="USD", min_length=1, max_length=8)

    @field_validator("from_", mode="before")
    @classmethod
    def _places(cls, value: Any) -> list[str]:
        return names_list(value)      # "Santiago;Arica" or a list


def removal_label(ev: RemovalEvent) -> str:
    """How results name a removal campaign: its id, else its date, mode and destination."""
    return ev.id or f"removal {ev.date.isoformat()} {ev.mode} to {ev.to}"


class ReceptionEvent(Event):
    """A country's capacity to receive: from `date`, at most `total` more people who are not its
    nationals enter through its entry posts; then its posts refuse them (docs/scenario-format.md).
    A `total` of -1 lifts the cap."""

    type: Literal["reception"]
    country: str = Field(min_length=1)
    total: int = Field(ge=-1, le=MAX_PEOPLE)


class NoteEvent(Event):
    type: Literal["note"]
    label: str


TimelineEvent = Annotated[
    ThreatEvent | DeadlineEvent | AdmissionEvent | CapacityEvent | EmergencyEvent | TroopsEvent
    | CorridorEvent | FlightEvent | ShelterEvent | RemovalEvent | ReceptionEvent | NoteEvent,
    Field(discriminator="type"),
]
# the event of each `type:` (errors list them and name the fields one takes)
EVENT_TYPES: dict[str, type[Event]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls     # Literal["threat"] -> "threat"
    for cls in (ThreatEvent, DeadlineEvent, AdmissionEvent, CapacityEvent, EmergencyEvent,
                TroopsEvent, CorridorEvent, FlightEvent, ShelterEvent, RemovalEvent,
                ReceptionEvent, NoteEvent)
}


class Branch(BaseModel):
    """One alternative future after a date (docs/branches.md): its events are added to the
    scenario's from `after` on, and `end` (if later) lengthens the run. `weight` is how likely it
    is judged; the weights of a scenario's branches sum to 1."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    title: str = ""
    weight: float = Field(ge=0, le=1)
    after: dt.date
    end: dt.date | None = None
    source: str | list[str]
    note: str | None = None
    timeline: list[TimelineEvent] = Field(default_factory=list)


class FitRef(BaseModel):
    """`fit: {scenario: NAME}`: use the fit that built-in scenario NAME ships, unchanged."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = Field(min_length=1)


class ScenarioSpec(BaseModel):
    """The contents of scenario.yaml."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = ""
    description: str = ""
    start: dt.date
    end: dt.date
    observations: str | None = None
    # the legal statuses people may hold (population, documents, groups, rules, deadlines,
    # removals and parameters by status name them)
    statuses: list[str] = Field(default_factory=lambda: list(DEFAULT_STATUSES))
    documents: list[str] = Field(default_factory=lambda: list(DEFAULT_DOCUMENTS))
    groups: list[str] = Field(default_factory=list)
    # needs that follow demography: a declared group -> a needs category (model/needs.py
    # NEEDS_CATEGORIES: child_0_4, ..., child, pregnant, lactating)
    needs_groups: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    priors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    # alternative futures after a date (docs/branches.md); runs without one use `timeline` alone
    branches: list[Branch] = Field(default_factory=list)
    # the fit ensembles draw from: a file here, or another scenario's
    fit: str | FitRef | None = None
