"""The results store of ensembles: one DuckDB file holding the runs and their daily tables.

Tables (docs/ensembles.md describes them for users):

* `ensembles`: one row per ensemble (its id, scenario, base seed, what varied, the base parameters).
* `ensemble_runs`: which runs belong to which ensemble, with the run's index in it.
* `runs`: one row per finished (or failed) run: run_id, ensemble_id (the ensemble that ran it),
  scenario, scenario_hash, parameters (JSON, complete), varied (JSON, the drawn values), seed,
  days, travesia_version, status, started, finished, wall_seconds, error.
* `daily`: run_id, date, place, state, people (rows with zero people are left out).
* `crossings`: run_id, date, crossing, queue, exits, entries, refused, irregular, departures,
  corridor, gave_up, flown, stranded, sheltered, irregular_attempts, irregular_caught,
  return_refused, removed.
* `places`: run_id, date, place, newly_settled, shelter_capacity (model/impacts.py), inflow
  (people who came into the map, inflows.csv) (rows with none of them are left out; stores
  written before it have no such table, which readers allow).
* `place_groups`: run_id, date, place, category, people: the people who depend on provision per
  needs category of scenario.yaml's `needs_groups` (model/impacts.py; rows with none left out).

A run's row and its daily tables are written in one transaction, so a killed ensemble leaves each
run either whole or absent. A run is identified by (scenario_hash, parameters, seed, days): its
run_id is a hash of them, so running the same ensemble again skips what is stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from travesia import __version__
from travesia.errors import ScenarioError
from travesia.model.results import Results
from travesia.scenario.measures import INFORMAL_MEASURES

SCHEMA = """
CREATE TABLE IF NOT EXISTS ensembles (
    ensemble_id VARCHAR PRIMARY KEY, scenario VARCHAR, scenario_hash VARCHAR,
    scenario_folder VARCHAR, base_seed BIGINT, days INTEGER, vary JSON, base_parameters JSON,
    places JSON, crossings JSON,
    created TIMESTAMP);
CREATE TABLE IF NOT EXISTS ensemble_runs (
    ensemble_id VARCHAR, run_id VARCHAR, run_index INTEGER, PRIMARY KEY (ensemble_id, run_id));
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, ensemble_id VARCHAR, scenario VARCHAR, scenario_hash VARCHAR,
    parameters JSON, varied JSON, seed BIGINT, days INTEGER, travesia_version VARCHAR,
    status VARCHAR, started TIMESTAMP, finished TIMESTAMP, wall_seconds DOUBLE, error VARCHAR);
CREATE TABLE IF NOT EXISTS daily (
    run_id VARCHAR, date DATE, place VARCHAR, state VARCHAR, people BIGINT);
CREATE TABLE IF NOT EXISTS crossings (
    run_id VARCHAR, date DATE, crossing VARCHAR, queue BIGINT, exits BIGINT, entries BIGINT,
    refused BIGINT, irregular BIGINT, departures BIGINT, corridor BIGINT, gave_up BIGINT,
    flown BIGINT, stranded BIGINT, sheltered BIGINT);
ALTER TABLE crossings ADD COLUMN IF NOT EXISTS irregular_attempts BIGINT DEFAULT 0;
ALTER TABLE crossings ADD COLUMN IF NOT EXISTS irregular_caught BIGINT DEFAULT 0;
ALTER TABLE crossings ADD COLUMN IF NOT EXISTS return_refused BIGINT DEFAULT 0;
ALTER TABLE crossings ADD COLUMN IF NOT EXISTS removed BIGINT DEFAULT 0;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS branch VARCHAR;
CREATE TABLE IF NOT EXISTS ensemble_meta (ensemble_id VARCHAR PRIMARY KEY, meta JSON);
CREATE TABLE IF NOT EXISTS places (
    run_id VARCHAR, date DATE, place VARCHAR, newly_settled DOUBLE, shelter_capacity BIGINT);
ALTER TABLE places ADD COLUMN IF NOT EXISTS inflow BIGINT DEFAULT 0;
CREATE TABLE IF NOT EXISTS place_groups (
    run_id VARCHAR, date DATE, place VARCHAR, category VARCHAR, people DOUBLE);
CREATE TABLE IF NOT EXISTS informal (
    run_id VARCHAR, date DATE, informal_crossing VARCHAR, informal_departures BIGINT,
    informal_attempts BIGINT, informal_caught BIGINT, informal_crossed BIGINT,
    informal_injured BIGINT, informal_died BIGINT, informal_gave_up BIGINT,
    informal_waiting BIGINT);
