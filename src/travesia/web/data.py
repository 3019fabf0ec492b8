"""What the dashboard and the report show, read from run folders, the ensemble store, or runs in
memory.

Every source becomes a `Dataset`: one or more runs of one scenario as arrays (the mean over runs of
people at each place by state, and each crossing measure per run for quantile bands). This module
is the only place that reads results files or the store, so the web app and the report never
touch a path a user named.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow.parquet as pq

from travesia.outputs.bands import QUANTILES
from travesia.errors import ScenarioError
from travesia.model.impacts import PLACE_MEASURES, PlaceSeries, Rates, region_impacts, region_label
from travesia.model.needs import days_held, needs_on
from travesia.model.results import STATE_COLUMNS, Results
from travesia.scenario.data_values import split_values
from travesia.scenario.measures import INFORMAL_MEANING, INFORMAL_MEASURES

# Crossing measures shown on the charts: `held` is everyone held at a crossing (queued + stranded),
# as in the run summary and the store's `stranded` series.
MEASURES = {
    "held": "people held (queued + stranded)",
    "queue": "people queued at a post",
    "stranded": "people stranded (refused, between the posts or on the exit side)",
    "entries": "entries per day",
    "refused": "refusals per day",
    "irregular": "irregular (night) crossings per day",
}
HELD_STATES = ("queued", "stranded", "sheltered")
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


def check_id(value: str, what: str = "dataset") -> str:
    """A dataset or job id is a short token: never a path."""
    if not isinstance(value, str) or not SAFE_ID.match(value) or ".." in value:
        raise ScenarioError(f"'{str(value)[:80]}' is not a {what} id (letters, digits, '-', '_', "
                            "'.'; no paths)",
                            field=what)
    return value


@dataclass
class Dataset:
    """Runs of one scenario, as arrays over days (T), places (P), states (S), crossings (C), runs
    (R)."""

    id: str
    kind: str                         # run | ensemble | whatif
    label: str
    scenario: str
    dates: list[dt.date]
    place_names: list[str]
    crossing_names: list[str]
    state_mean: np.ndarray            # [T, P, S] mean over runs of people by state (STATE_COLUMNS)
    crossing: dict[str, np.ndarray]   # measure -> [R, T, C]
    seeds: list[int]
    parameters: list[dict]            # per run, complete (for what-ifs on the same draws)
    detail: dict = field(default_factory=dict)
    # per run, drawn numbers of the data tables (none: {})
    data: list[dict] = field(default_factory=list)
    # mean over runs [T, P] of the newly settled and of shelter places (None: not kept, as in the
    # ensemble store), and each place's country and region (empty: the scenario's)
    newly_settled: np.ndarray | None = None
    shelter_capacity: np.ndarray | None = None
    place_country: list[str] = field(default_factory=list)
    place_region: list[str] = field(default_factory=list)
    # informal crossing -> {measure: people over the run} (summary.json's `informal_crossings`;
    # medians over the runs; empty: none, or not kept, as in the ensemble store)
    informal: dict[str, dict[str, float]] = field(default_factory=dict)
    # per run and day: people who came into the map at each place [R, T, P] (None: the dataset
    # does not keep them by day, as a run folder), and each informal crossing's measures
    # (measures.INFORMAL_MEASURES -> [R, T, I]; empty: none)
    inflow_runs: np.ndarray | None = None
    # needs category (scenario.yaml `needs_groups`) -> mean over runs [T, P] of the people of it
    # who depend on provision (empty: none declared, or not kept: needs use the Sphere averages)
    group_people: dict[str, np.ndarray] = field(default_factory=dict)
    informal_names: list[str] = field(default_factory=list)
    informal_runs: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        return len(self.seeds)

    @property
    def days(self) -> int:
        return len(self.dates)

    def info(self) -> dict:
        return {"id": self.id, "kind": self.kind, "label": self.label, "scenario": self.scenario,
                "runs": self.runs, "start": self.dates[0].isoformat(), "days": self.days,
                **self.detail}

    def day_index(self, day: int | str | None) -> int:
        """A day given as an index or an ISO date; out of range is a user error."""
        if day is None:
            return 0
        # ASCII digits only: str.isdigit() also accepts '²', which int() then refuses
        if isinstance(day, str) and not re.fullmatch(r"-?[0-9]{1,9}", day):
            try:
                date = dt.date.fromisoformat(day)
            except ValueError:
                raise ScenarioError(f"not a day index or a date (YYYY-MM-DD): '{day[:40]}'",
                                    field="day") from None
            t = (date - self.dates[0]).days
        else:
            t = int(day)
        if not 0 <= t < self.days:
            raise ScenarioError(f"day {day} is outside the run ({self.dates[0]} to "
                                f"{self.dates[-1]}, "
                                f"days 0 to {self.days - 1})", field="day")
        return t

    # --- what the page shows ------------------------------------------------------------------
    def bands(self, measure: str, runs: int | None = None) -> dict[str, dict]:
        """{crossing: {p05, p25, p50, p75, p95, mean}} per day, over the runs (or the first
        `runs`)."""
        if measure not in MEASURES:
            raise ScenarioError(f"unknown measure '{measure[:40]}' (known: {', '.join(MEASURES)})",
                                field="measure")
        values = self.crossing[measure][:runs].astype(float)     # [R, T, C]
        q = np.quantile(values, QUANTILES, axis=0)               # [5, T, C]
        mean = values.mean(axis=0)
        out = {}
        for c, name in enumerate(self.crossing_names):
            out[name] = {f"p{round(qq * 100):02d}": _rounded(q[i, :, c]) for i,
                         qq in enumerate(QUANTILES)}
            out[name]["mean"] = _rounded(mean[:, c])
        return out

    def held_at_places(self) -> np.ndarray:
        """[T, P] mean people held (queued, stranded, sheltered) at each place."""
        cols = [STATE_COLUMNS.index(s) for s in HELD_STATES]
        return self.state_mean[:, :, cols].sum(axis=2)

    def needs_on(self, t: int) -> list[dict]:
        """Needs by the Sphere standards at each place holding people on day t (the first 7 days a
        place holds people count as the first days of an emergency, as in needs.csv)."""
        held = self.held_at_places()
        run = days_held(held[: t + 1])[t]
        rows = []
        for p, name in enumerate(self.place_names):
            people = round(float(held[t, p]))
            if people <= 0:
                continue
            rows.append({"place": name, "days_held": int(run[p]), **needs_on(people, int(run[p]))})
        return rows

    def place_series(self, places: dict[str, tuple[str, str]] | None = None) -> PlaceSeries:
        """The mean run as impacts.py reads it; `places`: {place: (country, region)} for a dataset
        that does not carry them (an ensemble store's)."""
        places = places or {}
        P = len(self.place_names)
        country = self.place_country or [places.get(n, ("", n))[0] for n in self.place_names]
        region = self.place_region or [places.get(n, ("", n))[1] for n in self.place_names]
        notes = [] if self.newly_settled is not None else [
            "this dataset does not keep the newly settled or shelter places (an ensemble store "
            "written before they were counted): they show as 0"]
        return PlaceSeries(self.dates, list(self.place_names), list(country)[:P], list(region)[:P],
                           self.state_mean, self.newly_settled, self.shelter_capacity, notes,
                           group_people=dict(self.group_people))

    def host_community(self, t: int, rates: Rates,
                       places: dict[str, tuple[str, str]] | None = None) -> dict:
        """Per region: people by kind over the days, and every impact on day t (the needs of
        those who depend on provision, demand, costs), from the mean run (impacts.py)."""
        series = self.place_series(places)
        pairs, cols = region_impacts(series, rates)
        keys = [region_label(c, r) for c, r in pairs]
        columns = list(cols)
        regions = []
        for i, (key, (country, region)) in enumerate(zip(keys, pairs)):
            members = [n for n, c, r in zip(series.place_names, series.place_country,
                                            series.place_region) if (c, r) == (country, region)]
            on_day = {}
            for c in columns:
                v = float(cols[c][t, i])
                on_day[c] = None if np.isnan(v) else round(v, 2)
            regions.append({
                "key": key, "country": country, "region": region, "places": members,
                "series": {m: _rounded(cols[m][:, i]) for m in (*PLACE_MEASURES,
                                                                 "shelter_capacity")},
                "on_day": on_day,
            })
        return {"day": t, "date": self.dates[t].isoformat(),
                "dates": [d.isoformat() for d in self.dates], "columns": columns,
                "regions": regions, "notes": series.notes,
                "rates": [{"measure": r.measure, "applies_to": r.applies_to,
                           "country": r.country, "value": r.value, "unit": r.unit,
                           "currency": r.currency, "year": r.year, "source": r.source}
                          for r in rates.rows],
                "rates_file": rates.label()}

    def daily_flows(self) -> dict:
        """Inflows per place (places where anyone came in) and every measure of each informal
        crossing, per day: {p05, p25, p50, p75, p95, mean} over the runs; notes say what the
        dataset does not keep."""
        inflow: dict[str, dict] = {}
        notes = []
        if self.inflow_runs is not None:
            for p in np.flatnonzero(self.inflow_runs.sum(axis=(0, 1))):
                inflow[self.place_names[p]] = _band_of(self.inflow_runs[:, :, p])
        else:
            notes.append("this dataset does not keep inflows by day (a run folder written "
                         "before inflows.csv keeps only their totals, in summary.json)")
        informal = {name: {m: _band_of(self.informal_runs[m][:, :, i]) for m in INFORMAL_MEASURES}
                    for i, name in enumerate(self.informal_names)}
        return {"id": self.id, "dates": [d.isoformat() for d in self.dates], "runs": self.runs,
                "measures": {m: INFORMAL_MEANING[m] for m in INFORMAL_MEASURES},
                "inflow": inflow, "informal": informal, "notes": notes}

    def summary(self) -> dict:
        """Per crossing: the median run's peak held and its date, and median totals of the flows."""
        held = np.median(self.crossing["held"], axis=0)           # [T, C]
        out = {}
        for c, name in enumerate(self.crossing_names):
            t = int(np.argmax(held[:, c]))
            out[name] = {
                "peak_held": round(float(held[t, c])),
                "peak_date": self.dates[t].isoformat() if held[t, c] > 0 else None,
                **{f"total_{m}": round(float(np.median(self.crossing[m][:, :, c].sum(axis=1))))
                   for m in ("entries", "refused", "irregular")},
            }
        return out


def _rounded(a: np.ndarray) -> list[float]:
    return [round(float(x), 2) for x in a]


# --- building datasets ------------------------------------------------------------------------

def from_results(id: str, kind: str, label: str, results: list[Results], parameters: list[dict],
                 detail: dict | None = None, data: list[dict] | None = None) -> Dataset:
    """A dataset from runs held in memory (a what-if)."""
    first = results[0]
    counts = np.stack([r.counts for r in results]).astype(float)       # [R, T, P, S]
    crossing = {m: np.stack([_measure(r.flows, m) for r in results]) for m in MEASURES}
    newly = [r.newly_settled for r in results if r.newly_settled is not None]
    shelter = [r.shelter_capacity for r in results if r.shelter_capacity is not None]
    kept = len(newly) == len(shelter) == len(results)
    inflows = [r.inflow for r in results if r.inflow is not None]
    return Dataset(id, kind, label, first.scenario, first.dates, list(first.place_names),
                   list(first.crossing_names), counts.mean(axis=0), crossing,
                   [r.seed for r in results],
                   parameters, detail or {}, data or [],
                   newly_settled=np.mean(newly, axis=0) if kept else None,
                   shelter_capacity=np.mean(shelter, axis=0) if kept else None,
                   place_country=list(first.place_country), place_region=list(first.place_region),
                   informal=_informal_totals(results),
                   inflow_runs=np.stack(inflows) if len(inflows) == len(results) else None,
                   group_people={k: np.mean([r.group_people[k] for r in results], axis=0)
                                 for k in first.group_people},
                   informal_names=list(first.informal_names),
                   informal_runs={m: np.stack([r.informal[m] for r in results])
                                  for m in INFORMAL_MEASURES} if first.informal_names else {})


def _informal_totals(results: list[Results]) -> dict[str, dict[str, float]]:
    """Per informal crossing, the median over the runs of each of its totals."""
    totals = [r.summary_informal() for r in results]
    if not totals or not totals[0]:
        return {}
    return {name: {k: float(np.median([t[name][k] for t in totals])) for k in totals[0][name]}
            for name in totals[0]}


def _measure(flows: dict[str, np.ndarray], measure: str) -> np.ndarray:
    if measure == "held":
        return flows["queue"] + flows["stranded"]
    return flows[measure]


def read_run_dir(folder: Path, id: str) -> Dataset:
    """A run folder written by `travesia run`: daily.parquet, crossings.parquet, summary.json."""
    folder = Path(folder)
    need = [folder / n for n in ("daily.parquet", "crossings.parquet", "summary.json")]
    missing = [p.name for p in need if not p.is_file()]
    if missing:
        raise ScenarioError(f"not a run folder (missing {', '.join(missing)}; `travesia run` "
                            "writes them)",
                            file=folder)
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        daily_table = pq.read_table(folder / "daily.parquet")
        daily = daily_table.to_pydict()
        xing = pq.read_table(folder / "crossings.parquet").to_pydict()
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"cannot read the run's files: {exc}", file=folder) from None
    start = dt.date.fromisoformat(summary["period"]["start"])
    days = int(summary["period"]["days"])
    dates = [start + dt.timedelta(days=d) for d in range(days)]
    crossing_names = list(summary.get("crossings", {}))
    place_names = _dictionary(daily_table.column("place")) or _ordered(daily["place"])
    states = np.zeros((days, len(place_names), len(STATE_COLUMNS)))
    p_of = {p: i for i, p in enumerate(place_names)}
    for date, place, state, people in zip(daily["date"], daily["place"], daily["state"],
                                          daily["people"]):
        states[(date - start).days, p_of[place], STATE_COLUMNS.index(state)] = people
    flows = {m: np.zeros((days,
                          len(crossing_names))) for m in ("queue", "stranded", "entries", "refused",
                                                                   "irregular")}
    c_of = {c: i for i, c in enumerate(crossing_names)}
    for i, (date, name) in enumerate(zip(xing["date"], xing["crossing"])):
        for m, values in flows.items():
            values[(date - start).days, c_of[name]] = xing[m][i]
    crossing = {m: _measure(flows, m)[None] for m in MEASURES}
    params = summary.get("parameters") or {}
    ds = Dataset(id, "run", f"run {folder.name} (seed {summary.get('seed', 0)})",
                 summary.get("scenario", ""),
                 dates, place_names, crossing_names, states, crossing,
                 [int(summary.get("seed", 0))],
                 [params], {"scenario_hash": summary.get("scenario_hash"), "folder": folder.name,
                            "travesia_version": summary.get("travesia_version")})
    if (folder / "impacts_places.csv").is_file():     # runs written before it lack the file
        _read_places(folder / "impacts_places.csv", ds, start, p_of)
    ds.informal = {name: {k: float(v) for k, v in t.items()}
                   for name, t in (summary.get("informal_crossings") or {}).items()}
    if (folder / "informal.csv").is_file():
        _read_informal(folder / "informal.csv", ds, start)
    if (folder / "inflows.csv").is_file():        # runs written before it kept only totals
        _read_inflows(folder / "inflows.csv", ds, start, p_of)
    return ds


