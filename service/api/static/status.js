"use strict";
// The status page's logic. It reads only the public API, so what a person sees is what API
// clients get; it never claims more than the data says: "no data yet" before the first poll,
// a feed outage named as one, the source of every status in words.

const $ = id => document.getElementById(id);
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
const SVG = "http://www.w3.org/2000/svg";
const NM_PER_KM = 1 / 1.852;

// Reads may need a key (any bind off loopback, e.g. Docker): asked once, kept in sessionStorage.
const KEY = "firwatch.api_key";
let keyWaiters = [];
function headers() { const key = sessionStorage.getItem(KEY); return key ? {"X-API-Key": key} : {}; }
function askForKey(message) {
  $("key-error").textContent = message || "";
  $("key-form").hidden = false;
  return new Promise(resolve => keyWaiters.push(resolve));
}
$("key-form").addEventListener("submit", ev => {
  ev.preventDefault();
  sessionStorage.setItem(KEY, $("key-input").value.trim());
  $("key-form").hidden = true;
  const waiting = keyWaiters; keyWaiters = []; waiting.forEach(resolve => resolve());
});

// Every request goes through here: the key, a refused key asked again, errors as exceptions.
async function api(path, options = {}) {
  for (;;) {
    const response = await fetch(path, {cache: "no-store", ...options, headers: headers()});
    if (response.status === 401) {
      const had = sessionStorage.getItem(KEY) !== null;
      sessionStorage.removeItem(KEY);
      await askForKey(had ? "The key was refused; try another." : "");
      continue;
    }
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response;
  }
}
const getJSON = async path => (await api(path)).json();

// Server-Sent Events over fetch (EventSource cannot send a key header); resumes with Last-Event-ID.
async function listen(onAlert) {
  let last = null;
  for (;;) {
    try {
      const h = headers(); if (last) h["Last-Event-ID"] = last;
      const r = await fetch("/api/v1/alerts/stream", {headers: h, cache: "no-store"});
      if (r.status === 401) { sessionStorage.removeItem(KEY); await askForKey("The key was refused; try another."); continue; }
      const reader = r.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, {stream: true});
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
          const f = {};
          for (const line of block.split("\n")) { const i = line.indexOf(": "); if (i > 0) f[line.slice(0, i)] = line.slice(i + 2); }
          if (f.id) last = f.id;
          if (f.event && f.event.startsWith("alert.") && f.data) onAlert(JSON.parse(f.data));
        }
      }
    } catch (e) { console.error(e); }
    await new Promise(resolve => setTimeout(resolve, 2000));
  }
}

// Data times (what happened, in the feeds' clock): date and minute, UTC.
const when = t => t ? `${t.slice(0, 10)} ${t.slice(11, 16)} UTC` : "–";
// Server (wall) clock times, to the second.
const clock = t => t ? `${t.slice(0, 10)} ${t.slice(11, 19)} UTC` : "–";
const num = v => v == null ? "?" : (Number.isInteger(v) ? String(v) : String(Math.round(v * 10) / 10));
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

// ---- where a status comes from, in words -------------------------------------------------
function notamList(ids) { return ids.length ? ids.join(", ") : "none"; }

function statusSource(status, ev) {
  const ids = ev.notam_ids || [];
  const figure = `foreign aircraft ${num(ev.foreign_count)} vs ${num(ev.baseline_foreign)} expected`;
  const fromNotam = status !== "NORMAL" && ev.notam_status === status;
  const fromTraffic = status !== "NORMAL" && ev.traffic_status === status;
  const since = ev.traffic_collapsed_since ? ` since ${when(ev.traffic_collapsed_since)}` : "";
  if (fromNotam && fromTraffic) {
    return {kind: "both", text: `Source: both — NOTAM ${notamList(ids)} says ${status}, and the traffic shows it: ${figure}${since}.`};
  }
  if (fromTraffic) {
    let note = " No NOTAM in force restricts it.";
    if (ev.notam_status === "ADVISORY") {
      const what = ids.length > 1 ? `NOTAMs in force (${notamList(ids)}) amount only to an advisory for the FIR as a whole` : `NOTAM in force (${notamList(ids)}) is only an advisory`;
      note = ` The ${what}: ${status} here is what the traffic shows, not an official restriction.`;
    } else if (ev.notam_status && ev.notam_status !== "NORMAL") {
      note = ` NOTAMs in force (${notamList(ids)}) say ${ev.notam_status}.`;
    }
    return {kind: "traffic", text: `Source: traffic — collapse${since}: ${figure}.${note}`};
  }
  if (fromNotam) {
    return {kind: "notam", text: `Source: NOTAM — ${notamList(ids)} (${String(ev.notam_status).toLowerCase()}). Traffic is normal: ${figure}.`};
  }
  if (status === "NORMAL") return {kind: "none", text: `No NOTAM in force and normal traffic: ${figure}.`};
  return {kind: "unknown", text: "Source not recorded."};
}

