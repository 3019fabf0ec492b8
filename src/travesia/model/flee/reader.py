"""Read a Flee scenario folder, unchanged, into plain arrays (FLEE.md, Files).

Layout: input_csv/{locations,routes,closures,conflicts,sim_period,registration_corrections}.csv,
source_data/data_layout.csv and the count files it names, and a settings YAML (the folder's
simsetting.yml, else one given). Every mistake is a ScenarioError naming file, row and field.
Rows whose first cell starts with '#' are comments; blank rows are skipped; extra columns are
kept as attributes named by the '#' header row above them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from travesia.errors import ScenarioError
from travesia.scenario.limits import read_input_text
from travesia.model.flee.settings import FleeSettings, read_settings

LOCATION_COLUMNS = ["name", "region", "country", "latitude", "longitude", "location_type",
                    "conflict_date", "population"]
ROUTE_COLUMNS = ["name1", "name2", "distance", "forced_redirection"]
CLOSURE_TYPES = ("country", "location", "link", "camp", "idpcamp", "remove_forced_redirection")


@dataclass
class Locations:
    name: list[str]
    region: list[str]
    country: list[str]
    lat: np.ndarray
    lon: np.ndarray
    location_type: list[str]          # as written, lower case
    conflict_date: np.ndarray         # int, -1 when empty
    pop_or_cap: np.ndarray            # int, 0 when empty (Flee: empty capacity = unlimited)
    attributes: dict[str, list[str]]  # extra columns by header name

    def index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.name)}


@dataclass
class Routes:
    src: np.ndarray                   # int index into Locations
    dst: np.ndarray
    distance_km: np.ndarray
    forced_redirection: np.ndarray    # int 0/1/2 as in the file
    attributes: dict[str, list[str]]


@dataclass
class Closure:
    kind: str
    name1: str
    name2: str
    start_day: int
    end_day: int
    row: int


@dataclass
class CountSeries:
    """Observed counts of one place: days since the start date and counts (already / hasten)."""

    name: str
    days: np.ndarray
    counts: np.ndarray

    def at(self, day: int) -> int:
        """Linear interpolation, truncated to an integer, flat outside the data (as Flee)."""
        return int(self.levels(np.array([day]))[0])

    def levels(self, days: np.ndarray) -> np.ndarray:
        """`at` for many days. Rows are taken in file order, as Flee does: a day is interpolated
        between the first row dated after it and the row before that one (so a row out of date
        order, as in nigeria2016's niger.csv, is tolerated exactly as Flee tolerates it)."""
        d, c = self.days, self.counts
        days = np.asarray(days, dtype=float)
        if len(d) == 0:
            return np.zeros(len(days), np.int64)
        out = np.full(len(days), c[-1], dtype=float)
        if len(d) > 1:
            later = days[:, None] < d[None, 1:]
            has = later.any(axis=1)
            k = np.argmax(later, axis=1) + 1
            frac = (days - d[k - 1]) / (d[k] - d[k - 1])
            out = np.where(has, c[k - 1] + frac * (c[k] - c[k - 1]), out)
        out = np.where(days <= d[0], c[0], out)
        return np.trunc(out).astype(np.int64)


@dataclass
class FleeCase:
    folder: Path
    name: str
    start_date: date
    length_days: int
    locations: Locations
    routes: Routes
    closures: list[Closure]
    conflict_names: list[str] | None   # columns of conflicts.csv, None if there is none
    conflicts: np.ndarray | None       # (days, len(conflict_names)) intensities
    total: CountSeries | None          # the layout's first row ("total")
    camp_counts: dict[str, CountSeries] = field(default_factory=dict)
    settings: FleeSettings = field(default_factory=FleeSettings)
    settings_file: Path | None = None


def is_flee_folder(path: Path) -> bool:
    """A folder holding input_csv/locations.csv and input_csv/routes.csv is a Flee case."""
    path = Path(path)
    return (path / "input_csv"
            / "locations.csv").is_file() and (path / "input_csv" / "routes.csv").is_file()


# ---------------------------------------------------------------------------------------------
# CSV plumbing
# ---------------------------------------------------------------------------------------------


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(1-based row number, cells) of every row, comments and blanks included."""
    if not path.is_file():
        raise ScenarioError("file is missing", file=path)
    reader = csv.reader(io.StringIO(read_input_text(path), newline=""))
    try:
        return [(i + 1, [c.strip() for c in row]) for i, row in enumerate(reader)]
    except csv.Error as exc:          # a field past the csv module's limit, a NUL byte
        raise ScenarioError(f"malformed CSV: {exc}", file=path, row=reader.line_num) from None


def _is_comment(cells: list[str]) -> bool:
    return len(cells) > 0 and cells[0].startswith("#")


def _is_blank(cells: list[str]) -> bool:
    return all(c == "" for c in cells)


def _header_and_data(path: Path) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The first '#' row (names of extra columns) and the data rows, blanks and comments left
    out."""
    header = None
    data = []
    for row, cells in _rows(path):
        if _is_blank(cells):
            continue
        if _is_comment(cells):
            if header is None:
                header = cells
            continue
        data.append((row, cells))
    return header, data


# larger than any population, distance or day of a case; larger ones overflow the engine's ints
MAX_MAGNITUDE = 1e9


def _number(text: str, path: Path, row: int, name: str, *, kind=float, allow_empty=False,
            default=None):
    if text == "":
        if allow_empty:
            return default
        raise ScenarioError("is empty, a number is needed", file=path, row=row, field=name)
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"'{text}' is not a number", file=path, row=row, field=name) from None
    if not np.isfinite(value):
        raise ScenarioError(f"'{text}' is not a finite number", file=path, row=row, field=name)
    if abs(value) > MAX_MAGNITUDE:
        raise ScenarioError(f"'{text}' is out of range (at most {MAX_MAGNITUDE:,.0f})", file=path,
                            row=row, field=name)
    if kind is int:
        if value != int(value):
            raise ScenarioError(f"'{text}' is not a whole number", file=path, row=row, field=name)
        return int(value)
    return value