def _read_inflows(path: Path, ds: Dataset, start: dt.date, p_of: dict[str, int]) -> None:
    """People who came into the map per place and day, from a run's inflows.csv."""
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(path).to_pydict()
        inflow = np.zeros((1, ds.days, len(ds.place_names)))
        for row, (date, place) in enumerate(zip(table["date"], table["place"])):
            t, p = (date - start).days, p_of.get(str(place))
            if p is None:
                raise ValueError(f"row {row + 2}: unknown place '{place}'")
            if not 0 <= t < ds.days:
                raise ValueError(f"row {row + 2}: {date} is outside the run")
            inflow[0, t, p] = table["inflow"][row]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ScenarioError(f"cannot read the run's inflows ({str(exc)[:120]})",
                            file=path) from None
    ds.inflow_runs = inflow


def _read_informal(path: Path, ds: Dataset, start: dt.date) -> None:
    """Each informal crossing's measures per day, from a run's informal.csv."""
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(path).to_pydict()
        names = _ordered(str(n) for n in table["informal_crossing"])
        i_of = {n: i for i, n in enumerate(names)}
        series = {m: np.zeros((1, ds.days, len(names))) for m in INFORMAL_MEASURES}
        for row, (date, name) in enumerate(zip(table["date"], table["informal_crossing"])):
            t = (date - start).days
            if not 0 <= t < ds.days:
                raise ValueError(f"row {row + 2}: {date} is outside the run")
            for m in INFORMAL_MEASURES:
                series[m][0, t, i_of[str(name)]] = table[m][row]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ScenarioError(f"cannot read the run's informal crossings ({str(exc)[:120]})",
                            file=path) from None
    ds.informal_names, ds.informal_runs = names, series