function shortSource(a) {
  const ev = a.evidence || {};
  const source = statusSource(ev.status || "", ev).kind;
  return {both: "from NOTAM and traffic", traffic: "from the traffic", notam: "from the NOTAM"}[source] || "";
}

// ---- NOTAM text on demand ------------------------------------------------------------------
const openNotams = new Set(), notamTexts = new Map();
function notamDetails(ids) {
  return ids.map(id => `<details class="notam" data-notam="${esc(id)}"${openNotams.has(id) ? " open" : ""}>
    <summary>NOTAM ${esc(id)}: show its text</summary><pre>${esc(notamTexts.get(id) || "loading…")}</pre></details>`).join("");
}
document.addEventListener("toggle", async ev => {
  const box = ev.target;
  if (!(box instanceof HTMLDetailsElement) || !box.dataset.notam) return;
  const id = box.dataset.notam;
  if (!box.open) { openNotams.delete(id); return; }
  openNotams.add(id);
  if (!notamTexts.has(id)) {
    try {
      const n = await getJSON(`/api/v1/notams/${encodeURIComponent(id)}`);
      notamTexts.set(id, `${n.raw_text || n.text}\n\nvalid ${n.valid_from || "?"} to ${n.valid_to || "?"}${n.valid_to_estimated ? " (estimated)" : ""}; classified ${n.classification} (${n.classification_reason})`);
    } catch (e) { notamTexts.set(id, `could not load the NOTAM: ${e.message}`); }
  }
  box.querySelector("pre").textContent = notamTexts.get(id);
}, true);

// ---- airspace status and feeds ---------------------------------------------------------------
let feedsDown = [];
async function drawFeeds() {
  const health = await getJSON("/health");
  const names = Object.keys(health.feeds || {}).sort();
  feedsDown = [];
  $("feeds").innerHTML = names.length ? names.map(name => {
    const f = health.feeds[name];
    const down = f.last_error_at && (!f.last_success_at || f.last_error_at > f.last_success_at);
    if (!down) return `<li class="feed-ok" data-feed="${esc(name)}">${esc(name)}: working, last good poll ${esc(clock(f.last_success_at))}</li>`;
    feedsDown.push(name);
    const since = f.last_success_at ? `feed down since ${esc(clock(f.last_success_at))} (its last good poll)` : "feed down: no successful poll yet";
    return `<li class="feed-down" data-feed="${esc(name)}">${esc(name)}: ${since}; last error ${esc(clock(f.last_error_at))}: ${esc(f.last_error || "?")}</li>`;
  }).join("") : `<li>no poll has finished yet</li>`;
}

