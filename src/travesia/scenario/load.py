"""Read a scenario folder and check it whole; every problem is a ScenarioError naming file, row,
field."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from travesia.errors import ScenarioError
from travesia.scenario.parameters import Parameters, parameters_from
from travesia.scenario.limits import read_input_text
from travesia.scenario.yamlfile import read_yaml_mapping
from travesia.scenario.admission import Vocabulary
from travesia.scenario.data_values import check_data_name, is_data_name
from travesia.scenario.measures import AGE_BANDS, NEEDS_CATEGORIES
from travesia.scenario.plain_errors import first_error, location, plain_reason, shown_value
from travesia.scenario.schema import (
    EVENT_TYPES,
    MAX_CROSSINGS,
    MAX_DAYS,
    MAX_NATIONALITIES,
    MAX_PEOPLE,
    MAX_PLACE_DAYS,
    MAX_PLACES,
    Branch,
    CrossingRow,
    DocumentsRow,
    FitRef,
    GroupsRow,
    InflowRow,
    InformalCrossingRow,
    PlaceRow,
    PopulationRow,
    RouteRow,
    ScenarioSpec,
    SourceRow,
    split_ids,
)

REQUIRED_FILES = ("scenario.yaml", "sources.csv", "places.csv", "routes.csv", "crossings.csv",
                  "population.csv", "documents.csv")
OPTIONAL_FILES = ("groups.csv", "inflows.csv", "informal_crossings.csv")
SPECIAL_SOURCES = {"assumption", "derived"}
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "scenarios"

M = TypeVar("M", bound=BaseModel)


@dataclass
class Scenario:
    """A validated scenario folder: its spec, its tables (row models) and where it came from."""

    folder: Path
    spec: ScenarioSpec
    params: Parameters
    sources: dict[str, SourceRow]
    places: list[PlaceRow]
    routes: list[RouteRow]
    crossings: list[CrossingRow]
    population: list[PopulationRow]
    documents: list[DocumentsRow]
    groups: list[GroupsRow] = field(default_factory=list)
    inflows: list[InflowRow] = field(default_factory=list)     # inflows.csv (optional)
    informal: list[InformalCrossingRow] = field(default_factory=list)   # informal_crossings.csv
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    content_hash: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def days(self) -> int:
        return (self.spec.end - self.spec.start).days + 1

    def date_of(self, day: int) -> dt.date:
        return self.spec.start + dt.timedelta(days=day)


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenarios by name (folder `chile_peru_2025` is scenario `chile-peru-2025`)."""
    found = {}
    for folder in sorted(BUILTIN_DIR.iterdir()) if BUILTIN_DIR.is_dir() else []:
        if (folder / "scenario.yaml").is_file():
            found[folder.name.replace("_", "-")] = folder
    return found


def resolve_scenario(name_or_path: str | Path | None) -> Path:
    """A scenario argument is a built-in name or a folder path; none means the default."""
    if name_or_path is None:
        name_or_path = "chile-peru-2025"
    builtins = builtin_scenarios()
    if str(name_or_path) in builtins:
        return builtins[str(name_or_path)]
    path = Path(name_or_path)
    if path.is_dir():
        return path
    if path.is_file() and path.name == "scenario.yaml":
        return path.parent
    raise ScenarioError(
        f"no such scenario folder or built-in scenario (built-in: {', '.join(builtins) or 'none'})",
        file=str(name_or_path),
    )


def read_csv_rows(path: Path, model: type[M]) -> list[tuple[int, M]]:
    """Rows of a CSV as (line number, validated row); comment rows (first cell '#...') skipped."""
    if not path.is_file():
        raise ScenarioError("missing file", file=path)
    text = read_input_text(path)
    lines = text.splitlines()
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ScenarioError("empty file (expected a header row)", file=path) from None
    except csv.Error as exc:
        raise ScenarioError(f"malformed CSV: {exc}", file=path, row=1) from None
    header = [h.strip() for h in header]
    required = [
        (info.alias or name) for name, info in model.model_fields.items() if info.is_required()
    ]
    missing = [col for col in required if col not in header]
    if missing and len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        sep = "semicolons" if ";" in header[0] else "tabs"
        raise ScenarioError(f"the header row is one column separated by {sep}: a scenario's CSV "
                            "files are separated by commas (save as 'CSV UTF-8, comma')",
                            file=path, row=1)
    if missing:
        # the header itself is not echoed: an error never shows a file's contents
        raise ScenarioError(f"missing column(s) {', '.join(missing)} (the header row names "
                            f"{len(header)} columns; see docs/scenario-format.md)",
                            file=path, row=1)
    rows: list[tuple[int, M]] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if len(cells) != len(header):
                raise ScenarioError(f"has {len(cells)} fields but the header has {len(header)}",
                                    file=path, row=line)
            record = {h: (c.strip() if c.strip() != "" else None) for h, c in zip(header, cells)}
            try:
                rows.append((line, model.model_validate(record)))
            except ValidationError as exc:
                err = first_error(exc)
                fld = str(err["loc"][0]) if err["loc"] else None
                value = record.get(fld) if fld else None
                reason = plain_reason(err) + shown_value(value)
                if err["type"] == "missing" or (fld and record.get(fld) is None and err["type"]
                                                != "value_error"):
                    reason = "is empty" if fld in header else "missing"
                raise ScenarioError(reason, file=path, row=line, field=fld) from None
    except csv.Error as exc:
        raise ScenarioError(f"malformed CSV: {exc}", file=path, row=reader.line_num) from None
    return rows


