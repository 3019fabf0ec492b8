"""Impacts where people are (docs/host-communities.md): for every place, and every region, and
every day, the people a host community receives — held at the posts, sheltered, passing through,
newly settled — their needs by the Sphere standards (needs.py, one rule), their demand for health
consultations and school places, and what that costs, from rates per person that carry their
source, currency and year (impact_rates.csv, or a scenario's own).

Who counts for needs: the people who depend on humanitarian provision where they are (held,
sheltered, passing through: measures.DEPENDENT). The newly settled live in the town as residents:
they count for health consultations and school places, not for water, food or covered space.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from travesia.errors import ScenarioError
from travesia.model.needs import needs_of_series
from travesia.scenario.limits import read_input_text
from travesia.scenario.measures import DEPENDENT, PLACE_MEASURES, PLACE_STATES

if TYPE_CHECKING:
    from travesia.model.results import Results

RATES_FILE = Path(__file__).resolve().parent / "impact_rates.csv"
SCENARIO_RATES = "impact_rates.csv"       # a scenario folder's own rates replace the package's
RATE_COLUMNS = ("measure", "applies_to", "country", "value", "low", "high", "unit", "currency",
                "year", "source", "note")
# what a rate multiplies: a kind of people, a group of them, or a demand computed before costs
APPLIES_TO = {**{m: (m,) for m in PLACE_MEASURES}, "dependent": DEPENDENT,
              "present": PLACE_MEASURES, "health_consultations": (), "school_places": ()}
DAYS_OF = {"per_day": 1.0, "per_month": 365.0 / 12.0, "per_year": 365.0}
UNITS = (*DAYS_OF, "share")
NEEDS = {"water_litres": "water_litres_per_day", "food_kcal": "food_kcal_per_day",
         "covered_m2": "covered_shelter_m2", "toilets": "toilets"}
ANY_COUNTRY = "*"
LABELS = {"held": "people held at the posts", "sheltered": "people in shelters",
          "shelter_capacity": "shelter places", "shelter_occupancy_pct": "shelter occupancy %",
          "passing_through": "people passing through",
          "newly_settled": "newly settled (still there)", "water_litres": "water, L/day",
          "food_kcal": "food, kcal/day", "covered_m2": "covered space, m²", "toilets": "toilets",
          "health_consultations": "health consultations/day", "school_places": "school places"}
MAX_RATE_ROWS = 1000


@dataclass(frozen=True)
class Rate:
    """One row of a rates file: `value` per unit of `applies_to` people (or demand), in a country
    (`*`: any other)."""

    measure: str
    applies_to: str
    country: str
    value: float
    low: float
    high: float
    unit: str
    currency: str
    year: int
    source: str
    note: str = ""

    @property
    def column(self) -> str:
        """The output column: cost_<what>_<currency> for costs, the measure's name otherwise."""
        return f"{self.measure}_{self.currency}" if self.measure.startswith("cost_") else \
            self.measure

    def per_day(self) -> float:
        """The value as a daily rate (a share stays a share)."""
        return self.value if self.unit == "share" else self.value / DAYS_OF[self.unit]


@dataclass(frozen=True)
class Rates:
    rows: tuple[Rate, ...]
    file: str = ""

    @property
    def measures(self) -> list[str]:
        return list(dict.fromkeys(r.measure for r in self.rows))

    def rate(self, measure: str, country: str) -> Rate:
        """The country's own rate of a measure, else the one for any country."""
        mine = [r for r in self.rows if r.measure == measure]
        return next((r for r in mine if r.country == country),
                    next(r for r in mine if r.country == ANY_COUNTRY))

    def label(self) -> str:
        """Where the rates come from, without this machine's folders."""
        return "travesia/model/impact_rates.csv" if Path(self.file) == RATES_FILE else \
            Path(self.file).name

    def columns(self) -> list[str]:
        return [self.rate(m, ANY_COUNTRY).column for m in self.measures]


