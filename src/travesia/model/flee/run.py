"""Run a Flee folder to the end and write its results (out.csv in Flee's layout, daily.parquet,
summary.json); score a run folder."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np

from travesia.model.flee.reader import read_case
from travesia.model.flee.scoring import averaged_relative_difference
from travesia.model.flee.scoring import score_run_dir as _score_run_dir
from travesia.model.flee.simulation import FleeSimulation


class DailyRecord:
    """What a run keeps of each day: counts per place, per link, per camp with its observation."""

    def __init__(self, sim: FleeSimulation, days: int) -> None:
        self.sim = sim
        w = sim.world
        self.places = np.zeros((days, len(w.names)), np.int64)
        self.links = np.zeros((days, len(w.link_src)), np.int64)
        self.camps = sim.camps
        self.camp_series = [sim.case.camp_counts.get(w.names[c]) for c in self.camps]
        self.observed = np.zeros((days, len(self.camps)), np.int64)
        for j, ser in enumerate(self.camp_series):
            if ser is not None:
                self.observed[:, j] = ser.levels(np.arange(days))
        self.agents = np.zeros(days, np.int64)
        self.raw = np.zeros(days, np.int64)
        self.debt = np.zeros(days, np.int64)

    def record(self, t: int) -> None:
        s = self.sim
        self.places[t] = s.place_count
        self.links[t] = s.link_count
        self.agents[t] = s.agents_present()
        self.raw[t] = s.raw_total
        self.debt[t] = s.debt

    @property
    def simulated_camps(self) -> np.ndarray:
        return self.places[:, self.camps]


def write_out_csv(path: Path, rec: DailyRecord, start_date) -> None:
    """Flee's out.csv: Day,Date, per camp '<c> sim,<c> data,<c> error', then the totals."""
    names = [rec.sim.world.names[c] for c in rec.camps]
    head = ["Day", "Date"]
    for n in names:
        head += [f"{n} sim", f"{n} data", f"{n} error"]
    head += ["Total error", "refugees in camps (UNHCR)", "total refugees (simulation)",
             "raw UNHCR refugee count", "refugees in camps (simulation)", "refugee_debt"]
    lines = [",".join(head)]
    sim = rec.simulated_camps
    for t in range(sim.shape[0]):
        row = [str(t), (start_date + timedelta(days=t)).isoformat()]
        for j in range(len(names)):
            s, o = int(sim[t, j]), int(rec.observed[t, j])
            err = abs(s / o - 1.0) if o > 1e-5 else 0.0
            row += [str(s), str(o), repr(round(float(err), 6))]
        abs_sum = float(np.abs(sim[t] - rec.observed[t]).sum())
        total_err = abs_sum / rec.raw[t] if rec.raw[t] > 0 else 0.0
        row += [repr(round(float(total_err), 6)), str(int(rec.observed[t].sum())),
                str(int(rec.agents[t])),
                str(int(rec.raw[t])), str(int(sim[t].sum())), str(int(rec.debt[t]))]
        lines.append(",".join(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_daily_parquet(path: Path, rec: DailyRecord, start_date) -> None:
    """Long table: date, place, state ('at_location' per place, 'in_transit' per link), people.
    Links carry 'A->B' as place and appear only on days with someone on them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    w = rec.sim.world
    days = rec.places.shape[0]
    dates = np.array([start_date + timedelta(days=t) for t in range(days)], dtype="datetime64[D]")
    n = len(w.names)
    link_names = [f"{w.names[a]}->{w.names[b]}" for a, b in zip(w.link_src, w.link_dst)]
    t_idx, k_idx = np.nonzero(rec.links)
    place_names = np.array(w.names + link_names, dtype=object)
    d = np.concatenate([np.repeat(dates, n), dates[t_idx]])
    place = np.concatenate([np.tile(np.arange(n), days), n + k_idx])
    state = np.concatenate([np.zeros(days * n, np.int8), np.ones(len(t_idx), np.int8)])
    people = np.concatenate([rec.places.reshape(-1), rec.links[t_idx, k_idx]])
    table = pa.table({
        "date": pa.array(d),
        "place": pa.DictionaryArray.from_arrays(pa.array(place.astype(np.int32)),
                                                pa.array(place_names.tolist())),
        "state": pa.DictionaryArray.from_arrays(pa.array(state),
                                                pa.array(["at_location", "in_transit"])),
        "people": pa.array(people.astype(np.int64)),
    })
    pq.write_table(table, path)


def run_flee_folder(folder: Path, *, settings: Path | None = None, seed: int = 0,
                    out_dir: Path | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    """Run a Flee folder to its last day with the Flee ruleset. Writes out.csv (Flee's layout),
    daily.parquet and summary.json into `out_dir` when given; returns the summary."""
    t_start = time.perf_counter()
    folder = Path(folder)
    case = read_case(folder, settings)
    sim = FleeSimulation(case, seed=seed)
    sim.warm_up()
    days = case.length_days
    rec = DailyRecord(sim, days)
    engine = 0.0
    for t in range(days):
        t0 = time.perf_counter()
        sim.step()
        engine += time.perf_counter() - t0
        rec.record(t)
        if progress is not None:
            progress(t + 1, days)
    sim_camps = rec.simulated_camps
    summary = {
        "case": case.name,
        "case_folder": str(folder.resolve()),     # where the dashboard finds the case's map
        "ruleset": "flee",
        "seed": seed,
        "settings": str(case.settings_file) if case.settings_file else None,
        "hasten": case.settings.hasten,
        "start_date": case.start_date.isoformat(),
        "days": days,
        "agents_at_end": int(rec.agents[-1]) if days else 0,
        "agent_steps": int(sim.agent_steps),
        "engine_seconds": engine,
        "agent_steps_per_second": sim.agent_steps / engine if engine > 0 else 0.0,
        "ard": averaged_relative_difference(sim_camps, rec.observed),
        "ard_rescaled": averaged_relative_difference(sim_camps, rec.observed, rescaled=True),
    }
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_out_csv(out_dir / "out.csv", rec, case.start_date)
        write_daily_parquet(out_dir / "daily.parquet", rec, case.start_date)
    summary["wall_seconds"] = time.perf_counter() - t_start
    if out_dir is not None:
        (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def score_run_dir(run_dir: Path) -> dict:
    """ARD (normal and rescaled) and the error per camp of a run folder's out.csv; writes
    score.json."""
    return _score_run_dir(run_dir)
