"""`travesia report`: one self-contained HTML file of a run or an ensemble, for people who will
never
install anything. Charts are PNG images inlined as data: URIs; the file makes no request at all.

Sections: the scenario and its population, the map, the curves at each crossing (with bands, the
observations and the timeline), needs by the Sphere standards, host communities (people, needs,
demand and costs per region), scores against the observations, the timeline and the sources.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never open a window
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from travesia import __version__
from travesia.outputs.bands import Band, draw_band
from travesia.model.impacts import label_of
from travesia.model.needs import WATER_L_PER_PERSON_DAY, needs_at_peak
from travesia.outputs.plot import EVENT_COLOURS, plain_text

COUNTRIES = Path(__file__).resolve().parent / "static" / "vendor" / "countries-110m.geojson"
CHART_MEASURES = ("held", "entries", "refused", "irregular")


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _band(ds, measure: str, c: int) -> Band:
    values = ds.crossing[measure][:, :, c].astype(float)
    return Band(ds.crossing_names[c], measure, ds.dates,
                np.quantile(values, (0.05, 0.25, 0.5, 0.75, 0.95), axis=0),
                values.mean(axis=0), values.shape[0])


@plain_text
def crossing_chart(view, ds, c: int) -> str:
    """One crossing: people held with bands, observations with their ranges, events; and the
    flows."""
    from travesia.web.data import MEASURES

    name = ds.crossing_names[c]
    fig, axes = plt.subplots(len(CHART_MEASURES), 1, figsize=(10, 2.3 * len(CHART_MEASURES) + 0.6),
                             sharex=True)
    obs = [o for o in view.chart_observations() if o["crossing"] == name]
    for ax, measure in zip(axes, CHART_MEASURES):
        band = _band(ds, measure, c)
        if ds.runs > 1:
            draw_band(ax, band)
        else:
            ax.plot(np.array(ds.dates, dtype="datetime64[D]").astype(object), band.q[2],
                    color="#d9534f", lw=1.6,
                    label=f"seed {ds.seeds[0]}")
        top = max(float(band.q[4].max()), 1.0)
        points = [o for o in obs if o["measure"] == measure]
        if points:
            dates = [dt.date.fromisoformat(o["date"]) for o in points]
            v = np.array([o["value"] for o in points])
            lo = np.array([o["low"] if o["low"] is not None else o["value"] for o in points])
            hi = np.array([o["high"] if o["high"] is not None else o["value"] for o in points])
            ax.errorbar(dates, v, yerr=[v - lo, hi - v], fmt="o", color="black", ms=4, lw=1,
                        label="observed")
            top = max(top, float(hi.max()))
        for ev in view.scenario.spec.timeline:
            if getattr(ev, "crossing", name) in (name,
                                                 None) and ds.dates[0] <= ev.date <= ds.dates[-1]:
                ax.axvline(ev.date, color=EVENT_COLOURS.get(ev.type, "#666"), lw=0.8, ls="--",
                           alpha=0.5)
        ax.set_ylim(0, top * 1.15)
        ax.set_title(f"{name}: {MEASURES[measure]}", loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=7)
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    fig.tight_layout()
    return _png(fig)


@plain_text
def map_chart(view, ds, t: int) -> str:
    """Places over the bundled country outlines; red circles: people held on day t."""
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.set_facecolor("#d6e6f0")        # the sea
    lats = np.array([p.lat for p in view.scenario.places])
    lons = np.array([p.lon for p in view.scenario.places])
    pad = max(1.0, 0.15 * max(np.ptp(lats), np.ptp(lons)))
    box = (lons.min() - pad, lons.max() + pad, lats.min() - pad, lats.max() + pad)
    _countries(ax, box)
    where = {p.name: (p.lon, p.lat) for p in view.scenario.places}
    for r in view.scenario.routes:
        a, b = where[r.from_], where[r.to]
        ax.plot([a[0], b[0]], [a[1], b[1]], color="#888", lw=0.8, zorder=2)
    for cr in view.scenario.crossings:
        a, b = where[cr.exit_post], where[cr.entry_post]
        ax.plot([a[0], b[0]], [a[1], b[1]], color="#b22222", lw=2.5, zorder=3)
    held = ds.held_at_places()[t]
    everyone = ds.state_mean[t].sum(axis=1)
    p_of = {n: i for i, n in enumerate(ds.place_names)}
    scale = max(float(everyone.max()), 1.0)
    for p in view.scenario.places:
        i = p_of.get(p.name)
        n = float(everyone[i]) if i is not None else 0.0
        h = float(held[i]) if i is not None else 0.0
        ax.scatter([p.lon], [p.lat], s=10 + 900 * np.sqrt(n / scale), color="#2e75b6", alpha=0.35,
                   zorder=4)
        if h >= 0.5:
            ax.scatter([p.lon], [p.lat], s=30 + 400 * np.sqrt(h / max(float(held.max()), 1)),
                       color="#d9534f",
                       alpha=0.8, zorder=5)
        if p.kind != "post":           # posts are named by their crossing, below
            ax.annotate(p.name, (p.lon, p.lat), xytext=(4, 3), textcoords="offset points",
                        fontsize=7, zorder=6)
    for cr in view.scenario.crossings:
        lon, lat = where[cr.entry_post]
        ax.annotate(cr.name, (lon, lat), xytext=(8, -10), textcoords="offset points", fontsize=7,
                    color="#b22222",
                    zorder=6)
    return _finish_map(fig, ax, box, lats,
                       f"{ds.dates[t]}: people at each place (blue), held at the border (red)")


def needs_rows(ds) -> list[dict]:
    """Per place that ever holds people: its peak, the day, the needs then, and person-days in
    all."""
    held = ds.held_at_places()
    rows = []
    for p, name in enumerate(ds.place_names):
        if held[:, p].max() < 0.5:
            continue
        t, need = needs_at_peak(held[:, p])
        person_days = float(held[:, p].sum())
        rows.append({"place": name, "peak_date": ds.dates[t].isoformat(), **need,
                     "days_with_people": int((held[:, p] >= 0.5).sum()), "person_days": person_days,
                     "water_litres_total": person_days * WATER_L_PER_PERSON_DAY})
    return rows


def score_table(view, ds):
    """Forecast scores (scores.py) of the dataset's runs against each observation of a series it
    has."""
    from travesia.outputs.scores import comparable, paired, score_forecasts
    from travesia.scenario.measures import INFORMAL_MEASURES
    from travesia.web.scenario_view import COMPARE_TO_MEASURE

    # an informal crossing's series too, when the dataset keeps them by day (runs, run folders)
    informal = ds.informal_names if ds.informal_runs else []
    obs = paired(comparable(view.observations, ds.crossing_names + informal, ds.dates[0],
                            ds.dates[-1], set(COMPARE_TO_MEASURE) | set(INFORMAL_MEASURES)),
                 set(ds.crossing_names))
    samples = [(ds.informal_runs[o.compare][:, (o.date - ds.dates[0]).days,
                                            informal.index(o.crossing)]
                if o.compare in INFORMAL_MEASURES else
                ds.crossing[COMPARE_TO_MEASURE[o.compare]][:, (o.date - ds.dates[0]).days,
                                                           ds.crossing_names.index(o.crossing)]
                ).astype(float) for o in obs]
    return score_forecasts(obs, samples, known=view.observations)


PEOPLE_COLUMNS = ("held", "sheltered", "shelter_capacity", "shelter_occupancy_pct",
                  "passing_through", "newly_settled")


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}".removesuffix(".0")


def host_section(view, ds, t: int) -> list[str]:
    """Host communities on day t: per region with anyone there, the people by kind and the
    needs, demand and costs the dashboard's panel shows (model/impacts.py), and the rates."""
    e = html.escape
    answer = ds.host_community(t, view.impact_rates(), view.places)
    regions = [r for r in answer["regions"]
               if any(r["on_day"][c] for c in PEOPLE_COLUMNS if c != "shelter_occupancy_pct")]
    parts = [f"<h2>Host communities on {answer['date']} (the peak)</h2>",
             "<p class=note>Per region, mean over runs. Needs (Sphere) count the people who depend "
             "on provision where they are: held at the posts, in shelters, passing through. "
             "Health consultations count them and the newly settled; school places are a share "
             "of the newly settled (a stock). Costs per day from the rates below.</p>"]
    if not regions:
        return parts + ["<p>No one is held, sheltered, passing through or newly settled on this "
                        "day.</p>"]
    rest = [c for c in answer["columns"] if c not in PEOPLE_COLUMNS]
    for columns in (PEOPLE_COLUMNS, rest):
        parts.append(_table(["region", *(label_of(c) for c in columns)],
                            [[r["key"], *(_cell(r["on_day"][c]) for c in columns)]
                             for r in regions], "num host"))
    parts.extend(answer["notes"] and [f"<p class=note>{e(' '.join(answer['notes']))}</p>"] or [])
    parts.append(f"<p class=note>Rates ({e(answer['rates_file'])}):</p>")
    parts.append(_table(["measure", "applies to", "country", "value", "unit", "currency", "year",
                         "source"],
                        [[r["measure"], r["applies_to"], r["country"], f"{r['value']:g}",
                          r["unit"], r["currency"] or "-", r["year"], r["source"]]
                         for r in answer["rates"]], "rates"))
    return parts


