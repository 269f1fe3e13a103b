"""The status page at ``/``: map, airspace status with evidence, live alerts, routes, traffic.

With ``watch.airspaces: all`` it adds a world view: every FIR on the map coloured by its
status, and a sortable table of the most disrupted (``/api/v1/airspaces/summary``).

One self-contained HTML page (no CDN, no map tiles: it works offline) that reads the
public API, so what a person sees is exactly what API clients get.  The map is SVG drawn
from ``/api/v1/map``; alerts arrive live over ``/api/v1/alerts/stream``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>firwatch: airspace status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
header{background:#12263f;color:#fff;padding:.6rem 1.2rem}header h1{margin:0;font-size:1.25rem}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem;padding:1rem 1.2rem}
section{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:.6rem .9rem}
h2{font-size:1.05rem;margin:.2rem 0 .5rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #e3e6ea;padding:.25rem .4rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:600;padding:.2rem 0}
.NORMAL{color:#17643a}.ADVISORY{color:#8a6100}.RESTRICTED{color:#b35900}.CLOSED{color:#b00020}
.badge{font-weight:700;font-size:1.1rem}#map{width:100%;height:auto;background:#dcebf7}
.land{fill:#f1eee4;stroke:#a9a391;vector-effect:non-scaling-stroke;stroke-width:.7}
.fir{fill:none;stroke:#7a8896;vector-effect:non-scaling-stroke;stroke-width:1}
.fir.watched{fill:rgba(176,0,32,.07);stroke:#b00020;stroke-width:2}
.world .fir.watched{fill:none;stroke:#7a8896;stroke-width:1}
#firs .fir.st-ADVISORY{fill:rgba(214,160,0,.5)}#firs .fir.st-RESTRICTED{fill:rgba(230,110,0,.6)}
#firs .fir.st-CLOSED{fill:rgba(176,0,32,.65);stroke:#b00020;stroke-width:1.5}
#world-table button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer}
.ac-foreign{fill:#b00020}.ac-domestic{fill:#1f5fa8}.airport{fill:#000}
.track{fill:none;stroke:#8a3ffc;vector-effect:non-scaling-stroke;stroke-width:2;opacity:.8}
a:focus,button:focus,[tabindex]:focus{outline:3px solid #ffbf47}
small{color:#5a6470}.legend span{margin-right:1rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.3rem;z-index:1}
</style></head><body>
<a href="#status-h" class="skip">Skip to airspace status</a>
<header><h1>firwatch <small style="color:#cfd8e3">airspace disruption monitor</small></h1></header>
<main>
<section aria-labelledby="map-h"><h2 id="map-h">Map</h2>
<svg id="map" tabindex="0" role="img" aria-labelledby="map-title map-desc" viewBox="-86 -28 37 39" preserveAspectRatio="xMidYMid meet">
<title id="map-title">Flight information regions, aircraft and rerouted tracks</title>
<desc id="map-desc">Land (beige) and sea (blue), FIR boundaries (watched ones in red), current aircraft (red circles foreign, blue squares domestic: registered in the state of a watched airspace) and tracks of rerouted, diverted or turned-back flights (purple).</desc>
<g id="land"></g><g id="firs"></g><g id="tracks"></g><g id="aircraft"></g><g id="airports"></g></svg>
<p class="legend"><span>&#9679; <span class="ac-foreign" style="color:#b00020">foreign aircraft</span></span>
<span style="color:#1f5fa8">&#9632; domestic aircraft</span><span style="color:#8a3ffc">&#9472; rerouted / diverted track</span>
<span id="counts"></span></p>
<p><small>Data time <span id="data-time">–</span>. Map data: VAT-Spy FIR boundaries (CC BY-SA 4.0, simulation data, not for navigation); land: Natural Earth (public domain).</small></p>
</section>
<div>
<section id="world" aria-labelledby="world-h" hidden style="margin-bottom:1rem"><h2 id="world-h">World</h2>
<p id="world-counts" aria-live="polite"></p>
<table id="world-table"><caption>Most disrupted FIRs (click a heading to sort)</caption>
<thead><tr><th scope="col"><button data-key="airspace">FIR</button></th><th scope="col"><button data-key="status">Status</button></th>
<th scope="col"><button data-key="since">Since (UTC)</button></th><th scope="col"><button data-key="traffic_ratio">Traffic vs baseline</button></th></tr></thead>
<tbody id="world-rows"></tbody></table></section>
<section aria-labelledby="status-h"><h2 id="status-h">Airspace status</h2><div id="airspaces" aria-live="polite"></div></section>
<section aria-labelledby="traffic-h" style="margin-top:1rem"><h2 id="traffic-h">Traffic</h2>
<div id="traffic-charts"></div></section>
</div>
<section aria-labelledby="alerts-h"><h2 id="alerts-h">Alerts <small>(live)</small></h2>
<table><caption class="sr">Newest first; times in UTC</caption>
<thead><tr><th scope="col">Data time (UTC)</th><th scope="col">Type</th><th scope="col">Alert</th><th scope="col">Status</th></tr></thead>
<tbody id="alerts" aria-live="polite"></tbody></table></section>
<section aria-labelledby="routes-h"><h2 id="routes-h">Watched routes</h2>
<table><thead><tr><th scope="col">Route</th><th scope="col">Flights</th><th scope="col">Avoiding</th>
<th scope="col">Median extra</th><th scope="col">Diversions</th></tr></thead><tbody id="routes"></tbody></table>
<p><small><a href="/docs">API documentation</a> · <a href="/api/v1/alerts">alerts JSON</a></small></p></section>
</main>
<script>
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
const SVG = "http://www.w3.org/2000/svg";
const utc = t => t ? t.replace("T", " ").replace(/\\.\\d+/, "").replace("Z", " UTC") : "–";
function el(tag, attrs, parent) { const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); parent.appendChild(e); return e; }
function ring(coords) { return coords.map(([x, y]) => `${x},${-y}`).join(" "); }
let firsDrawn = false, k = 1;
function pathOf(geom) {
  const polys = geom.type === "Polygon" ? [geom.coordinates] : geom.type === "MultiPolygon" ? geom.coordinates : [];
  return polys.map(p => p.map(r => "M" + ring(r) + "Z").join("")).join("");
}
async function drawMap() {
  const fc = await (await fetch("/api/v1/map")).json();
  if (!firsDrawn && fc.bbox) {
    const [w, s, e, n] = fc.bbox; k = (e - w) / 37;
    document.getElementById("map").setAttribute("viewBox", `${w} ${-n} ${e - w} ${n - s}`);
    fetch("/api/v1/map/basemap").then(r => r.json()).then(land => {
      el("path", {d: pathOf(land.geometry), class: "land", "fill-rule": "evenodd"}, document.getElementById("land"));
    }).catch(console.error);
  }
  const firs = document.getElementById("firs"), tracks = document.getElementById("tracks"),
        aircraft = document.getElementById("aircraft"), airports = document.getElementById("airports");
  tracks.innerHTML = ""; aircraft.innerHTML = "";
  let foreign = 0, domestic = 0;
  for (const f of fc.features) {
    const p = f.properties, g = f.geometry;
    if (p.kind === "fir" && !firsDrawn) {
      const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      for (const poly of polys) { const e = el("polygon", {points: ring(poly[0]), class: "fir" + (p.watched ? " watched" : ""), "data-icao": p.icao}, firs);
        el("title", {}, e).textContent = `${p.icao} ${p.name}`; }
    } else if (p.kind === "track") {
      const e = el("polyline", {points: ring(g.coordinates), class: "track"}, tracks);
      el("title", {}, e).textContent = `${p.callsign} ${p.route} (${p.alert})`;
    } else if (p.kind === "aircraft") {
      p.domestic ? domestic++ : foreign++;
      const [x, y] = g.coordinates;
      // a different shape as well as a different colour: colour alone fails colour-blind readers
      const e = p.domestic
        ? el("rect", {x: x - 0.2 * k, y: -y - 0.2 * k, width: 0.4 * k, height: 0.4 * k, class: "ac-domestic"}, aircraft)
        : el("circle", {cx: x, cy: -y, r: 0.22 * k, class: "ac-foreign"}, aircraft);
      el("title", {}, e).textContent = `${p.callsign || p.icao24} ${Math.round(p.altitude_ft || 0)} ft`;
    } else if (p.kind === "airport" && !firsDrawn) {
      const [x, y] = g.coordinates;
      el("rect", {x: x - 0.15 * k, y: -y - 0.15 * k, width: 0.3 * k, height: 0.3 * k, class: "airport"}, airports);
      // alternate labels above and below: neighbouring airports (TNCC, TNCB) would overlap
      const below = airports.querySelectorAll("text").length % 2 === 1;
      const t = el("text", {x: x + 0.25 * k, y: -y + (below ? 0.75 : -0.25) * k, "font-size": 0.7 * k}, airports);
      t.textContent = p.icao;
    }
  }
  firsDrawn = true;
  document.getElementById("counts").textContent = `${foreign} foreign, ${domestic} domestic aircraft in view`;
  document.getElementById("data-time").textContent = utc(fc.data_time);
}
const RANK = {CLOSED: 0, RESTRICTED: 1, ADVISORY: 2, NORMAL: 3, UNKNOWN: 4};
let worldRows = [], worldSort = {key: "status", dir: 1}, isWorld = false;
function renderWorld() {
  const {key, dir} = worldSort;
  const value = r => key === "status" ? RANK[r.status] : (r[key] ?? Infinity);
  const rows = worldRows.slice().sort((a, b) => (value(a) > value(b) ? 1 : value(a) < value(b) ? -1 : 0) * dir);
  document.getElementById("world-rows").innerHTML = rows.map(r => `<tr data-icao="${esc(r.airspace)}"><th scope="row">${esc(r.airspace)} <small>${esc(r.name)}</small></th>
    <td class="${esc(r.status)}">${esc(r.status)}</td><td>${esc(utc(r.since))}</td>
    <td>${r.traffic_ratio == null ? "–" : Math.round(r.traffic_ratio * 100) + " %"}</td></tr>`).join("");
}
async function drawWorld() {
  // every FIR watched (watch.airspaces: all): colour each by status, list the most disrupted
  const summary = await (await fetch("/api/v1/airspaces/summary")).json();
  isWorld = summary.world;
  document.getElementById("world").hidden = !isWorld;
  document.getElementById("map").classList.toggle("world", isWorld);
  if (!isWorld) return;
  const c = summary.counts;
  document.getElementById("world-counts").textContent =
    `${summary.watched} FIRs watched: ${c.CLOSED} closed, ${c.RESTRICTED} restricted, ${c.ADVISORY} advisory, ${c.NORMAL} normal`;
  worldRows = summary.most_disrupted;
  renderWorld();
  const status = new Map(worldRows.map(r => [r.airspace, r.status]));
  for (const poly of document.querySelectorAll("#firs polygon")) {
    const st = status.get(poly.dataset.icao);
    poly.classList.remove("st-ADVISORY", "st-RESTRICTED", "st-CLOSED");
    if (st) poly.classList.add("st-" + st);
  }
}
document.querySelector("#world-table thead").addEventListener("click", ev => {
  const key = ev.target.dataset && ev.target.dataset.key; if (!key) return;
  worldSort = {key, dir: worldSort.key === key ? -worldSort.dir : 1}; renderWorld();
});
async function drawStatus() {
  const list = await (await fetch(isWorld ? "/api/v1/airspaces?status=ADVISORY,RESTRICTED,CLOSED" : "/api/v1/airspaces")).json();
  document.getElementById("airspaces").innerHTML = list.map(s => {
    const ev = s.evidence || {};
    return `<p><strong>${esc(s.airspace)}</strong> ${esc(s.name)}: <span class="badge ${esc(s.status)}" data-airspace="${esc(s.airspace)}">${esc(s.status)}</span>
      <small>since ${esc(utc(s.since))}</small><br>foreign aircraft <b class="foreign-count">${esc(ev.foreign_count)}</b>
      vs baseline ${esc(ev.baseline_foreign)} · domestic ${esc(ev.domestic_count)}
      ${(ev.notam_ids || []).length ? "<br>NOTAMs: " + esc(ev.notam_ids.join(", ")) : ""}</p>`;
  }).join("");
  const routes = await (await fetch("/api/v1/routes")).json();
  document.getElementById("routes").innerHTML = routes.map(r => `<tr><th scope="row">${esc(r.route)}</th>
    <td>${esc(r.flights)}</td><td>${r.share_avoiding == null ? "–" : Math.round(r.share_avoiding * 100) + " %"}</td>
    <td>${r.median_extra_km == null ? "–" : esc(r.median_extra_km) + " km"}</td><td>${esc(r.diversions)}</td></tr>`).join("");
  const charts = document.getElementById("traffic-charts");
  for (const s of list) {
    let img = charts.querySelector(`img[data-airspace="${s.airspace}"]`);
    if (!img) {
      img = document.createElement("img"); img.className = "traffic"; img.dataset.airspace = s.airspace;
      img.alt = `Aircraft inside ${s.airspace} over time: foreign (red) and domestic (blue) against the baseline (dashed)`;
      img.style.maxWidth = "100%"; charts.appendChild(img);
    }
    img.src = `/api/v1/airspaces/${encodeURIComponent(s.airspace)}/traffic.svg?t=${Date.now()}`;
  }
}
const rows = new Map();
function showAlert(a) {
  const body = document.getElementById("alerts");
  const html = `<td>${esc(utc(a.observed_at))}</td><td>${esc(a.type)}</td><td>${esc(a.title)}</td><td>${esc(a.status)}</td>`;
  let tr = rows.get(a.id);
  if (!tr) { tr = document.createElement("tr"); tr.className = "alert-row"; rows.set(a.id, tr); body.prepend(tr); }
  tr.innerHTML = html;
}
async function start() {
  const first = await (await fetch("/api/v1/alerts?limit=50")).json();
  first.items.slice().reverse().forEach(showAlert);
  if (window.EventSource) {
    const es = new EventSource("/api/v1/alerts/stream");
    for (const kind of ["opened", "resolved", "reopened"]) es.addEventListener("alert." + kind, ev => showAlert(JSON.parse(ev.data)));
  } else {
    setInterval(async () => (await (await fetch("/api/v1/alerts?limit=50")).json()).items.slice().reverse().forEach(showAlert), 5000);
  }
  const tick = async () => { try { await drawMap(); await drawWorld(); await drawStatus(); } catch (e) { console.error(e); } };
  await tick(); setInterval(tick, 3000);
}
start();
</script></body></html>
"""


@router.get("/", response_class=HTMLResponse)
def status_page() -> str:
    return PAGE
