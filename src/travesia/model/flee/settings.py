"""Flee's settings YAML (simsetting.yml) as one immutable value, passed in, never global.

Sections and keys as Flee reads them (spawn_rules, move_rules, optimisations); defaults are
Flee's. Unknown keys are ignored, as Flee does, but one a letter or two away from a key read
here is refused as a typo. `camps_are_sinks` is read under its right name
(Flee 3.1 reads the misspelt `camps_are_sicks`; both are accepted here).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, fields
from pathlib import Path

from travesia.errors import ScenarioError
from travesia.scenario.yamlfile import read_yaml_mapping


@dataclass(frozen=True)
class FleeSettings:
    # spawn_rules
    sum_from_camps: bool = True
    conflict_spawn_decay: tuple[float, ...] | None = None
    conflict_spawn_decay_interval: int = 30
    insert_day0: bool = True
    take_from_population: bool = False
    camps_are_sinks: bool = False
    conflict_zone_spawning_only: bool = True
    # move_rules
    max_move_speed: float = 360.0
    max_walk_speed: float = 35.0
    start_on_foot: bool = False
    foreign_weight: float = 1.0
    camp_weight: float = 1.0
    conflict_weight: float = 1.0 / math.sqrt(10.0)
    conflict_movechance: float = 1.0
    camp_movechance: float = 0.001
    idpcamp_movechance: float = 0.1
    default_movechance: float = 0.3
    awareness_level: int = 1
    capacity_buffer: float = 0.9
    capacity_scaling: float = 1.0
    avoid_short_stints: bool = False
    softening: float = 10.0
    weight_softening: float = 0.0
    weight_power: float = 1.0
    distance_power: float = 1.0
    # optimisations
    hasten: int = 1
    # a forecast's setting, not one of Flee's (no section of simsetting.yml): the forecast
    # origin, a day index; before the next day's phases the camps are set to the counts observed
    # up to it (FleeSimulation.assimilate). -1: off, the run is Flee's.
    assimilate_day: int = -1


_SECTIONS = {
    "spawn_rules": ("sum_from_camps", "conflict_spawn_decay", "conflict_spawn_decay_interval",
                    "insert_day0",
                    "take_from_population", "camps_are_sinks", "camps_are_sicks",
                    "conflict_zone_spawning_only"),
    "move_rules": ("max_move_speed", "max_walk_speed", "start_on_foot", "foreign_weight",
                   "camp_weight",
                   "conflict_weight", "conflict_movechance", "camp_movechance",
                   "idpcamp_movechance",
                   "default_movechance", "awareness_level", "capacity_buffer", "capacity_scaling",
                   "avoid_short_stints", "softening", "weight_softening", "weight_power",
                   "distance_power"),
    "optimisations": ("hasten",),
}


def read_settings(path: Path | None) -> FleeSettings:
    """Settings from a YAML file; Flee's defaults when `path` is None."""
    if path is None:
        return FleeSettings()
    path = Path(path)
    raw = read_yaml_mapping(path, missing="settings file does not exist", empty_ok=True,
                            expected="must be a mapping of sections (spawn_rules, move_rules, "
                                     "optimisations)")
    types = {f.name: str(f.type) for f in fields(FleeSettings)}  # str: postponed annotations
    values: dict = {}
    for section, keys in _SECTIONS.items():
        sec = raw.get(section) or {}
        if not isinstance(sec, dict):
            raise ScenarioError("must be a mapping", file=path, field=section)
        _refuse_misspelt(sec, keys, path, section)
        for key in keys:
            if key not in sec:
                continue
            name = "camps_are_sinks" if key == "camps_are_sicks" else key
            values[name] = _convert(sec[key], types[name], path, f"{section}.{key}")
    cfg = FleeSettings(**values)
    _check(cfg, path)
    return cfg


def _refuse_misspelt(section: dict, keys: tuple[str, ...], path: Path, name: str) -> None:
    """Keys of Flee's that travesia does not read are ignored, as Flee ignores keys it does not
    know; but one a letter or two away from a key that is read is a typo that would silently
    leave the setting at its default (`camp_movechanse`)."""
    for key in section:
        if key in keys:
            continue
        near = difflib.get_close_matches(str(key), keys, n=1, cutoff=0.9)
        if near:
            raise ScenarioError(f"unknown setting '{str(key)[:40]}': did you mean '{near[0]}'?",
                                file=path, field=f"{name}.{key}")


def _convert(value, kind: str, path: Path, where: str):
    try:
        if kind == "bool":
            if isinstance(value, str):
                if value.lower() in ("true", "yes", "1"):
                    return True
                if value.lower() in ("false", "no", "0"):
                    return False
                raise ValueError
            return bool(value)
        if kind == "int":
            if float(value) != int(float(value)):
                raise ValueError
            return int(float(value))
        if kind == "float":
            return float(value)
        if value is None:
            return None
        if isinstance(value, dict):
            value = [value[k] for k in sorted(value)]
        return tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise ScenarioError(f"'{value}' is not a valid {kind.split(' ', maxsplit=1)[0]}", file=path,
                            field=where) from None


def _check(cfg: FleeSettings, path: Path) -> None:
    def bad(field: str, why: str) -> None:
        raise ScenarioError(why, file=path, field=field)

    if cfg.hasten < 1:
        bad("optimisations.hasten", f"must be at least 1, got {cfg.hasten}")
    if cfg.assimilate_day < -1:
        bad("assimilate_day", f"is a day of the period or -1 (off), got {cfg.assimilate_day}")
    if cfg.awareness_level < 0:
        bad("move_rules.awareness_level", "must be 0 or more")
    if cfg.max_move_speed <= 0:
        bad("move_rules.max_move_speed", "must be above 0 km/day")
    if cfg.conflict_spawn_decay_interval < 1:
        bad("spawn_rules.conflict_spawn_decay_interval", "must be at least 1 day")
    for name in ("conflict_movechance", "camp_movechance", "idpcamp_movechance",
                 "default_movechance"):
        v = getattr(cfg, name)
        if not 0.0 <= v <= 1.0:
            bad(f"move_rules.{name}", f"is a probability, got {v}")
    if not 0.0 <= cfg.capacity_buffer < 1.0:
        bad("move_rules.capacity_buffer", "must be in [0, 1)")
    if cfg.capacity_scaling <= 0:
        bad("move_rules.capacity_scaling", "must be above 0")
    if cfg.softening < 0 or cfg.weight_softening < 0:
        bad("move_rules.softening", "must not be negative")