def label_of(column: str) -> str:
    """What a column of the impacts tables means, for a page or a report."""
    cost = re.fullmatch(r"cost_(.+)_([A-Z]{3})", column)
    if cost:
        return f"cost of {cost.group(1).replace('_', ' ')}, {cost.group(2)}/day"
    if column.startswith("dependent_"):
        return f"of whom {column.removeprefix('dependent_').replace('_', ' ')}"
    return LABELS.get(column, column)


def load_rates(path: str | Path | None = None) -> Rates:
    """Read and check a rates file (the package's when `path` is None)."""
    path = Path(path) if path is not None else RATES_FILE
    text = read_input_text(path)       # UTF-8, a BOM dropped (as every scenario file)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = reader.fieldnames or []
        missing = [c for c in RATE_COLUMNS if c not in header]
        if missing:
            raise ScenarioError(f"missing column(s) {', '.join(missing)} (a rates file names "
                                f"{', '.join(RATE_COLUMNS)}, separated by commas)", file=path,
                                row=1)
        raw = []
        for row in reader:
            if None in row or None in row.values():     # more or fewer fields than the header
                raise ScenarioError(f"has a different number of fields than the header's "
                                    f"{len(header)}", file=path, row=reader.line_num)
            raw.append(row)
            if len(raw) > MAX_RATE_ROWS:
                raise ScenarioError(f"more than {MAX_RATE_ROWS} rows", file=path)
    except csv.Error as exc:
        raise ScenarioError(f"malformed CSV: {exc}", file=path, row=reader.line_num) from None
    rows = tuple(_rate(row, i, path) for i, row in enumerate(raw, start=2))
    if not rows:
        raise ScenarioError("no rates (one row a measure and country)", file=path)
    _check_together(rows, path)
    return Rates(rows, str(path))


def scenario_rates(folder: str | Path | None) -> Rates:
    """A scenario folder's own impact_rates.csv if it has one, else the package's."""
    own = Path(folder) / SCENARIO_RATES if folder is not None else None
    return load_rates(own if own is not None and own.is_file() else None)


def _rate(row: dict, line: int, path: Path) -> Rate:
    def text(name: str) -> str:
        return (row.get(name) or "").strip()

    def number(name: str) -> float:
        raw = text(name)
        if not raw:
            raise ScenarioError("is empty", file=path, row=line, field=name)
        try:
            value = float(raw)
        except ValueError:
            raise ScenarioError(f"'{raw[:40]}' is not a number", file=path, row=line,
                                field=name) from None
        if not math.isfinite(value) or value < 0:
            raise ScenarioError(f"{raw[:40]} must be a finite number, 0 or more", file=path,
                                row=line, field=name)
        return value

    measure = text("measure")
    if measure not in ("health_consultations", "school_places") and \
            not re.fullmatch(r"cost_[a-z][a-z0-9_]{0,30}", measure):
        raise ScenarioError(f"unknown measure '{measure[:40]}' (health_consultations, "
                            "school_places, or cost_<what> in lower case)", file=path, row=line,
                            field="measure")
    applies_to = text("applies_to")
    if applies_to not in APPLIES_TO or applies_to == measure:
        raise ScenarioError(f"'{applies_to[:40]}' is not what a rate applies to (one of "
                            f"{', '.join(a for a in APPLIES_TO if a != measure)})", file=path,
                            row=line, field="applies_to")
    if measure in ("health_consultations", "school_places") and \
            applies_to in ("health_consultations", "school_places"):
        raise ScenarioError(f"{measure} applies to people, not to '{applies_to}'", file=path,
                            row=line, field="applies_to")
    unit = text("unit")
    if unit not in UNITS:
        raise ScenarioError(f"unknown unit '{unit[:40]}' (one of {', '.join(UNITS)})", file=path,
                            row=line, field="unit")
    if (measure == "school_places") != (unit == "share"):
        raise ScenarioError("school_places is a share of people (unit share); other measures are "
                            "rates (per_day, per_month, per_year)", file=path, row=line,
                            field="unit")
    value, low, high = number("value"), number("low"), number("high")
    if unit == "share" and value > 1:
        raise ScenarioError(f"a share is at most 1, not {value:g}", file=path, row=line,
                            field="value")
    if not low <= value <= high:
        raise ScenarioError(f"the range {low:g} to {high:g} does not hold the value {value:g}",
                            file=path, row=line, field="low")
    currency = text("currency")
    if measure.startswith("cost_") and not re.fullmatch(r"[A-Z]{3}", currency):
        raise ScenarioError(f"'{currency[:40]}' is not a currency code (three capitals: USD, CLP, "
                            "PEN, CLF)", file=path, row=line, field="currency")
    if not measure.startswith("cost_") and currency:
        raise ScenarioError(f"{measure} is not a cost: leave currency empty", file=path, row=line,
                            field="currency")
    year = text("year")
    if not re.fullmatch(r"(19|20)[0-9]{2}", year):
        raise ScenarioError(f"'{year[:40]}' is not a year (YYYY)", file=path, row=line,
                            field="year")
    country = text("country")
    if not country:
        raise ScenarioError(f"empty (a country of the scenario, or {ANY_COUNTRY} for any)",
                            file=path, row=line, field="country")
    source = text("source")
    if not source:
        raise ScenarioError("every rate names its source (publisher, title, date, address; or "
                            "'assumption: why')", file=path, row=line, field="source")
    return Rate(measure, applies_to, country, value, low, high, unit, currency, int(year), source,
                text("note"))


