"""Numbers of a scenario's data tables that a prior may vary, and a scenario with them set.

A prior's name addresses a number of a table by the row's key and a column:

    documents[Venezuela,irregular,none].share      population[Santiago,Venezuela,irregular].people
    crossings[Chacalluta–Santa Rosa].entry_capacity_per_day     routes[Iquique,Arica].distance_km
    informal_crossings[NAME].detection   (also capacity_per_day, injury_risk, death_risk, cost, km)
    timeline[ID].personnel     (an event with `id: ID`; any of its numbers: level, per_day, days,
    ...)      inflows[2].people_per_day     (inflows.csv's 2nd data row: its rows have no key)
    places[Lajas Blancas].capacity

Shares of one (nationality, status) sum to 1: when some are set, the others are rescaled to fill
what is left (docs/ensembles.md, "Priors on data numbers").
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from travesia.errors import ScenarioError
from travesia.scenario.plain_errors import first_error, plain_reason
from travesia.scenario.schema import split_ids

if TYPE_CHECKING:
    from travesia.scenario.load import Scenario

_NAME = re.compile(r"^([a-z_]+)\[([^\]]*)\]\.([a-z_]+)$")


@dataclass(frozen=True)
class DataTable:
    """A table whose numbers priors may vary: the Scenario attribute holding its rows, the row
    fields that name a row (in the order a name gives them) and the numeric columns."""

    attr: str
    file: str
    key: tuple[str, ...]
    numbers: tuple[str, ...]
    share_within: tuple[str, ...] = ()   # rows alike in these fields have shares summing to 1
    either_order: bool = False           # routes[a,b] is the road a–b or b–a
    integers: tuple[str, ...] = ()
    by_number: bool = False              # rows named by their 1-based data row number


TABLES = {
    "documents": DataTable("documents", "documents.csv", ("nationality", "status", "documents"),
                           ("share",),
                           share_within=("nationality", "status")),
    "groups": DataTable("groups", "groups.csv", ("nationality", "status", "groups"), ("share",),
                        share_within=("nationality", "status")),
    "population": DataTable("population", "population.csv", ("place", "nationality", "status"),
                            ("people",),
                            integers=("people",)),
    "crossings": DataTable("crossings", "crossings.csv", ("name",),
                           ("entry_capacity_per_day", "exit_capacity_per_day", "strip_km")),
    "routes": DataTable("routes", "routes.csv", ("from_", "to"), ("distance_km",),
                        either_order=True),
    "places": DataTable("places", "places.csv", ("name",), ("capacity",), integers=("capacity",)),
    "inflows": DataTable("inflows", "inflows.csv", ("row",), ("people_per_day",),
                         by_number=True),
    "informal_crossings": DataTable("informal", "informal_crossings.csv", ("name",),
                                    ("capacity_per_day", "detection", "injury_risk",
                                     "death_risk", "cost", "km")),
}
EVENT_NUMBERS = ("level", "personnel", "per_day", "seats", "capacity", "days")
_EVENT_INTEGERS = ("personnel", "seats", "capacity", "days")


def is_data_name(name: str) -> bool:
    """A data name has a row key in brackets; a parameter name never does."""
    return "[" in name


def parse_data_name(name: str, *, file=None,
                    field: str | None = None) -> tuple[str, tuple[str, ...], str]:
    """(table, row key, column) of `table[k1,k2].column`; the table and column are checked here,
    the row against a scenario by `check_data_name`."""
    where = field or f"priors.{name}"
    m = _NAME.match(name)
    if not m:
        raise ScenarioError(f"not a data name: '{name}' (written table[row key].column, e.g. "
                            "documents[Venezuela,irregular,none].share)", file=file, field=where)
    table, key_text, column = m.groups()
    key = tuple(k.strip() for k in key_text.split(","))
    if table == "timeline":
        if len(key) != 1 or not key[0]:
            raise ScenarioError("a timeline event is named by its id: timeline[ID].level",
                                file=file, field=where)
        if column not in EVENT_NUMBERS:
            raise ScenarioError(f"'{column}' is not a number of an event (numbers: "
                                f"{', '.join(EVENT_NUMBERS)})",
                                file=file, field=where)
        return table, key, column
    if table not in TABLES:
        raise ScenarioError(f"unknown table '{table}' (known: "
                            f"{', '.join(list(TABLES) + ['timeline'])})",
                            file=file, field=where)
    spec = TABLES[table]
    if len(key) != len(spec.key):
        shown = ",".join(k.rstrip("_") for k in spec.key)
        raise ScenarioError(f"a row of {table} is named by {len(spec.key)} values: "
                            f"{table}[{shown}]", file=file,
                            field=where)
    if column not in spec.numbers:
        raise ScenarioError(f"'{column}' is not a number of {table} (numbers: "
                            f"{', '.join(spec.numbers)})",
                            file=file, field=where)
    return table, key, column


def is_integer_name(name: str) -> bool:
    """Whether draws of a data name are whole numbers (people, personnel, seats, days)."""
    m = _NAME.match(name)
    if not m:
        return False
    table, _, column = m.groups()
    if table == "timeline":
        return column in _EVENT_INTEGERS
    return table in TABLES and column in TABLES[table].integers


def _normal(field_name: str, value: Any) -> str:
    if field_name == "documents":   # a document set is the same in any order: visa;passport
        return ";".join(sorted(split_ids(value))) or "none"
    return str(value).strip()


def _row_key(spec: DataTable, row) -> tuple[str, ...]:
    return tuple(_normal(f, getattr(row, f)) for f in spec.key)


def _rows(scenario: Scenario, table: str, *, file, field: str) -> list:
    if table == "timeline":
        return list(scenario.spec.timeline)
    rows = getattr(scenario, TABLES[table].attr, None)
    if rows is None:
        raise ScenarioError(f"unknown table '{table}' (this scenario has no {TABLES[table].file})",
                            file=file,
                            field=field)
    return rows


def _row_index(scenario: Scenario, table: str, key: tuple[str, ...], column: str, *, file,
               field: str) -> int:
    rows = _rows(scenario, table, file=file, field=field)
    if table == "timeline":
        ids = [getattr(ev, "id", None) for ev in rows]
        if key[0] not in ids:
            known = ", ".join(str(i) for i in ids if i) or "none has an id"
            raise ScenarioError(f"no timeline event has id '{key[0]}' (ids: {known})", file=file,
                                field=field)
        i = ids.index(key[0])
        if column not in type(rows[i]).model_fields:
            numbers = [n for n in EVENT_NUMBERS if n in type(rows[i]).model_fields]
            raise ScenarioError(f"event '{key[0]}' is a {rows[i].type} event: it has no '{column}' "
                                f"(numbers: {', '.join(numbers) or 'none'})", file=file,
                                field=field)
        return i
    spec = TABLES[table]
    if spec.by_number:
        if not rows:
            raise ScenarioError(f"this scenario has no rows in {spec.file}", file=file,
                                field=field)
        if not key[0].isdigit() or not 1 <= int(key[0]) <= len(rows):
            raise ScenarioError(f"no data row {key[0]} in {spec.file} (a row is named by its "
                                f"number, 1 to {len(rows)})", file=file, field=field)
        return int(key[0]) - 1
    wanted = tuple(_normal(f, k) for f, k in zip(spec.key, key))
    for i, row in enumerate(rows):
        have = _row_key(spec, row)
        if have == wanted or (spec.either_order and have == wanted[::-1]):
            return i
    known = "; ".join(",".join(_row_key(spec,
                                        r)) for r in rows[:4]) + ("; ..." if len(rows) > 4 else "")
    raise ScenarioError(f"no row {','.join(key)} in {spec.file} (rows: {known})", file=file,
                        field=field)


def check_data_name(scenario: Scenario, name: str, *, file=None, field: str | None = None) -> None:
    """The name's table, row and column exist in this scenario (a one-line error otherwise)."""
    where = field or f"priors.{name}"
    table, key, column = parse_data_name(name, file=file, field=where)
    _row_index(scenario, table, key, column, file=file, field=where)