def _read_places(path: Path, ds: Dataset, start: dt.date, p_of: dict[str, int]) -> None:
    """The newly settled, shelter places, country and region of each place, from a run's
    impacts_places.csv."""
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(path).to_pydict()
        T, P = ds.days, len(ds.place_names)
        newly, shelter = np.zeros((T, P)), np.zeros((T, P))
        # the people of each needs category (impacts.py writes them as dependent_<category>)
        groups = {c: np.zeros((T, P)) for c in table if c.startswith("dependent_")}
        country, region = [""] * P, list(ds.place_names)
        for i, (date, place) in enumerate(zip(table["date"], table["place"])):
            t, p = (date - start).days, p_of.get(place)
            if p is None or not 0 <= t < T:
                continue
            newly[t, p] = table["newly_settled"][i]
            shelter[t, p] = table["shelter_capacity"][i]
            for column, people in groups.items():
                people[t, p] = table[column][i]
            country[p], region[p] = str(table["country"][i]), str(table["region"][i])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(f"cannot read the run's places ({str(exc)[:120]})",
                            file=path) from None
    ds.newly_settled, ds.shelter_capacity = newly, shelter
    ds.group_people = {c.removeprefix("dependent_"): v for c, v in groups.items()}
    ds.place_country, ds.place_region = country, region


