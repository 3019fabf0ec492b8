"""A corpus of broken inputs, generated: every cell of every CSV of both formats given values a
user's typo makes, every file removed, emptied, cut to its header, made non-UTF-8 or given a
stray field, and scenario.yaml's keys and events given wrong values. Each fault is a function
that breaks a sound folder in place; `python tests/broken_inputs.py` lists them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import yaml

Fault = Callable[[Path], None]

# what a slip of the keyboard or a wrong export puts in a cell
BAD_CELLS = ("", "x", "-1", "nan", "inf", "1e400", "99999999999999999999999", "2025-02-30",
             "A" * 300)


def _rewrite_cell(path: Path, row: int, column: str, value: str) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    at = rows[0].index(column)
    rows[row] += [""] * (at + 1 - len(rows[row]))       # Flee rows may stop before the header
    rows[row][at] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _file_faults(rel: str, required: bool) -> dict[str, Fault]:
    faults: dict[str, Fault] = {
        f"{rel}: empty": lambda f: (f / rel).write_text("", encoding="utf-8"),
        f"{rel}: not UTF-8": lambda f: (f / rel).write_bytes((f / rel).read_bytes() + b"\xff\xfe"),
        f"{rel}: a row with a stray field": lambda f: (f / rel).write_text(
            (f / rel).read_text(encoding="utf-8").rstrip("\n") + ",stray,more\n",
            encoding="utf-8"),
        f"{rel}: semicolons": lambda f: (f / rel).write_text(
            (f / rel).read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8"),
    }
    if required:
        faults[f"{rel}: removed"] = lambda f: (f / rel).unlink()
    return faults


def _cell_faults(folder: Path, rel: str, skip: tuple[str, ...] = ()) -> dict[str, Fault]:
    rows = list(csv.reader(io.StringIO((folder / rel).read_text(encoding="utf-8"))))
    faults: dict[str, Fault] = {}
    for column in rows[0]:
        if column in skip:
            continue
        for value in BAD_CELLS:
            def fault(f: Path, column=column, value=value) -> None:
                _rewrite_cell(f / rel, 1, column, value)

            faults[f"{rel}: {column}={value[:12]!r}"] = fault
    return faults


def _yaml_faults(rel: str, keys: dict[str, object]) -> dict[str, Fault]:
    faults: dict[str, Fault] = {}
    for key, value in keys.items():
        def fault(f: Path, key=key, value=value) -> None:
            data = yaml.safe_load((f / rel).read_text(encoding="utf-8"))
            node = data
            *parents, last = key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[last] = value
            (f / rel).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

        faults[f"{rel}: {key}={str(value)[:20]!r}"] = fault
    return faults


# free text where anything goes: a bad value there is legal
FREE_TEXT = ("note", "region", "country", "title", "publisher", "url", "source", "date")


def travesia_faults(folder: Path) -> dict[str, Fault]:
    """Faults of a travesia-format folder (tests/scenario_kit.tiny_scenario's files)."""
    faults: dict[str, Fault] = {}
    for rel in ("sources.csv", "places.csv", "routes.csv", "crossings.csv", "population.csv",
                "documents.csv"):
        faults |= _file_faults(rel, required=True)
        faults |= _cell_faults(folder, rel, skip=FREE_TEXT)
    faults |= _file_faults("scenario.yaml", required=True)
    faults |= _yaml_faults("scenario.yaml", {
        "start": "2026-02-30", "end": "yesterday", "name": ["a"], "parameters": "fast",
        "parameters.walk_km_per_day": -5, "parameters.speed_km_per_day": "inf",
        "timeline": {"a": 1}, "priors": [1, 2], "observations": "/etc/passwd",
        "fit": "../elsewhere.yaml", "documents": 5,
    })
    for event in (
        {"type": "troops", "crossing": "X-Y", "personnel": "many"},
        {"type": "emergency", "crossing": "X-Y", "days": 0},
        {"type": "corridor", "crossing": "X-Y", "days": 3, "per_day": -1},
        {"type": "flight", "from": "Nowhere", "seats": 10},
        {"type": "shelter", "place": "A", "crossing": "X-Y", "capacity": 1e30, "days": 5},
        {"type": "capacity", "crossing": "X-Y", "post": "middle", "per_day": 5},
        {"type": "admission", "crossing": "X-Y", "post": "entry", "admits": "visa or"},
        {"type": "threat", "level": float("nan")},
        {"type": "deadline", "date": "2026-01-03"},
        {"type": "deadline", "deadline": "2026-01-05", "statuses": ["irregular"],
         "crossing": "Nowhere"},
        {"type": "deadline", "deadline": "2026-01-05", "statuses": ["irregular"],
         "crossing": "X-Y", "nationality": "Atlantis"},
        {"type": "tsunami"},
    ):
        def fault(f: Path, event=event) -> None:
            data = yaml.safe_load((f / "scenario.yaml").read_text(encoding="utf-8"))
            data["timeline"] = [{"date": "2026-01-02", "source": "hand", **event}]
            (f / "scenario.yaml").write_text(yaml.safe_dump(data, sort_keys=False),
                                             encoding="utf-8")

        faults[f"scenario.yaml: a {event['type']} event"] = fault
    faults |= _observation_faults()
    faults |= _network_faults(folder)
    return faults


SOUND_INFLOWS = ("place,nationality,status,start,end,people_per_day,mode,source,note\n"
                 "A,Venezuela,irregular,2026-01-01,2026-01-03,10,transit,hand,\n")


def _network_faults(folder: Path) -> dict[str, Fault]:
    """inflows.csv (written sound, then broken) and a destination's capacity (places.csv)."""
    faults: dict[str, Fault] = {}
    probe = folder.parent / f"{folder.name}-inflows"
    probe.mkdir(exist_ok=True)
    (probe / "inflows.csv").write_text(SOUND_INFLOWS, encoding="utf-8")
    for name, fault in (_file_faults("inflows.csv", required=False)
                        | _cell_faults(probe, "inflows.csv", skip=FREE_TEXT)).items():
        def broken(f: Path, fault=fault) -> None:
            (f / "inflows.csv").write_text(SOUND_INFLOWS, encoding="utf-8")
            fault(f)

        faults[name] = broken
    for value in BAD_CELLS + ("5", "transit"):
        def capacity(f: Path, value=value) -> None:
            rows = list(csv.reader(io.StringIO((f / "places.csv").read_text(encoding="utf-8"))))
            rows[0] += ["capacity", "beyond_capacity"]
            for row in rows[1:]:
                row += ["", ""]
            rows[-1][-2:] = (value, "transit") if value != "transit" else ("", value)
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            (f / "places.csv").write_text(out.getvalue(), encoding="utf-8")

        faults[f"places.csv: capacity={value[:12]!r}"] = capacity
    return faults


SOUND_OBSERVATIONS = ("date,place,measure,value,source,crossing,compare\n"
                      "2026-01-02,XP,held,3,hand,X-Y,held\n")


def _with_observations(f: Path) -> None:
    (f / "observations.csv").write_text(SOUND_OBSERVATIONS, encoding="utf-8")
    data = yaml.safe_load((f / "scenario.yaml").read_text(encoding="utf-8"))
    data["observations"] = "observations.csv"
    (f / "scenario.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _observation_faults() -> dict[str, Fault]:
    """observations.csv, named by scenario.yaml: the sound file written first, then broken."""
    faults: dict[str, Fault] = {}
    columns = SOUND_OBSERVATIONS.splitlines()[0].split(",")
    broken = _file_faults("observations.csv", required=True)
    for column in columns:
        if column in ("place", "source", "measure"):      # free text
            continue
        for value in BAD_CELLS:
            def cell(f: Path, column=column, value=value) -> None:
                _rewrite_cell(f / "observations.csv", 1, column, value)

            broken[f"observations.csv: {column}={value[:12]!r}"] = cell
    for name, fault in broken.items():
        def both(f: Path, fault=fault) -> None:
            _with_observations(f)
            fault(f)

        faults[name] = both
    return faults


FLEE_FILES = ("input_csv/locations.csv", "input_csv/routes.csv", "input_csv/closures.csv",
              "input_csv/conflicts.csv", "input_csv/sim_period.csv")
# files without a header row: broken whole, and by rewriting their first row
FLEE_HEADERLESS = {
    "source_data/data_layout.csv": ("total,../../outside.csv", "total", "C,missing.csv",
                                    "Atlantis,c.csv"),
    "source_data/refugees.csv": ("2020-01-01,x", "2020-02-30,5", "2020-01-01,-5",
                                 "2020-01-01,inf", "2020-01-01,1e400", "yesterday,1"),
    "simsetting.yml": ("move_rules: {awareness_level: .inf}", "optimisations: {hasten: -1}",
                       "move_rules: [1, 2]", "spawn_rules: {take_from_population: maybe}",
                       "a: &x [1]\nb: *x"),
}


def flee_faults(folder: Path) -> dict[str, Fault]:
    """Faults of a Flee folder (tests/test_flee_kit.write_case's files)."""
    faults: dict[str, Fault] = {}
    for rel in FLEE_FILES:
        if not (folder / rel).is_file():
            continue
        faults |= _file_faults(rel, required=rel.endswith(("locations.csv", "routes.csv")))
        rows = list(csv.reader(io.StringIO((folder / rel).read_text(encoding="utf-8"))))
        if len(rows) > 1 and not rel.endswith("sim_period.csv"):
            faults |= _cell_faults(folder, rel, skip=("#name", "region", "country", "name"))
    for rel, first_rows in FLEE_HEADERLESS.items():
        if not (folder / rel).is_file():
            continue
        faults |= _file_faults(rel, required=False)
        for first in first_rows:
            def fault(f: Path, rel=rel, first=first) -> None:
                lines = (f / rel).read_text(encoding="utf-8").splitlines()
                (f / rel).write_text("\n".join([first, *lines[1:]]) + "\n", encoding="utf-8")

            faults[f"{rel}: first row {first[:30]!r}"] = fault
    return faults


if __name__ == "__main__":       # pragma: no cover - a listing for people
    import tempfile

    from scenario_kit import tiny_scenario

    with tempfile.TemporaryDirectory() as tmp:
        for name in travesia_faults(tiny_scenario(Path(tmp) / "t")):
            print(name)


def stocks_faults(folder: Path) -> dict[str, Fault]:
    """Faults of a stocks folder (tests/test_stocks.tiny_stocks's files)."""
    faults: dict[str, Fault] = {}
    for rel in ("sources.csv", "flows.csv", "observations.csv"):
        faults |= _file_faults(rel, required=True)
        faults |= _cell_faults(folder, rel, skip=FREE_TEXT)
    faults |= _file_faults("stocks.yaml", required=True)
    faults |= _yaml_faults("stocks.yaml", {
        "start": "2020-12-30", "end": "2020-11-30", "name": ["a"], "nationalities": ["A b"],
        "initial": {"a": 1}, "measures.all.weights": {"a:gone": 1}, "measures.all.source": "nobody",
        "measures.all.weights.*:*": -1, "measures.Bad": {"description": "x", "weights": {"*:*": 1},
                                                        "source": "hand"},
        "extra_key": 1, "priors.x": "uniform(2,1)", "priors.Y": "[1]", "priors.z": "normal(1)",
        "measures.all.factors": {"*:*": "nothing"},
    })
    return faults