def _unique(rows: list[tuple[int, Any]], key, path: Path, what: str, fld: str) -> None:
    seen: dict[Any, int] = {}
    for line, row in rows:
        k = key(row)
        if k in seen:
            shown = f"({', '.join(str(part)[:40] for part in k)})" if isinstance(k, tuple) \
                else f"'{str(k)[:60]}'"
            raise ScenarioError(f"duplicated {what} {shown} (first on row {seen[k]})", file=path,
                                row=line, field=fld)
        seen[k] = line


def check_source_ids(text: str | list[str], sources: dict[str, SourceRow], path: Path, *,
                     row: int | None = None, field: str = "source") -> None:
    """Every id of a `source` cell (`a;b`) is a row of sources.csv, or `assumption`/`derived`."""
    for sid in split_ids(text):
        if sid not in sources and sid not in SPECIAL_SOURCES:
            raise ScenarioError(f"unknown source id '{sid[:40]}' (not in sources.csv)", file=path,
                                row=row, field=field)


def _check_sources(rows: list[tuple[int, Any]], path: Path, sources: dict[str, SourceRow]) -> None:
    for line, row in rows:
        check_source_ids(row.source, sources, path, row=line)


def _validate_spec(data: dict, path: Path) -> ScenarioSpec:
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        err = first_error(exc)
        loc = list(err["loc"])
        kinds = ", ".join(EVENT_TYPES)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc.append("type")             # the event's `type:` is what is wrong or missing
        fld = location(loc, event_types=EVENT_TYPES)
        reason = plain_reason(err, kinds=kinds)
        if err["type"] == "extra_forbidden":
            reason = f"not a field of {_where_fields(err['loc'])}"
        if loc and loc[0] == "fit" and err["type"] in ("string_type", "model_type"):
            reason = "must be a file name (fitted_params.yaml) or {scenario: NAME}"
        if err["type"] in ("model_type", "model_attributes_type", "dict_type") \
                and loc[-1:] != ["type"] and isinstance(loc[-1], int):
            reason = ("must be a mapping (id, weight, after, source, timeline, ...)"
                      if loc[-2] == "branches" else "must be a mapping (date, type, source, ...)")
        raise ScenarioError(reason + shown_value(err.get("input")), file=path,
                            field=fld) from None


def _where_fields(loc: tuple) -> str:
    """What an unknown key was written in, and the keys it takes: `a deadline event (fields:
    date, ...)`."""
    model: type[BaseModel] = ScenarioSpec
    what = "scenario.yaml"
    for i, part in enumerate(loc[:-1]):
        if part == "branches":
            model, what = Branch, "a branch"
        elif part == "timeline" and i + 2 < len(loc) and loc[i + 2] in EVENT_TYPES:
            model = EVENT_TYPES[str(loc[i + 2])]
            what = f"a {loc[i + 2]} event"
        elif part == "fit":
            model, what = FitRef, "`fit:`"
    names = [info.alias or name for name, info in model.model_fields.items()]
    return f"{what} (fields: {', '.join(names)})"


def file_inside(folder: Path, text: str, *, file: Path, field: str | None) -> Path:
    """A path named in a scenario that must stay inside the scenario's folder: a scenario shared
    with others must not read their files (no absolute path, no '..', no symbolic link out)."""
    if not text.strip():
        raise ScenarioError("empty path", file=file, field=field)
    if Path(text).is_absolute() or ".." in Path(text).parts:
        raise ScenarioError(f"'{text[:80]}' must be a file inside the scenario folder (no "
                            "absolute path, no '..')", file=file, field=field)
    path = folder / text
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        raise ScenarioError(f"'{text[:80]}' leads out of the scenario folder (a symbolic link)",
                            file=file, field=field) from None
    if not path.is_file():
        raise ScenarioError(f"'{text[:80]}' not found in the scenario folder", file=file,
                            field=field)
    return path


