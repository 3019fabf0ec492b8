// travesia dashboard: the map, the charts per crossing, needs, host communities, what-ifs and the
// list of runs.
// Everything comes from this server's /api; nothing is fetched from anywhere else.
"use strict";

const state = {
  scenario: null, levers: null, datasets: [], measures: {},
  current: null, overlay: null,          // dataset ids
  map: {}, crossings: {},                // id -> /map and /crossings answers
  day: 0, measure: "held", playing: null,
  leaflet: null, circles: {}, held: {},  // place -> circle markers
  jobs: {},
  flee: {}, fleeMap: null, fleeLayer: null, fleeCircles: {},   // Flee cases: id -> /flee answer
  flows: {}, flowsKey: null,             // id -> /flows answer; the series charted
};
// the plot options of every chart
const PLOT_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
window.travesia = state;                 // for the browser tests and the curious

const $ = (sel) => document.querySelector(sel);
const fmt = (x) => Math.round(x).toLocaleString("en-US");
const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const COLOURS = { base: "#d9534f", overlay: "#2e75b6" };
const EVENT_COLOURS = { threat: "#b22222", deadline: "#8b0000", emergency: "#1f4e79", troops: "#2e75b6",
  admission: "#7030a0", capacity: "#7030a0", corridor: "#2e8b57", flight: "#2e8b57", shelter: "#2e8b57", note: "#666" };

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

// --- loading ------------------------------------------------------------------------------------
async function load(id) {
  if (!state.map[id]) {
    const [m, c] = await Promise.all([api(`/api/datasets/${encodeURIComponent(id)}/map`),
                                      api(`/api/datasets/${encodeURIComponent(id)}/crossings`)]);
    state.map[id] = m;
    state.crossings[id] = c;
  }
  return { map: state.map[id], crossings: state.crossings[id] };
}

async function loadFirstRuns(id, runs) {
  // the baseline over the same runs a what-if reran, so the two differ by the policy only
  const key = `${id}@${runs}`;
  if (!state.crossings[key]) {
    state.crossings[key] = await api(`/api/datasets/${encodeURIComponent(id)}/crossings?runs=${runs}`);
  }
  return { crossings: state.crossings[key] };
}

async function refreshDatasets() {
  const answer = await api("/api/datasets");
  state.datasets = answer.datasets;
  state.measures = answer.measures;
  for (const sel of ["#dataset", "#overlay", "#cmp-a", "#cmp-b"]) {
    const el = $(sel);
    const keep = el.value;
    el.querySelectorAll("option[data-ds]").forEach((o) => o.remove());
    for (const ds of state.datasets) {
      const o = document.createElement("option");
      o.value = ds.id; o.textContent = ds.label; o.dataset.ds = "1";
      el.appendChild(o);
    }
    if ([...el.options].some((o) => o.value === keep)) el.value = keep;
  }
  const tbody = $("#runs tbody");
  tbody.innerHTML = "";
  for (const ds of state.datasets) {
    const tr = document.createElement("tr");
    tr.dataset.id = ds.id;
    tr.innerHTML = `<td></td><td>${esc(ds.kind)}</td><td>${ds.runs}</td><td>${ds.days ?? ""}</td>
      <td><button type="button" class="show">show</button> <a href="/api/datasets/${encodeURIComponent(ds.id)}/report">report</a></td>`;
    tr.firstChild.textContent = ds.label;
    if (ds.vary) tr.firstChild.title = Object.entries(ds.vary).map(([k, v]) => `${k} = ${v}`).join("\n");
    tr.querySelector(".show").onclick = () => { $("#dataset").value = ds.id; selectDataset(ds.id); };
    tbody.appendChild(tr);
  }
}

// --- the map ------------------------------------------------------------------------------------
async function drawBaseMap() {
  const sc = state.scenario;
  const map = L.map("map", { zoomSnap: 0.25, preferCanvas: false, attributionControl: false });
  state.leaflet = map;
  const at = Object.fromEntries(sc.places.map((p) => [p.name, [p.lat, p.lon]]));
  map.fitBounds(L.latLngBounds(sc.places.map((p) => at[p.name])).pad(0.25), { maxZoom: 9 });
  const outlines = await fetch("/static/vendor/countries-110m.geojson").then((r) => r.json());
  L.geoJSON(outlines, { style: { color: "#999", weight: 0.8, fillColor: "#f2efe8", fillOpacity: 1 },
                        interactive: false }).addTo(map);
  for (const r of sc.routes) {
    L.polyline([at[r.from], at[r.to]], { color: "#8a8a8a", weight: 1.5, className: "road" })
      .bindTooltip(esc(`${r.from} – ${r.to}: ${r.distance_km} km`)).addTo(map);
  }
  for (const c of sc.crossings) {
    L.polyline([at[c.exit_post], at[c.entry_post]], { color: "#b22222", weight: 5, className: "crossing-line" })
      .bindTooltip(esc(`${c.name}: exit ${c.exit_post} → entry ${c.entry_post}; entry admits ${c.entry_admits}`)).addTo(map);
  }
  for (const p of sc.places) {
    state.circles[p.name] = L.circleMarker(at[p.name], {
      radius: 4, color: "#1f4e79", weight: 1, fillColor: "#2e75b6", fillOpacity: 0.35, className: "place-circle",
    }).bindTooltip("", { direction: "top" }).addTo(map);
    state.held[p.name] = L.circleMarker(at[p.name], {
      radius: 0, color: "#8b1a1a", weight: 1, fillColor: "#d9534f", fillOpacity: 0.8, className: "held-circle",
    }).bindTooltip("", { direction: "bottom" }).addTo(map);
  }
  $("#map").dataset.places = sc.places.map((p) => p.name).join("|");
}

const MAP_STATES = {
  everyone: ["settled", "travelling", "queued", "stranded", "onward", "returning", "sheltered", "arrived"],
  moving: ["travelling", "onward", "returning"],
  arrived: ["arrived"],
};
const HELD = ["queued", "stranded", "sheltered"];

function sumStates(m, t, p, names) {
  let s = 0;
  for (const n of names) s += m.people[t][p][m.states.indexOf(n)];
  return s;
}