def _dictionary(column) -> list[str] | None:
    """Every name of a dictionary column (places with no one in them included), in the run's
    order."""
    import pyarrow as pa

    if not pa.types.is_dictionary(column.type) or column.num_chunks == 0:
        return None
    return column.combine_chunks().dictionary.to_pylist()


def _ordered(values) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


def ensemble_label(ensemble_id: str, runs: int, vary: dict | None) -> str:
    names = list(vary or {})
    what = ("seeds only" if not names else f"varying {', '.join(names)}" if len(names) <= 2
            else f"{len(names)} parameters varied")
    return f"ensemble {ensemble_id[:8]}: {runs} runs, {what}"


class StoreReader:
    """Read-only access to an ensemble store, opened per call (a writer may hold it in between)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        with self._open() as store:      # a damaged store is refused at start, not page by page
            bad = store.unreadable_parts()
        if bad:
            raise ScenarioError(f"the store is damaged: {', '.join(bad)} cannot be read "
                                f"(`travesia store verify {self.path}`)", file=self.path)

    def _open(self):
        from travesia.outputs.store import Store

        return Store(self.path, read_only=True)

    def ensembles(self) -> list[dict]:
        """The store's ensembles, each with its `ruleset` (flee, from its meta; else travesia)."""
        with self._open() as store:
            out = store.ensembles()
            for ens in out:
                ens["ruleset"] = store.meta(ens["ensemble_id"]).get("ruleset", "travesia")
            return out

    def runs(self, ensemble_id: str) -> list[dict]:
        with self._open() as store:
            return store.runs(ensemble_id)

    def dataset(self, ensemble: dict, id: str) -> Dataset:
        if ensemble.get("ruleset") == "flee":
            return read_flee_ensemble(self, ensemble, id)
        eid = ensemble["ensemble_id"]
        with self._open() as store:
            members = store.runs(eid)
            if not members:
                raise ScenarioError(f"ensemble {eid} has no finished run", file=self.path)
            index = {m["run_id"]: i for i, m in enumerate(members)}
            dates = [r[0] for r in store.con.execute(
                "SELECT DISTINCT date FROM crossings WHERE run_id = ? ORDER BY date",
                [members[0]["run_id"]]
            ).fetchall()]
            crossings, places = ensemble["crossings"], ensemble["places"]
            t_of = {d: i for i, d in enumerate(dates)}
            c_of = {c: i for i, c in enumerate(crossings)}
            p_of = {p: i for i, p in enumerate(places)}
            R, T, C, P = len(members), len(dates), len(crossings), len(places)
            flows = {m: np.zeros((R, T, C)) for m in ("queue", "stranded", "entries", "refused",
                                                      "irregular")}
            rows = store.con.execute(
                "SELECT c.run_id, c.date, c.crossing, c.queue, c.stranded, c.entries, c.refused, "
                "c.irregular "
                "FROM crossings c JOIN ensemble_runs er USING (run_id) WHERE er.ensemble_id = ?",
                [eid]).fetchall()
            for run_id, date, name, *values in rows:
                if run_id in index and date in t_of and name in c_of:
                    for m, v in zip(("queue", "stranded", "entries", "refused", "irregular"),
                                    values):
                        flows[m][index[run_id], t_of[date], c_of[name]] = v
            states = np.zeros((T, P, len(STATE_COLUMNS)))
            s_of = {s: i for i, s in enumerate(STATE_COLUMNS)}
            rows = store.con.execute(
                "SELECT d.date, d.place, d.state, sum(d.people) FROM daily d JOIN ensemble_runs er "
                "USING (run_id) "
                "JOIN runs r USING (run_id) WHERE er.ensemble_id = ? AND r.status = 'finished' "
                "GROUP BY ALL",
                [eid]).fetchall()
            for date, place, state, people in rows:
                if date in t_of and place in p_of and state in s_of:
                    states[t_of[date], p_of[place], s_of[state]] = people / R
            newly = shelter = None
            if store.has_table("places"):     # stores written before it lack the table
                newly, shelter = np.zeros((T, P)), np.zeros((T, P))
                rows = store.con.execute(
                    "SELECT p.date, p.place, sum(p.newly_settled), sum(p.shelter_capacity) "
                    "FROM places p JOIN ensemble_runs er USING (run_id) JOIN runs r USING "
                    "(run_id) WHERE er.ensemble_id = ? AND r.status = 'finished' GROUP BY ALL",
                    [eid]).fetchall()
                for date, place, settled, capacity in rows:
                    if date in t_of and place in p_of:
                        newly[t_of[date], p_of[place]] = settled / R
                        shelter[t_of[date], p_of[place]] = capacity / R
            inflow = _store_inflow(store, eid, index, t_of, p_of, (R, T, P))
            groups = _store_groups(store, eid, t_of, p_of, (R, T, P))
            informal_names, informal = _store_informal(store, eid, index, t_of, (R, T))
        crossing = {m: _measure(flows, m) for m in MEASURES}
        return Dataset(id, "ensemble", ensemble_label(eid, R, ensemble.get("vary")),
                       ensemble["scenario"],
                       dates, list(places), list(crossings), states, crossing,
                       [int(m["seed"]) for m in members],
                       [json.loads(m["parameters"]) for m in members],
                       {"ensemble_id": eid, "scenario_hash": ensemble.get("scenario_hash"),
                        "vary": ensemble.get("vary")},
                       [split_values(m["varied"])[1] for m in members],
                       newly_settled=newly, shelter_capacity=shelter, inflow_runs=inflow,
                       group_people=groups,
                       informal_names=informal_names, informal_runs=informal)


