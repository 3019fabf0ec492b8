"""The stocks format: a folder with stocks.yaml (start, cells, initial stocks, measures),
flows.csv (dated components), observations.csv (published estimates) and sources.csv, read and
checked whole; every problem is a ScenarioError naming file, row and field (docs/stocks.md).

A cell is `nationality:status`; the statuses are `regular` and `irregular`, so that a status
change (a regularisation, a lapse) always has a cell to leave and one to join.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from travesia.errors import ScenarioError
from travesia.scenario.load import BUILTIN_DIR, check_source_ids, file_inside, read_csv_rows
from travesia.scenario.plain_errors import first_error, location, plain_reason, shown_value
from travesia.scenario.schema import MAX_PEOPLE, Row, SourceRow
from travesia.scenario.yamlfile import read_yaml_mapping

STATUSES = ("regular", "irregular")
FILES = ("stocks.yaml", "sources.csv", "flows.csv", "observations.csv")
MAX_MONTHS = 12 * 100          # a century of months
MAX_NATIONALITIES = 200

# Counts move people between or out of cells in a month; rates are shares of a cell per month.
COUNT_COMPONENTS = ("arrivals", "regularisations", "lapses", "removals", "departures")
RATE_COMPONENTS = ("lapse_rate", "departure_rate")
COMPONENTS = COUNT_COMPONENTS + RATE_COMPONENTS
# the status of the cell a component is written against (None: either)
COMPONENT_STATUS = {"regularisations": "irregular", "lapses": "regular",
                    "lapse_rate": "regular", "removals": "irregular"}
ROLES = ("set", "check", "related")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:/(\d{4})-(\d{2}))?$")


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_end(index: int) -> dt.date:
    """The last day of month `index` (year*12 + month-1)."""
    year, month0 = divmod(index + 1, 12)
    return dt.date(year, month0 + 1, 1) - dt.timedelta(days=1)


def parse_period(text: str) -> tuple[int, int]:
    """First and last month (inclusive, as month indexes) of `YYYY`, `YYYY-MM` or
    `YYYY-MM/YYYY-MM`; ValueError for anything else."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError("expected YYYY, YYYY-MM or YYYY-MM/YYYY-MM")
    year, month, end_year, end_month = match.groups()
    if month is None and end_year is not None:
        raise ValueError("a range is written YYYY-MM/YYYY-MM")
    for m in (month, end_month):
        if m is not None and not 1 <= int(m) <= 12:
            raise ValueError(f"month {m} is not 01 to 12")
    if month is None:
        return month_index(int(year), 1), month_index(int(year), 12)
    first = month_index(int(year), int(month))
    last = first if end_year is None else month_index(int(end_year), int(end_month))
    if last < first:
        raise ValueError("the range ends before it starts")
    return first, last


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class InitialStock(_Strict):
    cell: str
    people: float = Field(ge=0, le=MAX_PEOPLE)
    source: str = Field(min_length=1)
    note: str | None = None


class Measure(_Strict):
    """What a published figure counts: a weight per cell pattern (`*:irregular`,
    `venezuela:*`, `venezuela:regular`); a cell matching several patterns takes the most
    specific one's weight (nationality and status named beats one named beats none)."""

    description: str = Field(min_length=1)
    weights: dict[str, float]
    source: str = Field(min_length=1)
    note: str | None = None
    # pattern -> the name of a prior (stocks.yaml `priors:`) that multiplies its weight in draws
    factors: dict[str, str] = Field(default_factory=dict)

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("names no cells")
        for pattern, weight in value.items():
            if not 0 <= weight <= 10:
                raise ValueError(f"weight of '{pattern}' must be between 0 and 10")
        return value


class StocksSpec(_Strict):
    name: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1)
    start: dt.date
    end: dt.date
    nationalities: list[str] = Field(min_length=1, max_length=MAX_NATIONALITIES)
    initial: list[InitialStock] = Field(min_length=1)
    measures: dict[str, Measure] = Field(min_length=1)
    # name -> a distribution of a multiplier, as `--vary` writes it: uniform(0.5,1.5), [1,2]
    # (runs/priors.py); flows.csv's `factor` and a measure's `factors` name them
    priors: dict[str, str | list[float]] = Field(default_factory=dict)
    description: str | None = None

    @field_validator("nationalities")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"'{name[:40]}' is not a lower-case name (a-z, 0-9, _)")
        if len(set(value)) != len(value):
            raise ValueError("a nationality is named twice")
        return value