function drawCircles() {
  const m = state.map[state.current];
  if (!m || !state.leaflet) return;
  const t = Math.min(state.day, m.dates.length - 1);
  const names = MAP_STATES[$("#map-measure").value];
  // scales fixed over the whole run, so circles compare across days
  const key = `${state.current}:${$("#map-measure").value}`;
  if (!state.scaleKey || state.scaleKey !== key) {
    let top = 1, topHeld = 1;
    m.people.forEach((day, tt) => day.forEach((_, p) => {
      top = Math.max(top, sumStates(m, tt, p, names));
      topHeld = Math.max(topHeld, sumStates(m, tt, p, HELD));
    }));
    state.scale = { top, topHeld };
    state.scaleKey = key;
  }
  m.places.forEach((name, p) => {
    const n = sumStates(m, t, p, names), h = sumStates(m, t, p, HELD);
    const c = state.circles[name], hc = state.held[name];
    if (!c) return;
    c.setRadius(n > 0 ? 3 + 34 * Math.sqrt(n / state.scale.top) : 2);
    c.setTooltipContent(`<b>${esc(name)}</b><br>${fmt(n)} people`);
    hc.setRadius(h >= 0.5 ? 4 + 22 * Math.sqrt(h / state.scale.topHeld) : 0);
    hc.setTooltipContent(`<b>${esc(name)}</b><br>${fmt(h)} held at the border`);
  });
  $("#map").dataset.day = String(t);
}

// --- charts -------------------------------------------------------------------------------------
function bandTraces(c, name, measure, colour, tag, dates, runs, dash = "solid") {
  // legend names stay short: "median of 3" for what is shown, "what-if 1: median of 2" for an overlay
  const b = c.measures[measure][name];
  const x = dates;
  const pre = tag ? `${tag}: ` : "";
  const traces = [];
  const group = tag || "shown";
  if (runs > 1) {
    traces.push({ x, y: b.p05, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: group });
    traces.push({ x, y: b.p95, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: colour + "2e",
                  name: `${pre}5–95%`, legendgroup: group, hoverinfo: "skip" });
    traces.push({ x, y: b.p25, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: group });
    traces.push({ x, y: b.p75, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: colour + "5c",
                  name: `${pre}25–75%`, legendgroup: group, hoverinfo: "skip" });
  }
  traces.push({ x, y: b.p50, mode: "lines", line: { color: colour, width: 2, dash },
                name: runs > 1 ? `${pre}median of ${runs}` : `${pre}${runs === 1 ? "one run" : ""}`, legendgroup: group });
  return traces;
}

const short = (label) => label.split(":")[0].slice(0, 40);

function eventShapes(crossing, dates) {
  const shapes = [], x = [], text = [], colour = [];
  for (const ev of state.scenario.timeline) {
    if (ev.crossing && ev.crossing !== crossing) continue;
    if (ev.date < dates[0] || ev.date > dates[dates.length - 1]) continue;
    shapes.push({ type: "line", xref: "x", yref: "paper", x0: ev.date, x1: ev.date, y0: 0, y1: 1,
                  line: { color: EVENT_COLOURS[ev.type] || "#666", width: 1, dash: "dot" } });
    x.push(ev.date); text.push(`${ev.date}: ${ev.label}${ev.note ? "<br>" + ev.note.slice(0, 120) : ""}`);
    colour.push(EVENT_COLOURS[ev.type] || "#666");
  }
  const trace = { x, y: x.map(() => 1), yaxis: "y2", mode: "markers", marker: { symbol: "triangle-down", size: 9, color: colour },
                  hovertext: text, hoverinfo: "text", name: "timeline", showlegend: false };
  return { shapes, trace };
}

function chartFor(div, crossing, measure, base, overlay, dayDate, yMax, same = null) {
  const dates = base.crossings.dates;
  const traces = bandTraces(base.crossings, crossing, measure, COLOURS.base, "", dates, base.crossings.runs);
  if (overlay && overlay.crossings.measures[measure][crossing]) {
    const label = (state.datasets.find((d) => d.id === overlay.crossings.id) || {}).label || overlay.crossings.id;
    traces.push(...bandTraces(overlay.crossings, crossing, measure, COLOURS.overlay,
                              short(label), overlay.crossings.dates, overlay.crossings.runs, "dash")
                    .map((t) => ({ ...t, meta: "overlay" })));
  }
  if (same && same.crossings.measures[measure][crossing]) {
    traces.push({ x: same.crossings.dates, y: same.crossings.measures[measure][crossing].p50, mode: "lines",
                  line: { color: COLOURS.base, width: 1.2, dash: "dot" }, meta: "same-runs",
                  name: `median of the same ${same.crossings.runs} run${same.crossings.runs > 1 ? "s" : ""}` });
  }
  const obs = observedAt("crossing", crossing, measure);
  if (obs.length) traces.push(observedTrace(obs));
  const ev = eventShapes(crossing, dates);
  traces.push(ev.trace);
  const shapes = ev.shapes.concat([{ type: "line", xref: "x", yref: "paper", x0: dayDate, x1: dayDate, y0: 0, y1: 1,
                                     line: { color: "#555", width: 1.5 } }]);
  const layout = {
    title: { text: `${crossing}: ${state.measures[measure]}`, font: { size: 13 }, x: 0.01 },
    margin: { l: 48, r: 10, t: 30, b: 30 }, showlegend: true,
    legend: { orientation: "h", x: 0, y: -0.16, font: { size: 10 } },
    xaxis: { type: "date" }, yaxis: { rangemode: "tozero", ...(yMax ? { range: [0, yMax] } : {}) },
    yaxis2: { overlaying: "y", range: [0, 1.04], visible: false, fixedrange: true }, shapes,
  };
  return Plotly.react(div, traces, layout, { displaylogo: false, responsive: true,
                                             modeBarButtonsToRemove: ["lasso2d", "select2d"] });
}

async function drawCharts() {
  const base = await load(state.current);
  const overlay = state.overlay ? await load(state.overlay) : null;
  const info = state.datasets.find((d) => d.id === state.overlay) || {};
  const same = overlay && info.baseline === state.current && overlay.crossings.runs < base.crossings.runs
    ? await loadFirstRuns(state.current, overlay.crossings.runs) : null;
  const host = $("#charts");
  const crossings = base.crossings.crossings;
  if (host.dataset.for !== crossings.join("|")) {
    host.innerHTML = "";
    for (const c of crossings) {
      const d = document.createElement("div");
      d.className = "chart"; d.dataset.crossing = c;
      host.appendChild(d);
    }
    host.dataset.for = crossings.join("|");
  }
  const dayDate = base.crossings.dates[Math.min(state.day, base.crossings.dates.length - 1)];
  await Promise.all([...host.children].map((d) => chartFor(d, d.dataset.crossing, state.measure, base, overlay, dayDate, null, same)));
  host.dataset.overlay = state.overlay || "";
}

function moveDayLine() {
  const base = state.crossings[state.current];
  if (!base) return;
  const dayDate = base.dates[Math.min(state.day, base.dates.length - 1)];
  for (const d of document.querySelectorAll("#charts .chart")) {
    if (!d.layout) continue;
    const shapes = d.layout.shapes.slice(0, -1).concat([{ ...d.layout.shapes[d.layout.shapes.length - 1], x0: dayDate, x1: dayDate }]);
    Plotly.relayout(d, { shapes });
  }
}

