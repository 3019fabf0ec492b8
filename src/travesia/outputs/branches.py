"""Comparing branches of the future (docs/branches.md): the figures of one run from a branch's date
on (`branch_summary`), and the table of every branch's figures over its runs
(`comparison_table`).

A figure is a row (block, where, measure) -> value. Blocks: `crossing` (people held: peak, its
date, mean), `removals` (people and cost per destination country and currency), `arrivals` (people
arrived per destination country), `region` (per host region: people held, sheltered, arrived, the
change in people settled). Another block computed from Results (needs and costs per host region)
is one more function whose rows join these (`extra_blocks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from travesia.model.results import STATE_COLUMNS, Results

Figure = tuple[str, str, str]          # (block, where, measure)
BlockOf = Callable[[Results, int, "PlaceInfo"], dict[Figure, float]]
QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class PlaceInfo:
    """What the summary needs to know of each place: its country and its region (host region)."""

    country: Mapping[str, str]
    region: Mapping[str, str]


def _col(state: str) -> int:
    return STATE_COLUMNS.index(state)


def branch_summary(results: Results, places: PlaceInfo, after: dt.date,
                   extra_blocks: tuple[BlockOf, ...] = ()) -> dict[Figure, float]:
    """The figures of one run over the days from `after` to its end (a branch's future). Dates are
    given as days after `after` (`held_peak_days_after`)."""
    first = max(0, (after - results.start).days)
    if first >= results.days:
        raise ValueError(f"the run ends before {after}")
    out: dict[Figure, float] = {}
    for name in results.crossing_names:
        held = results.at_crossing(name)[first:]
        peak_day = int(np.argmax(held))
        out[("crossing", name, "held_peak")] = float(held[peak_day])
        out[("crossing", name, "held_peak_days_after")] = float(peak_day)
        out[("crossing", name, "held_mean")] = float(held.mean())
        c = results.crossing_names.index(name)
        out[("crossing", name, "entries")] = float(results.flows["entries"][first:, c].sum())
    for r in results.removals.values():
        people = float(r["people"][first:].sum())
        key = r["to"]
        out[("removals", key, "people")] = out.get(("removals", key, "people"), 0.0) + people
        cost_key = ("removals", key, f"cost_{r['currency']}")
        out[cost_key] = out.get(cost_key, 0.0) + people * r["cost_per_person"]
    counts = results.counts
    before = max(first - 1, 0)       # the day before `after` (the run's first day at the latest)
    arrived = counts[-1, :, _col("arrived")] - (counts[before, :, _col("arrived")] if first
                                                else 0)
    for p, name in enumerate(results.place_names):
        if arrived[p]:
            key = ("arrivals", places.country[name], "people")
            out[key] = out.get(key, 0.0) + float(arrived[p])
    held_states = [_col(s) for s in ("queued", "stranded")]
    for region in dict.fromkeys(places.region[n] for n in results.place_names):
        idx = [p for p, n in enumerate(results.place_names) if places.region[n] == region]
        held = counts[first:, idx][:, :, held_states].sum(axis=(1, 2))
        sheltered = counts[first:, idx, _col("sheltered")].sum(axis=1)
        settled = counts[:, idx, _col("settled")].sum(axis=1)
        figures = {
            "held_mean": float(held.mean()), "held_peak": float(held.max()),
            "sheltered_mean": float(sheltered.mean()),
            "arrived": float(arrived[idx].sum()),
            "settled_change": float(settled[-1] - settled[before]),
        }
        if any(figures.values()):
            for measure, value in figures.items():
                out[("region", region, measure)] = value
    for block in extra_blocks:
        out.update(block(results, first, places))
    return out


def comparison_table(summaries: Mapping[str, list[dict[Figure, float]]]) -> pa.Table:
    """Per branch and figure: runs, mean and the 5/50/95% quantiles over its runs (a figure a run
    lacks counts as 0 there: no removals, no arrivals)."""
    figures = list(dict.fromkeys(f for runs in summaries.values() for s in runs for f in s))
    rows: dict[str, list] = {k: [] for k in ("branch", "block", "where", "measure", "runs",
                                             "mean", "p05", "p50", "p95")}
    for branch, runs in summaries.items():
        for fig in figures:
            values = np.array([s.get(fig, 0.0) for s in runs])
            q = np.quantile(values, QUANTILES)
            row = (branch, *fig, len(values), float(values.mean()), *map(float, q))
            for key, value in zip(rows, row):
                rows[key].append(value)
    return pa.table(rows)