def _table(head: list[str], rows: list[list], cls: str = "") -> str:
    out = [f'<table class="{cls}"><thead><tr>' + "".join(f"<th>{html.escape(h)}</th>" for h in head)
           + "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{c if isinstance(c, _Raw) else html.escape(str(c))}</td>"
                                    for c in row)
                   + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


class _Raw(str):
    """Table cell text already escaped (a link)."""


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{_n(low)}–{_n(high)}"
    if low is not None:
        return f"≥ {_n(low)}"
    return f"≤ {_n(high)}" if high is not None else "-"


def _n(x: float) -> str:
    return f"{x:,.0f}"


INFORMAL_COLUMNS = ("attempts", "caught", "crossed", "injured", "died", "gave_up")


def informal_section(ds) -> list[str]:
    """The informal crossings' totals over the run (none: no section)."""
    if not getattr(ds, "informal", None):
        return []
    head = ["informal crossing", *(c.replace("_", " ") for c in INFORMAL_COLUMNS),
            "peak waiting"]
    rows = [[name, *(_n(t[f"informal_{c}"]) for c in INFORMAL_COLUMNS), _n(t["peak_waiting"])]
            for name, t in ds.informal.items()]
    return ["<h2>Informal crossings</h2>", _table(head, rows, "num"),
            "<p class=note>People over the whole run (medians over the runs), at the unofficial "
            "crossing points of informal_crossings.csv: attempts, those caught and returned, those "
            "across, injured and died (counts of people).</p>"]