// --- needs --------------------------------------------------------------------------------------
let needsToken = 0;
async function drawNeeds() {
  const token = ++needsToken;
  const answer = await api(`/api/datasets/${encodeURIComponent(state.current)}/needs?day=${state.day}`);
  if (token !== needsToken) return;
  $("#needs-date").textContent = answer.date;
  const tbody = $("#needs tbody");
  tbody.innerHTML = "";
  if (!answer.rows.length) {
    tbody.innerHTML = `<tr><td colspan="7" class="muted">No one is held at the border on this day.</td></tr>`;
  }
  for (const r of answer.rows) {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td></td><td>${fmt(r.people)}</td><td>${r.days_held}</td><td>${fmt(r.water_litres_per_day)}</td>
      <td>${fmt(r.food_kcal_per_day)}</td><td>${fmt(r.covered_shelter_m2)}</td><td>${r.toilets}</td>`;
    tr.firstChild.textContent = r.place;
    tbody.appendChild(tr);
  }
}

// --- host communities ---------------------------------------------------------------------------
const HOST_LABELS = {    // as model/impacts.py LABELS
  held: "people held at the posts", sheltered: "people in shelters", shelter_capacity: "shelter places",
  shelter_occupancy_pct: "shelter occupancy %", passing_through: "people passing through",
  newly_settled: "newly settled (still there)", water_litres: "water, L/day", food_kcal: "food, kcal/day",
  covered_m2: "covered space, m²", toilets: "toilets", health_consultations: "health consultations/day",
  school_places: "school places",
};
const HOST_SERIES = { held: "#d9534f", sheltered: "#2e8b57", passing_through: "#f0ad4e", newly_settled: "#2e75b6",
                      shelter_capacity: "#2e8b57" };
function hostLabel(col) {
  if (HOST_LABELS[col]) return HOST_LABELS[col];
  const m = col.match(/^cost_(.+)_([A-Z]{3})$/);
  return m ? `cost of ${m[1].replace(/_/g, " ")}, ${m[2]}/day` : col;
}
const fmt1 = (x) => (x == null ? "–" : Number(x).toLocaleString("en-US", { maximumFractionDigits: 1 }));

function busiestRegion(answer) {
  let best = answer.regions[0], most = -1;
  for (const r of answer.regions) {
    const total = r.series.held.concat(r.series.sheltered).reduce((a, b) => a + b, 0);
    if (total > most) { most = total; best = r; }
  }
  return best.key;
}

let hostToken = 0;
async function drawHost() {
  if (isFlee(state.current)) return;     // a Flee case has no host-community counts
  const token = ++hostToken;
  const answer = await api(`/api/datasets/${encodeURIComponent(state.current)}/host?day=${state.day}`);
  if (token !== hostToken) return;
  const sel = $("#host-region");
  const keys = answer.regions.map((r) => r.key);
  if (sel.dataset.for !== keys.join("|")) {
    sel.innerHTML = "";
    for (const r of answer.regions) {
      const o = document.createElement("option");
      o.value = r.key; o.textContent = `${r.key} (${r.places.join(", ")})`;
      sel.appendChild(o);
    }
    sel.dataset.for = keys.join("|");
    sel.value = keys.includes(state.hostRegion) ? state.hostRegion : busiestRegion(answer);
  }
  state.hostRegion = sel.value;
  const region = answer.regions.find((r) => r.key === sel.value) || answer.regions[0];
  $("#host-date").textContent = answer.date;
  const tbody = $("#host-table tbody");
  tbody.innerHTML = "";
  for (const col of answer.columns) {
    const tr = document.createElement("tr");
    tr.dataset.col = col;
    tr.innerHTML = `<th></th><td>${fmt1(region.on_day[col])}</td>`;
    tr.firstChild.textContent = hostLabel(col);
    tbody.appendChild(tr);
  }
  const traces = Object.entries(HOST_SERIES).map(([m, colour]) => ({
    x: answer.dates, y: region.series[m], mode: "lines", name: hostLabel(m), meta: m,
    line: { color: colour, width: m === "shelter_capacity" ? 1.2 : 2, dash: m === "shelter_capacity" ? "dash" : "solid" },
  }));
  const dayDate = answer.dates[answer.day];
  await Plotly.react($("#host-chart"), traces, {
    title: { text: `${region.key}: people by kind`, font: { size: 13 }, x: 0.01 },
    margin: { l: 48, r: 10, t: 30, b: 30 }, legend: { orientation: "h", x: 0, y: -0.16, font: { size: 10 } },
    xaxis: { type: "date" }, yaxis: { rangemode: "tozero" },
    shapes: [{ type: "line", xref: "x", yref: "paper", x0: dayDate, x1: dayDate, y0: 0, y1: 1, line: { color: "#555", width: 1.5 } }],
  }, PLOT_CONFIG);
  const rates = answer.rates.map((r) => `${r.measure} ${r.value} ${r.unit}${r.currency ? " " + r.currency : ""} (${r.country}, ${r.year})`);
  $("#host-notes").textContent = [
    "Needs (Sphere) count those who depend on provision where they are: held, sheltered, passing through. " +
    "Health consultations count them and the newly settled; school places are a share of the newly settled.",
    ...answer.notes, `Rates (${answer.rates_file}): ${rates.join("; ")}.`].join(" ");
  const panel = $("#host-panel");
  panel.dataset.region = region.key;
  panel.dataset.day = String(answer.day);
}

// observations of one series (kind "crossing": at a crossing; "informal": at an informal crossing)
function observedAt(kind, where, measure) {
  return state.scenario.observations.filter((o) => (o.kind || "crossing") === kind && o.crossing === where &&
                                                   o.measure === measure);
}

function observedTrace(obs) {
  return { x: obs.map((o) => o.date), y: obs.map((o) => o.value), mode: "markers", name: "observed", meta: "observed",
    marker: { color: "#111", size: 7 },
    error_y: { type: "data", symmetric: false, color: "#111", thickness: 1.2, width: 3,
               array: obs.map((o) => (o.high ?? o.value) - o.value), arrayminus: obs.map((o) => o.value - (o.low ?? o.value)) },
    hovertext: obs.map((o) => `${o.date}: ${fmt(o.value)}${o.low != null || o.high != null ? ` (${o.low ?? "?"}–${o.high ?? "?"})` : ""}<br>${o.place}`),
    hoverinfo: "text" };
}

// --- inflows and informal crossings by day ------------------------------------------------------
async function loadFlows(id) {
  if (!state.flows[id]) state.flows[id] = await api(`/api/datasets/${encodeURIComponent(id)}/flows`);
  return state.flows[id];
}

function flowSeries(f) {
  // every series of the answer: people who came in at each place, each measure of each informal crossing
  const out = Object.entries(f.inflow).map(([place, band]) => ({ key: `inflow|${place}`, label: `came in at ${place}`, band }));
  for (const [name, measures] of Object.entries(f.informal)) {
    for (const [m, band] of Object.entries(measures)) {
      out.push({ key: `informal|${name}|${m}`, label: `${name}: ${m.replace(/^informal_/, "").replace(/_/g, " ")}`, band,
                 observed: observedAt("informal", name, m) });
    }
  }
  return out;
}

let flowsToken = 0;
async function drawFlows() {
  if (isFlee(state.current)) return;     // a Flee case has neither
  const token = ++flowsToken;
  const f = await loadFlows(state.current);
  if (token !== flowsToken) return;
  const panel = $("#flows-panel");
  const series = flowSeries(f);
  panel.dataset.for = f.id;
  $("#flows-body").style.display = series.length ? "" : "none";
  $("#flows-series").parentElement.style.display = series.length ? "" : "none";
  $("#flows-note").textContent = (series.length ? f.notes : [
    "Nothing to chart: this dataset has no people coming in by day (inflows.csv) and no informal crossings " +
    "(informal_crossings.csv).",
    ...f.notes]).join(" ");
  if (!series.length) { panel.dataset.day = ""; return; }
  const sel = $("#flows-series");
  const keys = series.map((s) => s.key);
  if (sel.dataset.for !== `${f.id}|${keys.join("|")}`) {
    sel.innerHTML = "";
    for (const s of series) {
      const o = document.createElement("option");
      o.value = s.key; o.textContent = s.label;
      sel.appendChild(o);
    }
    sel.dataset.for = `${f.id}|${keys.join("|")}`;
    sel.value = keys.includes(state.flowsKey) ? state.flowsKey : keys[0];
  }
  state.flowsKey = sel.value;
  const s = series.find((x) => x.key === sel.value);
  const x = f.dates, colour = COLOURS.base;
  const traces = [];
  if (f.runs > 1) {
    traces.push({ x, y: s.band.p05, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false });
    traces.push({ x, y: s.band.p95, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: colour + "2e",
                  name: "5–95%", hoverinfo: "skip" });
  }
  traces.push({ x, y: s.band.p50, mode: "lines", line: { color: colour, width: 2 }, meta: "median",
                name: f.runs > 1 ? `median of ${f.runs}` : "one run" });
  if (s.observed && s.observed.length) traces.push(observedTrace(s.observed));
  const t = Math.min(state.day, f.dates.length - 1);
  await Plotly.react($("#flows-chart"), traces, {
    title: { text: s.label, font: { size: 13 }, x: 0.01 }, margin: { l: 48, r: 10, t: 30, b: 30 },
    legend: { orientation: "h", x: 0, y: -0.16, font: { size: 10 } }, xaxis: { type: "date" }, yaxis: { rangemode: "tozero" },
    shapes: [{ type: "line", xref: "x", yref: "paper", x0: f.dates[t], x1: f.dates[t], y0: 0, y1: 1, line: { color: "#555", width: 1.5 } }],
  }, PLOT_CONFIG);
  flowsDay();
}

function flowsDay() {
  // the day's numbers of every series, and the day line on the chart
  const f = state.flows[state.current];
  const panel = $("#flows-panel");
  if (!f || isFlee(state.current) || panel.dataset.for !== f.id) return;
  const series = flowSeries(f);
  if (!series.length) return;
  const t = Math.min(state.day, f.dates.length - 1);
  $("#flows-date").textContent = f.dates[t];
  const tbody = $("#flows-table tbody");
  tbody.innerHTML = "";
  for (const s of series) {
    const tr = document.createElement("tr");
    tr.dataset.key = s.key;
    tr.innerHTML = `<th></th><td>${fmt1(s.band.p50[t])}</td><td>${f.runs > 1 ? `${fmt1(s.band.p05[t])}–${fmt1(s.band.p95[t])}` : "–"}</td>`;
    tr.firstChild.textContent = s.label;
    tbody.appendChild(tr);
  }
  panel.dataset.day = String(t);
  const d = $("#flows-chart");
  if (d.layout && d.layout.shapes) Plotly.relayout(d, { shapes: [{ ...d.layout.shapes[0], x0: f.dates[t], x1: f.dates[t] }] });
}

// --- the day ------------------------------------------------------------------------------------
function setDay(t, { quick = false } = {}) {
  if (isFlee(state.current)) { fleeSetDay(t); return; }
  const m = state.map[state.current];
  if (!m) return;
  state.day = Math.max(0, Math.min(t, m.dates.length - 1));
  $("#day").value = String(state.day);
  $("#date").textContent = m.dates[state.day];
  drawCircles();
  moveDayLine();
  flowsDay();
  if (!quick || state.day % 7 === 0) {
    drawNeeds().catch(showError);
    drawHost().catch(showError);
  }
}

function togglePlay() {
  const btn = $("#play");
  if (state.playing) {
    clearInterval(state.playing); state.playing = null; btn.textContent = "▶";
    drawNeeds().catch(showError);
    drawHost().catch(showError);
    return;
  }
  const m = state.map[state.current];
  if (state.day >= m.dates.length - 1) setDay(0);
  btn.textContent = "❚❚";
  state.playing = setInterval(() => {
    const last = state.map[state.current].dates.length - 1;
    if (state.day >= last) { togglePlay(); return; }
    setDay(state.day + 1, { quick: true });
  }, 120);
}

async function selectDataset(id) {
  state.current = id;
  if (isFlee(id)) { await selectFlee(id); return; }
  showFleePanel(false);
  const { map } = await load(id);
  $("#day").max = String(map.dates.length - 1);
  state.scaleKey = null;
  await drawCharts();
  await drawFlows();
  setDay(Math.min(state.day, map.dates.length - 1));
  $("#subtitle").textContent = `${state.scenario.start} to ${state.scenario.end} · ${(state.datasets.find((d) => d.id === id) || {}).label || id}`;
}

// --- what-ifs -----------------------------------------------------------------------------------
function buildWhatIfForm() {
  const lv = state.levers;
  const host = $("#whatif-crossings");
  for (const c of lv.crossings) {
    const fs = document.createElement("fieldset");
    fs.dataset.crossing = c.name;
    fs.innerHTML = `<legend></legend>
      <label>exit capacity <input type="number" name="exit_capacity" min="0" max="${lv.max_per_day}" step="any"> /day</label>
      <label>entry capacity <input type="number" name="entry_capacity" min="0" max="${lv.max_per_day}" step="any"> /day</label>
      <label>entry admits <select name="entry_admits"></select></label>
      <label>troops/police <input type="number" name="troops" min="0" max="${lv.max_personnel}" class="short"></label>`;
    fs.querySelector("legend").textContent = c.name;
    fs.querySelector("[name=exit_capacity]").value = c.exit_capacity_per_day;
    fs.querySelector("[name=entry_capacity]").value = c.entry_capacity_per_day;
    fs.querySelector("[name=troops]").value = c.troops_at_most;
    const sel = fs.querySelector("[name=entry_admits]");
    for (const r of [c.entry_admits, ...lv.rules.filter((r) => r !== c.entry_admits)]) {
      const o = document.createElement("option");
      o.value = r; o.textContent = r === c.entry_admits ? `${r} (as in the scenario)` : r;
      sel.appendChild(o);
    }
    host.appendChild(fs);
  }
  const form = $("#whatif-form");
  for (const c of lv.crossings) form.corridor_crossing.add(new Option(c.name, c.name));
  for (const p of lv.places) form.flight_from.add(new Option(p, p));
  for (const n of lv.nationalities) form.flight_nationality.add(new Option(n, n));
  for (const name of ["corridor_date", "flight_date", "from"]) {
    form[name].min = lv.start; form[name].max = lv.end; form[name].value = lv.start;
  }
  if (lv.deadline) form.deadline.value = lv.deadline; else form.deadline.disabled = true;
  form.seeds.max = lv.max_seeds;
  form.addEventListener("submit", (e) => { e.preventDefault(); runWhatIf().catch(showWhatIfError); });
}

function whatIfRequest() {
  const lv = state.levers, form = $("#whatif-form");
  const from = form.from.value && form.from.value !== lv.start ? form.from.value : undefined;
  const req = { baseline: state.current, seeds: Number(form.seeds.value || 4), capacity: [], admission: [], troops: [],
                corridor: [], flight: [] };
  for (const c of lv.crossings) {
    const fs = document.querySelector(`#whatif-crossings fieldset[data-crossing="${CSS.escape(c.name)}"]`);
    const exitCap = Number(fs.querySelector("[name=exit_capacity]").value);
    const entryCap = Number(fs.querySelector("[name=entry_capacity]").value);
    const admits = fs.querySelector("[name=entry_admits]").value;
    const troops = Number(fs.querySelector("[name=troops]").value);
    if (exitCap !== c.exit_capacity_per_day) req.capacity.push({ crossing: c.name, post: "exit", per_day: exitCap, from });
    if (entryCap !== c.entry_capacity_per_day) req.capacity.push({ crossing: c.name, post: "entry", per_day: entryCap, from });
    if (admits !== c.entry_admits) req.admission.push({ crossing: c.name, post: "entry", admits, from });
    if (troops !== c.troops_at_most) req.troops.push({ crossing: c.name, personnel: troops, from });
  }
  if (form.corridor_crossing.value) {
    req.corridor.push({ crossing: form.corridor_crossing.value, date: form.corridor_date.value,
                        days: Number(form.corridor_days.value), per_day: Number(form.corridor_per_day.value) });
  }
  if (form.flight_from.value) {
    req.flight.push({ from: form.flight_from.value, date: form.flight_date.value, seats: Number(form.flight_seats.value),
                      nationality: form.flight_nationality.value || null });
  }
  if (!form.deadline.disabled && form.deadline.value && form.deadline.value !== lv.deadline) req.deadline = form.deadline.value;
  if (form.label.value.trim()) req.label = form.label.value.trim();
  return req;
}