def _check_together(rows: tuple[Rate, ...], path: Path) -> None:
    seen: dict[tuple[str, str], int] = {}
    first: dict[str, Rate] = {}
    for line, r in enumerate(rows, start=2):
        if (r.measure, r.country) in seen:
            raise ScenarioError(f"{r.measure} for {r.country} is given twice (also row "
                                f"{seen[(r.measure, r.country)]})", file=path, row=line,
                                field="country")
        seen[(r.measure, r.country)] = line
        f = first.setdefault(r.measure, r)
        for name in ("applies_to", "unit", "currency"):
            if getattr(r, name) != getattr(f, name):
                raise ScenarioError(f"{r.measure} has {name} '{getattr(f, name)}' in an earlier "
                                    f"row: one measure, one {name}", file=path, row=line,
                                    field=name)
    for measure, f in first.items():
        if f.applies_to in ("health_consultations", "school_places") and \
                f.applies_to not in first:
            raise ScenarioError(f"{measure} applies to {f.applies_to}, which has no rate here",
                                file=path, field="applies_to")
        if (measure, ANY_COUNTRY) not in seen:
            raise ScenarioError(f"{measure} has no row for any other country ({ANY_COUNTRY})",
                                file=path, field="country")


# --- the people at places -----------------------------------------------------------------------

@dataclass
class PlaceSeries:
    """What impacts are computed from: people by state at places [T, P, S] (PLACE_STATES), the
    newly settled [T, P] and shelter places [T, P] (None: not known, e.g. an ensemble store), and
    each place's country and region."""

    dates: list[dt.date]
    place_names: list[str]
    place_country: list[str]
    place_region: list[str]
    counts: np.ndarray
    newly_settled: np.ndarray | None = None
    shelter_capacity: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    # needs category -> [T, P] dependent people of it (empty: not known; needs use the averages)
    group_people: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, results: Results) -> PlaceSeries:
        P = len(results.place_names)
        return cls(results.dates, list(results.place_names),
                   list(results.place_country) or [""] * P,
                   list(results.place_region) or list(results.place_names), results.counts,
                   results.newly_settled, results.shelter_capacity,
                   group_people=dict(results.group_people))

    def people(self) -> dict[str, np.ndarray]:
        """{measure: [T, P]} of PLACE_MEASURES."""
        c = self.counts.astype(float)
        col = {s: i for i, s in enumerate(PLACE_STATES)}
        T, P = c.shape[:2]
        zeros = np.zeros((T, P))
        return {
            "held": c[:, :, col["queued"]] + c[:, :, col["stranded"]],
            "sheltered": c[:, :, col["sheltered"]],
            "passing_through": c[:, :, col["travelling"]] + c[:, :, col["onward"]]
            + c[:, :, col["returning"]],
            "newly_settled": zeros if self.newly_settled is None
            else np.asarray(self.newly_settled, dtype=float),
        }


