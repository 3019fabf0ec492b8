// Copy the dashboard's front-end libraries from node_modules into the Python package, and turn
// Natural Earth's 1:110m country outlines (world-atlas, TopoJSON, public domain) into GeoJSON.
// Run `npm install && npm run build` here after changing a version in package.json; the output
// in src/travesia/web/static/vendor/ is committed so users need no npm.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { feature } from "topojson-client";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const vendor = join(here, "..", "src", "travesia", "web", "static", "vendor");
const version = (name) => JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8")).version;

rmSync(vendor, { recursive: true, force: true });
mkdirSync(join(vendor, "leaflet", "images"), { recursive: true });

const copies = [
  ["leaflet/dist/leaflet.js", "leaflet/leaflet.js"],
  ["leaflet/dist/leaflet.css", "leaflet/leaflet.css"],
  ["leaflet/LICENSE", "leaflet/LICENSE"],
  ["plotly.js-basic-dist-min/plotly-basic.min.js", "plotly-basic.min.js"],
  ["plotly.js-basic-dist-min/LICENSE", "plotly-LICENSE"],
  ["world-atlas/LICENSE", "world-atlas-LICENSE"],
];
for (const img of ["layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"]) {
  copies.push([`leaflet/dist/images/${img}`, `leaflet/images/${img}`]);
}
for (const [from, to] of copies) copyFileSync(join(modules, from), join(vendor, to));

// Country outlines: 3 decimals (about 100 m) is finer than the 1:110m data itself.
const topo = JSON.parse(readFileSync(join(modules, "world-atlas", "countries-110m.json"), "utf8"));
const geo = feature(topo, topo.objects.countries);
const round = (c) => (typeof c[0] === "number" ? c.map((x) => Math.round(x * 1000) / 1000) : c.map(round));
// Rings that cross the antimeridian (Fiji, Russia's Chukotka) would be drawn across the whole map:
// shift their western longitudes by 360 degrees so each ring stays in one piece.
const unwrap = (ring) => {
  const lons = ring.map((p) => p[0]);
  if (Math.max(...lons) - Math.min(...lons) <= 180) return ring;
  return ring.map(([x, y]) => [x < 0 ? x + 360 : x, y]);
};
const polygons = (g) => (g.type === "Polygon" ? [g.coordinates] : g.coordinates);
for (const f of geo.features) {
  for (const poly of polygons(f.geometry)) poly.forEach((ring, i) => { poly[i] = unwrap(ring); });
  f.geometry.coordinates = round(f.geometry.coordinates);
  f.properties = { name: f.properties.name };
}
writeFileSync(join(vendor, "countries-110m.geojson"), JSON.stringify(geo));

const versions = {
  leaflet: version("leaflet"),
  "plotly.js-basic-dist-min": version("plotly.js-basic-dist-min"),
  "world-atlas": version("world-atlas") + " (Natural Earth 1:110m countries, public domain)",
};
writeFileSync(join(vendor, "VERSIONS.json"), JSON.stringify(versions, null, 2) + "\n");
console.log("vendor files written to", vendor, versions);