class FlowRow(Row):
    period: str
    component: Literal["arrivals", "regularisations", "lapses", "removals", "departures",
                       "lapse_rate", "departure_rate"]
    cell: str = Field(min_length=1)
    value: float = Field(ge=0, le=MAX_PEOPLE)
    factor: str | None = None      # a prior that multiplies the value in draws

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        parse_period(value)
        return value


class StockObservationRow(Row):
    date: dt.date
    measure: str = Field(min_length=1)
    value: float = Field(gt=0, le=MAX_PEOPLE)     # the model is compared in % of it
    role: Literal["set", "check", "related"]


@dataclass
class StocksInput:
    """A validated stocks folder."""

    folder: Path
    spec: StocksSpec
    sources: dict[str, SourceRow]
    cells: tuple[str, ...]
    flows: list[tuple[int, FlowRow]]
    observations: list[tuple[int, StockObservationRow]]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def start_month(self) -> int:
        """The month whose end holds the initial stocks."""
        return month_index(self.spec.start.year, self.spec.start.month)

    @property
    def end_month(self) -> int:
        return month_index(self.spec.end.year, self.spec.end.month)


def builtin_stocks() -> dict[str, Path]:
    """Built-in stocks folders by name (folder `chile_stocks` is `chile-stocks`)."""
    found = {}
    for folder in sorted(BUILTIN_DIR.iterdir()) if BUILTIN_DIR.is_dir() else []:
        if (folder / "stocks.yaml").is_file():
            found[folder.name.replace("_", "-")] = folder
    return found


def resolve_stocks(name_or_path: str | Path | None) -> Path:
    """A built-in name or a folder (or its stocks.yaml); none means chile-stocks."""
    if name_or_path is None:
        name_or_path = "chile-stocks"
    builtins = builtin_stocks()
    if str(name_or_path) in builtins:
        return builtins[str(name_or_path)]
    path = Path(name_or_path)
    if path.is_dir():
        return path
    if path.is_file() and path.name == "stocks.yaml":
        return path.parent
    raise ScenarioError(f"no such stocks folder or built-in (built-in: "
                        f"{', '.join(builtins) or 'none'})", file=str(name_or_path))


def cells_of(nationalities: list[str]) -> tuple[str, ...]:
    return tuple(f"{n}:{s}" for n in nationalities for s in STATUSES)


def pattern_matches(pattern: str, cell: str) -> bool:
    nat, status = pattern.split(":")
    cnat, cstatus = cell.split(":")
    return nat in ("*", cnat) and status in ("*", cstatus)


def _check_pattern(pattern: str, spec: StocksSpec, path: Path, fld: str,
                   row: int | None = None) -> None:
    parts = pattern.split(":")
    if len(parts) != 2:
        raise ScenarioError(f"'{pattern[:40]}' is not NATIONALITY:STATUS (either may be *)",
                            file=path, row=row, field=fld)
    nat, status = parts
    if nat != "*" and nat not in spec.nationalities:
        raise ScenarioError(f"unknown nationality '{nat[:40]}' (stocks.yaml names "
                            f"{len(spec.nationalities)})", file=path, row=row, field=fld)
    if status != "*" and status not in STATUSES:
        raise ScenarioError(f"unknown status '{status[:40]}' (regular or irregular)", file=path,
                            row=row, field=fld)


def _spec(path: Path) -> StocksSpec:
    data = read_yaml_mapping(path, missing="missing file",
                             expected="expected a mapping (name, start, nationalities, initial, "
                                      "measures, ...)")
    try:
        return StocksSpec.model_validate(data)
    except ValidationError as exc:
        err = first_error(exc)
        raise ScenarioError(plain_reason(err) + shown_value(err.get("input")), file=path,
                            field=location(err["loc"]) or None) from None


