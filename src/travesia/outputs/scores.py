"""Forecast scores against observed counts, and the two naive forecasts every score is compared
with.

A forecast of one observation is a sample of values (an ensemble's runs at that date; a single
run or a naive forecast is a sample of one). Each observation is compared with the model series
its `compare` column names at its `crossing` (observations.py). An observation with a reported
range [value_low, value_high] (one side may be open) counts the forecast as right when it falls
inside the range; a point observation is a range of one value. So, per observation:

* `abs_error`: distance from the forecast median to the observed range (0 inside it);
* `log_error`: the same distance on the log(1 + count) scale;
* `hit`: the median inside the range (ranges only);
* `in_50`, `in_90`: the forecast's central 50% / 90% interval overlaps the observed range;
* `wis`: the weighted interval score (Bracher et al. 2021, PLoS Comput Biol 17:e1008618) over
  the median and the 11 central intervals of the COVID-19 Forecast Hub (2%, 5%, 10%, 20%, ..., 90%
  levels of alpha); against a range, its lowest value over the range. For a point forecast the
  WIS is the absolute error.

The naive forecasts: `last` carries forward the last value observed before the date scored (the
latest earlier observation of the same crossing and measure; the median if several share that
date; 0 when nothing was observed before); `zero` forecasts nobody. For Flee-style runs (an
out.csv of camps) the score is the averaged relative difference (flee/scoring.py), with the same
two naive forecasts (first observed day carried forward; zero).

Rows reporting one event (the same `event` id) weigh 1/n each, so the summary's means count that
event once; `events` is the sum of the weights. A fitted forecast is scored as a forecast of the
report, not of the model's value: its sample is the runs' values with the reporting error the fit
assumed drawn onto each (`with_reporting_noise`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any
from pathlib import Path

import numpy as np

from travesia.errors import ObservationError, ScenarioError
from travesia.scenario.measures import CROSSING_MEASURES, INFORMAL_MEASURES
from travesia.scenario.observations import (
    Observation,
    ObservationModel,
    event_weights,
    check_compared,
    read_observations,
)

# WIS: the median and the central intervals at these alphas (levels 98%, 95%, 90%, 80%, ..., 10%)
WIS_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
FORECASTS = ("model", "naive_last", "naive_zero")


# --- one observation ------------------------------------------------------------------------------

def observed_range(o: Observation) -> tuple[float, float]:
    """[low, high] of an observation: its reported range (an open side is 0 or infinity), or its
    value."""
    if o.low is None and o.high is None:
        return o.value, o.value
    return (o.low if o.low is not None else 0.0), (o.high if o.high is not None else math.inf)


def distance_to_range(x: float, low: float, high: float) -> float:
    return max(low - x, x - high, 0.0)


def interval_score(lower: float, upper: float, y: float, alpha: float) -> float:
    """Width plus 2/alpha times the distance by which y falls outside [lower, upper]."""
    return (upper - lower) + (2.0 / alpha) * (max(lower - y, 0.0) + max(y - upper, 0.0))


def weighted_interval_score(sample: np.ndarray, y: float) -> float:
    """WIS of a sample forecast for the value y (quantiles by linear interpolation)."""
    return _wis_from_quantiles(_wis_quantiles(sample), y)


def _wis_quantiles(sample: np.ndarray) -> np.ndarray:
    levels = [0.5] + [a / 2 for a in WIS_ALPHAS] + [1 - a / 2 for a in WIS_ALPHAS]
    return np.quantile(np.asarray(sample, dtype=float), levels)


def _wis_from_quantiles(q: np.ndarray, y: float) -> float:
    K = len(WIS_ALPHAS)
    total = 0.5 * abs(y - q[0])
    for k, alpha in enumerate(WIS_ALPHAS):
        total += alpha / 2 * interval_score(q[1 + k], q[1 + K + k], y, alpha)
    return total / (K + 0.5)


def range_wis(sample: np.ndarray, low: float, high: float) -> float:
    """The lowest WIS over the values of an observed range (WIS is convex and piecewise linear in
    y, so its lowest value is at an end of the range or at a quantile inside it)."""
    q = _wis_quantiles(sample)
    candidates = [low] + ([high] if math.isfinite(high)
                          else []) + [v for v in q if low <= v <= high]
    return min(_wis_from_quantiles(q, y) for y in candidates)


def score_one(sample: np.ndarray, o: Observation) -> dict:
    """The scores of one forecast (a sample of values) of one observation."""
    sample = np.asarray(sample, dtype=float)
    low, high = observed_range(o)
    q05, q25, median, q75, q95 = np.quantile(sample, (0.05, 0.25, 0.5, 0.75, 0.95))
    ranged = o.low is not None or o.high is not None
    return {
        "median": float(median),
        "p05": float(q05),
        "p95": float(q95),
        "abs_error": distance_to_range(median, low, high),
        "log_error": distance_to_range(math.log1p(max(median, 0.0)), math.log1p(low),
                                       math.log1p(high)),
        "hit": bool(low <= median <= high) if ranged else None,
        "in_50": bool(q25 <= high and q75 >= low),
        "in_90": bool(q05 <= high and q95 >= low),
        "wis": range_wis(sample, low, high),
    }


# --- naive forecasts ------------------------------------------------------------------------------

def series_key(o: Observation) -> tuple[str, str] | None:
    """(crossing, model measure) an observation compares with, or None if it is not comparable."""
    if not o.crossing or not o.compare:
        return None
    return o.crossing, o.compare


def last_value(known: list[Observation], key: tuple[str, str] | None, before: dt.date) -> float:
    """The naive 'last value carried forward': the median of the latest observations of a series
    dated before `before` (0 when there is none)."""
    earlier = [o for o in known if series_key(o) == key and o.date < before]
    if not earlier:
        return 0.0
    latest = max(o.date for o in earlier)
    return float(np.median([o.value for o in earlier if o.date == latest]))


# --- many observations ----------------------------------------------------------------------------

@dataclass
class ScoreTable:
    """Per-observation scores of the model and of the naive forecasts, and their summary."""

    rows: list[dict]

    def summary(self) -> dict:
        weights = [r.get("weight", 1.0) for r in self.rows]
        out: dict[str, Any] = {"observations": len(self.rows),
                               "events": round(float(sum(weights)), 6),
               "ranged": sum(1 for r in self.rows if r["ranged"])}
        for f in FORECASTS:
            out[f] = summarise([r[f] for r in self.rows], weights)
        if self.rows:
            out["model_beats_naive"] = {
                "wis_vs_last": out["model"]["wis"] < out["naive_last"]["wis"],
                "wis_vs_zero": out["model"]["wis"] < out["naive_zero"]["wis"],
            }
        return out

    def to_dict(self) -> dict:
        return {"summary": self.summary(), "observations": self.rows}


def summarise(scores: list[dict], weights: list[float] | None = None) -> dict:
    """Weighted means (weights: event_weights; default 1 each) of the errors and the WIS, the
    interval coverages, and the ranges hit (rows)."""
    if not scores:
        return {}
    w = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=float)

    def mean(key: str) -> float:
        return float(np.average([float(s[key]) for s in scores], weights=w))

    hits = [s["hit"] for s in scores if s["hit"] is not None]
    return {
        "mean_abs_error": mean("abs_error"),
        "mean_log_error": mean("log_error"),
        "ranges_hit": f"{sum(hits)}/{len(hits)}",
        "coverage_50": mean("in_50"),
        "coverage_90": mean("in_90"),
        "wis": mean("wis"),
    }


NOISE_DRAWS = 50


def with_reporting_noise(samples: list[np.ndarray], model: ObservationModel, *,
                         draws: int = NOISE_DRAWS,
                         seed: int = 0) -> list[np.ndarray]:
    """Each observation's sample of model values turned into a sample of reports: `draws` draws of
    the reporting error per run (seeded by `seed` and the observation's position: reproducible)."""
    return [model.reports(sample, draws, np.random.default_rng([seed & 0xFFFFFFFF, 0x5EED, i]))
            for i, sample in enumerate(samples)]


def score_forecasts(observations: list[Observation], samples: list[np.ndarray],
                    known: list[Observation] | None = None,
                    known_until: dt.date | None = None) -> ScoreTable:
    """Score model samples (one array per observation) and both naive forecasts.

    The naive 'last value' of an observation uses `known` (default: the observations themselves)
    dated before the observation, and not after `known_until` when given (a backtest's date)."""
    known = list(observations if known is None else known)
    if known_until is not None:
        known = [o for o in known if o.date <= known_until]
    rows = []
    for o, sample, weight in zip(observations, samples, event_weights(observations)):
        key = series_key(o)
        last = last_value(known, key, o.date)
        rows.append({
            "date": o.date.isoformat(), "crossing": o.crossing, "compare": o.compare,
            "value": o.value,
            "low": o.low, "high": o.high, "ranged": o.low is not None or o.high is not None,
            "source": o.source, "event": o.event, "weight": float(weight),
            "model": score_one(sample, o),
            "naive_last": score_one(np.array([last]), o),
            "naive_zero": score_one(np.array([0.0]), o),
        })
    return ScoreTable(rows)


def comparable(observations: list[Observation], crossings: list[str], start: dt.date, end: dt.date,
               measures: set[str] | None = None) -> list[Observation]:
    """Observations a run can be compared with: a known crossing and measure, inside its period."""
    return [o for o in observations if series_key(o) and o.crossing in crossings and start
            <= o.date <= end
            and (measures is None or o.compare in measures)]


# --- reading runs and stores ----------------------------------------------------------------------

# measures.py: a crossing's series, or an informal crossing's (`crossing` then names the informal
# crossing: the Darién's monthly counts are of people who walked the jungle path)
MODEL_MEASURES = set(CROSSING_MEASURES) | set(INFORMAL_MEASURES)


def series_of(results, name: str, measure: str) -> np.ndarray:
    """[T] one run's series of a crossing, or of an informal crossing for an informal measure."""
    if measure in INFORMAL_MEASURES:
        return results.informal[measure][:, results.informal_names.index(name)]
    return results.at_crossing(name, measure)


def samples_from_results(results_list, observations: list[Observation]) -> list[np.ndarray]:
    """[runs] values of each observation's series at its date, from Results objects."""
    out = []
    for o in observations:
        assert o.crossing and o.compare, "only comparable observations (comparable())"
        day = (o.date - results_list[0].start).days
        out.append(np.array([float(series_of(r, o.crossing, o.compare)[day])
                             for r in results_list]))
    return out


def _run_dir_samples(run_dir: Path,
                     observations: list[Observation]) -> tuple[list[Observation], list]:
    import pyarrow.parquet as pq

    table = pq.read_table(run_dir / "crossings.parquet").to_pydict()
    series: dict[tuple, int] = {}
    for i, (date, crossing) in enumerate(zip(table["date"], table["crossing"])):
        series[(crossing, date)] = i
    dates = sorted(set(table["date"]))
    crossings = sorted(set(table["crossing"]))
    informal = _run_dir_informal(run_dir)
    obs = paired(comparable(observations, crossings + sorted({k[0] for k in informal}), dates[0],
                            dates[-1], MODEL_MEASURES), set(crossings))
    samples = []
    for o in obs:
        if o.compare in INFORMAL_MEASURES:
            value = informal.get((o.crossing or "", o.date), {}).get(o.compare, 0)
        else:
            i = series[(o.crossing, o.date)]
            value = (table["queue"][i]
                     + table["stranded"][i]) if o.compare == "held" else table[o.compare][i]
        samples.append(np.array([float(value)]))
    return obs, samples


def paired(observations: list[Observation], crossings: set[str]) -> list[Observation]:
    """Only a crossing's measures at a crossing and an informal crossing's at an informal one."""
    return [o for o in observations
            if (o.crossing in crossings) != (o.compare in INFORMAL_MEASURES)]


def _run_dir_informal(run_dir: Path) -> dict[tuple[str, dt.date], dict[str, int]]:
    """A run folder's informal.csv as {(informal crossing, date): {measure: people}} (empty
    without informal crossings)."""
    import csv

    path = run_dir / "informal.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {(r["informal_crossing"], dt.date.fromisoformat(r["date"])):
                {m: int(r[m]) for m in INFORMAL_MEASURES if r.get(m)} for r in csv.DictReader(f)}