def _store_groups(store, eid: str, t_of: dict, p_of: dict,
                  shape: tuple[int, int, int]) -> dict[str, np.ndarray]:
    """Needs category -> mean over the runs [T, P] of its people who depend on provision (empty:
    none declared, or a store written before the place_groups table)."""
    if not store.has_table("place_groups"):
        return {}
    R, T, P = shape
    groups: dict[str, np.ndarray] = {}
    rows = store.con.execute(
        "SELECT g.category, g.date, g.place, sum(g.people) FROM place_groups g JOIN ensemble_runs "
        "er USING (run_id) JOIN runs r USING (run_id) WHERE er.ensemble_id = ? AND r.status = "
        "'finished' GROUP BY ALL", [eid]).fetchall()
    for category, date, place, people in rows:
        if date in t_of and place in p_of:
            groups.setdefault(category, np.zeros((T, P)))[t_of[date], p_of[place]] = people / R
    return groups


def _store_inflow(store, eid: str, index: dict, t_of: dict, p_of: dict,
                  shape: tuple[int, int, int]) -> np.ndarray | None:
    """[R, T, P] people who came in at each place, per run (None: a store written before the
    places table had an inflow column)."""
    if not store.has_table("places") or not store.con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'places' AND "
            "column_name = 'inflow'").fetchone()[0]:
        return None
    inflow = np.zeros(shape)
    rows = store.con.execute(
        "SELECT p.run_id, p.date, p.place, p.inflow FROM places p JOIN ensemble_runs er USING "
        "(run_id) WHERE er.ensemble_id = ? AND p.inflow <> 0", [eid]).fetchall()
    for run_id, date, place, people in rows:
        if run_id in index and date in t_of and place in p_of:
            inflow[index[run_id], t_of[date], p_of[place]] = people
    return inflow


def _store_informal(store, eid: str, index: dict, t_of: dict,
                    shape: tuple[int, int]) -> tuple[list[str], dict[str, np.ndarray]]:
    """The informal crossings of an ensemble and their measures [R, T, I] per run."""
    if not store.has_table("informal"):
        return [], {}
    names = store.informal_names(eid)
    if not names:
        return [], {}
    i_of = {n: i for i, n in enumerate(names)}
    series = {m: np.zeros((*shape, len(names))) for m in INFORMAL_MEASURES}
    rows = store.con.execute(
        f"SELECT i.run_id, i.date, i.informal_crossing, {', '.join(INFORMAL_MEASURES)} FROM "
        "informal i JOIN ensemble_runs er USING (run_id) WHERE er.ensemble_id = ?",
        [eid]).fetchall()
    for run_id, date, name, *values in rows:
        if run_id in index and date in t_of and name in i_of:
            for m, v in zip(INFORMAL_MEASURES, values):
                series[m][index[run_id], t_of[date], i_of[name]] = v
    return names, series