async function runWhatIf() {
  const status = $("#whatif-status"), bar = $("#whatif-progress");
  status.classList.remove("error");
  const job = await api("/api/whatif", { method: "POST", headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify(whatIfRequest()) });
  status.textContent = `${job.id}: ${job.levers.join("; ")} — queued`;
  status.dataset.state = "queued";
  bar.value = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const j = await api(`/api/whatif/${job.id}`);
    bar.value = j.progress;
    status.textContent = `${j.id}: ${j.levers.join("; ")} — ${j.status} (${j.done_runs}/${j.total_runs} runs)`;
    status.dataset.state = j.status === "done" ? "drawing" : j.status;   // "done" once drawn
    if (j.status === "failed") throw new Error(j.error);
    if (j.status === "done") {
      await refreshDatasets();
      state.overlay = j.dataset;
      $("#overlay").value = j.dataset;
      await drawCharts();
      const cmp = await api(`/api/compare?a=${encodeURIComponent(job.baseline)}&b=${encodeURIComponent(j.dataset)}`);
      const peaks = Object.entries(cmp.b.summary).map(([c, s]) =>
        `${c}: peak held ${fmt(cmp.a.summary[c]?.peak_held ?? 0)} → ${fmt(s.peak_held)}`).join("; ");
      status.textContent = `${j.id} done in ${j.wall_seconds} s, overlaid in blue. ${peaks}`;
      status.dataset.state = "done";
      return;
    }
  }
}