def _store_samples(store_path: Path, observations: list[Observation] | None,
                   ensemble_id: str | None = None) -> tuple[list[Observation], list, dict]:
    from travesia.outputs.store import Store

    with Store(store_path, read_only=True) as store:
        ens = store.ensemble(ensemble_id)
        ens["meta"] = store.meta(ens["ensemble_id"])
        if observations is None:
            observations = _scenario_observations(ens["scenario_folder"], ens["scenario"],
                                                  ens["scenario_hash"], where=store_path)
        cache: dict[tuple[str, str], tuple] = {}
        obs, samples = [], []
        informal = set(store.informal_names(ens["ensemble_id"]))
        for o in observations:
            key = series_key(o)
            if key is None or o.compare not in MODEL_MEASURES \
                    or not (o.crossing in informal if o.compare in INFORMAL_MEASURES
                            else o.crossing in ens["crossings"]):
                continue
            if key not in cache:
                dates, _, values = store.series(ens["ensemble_id"], crossing=o.crossing,
                                                measure=o.compare)
                cache[key] = ({d: i for i, d in enumerate(dates)}, values)
            index, values = cache[key]
            if o.date not in index:
                continue
            obs.append(o)
            samples.append(values[:, index[o.date]])
    return obs, samples, ens


def _scenario_observations(folder: str | None, name: str | None, content_hash: str | None,
                           where: Path) -> list[Observation]:
    """The observations of the scenario a run or store came from (its folder, else a built-in
    name)."""
    from travesia.scenario import load_scenario

    for candidate in (folder, name):
        if not candidate:
            continue
        try:
            sc = load_scenario(candidate)
        except ScenarioError:
            continue
        if sc.spec.observations and (content_hash is None or sc.content_hash == content_hash):
            return read_observations(sc.folder / sc.spec.observations)
    raise ObservationError("no observations known for this run's scenario: give --observations "
                           "FILE", file=where)


