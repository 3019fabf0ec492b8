"""Observed counts (date, place, measure, value, low/high ranges) and what model output they compare to."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .errors import ObservationError


@dataclass(frozen=True)
class Observation:
    date: dt.date
    place: str
    measure: str
    value: float
    low: float | None
    high: float | None
    crossing: str | None
    compare: str | None      # model series it compares with: stranded, irregular, exits, ... or None
    source: str


def _num(text: str | None, path: Path, line: int, field: str) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise ObservationError(f"not a number: '{text}'", file=path, row=line, field=field) from None


def read_observations(path: str | Path) -> list[Observation]:
    path = Path(path)
    if not path.is_file():
        raise ObservationError("observations file not found", file=path)
    out = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        need = {"date", "place", "measure", "value"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise ObservationError(f"missing column(s) {', '.join(sorted(missing))}", file=path, row=1)
        for row in reader:
            line = reader.line_num
            if (row.get("date") or "").startswith("#"):
                continue
            try:
                date = dt.date.fromisoformat((row["date"] or "").strip())
            except ValueError:
                raise ObservationError(f"not a date (YYYY-MM-DD): '{row['date']}'", file=path, row=line,
                                       field="date") from None
            value = _num(row["value"], path, line, "value")
            if value is None:
                raise ObservationError("is empty", file=path, row=line, field="value")
            low = _num(row.get("value_low"), path, line, "value_low")
            high = _num(row.get("value_high"), path, line, "value_high")
            if low is not None and high is not None and low > high:
                raise ObservationError(f"value_low {low:g} is above value_high {high:g}", file=path, row=line,
                                       field="value_low")
            out.append(Observation(date, row["place"], row["measure"], value, low, high,
                                   (row.get("crossing") or "").strip() or None,
                                   (row.get("compare") or "").strip() or None, row.get("source") or ""))
    return out


def stranded_points(observations: list[Observation]) -> dict[str, list[tuple]]:
    """Observations of people held at a crossing, as {crossing: [(date, value, low, high)]} for plots."""
    points: dict[str, list[tuple]] = {}
    for o in observations:
        if o.compare == "stranded" and o.crossing:
            points.setdefault(o.crossing, []).append((o.date, o.value, o.low, o.high))
    return points