class Catalogue:
    """The datasets one server or report shows: run folders, a store's ensembles, what-ifs made
    since.

    Datasets are read when first asked for and kept; the ids are the only handles the API accepts.
    """

    def __init__(self, scenario_name: str | None = None):
        self.scenario_name = scenario_name
        self._entries: dict[str, dict] = {}       # id -> {"info": ..., "load": callable}
        self._loaded: dict[str, Dataset] = {}
        self._lock = threading.RLock()
        self.store: StoreReader | None = None

    # --- adding ---------------------------------------------------------------------------------
    def add_run_dir(self, folder: Path) -> str:
        folder = Path(folder)
        if is_flee_run_dir(folder) or _is_flee_case(folder):
            return self._add_flee_run_dir(folder)
        ds = read_run_dir(folder, "pending")
        base = "run-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", folder.resolve().name).strip("-") or "dir")
        id = self._unique(base[:60])
        ds.id = id
        self._check_scenario(ds.scenario, folder)
        with self._lock:
            self._entries[id] = {"info": ds.info()}
            self._loaded[id] = ds
        return id

    def add_store(self, path: Path) -> list[str]:
        self.store = StoreReader(path)
        ids = []
        for ens in self.store.ensembles():
            if ens["ruleset"] == "flee":             # a Flee folder's: listed whatever it is of
                if ens["finished"]:
                    ids.append(self._add_flee_ensemble(ens))
                continue
            if self.scenario_name is None:
                self.scenario_name = ens["scenario"]
            if ens["scenario"] != self.scenario_name or not ens["finished"]:
                continue
            id = self._unique(f"ens-{ens['ensemble_id']}")
            info = {"id": id, "kind": "ensemble", "scenario": ens["scenario"],
                    "runs": int(ens["finished"]),
                    "label": ensemble_label(ens["ensemble_id"], ens["finished"], ens.get("vary")),
                    "vary": ens.get("vary"), "scenario_hash": ens.get("scenario_hash"),
                    "ensemble_id": ens["ensemble_id"], "days": ens["days"]}
            with self._lock:
                self._entries[id] = {"info": info, "ensemble": ens}
            ids.append(id)
        return ids

    def _add_flee_run_dir(self, folder: Path) -> str:
        if _is_flee_case(folder):
            raise ScenarioError("is a Flee case folder, not a run of one (`travesia run FOLDER "
                                "--out DIR` writes a run; show DIR)", file=folder)
        ds = read_flee_run_dir(folder, "pending")
        base = "flee-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", folder.resolve().name).strip("-")
                          or "dir")
        ds.id = self._unique(base[:60])
        with self._lock:
            self._entries[ds.id] = {"info": ds.info()}
            self._loaded[ds.id] = ds
        return ds.id

    def _add_flee_ensemble(self, ens: dict) -> str:
        id = self._unique(f"flee-ens-{ens['ensemble_id']}")
        what = ensemble_label(ens["ensemble_id"], ens["finished"],
                              ens.get("vary")).split(": ", 1)[1]
        info = {"id": id, "kind": "ensemble", "ruleset": "flee", "scenario": ens["scenario"],
                "case": ens["scenario"], "runs": int(ens["finished"]),
                "label": f"Flee ensemble {ens['ensemble_id'][:8]} of {ens['scenario']}: {what}",
                "vary": ens.get("vary"), "ensemble_id": ens["ensemble_id"], "days": ens["days"]}
        with self._lock:
            self._entries[id] = {"info": info, "ensemble": ens}
        return id

    MAX_WHATIFS = 20      # what-ifs kept in memory; the oldest goes first

    def add_dataset(self, ds: Dataset) -> str:
        with self._lock:
            whatifs = [id for id, e in self._entries.items() if e["info"]["kind"] == "whatif"]
            if ds.kind == "whatif" and len(whatifs) >= self.MAX_WHATIFS:
                for old in whatifs[: len(whatifs) - self.MAX_WHATIFS + 1]:
                    del self._entries[old]
                    self._loaded.pop(old, None)
            ds.id = self._unique(ds.id)
            self._entries[ds.id] = {"info": ds.info()}
            self._loaded[ds.id] = ds
        return ds.id

    def _unique(self, base: str) -> str:
        with self._lock:
            id, n = base, 2
            while id in self._entries:
                id, n = f"{base}-{n}", n + 1
            return id

    def _check_scenario(self, name: str, where: Path) -> None:
        if self.scenario_name is None:
            self.scenario_name = name
        elif name != self.scenario_name:
            raise ScenarioError(f"is a run of scenario '{name}', not '{self.scenario_name}'",
                                file=where)

    # --- reading --------------------------------------------------------------------------------
    def list(self) -> list[dict]:
        with self._lock:
            return [dict(e["info"]) for e in self._entries.values()]

    def ids(self) -> builtins.list[str]:  # `list` is the method above
        with self._lock:
            return list(self._entries)

    def get(self, id: str) -> Dataset:
        check_id(id)
        with self._lock:
            if id in self._loaded:
                return self._loaded[id]
            entry = self._entries.get(id)
        if entry is None:
            raise KeyError(id)
        assert self.store is not None   # stored entries come from the store
        ds = self.store.dataset(entry["ensemble"], id)
        with self._lock:
            self._loaded[id] = ds
            self._entries[id]["info"] = ds.info()
        return ds

    def members(self, id: str) -> builtins.list[dict]:
        """The runs of a dataset: seed and what was drawn for it."""
        check_id(id)
        with self._lock:
            entry = self._entries.get(id)
        if entry is None:
            raise KeyError(id)
        if "ensemble" in entry:
            assert self.store is not None
            return [{"index": r["run_index"], "seed": r["seed"], "varied": r["varied"],
                     "wall_seconds": round(r["wall_seconds"] or 0, 3), "run_id": r["run_id"]}
                    for r in self.store.runs(entry["ensemble"]["ensemble_id"])]
        ds = self.get(id)
        return [{"index": i, "seed": s, "varied": {}} for i, s in enumerate(ds.seeds)]


# --- Flee cases (docs/flee.md): a run folder of `travesia run FLEE_FOLDER`, a Flee ensemble ------
#
# A Flee dataset is a Dataset whose travesia fields are filled so that the travesia-only views (the
# crossing charts, needs, what-ifs) find nothing to show rather than break: no crossing, and the
# people at each location as `settled`. What the page and the report show of it is `flee_view()`.

FLEE_PLACE_STATE = "settled"     # where a travesia face asks a Flee location's people by state


@dataclass
class FleeDataset(Dataset):
    """Runs of a Flee folder with Flee's ruleset: people at each camp per run and day (Flee's own
    measure), the observed camp counts (source_data/data_layout.csv, as Flee scores them), the
    case's locations and routes, and the scores `travesia score` gives."""

    ruleset: ClassVar[str] = "flee"
    camps: list[str] = field(default_factory=list)
    camp_runs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))   # [R, T, K]
    observed: np.ndarray | None = None                                            # [T, K]
    locations: list[dict] = field(default_factory=list)   # name, country, type, lat, lon
    routes: list[dict] = field(default_factory=list)      # from, to, distance_km
    scores: dict | None = None
    notes: list[str] = field(default_factory=list)        # what is missing, and why

    def info(self) -> dict:
        return {**super().info(), "ruleset": "flee", "case": self.scenario, "camps": self.camps}

    def location_people(self) -> np.ndarray:
        """[T, P] mean over runs of the people at each location."""
        return self.state_mean[:, :, STATE_COLUMNS.index(FLEE_PLACE_STATE)]

    def camp_bands(self) -> dict[str, dict]:
        """{camp: {p05, p25, p50, p75, p95, mean}} per day over the runs."""
        return {c: _band_of(self.camp_runs[:, :, k]) for k, c in enumerate(self.camps)}

    def total_band(self) -> dict:
        """The same of the people in all camps together."""
        return _band_of(self.camp_runs.sum(axis=2))

    def camp_summary(self) -> dict[str, dict]:
        """Per camp: the peak of the daily median over runs and its date, the last day's median
        and 5–95%, and the count observed on the last day."""
        median = np.median(self.camp_runs, axis=0)                       # [T, K]
        last = np.quantile(self.camp_runs[:, -1, :].astype(float), (0.05, 0.5, 0.95), axis=0)
        out = {}
        for k, name in enumerate(self.camps):
            t = int(np.argmax(median[:, k]))
            out[name] = {"peak": round(float(median[t, k])),
                         "peak_date": self.dates[t].isoformat() if median[t, k] > 0 else None,
                         "last_p05": round(float(last[0, k])),
                         "last_median": round(float(last[1, k])),
                         "last_p95": round(float(last[2, k])),
                         "observed_last": (int(self.observed[-1, k]) if self.observed is not None
                                           else None)}
        return out

    def flee_view(self) -> dict:
        """Everything the page draws of a Flee case: map, camp bands, observations, totals,
        scores."""
        observed = None
        if self.observed is not None:
            observed = {c: [int(v) for v in self.observed[:, k]] for k, c in enumerate(self.camps)}
        return {"id": self.id, "case": self.scenario, "label": self.label, "runs": self.runs,
                "dates": [d.isoformat() for d in self.dates], "camps": self.camps,
                "locations": self.locations, "routes": self.routes,
                "places": self.place_names,
                "people": [[round(float(v), 1) for v in day] for day in self.location_people()],
                "bands": self.camp_bands(), "observed": observed, "summary": self.camp_summary(),
                "total": {"band": self.total_band(),
                          "observed": None if self.observed is None
                          else [int(v) for v in self.observed.sum(axis=1)]},
                "scores": self.scores, "notes": self.notes}