// ---- world view (watch.airspaces: all) ------------------------------------------------------
const RANK = {CLOSED: 0, RESTRICTED: 1, ADVISORY: 2, NORMAL: 3, UNKNOWN: 4};
let worldRows = [], worldSort = {key: "status", dir: 1}, isWorld = false;
function renderWorld() {
  const {key, dir} = worldSort;
  const value = r => key === "status" ? RANK[r.status] : (r[key] ?? Infinity);
  const rows = worldRows.slice().sort((a, b) => (value(a) > value(b) ? 1 : value(a) < value(b) ? -1 : 0) * dir);
  $("world-rows").innerHTML = rows.map(r => `<tr data-icao="${esc(r.airspace)}"><th scope="row">${esc(r.airspace)} <small>${esc(r.name)}</small></th>
    <td class="${esc(r.status)}">${esc(r.status)}</td><td>${esc(r.since ? when(r.since) : "–")}</td>
    <td>${r.traffic_ratio == null ? "–" : Math.round(r.traffic_ratio * 100) + " %"}</td></tr>`).join("");
}
async function drawWorld() {
  // every FIR watched: colour each by status, list the most disrupted
  const summary = await getJSON("/api/v1/airspaces/summary");
  isWorld = summary.world;
  $("world").hidden = !isWorld;
  $("map").classList.toggle("world", isWorld);
  if (!isWorld) return;
  const c = summary.counts;
  $("world-counts").textContent =
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
  // with every FIR watched, only the disrupted ones get a card and a chart
  const list = await getJSON(isWorld ? "/api/v1/airspaces?status=ADVISORY,RESTRICTED,CLOSED" : "/api/v1/airspaces");
  $("airspaces").innerHTML = list.map(s => {
    const ev = s.evidence || {};
    const head = `<strong>${esc(s.airspace)}</strong> ${esc(s.name)}:`;
    if (!s.since || s.status === "UNKNOWN") {
      return `<div class="airspace" data-airspace-card="${esc(s.airspace)}"><p>${head} <span class="badge UNKNOWN" data-airspace="${esc(s.airspace)}">no data yet</span></p>
        <p class="source">No poll has covered ${esc(s.airspace)} yet, so firwatch makes no claim about it.</p></div>`;
    }
    const source = statusSource(s.status, ev);
    const ids = ev.notam_ids || [];
    const held = feedsDown.length ? `<p class="feed-down">Feed${feedsDown.length > 1 ? "s" : ""} down (${esc(feedsDown.join(", "))}): this status is held from the last data; an outage is never read as an empty sky.</p>` : "";
    return `<div class="airspace" data-airspace-card="${esc(s.airspace)}"><p>${head} <span class="badge ${esc(s.status)}" data-airspace="${esc(s.airspace)}">${esc(s.status)}</span>
      <small>since ${esc(when(s.since))}</small></p>
      <p class="source" data-source="${source.kind}">${esc(source.text)}</p>
      <p>foreign aircraft <b class="foreign-count">${esc(num(ev.foreign_count))}</b> vs ${esc(num(ev.baseline_foreign))} expected
      <small>(${esc(ev.baseline_source || "no baseline")})</small> · domestic ${esc(num(ev.domestic_count))}</p>
      ${held}${notamDetails(ids)}</div>`;
  }).join("") || "<p>No airspace is watched (config: watch.airspaces).</p>";
  return list;
}

async function drawCharts(list) {
  const charts = $("traffic-charts");
  for (const s of list) {
    let box = charts.querySelector(`[data-chart="${s.airspace}"]`);
    if (!box) {
      if (!charts.querySelector("[data-chart]")) charts.innerHTML = "";
      box = document.createElement("figure"); box.className = "traffic-chart"; box.dataset.chart = s.airspace;
      charts.appendChild(box);
    }
    box.innerHTML = await (await api(`/api/v1/airspaces/${encodeURIComponent(s.airspace)}/traffic.svg`)).text();
  }
}

async function drawRoutes() {
  const routes = await getJSON("/api/v1/routes");
  $("routes").innerHTML = routes.map(r => {
    // detection's own figures for the route over its window (the route.disrupted evidence)
    const around = r.flights_seen ? `${r.avoiding} (${Math.round((r.share_avoiding ?? 0) * 100)} %)`
      : r.updated_at ? "no flight landed yet" : "no data yet";
    const extra = r.median_extra_km == null ? "–" : `${Math.round(r.median_extra_km)} km (${Math.round(r.median_extra_km * NM_PER_KM)} NM)`;
    return `<tr data-route="${esc(r.route)}"><th scope="row">${esc(r.route.replace("-", "–"))}</th>
      <td>${esc(r.flights_seen ?? "–")} <small>in ${esc(r.window_hours ?? "–")} h</small></td><td>${esc(around)}</td><td>${esc(extra)}</td>
      <td class="diversions">${esc(r.diversions)}</td><td class="turn-backs">${esc(r.turn_backs)}</td></tr>`;
  }).join("");
}

