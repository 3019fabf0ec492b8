"""Helpers for the ensemble tests: a tiny scenario whose peak depends on the parameters, and
reading a store back as plain rows to compare two stores."""

from __future__ import annotations

from pathlib import Path

import duckdb

from scenario_kit import tiny_scenario


def stranding_scenario(folder: Path, *, people: int = 400, days: int = 20) -> Path:
    """Nobody holds the visa the entry post asks for: everyone who reaches it is stranded; people
    leave A at 20% a day and give up at 10% a day, so the peak held depends on both rates."""
    return tiny_scenario(folder, people=people, days=days, entry_admits="visa", entry_cap=10_000,
                         parameters={"departure_rate_per_day": {"regular": 0.2, "irregular": 0.2},
                                     "giveup_rate_per_day": 0.1})


def store_rows(path: Path) -> dict[str, tuple]:
    """{run_id: (seed, parameters, daily rows, crossings rows)} of the finished runs of a store."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for run_id, seed, params in con.execute(
                "SELECT run_id, seed, parameters FROM runs WHERE status = 'finished'").fetchall():
            daily = con.execute("SELECT date, place, state, people FROM daily WHERE run_id = ? "
                                "ORDER BY ALL", [run_id]).fetchall()
            crossings = con.execute("SELECT * EXCLUDE (run_id) FROM crossings WHERE run_id = ? "
                                    "ORDER BY ALL",
                                    [run_id]).fetchall()
            out[run_id] = (seed, params, daily, crossings)
        return out
    finally:
        con.close()