def render_report(view, ds, store_members: list[dict] | None = None) -> str:
    """The report of dataset `ds` (web/data.py) of the scenario in `view` (web/scenario_view.py)."""
    if getattr(ds, "ruleset", "travesia") == "flee":          # a Flee case: its own sections
        return render_flee_report(ds, store_members)
    sc = view.scenario
    info = view.info()
    e = html.escape
    held_total = ds.crossing["held"].astype(float)
    peak_t = int(np.argmax(np.median(held_total, axis=0).sum(axis=1)))
    summary = ds.summary()
    meta = (f"Scenario <b>{e(sc.name)}</b> ({e(str(sc.spec.start))} to {e(str(sc.spec.end))}, "
            f"{sc.days} days) · "
            f"{e(ds.label)} · travesia {e(__version__)} · written "
            f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}")
    parts = [f"<h1>{e(sc.spec.title or sc.name)}</h1>",
             f"<p class=meta>{meta}</p>",
             f"<p>{e(sc.spec.description)}</p>"]
    pop = info["population"]
    parts.append("<h2>Population</h2>")
    statuses = list(sc.spec.statuses)
    parts.append(f"<p>{pop['total']:,} people"
                 + (f", of whom {pop['by_status'].get('irregular', 0):,} irregular"
                    if "irregular" in statuses else "") + ".</p>")
    parts.append(_table(["nationality", *statuses, "total"],
                        [[n, *(_n(v.get(s, 0)) for s in statuses), _n(sum(v.values()))]
                         for n, v in sorted(pop["by_nationality_and_status"].items(),
                                            key=lambda kv: -sum(kv[1].values()))],
                        "num"))
    parts.append("<h2>Border crossings</h2>")
    parts.append(_table(["crossing", "peak held", "on", "entries", "refused", "irregular"],
                        [[n, _n(s["peak_held"]), s["peak_date"] or "-", _n(s["total_entries"]),
                          _n(s["total_refused"]),
                          _n(s["total_irregular"])] for n, s in summary.items()], "num"))
    parts.append(f"<p class=note>Medians over {ds.runs} run{'s' if ds.runs != 1 else ''} (seeds "
                 f"{', '.join(map(str, ds.seeds[:12]))}{'…' if ds.runs > 12 else ''}). People held "
                 "= queued + "
                 f"stranded.</p>")
    parts.extend(informal_section(ds))
    parts.append(f'<h2>Map on {ds.dates[peak_t]} (the peak)</h2><img class=map alt="map" '
                 f'src="{map_chart(view, ds, peak_t)}">')
    parts.append("<h2>Curves</h2>")
    if ds.runs > 1:
        parts.append(f"<p class=note>Bands: 5–95% (light) and 25–75% (dark) of {ds.runs} runs; "
                     "line: median. "
                     "Black points: observations with their reported ranges. Dashed lines: "
                     "timeline events.</p>")
    for c in range(len(ds.crossing_names)):
        parts.append(f'<img class=chart alt="{e(ds.crossing_names[c])}" '
                     f'src="{crossing_chart(view, ds, c)}">')
    std = view.needs_standard
    parts.append("<h2>Needs where people are held (Sphere standards)</h2>")
    parts.append(f"<p class=note>Per person per day: {std['water_litres_per_person_day']:g} L of "
                 "water, "
                 f"{std['kcal_per_person_day']:,.0f} kcal, {std['covered_m2_per_person']:g} m² of "
                 "covered space; one "
                 f"toilet per {std['people_per_toilet']} people (per "
                 f"{std['people_per_toilet_first_days']} in the "
                 f"first days). {e(std['source'])}. Mean over runs of people queued, stranded or "
                 "sheltered.</p>")
    rows = needs_rows(ds)
    parts.append(_table(["place", "peak people", "on", "water L/day", "food kcal/day", "covered m²",
                         "toilets",
                         "days with people", "water in all (L)"],
                        [[r["place"], _n(r["people"]), r["peak_date"],
                          _n(r["water_litres_per_day"]),
                          _n(r["food_kcal_per_day"]), _n(r["covered_shelter_m2"]), r["toilets"],
                          r["days_with_people"], _n(r["water_litres_total"])] for r in rows], "num")
                 if rows else "<p>No one is held anywhere in this run.</p>")
    parts.extend(host_section(view, ds, peak_t))
    table = score_table(view, ds)
    parts.append("<h2>Scores against observations</h2>")
    if table.rows:
        summ = table.summary()
        events = (
            ""
            if summ["events"] == summ["observations"]
            else f", counted as {summ['events']:g} events"
        )
        parts.append(f"<p>{summ['observations']} observations ({summ['ranged']} reported as "
                     f"ranges{events}). Weighted "
                     "interval score (WIS, lower is better) and errors of the model, and of two "
                     "naive forecasts: "
                     "the last value observed before, and nobody.</p>")
        parts.append(_table(["forecast", "WIS", "mean abs. error", "mean log error", "ranges hit",
                             "in 50%",
                             "in 90%"],
                            [[name, f"{m['wis']:,.1f}", f"{m['mean_abs_error']:,.1f}",
                              f"{m['mean_log_error']:.2f}",
                              m["ranges_hit"], f"{100 * m['coverage_50']:.0f}%",
                              f"{100 * m['coverage_90']:.0f}%"]
                             for name, m in (("model", summ["model"]),
                                             ("last value", summ["naive_last"]),
                                             ("nobody", summ["naive_zero"]))], "num"))
        parts.append(_table(["date", "crossing", "series", "observed", "range", "model median",
                             "model 5–95%",
                             "WIS", "source"],
                            [[r["date"], r["crossing"], r["compare"], _n(r["value"]),
                              _range(r["low"], r["high"]),
                              _n(r["model"]["median"]),
                              f"{_n(r['model']['p05'])}–{_n(r['model']['p95'])}",
                              f"{r['model']['wis']:,.1f}", _link(r["source"])] for r in table.rows],
                            "num"))
    else:
        parts.append("<p>No observation of a series the model has, in the period of the run.</p>")
    parts.append("<h2>Timeline</h2>")
    parts.append(_table(["date", "event", "crossing", "note", "sources"],
                        [[ev["date"], ev["label"], ev.get("crossing", ""), ev.get("note", ""),
                          ev["source"] if isinstance(ev["source"],
                                                     str) else "; ".join(ev["source"])]
                         for ev in info["timeline"]]))
    if store_members and ds.kind == "ensemble":
        varied = sorted({k for m in store_members for k in m.get("varied", {})})
        parts.append(f"<h2>Runs of the ensemble</h2><p>{len(store_members)} runs; parameters "
                     "drawn: "
                     f"{e(', '.join(varied) or 'none (seeds only)')}.</p>")
    parts.append("<h2>Sources</h2>")
    parts.append(_table(["id", "publisher", "title", "date", "address"],
                        [[k, v.get("publisher", ""), v.get("title", ""), v.get("date", ""),
                          _link(v.get("url") or "")]
                         for k, v in info["sources"].items()]))
    body = "\n".join(parts)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(sc.spec.title or sc.name)} — travesia report</title>
