"""Quantile bands of an ensemble: 5/25/50/75/95% of a daily measure over its runs, and their
plot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never open a window
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from travesia.errors import ScenarioError  # noqa: E402
from travesia.scenario.measures import HELD, INFORMAL_MEASURES  # noqa: E402
from travesia.outputs.plot import draw_band, plain_text, save_figure  # noqa: E402,F401 (draw_band: drawn here, kept importable)
from travesia.model.results import STATE_COLUMNS  # noqa: E402
from travesia.outputs.store import CROSSING_COLUMNS, Store  # noqa: E402

QUANTILES = (0.05, 0.25, 0.50, 0.75, 0.95)
CROSSING_MEASURES = (HELD,) + tuple(CROSSING_COLUMNS)    # what the store keeps, and held


@dataclass
class Band:
    """One series' quantiles over runs: `q` is [5, days] in the order of QUANTILES."""

    label: str            # a crossing's or a place's name
    measure: str          # stranded, queue, exits, ... or a state at a place
    dates: list[dt.date]
    q: np.ndarray
    mean: np.ndarray
    runs: int


def band_of(dates, values: np.ndarray, label: str, measure: str) -> Band:
    """Quantiles (linear interpolation) per day of values [runs, days]."""
    return Band(label, measure, list(dates), np.quantile(values, QUANTILES, axis=0),
                values.mean(axis=0),
                values.shape[0])


def compute_bands(store: Store, ensemble_id: str, *, measure: str = HELD,
                  crossing: str | None = None,
                  place: str | None = None, state: str | None = None,
                  branch: str | None = None) -> list[Band]:
    """Bands of a measure at each crossing (or the one named), or of a state at a place; over the
    runs of one branch of the future, if named."""
    crossings, places = store.names(ensemble_id)
    if place is not None or state is not None:
        if place is None or state is None:
            raise ScenarioError("--place and --state go together",
                                field="--place" if place is None else "--state")
        if crossing is not None:
            raise ScenarioError("a crossing's measure or a state at a place, not both: drop "
                                "--crossing or --place", field="--crossing")
        if state not in STATE_COLUMNS and state != "at_location":   # at_location: Flee's one state
            raise ScenarioError(f"unknown state '{state}' (known: {', '.join(STATE_COLUMNS)})",
                                field="--state")
        if place not in places:
            raise ScenarioError(f"no place '{place}' in the ensemble (known: {', '.join(places)})",
                                field="--place")
        dates, _, values = store.series(ensemble_id, place=place, state=state, branch=branch)
        return [band_of(dates, values, place, state)]
    if not crossings and crossing is None and measure == HELD:
        # no crossings (a Flee folder's ensemble): the people at each observed camp, else every
        # place
        camps = store.meta(ensemble_id).get("camps") or places
        out = []
        for c in camps:
            dates, values = _dates_values(store.series(ensemble_id, place=c, state="at_location"))
            out.append(band_of(dates, values, c, "at_location"))
        return out
    if measure in INFORMAL_MEASURES:       # at the informal crossings (informal_crossings.csv)
        crossings = store.informal_names(ensemble_id)
        if not crossings:
            raise ScenarioError(f"the ensemble's runs have no informal crossing to give "
                                f"'{measure}'", field="--measure")
    elif measure not in CROSSING_MEASURES:
        raise ScenarioError(f"unknown measure '{measure}' (known: "
                            f"{', '.join(CROSSING_MEASURES + INFORMAL_MEASURES)})",
                            field="--measure")
    if crossing is not None and crossing not in crossings:
        raise ScenarioError(f"no crossing '{crossing}' in the ensemble (known: "
                            f"{', '.join(crossings)})",
                            field="--crossing")
    out = []
    for name in [crossing] if crossing else crossings:
        dates, _, values = store.series(ensemble_id, crossing=name, measure=measure,
                                        branch=branch)
        out.append(band_of(dates, values, name, measure))
    return out


def _dates_values(series: tuple) -> tuple:
    dates, _, values = series
    return dates, values


def bands_table(bands: list[Band]) -> pa.Table:
    columns = ("date", "where", "measure", "runs", "p05", "p25", "p50", "p75", "p95", "mean")
    rows: dict[str, list] = {k: [] for k in columns}
    for b in bands:
        n = len(b.dates)
        rows["date"] += b.dates
        rows["where"] += [b.label] * n
        rows["measure"] += [b.measure] * n
        rows["runs"] += [b.runs] * n
        for i, col in enumerate(("p05", "p25", "p50", "p75", "p95")):
            rows[col] += b.q[i].tolist()
        rows["mean"] += b.mean.tolist()
    return pa.table(rows)


