"""stranded.png: people held at each crossing (queued + stranded) over time, with the timeline
marked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only; never open a window
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from travesia.model.results import Results  # noqa: E402

if TYPE_CHECKING:
    from travesia.outputs.bands import Band

EVENT_COLOURS = {"threat": "#b22222", "deadline": "#8b0000", "emergency": "#1f4e79",
                 "troops": "#2e75b6",
                 "admission": "#7030a0", "capacity": "#7030a0", "corridor": "#2e8b57",
                 "flight": "#2e8b57",
                 "shelter": "#2e8b57", "note": "#666666"}


def plain_text(draw):
    """Draw with every text taken literally: names and labels come from users' files, and a
    `$` in them must not be read as mathematics (a lone one crashes matplotlib)."""
    return matplotlib.rc_context({"text.parse_math": False})(draw)


def save_figure(fig, path: str | Path) -> Path:
    """Write a figure as PNG under a temporary name, then rename: never a half-written file."""
    path = Path(path)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path


def event_label(ev) -> str:
    match ev.type:
        case "threat":
            where = ", ".join([*ev.places, *ev.regions])
            return f"threat {ev.level:g}" + (f" in {where}" if where else "")
        case "deadline":
            return f"deadline {ev.deadline}"
        case "emergency":
            return f"emergency {ev.days} d"
        case "troops":
            return f"{ev.personnel:+d} troops/police"
        case "admission":
            return f"{ev.post} admits {ev.admits}"
        case "note":
            return ev.label
        case "corridor":
            return f"corridor {ev.per_day}/day for {ev.days} d"
        case "flight":
            return f"flight, {ev.seats} seats from {ev.from_}"
        case "shelter":
            return f"shelter, {ev.capacity} places at {ev.place}"
        case "capacity":
            return f"{ev.post} capacity {ev.per_day:g}/day"
        case "removal":
            return f"removals {ev.per_day:g}/day by {ev.mode} to {ev.to} for {ev.days} d"
        case "reception":
            return (f"{ev.country} receives no cap" if ev.total < 0
                    else f"{ev.country} receives at most {ev.total:,} more")
        case _:
            return ev.type


@plain_text
def plot_stranded(results: Results, events, path: str | Path, observations=None,
                  title: str | None = None,
                  bands: dict | None = None) -> Path:
    """Draw queued and stranded people per crossing; `observations` maps a crossing to a list of
    (date, value, low, high); `bands` maps a crossing to an ensemble's band of people held there
    (bands.Band), drawn behind the run's own stack (its median line in front). Events are
    numbered on the charts and listed in a key below them."""
    dates = np.array(results.dates, dtype="datetime64[D]").astype(object)
    events = sorted(events, key=lambda ev: ev.date)
    n = len(results.crossing_names)
    key_rows = (len(events) + 1) // 2
    fig = plt.figure(figsize=(11, 3.0 * n + 0.9 + 0.17 * key_rows))
    grid = fig.add_gridspec(n + 1, 1, height_ratios=[3.0] * n + [0.25 + 0.17 * key_rows])
    axes = [fig.add_subplot(grid[i, 0]) for i in range(n)]
    for ax in axes[1:]:
        ax.sharex(axes[0])
    for ax, name in zip(axes, results.crossing_names):
        c = results.crossing_names.index(name)
        queued, stranded = results.flows["queue"][:, c], results.flows["stranded"][:, c]
        ax.stackplot(dates, stranded, queued, labels=["stranded (refused, waiting)",
                                                      "queued at a post"],
                     colors=["#d9534f", "#f0ad4e"], alpha=0.85, zorder=2)
        top = max(float((queued + stranded).max()), 1.0)
        if bands and name in bands:
            draw_band(ax, bands[name], colour="#3b5b92", label_prefix="ensemble ", behind=True)
            top = max(top, float(bands[name].q[4].max()))
        if observations and name in observations:
            obs = observations[name]
            od = [o[0] for o in obs]
            ov = np.array([o[1] for o in obs], dtype=float)
            lo = np.array([o[2] if o[2] is not None else o[1] for o in obs], dtype=float)
            hi = np.array([o[3] if o[3] is not None else o[1] for o in obs], dtype=float)
            ax.errorbar(od, ov, yerr=[ov - lo, hi - ov], fmt="o", color="black", ms=4, lw=1,
                        label="observed (reports, with ranges)")
            top = max(top, float(hi.max()))
        ax.set_title(name, loc="left", fontsize=11)
        ax.set_ylabel("people")
        ax.set_ylim(0, top * 1.18)
        last_date, stack = None, 0
        for i, ev in enumerate(events, start=1):
            colour = EVENT_COLOURS.get(ev.type, "#666666")
            ax.axvline(ev.date, color=colour, lw=0.8, ls="--", alpha=0.6)
            stack = stack + 1 if ev.date == last_date else 0
            last_date = ev.date
            ax.text(ev.date, top * (1.15 - 0.07 * stack), str(i), fontsize=7, color=colour,
                    ha="center", va="top",
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
        ax.legend(loc="upper right", fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    key = fig.add_subplot(grid[n, 0])
    key.axis("off")
    lines = [f"{i:>2}  {ev.date:%d %b %Y}  {event_label(ev)}" for i,
             ev in enumerate(events, start=1)]
    half = (len(lines) + 1) // 2
    for col, chunk in enumerate((lines[:half], lines[half:])):
        key.text(0.0 + 0.5 * col, 1.0, "\n".join(chunk), fontsize=7.5, family="monospace", va="top",
                 transform=key.transAxes)
    fig.suptitle(title
                 or f"{results.scenario}: people held at border crossings (seed {results.seed})",
                 fontsize=12)
    fig.tight_layout()
    return save_figure(fig, path)


@plain_text
def plot_forecast(runs: list[Results], at, last, events, observations, path: str | Path,
                  title: str | None = None) -> Path:
    """People held per crossing: the runs' median before `at` (the fit's hindcast), the 50% and
    90% bands after it to `last`; observations known at `at` as black points, later ones hollow;
    the events the forecast used as dashed lines; `at` as a solid line."""
    names = runs[0].crossing_names
    dates = np.array(runs[0].dates, dtype="datetime64[D]").astype(object)
    first = next((i for i, d in enumerate(dates) if d > at), len(dates))
    shown = max(first - 42, 0)            # six weeks of the fitted past for context
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 3.0 * len(names) + 0.6), sharex=True,
                             squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        held = np.stack([r.at_crossing(name) for r in runs]).astype(float)
        q = np.quantile(held, (0.05, 0.25, 0.5, 0.75, 0.95), axis=0)
        ax.plot(dates[:first], q[2, :first], color="#3b5b92", lw=1, alpha=0.6,
                label="runs' median (fitted past)")
        after = slice(max(first - 1, 0), len(dates))
        ax.fill_between(dates[after], q[0, after], q[4, after], color="#3b5b92", alpha=0.2,
                        label="90%")
        ax.fill_between(dates[after], q[1, after], q[3, after], color="#3b5b92", alpha=0.35,
                        label="50%")
        ax.plot(dates[after], q[2, after], color="#3b5b92", lw=1.6, label="median")
        top = max(float(q[4, shown:].max()), 1.0)
        held_obs = [o for o in observations or [] if o.compare == "held" and o.crossing == name
                    and dates[shown] <= o.date <= last]
        for known, style in ((True, {"color": "black"}),
                             (False, {"mfc": "white", "color": "black"})):
            pts = [o for o in held_obs if (o.date <= at) == known]
            if pts:
                ax.plot([o.date for o in pts], [o.value for o in pts], "o", ms=4, **style,
                        label="observed by then" if known else "observed later")
                top = max(top, *(o.value for o in pts))
        for ev in (ev for ev in events if dates[shown] <= ev.date <= last):
            ax.axvline(ev.date, color=EVENT_COLOURS.get(ev.type, "#666666"), lw=0.8, ls="--",
                       alpha=0.6)
        ax.axvline(at, color="black", lw=1.2)
        ax.set_xlim(dates[shown], last)
        ax.set_ylim(0, top * 1.15)
        ax.set_title(name, loc="left", fontsize=11)
        ax.set_ylabel("people held")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    fig.suptitle(title or f"forecast from {at}", fontsize=12)
    fig.tight_layout()
    return save_figure(fig, path)


def draw_band(ax, band: Band, colour: str = "#d9534f", label_prefix: str = "",
              behind: bool = False) -> None:
    """A band on an axis: 5–95% light, 25–75% darker, the median as a line. `behind`: the shaded
    bands go under what else is drawn (a run's own areas), the median line over it."""
    dates = np.array(band.dates, dtype="datetime64[D]").astype(object)
    under, over = ({"zorder": 1}, {"zorder": 3}) if behind else ({}, {})
    ax.fill_between(dates, band.q[0], band.q[4], color=colour, alpha=0.18, lw=0,
                    label=f"{label_prefix}5–95% of {band.runs} runs", **under)
    ax.fill_between(dates, band.q[1], band.q[3], color=colour, alpha=0.38, lw=0,
                    label=f"{label_prefix}25–75%",
                    **under)
    ax.plot(dates, band.q[2], color=colour, lw=1.6, label=f"{label_prefix}median", **over)
