"""Build small scenario folders in tests, with every file written out as a user would."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

SOURCES = [{"id": "hand", "publisher": "tests", "title": "worked out by hand", "date": "2026-01-01",
            "url": "https://example.org", "note": ""}]


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


def tiny_scenario(folder: Path, *, people: int = 35, status: str = "irregular",
                  nationality: str = "Venezuela",
                  docs: str = "none", distance_km: float = 1.0, exit_cap: float = 1000,
                  entry_cap: float = 10,
                  entry_admits: str = "any", days: int = 10, parameters: dict | None = None,
                  timeline: list | None = None, extra_people: list[dict] | None = None,
                  inflows: list[dict] | None = None) -> Path:
    """Town A (country X) -- road -- exit post XP | strip | entry post YP (country Y) -- road --
    destination D.

    With the default parameters below, everyone at A leaves on day 0 for the one crossing.
    `inflows`: rows of inflows.csv (place, nationality, status, start, end, people_per_day, mode;
    source defaults to hand).
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "sources.csv", SOURCES)
    write_csv(folder / "places.csv", [
        {"name": "A", "country": "X", "region": "r", "lat": 0, "lon": 0, "kind": "city",
         "source": "hand"},
        {"name": "XP", "country": "X", "region": "r", "lat": 0, "lon": 0.01, "kind": "post",
         "source": "hand"},
        {"name": "YP", "country": "Y", "region": "r", "lat": 0, "lon": 0.02, "kind": "post",
         "source": "hand"},
        {"name": "D", "country": "Y", "region": "r", "lat": 0, "lon": 1, "kind": "destination",
         "source": "hand"},
    ])
    write_csv(folder / "routes.csv", [
        {"from": "A", "to": "XP", "distance_km": distance_km, "source": "hand"},
        {"from": "YP", "to": "D", "distance_km": 100, "source": "hand"},
    ])
    write_csv(folder / "crossings.csv", [{
        "name": "X-Y", "exit_post": "XP", "entry_post": "YP", "strip_km": 1,
        "exit_capacity_per_day": exit_cap, "entry_capacity_per_day": entry_cap,
        "exit_admits": "any",
        "entry_admits": entry_admits, "return_place": "A", "destination": "D", "source": "hand"}])
    rows = [{"place": "A", "nationality": nationality, "status": status, "people": people,
             "source": "hand"}]
    write_csv(folder / "population.csv", rows + (extra_people or []))
    write_csv(folder / "documents.csv", [
        {"nationality": nationality, "status": status, "documents": docs, "share": 1,
         "source": "hand"}])
    if inflows:
        write_csv(folder / "inflows.csv", [{"source": "hand", **row} for row in inflows])
    params = {
        "departure_rate_per_day": {"regular": 1.0, "irregular": 1.0}, "threat_response": 0.0,
        "stay_utility": -1000.0, "giveup_rate_per_day": 0.0, "giveup_per_100_personnel": 0.0,
        "irregular_attempt_rate_per_day": 0.0,
    }
    params.update(parameters or {})
    spec = {"name": "tiny", "start": "2026-01-01", "end": f"2026-01-{days:02d}",
            "parameters": params,
            "timeline": timeline or []}
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return folder


def chain_scenario(folder: Path, *, people: int = 20, capacity: int | None = 0,
                   beyond: str | None = "transit", entry_cap: float = 10,
                   entry_admits: str = "any", days: int = 10,
                   parameters: dict | None = None, inflows: list[dict] | None = None) -> Path:
    """Two borders in a chain: A (X) -- XP | YP (Y) -- 100 km -- M (Y) -- 1 km -- YQ | ZP (Z) --
    100 km -- E. M is the first crossing's destination, with `capacity` and `beyond` (places.csv
    capacity, beyond_capacity); the second crossing takes 1000 a day at each post and admits
    everyone. The tiny scenario's parameters: everyone settled leaves on the first day.
    """
    tiny_scenario(folder, people=people, entry_cap=entry_cap, entry_admits=entry_admits,
                  days=days, parameters=parameters, inflows=inflows)
    post = {"region": "r", "lat": 0, "lon": 0, "kind": "post", "source": "hand",
            "capacity": "", "beyond_capacity": ""}
    write_csv(folder / "places.csv", [
        {**post, "name": "A", "country": "X", "kind": "city"},
        {**post, "name": "XP", "country": "X"},
        {**post, "name": "YP", "country": "Y"},
        {**post, "name": "M", "country": "Y", "kind": "destination",
         "capacity": "" if capacity is None else capacity, "beyond_capacity": beyond or ""},
        {**post, "name": "YQ", "country": "Y"},
        {**post, "name": "ZP", "country": "Z"},
        {**post, "name": "E", "country": "Z", "kind": "destination"},
    ])
    write_csv(folder / "routes.csv", [
        {"from": "A", "to": "XP", "distance_km": 1, "source": "hand"},
        {"from": "YP", "to": "M", "distance_km": 100, "source": "hand"},
        {"from": "M", "to": "YQ", "distance_km": 1, "source": "hand"},
        {"from": "ZP", "to": "E", "distance_km": 100, "source": "hand"},
    ])
    crossing = {"strip_km": 1, "exit_capacity_per_day": 1000, "exit_admits": "any",
                "source": "hand"}
    write_csv(folder / "crossings.csv", [
        {**crossing, "name": "X-Y", "exit_post": "XP", "entry_post": "YP",
         "entry_capacity_per_day": entry_cap, "entry_admits": entry_admits,
         "return_place": "A", "destination": "M"},
        {**crossing, "name": "Y-Z", "exit_post": "YQ", "entry_post": "ZP",
         "entry_capacity_per_day": 1000, "entry_admits": "any",
         "return_place": "M", "destination": "E"},
    ])
    return folder