def load_scenario(name_or_path: str | Path | None = None) -> Scenario:
    folder = resolve_scenario(name_or_path)
    missing = [f for f in REQUIRED_FILES if not (folder / f).is_file()]
    if missing:
        raise ScenarioError(f"missing file (a scenario folder needs {', '.join(REQUIRED_FILES)})",
                            file=folder / missing[0])
    for fname in REQUIRED_FILES + OPTIONAL_FILES:
        if (folder / fname).exists():
            file_inside(folder, fname, file=folder / fname, field=None)
    ypath = folder / "scenario.yaml"
    spec = _validate_spec(read_yaml_mapping(ypath, missing="missing file",
                                              expected="expected a mapping (name, start, end, "
                                                       "timeline, ...)"), ypath)
    if spec.end < spec.start:
        raise ScenarioError(f"end {spec.end} is before start {spec.start}", file=ypath, field="end")
    if (spec.end - spec.start).days > MAX_DAYS:
        raise ScenarioError(f"the period {spec.start} to {spec.end} is longer than {MAX_DAYS} days",
                            file=ypath, field="end")
    if spec.observations is not None:
        file_inside(folder, spec.observations, file=ypath, field="observations")
    params = parameters_from(spec.parameters, file=ypath)
    vocabulary = Vocabulary(tuple(spec.documents), tuple(spec.groups),
                            statuses=tuple(spec.statuses))
    try:
        vocabulary.check_statuses()
    except ValueError as exc:
        raise ScenarioError(str(exc), file=ypath, field="statuses") from None
    try:
        vocabulary.check()
    except ValueError as exc:
        raise ScenarioError(str(exc), file=ypath,
                            field="groups" if spec.groups else "documents") from None
    _check_status_parameters(spec, params, ypath)

    spath = folder / "sources.csv"
    source_rows = read_csv_rows(spath, SourceRow)
    _unique(source_rows, lambda r: r.id, spath, "source id", "id")
    sources = {r.id: r for _, r in source_rows}

    tables: dict[str, list] = {}
    for fname, model in (("places.csv", PlaceRow), ("routes.csv", RouteRow),
                         ("crossings.csv", CrossingRow),
                         ("population.csv", PopulationRow), ("documents.csv", DocumentsRow),
                         ("groups.csv", GroupsRow), ("inflows.csv", InflowRow),
                         ("informal_crossings.csv", InformalCrossingRow)):
        path = folder / fname
        if fname in OPTIONAL_FILES and not path.exists():
            tables[fname] = []
            continue
        rows = read_csv_rows(path, model)
        _check_sources(rows, path, sources)
        for line, row in rows:
            status = getattr(row, "status", None)
            if status is not None and status not in vocabulary.statuses:
                raise ScenarioError(_unknown_status(status, vocabulary), file=path, row=line,
                                    field="status")
        tables[fname] = rows

    nationalities = sorted({r.nationality for _, r in tables["population.csv"]}
                           | {r.nationality for _, r in tables["documents.csv"]}
                           | {r.nationality for _, r in tables["inflows.csv"]})
    if len(nationalities) > MAX_NATIONALITIES:
        raise ScenarioError(f"{len(nationalities):,} nationalities (at most "
                            f"{MAX_NATIONALITIES:,})", file=folder / "population.csv",
                            field="nationality")
    vocabulary = replace(vocabulary, nationalities=tuple(nationalities))
    try:
        vocabulary.check()
    except ValueError as exc:
        raise ScenarioError(str(exc), file=folder / "population.csv", field="nationality") from None

    places = tables["places.csv"]
    ppath = folder / "places.csv"
    if len(places) > MAX_PLACES:
        raise ScenarioError(f"{len(places):,} places (at most {MAX_PLACES:,})", file=ppath)
    days = (spec.end - spec.start).days + 1
    if len(places) * days > MAX_PLACE_DAYS:
        raise ScenarioError(f"{len(places):,} places over {days:,} days keep "
                            f"{len(places) * days:,} daily counts (at most {MAX_PLACE_DAYS:,}): "
                            "shorten the period or merge places", file=ypath, field="end")
    _unique(places, lambda r: r.name, ppath, "place name", "name")
    kind = {r.name: r.kind for _, r in places}
    for line, r in places:
        if r.capacity is not None and r.kind != "destination":
            raise ScenarioError(f"only a destination has a capacity ('{r.name}' is a {r.kind})",
                                file=ppath, row=line, field="capacity")
        if r.beyond_capacity is not None and r.capacity is None:
            raise ScenarioError("beyond_capacity without a capacity", file=ppath, row=line,
                                field="beyond_capacity")

    def need_place(name: str, path: Path, line: int, fld: str,
                   kinds: tuple[str, ...] | None = None) -> None:
        if name not in kind:
            raise ScenarioError(f"unknown place '{name}' (not in places.csv)", file=path, row=line,
                                field=fld)
        if kinds and kind[name] not in kinds:
            raise ScenarioError(f"place '{name}' is a {kind[name]}, expected {' or '.join(kinds)}",
                                file=path, row=line, field=fld)

    rpath = folder / "routes.csv"
    for line, r in tables["routes.csv"]:
        need_place(r.from_, rpath, line, "from")
        need_place(r.to, rpath, line, "to")
        if r.from_ == r.to:
            raise ScenarioError("a route from a place to itself", file=rpath, row=line, field="to")
    _unique(tables["routes.csv"], lambda r: tuple(sorted((r.from_, r.to))), rpath, "route", "to")

    cpath = folder / "crossings.csv"
    _unique(tables["crossings.csv"], lambda r: r.name, cpath, "crossing name", "name")
    for line, c in tables["crossings.csv"]:
        for fld in ("exit_admits", "entry_admits", "return_admits"):
            _check_rule(vocabulary, getattr(c, fld), cpath, line, fld)
        need_place(c.exit_post, cpath, line, "exit_post", ("post",))
        need_place(c.entry_post, cpath, line, "entry_post", ("post",))
        need_place(c.return_place, cpath, line, "return_place", ("city", "destination"))
        need_place(c.destination, cpath, line, "destination", ("destination",))
        if c.exit_post == c.entry_post:
            raise ScenarioError("exit_post and entry_post are the same place", file=cpath, row=line,
                                field="entry_post")
        for rline, r in tables["routes.csv"]:
            if {r.from_, r.to} == {c.exit_post, c.entry_post}:
                raise ScenarioError(f"a road joins the two posts of crossing '{c.name}': people "
                                    "must pass "
                                    "the posts, so the strip between them is crossings.csv's "
                                    "strip_km",
                                    file=rpath, row=rline, field="to")

    popath = folder / "population.csv"
    for line, p in tables["population.csv"]:
        need_place(p.place, popath, line, "place", ("city",))
    _unique(tables["population.csv"], lambda r: (r.place, r.nationality, r.status), popath,
            "population cell (place, nationality, status)", "status")

    _check_needs_groups(spec, tables["groups.csv"], folder / "groups.csv", ypath)
    _check_inflows(tables["inflows.csv"], folder / "inflows.csv", need_place)

    people_cells = {(r.nationality, r.status) for _, r in tables["population.csv"]} \
        | {(r.nationality, r.status) for _, r in tables["inflows.csv"]}
    for fname, column, names, what in (("documents.csv", "documents", vocabulary.documents,
                                        "document"),
                                       ("groups.csv", "groups", vocabulary.groups, "group")):
        _check_shares(tables[fname], folder / fname, column, names, what, people_cells)

    crossing_names = {c.name for _, c in tables["crossings.csv"]}
    countries = {r.country for _, r in places}
    _check_informal(tables, folder, kind, {r.name: r.country for _, r in places})
    _check_speeds(tables, folder, params)
    check = _EventCheck(ypath, sources, crossing_names, kind, countries, nationalities, vocabulary,
                        regions={r.region for _, r in places if r.region})
    event_ids: set[str] = set()
    check.events(spec.timeline, "timeline", spec.start, spec.end, event_ids)
    _check_troops(spec.timeline, ypath, "timeline")
    _check_branches(spec, check, event_ids, len(places))
    _check_keyed_names(spec, ypath, {
        "departure_rate_per_day": ("status", tuple(spec.statuses)),
        "group_response": ("group", tuple(spec.groups)),
        "nationality_response": ("nationality", tuple(nationalities), "status",
                                 tuple(spec.statuses)),
        "crossing_preference": ("crossing", tuple(crossing_names) + tuple(
            r.name for _, r in tables["informal_crossings.csv"]), "nationality",
            tuple(nationalities)),
    })
    # a dotted name reaches into a mapping: departure_rate_per_day.irregular
    for pname in spec.priors:
        if not is_data_name(pname) and pname.split(".")[0] not in Parameters.model_fields:
            raise ScenarioError("prior for an unknown parameter", file=ypath,
                                field=f"priors.{pname}")

    scenario = Scenario(
        folder=folder, spec=spec, params=params, sources=sources,
        places=[r for _, r in places], routes=[r for _, r in tables["routes.csv"]],
        crossings=[r for _, r in tables["crossings.csv"]],
        population=[r for _, r in tables["population.csv"]],
        documents=[r for _, r in tables["documents.csv"]],
        groups=[r for _, r in tables["groups.csv"]],
        inflows=[r for _, r in tables["inflows.csv"]],
        informal=[r for _, r in tables["informal_crossings.csv"]],
        vocabulary=vocabulary,
    )
    _check_connected(scenario, tables)
    for pname in spec.priors:   # a number of a data table: its row must be there
        if is_data_name(pname):
            check_data_name(scenario, pname, file=ypath, field=f"priors.{pname}")
    scenario.content_hash = content_hash(folder)
    return scenario