def load_stocks(name_or_path: str | Path | None = None) -> StocksInput:
    """Read and check a stocks folder whole."""
    folder = resolve_stocks(name_or_path)
    for fname in FILES:
        if not (folder / fname).is_file():
            raise ScenarioError(f"missing file (a stocks folder needs {', '.join(FILES)})",
                                file=folder / fname)
        file_inside(folder, fname, file=folder / fname, field=None)
    ypath = folder / "stocks.yaml"
    spec = _spec(ypath)
    if spec.start != month_end(month_index(spec.start.year, spec.start.month)):
        raise ScenarioError(f"start {spec.start} is not the last day of a month (the initial "
                            "stocks are month-end stocks)", file=ypath, field="start")
    if spec.end <= spec.start:
        raise ScenarioError(f"end {spec.end} is not after start {spec.start}", file=ypath,
                            field="end")
    if month_index(spec.end.year, spec.end.month) - month_index(spec.start.year,
                                                                spec.start.month) > MAX_MONTHS:
        raise ScenarioError(f"the period is longer than {MAX_MONTHS} months", file=ypath,
                            field="end")
    spath = folder / "sources.csv"
    source_rows = read_csv_rows(spath, SourceRow)
    sources: dict[str, SourceRow] = {}
    for line, row in source_rows:
        if row.id in sources:
            raise ScenarioError(f"duplicated source id '{row.id[:40]}'", file=spath, row=line,
                                field="id")
        sources[row.id] = row

    cells = cells_of(spec.nationalities)
    seen: set[str] = set()
    for i, stock in enumerate(spec.initial):
        fld = f"initial.{i}.cell"
        if stock.cell not in cells:
            _check_pattern(stock.cell, spec, ypath, fld)
            raise ScenarioError(f"'{stock.cell[:40]}' is not one cell (no *)", file=ypath,
                                field=fld)
        if stock.cell in seen:
            raise ScenarioError(f"cell '{stock.cell}' is given twice", file=ypath, field=fld)
        seen.add(stock.cell)
        check_source_ids(stock.source, sources, ypath, field=f"initial.{i}.source")
    for name in spec.priors:
        if not _NAME.match(name):
            raise ScenarioError(f"prior name '{name[:40]}' is not a lower-case name", file=ypath,
                                field=f"priors.{name[:40]}")
    for name, measure in spec.measures.items():
        if not _NAME.match(name):
            raise ScenarioError(f"measure name '{name[:40]}' is not a lower-case name",
                                file=ypath, field=f"measures.{name[:40]}")
        for pattern in measure.weights:
            _check_pattern(pattern, spec, ypath, f"measures.{name}.weights")
        for pattern, prior in measure.factors.items():
            if pattern not in measure.weights:
                raise ScenarioError(f"'{pattern[:40]}' is not one of the measure's weights",
                                    file=ypath, field=f"measures.{name}.factors")
            if prior not in spec.priors:
                raise ScenarioError(f"unknown prior '{prior[:40]}' (not in priors:)", file=ypath,
                                    field=f"measures.{name}.factors")
        check_source_ids(measure.source, sources, ypath, field=f"measures.{name}.source")

    fpath = folder / "flows.csv"
    flows = read_csv_rows(fpath, FlowRow)
    first, last = month_index(spec.start.year, spec.start.month) + 1, month_index(
        spec.end.year, spec.end.month)
    for line, flow in flows:
        if flow.cell not in cells:
            _check_pattern(flow.cell, spec, fpath, "cell", line)
            raise ScenarioError(f"'{flow.cell[:40]}' is not one cell (no *)", file=fpath,
                                row=line, field="cell")
        wanted = COMPONENT_STATUS.get(flow.component)
        if wanted and not flow.cell.endswith(":" + wanted):
            raise ScenarioError(f"{flow.component} are written against a {wanted} cell (the "
                                "cell people leave)", file=fpath, row=line, field="cell")
        if flow.component in RATE_COMPONENTS and flow.value > 1:
            raise ScenarioError(f"a rate is a share of the cell per month, at most 1 (got "
                                f"{flow.value:g})", file=fpath, row=line, field="value")
        p_first, p_last = parse_period(flow.period)
        if p_last < first or p_first > last:
            raise ScenarioError(f"period {flow.period} falls outside {spec.start} to {spec.end}",
                                file=fpath, row=line, field="period")
        check_source_ids(flow.source, sources, fpath, row=line, field="source")
        if flow.factor is not None and flow.factor not in spec.priors:
            raise ScenarioError(f"unknown prior '{flow.factor[:40]}' (stocks.yaml priors: names "
                                f"{len(spec.priors)})", file=fpath, row=line, field="factor")

    opath = folder / "observations.csv"
    observations = read_csv_rows(opath, StockObservationRow)
    for line, obs in observations:
        if obs.measure not in spec.measures:
            raise ScenarioError(f"unknown measure '{obs.measure[:40]}' (stocks.yaml names "
                                f"{len(spec.measures)})", file=opath, row=line, field="measure")
        if not spec.start <= obs.date <= spec.end:
            raise ScenarioError(f"{obs.date} falls outside {spec.start} to {spec.end}",
                                file=opath, row=line, field="date")
        check_source_ids(obs.source, sources, opath, row=line, field="source")
    return StocksInput(folder=folder, spec=spec, sources=sources, cells=cells, flows=flows,
                       observations=observations)
