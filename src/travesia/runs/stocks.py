"""`travesia stocks`: project a stocks folder month by month, compare it with the published
estimates it names, and write the monthly table (docs/stocks.md)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from travesia.errors import ScenarioError
from travesia.model.stocks import APPLIED, StockPath, compile_plan, measure_weights, project
from travesia.runs.priors import Prior, draw_values, parse_vary
from travesia.runs.runner import publish_folder, staging_folder
from travesia.scenario.stocks_format import StocksInput, load_stocks

MAX_DRAWS = 100_000
BAND = (5, 95)        # the percentiles of the draws shown beside the central projection


@dataclass(frozen=True)
class Comparison:
    """The model beside one published figure: `role` says whether values were set against it
    (`set`), it is a check the values never saw (`check`) or a different measure shown beside the
    model (`related`)."""

    date: str
    measure: str
    role: str
    estimate: float
    model: float
    pct_diff: float
    source: str
    note: str | None
    model_low: float | None = None     # 5th and 95th percentiles over the draws, if any
    model_high: float | None = None


@dataclass(frozen=True)
class StocksReport:
    name: str
    title: str
    path: StockPath
    comparisons: list[Comparison]
    draws: int = 0

    def to_json(self) -> dict:
        last = self.path.stocks[-1]
        return {
            "name": self.name, "title": self.title,
            "start": str(self.path.dates[0]), "end": str(self.path.dates[-1]),
            "final_stocks": {cell: round(float(v), 1) for cell, v in
                             zip(self.path.cells, last, strict=True)},
            "draws": self.draws,
            "comparisons": [asdict(c) for c in self.comparisons],
        }


def stock_priors(data: StocksInput) -> dict[str, Prior]:
    """The folder's priors (stocks.yaml `priors:`), each a distribution of a multiplier."""
    priors = {}
    for name, text in data.spec.priors.items():
        written = json.dumps(text) if isinstance(text, list) else text
        try:
            priors[name] = parse_vary(f"{name}={written}", check=lambda *_, **__: None)
        except ScenarioError as exc:
            raise ScenarioError(exc.reason, file=data.folder / "stocks.yaml",
                                field=f"priors.{name}") from None
        prior = priors[name]
        if prior.dist == "values" and any(isinstance(v, (str, bool)) for v in prior.args[0]):
            raise ScenarioError("a multiplier's values must be numbers",
                                file=data.folder / "stocks.yaml", field=f"priors.{name}")
    return priors


def _observed(data: StocksInput, last: dt.date) -> list:
    return [obs for _, obs in sorted(data.observations,
                                     key=lambda item: (item[1].date, item[1].measure))
            if obs.date <= last]


def _models(data: StocksInput, path: StockPath, factors: dict[str, float] | None) -> np.ndarray:
    return np.array([float(path.at(obs.date) @ measure_weights(data.spec.measures[obs.measure],
                                                                path.cells, factors))
                     for obs in _observed(data, path.dates[-1])])


def compare(data: StocksInput, path: StockPath) -> list[Comparison]:
    """Each observation within the projection beside the model's figure of its measure."""
    rows = []
    for obs, model in zip(_observed(data, path.dates[-1]), _models(data, path, None),
                          strict=True):
        pct = (model - obs.value) / obs.value * 100
        rows.append(Comparison(date=str(obs.date), measure=obs.measure, role=obs.role,
                               estimate=obs.value, model=round(float(model), 1),
                               pct_diff=round(pct, 2), source=obs.source, note=obs.note))
    return rows


def stocks_report(name_or_path: str | Path | None = None, *, until: dt.date | None = None,
                  draws: int = 0, seed: int = 0) -> StocksReport:
    """Project a stocks folder (a built-in name such as chile-stocks, or a folder) to `until`
    (default its end) and compare it with its observations. With `draws`, also project that many
    draws of the folder's priors (seeded by `seed` and the draw's index) and give each figure
    the 5-95% band of the model over them. The Python API of `travesia stocks`."""
    data = load_stocks(name_or_path)
    priors = stock_priors(data)
    if until is not None and not data.spec.start < until <= data.spec.end:
        raise ScenarioError(f"{until} must be after {data.spec.start} and at most "
                            f"{data.spec.end}", field="--until")
    if not 0 <= draws <= MAX_DRAWS:
        raise ScenarioError(f"--draws must be 0 to {MAX_DRAWS:,}", field="--draws")
    if draws and not priors:
        raise ScenarioError("--draws needs priors: the folder's stocks.yaml names none",
                            file=data.folder / "stocks.yaml", field="priors")
    path = project(compile_plan(data, until=until))
    comparisons = compare(data, path)
    if draws:
        drawn = np.empty((draws, len(comparisons)))
        for i in range(draws):
            # a multiplier below 0 would turn arrivals into unchecked removals: 0 is the floor
            factors = {k: max(float(v), 0.0) for k, v in draw_values(priors, seed, i).items()}
            drawn[i] = _models(data, project(compile_plan(data, until=until, factors=factors)),
                               factors)
        low, high = np.percentile(drawn, BAND, axis=0)
        comparisons = [replace(c, model_low=round(float(lo), 1), model_high=round(float(hi), 1))
                       for c, lo, hi in zip(comparisons, low, high, strict=True)]
    return StocksReport(name=data.name, title=data.spec.title, path=path,
                        comparisons=comparisons, draws=draws)


def check_stocks(name_or_path: str | Path) -> str:
    """What `travesia scenario check` says of a sound stocks folder (it is read, its priors
    parsed and it is projected once); a ScenarioError otherwise."""
    data = load_stocks(name_or_path)
    priors = stock_priors(data)
    path = project(compile_plan(data))
    return (f"ok: stocks folder {data.name}: {len(data.cells)} cells, "
            f"{path.stocks.shape[0] - 1} months, {len(data.flows)} flows, "
            f"{len(data.observations)} observations, {len(priors)} priors")


def write_stocks(report: StocksReport, out_dir: Path) -> None:
    """monthly.csv (month-end stock and the month's applied flows, per cell), comparisons.csv and
    summary.json, published into `out_dir` whole or not at all."""
    staging = staging_folder(out_dir)
    try:
        path = report.path
        with (staging / "monthly.csv").open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(["date", "cell", "people", *APPLIED])
            for t, date in enumerate(path.dates):
                for c, cell in enumerate(path.cells):
                    flows = ([round(float(path.applied[name][t - 1, c]), 3) for name in APPLIED]
                             if t else [""] * len(APPLIED))
                    out.writerow([date, cell, round(float(path.stocks[t, c]), 3), *flows])
        with (staging / "comparisons.csv").open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f, lineterminator="\n")
            fields = list(Comparison.__dataclass_fields__)
            out.writerow(fields)
            for row in report.comparisons:
                out.writerow([getattr(row, name) if getattr(row, name) is not None else ""
                              for name in fields])
        (staging / "summary.json").write_text(json.dumps(report.to_json(), indent=1) + "\n",
                                              encoding="utf-8")
        publish_folder(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