@dataclass
class _EventCheck:
    """What timeline events are checked against: the scenario's sources, crossings, places,
    countries, nationalities and vocabulary."""

    ypath: Path
    sources: dict[str, SourceRow]
    crossing_names: set[str]
    kind: dict[str, str]
    countries: set[str]
    nationalities: list[str]
    vocabulary: Vocabulary
    regions: set[str] = field(default_factory=set)    # places.csv `region` values

    def events(self, events: list, where: str, first: dt.date, last: dt.date,
               event_ids: set[str]) -> None:
        """Each event of `events` (`where`: "timeline" or "branches[1].timeline"), dated in
        [first, last]; ids unique across `event_ids`."""
        ypath = self.ypath
        for i, ev in enumerate(events):
            fld = f"{where}[{i}]"
            if not first <= ev.date <= last:
                raise ScenarioError(f"date {ev.date} is outside the period {first} to {last}",
                                    file=ypath, field=f"{fld}.date")
            if ev.announced is not None and ev.announced > ev.date:
                raise ScenarioError(f"announced {ev.announced} is after the event's date "
                                    f"{ev.date}", file=ypath, field=f"{fld}.announced")
            if ev.id is not None:
                if ev.id in event_ids:
                    raise ScenarioError(f"duplicate event id '{ev.id}'", file=ypath,
                                        field=f"{fld}.id")
                event_ids.add(ev.id)
            check_source_ids(ev.source, self.sources, ypath, field=f"{fld}.source")
            crossing = getattr(ev, "crossing", None)
            if crossing is not None and crossing not in self.crossing_names:
                raise ScenarioError(f"unknown crossing '{crossing[:60]}' (crossings.csv has: "
                                    f"{', '.join(sorted(self.crossing_names))[:200]})",
                                    file=ypath, field=f"{fld}.crossing")
            if ev.type == "flight" and ev.from_ not in self.crossing_names \
                    and ev.from_ not in self.kind:
                raise ScenarioError(f"unknown place or crossing '{ev.from_}'", file=ypath,
                                    field=f"{fld}.from")
            if ev.type == "removal":
                for name in ev.from_:
                    if name not in self.crossing_names and self.kind.get(name) != "city":
                        raise ScenarioError(f"'{name}' is neither a city of places.csv nor a "
                                            "crossing", file=ypath, field=f"{fld}.from")
            if ev.type == "reception" and ev.country not in self.countries:
                raise ScenarioError(f"unknown country '{ev.country}' (not in places.csv)",
                                    file=ypath, field=f"{fld}.country")
            if ev.type == "threat":
                for j, name in enumerate(ev.places):
                    if name not in self.kind:
                        raise ScenarioError(f"unknown place '{name[:40]}' (not in places.csv)",
                                            file=ypath, field=f"{fld}.places[{j}]")
                for j, name in enumerate(ev.regions):
                    if name not in self.regions:
                        raise ScenarioError(f"unknown region '{name[:40]}' (places.csv "
                                            f"names: {', '.join(sorted(self.regions))})",
                                            file=ypath, field=f"{fld}.regions[{j}]")
            if ev.type == "shelter" and ev.place not in self.kind:
                raise ScenarioError(f"unknown place '{ev.place}'", file=ypath,
                                    field=f"{fld}.place")
            # flights, shelters and removals for one nationality
            nationality = getattr(ev, "nationality", None)
            if nationality is not None and nationality not in self.nationalities:
                raise ScenarioError(f"unknown nationality '{nationality}' (not in "
                                    "population.csv)", file=ypath, field=f"{fld}.nationality")
            if ev.type == "admission":
                _check_rule(self.vocabulary, ev.admits, ypath, None, f"{fld}.admits")
            for j, status in enumerate(getattr(ev, "statuses", None) or []):
                if status not in self.vocabulary.statuses:
                    raise ScenarioError(_unknown_status(status, self.vocabulary), file=ypath,
                                        field=f"{fld}.statuses[{j}]")