function showWhatIfError(err) {
  const status = $("#whatif-status");
  status.textContent = String(err.message || err);
  status.classList.add("error");
  status.dataset.state = "failed";
}

// --- side by side -------------------------------------------------------------------------------
async function compare() {
  const a = $("#cmp-a").value, b = $("#cmp-b").value;
  const view = $("#compare-view");
  if (isFlee(a) !== isFlee(b)) { view.textContent = FLEE_NO_COMPARE; return; }
  if (isFlee(a)) { await compareFlee(a, b, view); return; }
  const answer = await api(`/api/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  const [la, lb] = await Promise.all([load(a), load(b)]);
  view.innerHTML = "";
  for (const [side, ds, data] of [["a", answer.a, la], ["b", answer.b, lb]]) {
    const col = document.createElement("div");
    col.className = `compare-${side}`;
    const h = document.createElement("h3"); h.textContent = ds.label; col.appendChild(h);
    const rows = Object.entries(ds.summary).map(([c, s]) =>
      `<tr><td>${esc(c)}</td><td>${fmt(s.peak_held)}</td><td>${s.peak_date || "-"}</td><td>${fmt(s.total_entries)}</td><td>${fmt(s.total_refused)}</td><td>${fmt(s.total_irregular)}</td></tr>`);
    col.insertAdjacentHTML("beforeend", `<table><thead><tr><th>crossing</th><th>peak held</th><th>on</th><th>entries</th><th>refused</th><th>irregular</th></tr></thead><tbody>${rows.join("")}</tbody></table>`);
    const informal = Object.entries(ds.informal || {});   // informal_crossings.csv totals
    if (informal.length) {
      const irows = informal.map(([c, t]) =>
        `<tr><td>${esc(c)}</td><td>${fmt(t.informal_attempts)}</td><td>${fmt(t.informal_caught)}</td><td>${fmt(t.informal_crossed)}</td><td>${fmt(t.informal_injured)}</td><td>${fmt(t.informal_died)}</td></tr>`);
      col.insertAdjacentHTML("beforeend", `<table class="informal"><thead><tr><th>informal crossing</th><th>attempts</th><th>caught</th><th>crossed</th><th>injured</th><th>died</th></tr></thead><tbody>${irows.join("")}</tbody></table>`);
    }
    col.dataset.crossings = data.crossings.crossings.join("|");
    view.appendChild(col);
  }
  // one chart per crossing on each side, with the same scale on both
  for (const c of la.crossings.crossings) {
    const top = Math.max(...[la, lb].map((d) => Math.max(1, ...(d.crossings.measures[state.measure][c]?.p95 || [0])))) * 1.1;
    for (const [side, data] of [["a", la], ["b", lb]]) {
      const d = document.createElement("div");
      d.className = "chart";
      view.querySelector(`.compare-${side}`).appendChild(d);
      if (data.crossings.measures[state.measure][c]) {
        await chartFor(d, c, state.measure, data, null, data.crossings.dates[0], top);
      }
    }
  }
}

// --- Flee cases (docs/flee.md): their own map, charts per camp, totals and scores ---------------
// A Flee dataset (ruleset "flee") is drawn from /api/datasets/{id}/flee in #flee-panel; the
// travesia panels (crossings, needs, what-ifs) are hidden while it is shown.
const TRAVESIA_PANELS = ["#map-panel", "#charts-panel", "#needs-panel", "#whatif-panel", "#host-panel",
  "#branches-panel", "#flows-panel"];
const FLEE_COLOURS = { conflict_zone: "#b22222", camp: "#2e8b57", town: "#6b6b6b" };
const FLEE_NO_COMPARE = "Side by side compares travesia datasets at their crossings, which a Flee case does not have, " +
  "or two datasets of one Flee case at its camps: choose two of the same kind.";
const isFlee = (id) => (state.datasets.find((d) => d.id === id) || {}).ruleset === "flee";

async function loadFlee(id) {
  if (!state.flee[id]) state.flee[id] = await api(`/api/datasets/${encodeURIComponent(id)}/flee`);
  return state.flee[id];
}

function showFleePanel(on) {
  for (const sel of TRAVESIA_PANELS) { const el = $(sel); if (el) el.style.display = on ? "none" : ""; }
  $("#flee-panel").style.display = on ? "" : "none";
  if (on) return;
  $("#title").textContent = state.scenario.title || state.scenario.name;
  if (state.leaflet) state.leaflet.invalidateSize();
}

async function selectFlee(id) {
  const f = await loadFlee(id);
  state.map[id] = { dates: f.dates };          // what the slider and the play button read
  showFleePanel(true);
  $("#flee-case").textContent = f.case;
  $("#title").textContent = `Flee case ${f.case}`;
  $("#flee-panel").dataset.id = id;
  $("#day").max = String(f.dates.length - 1);
  await drawFleeMap(f);
  drawFleeSummary(f);
  drawFleeScores(f);
  await drawFleeCharts(f);
  fleeSetDay(Math.min(state.day, f.dates.length - 1));
  $("#subtitle").textContent = `Flee case ${f.case}: ${f.dates[0]} to ${f.dates[f.dates.length - 1]} · ${f.label}`;
}

async function drawFleeMap(f) {
  if (!state.fleeMap) {
    state.fleeMap = L.map("flee-map", { zoomSnap: 0.25, attributionControl: false });
    state.fleeMap.setView([0, 0], 2);
    const outlines = await fetch("/static/vendor/countries-110m.geojson").then((r) => r.json());
    L.geoJSON(outlines, { style: { color: "#999", weight: 0.8, fillColor: "#f2efe8", fillOpacity: 1 },
                          interactive: false }).addTo(state.fleeMap);
    state.fleeLayer = L.layerGroup().addTo(state.fleeMap);
  }
  state.fleeMap.invalidateSize();
  state.fleeLayer.clearLayers();
  state.fleeCircles = {};
  const note = $("#flee-note");
  note.querySelectorAll(".flee-missing").forEach((e) => e.remove());
  for (const text of f.notes) {
    const span = document.createElement("span");
    span.className = "flee-missing error"; span.textContent = ` Missing: ${text}.`;
    note.appendChild(span);
  }
  $("#flee-map").dataset.places = f.locations.map((p) => p.name).join("|");
  if (!f.locations.length) return;
  const at = Object.fromEntries(f.locations.map((p) => [p.name, [p.lat, p.lon]]));
  state.fleeMap.fitBounds(L.latLngBounds(Object.values(at)).pad(0.15), { maxZoom: 9 });
  for (const r of f.routes) {
    L.polyline([at[r.from], at[r.to]], { color: "#8a8a8a", weight: 1.2, className: "flee-route" })
      .bindTooltip(esc(`${r.from} – ${r.to}: ${r.distance_km} km`)).addTo(state.fleeLayer);
  }
  for (const p of f.locations) {
    const colour = FLEE_COLOURS[p.type] || FLEE_COLOURS.town;
    state.fleeCircles[p.name] = L.circleMarker(at[p.name], {
      radius: 3, color: colour, weight: 1, fillColor: colour, fillOpacity: 0.45,
      className: `flee-place flee-${p.type}`,
    }).bindTooltip("", { direction: "top" }).addTo(state.fleeLayer);
  }
  let top = 1;
  for (const day of f.people) for (const v of day) top = Math.max(top, v);
  state.fleeTop = top;                          // one scale over the whole run
}

function drawFleeCircles(f, t) {
  const type = Object.fromEntries(f.locations.map((p) => [p.name, p.type]));
  f.places.forEach((name, p) => {
    const c = state.fleeCircles[name];
    if (!c) return;
    const n = f.people[t][p];
    c.setRadius(n > 0 ? 3 + 30 * Math.sqrt(n / state.fleeTop) : 2);
    c.setTooltipContent(`<b>${esc(name)}</b> (${esc(type[name] || "")})<br>${fmt(n)} people`);
  });
  $("#flee-map").dataset.day = String(t);
}

function drawFleeSummary(f) {
  const tbody = $("#flee-summary tbody");
  tbody.innerHTML = "";
  for (const [camp, s] of Object.entries(f.summary)) {
    const tr = document.createElement("tr");
    tr.dataset.camp = camp;
    tr.innerHTML = `<td></td><td class="peak">${fmt(s.peak)}</td><td>${s.peak_date || "-"}</td>
      <td class="last">${fmt(s.last_median)}</td><td>${fmt(s.last_p05)}–${fmt(s.last_p95)}</td>
      <td class="observed">${s.observed_last == null ? "-" : fmt(s.observed_last)}</td>`;
    tr.firstChild.textContent = camp;
    tbody.appendChild(tr);
  }
}

function drawFleeScores(f) {
  const host = $("#flee-scores");
  const sc = f.scores;
  if (!sc) { host.innerHTML = `<p class="muted">No scores: the observed counts are not at hand.</p>`; return; }
  const rows = [[f.runs > 1 ? "model (median of the runs)" : "the run", sc.ard, sc.ard_rescaled]];
  if (sc.naive_last) rows.push(["first day carried forward", sc.naive_last.ard, null], ["nobody", sc.naive_zero.ard, null]);
  host.innerHTML = `<table><thead><tr><th>forecast</th><th>ARD</th><th>ARD rescaled</th></tr></thead><tbody>${
    rows.map(([name, a, r]) => `<tr><td>${esc(name)}</td><td class="ard">${a.toFixed(4)}</td><td>${r == null ? "" : r.toFixed(4)}</td></tr>`).join("")
  }</tbody></table><div class="muted small">Averaged relative difference (Flee's score, as <code>travesia score</code> gives it):
    per day Σ|model − observed| / Σ observed over the camps, averaged over the days; lower is better.</div>`;
  host.dataset.ard = String(sc.ard);
}

function fleeTraces(x, band, observed, runs) {
  const traces = [];
  if (runs > 1) {
    traces.push({ x, y: band.p05, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false });
    traces.push({ x, y: band.p95, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: COLOURS.base + "2e",
                  name: "5–95%", hoverinfo: "skip" });
    traces.push({ x, y: band.p25, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false });
    traces.push({ x, y: band.p75, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: COLOURS.base + "5c",
                  name: "25–75%", hoverinfo: "skip" });
  }
  traces.push({ x, y: band.p50, mode: "lines", line: { color: COLOURS.base, width: 2 }, meta: "median",
                name: runs > 1 ? `median of ${runs}` : "the run" });
  if (observed) {
    traces.push({ x, y: observed, mode: "lines", line: { color: "#111", width: 1.3, dash: "dash" }, meta: "observed",
                  name: "observed" });
  }
  return traces;
}

// a Flee chart's layout: its title, and the y axis (and day line) of where it is drawn
function fleeLayout(title, extra) {
  return { title: { text: title, font: { size: 13 }, x: 0.01 }, margin: { l: 52, r: 10, t: 30, b: 30 },
           legend: { orientation: "h", x: 0, y: -0.18, font: { size: 10 } }, xaxis: { type: "date" }, ...extra };
}

// Two datasets of one Flee case side by side (a run and an ensemble, the preset rules and a fit):
// their ARD, and each camp's curves on both sides on the same scale.
async function compareFlee(a, b, view) {
  const [fa, fb] = await Promise.all([loadFlee(a), loadFlee(b)]);
  if (fa.case !== fb.case || fa.camps.join("|") !== fb.camps.join("|")) {
    view.textContent = `Side by side compares two datasets of one Flee case; these are of ${fa.case} and ${fb.case}.`;
    return;
  }
  view.innerHTML = "";
  for (const [side, f] of [["a", fa], ["b", fb]]) {
    const col = document.createElement("div");
    col.className = `compare-${side}`;
    const h = document.createElement("h3"); h.textContent = f.label; col.appendChild(h);
    const ard = f.scores ? f.scores.ard.toFixed(4) : "-";
    col.insertAdjacentHTML("beforeend", `<table class="flee-compare"><thead><tr><th>runs</th><th>ARD</th></tr></thead>
      <tbody><tr><td>${fmt(f.runs)}</td><td class="ard">${ard}</td></tr></tbody></table>`);
    col.dataset.ard = f.scores ? String(f.scores.ard) : "";
    view.appendChild(col);
  }
  const series = [["total", "all camps together", (f) => f.total.band, (f) => f.total.observed],
                  ...fa.camps.map((c) => [c, `${c}: people at the camp`, (f) => f.bands[c], (f) => (f.observed ? f.observed[c] : null)])];
  for (const [key, title, bandOf, observedOf] of series) {
    // one scale on both sides, so the two columns compare at a glance
    const top = 1.1 * Math.max(1, ...[fa, fb].flatMap((f) => [...(bandOf(f).p95 || bandOf(f).p50), ...(observedOf(f) || [])]));
    for (const [side, f] of [["a", fa], ["b", fb]]) {
      const d = document.createElement("div");
      d.className = "chart"; d.dataset.camp = key;
      view.querySelector(`.compare-${side}`).appendChild(d);
      await Plotly.react(d, fleeTraces(f.dates, bandOf(f), observedOf(f), f.runs),
                         fleeLayout(title, { yaxis: { range: [0, top] } }), PLOT_CONFIG);
    }
  }
  view.dataset.flee = fa.case;
}

async function drawFleeCharts(f) {
  const host = $("#flee-charts");
  host.innerHTML = "";
  const dayDate = f.dates[Math.min(state.day, f.dates.length - 1)];
  const series = [["total", "all camps together", f.total.band, f.total.observed],
                  ...f.camps.map((c) => [c, `${c}: people at the camp`, f.bands[c], f.observed ? f.observed[c] : null])];
  for (const [key, title, band, observed] of series) {
    const d = document.createElement("div");
    d.className = "chart"; d.dataset.camp = key;
    host.appendChild(d);
    await Plotly.react(d, fleeTraces(f.dates, band, observed, f.runs), fleeLayout(title, {
      yaxis: { rangemode: "tozero" },
      shapes: [{ type: "line", xref: "x", yref: "paper", x0: dayDate, x1: dayDate, y0: 0, y1: 1, line: { color: "#555", width: 1.5 } }],
    }), PLOT_CONFIG);
  }
  host.dataset.for = state.current;
}

function fleeSetDay(t) {
  const f = state.flee[state.current];
  if (!f) return;
  state.day = Math.max(0, Math.min(t, f.dates.length - 1));
  $("#day").value = String(state.day);
  $("#date").textContent = f.dates[state.day];
  drawFleeCircles(f, state.day);
  const dayDate = f.dates[state.day];
  for (const d of document.querySelectorAll("#flee-charts .chart")) {
    if (!d.layout) continue;
    Plotly.relayout(d, { shapes: [{ ...d.layout.shapes[0], x0: dayDate, x1: dayDate }] });
  }
}

// --- branches of the future ---------------------------------------------------------------------
const BRANCH_COLOURS = ["#d9534f", "#2e75b6", "#2e8b57", "#7030a0", "#e69f00", "#555555"];
const BRANCH_FIGURES = { crossing: ["held_peak", "held_mean", "entries"], removals: null, arrivals: ["people"],
  region: ["held_mean", "sheltered_mean", "arrived", "settled_change"],
  needs: ["dependent_peak", "water_litres", "toilets_peak", "health_consultations", "school_places_end",
          "cost_shelter_USD", "cost_food_USD", "cost_school_CLF"] };

async function listBranches() {
  const answer = await api("/api/branches");
  state.branches = answer.branches;
  const list = $("#branch-list");
  if (!answer.branches.length) {
    list.textContent = "This scenario declares no branches of its future.";
    $("#branch-run").disabled = true;
    return;
  }
  list.innerHTML = answer.branches.map((b) =>
    `<div><b>${esc(b.id)}</b> (weight ${b.weight}): ${esc(b.title)} — from ${b.after} to ${b.end}` +
    (b.note ? ` <span title="${esc(b.note)}">ⓘ</span>` : "") + `</div>`).join("");
  if (answer.job && answer.job.status === "done") await showBranches(answer.job);
}

async function runBranches() {
  const status = $("#branch-status"), bar = $("#branch-progress");
  status.classList.remove("error");
  const runs = Number($("#branch-form [name=runs]").value);
  let job = await api("/api/branches", { method: "POST", headers: { "Content-Type": "application/json" },
                                          body: JSON.stringify({ runs }) });
  status.dataset.state = "running";
  for (;;) {
    bar.value = job.progress;
    status.textContent = `running: ${job.done_runs}/${job.total_runs} runs`;
    if (job.status === "failed") throw new Error(job.error);
    if (job.status === "done") break;
    await new Promise((r) => setTimeout(r, 300));
    job = (await api("/api/branches")).job;
  }
  await refreshDatasets();
  await showBranches(job);
  status.textContent = `done in ${job.wall_seconds} s (${job.draws})`;
  status.dataset.state = "done";
}

async function showBranches(job) {
  const ids = Object.keys(job.datasets);
  const sel = $("#branch-select");
  sel.querySelectorAll("option[data-branch]").forEach((o) => o.remove());
  for (const b of ids) {
    const o = document.createElement("option");
    o.value = job.datasets[b]; o.textContent = b; o.dataset.branch = b;
    sel.appendChild(o);
  }
  // one chart per crossing: each branch's median and 5-95% band of the measure shown
  const loaded = await Promise.all(ids.map((b) => load(job.datasets[b])));
  const charts = $("#branch-charts");
  charts.innerHTML = "";
  const crossings = loaded[0].crossings.crossings;
  for (const c of crossings) {
    const div = document.createElement("div");
    div.className = "chart"; div.dataset.crossing = c;
    charts.appendChild(div);
    const traces = [];
    ids.forEach((b, i) => {
      const data = loaded[i].crossings;
      traces.push(...bandTraces(data, c, state.measure, BRANCH_COLOURS[i % BRANCH_COLOURS.length], b,
                                data.dates, data.runs));
    });
    await Plotly.newPlot(div, traces, {
      title: { text: `${c}: ${state.measure}, by branch`, font: { size: 13 } },
      margin: { l: 50, r: 10, t: 30, b: 30 }, showlegend: true, legend: { font: { size: 10 } },
      xaxis: { type: "date" }, yaxis: { rangemode: "tozero" },
    }, { displayModeBar: false, responsive: true });
  }
  // the comparison table: one row per figure, one column per branch
  const rows = job.comparison.filter((r) => {
    const wanted = BRANCH_FIGURES[r.block];
    return wanted === null || (wanted || []).includes(r.measure);
  });
  const key = (r) => `${r.block}|${r.where}|${r.measure}`;
  const cells = {};
  for (const r of rows) (cells[key(r)] ||= {})[r.branch] = r;
  const table = $("#branch-table");
  table.querySelector("thead").innerHTML = `<tr><th>block</th><th>where</th><th>measure</th>` +
    ids.map((b) => `<th>${esc(b)}</th>`).join("") + `</tr>`;
  const body = [];
  for (const [k, byBranch] of Object.entries(cells)) {
    const values = ids.map((b) => byBranch[b]);
    if (values.every((v) => !v || (!v.mean && !v.p95))) continue;
    const [block, where, measure] = k.split("|");
    body.push(`<tr data-block="${esc(block)}"><td>${esc(block)}</td><td>${esc(where)}</td><td>${esc(measure)}</td>` +
      values.map((v) => `<td class="num">${v ? fmt(v.mean) + (v.runs > 1 ? ` <span class="muted">(${fmt(v.p05)}–${fmt(v.p95)})</span>` : "") : "-"}</td>`).join("") +
      `</tr>`);
  }
  table.querySelector("tbody").innerHTML = body.join("");
  state.branchJob = job;
}

// --- start --------------------------------------------------------------------------------------
function showError(err) {
  console.error(err);
  const s = $("#subtitle");
  s.textContent = String(err.message || err);
  s.classList.add("error");
}

async function main() {
  state.scenario = await api("/api/scenario");
  state.levers = await api("/api/levers");
  document.title = `${state.scenario.title || state.scenario.name} — travesia`;
  $("#title").textContent = state.scenario.title || state.scenario.name;
  const std = state.scenario.needs_standard;
  $("#needs-standard").textContent = `Sphere standards, per person per day: ${std.water_litres_per_person_day} L water, ` +
    `${fmt(std.kcal_per_person_day)} kcal, ${std.covered_m2_per_person} m² covered space; one toilet per ` +
    `${std.people_per_toilet} people (per ${std.people_per_toilet_first_days} in the first 7 days).`;
  await refreshDatasets();
  const measures = $("#measures");
  for (const [m, label] of Object.entries(state.measures)) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = m; b.title = label; b.dataset.measure = m;
    if (m === state.measure) b.classList.add("active");
    b.onclick = () => {
      state.measure = m;
      measures.querySelectorAll("button").forEach((x) => x.classList.toggle("active", x === b));
      drawCharts().catch(showError);
    };
    measures.appendChild(b);
  }
  await drawBaseMap();
  buildWhatIfForm();
  const first = state.datasets.find((d) => d.kind === "ensemble") || state.datasets[0];
  if (!first) { showError(new Error("no runs to show")); return; }
  $("#dataset").value = first.id;
  $("#cmp-a").value = first.id;
  $("#cmp-b").value = (state.datasets[1] || first).id;
  $("#dataset").onchange = (e) => selectDataset(e.target.value).catch(showError);
  $("#overlay").onchange = (e) => { state.overlay = e.target.value || null; drawCharts().catch(showError); };
  $("#map-measure").onchange = () => { state.scaleKey = null; drawCircles(); };
  $("#day").addEventListener("input", (e) => setDay(Number(e.target.value)));
  $("#play").onclick = togglePlay;
  $("#compare").onclick = () => compare().catch(showError);
  $("#flows-series").onchange = () => { state.flowsKey = $("#flows-series").value; drawFlows().catch(showError); };
  $("#host-region").onchange = () => { state.hostRegion = $("#host-region").value; drawHost().catch(showError); };
  $("#branch-form").addEventListener("submit", (e) => {
    e.preventDefault();
    runBranches().catch((err) => {
      const status = $("#branch-status");
      status.textContent = String(err.message || err);
      status.classList.add("error");
      status.dataset.state = "failed";
    });
  });
  $("#branch-select").onchange = (e) => {
    if (!e.target.value) return;
    $("#dataset").value = e.target.value;
    selectDataset(e.target.value).catch(showError);
  };
  await listBranches();
  await selectDataset(first.id);
  document.body.dataset.ready = "1";
}

main().catch(showError);
