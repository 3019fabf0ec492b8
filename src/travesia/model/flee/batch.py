"""One Flee run as a member of many: rule settings given as values, the case read once per process,
the counts kept as arrays the results store can take (docs/flee.md, "Ensembles, fits and
backtests").

The many-runs layer (flee_runs.py, ensemble.py) sends a folder, its content hash, the complete
settings (JSON) and a seed; `run_case` returns a `FleeResults`: people at every location at the
end of every day. Nothing here knows of stores or executors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import threading
from typing import Any
import time
from pathlib import Path

import numpy as np

from travesia.errors import ScenarioError
from travesia.model.flee.reader import (
    FleeCase,
    apply_registration_corrections,
    read_case,
    read_data_layout,
)
from travesia.model.flee.settings import FleeSettings, _check

# the rule settings a fit may vary (assimilate_day is the forecast's origin, not a rule)
SETTING_NAMES = tuple(f.name for f in dataclasses.fields(FleeSettings)
                      if f.name != "assimilate_day")
_KINDS = {f.name: f.type for f in dataclasses.fields(FleeSettings)}


def folder_hash(folder: Path) -> str:
    """Content hash of a Flee folder's input_csv/ and source_data/ files (not its settings: those
    travel as values with each run)."""
    folder = Path(folder)
    h = hashlib.sha256()
    for sub in ("input_csv", "source_data"):
        for p in sorted((folder / sub).rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def check_setting_name(name: str, *, field: str = "--vary") -> None:
    """A varied name must be a field of FleeSettings (flee/settings.py)."""
    if name not in SETTING_NAMES:
        raise ScenarioError(f"'{name}' is not a Flee rule setting (known: "
                            f"{', '.join(SETTING_NAMES)})", field=field)


def settings_with(base: FleeSettings, values: dict, *, where: str = "--vary") -> FleeSettings:
    """`base` with `values` (name -> number) set; names and ranges checked as settings files are."""
    for name in values:
        check_setting_name(name, field=where)
    typed: dict[str, Any] = {}
    for name, v in values.items():
        kind = _KINDS[name]
        if kind == "int":
            typed[name] = round(float(v))
        elif kind == "bool":
            typed[name] = bool(v)
        elif kind == "float":
            typed[name] = float(v)
        else:
            typed[name] = tuple(v) if v is not None else None
    cfg = dataclasses.replace(base, **typed)
    _check(cfg, Path(where))
    return cfg


def settings_json(cfg: FleeSettings) -> str:
    d = dataclasses.asdict(cfg)
    if d["assimilate_day"] == -1:  # off: runs without it keep the ids they had before it existed
        del d["assimilate_day"]
    if d["conflict_spawn_decay"] is not None:
        d["conflict_spawn_decay"] = list(d["conflict_spawn_decay"])
    return json.dumps(d, sort_keys=True, separators=(",", ":"))


def settings_from_json(text: str) -> FleeSettings:
    d = json.loads(text)
    if d.get("conflict_spawn_decay") is not None:
        d["conflict_spawn_decay"] = tuple(d["conflict_spawn_decay"])
    return FleeSettings(**d)


def case_at_hasten(case: FleeCase, cfg: FleeSettings) -> FleeCase:
    """The case with `cfg` as its settings; counts re-read when `cfg` divides by another hasten."""
    if cfg.hasten != case.settings.hasten:
        total, camps = read_data_layout(case.folder, case.start_date, float(cfg.hasten))
        apply_registration_corrections(case.folder / "input_csv" / "registration_corrections.csv",
                                       case.start_date, total, camps)
        case = dataclasses.replace(case, total=total, camp_counts=camps)
    return dataclasses.replace(case, settings=cfg)


# (folder, content hash, hasten) -> case, per process
_CASES: dict[tuple[str, str, int], FleeCase] = {}
_LOCK = threading.Lock()


def loaded_case(folder: str, content_hash: str, cfg: FleeSettings) -> FleeCase:
    """The folder read once per worker process (per hasten), checked against the planned hash."""
    key = (folder, content_hash, cfg.hasten)
    with _LOCK:
        if key not in _CASES:
            if not Path(folder).is_dir():
                raise ScenarioError("Flee folder not found on this worker (workers need it at the "
                                    "same path)",
                                    file=folder)
            found = folder_hash(Path(folder))
            if found != content_hash:
                raise ScenarioError("Flee folder's files differ from those the runs were planned "
                                    "with "
                                    f"(hash {found}, expected {content_hash})", file=folder)
            # the settings come whole with each run; the folder's own only decide how it is first
            # read
            _CASES[key] = case_at_hasten(read_case(Path(folder)), cfg)
        return dataclasses.replace(_CASES[key], settings=cfg)


class FleeResults:
    """People at each location at the end of each day of one run (what the store keeps of it)."""

    def __init__(self, names: list[str], camps: list[str], start: dt.date, places: np.ndarray,
                 seed: int,
                 wall_seconds: float) -> None:
        self.place_names = list(names)
        self.crossing_names: list[str] = []
        # the camps Flee scores (out.csv's columns), in their order
        self.camps = list(camps)
        self.start = start
        self.places = places                  # (days, locations) people
        self.seed = seed
        self.days = int(places.shape[0])
        self.wall_seconds = wall_seconds
        self._index = {n: i for i, n in enumerate(self.place_names)}

    def at_place(self, name: str) -> np.ndarray:
        return self.places[:, self._index[name]]

    def camp_counts(self, camps: list[str] | None = None) -> np.ndarray:
        """(days, camps) people at the camps (default: the observed ones)."""
        return self.places[:, [self._index[c] for c in (camps or self.camps)]]

    def daily_table(self):
        """The store's daily rows: date, place, state 'at_location', people (zeros left out, but
        for the camps: every day of a run is in the table, and every camp on it)."""
        import pyarrow as pa

        keep = self.places != 0
        keep[:, [self._index[c] for c in self.camps]] = True
        t_idx, p_idx = np.nonzero(keep)
        dates = np.array([self.start + dt.timedelta(days=int(t)) for t in range(self.days)],
                         dtype="datetime64[D]")
        return pa.table({
            "date": pa.array(dates[t_idx]),
            "place": pa.array([self.place_names[p] for p in p_idx], pa.string()),
            "state": pa.array(["at_location"] * len(t_idx), pa.string()),
            "people": pa.array(self.places[t_idx, p_idx].astype(np.int64)),
        })

    def crossings_table(self) -> None:
        """Flee has no crossings: nothing for the store's crossings table."""
        return