def _date(text: str, path: Path, row: int, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ScenarioError(f"'{text}' is not a date (YYYY-MM-DD)", file=path, row=row,
                            field=name) from None


def _extra_header(header: list[str] | None, base: list[str], n: int) -> list[str]:
    names = list(base)
    if header and len(header) > len(base):
        names += [h.lstrip("#").strip() for h in header[len(base):]]
    while len(names) < n:
        names.append(f"column{len(names) + 1}")
    return names


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


# Flee's own cases have a few hundred locations; the limit keeps a run's memory bounded
# (docs/scenario-format.md, "Limits")
MAX_LOCATIONS = 20_000


def read_locations(path: Path) -> Locations:
    header, data = _header_and_data(path)
    recs: list[tuple[int, list[str]]] = []
    for row, cells in data:
        if len(cells) < 6:
            raise ScenarioError(f"has {len(cells)} columns, at least 6 are needed "
                                f"({','.join(LOCATION_COLUMNS[:6])})", file=path, row=row)
        recs.append((row, cells + [""] * max(0, 8 - len(cells))))
    if not recs:
        raise ScenarioError("no locations", file=path)
    if len(recs) > MAX_LOCATIONS:
        raise ScenarioError(f"{len(recs):,} locations (at most {MAX_LOCATIONS:,})", file=path)
    width = max(len(c) for _, c in recs)
    names = _extra_header(header, LOCATION_COLUMNS, width)
    loc = Locations([], [], [], np.zeros(len(recs)), np.zeros(len(recs)), [],
                    np.full(len(recs), -1, dtype=np.int64), np.zeros(len(recs), dtype=np.int64),
                    {n: [] for n in names[8:]})
    seen: dict[str, int] = {}
    for i, (row, c) in enumerate(recs):
        name = c[0]
        if name == "":
            raise ScenarioError("location name is empty", file=path, row=row, field="name")
        if name in seen:
            raise ScenarioError(f"location '{name}' is listed twice (first on row {seen[name]})",
                                file=path, row=row, field="name")
        seen[name] = row
        kind = c[5].lower()
        if not any(k in kind for k in ("camp", "conflict", "forward", "marker", "town", "default")):
            raise ScenarioError(f"unknown location_type '{c[5]}' (camp, idpcamp, conflict_zone, "
                                "town, "
                                "forwarding_hub, marker)", file=path, row=row,
                                field="location_type")
        loc.name.append(name)
        loc.region.append(c[1])
        loc.country.append(c[2] or "unknown")
        loc.lat[i] = _number(c[3], path, row, "latitude", allow_empty=True, default=0.0)
        loc.lon[i] = _number(c[4], path, row, "longitude", allow_empty=True, default=0.0)
        loc.location_type.append(kind)
        loc.conflict_date[i] = _number(c[6], path, row, "conflict_date", kind=int, allow_empty=True,
                                       default=-1)
        pop = _number(c[7], path, row, names[7], kind=float, allow_empty=True, default=0)
        if pop < 0:
            raise ScenarioError(f"'{c[7]}' is negative", file=path, row=row, field=names[7])
        loc.pop_or_cap[i] = int(pop)
        for k, n in enumerate(names[8:], start=8):
            loc.attributes[n].append(c[k] if k < len(c) else "")
    return loc


def read_routes(path: Path, index: dict[str, int]) -> Routes:
    """Links are undirected; a pair listed twice (either direction) becomes one link (FLEE.md:
    Flee makes two, a known fault). The first listing wins."""
    header, data = _header_and_data(path)
    src, dst, dist, forced = [], [], [], []
    extra_rows: list[list[str]] = []
    seen: dict[frozenset, int] = {}
    width = 4
    for row, cells in data:
        if len(cells) < 3:
            raise ScenarioError(f"has {len(cells)} columns, 3 are needed (name1,name2,distance)",
                                file=path, row=row)
        a, b = cells[0], cells[1]
        for n, col in ((a, "name1"), (b, "name2")):
            if n not in index:
                raise ScenarioError(f"unknown location '{n}' (not in locations.csv)", file=path,
                                    row=row, field=col)
        if a == b:
            raise ScenarioError(f"links '{a}' to itself", file=path, row=row, field="name2")
        d = _number(cells[2], path, row, "distance")
        if d < 0:
            raise ScenarioError(f"'{cells[2]}' is negative", file=path, row=row, field="distance")
        fr = _number(cells[3], path, row, "forced_redirection", kind=int, allow_empty=True,
                     default=0) \
            if len(cells) > 3 else 0
        key = frozenset((a, b))
        if key in seen:
            continue
        seen[key] = row
        src.append(index[a])
        dst.append(index[b])
        dist.append(d)
        forced.append(fr)
        extra_rows.append(cells[4:])
        width = max(width, len(cells))
    names = _extra_header(header, ROUTE_COLUMNS, width)
    attrs = {n: [r[k] if k < len(r) else "" for r in extra_rows] for k, n in enumerate(names[4:])}
    return Routes(np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                  np.array(dist, dtype=float),
                  np.array(forced, dtype=np.int64), attrs)


def read_closures(path: Path, loc: Locations) -> list[Closure]:
    if not path.exists():
        return []
    index = loc.index()
    countries = set(loc.country)
    out = []
    for row, cells in _rows(path):
        if _is_blank(cells) or _is_comment(cells):
            continue
        cells = cells + [""] * max(0, 5 - len(cells))
        kind = cells[0].lower()
        if kind not in CLOSURE_TYPES:
            raise ScenarioError(f"unknown closure type '{cells[0]}' ({', '.join(CLOSURE_TYPES)})",
                                file=path, row=row, field="closure_type")
        n1, n2 = cells[1], cells[2]
        if kind == "country":
            for n, col in ((n1, "name1"), (n2, "name2")):
                if n not in countries:
                    raise ScenarioError(f"unknown country '{n}' (no location in it)", file=path,
                                        row=row, field=col)
        else:
            need = [(n1, "name1")] + ([(n2,
                                        "name2")] if kind in ("link", "remove_forced_redirection")
                                      else [])
            for n, col in need:
                if n not in index:
                    raise ScenarioError(f"unknown location '{n}'", file=path, row=row, field=col)
        start = _number(cells[3], path, row, "closure_start", kind=int)
        end = _number(cells[4], path, row, "closure_end", kind=int, allow_empty=True, default=-1)
        out.append(Closure(kind, n1, n2, start, end, row))
    return out


def read_conflicts(
    path: Path, index: dict[str, int]
) -> tuple[list[str], np.ndarray] | tuple[None, None]:
    """Row k (after the header) holds the intensities of day k, one column per location."""
    if not path.exists():
        return None, None
    rows = [(r, c) for r, c in _rows(path) if not _is_blank(c)]
    if not rows:
        raise ScenarioError("empty file", file=path)
    hrow, header = rows[0]
    cols = [(k, h) for k, h in enumerate(header) if k > 0 and h != ""]
    for _k, h in cols:
        if h not in index:
            raise ScenarioError(f"unknown location '{h}' in the header", file=path, row=hrow,
                                field=h)
    data = []
    for r, cells in rows[1:]:
        if _is_comment(cells):
            continue
        vals = []
        for k, h in cols:
            text = cells[k] if k < len(cells) else ""
            vals.append(_number(text, path, r, h, allow_empty=True, default=0.0))
        data.append(vals)
    return [h for _, h in cols], np.array(data, dtype=float).reshape(len(data), len(cols))


def read_sim_period(path: Path) -> tuple[date, int]:
    start, length = None, None
    for row, cells in _rows(path):
        if _is_blank(cells) or _is_comment(cells) or len(cells) < 2:
            continue
        key = cells[0].lower()
        if key == "startdate":
            start = _date(cells[1], path, row, "StartDate")
        elif key == "length":
            length = _number(cells[1], path, row, "Length", kind=int)
            if length < 1:
                raise ScenarioError("must be at least 1", file=path, row=row, field="Length")
    if start is None:
        raise ScenarioError("no 'StartDate,YYYY-MM-DD' row", file=path, field="StartDate")
    if length is None:
        raise ScenarioError("no 'Length,N' row", file=path, field="Length")
    return start, length


def read_count_file(path: Path, start: date, scale: float) -> CountSeries:
    """`YYYY-MM-DD,count` rows after an optional header; rows with an empty count are skipped."""
    days, counts = [], []
    first = True
    for row, cells in _rows(path):
        if _is_blank(cells) or _is_comment(cells) or len(cells) < 2:
            continue
        if first:
            first = False
            try:
                date.fromisoformat(cells[0])
            except ValueError:
                continue  # header
        if cells[1] == "":
            continue
        d = _date(cells[0], path, row, "date")
        n = _number(cells[1], path, row, "count")
        days.append((d - start).days)
        counts.append(n / scale)
    if not days:
        raise ScenarioError("no counts (rows 'YYYY-MM-DD,count')", file=path)
    return CountSeries(path.stem, np.array(days, dtype=float), np.array(counts, dtype=float))


def _sum_series(name: str, parts: list[CountSeries]) -> CountSeries:
    """Several files for one place: on the union of dates, the sum of each file's last count
    (Flee adds such tables step-wise, without interpolation)."""
    days = np.unique(np.concatenate([p.days for p in parts]))
    total = np.zeros(len(days))
    for p in parts:
        order = np.argsort(p.days, kind="stable")
        pd, pc = p.days[order], p.counts[order]
        k = np.searchsorted(pd, days, side="right") - 1
        total += np.where(k >= 0, pc[np.clip(k, 0, None)], 0.0)
    return CountSeries(name, days, total)


def read_data_layout(folder: Path, start: date,
                     scale: float) -> tuple[CountSeries | None, dict[str, CountSeries]]:
    layout = folder / "source_data" / "data_layout.csv"
    if not layout.exists():
        raise ScenarioError("file is missing (first row 'total,<file>', then '<camp>,<file>')",
                            file=layout)
    total = None
    camps: dict[str, CountSeries] = {}
    first = True
    for row, cells in _rows(layout):
        cells = list(cells)
        if _is_blank(cells) or _is_comment(cells):
            continue
        if len(cells) < 2 or cells[1] == "":
            raise ScenarioError("needs '<name>,<count file>'", file=layout, row=row, field="file")
        files = [c for c in cells[1:] if c != ""]
        parts = []
        for f in files:
            p = folder / "source_data" / f
            if not p.is_file():
                raise ScenarioError(f"count file '{f}' does not exist", file=layout, row=row,
                                    field="file")
            parts.append(read_count_file(p, start, scale))
        series = parts[0] if len(parts) == 1 else _sum_series(cells[0], parts)
        series.name = cells[0]
        if first:
            total = series
            first = False
        else:
            camps[cells[0]] = series
    return total, camps


def apply_registration_corrections(path: Path, start: date, total: CountSeries | None,
                                   camps: dict[str, CountSeries]) -> None:
    """`camp,date[,normalize]`: scale the camp's counts before `date` by count(date) / count(the
    entry before), so the earlier (level-1) series joins the later (level-2) one. Rows are in file
    order; a date found on several rows (nigeria2016's cameroon.csv) scales once per row, as
    Flee."""
    if not path.exists():
        return
    for row, cells in _rows(path):
        if _is_blank(cells) or _is_comment(cells) or len(cells) < 2:
            continue
        name = cells[0]
        series = camps.get(name) or (total if total is not None and name == total.name else None)
        if series is None:
            raise ScenarioError(f"'{name}' is not in source_data/data_layout.csv", file=path,
                                row=row, field="camp")
        day = (_date(cells[1], path, row, "date") - start).days
        hit = np.flatnonzero(series.days == day)
        if len(hit) == 0:
            raise ScenarioError(f"{cells[1]} is not a date of {name}'s count file", file=path,
                                row=row, field="date")
        for i in hit:  # every row with that date, in file order, as Flee does
            if i > 0 and series.counts[i - 1] != 0:
                series.counts[:i] *= series.counts[i] / series.counts[i - 1]


def read_case(folder: Path, settings: Path | None = None) -> FleeCase:
    """Read a whole Flee folder. `settings`: a YAML used when the folder has no simsetting.yml
    (or given explicitly, which wins)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError("folder does not exist", file=folder)
    if not is_flee_folder(folder):
        raise ScenarioError("not a Flee folder: input_csv/locations.csv and input_csv/routes.csv "
                            "are needed",
                            file=folder)
    if settings is None and (folder / "simsetting.yml").is_file():
        settings = folder / "simsetting.yml"
    cfg = read_settings(settings)
    inp = folder / "input_csv"
    start, length = read_sim_period(inp / "sim_period.csv")
    loc = read_locations(inp / "locations.csv")
    index = loc.index()
    routes = read_routes(inp / "routes.csv", index)
    closures = read_closures(inp / "closures.csv", loc)
    conflict_names, conflicts = read_conflicts(inp / "conflicts.csv", index)
    if conflicts is not None and conflicts.shape[0] < length:
        raise ScenarioError(f"has {conflicts.shape[0]} days of intensities, sim_period.csv asks "
                            f"for {length}",
                            file=inp / "conflicts.csv", row=conflicts.shape[0] + 1)
    total, camps = read_data_layout(folder, start, float(cfg.hasten))
    apply_registration_corrections(inp / "registration_corrections.csv", start, total, camps)
    return FleeCase(folder=folder, name=folder.name, start_date=start, length_days=length,
                    locations=loc,
                    routes=routes, closures=closures, conflict_names=conflict_names,
                    conflicts=conflicts,
                    total=total, camp_counts=camps, settings=cfg, settings_file=settings)
