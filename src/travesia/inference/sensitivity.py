"""Which varied parameters move the peak number of people held at each crossing most.

Two rank measures over an ensemble's runs, both cheap and free of distribution assumptions:
* Spearman's rank correlation between a parameter's drawn values and the run's peak held
  (queue + stranded, the run summary's `peak_held`);
* the partial rank correlation (PRCC): the same after removing, by linear regression on ranks,
  what the other varied parameters explain. When several parameters vary at once it separates
  their effects better. (Sobol indices would need SALib, 400 MB, and a designed sample.)
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from travesia.errors import ScenarioError
from travesia.outputs.store import Store


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    r = np.empty(len(x))
    r[order] = np.arange(1, len(x) + 1)
    # average over runs of equal values
    _, start, counts = np.unique(sorted_x, return_index=True, return_counts=True)
    for s, c in zip(start, counts):
        if c > 1:
            r[order[s:s + c]] = s + (c + 1) / 2
    return r


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b / den) if den > 0 else float("nan")


def spearman(x, y) -> float:
    return _corr(ranks(x), ranks(y))


def partial_rank_correlations(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """PRCC of each column of X [runs, k] with y."""
    R = np.column_stack([ranks(c) for c in X.T]) if X.size else X
    ry = ranks(y)
    out = np.full(X.shape[1], np.nan)
    for j in range(X.shape[1]):
        others = np.column_stack([np.ones(len(y))] + [R[:, i] for i in range(X.shape[1]) if i != j])
        res_x = R[:, j] - others @ np.linalg.lstsq(others, R[:, j], rcond=None)[0]
        res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        out[j] = _corr(res_x, res_y)
    return out


@dataclass
class SensitivityRow:
    crossing: str
    parameter: str
    spearman: float
    prcc: float
    runs: int

    @property
    def clear(self) -> bool:
        """|rho| beyond what chance gives 1 time in 20 with no effect (≈ 1.96 / sqrt(n - 1))."""
        return (
            self.runs > 3
            and not math.isnan(self.spearman)
            and abs(self.spearman) > 1.96 / math.sqrt(self.runs - 1)
        )


def peak_held(store: Store, ensemble_id: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """(run_ids, {crossing: peak held per run}); 'all crossings' is the peak of their sum."""
    runs = [r["run_id"] for r in store.runs(ensemble_id)]
    rows = store.con.execute("""
        SELECT c.run_id, c.crossing, max(c.queue + c.stranded)
        FROM crossings c JOIN ensemble_runs er USING (run_id)
        WHERE er.ensemble_id = ? GROUP BY ALL""", [ensemble_id]).fetchall()
    total = store.con.execute("""
        SELECT run_id, max(held) FROM (
            SELECT c.run_id, c.date, sum(c.queue + c.stranded) AS held
            FROM crossings c JOIN ensemble_runs er USING (run_id)
            WHERE er.ensemble_id = ? GROUP BY ALL) GROUP BY run_id""", [ensemble_id]).fetchall()
    index = {r: i for i, r in enumerate(runs)}
    peaks: dict[str, np.ndarray] = {}
    for run_id, crossing, value in rows:
        if run_id in index:
            peaks.setdefault(crossing, np.zeros(len(runs)))[index[run_id]] = value
    peaks = dict(sorted(peaks.items()))
    if len(peaks) > 1:
        peaks["all crossings"] = np.zeros(len(runs))
        for run_id, value in total:
            if run_id in index:
                peaks["all crossings"][index[run_id]] = value
    return runs, peaks


def sensitivity(store: Store, ensemble_id: str) -> list[SensitivityRow]:
    """Rows per crossing and varied parameter, strongest |Spearman| first within each crossing."""
    runs = store.runs(ensemble_id)
    names = sorted({k for r in runs for k in r["varied"]})
    if not names:
        raise ScenarioError(f"ensemble {ensemble_id} varied no parameter (use --vary or the "
                            "scenario's priors)",
                            file=store.path)
    numeric = [n for n in names if all(isinstance(r["varied"].get(n), (int, float)) for r in runs)]
    if len(runs) < 4:
        raise ScenarioError(f"ensemble {ensemble_id} has {len(runs)} finished runs; rank "
                            "correlations need "
                            "at least 4", file=store.path)
    X = np.array([[float(r["varied"][n]) for n in numeric] for r
                  in runs]).reshape(len(runs), len(numeric))
    varying = [j for j in range(X.shape[1]) if np.ptp(X[:, j]) > 0]
    X, numeric = X[:, varying], [numeric[j] for j in varying]
    _, peaks = peak_held(store, ensemble_id)
    out = []
    for crossing, y in peaks.items():
        if np.ptp(y) == 0:   # the peak did not move: nothing to rank
            out += [SensitivityRow(crossing, n, float("nan"), float("nan"),
                                   len(runs)) for n in numeric]
            continue
        prcc = partial_rank_correlations(X,
                                         y) if len(numeric) > 1 and len(runs) > len(numeric) + 2 \
            else np.full(len(numeric), np.nan)
        rows = [SensitivityRow(crossing, n, spearman(X[:, j], y), float(prcc[j]), len(runs))
                for j, n in enumerate(numeric)]
        rows.sort(key=lambda r: -abs(r.spearman) if not math.isnan(r.spearman) else 0)
        out += rows
    return out


def write_sensitivity(rows: list[SensitivityRow], out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "sensitivity.csv", "json": out / "sensitivity.json"}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["crossing", "parameter", "spearman", "prcc", "runs", "clear"])
    for r in rows:
        writer.writerow([r.crossing, r.parameter, f"{r.spearman:.4f}", f"{r.prcc:.4f}", r.runs,
                         int(r.clear)])
    records = [{"crossing": r.crossing, "parameter": r.parameter,
                "spearman": None if math.isnan(r.spearman) else round(r.spearman, 4),
                "prcc": None if math.isnan(r.prcc) else round(r.prcc, 4), "runs": r.runs,
                "clear": r.clear}
               for r in rows]
    for key, text in (("csv", buf.getvalue()), ("json", json.dumps(records, indent=2))):
        tmp = paths[key].with_suffix(paths[key].suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(paths[key])
    return paths