def run_case(case: FleeCase, cfg: FleeSettings, seed: int, days: int | None = None) -> FleeResults:
    """Run `case` with the rule settings `cfg` for `days` (default: its period)."""
    from travesia.model.flee.simulation import FleeSimulation

    clock = time.perf_counter()
    sim = FleeSimulation(case, seed=seed, cfg=cfg)
    sim.warm_up()
    n = case.length_days if days is None else min(int(days), case.length_days)
    places = np.zeros((n, len(sim.world.names)), np.int64)
    for t in range(n):
        sim.step()
        places[t] = sim.place_count
    return FleeResults(sim.world.names, [sim.world.names[c] for c in sim.camps], case.start_date,
                       places, seed,
                       time.perf_counter() - clock)


def camp_names(case: FleeCase, cfg: FleeSettings) -> list[str]:
    """The camps Flee scores (run.py's out.csv columns): the places that are camps on day 0."""
    from travesia.model.flee.world import compile_world

    w = compile_world(case, cfg)
    return [w.names[c] for c in w.initial_camps]


def observed_camps(case: FleeCase, camps: list[str], days: int) -> np.ndarray:
    """(days, camps) observed counts, interpolated as Flee does; 0 for a camp without a series."""
    out = np.zeros((days, len(camps)), np.int64)
    for j, name in enumerate(camps):
        series = case.camp_counts.get(name)
        if series is not None:
            out[:, j] = series.levels(np.arange(days))
    return out


def run_values(folder: str, content_hash: str, settings_text: str, seed: int,
               days: int | None) -> FleeResults:
    """A worker's entry: the run of a folder with complete settings (JSON) and a seed."""
    cfg = settings_from_json(settings_text)
    return run_case(loaded_case(folder, content_hash, cfg), cfg, seed, days)