"""
CROSSING_COLUMNS = ["queue", "exits", "entries", "refused", "irregular", "departures", "corridor",
                    "gave_up",
                    "flown", "stranded", "sheltered", "irregular_attempts", "irregular_caught",
                    "return_refused", "removed"]


def run_id_of(scenario_hash: str, parameters_json: str, seed: int, days: int | None) -> str:
    """The identity of a run: same scenario files, parameters, seed and length -> same id."""
    key = json.dumps([scenario_hash, parameters_json, int(seed), days], separators=(",", ":"))
    return hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class RunRecord:
    """What the store keeps about a run besides its tables."""

    run_id: str
    ensemble_id: str
    scenario: str
    scenario_hash: str
    parameters_json: str
    varied_json: str
    seed: int
    days: int | None
    started: dt.datetime
    finished: dt.datetime
    wall_seconds: float
    status: str = "finished"
    error: str | None = None
    branch: str | None = None      # the branch of the future it ran (docs/branches.md)


TABLES = ("ensembles", "ensemble_runs", "runs", "daily", "crossings", "ensemble_meta")


def _refuse_damaged(path: Path) -> None:
    """Before a store is written to: read it whole, and leave a damaged one as it is (what can
    still be read stays readable), rather than write more runs into it."""
    with Store(path, read_only=True) as existing:
        bad = existing.unreadable_parts()
    if bad:
        raise ScenarioError(f"the store is damaged ({', '.join(bad)} cannot be read) and is left "
                            f"as it is: move it aside to start a new one (`travesia store verify "
                            f"{path}` says what can still be read)", file=path)


def default_store_path(scenario_name: str) -> Path:
    return Path("out") / scenario_name / "ensemble.duckdb"


def places_table(results) -> pa.Table | None:
    """date, place, newly_settled, shelter_capacity, inflow of a run's places, where any is not 0
    (None: a ruleset that does not count them, Flee's)."""
    newly, shelter = (getattr(results, "newly_settled", None),
                      getattr(results, "shelter_capacity", None))
    if newly is None or shelter is None:
        return None
    inflow = getattr(results, "inflow", None)
    if inflow is None:
        inflow = np.zeros(np.shape(newly), dtype=np.int64)
    t, p = np.nonzero((newly != 0) | (shelter != 0) | (inflow != 0))
    dates = np.array(results.dates, dtype="datetime64[D]")
    return pa.table({"date": pa.array(dates[t]),
                     "place": pa.array([results.place_names[i] for i in p], pa.string()),
                     "newly_settled": pa.array(newly[t, p].astype(float)),
                     "shelter_capacity": pa.array(shelter[t, p].astype(np.int64)),
                     "inflow": pa.array(inflow[t, p].astype(np.int64))})


def place_groups_table(results) -> pa.Table | None:
    """date, place, category, people: per needs category (scenario.yaml `needs_groups`) the people
    of a run who depend on provision, where not 0 (None: the scenario declares no needs_groups)."""
    groups = getattr(results, "group_people", None)
    if not groups:
        return None
    dates = np.array(results.dates, dtype="datetime64[D]")
    parts = []
    for category, people in groups.items():
        t, p = np.nonzero(people)
        parts.append(pa.table({"date": pa.array(dates[t]),
                               "place": pa.array([results.place_names[i] for i in p], pa.string()),
                               "category": pa.array([category] * len(t), pa.string()),
                               "people": pa.array(np.asarray(people)[t, p].astype(float))}))
    return pa.concat_tables(parts)


def _looks_like_duckdb(path: Path) -> bool:
    """A DuckDB file says so in its first bytes (`DUCK` at byte 8); a CSV, a picture or a run's
    Parquet file given as a store does not, and gets a plain error, not DuckDB's own."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except OSError:
        return True                 # let DuckDB say what is wrong with it
    return len(head) == 12 and head[8:12] == b"DUCK"


class Store:
    """An open store. Use as a context manager; one process writes to a file at a time."""

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        if read_only and not self.path.is_file():
            raise ScenarioError("no such store (run `travesia ensemble` first)", file=self.path)
        if self.path.is_file() and not _looks_like_duckdb(self.path):
            raise ScenarioError("not a travesia store: not a valid DuckDB database file (a store "
                                "is the .duckdb file `travesia ensemble` or `calibrate` "
                                "writes)", file=self.path)
        if not read_only:
            if self.path.is_file():
                _refuse_damaged(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            reason = (
                "is in use by another process"
                if "lock" in str(exc).lower()
                else f"cannot be opened: {exc}"
            )
            raise ScenarioError(f"store {reason}", file=self.path) from None
        except duckdb.Error as exc:
            raise ScenarioError(f"not a travesia store (DuckDB says: {exc})",
                                file=self.path) from None
        try:
            if not read_only:
                self.con.execute(SCHEMA)
            elif not self.has_table("runs"):
                raise ScenarioError("not a travesia store (no table 'runs')", file=self.path)
        except duckdb.Error as exc:
            self.con.close()
            raise self.damaged(exc) from None

    def damaged(self, exc: Exception) -> ScenarioError:
        """The one-line error of a store DuckDB cannot read (cut short, overwritten)."""
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        return ScenarioError(f"the store is damaged or unreadable ({first}); `travesia store "
                             f"verify {self.path}` says which tables can still be read",
                             file=self.path)

    def _has_column(self, table: str, column: str) -> bool:
        """Whether a table has a column (a read-only store older than the column lacks it)."""
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND "
            "column_name = ?", [table, column]).fetchone()
        return bool(row and row[0])

    def branches(self, ensemble_id: str) -> list[str]:
        """The branches of the future an ensemble's finished runs took, in order of first run."""
        return list(dict.fromkeys(r["branch"] for r in self.runs(ensemble_id) if r["branch"]))

    def has_table(self, name: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [name]).fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        with contextlib.suppress(duckdb.Error):   # the error that matters is already raised
            self.close()
        # DuckDB reads a store's blocks when a query needs them, so damage surfaces in any
        # query: every `with Store(...)` turns it into one line naming the store
        if isinstance(exc, duckdb.Error):
            raise self.damaged(exc) from None

    def verify(self) -> list[dict]:
        """Each table read through to its last row, then each ensemble read as the commands read
        it (joins use blocks a plain scan does not): {part, rows} or {part, error}."""
        report = []

        def attempt(part: str, count) -> bool:
            try:
                report.append({"part": part, "rows": count()})
                return True
            except duckdb.Error as exc:
                report.append({"part": part,
                               "error": (str(exc).splitlines() or ["unreadable"])[0][:200]})
                return False

        def scan(table: str) -> int:
            # a cursor of its own: a result left open on the store's connection blocks others
            query = self.con.cursor().sql(f"SELECT * FROM {table}")
            return sum(batch.num_rows for batch in query.to_arrow_reader(65_536))

        for table in TABLES:
            attempt(table, lambda table=table: scan(table))
        found: list[dict] = []

        def list_ensembles() -> int:
            found.extend(self.ensembles())
            return len(found)

        if attempt("list of ensembles", list_ensembles):
            for ens in found:
                eid = ens["ensemble_id"]
                attempt(f"runs of ensemble {eid}", lambda eid=eid: len(self.runs(eid)))
        return report

    def unreadable_parts(self) -> list[str]:
        """The parts of `verify()` that cannot be read (none for a sound store)."""
        return [part["part"] for part in self.verify() if "error" in part]

    # --- writing --------------------------------------------------------------------------------
    def add_ensemble(self, ensemble_id: str, *, scenario: str, scenario_hash: str,
                     scenario_folder: str,
                     base_seed: int, days: int | None, vary: dict, base_parameters_json: str,
                     places: list[str], crossings: list[str],
                     members: list[tuple[str, int]]) -> None:
        """Record an ensemble and its members (run_id, index); idempotent."""
        self.con.begin()
        self.con.execute(
            "INSERT INTO ensembles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [ensemble_id, scenario, scenario_hash, scenario_folder, base_seed, days,
             json.dumps(vary),
             base_parameters_json, json.dumps(places), json.dumps(crossings), dt.datetime.now()])
        if members:
            table = pa.table({"ensemble_id": [ensemble_id] * len(members),
                              "run_id": [m[0] for m in members],
                              "run_index": pa.array([m[1] for m in members], pa.int32())})
            self.con.register("_members", table)
            self.con.execute("INSERT INTO ensemble_runs SELECT * FROM _members ON CONFLICT DO "
                             "NOTHING")
            self.con.unregister("_members")
        self.con.commit()

    def add_run(self, record: RunRecord, results: Results | None) -> None:
        """A finished run, whole, in one transaction (a failed one: its row and error only)."""
        self.con.begin()
        try:
            # a failed earlier try
            self.con.execute("DELETE FROM runs WHERE run_id = ?", [record.run_id])
            self.con.execute(
                "INSERT INTO runs (run_id, ensemble_id, scenario, scenario_hash, parameters, "
                "varied, seed, days, travesia_version, status, started, finished, wall_seconds, "
                "error, branch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [record.run_id, record.ensemble_id, record.scenario, record.scenario_hash,
                 record.parameters_json, record.varied_json, record.seed, record.days, __version__,
                 record.status, record.started, record.finished, record.wall_seconds, record.error,
                 record.branch])
            if results is not None:
                informal = (results.informal_table()
                            if getattr(results, "informal_names", None) else None)
                # None: a table the run does not have (Flee's: no crossings, places or groups)
                for table, columns, rows in (
                        ("daily", ["date", "place", "state", "people"], results.daily_table()),
                        ("places", ["date", "place", "newly_settled", "shelter_capacity",
                                    "inflow"], places_table(results)),
                        ("place_groups", ["date", "place", "category", "people"],
                         place_groups_table(results)),
                        ("informal", ["date", "informal_crossing", *INFORMAL_MEASURES], informal),
                        ("crossings", ["date", "crossing", *CROSSING_COLUMNS],
                         results.crossings_table())):
                    if rows is not None:
                        self._insert(table, columns, _with_run_id(rows, record.run_id))
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    def _insert(self, table: str, columns: list[str], rows: pa.Table) -> None:
        """Append a run's rows (run_id first) to one of the schema's tables."""
        self.con.register("_rows", rows)
        self.con.execute(f"INSERT INTO {table} SELECT run_id, {', '.join(columns)} FROM _rows")
        self.con.unregister("_rows")

    def set_meta(self, ensemble_id: str, meta: dict) -> None:
        """What else a reader must know of an ensemble (a fit's observation model, its timeline
        view)."""
        self.con.execute("INSERT OR REPLACE INTO ensemble_meta VALUES (?, ?)",
                         [ensemble_id, json.dumps(meta)])

    # --- reading --------------------------------------------------------------------------------
    def meta(self, ensemble_id: str) -> dict:
        """The ensemble's meta ({} if none, or in a store older than the table)."""
        if not self.has_table("ensemble_meta"):
            return {}
        row = self.con.execute("SELECT meta FROM ensemble_meta WHERE ensemble_id = ?",
                               [ensemble_id]).fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    def finished_run_ids(self) -> set[str]:
        return {r[0] for r
                in self.con.execute("SELECT run_id FROM runs WHERE status = 'finished'").fetchall()}

    def ensembles(self) -> list[dict]:
        cur = self.con.execute("""
            SELECT e.ensemble_id, e.scenario, e.scenario_hash, e.scenario_folder, e.base_seed,
                   e.days, e.vary, e.places, e.crossings, e.created, count(r.run_id) AS finished,
                   (SELECT count(*) FROM ensemble_runs m
                    WHERE m.ensemble_id = e.ensemble_id) AS planned
            FROM ensembles e
            LEFT JOIN ensemble_runs er USING (ensemble_id)
            LEFT JOIN runs r ON r.run_id = er.run_id AND r.status = 'finished'
            GROUP BY ALL ORDER BY e.created""")
        cols = [d[0] for d in cur.description]
        out = [dict(zip(cols, row)) for row in cur.fetchall()]
        for e in out:
            for key in ("vary", "places", "crossings"):
                e[key] = json.loads(e[key]) if e[key] else ({} if key == "vary" else [])
        return out

    def ensemble(self, ensemble_id: str | None) -> dict:
        """An ensemble by id (a unique prefix will do); none given: the latest one."""
        all_ = self.ensembles()
        if not all_:
            raise ScenarioError("the store holds no ensemble", file=self.path)
        if ensemble_id is None:
            return all_[-1]
        found = [e for e in all_ if e["ensemble_id"].startswith(ensemble_id)]
        if len(found) != 1:
            known = ", ".join(e["ensemble_id"] for e in all_)
            raise ScenarioError(f"{'no' if not found else 'more than one'} ensemble "
                                f"'{ensemble_id}' "
                                f"(in the store: {known})", file=self.path, field="--ensemble")
        return found[0]

    def runs(self, ensemble_id: str, branch: str | None = None) -> list[dict]:
        """Finished runs of an ensemble (those of one branch of the future, if named), in run
        order."""
        has_branch = self._has_column("runs", "branch")
        if branch is not None and not has_branch:
            return []
        cur = self.con.execute(
            f"""
            SELECT r.run_id, er.run_index, r.seed, r.parameters, r.varied, r.wall_seconds,
                   {'r.branch' if has_branch else 'NULL AS branch'}
            FROM ensemble_runs er JOIN runs r USING (run_id)
            WHERE er.ensemble_id = ? AND r.status = 'finished'
            {'AND r.branch = ?' if branch is not None else ''} ORDER BY er.run_index""",
            [ensemble_id] + ([branch] if branch is not None else []),
        )
        cols = [d[0] for d in cur.description]
        out = [dict(zip(cols, row)) for row in cur.fetchall()]
        for r in out:
            r["varied"] = json.loads(r["varied"]) if r["varied"] else {}
        return out

    def names(self, ensemble_id: str) -> tuple[list[str], list[str]]:
        """(crossings, places) of an ensemble's scenario, in its order."""
        ens = self.ensemble(ensemble_id)
        return ens["crossings"], ens["places"]

    def informal_names(self, ensemble_id: str) -> list[str]:
        """The informal crossings of an ensemble's runs (none: its scenario has none)."""
        return [r[0] for r in self.con.execute(
            "SELECT DISTINCT i.informal_crossing FROM informal i JOIN ensemble_runs er USING "
            "(run_id) WHERE er.ensemble_id = ? ORDER BY 1", [ensemble_id]).fetchall()]

    def series(self, ensemble_id: str, *, crossing: str | None = None, measure: str = "held",
               place: str | None = None, state: str | None = None,
               branch: str | None = None) -> tuple[list[dt.date], list[str], np.ndarray]:
        """(dates, run_ids, values [runs, days]) of one measure over an ensemble's finished runs.

        At a crossing, `held` is everyone held there (queue + stranded), as in the run summary;
        any column of the crossings table may be named; a measure of an informal crossing
        (measures.INFORMAL_MEASURES) at the informal crossing named by `crossing`. At a place,
        people in a state (missing rows of the daily table are zeros). `branch`: only the runs of
        that branch."""
        if place is None and measure != "held" and measure not in CROSSING_COLUMNS \
                and measure not in INFORMAL_MEASURES:
            raise ScenarioError(f"unknown measure '{measure}' (known: held, "
                                f"{', '.join(CROSSING_COLUMNS + list(INFORMAL_MEASURES))})",
                                field="--measure")
        runs = [r["run_id"] for r in self.runs(ensemble_id, branch)]
        if not runs:
            raise ScenarioError(f"ensemble {ensemble_id} has no finished run"
                                + (f" of branch '{branch}' (its branches: "
                                   f"{', '.join(self.branches(ensemble_id)) or 'none'})"
                                   if branch is not None else ""),
                                file=self.path, field="--branch" if branch else None)
        dates = [r[0] for r in self.con.execute(
            "SELECT DISTINCT date FROM crossings WHERE run_id = ? ORDER BY date",
            [runs[0]]).fetchall()]
        if not dates:   # a run without crossings (a Flee folder's): the days of its daily table
            dates = [r[0] for r in self.con.execute(
                "SELECT DISTINCT date FROM daily WHERE run_id = ? ORDER BY date",
                [runs[0]]).fetchall()]
        index = {d: i for i, d in enumerate(dates)}
        row_of = {r: i for i, r in enumerate(runs)}
        values = np.zeros((len(runs), len(dates)))
        if place is None and measure in INFORMAL_MEASURES:
            rows = self.con.execute(
                f"SELECT i.run_id, i.date, {measure} FROM informal i JOIN ensemble_runs er USING "
                "(run_id) WHERE er.ensemble_id = ? AND i.informal_crossing = ?",
                [ensemble_id, crossing]).fetchall()
        elif place is None:
            expr = "queue + stranded" if measure == "held" else measure
            rows = self.con.execute(
                f"SELECT c.run_id, c.date, {expr} FROM crossings c JOIN ensemble_runs er USING "
                "(run_id) "
                "WHERE er.ensemble_id = ? AND c.crossing = ?", [ensemble_id, crossing]).fetchall()
        else:
            rows = self.con.execute(
                "SELECT d.run_id, d.date, d.people FROM daily d JOIN ensemble_runs er USING "
                "(run_id) "
                "WHERE er.ensemble_id = ? AND d.place = ? AND d.state = ?",
                [ensemble_id, place, state]).fetchall()
        for run_id, date, value in rows:
            if run_id in row_of and date in index:
                values[row_of[run_id], index[date]] = value
        return dates, runs, values


def _with_run_id(table: pa.Table, run_id: str) -> pa.Table:
    """Plain (undictionaried) columns with the run's id in front, ready for INSERT ... SELECT."""
    cols = {"run_id": pa.array([run_id] * table.num_rows, pa.string())}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(pa.string())
        cols[name] = col
    return pa.table(cols)