def write_bands(bands: list[Band], out_dir: str | Path) -> dict[str, Path]:
    """bands.csv and bands.parquet (one row per series and day), written then renamed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = bands_table(bands)
    paths = {"csv": out / "bands.csv", "parquet": out / "bands.parquet"}
    tmp = out / "bands.csv.tmp"
    pacsv.write_csv(table, tmp)
    tmp.replace(paths["csv"])
    tmp = out / "bands.parquet.tmp"
    pq.write_table(table, tmp)
    tmp.replace(paths["parquet"])
    return paths


@plain_text
def plot_bands(bands: list[Band], path: str | Path, *, observations: dict | None = None, events=(),
               title: str | None = None) -> Path:
    """bands.png: one panel per series; `observations` {label: [(date, value, low, high)]} as
    points."""
    from travesia.outputs.plot import EVENT_COLOURS, event_label

    n = len(bands)
    fig, axes = plt.subplots(n, 1, figsize=(11, 3.2 * n + 0.8), sharex=True, squeeze=False)
    for ax, band in zip(axes[:, 0], bands):
        draw_band(ax, band)
        top = max(float(band.q[4].max()), 1.0)
        if observations and band.label in observations:
            obs = observations[band.label]
            ov = np.array([o[1] for o in obs], dtype=float)
            lo = np.array([o[2] if o[2] is not None else o[1] for o in obs], dtype=float)
            hi = np.array([o[3] if o[3] is not None else o[1] for o in obs], dtype=float)
            ax.errorbar([o[0] for o in obs], ov, yerr=[ov - lo, hi - ov], fmt="o", color="black",
                        ms=4, lw=1,
                        label="observed (reports, with ranges)")
            top = max(top, float(hi.max()))
        for i, ev in enumerate(events):
            colour = EVENT_COLOURS.get(ev.type, "#666666")
            ax.axvline(ev.date, color=colour, lw=0.8, ls="--", alpha=0.6)
            if ax is axes[0, 0]:
                ax.text(ev.date, top * (1.32 - 0.07 * (i % 4)), event_label(ev), fontsize=7,
                        color=colour,
                        ha="left", va="top")
        what = "people held (queued + stranded)" if band.measure == "held" else band.measure
        ax.set_title(f"{band.label}: {what}", loc="left", fontsize=11)
        ax.set_ylabel("people")
        ax.set_ylim(0, top * 1.35)
        ax.legend(loc="upper right", fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    fig.suptitle(title or "ensemble bands", fontsize=12)
    fig.tight_layout()
    return save_figure(fig, path)


@dataclass
class RunBands:
    """An ensemble's bands of people held, checked against the scenario a single run is of."""

    bands: dict[str, Band]
    source: dict          # store, ensemble id, runs: recorded in the run's summary.json
    warning: str | None   # set when the ensemble was run on another version of the scenario


def bands_for_run(store_path: str | Path, ensemble_id: str | None, scenario: str,
                  scenario_hash: str) -> RunBands:
    """Bands to draw under a run of `scenario` (`travesia run --bands STORE [--ensemble ID]`).
    An ensemble of another scenario is an error; of another version of it (content hash), a
    warning: the bands may no longer match the run."""
    path = Path(store_path)
    with Store(path, read_only=True) as store:
        ens = store.ensemble(ensemble_id)
        eid = ens["ensemble_id"]
        if ens["scenario"] != scenario:
            raise ScenarioError(f"ensemble {eid} is of scenario '{ens['scenario']}', not "
                                f"'{scenario}'",
                                file=path, field="--bands")
        if not ens["finished"]:
            raise ScenarioError(f"ensemble {eid} has no finished run yet", file=path,
                                field="--bands")
        bands = {b.label: b for b in compute_bands(store, eid, measure="held")}
    warning = None
    if ens["scenario_hash"] != scenario_hash:
        warning = (f"{path}: ensemble {eid} was run on another version of '{scenario}' (content "
                   "hash "
                   f"{ens['scenario_hash'][:12]}, now {scenario_hash[:12]}); its bands may not "
                   "match this run")
    source = {"store": str(path), "ensemble_id": eid, "runs": int(ens["finished"]),
              "same_scenario_version": warning is None}
    return RunBands(bands, source, warning)