// ---- alerts, in the order they happened -------------------------------------------------------
const alerts = new Map();
function drawAlerts() {
  const rows = [...alerts.values()].sort((a, b) => Date.parse(b.opened_at) - Date.parse(a.opened_at) || b.id - a.id);
  $("alerts").innerHTML = rows.length ? rows.map(a => {
    const more = a.type === "airspace.status_changed" ? shortSource(a) : "";
    const update = a.status === "resolved" ? `resolved ${when(a.resolved_at)}` : `seen ${when(a.observed_at)}`;
    return `<tr class="alert-row ${esc(a.status)}" data-id="${a.id}" data-type="${esc(a.type)}">
      <td class="happened">${esc(when(a.opened_at))}</td>
      <td>${esc(a.title)}${more ? ` — ${esc(more)}` : ""} <small>${esc(a.type)}</small></td>
      <td class="alert-status">${esc(a.status)}</td><td class="updated">${esc(update)}</td></tr>`;
  }).join("") : `<tr class="empty"><td colspan="4">no alerts yet</td></tr>`;
}
// the stream carries each change's copy of the alert, so one read late (a slow stream, a
// reconnect replaying from Last-Event-ID) must not undo a newer state the page already has
const keep = a => {
  const had = alerts.get(a.id);
  if (had && (a.updated_at < had.updated_at || (a.updated_at === had.updated_at
      && had.status === "resolved" && a.status !== "resolved"))) return;
  alerts.set(a.id, a);
};

async function loadAlerts() {
  const page = await getJSON("/api/v1/alerts?limit=500");
  page.items.forEach(keep);
  drawAlerts();
}

// ---- map ---------------------------------------------------------------------------------
function el(tag, attrs, parent) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent.appendChild(e); return e;
}
function ring(coords) { return coords.map(([x, y]) => `${x},${-y}`).join(" "); }
let firsDrawn = false, k = 1;
function pathOf(geom) {
  const polys = geom.type === "Polygon" ? [geom.coordinates] : geom.type === "MultiPolygon" ? geom.coordinates : [];
  return polys.map(p => p.map(r => "M" + ring(r) + "Z").join("")).join("");
}
async function drawMap() {
  // boundaries and airports once (/map/firs, 1.7 MB with every FIR watched; cached by ETag),
  // then only what changes every few seconds
  const fc = await getJSON("/api/v1/map?firs=false");
  if (!firsDrawn) {
    const firs = await (await api("/api/v1/map/firs", {cache: "default"})).json();  // ETag
    fc.features = firs.features.concat(fc.features);
  }
  if (!firsDrawn && fc.bbox) {
    const [w, s, e, n] = fc.bbox; k = (e - w) / 37;
    $("map").setAttribute("viewBox", `${w} ${-n} ${e - w} ${n - s}`);
    getJSON("/api/v1/map/basemap").then(land => {
      el("path", {d: pathOf(land.geometry), class: "land", "fill-rule": "evenodd"}, $("land"));
    }).catch(console.error);
  }
  const firs = $("firs"), tracks = $("tracks"), aircraft = $("aircraft"), airports = $("airports");
  tracks.replaceChildren(); aircraft.replaceChildren();
  let foreign = 0, domestic = 0;
  for (const f of fc.features) {
    const p = f.properties, g = f.geometry;
    if (p.kind === "fir" && !firsDrawn) {
      const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      for (const poly of polys) {
        const e = el("polygon", {points: ring(poly[0]), class: "fir" + (p.watched ? " watched" : ""), "data-icao": p.icao}, firs);
        el("title", {}, e).textContent = `${p.icao} ${p.name}`;
      }
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
  $("counts").textContent = fc.data_time ? `${foreign} foreign, ${domestic} domestic aircraft in view` : "no aircraft data yet";
  $("data-time").textContent = fc.data_time ? when(fc.data_time) : "no data yet";
}

// ---- start ---------------------------------------------------------------------------------
async function tick() {
  for (const step of [drawFeeds, drawMap, drawWorld, async () => drawCharts(await drawStatus()), drawRoutes]) {
    try { await step(); } catch (e) { console.error(e); }
  }
}
async function start() {
  try { await loadAlerts(); } catch (e) { console.error(e); }
  listen(a => { keep(a); drawAlerts(); });
  // a full reload of the list now and then (the stream carries openings, updates and
  // resolutions; a reload also catches what a dropped connection missed)
  setInterval(() => loadAlerts().catch(console.error), 15000);
  await tick(); setInterval(tick, 3000);
}
start();