def _series(source: Results | PlaceSeries) -> PlaceSeries:
    return source if isinstance(source, PlaceSeries) else PlaceSeries.of(source)


def place_impacts(source: Results | PlaceSeries,
                  rates: Rates | None = None) -> dict[str, np.ndarray]:
    """{column: [T, P]} per place and day: people by kind, shelter places, needs of the dependent
    people, health consultations per day, school places, costs per day."""
    s = _series(source)
    rates = rates or load_rates()
    people = s.people()
    T, P = people["held"].shape
    out: dict[str, np.ndarray] = {k: people[k] for k in ("held", "sheltered")}
    out["shelter_capacity"] = (np.zeros((T, P)) if s.shelter_capacity is None
                               else np.asarray(s.shelter_capacity, dtype=float))
    out["passing_through"] = people["passing_through"]
    out["newly_settled"] = people["newly_settled"]
    dependent = people["held"] + people["sheltered"] + people["passing_through"]
    for category, people_of in s.group_people.items():      # scenario.yaml needs_groups
        out[f"dependent_{category}"] = np.asarray(people_of, dtype=float)
    needs = needs_of_series(dependent, s.group_people)
    for col, key in NEEDS.items():
        out[col] = needs[key].astype(float)
    # demands first (costs may apply to them), each with its country's rate per place
    base = {k: np.sum([people[m] for m in v], axis=0) for k, v in APPLIES_TO.items() if v}
    order = sorted(rates.measures, key=lambda m: m.startswith("cost_"))
    for measure in order:
        per_place = np.array([rates.rate(measure, s.place_country[p]).per_day()
                              for p in range(P)])
        applies = rates.rate(measure, ANY_COUNTRY).applies_to
        units = base[applies] if applies in base else out[applies]
        out[rates.rate(measure, ANY_COUNTRY).column] = units * per_place[None, :]
    return out


def _table(columns: dict[str, np.ndarray], dates: list[dt.date], keys: dict[str, list[str]]
           ) -> pa.Table:
    T, K = next(iter(columns.values())).shape
    day = np.repeat(np.arange(T), K)
    k = np.tile(np.arange(K), T)
    cols: dict[str, pa.Array] = {"date": pa.array(np.array(dates, dtype="datetime64[D]")[day])}
    for name, labels in keys.items():
        cols[name] = pa.array([labels[i] for i in k], pa.string())
    for name, values in columns.items():
        flat = values.ravel()
        if name == "shelter_occupancy_pct":
            cols[name] = pa.array([None if math.isnan(v) else round(float(v), 1) for v in flat],
                                  pa.float64())
        elif name in ("toilets", "shelter_capacity") or name in PLACE_MEASURES \
                or name.startswith("dependent_"):
            cols[name] = pa.array(np.rint(flat).astype(np.int64))
        else:
            cols[name] = pa.array(np.round(flat, 3))
    return pa.table(cols)