def split_values(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(parameter values, data values) of a run's drawn values."""
    data = {k: v for k, v in values.items() if is_data_name(k)}
    return {k: v for k, v in values.items() if k not in data}, data


def _set_number(row, column: str, value: Any, name: str, *, integer: bool):
    """A copy of the row (or event) with one number set, validated against its model's bounds."""
    if integer or type(row).model_fields[column].annotation is int:
        value = int(round(float(value)))
    copy = row.model_copy()
    try:
        type(row).__pydantic_validator__.validate_assignment(copy, column, value)
    except ValidationError as exc:
        raise ScenarioError(f"a drawn value is not allowed ({name}={value!r}): "
                            f"{plain_reason(first_error(exc))}",
                            field=f"priors.{name}") from None
    return copy


def with_data_values(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """A copy of the scenario with each named data number set; the original is untouched.

    A drawn share is clipped to [0, 1]; the unset shares of its (nationality, status) are rescaled
    to fill what the set ones leave (if they cannot, the set ones are scaled to sum to 1).
    Population is rounded to whole people; integer fields stay integers."""
    if not values:
        return scenario
    tables: dict[str, list] = {}
    changed: dict[str, dict[int, set[str]]] = {}
    for name in sorted(values):
        table, key, column = parse_data_name(name)
        if table not in tables:
            tables[table] = list(_rows(scenario, table, file=None, field=f"priors.{name}"))
        i = _row_index(scenario, table, key, column, file=None, field=f"priors.{name}")
        value = values[name]
        if table in TABLES and TABLES[table].share_within:
            value = min(max(float(value), 0.0), 1.0)
        integer = (table == "timeline" and column in _EVENT_INTEGERS) or \
            (table in TABLES and column in TABLES[table].integers)
        tables[table][i] = _set_number(tables[table][i], column, value, name, integer=integer)
        changed.setdefault(table, {}).setdefault(i, set()).add(column)
    for table, rows in tables.items():
        if table in TABLES and TABLES[table].share_within:
            _rescale_shares(rows, TABLES[table], set(changed[table]), table)
    updates: dict[str, Any] = {TABLES[t].attr: rows for t,
                               rows in tables.items() if t != "timeline"}
    if "timeline" in tables:
        updates["spec"] = scenario.spec.model_copy(update={"timeline": tables["timeline"]})
    return dataclasses.replace(scenario, **updates)


def _rescale_shares(rows: list, spec: DataTable, set_rows: set[int], table: str) -> None:
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(tuple(getattr(row, f) for f in spec.share_within), []).append(i)
    for group, members in groups.items():
        fixed = [i for i in members if i in set_rows]
        if not fixed:
            continue
        free = [i for i in members if i not in set_rows]
        fixed_sum = sum(rows[i].share for i in fixed)
        free_sum = sum(rows[i].share for i in free)
        if fixed_sum <= 1.0 and free_sum > 0:
            scale, scaled = (1.0 - fixed_sum) / free_sum, free
        elif fixed_sum > 0:
            scale, scaled = 1.0 / fixed_sum, fixed
            for i in free:
                rows[i] = rows[i].model_copy(update={"share": 0.0})
        else:
            raise ScenarioError(f"the drawn shares of {table}[{','.join(group)}] are all 0: "
                                "the (nationality, status) would hold nothing",
                                field=f"priors.{table}")
        for i in scaled:
            rows[i] = rows[i].model_copy(update={"share": rows[i].share * scale})