def _band_of(values: np.ndarray) -> dict:
    """{p05, p25, p50, p75, p95, mean} per day of values [runs, days]."""
    q = np.quantile(values.astype(float), QUANTILES, axis=0)
    return {**{f"p{round(qq * 100):02d}": _rounded(q[i]) for i, qq in enumerate(QUANTILES)},
            "mean": _rounded(values.mean(axis=0))}


def is_flee_run_dir(folder: Path) -> bool:
    """A run folder of `travesia run FLEE_FOLDER`: its summary.json says `ruleset: flee`."""
    summary = Path(folder) / "summary.json"
    if not summary.is_file():
        return False
    try:
        return json.loads(summary.read_text(encoding="utf-8")).get("ruleset") == "flee"
    except (OSError, ValueError, AttributeError):
        return False


def flee_dataset(id: str, kind: str, label: str, case: str, dates: list[dt.date],
                 places: list[str], people: np.ndarray, camps: list[str],
                 camp_runs: np.ndarray, observed: np.ndarray | None, seeds: list[int],
                 parameters: list[dict], detail: dict, *, locations: list[dict],
                 routes: list[dict], scores: dict | None, notes: list[str]) -> FleeDataset:
    """A Flee dataset from the mean over runs of the people at each location [T, P] and the
    people at each camp per run [R, T, K]."""
    R, T, P = camp_runs.shape[0], *people.shape
    states = np.zeros((T, P, len(STATE_COLUMNS)))
    states[:, :, STATE_COLUMNS.index(FLEE_PLACE_STATE)] = people
    crossing = {m: np.zeros((R, T, 0)) for m in MEASURES}
    return FleeDataset(id, kind, label, case, dates, places, [], states, crossing, seeds,
                       parameters, detail, [], camps=camps, camp_runs=camp_runs,
                       observed=observed, locations=locations, routes=routes, scores=scores,
                       notes=notes)


def flee_map(locations, routes) -> tuple[list[dict], list[dict]]:
    """A Flee case's locations (reader.Locations) and routes (reader.Routes) as the map draws
    them."""
    locs = [{"name": n, "country": c, "type": t, "lat": float(la), "lon": float(lo)}
            for n, c, t, la, lo in zip(locations.name, locations.country,
                                       locations.location_type, locations.lat, locations.lon)]
    links = [{"from": locations.name[a], "to": locations.name[b], "distance_km": float(d)}
             for a, b, d in zip(routes.src, routes.dst, routes.distance_km)]
    return locs, links


def _flee_case_map(folder: Path | None) -> tuple[list[dict], list[dict], str | None]:
    """The map of the case folder a run names; (no map, why) when it is gone or unreadable."""
    from travesia.model.flee.reader import read_locations, read_routes

    if folder is None:
        return [], [], ("the run's summary.json does not name its case folder (a run written "
                        "before case_folder was recorded): no map")
    try:
        loc = read_locations(folder / "input_csv" / "locations.csv")
        routes = read_routes(folder / "input_csv" / "routes.csv", loc.index())
    except (OSError, ScenarioError) as exc:
        if not folder.is_dir():
            return [], [], f"the case folder {folder.name} is gone: no map"
        # the reason without the path (the API never shows this machine's paths)
        why = (f"{Path(exc.file).name if exc.file else ''}"
               f"{f' row {exc.row}' if exc.row is not None else ''}: {exc.reason}"
               if isinstance(exc, ScenarioError) else (exc.strerror or "unreadable"))
        return [], [], f"the case folder {folder.name} cannot be read ({why[:120]}): no map"
    return (*flee_map(loc, routes), None)