<style>{REPORT_CSS}</style></head>
<body>{body}
<p class=meta>Made with travesia {e(__version__)}.
This file is self-contained: it loads nothing from anywhere.</p>
</body></html>
"""


def _link(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return _Raw(
            f'<a href="{html.escape(url)}">'
            f'{html.escape(url[:70])}{"…" if len(url) > 70 else ""}</a>'
        )
    return url


REPORT_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1050px;
  margin:24px auto;padding:0 16px;color:#222}
h1{font-size:24px;margin-bottom:4px}
h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:3px}
.meta{color:#666;font-size:12px}.note{color:#555;font-size:12.5px}
table{border-collapse:collapse;margin:8px 0;font-size:12.5px;width:100%}
th,td{border-bottom:1px solid #e5e5e5;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f6f6}td:first-child{white-space:nowrap}
table.num td{font-variant-numeric:tabular-nums}
img.chart{width:100%;max-width:1000px;display:block;margin:8px 0}img.map{width:560px;max-width:100%}
a{color:#1f5fa8;word-break:break-all}
"""


# --- Flee cases (docs/flee.md) ---------------------------------------------------------------

FLEE_TYPE_COLOURS = {"conflict_zone": "#b22222", "camp": "#2e8b57", "town": "#555555"}


def _finish_map(fig, ax, box: tuple[float, float, float, float], lats: np.ndarray,
                title: str) -> str:
    """Both report maps end alike: the box, degrees of longitude shortened by the latitude, the
    title, no ticks; the PNG."""
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_aspect(1 / max(np.cos(np.radians(float(np.mean(lats)))), 0.2))
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    return _png(fig)