def _check_needs_groups(spec: ScenarioSpec, group_rows: list[tuple[int, Any]], gpath: Path,
                        ypath: Path) -> None:
    """`needs_groups:` maps declared groups to known needs categories; nobody is in two groups
    that map to age bands (a person has one age)."""
    for group, category in spec.needs_groups.items():
        if group not in spec.groups:
            raise ScenarioError(f"unknown group '{str(group)[:40]}' (scenario.yaml declares: "
                                f"{', '.join(spec.groups) or 'none'})", file=ypath,
                                field=f"needs_groups.{group}")
        if category not in NEEDS_CATEGORIES:
            raise ScenarioError(f"unknown needs category '{str(category)[:40]}' (known: "
                                f"{', '.join(NEEDS_CATEGORIES)})", file=ypath,
                                field=f"needs_groups.{group}")
    ages = {g for g, c in spec.needs_groups.items() if c in AGE_BANDS}
    for line, row in group_rows:
        held = [g for g in ([] if row.groups == "none" else split_ids(row.groups)) if g in ages]
        if len(held) > 1:
            raise ScenarioError(f"'{held[0]}' and '{held[1]}' both map to age bands in "
                                "needs_groups: a person has one age", file=gpath, row=line,
                                field="groups")


def _unknown_status(status: str, vocabulary: Vocabulary) -> str:
    return (f"unknown status '{status[:40]}' (scenario.yaml declares: "
            f"{', '.join(vocabulary.statuses)})")


