"""Observed counts (date, place, measure, value, low/high ranges) and what model output they compare
to.

Several rows may report one event (the same count in two outlets, a figure repeated a week later):
they share an `event` id and together weigh as one observation (`event_weights`). The reporting
error a fit assumes of every row is an `ObservationModel` (docs/calibration.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from travesia.scenario.measures import CROSSING_MEASURES, HELD, INFORMAL_MEASURES
from travesia.errors import ObservationError
from travesia.scenario.limits import read_input_text


@dataclass(frozen=True)
class Observation:
    date: dt.date
    place: str
    measure: str
    value: float
    low: float | None
    high: float | None
    crossing: str | None
    # model series it compares with: stranded, irregular, exits, ... or None
    compare: str | None
    source: str
    event: str | None = None  # rows sharing an event id report one event (they count once)
    row: int | None = field(default=None, compare=False)   # its line in the file, for errors


def event_weights(observations: list[Observation]) -> np.ndarray:
    """Weight of each row: 1/n for one of the n rows of an event in this list, 1 without an event
    id.
    The weights sum to the number of independent observations."""
    counts = Counter(o.event for o in observations if o.event)
    return np.array([1.0 / counts[o.event] if o.event else 1.0 for o in observations], dtype=float)


@dataclass(frozen=True)
class ObservationModel:
    """How a report relates to the model's value (docs/calibration.md, "Observation model"):
    log(1 + reported) = log(1 + model) + e, e ~ (1 - outlier_share) N(0, error) + outlier_share N(0,
    outlier_error)."""

    error: float = 0.5
    outlier_share: float = 0.1
    outlier_error: float = 2.5

    def as_dict(self) -> dict:
        return {"obs_error": self.error, "outlier_share": self.outlier_share,
                "outlier_error": self.outlier_error}

    @classmethod
    def from_dict(cls, d: dict) -> ObservationModel:
        """From the keys a fit file's `fit:` section (or a store's ensemble_meta) holds."""
        return cls(float(d.get("obs_error", cls.error)),
                   float(d.get("outlier_share", cls.outlier_share)),
                   float(d.get("outlier_error", cls.outlier_error)))

    def reports(self, values: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
        """`draws` simulated reports of each model value (flat array of len(values) x draws)."""
        mu = np.log1p(np.maximum(np.asarray(values, dtype=float), 0.0))
        n = mu.size * draws
        sd = np.where(rng.random(n) < self.outlier_share, self.outlier_error, self.error)
        return np.maximum(np.expm1(np.repeat(mu, draws) + sd * rng.standard_normal(n)), 0.0)


def _num(text: str | None, path: Path, line: int, field: str) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ObservationError(f"not a number: '{text}'", file=path, row=line,
                               field=field) from None
    if not math.isfinite(value):
        raise ObservationError(f"not a finite number: '{text}'", file=path, row=line, field=field)
    return value


def read_observations(path: str | Path, *, crossings: Sequence[str] | None = None,
                      informal: Sequence[str] = ()) -> list[Observation]:
    """The rows of an observations file. With a scenario's `crossings` (and `informal` crossings),
    a row that names a model series to compare with (`compare`) must name one of them and a
    measure of measures.py (check_compared): a typo there would drop the row from every score and
    fit unseen."""
    path = Path(path)
    if not path.is_file():
        raise ObservationError("observations file not found", file=path)
    out = []
    text = read_input_text(path, error=ObservationError)
    with io.StringIO(text, newline="") as f:
        reader = csv.DictReader(f)
        need = {"date", "place", "measure", "value"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise ObservationError(f"missing column(s) {', '.join(sorted(missing))}", file=path,
                                   row=1)
        for row in reader:
            line = reader.line_num
            if (row.get("date") or "").startswith("#"):
                continue
            try:
                date = dt.date.fromisoformat((row["date"] or "").strip())
            except ValueError:
                raise ObservationError(f"not a date (YYYY-MM-DD): '{row['date']}'", file=path,
                                       row=line,
                                       field="date") from None
            value = _num(row["value"], path, line, "value")
            if value is None:
                raise ObservationError("is empty", file=path, row=line, field="value")
            low = _num(row.get("value_low"), path, line, "value_low")
            high = _num(row.get("value_high"), path, line, "value_high")
            if low is not None and high is not None and low > high:
                raise ObservationError(f"value_low {low:g} is above value_high {high:g}", file=path,
                                       row=line,
                                       field="value_low")
            out.append(Observation(date, row["place"], row["measure"], value, low, high,
                                   (row.get("crossing") or "").strip() or None,
                                   (row.get("compare") or "").strip() or None,
                                   row.get("source") or "",
                                   (row.get("event") or "").strip() or None, row=line))
    if crossings is not None:
        check_compared(out, path, crossings, informal)
    return out


def check_compared(observations: list[Observation], path: str | Path,
                   crossings: Sequence[str], informal: Sequence[str] = ()) -> None:
    """The rows that ask to be compared with the model (a `compare` measure) name one of its
    `crossings` and a crossing measure, or one of its `informal` crossings and an informal
    measure: a row that could never be scored is a mistake, not a row to leave out silently."""
    for o in observations:
        if o.compare is None:
            continue
        at_informal = o.compare in INFORMAL_MEASURES
        if o.compare not in CROSSING_MEASURES and not at_informal:
            raise ObservationError(f"unknown measure '{o.compare[:40]}' to compare with (one of "
                                   f"{', '.join(CROSSING_MEASURES + INFORMAL_MEASURES)})",
                                   file=path, row=o.row, field="compare")
        names, kind = ((informal, "an informal crossing of informal_crossings.csv") if at_informal
                       else (crossings, "a crossing of crossings.csv"))
        if o.crossing not in names:
            what = f"unknown crossing '{o.crossing[:60]}'" if o.crossing else "is empty"
            raise ObservationError(f"{what} (compare {o.compare} needs {kind}: "
                                   f"{', '.join(names)[:200] or 'there is none'})", file=path,
                                   row=o.row, field="crossing")


def stranded_points(observations: list[Observation]) -> dict[str, list[tuple]]:
    """Observations of people held at a crossing, as {crossing: [(date, value, low, high)]} for
    plots."""
    points: dict[str, list[tuple]] = {}
    for o in observations:
        if o.compare == HELD and o.crossing:
            points.setdefault(o.crossing, []).append((o.date, o.value, o.low, o.high))
    return points