def _with_occupancy(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    cap = cols["shelter_capacity"]
    occ = np.divide(cols["sheltered"] * 100.0, cap, out=np.full(cap.shape, np.nan),
                    where=cap > 0)
    out = {}
    for name, values in cols.items():
        out[name] = values
        if name == "shelter_capacity":
            out["shelter_occupancy_pct"] = occ
    return out


def impacts_by_place(source: Results | PlaceSeries, rates: Rates | None = None) -> pa.Table:
    """Per place and day (columns: date, country, region, place, then those of
    impacts_by_region)."""
    s = _series(source)
    cols = _with_occupancy(place_impacts(s, rates))
    return _table(cols, s.dates, {"country": s.place_country, "region": s.place_region,
                                  "place": s.place_names})


def region_label(country: str, region: str) -> str:
    """How a host region is named in every table, page and comparison: "Tacna (Peru)"; a note in
    parentheses in places.csv's region is left out ("Metropolitana (also stands for ...)")."""
    name = region.split(" (", maxsplit=1)[0]
    return f"{name} ({country})" if country else name


def regions_of(s: PlaceSeries) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The (country, region) pairs in the order of their first place, and each place's index in
    them."""
    pairs = list(dict.fromkeys(zip(s.place_country, s.place_region)))
    index = {pair: i for i, pair in enumerate(pairs)}
    return pairs, np.array([index[pair] for pair in zip(s.place_country, s.place_region)],
                           dtype=np.int64)


def region_impacts(source: Results | PlaceSeries, rates: Rates | None = None
                   ) -> tuple[list[tuple[str, str]], dict[str, np.ndarray]]:
    """(regions, {column: [T, R]}): sums of the places of each region (toilets too: each place
    needs its own), shelter occupancy from the sums."""
    s = _series(source)
    per_place = place_impacts(s, rates)
    pairs, of = regions_of(s)
    onehot = np.zeros((len(s.place_names), len(pairs)))
    onehot[np.arange(len(of)), of] = 1.0
    return pairs, _with_occupancy({k: v @ onehot for k, v in per_place.items()})


def impacts_by_region(source: Results | PlaceSeries, rates: Rates | None = None) -> pa.Table:
    """Per region and day: date, country, region, held, sheltered, shelter_capacity,
    shelter_occupancy_pct, passing_through, newly_settled, water_litres, food_kcal, covered_m2,
    toilets, health_consultations, school_places, cost_<what>_<currency>... (needs and costs per
    day; school places a stock)."""
    s = _series(source)
    pairs, cols = region_impacts(s, rates)
    return _table(cols, s.dates, {"country": [c for c, _ in pairs],
                                  "region": [r for _, r in pairs]})


def region_summary(source: Results | PlaceSeries, rates: Rates | None = None) -> dict:
    """Per region: the peak of each kind of people and its date, the needs on the day most people
    depend on provision, the newly settled and school places at the end, health consultations and
    costs over the whole run."""
    s = _series(source)
    rates = rates or load_rates()
    pairs, cols = region_impacts(s, rates)
    dependent = np.sum([cols[k] for k in DEPENDENT], axis=0)
    out = {}
    for r, (country, region) in enumerate(pairs):
        block: dict = {"country": country, "region": region}
        for k in ("held", "sheltered", "passing_through"):
            t = int(np.argmax(cols[k][:, r]))
            block[f"peak_{k}"] = round(float(cols[k][t, r]))
            block[f"peak_{k}_date"] = s.dates[t].isoformat() if cols[k][t, r] > 0 else None
        t = int(np.argmax(dependent[:, r]))
        block["needs_at_peak"] = {"date": s.dates[t].isoformat() if dependent[t, r] > 0 else None,
                                  "people": round(float(dependent[t, r])),
                                  **{k: round(float(cols[k][t, r]), 1) for k in NEEDS}}
        block["newly_settled_at_end"] = round(float(cols["newly_settled"][-1, r]))
        if "school_places" in cols:
            block["school_places_at_end"] = round(float(cols["school_places"][-1, r]), 1)
        block["totals"] = {c: round(float(cols[c][:, r].sum()), 2) for c in rates.columns()
                           if c != "school_places"}
        out[region_label(country, region)] = block
    return {"rates": rates.label(), "who_counts_for_needs": "held, sheltered, passing through",
            "regions": out}