def _check_status_parameters(spec: ScenarioSpec, params: Parameters, ypath: Path) -> None:
    """Parameters keyed by status name declared statuses (a status without a departure rate has
    rate 0, as before statuses were declared: model.md §2)."""
    statuses = spec.statuses
    written = spec.parameters.get("departure_rate_per_day") or {}
    for key in written:
        if key not in statuses:
            raise ScenarioError(f"unknown status '{str(key)[:40]}' (scenario.yaml declares: "
                                f"{', '.join(statuses)})", file=ypath,
                                field=f"parameters.departure_rate_per_day.{key}")
    for group in params.group_response:
        if group not in spec.groups:
            raise ScenarioError(f"unknown group '{str(group)[:40]}' (scenario.yaml declares: "
                                f"{', '.join(spec.groups) or 'none'})", file=ypath,
                                field=f"parameters.group_response.{group}")
    for nat, response in params.nationality_response.items():
        for key in response if isinstance(response, dict) else ():
            if key not in statuses:
                raise ScenarioError(f"unknown status '{str(key)[:40]}' (scenario.yaml "
                                    f"declares: {', '.join(statuses)})", file=ypath,
                                    field=f"parameters.nationality_response.{nat}.{key}")


def _check_keyed_names(spec: ScenarioSpec, ypath: Path,
                       keys: dict[str, tuple[Any, ...]]) -> None:
    """The keys of mapping parameters name what the scenario has, in `parameters:` and in the
    dotted names of `priors:` (departure_rate_per_day.irregular, nationality_response.Haiti,
    crossing_preference.CROSSING.NATIONALITY): `keys` gives, per parameter, what each level's
    key is and the names it may take."""
    written: list[tuple[str, list[str]]] = []
    for pname, value in spec.parameters.items():
        if pname in keys and isinstance(value, dict):
            for key, inner in value.items():
                written.append((f"parameters.{pname}.{key}", [pname, str(key)]))
                for key2 in inner if isinstance(inner, dict) else ():
                    written.append((f"parameters.{pname}.{key}.{key2}",
                                    [pname, str(key), str(key2)]))
    for name in spec.priors:
        if not is_data_name(name) and name.split(".")[0] in keys:
            written.append((f"priors.{name}", name.split(".")))
    for fld, parts in written:
        levels = keys[parts[0]]
        for depth, key in enumerate(parts[1:]):
            if 2 * depth + 1 >= len(levels):
                break
            what, known = levels[2 * depth], levels[2 * depth + 1]
            if key not in known:
                raise ScenarioError(f"unknown {what} '{key[:40]}' (the scenario has: "
                                    f"{', '.join(known)[:200] or 'none'})", file=ypath, field=fld)


def _check_troops(events: list, ypath: Path, where: str, skip: int = 0) -> None:
    """Soldiers withdrawn cannot outnumber those deployed, counting events in date order (the
    first `skip` events are the base timeline's, before a branch's `where`)."""
    troops: dict[str, int] = {}
    for i, ev in sorted(enumerate(events), key=lambda item: item[1].date):
        if ev.type == "troops":
            troops[ev.crossing] = troops.get(ev.crossing, 0) + ev.personnel
            if troops[ev.crossing] < 0:
                raise ScenarioError(f"withdraws more personnel than are deployed at "
                                    f"'{ev.crossing}' by {ev.date} ({troops[ev.crossing]} left)",
                                    file=ypath, field=f"{where}[{i - skip}].personnel")


def _check_branches(spec: ScenarioSpec, check: _EventCheck, event_ids: set[str],
                    n_places: int) -> None:
    """Branches (docs/branches.md): unique ids, weights summing to 1, `after` inside the period,
    events dated from `after` to the branch's end."""
    if not spec.branches:
        return
    ypath = check.ypath
    seen: set[str] = set()
    for b, branch in enumerate(spec.branches):
        fld = f"branches[{b}]"
        if branch.id in seen:
            raise ScenarioError(f"duplicate branch id '{branch.id}'", file=ypath,
                                field=f"{fld}.id")
        seen.add(branch.id)
        check_source_ids(branch.source, check.sources, ypath, field=f"{fld}.source")
        if not spec.start < branch.after <= spec.end:
            raise ScenarioError(f"after {branch.after} is outside the period {spec.start} ("
                                f"excluded) to {spec.end}", file=ypath, field=f"{fld}.after")
        end = branch.end or spec.end
        if end < branch.after:
            raise ScenarioError(f"end {end} is before after {branch.after}", file=ypath,
                                field=f"{fld}.end")
        if (end - spec.start).days > MAX_DAYS:
            raise ScenarioError(f"the period {spec.start} to {end} is longer than {MAX_DAYS} days",
                                file=ypath, field=f"{fld}.end")
        if n_places * ((end - spec.start).days + 1) > MAX_PLACE_DAYS:
            raise ScenarioError(f"{n_places:,} places up to {end} keep more than "
                                f"{MAX_PLACE_DAYS:,} daily counts", file=ypath, field=f"{fld}.end")
        check.events(branch.timeline, f"{fld}.timeline", branch.after, end, set(event_ids))
        _check_troops(list(spec.timeline) + list(branch.timeline), ypath, f"{fld}.timeline",
                      skip=len(spec.timeline))
    total = sum(branch.weight for branch in spec.branches)
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(f"the weights of the branches sum to {total:g}, not 1 ("
                            + ", ".join(f"{br.id} {br.weight:g}" for br in spec.branches) + ")",
                            file=ypath, field="branches")