def _countries(ax, box: tuple[float, float, float, float]) -> None:
    """The bundled country outlines that reach into `box` (lon min, lon max, lat min, lat max)."""
    if not COUNTRIES.is_file():
        return
    geo = json.loads(COUNTRIES.read_text(encoding="utf-8"))
    for f in geo["features"]:
        g = f["geometry"]
        for poly in g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]:
            ring = np.array(poly[0])
            if (ring[:, 0].max() >= box[0] and ring[:, 0].min() <= box[1]
                    and ring[:, 1].max() >= box[2] and ring[:, 1].min() <= box[3]):
                ax.fill(ring[:, 0], ring[:, 1], color="#eeeae2", ec="#9a9a9a", lw=0.6)


@plain_text
def flee_map_chart(ds, t: int) -> str:
    """A Flee case's locations over the country outlines on day t: circles ∝ people (mean over
    runs), coloured by type; routes grey."""
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.set_facecolor("#d6e6f0")
    lats = np.array([p["lat"] for p in ds.locations])
    lons = np.array([p["lon"] for p in ds.locations])
    pad = max(0.5, 0.1 * max(float(np.ptp(lats)), float(np.ptp(lons))))
    box = (lons.min() - pad, lons.max() + pad, lats.min() - pad, lats.max() + pad)
    _countries(ax, box)
    where = {p["name"]: (p["lon"], p["lat"]) for p in ds.locations}
    for r in ds.routes:
        (x0, y0), (x1, y1) = where[r["from"]], where[r["to"]]
        ax.plot([x0, x1], [y0, y1], color="#999", lw=0.7, zorder=2)
    people = ds.location_people()[t]
    p_of = {n: i for i, n in enumerate(ds.place_names)}
    scale = max(float(ds.location_people().max()), 1.0)
    for p in ds.locations:
        n = float(people[p_of[p["name"]]]) if p["name"] in p_of else 0.0
        colour = FLEE_TYPE_COLOURS.get(p["type"], "#555555")
        ax.scatter([p["lon"]], [p["lat"]], s=8 + 900 * np.sqrt(n / scale), color=colour,
                   alpha=0.45, zorder=4, marker="^" if p["type"] == "camp" else "o")
        if p["type"] == "camp" or n >= 0.05 * scale:
            ax.annotate(p["name"], (p["lon"], p["lat"]), xytext=(4, 3), textcoords="offset points",
                        fontsize=7, zorder=6)
    return _finish_map(fig, ax, box, lats, f"{ds.dates[t]}: people at each location (triangles: "
                                           "camps; red: conflict zones)")