def score_path(path: Path, observations: Path | None = None, *,
               observation_noise: bool = True) -> dict:
    """Scores of a run folder (daily.parquet, crossings.parquet, summary.json), an ensemble store
    (.duckdb) or a Flee-style run folder (out.csv) against observations (default: the scenario's).
    An ensemble made by a fit (calibrate, forecast) records the reporting error it assumed: its
    sample gets that noise unless `observation_noise` is false. Prints nothing."""
    path = Path(path)
    obs_list = read_observations(observations) if observations else None
    if path.is_dir() and (path
                          / "out.csv").is_file() and not (path / "crossings.parquet").is_file():
        return score_flee_out(path / "out.csv")
    if path.is_dir():
        if not (path / "crossings.parquet").is_file():
            raise ScenarioError("not a run folder (no crossings.parquet or out.csv here)",
                                file=path)
        try:
            summary = json.loads((path / "summary.json").read_text(encoding="utf-8")) \
                if (path / "summary.json").is_file() else {}
            if obs_list is None:
                obs_list = _scenario_observations(None, summary.get("scenario"),
                                                  summary.get("scenario_hash"), path)
            obs, samples = _run_dir_samples(path, obs_list)
            if observations:
                import pyarrow.parquet as pq

                crossings = pq.read_table(path / "crossings.parquet", columns=["crossing"])
                check_compared(obs_list, observations,
                               sorted(set(crossings["crossing"].to_pylist())),
                               list(summary.get("informal_crossings") or {}))
        except (OSError, ValueError) as exc:       # damaged files: JSON, Parquet, not UTF-8
            raise ScenarioError(f"cannot read the run's files: {exc}", file=path) from None
        kind, extra = "run", {"scenario": summary.get("scenario"), "seed": summary.get("seed")}
    elif path.is_file():
        obs, samples, ens = _store_samples(path, obs_list)
        if observations:
            from travesia.outputs.store import Store

            with Store(path, read_only=True) as store:
                informal = store.informal_names(ens["ensemble_id"])
            check_compared(obs_list or [], observations, ens["crossings"], informal)
        kind, extra = "ensemble", {"scenario": ens["scenario"], "ensemble_id": ens["ensemble_id"],
                                   "runs": int(len(samples[0])) if samples else 0}
        noise = ens["meta"].get("observation_model")
        if noise and observation_noise:
            samples = with_reporting_noise(samples, ObservationModel.from_dict(noise),
                                           seed=int(ens["meta"].get("noise_seed", 0)))
        extra["observation_noise"] = noise if observation_noise else None
    else:
        raise ScenarioError("no such run folder or store", file=path)
    if not obs:
        raise ObservationError("no observation falls on a crossing, measure and date of this run",
                               file=path)
    table = score_forecasts(obs, samples, known=obs_list)
    return {"kind": kind, **extra, **table.to_dict()}


def score_flee_out(out_csv: Path) -> dict:
    """ARD of a Flee-style out.csv, beside the ARD of the two naive forecasts."""
    from travesia.model.flee.scoring import (
        averaged_relative_difference,
        read_out_csv,
        score_out_csv,
    )

    result = score_out_csv(out_csv)
    _, _, data = read_out_csv(out_csv)
    carried = np.repeat(data[:1], len(data), axis=0) if len(data) else data
    result["naive_last"] = {"ard": averaged_relative_difference(carried, data)}
    result["naive_zero"] = {"ard": averaged_relative_difference(np.zeros_like(data), data)}
    result["model_beats_naive"] = {"ard_vs_last": result["ard"] < result["naive_last"]["ard"],
                                   "ard_vs_zero": result["ard"] < result["naive_zero"]["ard"]}
    return {"kind": "flee", **result}