def _check_inflows(rows: list[tuple[int, InflowRow]], path: Path, need_place) -> None:
    """inflows.csv: a known city or destination, a period that does not end before it starts,
    and no more people in all than a population cell may hold."""
    for line, r in rows:
        need_place(r.place, path, line, "place", ("city", "destination"))
        if r.end < r.start:
            raise ScenarioError(f"end {r.end} is before start {r.start}", file=path, row=line,
                                field="end")
        days = (r.end - r.start).days + 1
        if r.people_per_day * days > MAX_PEOPLE:
            raise ScenarioError(f"brings {r.people_per_day:g} people a day for {days:,} days, "
                                f"more than {MAX_PEOPLE:,} in all", file=path, row=line,
                                field="people_per_day")


def _check_informal(tables: dict[str, list], folder: Path, kind: dict[str, str],
                    country: dict[str, str]) -> None:
    """informal_crossings.csv: unique names (none a crossing's), `border` a crossing or two
    countries, `from` a city on the border's origin side, `to` a city or destination across it,
    one currency for all costs."""
    path = folder / "informal_crossings.csv"
    rows = tables["informal_crossings.csv"]
    _unique(rows, lambda r: r.name, path, "informal crossing name", "name")
    crossings = {c.name: c for _, c in tables["crossings.csv"]}
    for line, r in rows:
        if r.name in crossings:
            raise ScenarioError(f"'{r.name}' is already the name of a crossing in crossings.csv",
                                file=path, row=line, field="name")
        for fld, name, kinds in (("from", r.from_, ("city",)), ("to", r.to,
                                                                ("city", "destination"))):
            if name not in kind:
                raise ScenarioError(f"unknown place '{name}' (not in places.csv)", file=path,
                                    row=line, field=fld)
            if kind[name] not in kinds:
                raise ScenarioError(f"place '{name}' is a {kind[name]}, expected "
                                    f"{' or '.join(kinds)}", file=path, row=line, field=fld)
        if r.border in crossings:
            c = crossings[r.border]
            sides: tuple[str, ...] = (country[c.exit_post], country[c.entry_post])
        else:
            sides = tuple(split_ids(r.border))
            known = set(country.values())
            if len(sides) != 2 or sides[0] == sides[1] or not set(sides) <= known:
                raise ScenarioError(f"'{r.border}' is neither a crossing of crossings.csv nor two "
                                    "countries of places.csv ('A;B')", file=path, row=line,
                                    field="border")
        if (country[r.from_], country[r.to]) not in (sides, sides[::-1]) \
                or (r.border in crossings and country[r.from_] != sides[0]):
            raise ScenarioError(f"'{r.from_}' ({country[r.from_]}) to '{r.to}' "
                                f"({country[r.to]}) does not cross the border {r.border} "
                                f"({sides[0]} to {sides[1]})", file=path, row=line, field="to")
    if len(rows) + len(crossings) > MAX_CROSSINGS:
        raise ScenarioError(f"{len(crossings)} crossings and {len(rows)} informal crossings: at "
                            f"most {MAX_CROSSINGS:,} in all",
                            file=path if rows else folder / "crossings.csv",
                            row=rows[-1][0] if rows else None, field="name")
    currencies = {r.currency for _, r in rows}
    if len(currencies) > 1:
        raise ScenarioError(f"costs in {len(currencies)} currencies "
                            f"({', '.join(sorted(currencies))}): people weigh them as one, so give "
                            "every cost in one currency",
                            file=path, row=rows[-1][0], field="currency")


def _check_speeds(tables: dict[str, list], folder: Path, params: Parameters) -> None:
    """A route or informal crossing travelled by boat or rail needs its speed: its row's
    `speed_km_per_day` or the parameter speed_km_per_day_by_mode."""
    for fname in ("routes.csv", "informal_crossings.csv"):
        for line, r in tables[fname]:
            if r.mode in ("boat", "rail") and r.speed_km_per_day is None \
                    and r.mode not in params.speed_km_per_day_by_mode:
                raise ScenarioError(f"mode {r.mode} has no speed: give the row's "
                                    "speed_km_per_day or parameters.speed_km_per_day_by_mode."
                                    f"{r.mode}", file=folder / fname, row=line,
                                    field="speed_km_per_day")


def _check_rule(vocabulary: Vocabulary, text: str, path: Path, line: int | None, fld: str) -> None:
    try:
        vocabulary.parse(text)
    except ValueError as exc:
        raise ScenarioError(str(exc), file=path, row=line, field=fld) from None


