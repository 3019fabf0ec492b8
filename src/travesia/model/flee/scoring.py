"""Averaged relative difference (ARD) between simulated and observed camp counts (FLEE.md, Scoring).

For each day d: ARD_d = sum over camps |sim - data| / max(sum over camps data, 1); ARD is the mean
of ARD_d over the days. The rescaled variant first multiplies the simulated camp counts of day d
by (observed total / simulated total) so both totals agree (only when the simulated total is > 0,
as Flee's own analysis does); it scores where people went, not how many there were.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from travesia.errors import ScenarioError
from travesia.scenario.limits import read_input_text


def daily_relative_difference(sim: np.ndarray, data: np.ndarray, *,
                              rescaled: bool = False) -> np.ndarray:
    """Per day: sum over camps |sim - data| / max(sum data, 1). `sim`, `data`: (days, camps)."""
    sim = np.asarray(sim, dtype=float)
    data = np.asarray(data, dtype=float)
    if sim.shape != data.shape or sim.ndim != 2:
        raise ValueError(f"sim and data must be (days, camps) of one shape, got {sim.shape} and "
                         f"{data.shape}")
    obs_total = data.sum(axis=1)
    if rescaled:
        sim_total = sim.sum(axis=1)
        factor = np.divide(obs_total, sim_total, out=np.zeros_like(obs_total), where=sim_total > 0)
        sim = sim * factor[:, None]
    return np.abs(sim - data).sum(axis=1) / np.maximum(obs_total, 1.0)


def averaged_relative_difference(sim: np.ndarray, data: np.ndarray, *,
                                 rescaled: bool = False) -> float:
    """Mean over days of the daily relative difference."""
    daily = daily_relative_difference(sim, data, rescaled=rescaled)
    return float(daily.mean()) if daily.size else 0.0


def error_per_camp(sim: np.ndarray, data: np.ndarray,
                   camps: list[str]) -> dict[str, dict[str, float]]:
    """Per camp: mean absolute difference (people) and its share of the mean observed total."""
    sim = np.asarray(sim, dtype=float)
    data = np.asarray(data, dtype=float)
    mean_total = max(float(data.sum(axis=1).mean()) if data.size else 0.0, 1.0)
    out = {}
    for j, name in enumerate(camps):
        mad = float(np.abs(sim[:, j] - data[:, j]).mean()) if sim.shape[0] else 0.0
        out[name] = {
            "mean_abs_difference": mad,
            "share_of_mean_observed_total": mad / mean_total,
            "sim_last_day": float(sim[-1, j]) if sim.shape[0] else 0.0,
            "data_last_day": float(data[-1, j]) if sim.shape[0] else 0.0,
        }
    return out


def read_out_csv(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Camp names, simulated and observed counts (days x camps) from a Flee-layout out.csv."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError("no out.csv here: run a Flee case into this folder first", file=path)
    reader = csv.reader(io.StringIO(read_input_text(path), newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ScenarioError(f"malformed CSV: {exc}", file=path, row=reader.line_num) from None
    if not rows:
        raise ScenarioError("empty file", file=path)
    header = [h.strip() for h in rows[0]]
    camps = [h[: -len(" sim")] for h in header if h.endswith(" sim")]
    if not camps:
        raise ScenarioError("no '<camp> sim' columns: not Flee's out.csv layout", file=path, row=1)
    cols = []
    for name in camps:
        for kind in ("sim", "data"):
            key = f"{name} {kind}"
            if key not in header:
                raise ScenarioError(f"column '{key}' is missing", file=path, row=1, field=key)
            cols.append(header.index(key))
    values = np.zeros((len(rows) - 1, len(cols)))
    for i, row in enumerate(rows[1:]):
        for k, c in enumerate(cols):
            try:
                values[i, k] = float(row[c])
            except (IndexError, ValueError):
                raise ScenarioError("not a number", file=path, row=i + 2, field=header[c]) from None
    return camps, values[:, 0::2], values[:, 1::2]


def score_out_csv(path: Path) -> dict:
    """ARD (normal, rescaled) and the error per camp of a Flee-layout out.csv."""
    camps, sim, data = read_out_csv(path)
    return {
        "ard": averaged_relative_difference(sim, data),
        "ard_rescaled": averaged_relative_difference(sim, data, rescaled=True),
        "days": int(sim.shape[0]),
        "error_per_camp": error_per_camp(sim, data, camps),
    }


def score_run_dir(run_dir: Path) -> dict:
    """Score a run folder's out.csv and write score.json beside it."""
    run_dir = Path(run_dir)
    result = score_out_csv(run_dir / "out.csv")
    (run_dir / "score.json").write_text(json.dumps(result, indent=2))
    return result
