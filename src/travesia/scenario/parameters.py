"""The behaviour parameters of the travesia ruleset: every one documented here, in one place.

A scenario's `parameters:` overrides these defaults; `--params FILE` overrides the scenario.
The model they drive is described in docs/model.md; the section is named beside each field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from travesia.errors import ScenarioError
from travesia.scenario.plain_errors import first_error, location, plain_reason, shown_value
from travesia.scenario.schema import MODES
from travesia.scenario.yamlfile import read_yaml_mapping


# a rate or a multiplier of one: below 0 it would mean fewer than nobody leaving
NonNegative = Annotated[float, Field(ge=0)]


class Parameters(BaseModel):
    """Behaviour of people and institutions, with units in the names."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # model.md §2 Departures
    departure_rate_per_day: dict[str, NonNegative] = Field(
        default={"regular": 2.0e-6, "irregular": 2.0e-5},
        description="Daily chance that a settled person considers leaving, with no threat, by "
                    "legal status (one for each status the scenario declares).",
    )
    threat_response: float = Field(
        default=4.0, ge=0,
        description="Relative rise of the departure rate at threat level 1 (rate × (1 + response × "
                    "threat)).",
    )
    deadline_response: float = Field(
        default=3.0, ge=0,
        description="Relative rise of the departure rate on the deadline day for the statuses it "
                    "targets.",
    )
    deadline_horizon_days: float = Field(
        default=30.0, gt=0,
        description="e-folding time of deadline pressure: pressure = exp(-days_left / horizon).",
    )
    rush_response: float = Field(
        default=0.0, ge=0,
        description="Relative rise of the departure rate, and of a crossing's pull, of those a "
                    "rule change at that crossing would shut out, on the last day they can still "
                    "reach it in time (a deadline event with a crossing; 0: no rush).",
    )
    rush_horizon_days: float = Field(
        default=3.0, gt=0,
        description="e-folding time of the rush: pressure = exp(-days_to_spare / horizon), "
                    "days_to_spare counted to the last day of the old rule less the days of road.",
    )
    nationality_response: dict[str, NonNegative | dict[str, NonNegative]] = Field(
        default={},
        description="Multiplier of the departure rate by nationality (missing = 1): a number for "
                    "all its statuses, or one per status ({Venezuela: {irregular: 1.5}}; a "
                    "status left out = 1).",
    )
    group_response: dict[str, NonNegative] = Field(
        default={},
        description="Multiplier of the departure rate for people of a demographic group the "
                    "scenario declares (missing = 1; in several groups: the product). Who leaves "
                    "then holds the groups in these proportions.",
    )
    # model.md §3 Exit choice
    stay_utility: float = Field(
        default=1.0,
        description="Utility of staying put (hidden) for someone who considers leaving.",
    )
    distance_cost_per_1000km: float = Field(
        default=0.5, ge=0, description="Disutility of 1,000 km of road to a crossing.",
    )
    belief_weight: float = Field(
        default=1.5, ge=0,
        description="Weight of log(believed chance of getting through) in the utility of a "
                    "crossing.",
    )
    belief_floor: float = Field(
        default=0.01, gt=0, le=1,
        description="Lowest believed chance used in the log (people never rule a road out).",
    )
    crossing_preference: dict[str, dict[str, float]] = Field(
        default={},
        description="Utility bonus of a crossing by nationality: {crossing: {nationality: bonus}}.",
    )
    news_delay_days: int = Field(
        default=2, ge=0,
        description="Days before what arrivals met at a crossing is known back home.",
    )
    announcement_weight: float = Field(
        default=0.5, ge=0, le=1,
        description="Share of the gap to the chance implied by new rules or enforcement at a "
                    "crossing "
                    "(admission, capacity, emergency, troops, corridor) that public news closes at "
                    "once.",
    )
    belief_update_rate: float = Field(
        default=0.5, ge=0, le=1,
        description="Share of the gap between belief and news closed per day of news (0: news is "
                    "ignored).",
    )
    cost_disutility_per_1000: float = Field(
        default=0.5, ge=0,
        description="Disutility of 1,000 units of money an informal crossing costs "
                    "(informal_crossings.csv `cost`, in the scenario's one currency).",
    )
    # model.md §4 Travel
    speed_km_per_day: float = Field(default=900.0, gt=0,
                                    description="Road speed by bus, km per day.")
    speed_km_per_day_by_mode: dict[str, float] = Field(
        default={},
        description="Speed of a travel mode of routes.csv and informal_crossings.csv (road, bus, "
                    "car, rail, foot, boat), km per day; a row's own speed_km_per_day comes "
                    "first; a mode not named here goes at speed_km_per_day (road, bus, car) or "
                    "walk_km_per_day (foot).",
    )
    walk_km_per_day: float = Field(
        default=20.0, gt=0,
        description="Walking distance per day on the strip between the posts (model.md §5): a "
                    "strip of "
                    "strip_km takes strip_km // walk_km_per_day whole days.",
    )
    # model.md §6 Stranded choices
    giveup_rate_per_day: float = Field(
        default=0.10, ge=0, le=1,
        description="Daily chance that a stranded person gives up and goes back, with nobody "
                    "posted.",
    )
    giveup_max_per_day: float = Field(
        default=0.5, ge=0, lt=1,
        description="Limit of the daily give-up chance as soldiers and police grow without bound "
                    "(below 1: "
                    "some always wait another day).",
    )
    giveup_per_100_personnel: float = Field(
        default=0.5, ge=0,
        description="How fast personnel raise the give-up chance towards its limit: the gap closes "
                    "by "
                    "1 - exp(-this x personnel / 100).",
    )
    irregular_attempt_rate_per_day: float = Field(
        default=0.5, ge=0, le=1,
        description="Daily chance that a stranded person tries to cross at night.",
    )
    irregular_success: float = Field(
        default=0.6, ge=0, le=1,
        description="Chance that a night crossing succeeds with no enforcement.",
    )
    enforcement_per_100_personnel: float = Field(
        default=1.0, ge=0,
        description="Night-crossing success falls by exp(-this × personnel / 100).",
    )
    emergency_success_factor: float = Field(
        default=0.5, ge=0, le=1,
        description="Multiplier of night-crossing success while a state of emergency is in force.",
    )
    informal_switch_per_day: float = Field(
        default=0.1, ge=0, le=1,
        description="Daily chance that a person stranded at a crossing sets out for an informal "
                    "crossing beside it (informal_crossings.csv `border`), if a road leads there.",
    )
    detection_per_100_personnel: float = Field(
        default=1.0, ge=0,
        description="The undetected share of informal crossing attempts falls by exp(-this × "
                    "personnel / 100), with the soldiers and police at the crossings beside it.",
    )
    shelter_uptake_per_day: float = Field(
        default=0.5, ge=0, le=1,
        description="Daily chance that a stranded person takes an offered shelter place.",
    )
    shelter_leave_per_day: float = Field(
        default=0.05, ge=0, le=1,
        description="Daily chance that a sheltered person leaves to settle nearby.",
    )
    flight_uptake: float = Field(
        default=0.001, ge=0, le=1,
        description="Chance that a settled person of the flight's nationality at its place takes a "
                    "seat.",
    )

    @field_validator("speed_km_per_day_by_mode")
    @classmethod
    def _mode_speeds(cls, value: dict[str, float]) -> dict[str, float]:
        for mode, speed in value.items():
            if mode not in MODES:
                raise ValueError(f"unknown travel mode '{mode}' (known: {', '.join(MODES)})")
            if not speed > 0:
                raise ValueError(f"the speed of mode {mode} must be above 0 (got {speed})")
        return value

    def with_overrides(self, overrides: dict[str, Any], *,
                       file: str | Path | None = None) -> Parameters:
        return parameters_from(overrides, base=self, file=file)


def parameters_from(
    overrides: dict[str, Any] | None, *, base: Parameters | None = None,
    file: str | Path | None = None
) -> Parameters:
    """Validate overrides on top of base (or the defaults); errors name the parameter."""
    merged = (base or Parameters()).model_dump()
    for key, value in (overrides or {}).items():
        if key not in Parameters.model_fields:
            raise ScenarioError(f"unknown parameter (known: {', '.join(Parameters.model_fields)})",
                                file=file, field=f"parameters.{key}")
        merged[key] = value
    try:
        return Parameters(**merged)
    except ValidationError as exc:
        err = first_error(exc)
        raise ScenarioError(plain_reason(err) + shown_value(err.get("input")), file=file,
                            field=f"parameters.{location(err['loc'])}") from None


def load_params_file(path: str | Path, base: Parameters | None = None) -> Parameters:
    """Read a `--params FILE` (YAML or JSON mapping of parameter values)."""
    data = read_yaml_mapping(path, missing="parameters file not found",
                             expected="expected a mapping of parameter names to values",
                             empty_ok=True)
    data = data.get("parameters", data)
    return parameters_from(data, base=base, file=path)