@plain_text
def flee_camp_chart(ds, names: list[str]) -> str:
    """People at each camp named (and `total`: all camps), median and bands over the runs, with
    the observed counts as a black line."""
    from travesia.outputs.bands import band_of

    fig, axes = plt.subplots(len(names), 1, figsize=(10, 2.2 * len(names) + 0.6), sharex=True,
                             squeeze=False)
    x = np.array(ds.dates, dtype="datetime64[D]").astype(object)
    for ax, name in zip(axes[:, 0], names):
        if name == "total":
            values, obs = ds.camp_runs.sum(axis=2), (None if ds.observed is None
                                                     else ds.observed.sum(axis=1))
            title = "all camps together"
        else:
            k = ds.camps.index(name)
            values, obs = ds.camp_runs[:, :, k], None if ds.observed is None else ds.observed[:, k]
            title = f"{name}: people at the camp"
        band = band_of(ds.dates, values.astype(float), name, "at_location")
        if ds.runs > 1:
            draw_band(ax, band)
        else:
            ax.plot(x, band.q[2], color="#d9534f", lw=1.6, label=f"seed {ds.seeds[0]}")
        if obs is not None:
            ax.plot(x, obs, color="black", lw=1.2, ls="--", label="observed (data_layout.csv)")
        ax.set_ylim(0, max(float(band.q[4].max()), float(obs.max()) if obs is not None else 0,
                           1.0) * 1.12)
        ax.set_title(title, loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=7)
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    fig.tight_layout()
    return _png(fig)


CAMPS_PER_CHART = 6