def read_flee_run_dir(folder: Path, id: str) -> FleeDataset:
    """A run folder of `travesia run FLEE_FOLDER`: out.csv (camps: simulated and observed),
    daily.parquet (people at every location), summary.json; scored as `travesia score` does."""
    from travesia.model.flee.scoring import read_out_csv, score_out_csv

    folder = Path(folder)
    need = [folder / n for n in ("out.csv", "daily.parquet", "summary.json")]
    missing = [p.name for p in need if not p.is_file()]
    if missing:
        raise ScenarioError(f"not a Flee run folder (missing {', '.join(missing)}; `travesia run "
                            "FLEE_FOLDER --out DIR` writes them)", file=folder)
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        table = pq.read_table(folder / "daily.parquet")
        start = dt.date.fromisoformat(summary["start_date"])
        days = int(summary["days"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(f"cannot read the Flee run's files: {str(exc)[:160]}",
                            file=folder) from None
    camps, sim, data = read_out_csv(folder / "out.csv")        # ScenarioError names the row
    if sim.shape[0] != days:
        raise ScenarioError(f"out.csv has {sim.shape[0]} days, summary.json says {days}",
                            file=folder / "out.csv")
    daily = table.to_pydict()
    at = [i for i, s in enumerate(daily["state"]) if s == "at_location"]
    places = _ordered(daily["place"][i] for i in at)
    p_of = {p: i for i, p in enumerate(places)}
    people = np.zeros((days, len(places)))
    for i in at:
        t = (daily["date"][i] - start).days
        if 0 <= t < days:
            people[t, p_of[daily["place"][i]]] = daily["people"][i]
    case_folder = Path(summary["case_folder"]) if summary.get("case_folder") else None
    locations, routes, why = _flee_case_map(case_folder)
    scores = score_out_csv(folder / "out.csv")
    seed = int(summary.get("seed", 0))
    dates = [start + dt.timedelta(days=d) for d in range(days)]
    return flee_dataset(id, "run", f"Flee run {folder.name} of {summary.get('case', '?')} (seed "
                                   f"{seed})",
                        str(summary.get("case", "")), dates, places, people, camps, sim[None],
                        data, [seed], [{"settings": Path(summary.get("settings") or "").name,
                                        "hasten": summary.get("hasten")}],
                        {"folder": folder.name,
                         "case_folder": case_folder.name if case_folder else None,
                         "hasten": summary.get("hasten")},
                        locations=locations, routes=routes, scores=scores,
                        notes=[why] if why else [])


def read_flee_ensemble(reader: StoreReader, ensemble: dict, id: str) -> FleeDataset:
    """A Flee ensemble of a store: people at every location per run and day, its camps (meta),
    the case's observed counts and map (when its folder is unchanged since) and `travesia score`'s
    scores."""
    from travesia.inference.flee_runs import flee_ensemble_case, score_flee_store

    eid = ensemble["ensemble_id"]
    with reader._open() as store:
        meta = store.meta(eid)
        ds = _flee_ensemble_runs(store, ensemble, meta, id, reader.path)
    fs = flee_ensemble_case(ensemble, meta)
    if fs is None:
        ds.notes.append(f"the Flee folder {Path(ensemble['scenario_folder']).name} is gone or "
                        "changed since the ensemble ran: no observed counts, scores or map")
        return ds
    observed = fs.observed(ds.days)
    ds.observed = observed[:, [fs.camps.index(c) for c in ds.camps]]
    ds.locations, ds.routes = flee_map(fs.case.locations, fs.case.routes)
    ds.scores = score_flee_store(reader.path, eid)       # as `travesia score STORE` gives them
    return ds


def _flee_ensemble_runs(store, ensemble: dict, meta: dict, id: str,
                        store_path: Path) -> FleeDataset:
    """The camps' series per run and the mean over runs at every location, read as arrays (an
    ensemble of 200 runs over 1,885 days is millions of rows: never a Python object per row)."""
    eid = ensemble["ensemble_id"]
    members = store.runs(eid)
    if not members:
        raise ScenarioError(f"ensemble {eid} has no finished run", file=store_path)
    dates = [r[0] for r in store.con.execute(
        "SELECT DISTINCT date FROM daily WHERE run_id = ? ORDER BY date",
        [members[0]["run_id"]]).fetchall()]
    places = list(ensemble["places"])
    camps = [c for c in meta.get("camps", []) if c in places]
    R, T, P = len(members), len(dates), len(places)
    # run_index -> row of the arrays (run indexes of unfinished runs are skipped)
    row_of = np.full(max(m["run_index"] for m in members) + 1, -1)
    row_of[[m["run_index"] for m in members]] = np.arange(R)
    finished = ("FROM daily d JOIN ensemble_runs er USING (run_id) JOIN runs r USING (run_id) "
                "WHERE er.ensemble_id = ? AND r.status = 'finished' AND d.state = 'at_location' "
                "AND list_position(?, d.place) > 0 AND d.date BETWEEN ? AND ?")
    day = "date_diff('day', CAST(? AS DATE), d.date)"
    got = store.con.execute(
        f"SELECT er.run_index AS i, {day} AS t, list_position(?, d.place) - 1 AS k, "
        f"d.people AS n {finished}",
        [dates[0], camps, eid, camps, dates[0], dates[-1]]).fetchnumpy()
    camp_runs = np.zeros((R, T, len(camps)))
    if camps and len(got["n"]):
        camp_runs[row_of[got["i"]], got["t"], got["k"]] = got["n"]
    got = store.con.execute(
        f"SELECT {day} AS t, list_position(?, d.place) - 1 AS p, sum(d.people) AS n {finished} "
        "GROUP BY ALL", [dates[0], places, eid, places, dates[0], dates[-1]]).fetchnumpy()
    mean = np.zeros((T, P))
    if len(got["n"]):
        mean[got["t"], got["p"]] = np.asarray(got["n"], dtype=float) / R
    what = ensemble_label(eid, len(members), ensemble.get("vary")).split(": ", 1)[1]
    return flee_dataset(id, "ensemble", f"Flee ensemble {eid[:8]} of {ensemble['scenario']}: "
                                        f"{what}",
                        ensemble["scenario"], dates, places, mean, camps, camp_runs, None,
                        [int(m["seed"]) for m in members],
                        [json.loads(m["parameters"]) for m in members],
                        {"ensemble_id": eid,
                         "case_folder": Path(ensemble.get("scenario_folder") or "").name or None,
                         "hasten": meta.get("hasten"), "vary": ensemble.get("vary")},
                        locations=[], routes=[], scores=None, notes=[])


def _is_flee_case(folder: Path) -> bool:
    from travesia.model.flee.reader import is_flee_folder

    return Path(folder).is_dir() and is_flee_folder(Path(folder))
