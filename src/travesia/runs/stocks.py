"""`travesia stocks`: project a stocks folder month by month, compare it with the published
estimates it names, and write the monthly table (docs/stocks.md)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from travesia.errors import ScenarioError
from travesia.model.stocks import APPLIED, StockPath, compile_plan, measure_weights, project
from travesia.runs.runner import publish_folder, staging_folder
from travesia.scenario.stocks_format import StocksInput, load_stocks


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


@dataclass(frozen=True)
class StocksReport:
    name: str
    title: str
    path: StockPath
    comparisons: list[Comparison]

    def to_json(self) -> dict:
        last = self.path.stocks[-1]
        return {
            "name": self.name, "title": self.title,
            "start": str(self.path.dates[0]), "end": str(self.path.dates[-1]),
            "final_stocks": {cell: round(float(v), 1) for cell, v in
                             zip(self.path.cells, last, strict=True)},
            "comparisons": [asdict(c) for c in self.comparisons],
        }


def compare(data: StocksInput, path: StockPath) -> list[Comparison]:
    """Each observation within the projection beside the model's figure of its measure."""
    last = path.dates[-1]
    rows = []
    for _, obs in sorted(data.observations, key=lambda item: (item[1].date, item[1].measure)):
        if obs.date > last:
            continue
        weights = measure_weights(data.spec.measures[obs.measure], path.cells)
        model = float(path.at(obs.date) @ weights)
        pct = (model - obs.value) / obs.value * 100 if obs.value else float("nan")
        rows.append(Comparison(date=str(obs.date), measure=obs.measure, role=obs.role,
                               estimate=obs.value, model=round(model, 1),
                               pct_diff=round(pct, 2), source=obs.source, note=obs.note))
    return rows


def stocks_report(name_or_path: str | Path | None = None, *,
                  until: dt.date | None = None) -> StocksReport:
    """Project a stocks folder (a built-in name such as chile-stocks, or a folder) to `until`
    (default its end) and compare it with its observations. The Python API of `travesia stocks`."""
    data = load_stocks(name_or_path)
    if until is not None and not data.spec.start < until <= data.spec.end:
        raise ScenarioError(f"--until {until} must be after {data.spec.start} and at most "
                            f"{data.spec.end}", field="--until")
    path = project(compile_plan(data, until=until))
    return StocksReport(name=data.name, title=data.spec.title, path=path,
                        comparisons=compare(data, path))


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