def render_flee_report(ds, store_members: list[dict] | None = None) -> str:
    """The report of a Flee dataset (web/data.py FleeDataset): camps, map, curves, scores."""
    e = html.escape
    title = f"Flee case {ds.scenario}"
    meta = (f"{e(ds.label)} · {ds.dates[0]} to {ds.dates[-1]} ({ds.days} days) · Flee's ruleset "
            f"· travesia {e(__version__)} · written {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}")
    parts = [f"<h1>{e(title)}</h1>", f"<p class=meta>{meta}</p>",
             "<p class=note>Run with Flee's rules (docs/flee.md). Crossings, needs by the Sphere "
             "standards, what-ifs and the timeline belong to travesia's scenarios and are not part "
             "of a Flee case.</p>"]
    for note in ds.notes:
        parts.append(f"<p class=note><b>Missing:</b> {e(note)}</p>")
    parts.append("<h2>Camps</h2>")
    summary = ds.camp_summary()
    parts.append(_table(["camp", "peak (median)", "on", f"on {ds.dates[-1]}: median", "5–95%",
                         "observed"],
                        [[c, _n(s["peak"]), s["peak_date"] or "-", _n(s["last_median"]),
                          f"{_n(s['last_p05'])}–{_n(s['last_p95'])}",
                          "-" if s["observed_last"] is None else _n(s["observed_last"])]
                         for c, s in summary.items()], "num"))
    parts.append(f"<p class=note>Over {ds.runs} run{'s' if ds.runs != 1 else ''} (seeds "
                 f"{', '.join(map(str, ds.seeds[:12]))}{'…' if ds.runs > 12 else ''}). Observed: "
                 "the camp counts of the case's source_data/data_layout.csv, interpolated as Flee "
                 "does.</p>")
    last = ds.days - 1
    if ds.locations:
        parts.append(f'<h2>Map on {ds.dates[last]} (the last day)</h2><img class=map alt="map" '
                     f'src="{flee_map_chart(ds, last)}">')
    parts.append("<h2>Curves</h2>")
    if ds.runs > 1:
        parts.append(f"<p class=note>Bands: 5–95% (light) and 25–75% (dark) of {ds.runs} runs; "
                     "line: median. Dashed black: observed.</p>")
    names = ["total", *ds.camps]
    for i in range(0, len(names), CAMPS_PER_CHART):
        chunk = names[i:i + CAMPS_PER_CHART]
        parts.append(f'<img class=chart alt="{e(", ".join(chunk))}" '
                     f'src="{flee_camp_chart(ds, chunk)}">')
    parts.append("<h2>Scores against the camp counts</h2>")
    parts.extend(flee_score_parts(ds))
    if store_members and ds.kind == "ensemble":
        varied = sorted({k for m in store_members for k in m.get("varied", {})})
        parts.append(f"<h2>Runs of the ensemble</h2><p>{len(store_members)} runs; Flee rule "
                     f"settings drawn: {e(', '.join(varied) or 'none (seeds only)')}.</p>")
    parts.append("<h2>Sources</h2>")
    folder = ds.detail.get("case_folder") or "(unknown)"
    parts.append(f"<p>The Flee case folder <b>{e(str(folder))}</b>: input_csv/ (locations, routes, "
                 "closures, conflicts) and source_data/ (the observed counts), as their authors "
                 "published them.</p>")
    body = "\n".join(parts)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} — travesia report</title>
<style>{REPORT_CSS}</style></head>
<body>{body}
<p class=meta>Made with travesia {e(__version__)}.
This file is self-contained: it loads nothing from anywhere.</p>
</body></html>
"""


def flee_score_parts(ds) -> list[str]:
    """The scores `travesia score` gives the run folder or the store: ARD, and per camp (a run) or
    the naive forecasts and weekly interval scores (an ensemble)."""
    sc = ds.scores
    if not sc:
        return ["<p>No scores: the observed counts are not at hand (see above).</p>"]
    out = [f"<p>Averaged relative difference (ARD, Flee's score: per day Σ|model − observed| / "
           f"Σ observed, averaged over the days; lower is better) of the "
           f"{'median of the runs' if ds.runs > 1 else 'run'}: <b>{sc['ard']:.4f}</b>; rescaled "
           f"to the observed total each day: {sc['ard_rescaled']:.4f}.</p>"]
    if "error_per_camp" in sc:
        out.append(_table(["camp", "mean abs. difference", "share of mean observed total",
                           "model, last day", "observed, last day"],
                          [[c, _n(v["mean_abs_difference"]),
                            f"{100 * v['share_of_mean_observed_total']:.1f}%",
                            _n(v["sim_last_day"]), _n(v["data_last_day"])]
                           for c, v in sc["error_per_camp"].items()], "num"))
    if "naive_last" in sc:
        out.append(_table(["forecast", "ARD"],
                          [["model (median of the runs)", f"{sc['ard']:.4f}"],
                           ["first day carried forward", f"{sc['naive_last']['ard']:.4f}"],
                           ["nobody", f"{sc['naive_zero']['ard']:.4f}"]], "num"))
    weekly = sc.get("weekly_camp_counts") or {}
    if weekly.get("observations"):
        out.append(f"<p>{weekly['observations']} weekly camp counts: weighted interval score "
                   "(WIS, lower is better) of the runs and of two naive forecasts.</p>")
        out.append(_table(["forecast", "WIS", "mean abs. error", "in 50%", "in 90%"],
                          [[name, f"{m['wis']:,.1f}", f"{m['mean_abs_error']:,.1f}",
                            f"{100 * m['coverage_50']:.0f}%", f"{100 * m['coverage_90']:.0f}%"]
                           for name, m in (("model", weekly["model"]),
                                           ("last value", weekly["naive_last"]),
                                           ("nobody", weekly["naive_zero"]))], "num"))
    return out