def _check_shares(rows: list[tuple[int, Any]], path: Path, column: str, names: tuple[str, ...],
                  what: str, people_cells: set[tuple[str, str]]) -> None:
    """Rows of (nationality, status, a set of names or `none`, share): names declared, no set twice,
    and the shares of each (nationality, status) sum to 1."""
    _unique(rows, lambda r: (r.nationality, r.status, getattr(r, column)), path, f"{column} row",
            column)
    totals: dict[tuple[str, str], tuple[float, int]] = {}
    for line, row in rows:
        value = getattr(row, column)
        listed = [] if value == "none" else split_ids(value)
        if "none" in listed:
            raise ScenarioError(f"'none' stands alone (no {what}s), never beside a {what}",
                                file=path, row=line, field=column)
        if len(set(listed)) < len(listed):
            twice = next(n for n in listed if listed.count(n) > 1)
            raise ScenarioError(f"{what} '{twice[:40]}' written twice in one set", file=path,
                                row=line, field=column)
        for name in listed:
            if name not in names:
                declared = ", ".join(names) or "none declared"
                raise ScenarioError(f"unknown {what} '{name}' (scenario.yaml declares: {declared}; "
                                    "or none)",
                                    file=path, row=line, field=column)
        share, _ = totals.get((row.nationality, row.status), (0.0, line))
        totals[(row.nationality, row.status)] = (share + row.share, line)
    for (nat, status), (share, line) in totals.items():
        if nat not in {n for n, _ in people_cells}:
            # rows of a nationality nobody has: most often a misspelt one, whose people then hold
            # nothing (a cell without rows holds no documents, no groups)
            raise ScenarioError(f"no people of nationality '{nat[:40]}' in population.csv or "
                                "inflows.csv: a misspelt nationality?", file=path, row=line,
                                field="nationality")
        if abs(share - 1.0) > 1e-6:
            raise ScenarioError(f"shares for ({nat}, {status}) sum to {share:g}, not 1",
                                file=path, row=line, field="share")


def _check_connected(scenario: Scenario, tables: dict[str, list]) -> None:
    """Every populated place must reach a crossing; a place of transit a crossing or informal
    crossing out of its country; every crossing its destination and return place."""
    adjacency: dict[str, set[str]] = {p.name: set() for p in scenario.places}
    for r in scenario.routes:
        adjacency[r.from_].add(r.to)
        adjacency[r.to].add(r.from_)

    def reach(start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in adjacency[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    folder = scenario.folder
    exits = {c.exit_post for c in scenario.crossings}
    country = {p.name: p.country for p in scenario.places}
    out_of: dict[str, set[str]] = {p.country: set() for p in scenario.places}
    for c in scenario.crossings:    # exit posts by country
        out_of[country[c.exit_post]].add(c.exit_post)
    for i in scenario.informal:     # and informal crossings' origin sides: transit may take them
        out_of[country[i.from_]].add(i.from_)
    for line, p in tables["population.csv"]:
        if p.people > 0 and not (reach(p.place) & exits):
            raise ScenarioError(f"place '{p.place}' is disconnected: no road from it reaches any "
                                "crossing",
                                file=folder / "population.csv", row=line, field="place")
    for line, r in tables["inflows.csv"]:
        if r.mode == "transit" and not (reach(r.place) & out_of[country[r.place]]):
            raise ScenarioError(f"place '{r.place}' is a dead end for people in transit: no road "
                                f"from it reaches a crossing (or informal crossing) out of "
                                f"{country[r.place]}",
                                file=folder / "inflows.csv", row=line, field="place")
    for line, pl in tables["places.csv"]:
        if pl.beyond_capacity == "transit" and not (reach(pl.name) & out_of[pl.country]):
            raise ScenarioError(f"place '{pl.name}' sends people on in transit, but no road from "
                                f"it reaches a crossing (or informal crossing) out of {pl.country}",
                                file=folder / "places.csv", row=line, field="beyond_capacity")
    for line, c in tables["crossings.csv"]:
        if c.destination not in reach(c.entry_post):
            raise ScenarioError(f"destination '{c.destination}' is disconnected: no road from "
                                "entry post "
                                f"'{c.entry_post}'", file=folder / "crossings.csv", row=line,
                                field="destination")
        if c.return_place not in reach(c.exit_post):
            raise ScenarioError(f"return place '{c.return_place}' is disconnected: no road from "
                                "exit post "
                                f"'{c.exit_post}'", file=folder / "crossings.csv", row=line,
                                field="return_place")


def content_hash(folder: Path) -> str:
    """A hash of the scenario's input files, to tell runs of different scenario versions apart.

    Only inputs count: outputs kept beside them (a fitted parameters file) must not change it,
    nor must naming one in scenario.yaml (its `fit:` key), or a fit would be stale once named.
    """
    digest = hashlib.sha256()
    spec = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8")) or {}
    names = (
        list(REQUIRED_FILES)
        + list(OPTIONAL_FILES)
        + ([spec["observations"]] if isinstance(spec.get("observations"), str) else [])
    )
    for name in names:
        path = folder / name
        if path.is_file():
            digest.update(name.encode())
            data = path.read_bytes()
            digest.update(_without_fit_key(data) if name == "scenario.yaml" and "fit" in spec
                          else data)
    return digest.hexdigest()[:16]


def _without_fit_key(text: bytes) -> bytes:
    """scenario.yaml without its top-level `fit:` entry (the key line and its indented lines)."""
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        # a comment at column 0 ends the entry
        top = line[:1] not in (b" ", b"\t", b"\n", b"\r", b"")
        if top:
            inside = line.startswith(b"fit:")
        if not inside:
            kept.append(line)
    return b"".join(kept)
