"""A one-page status view for people: airspace status, latest alerts, feed health.

Plain HTML with a little JavaScript that reads the public API, so the page shows
exactly what API clients see and needs no build step.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>firwatch</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#222}
h1{font-size:1.3rem} table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.NORMAL{color:#17643a}.ADVISORY{color:#8a6d00}.RESTRICTED{color:#b35900}.CLOSED{color:#b00020}
.badge{font-weight:700} small{color:#666}
</style></head><body>
<h1>firwatch <small>airspace disruption monitor</small></h1>
<h2>Airspaces</h2><table id="airspaces"><tr><th>FIR</th><th>Status</th><th>Since</th>
<th>Foreign / baseline</th><th>Domestic</th><th>NOTAMs</th></tr></table>
<h2>Latest alerts</h2><table id="alerts"><tr><th>Data time</th><th>Type</th><th>Severity</th>
<th>Alert</th><th>Status</th></tr></table>
<h2>Feeds</h2><table id="feeds"><tr><th>Feed</th><th>Last success</th><th>Last error</th>
<th>Polls</th><th>Rejected rows</th><th>Credits left</th></tr></table>
<p><small><a href="/docs">API documentation</a> · refreshes every 5 s</small></p>
<script>
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
function fill(id, rows){const t=document.getElementById(id);
  while(t.rows.length>1) t.deleteRow(1);
  for(const r of rows){const tr=t.insertRow();for(const c of r){tr.insertCell().innerHTML=c;}}}
async function refresh(){
  try{
    const a = await (await fetch("/api/v1/airspaces")).json();
    fill("airspaces", a.map(s => [esc(s.airspace)+" "+esc(s.name),
      `<span class="badge ${esc(s.status)}">${esc(s.status)}</span>`, esc(s.since),
      esc(s.evidence.foreign_count)+" / "+esc(s.evidence.baseline_foreign),
      esc(s.evidence.domestic_count), esc((s.evidence.notam_ids||[]).join(", "))]));
    const al = await (await fetch("/api/v1/alerts?limit=25")).json();
    fill("alerts", al.items.map(x => [esc(x.observed_at), esc(x.type), esc(x.severity),
      esc(x.title), esc(x.status)]));
    const h = await (await fetch("/health")).json();
    fill("feeds", Object.entries(h.feeds).map(([k,f]) => [esc(k), esc(f.last_success_at),
      esc(f.last_error_at ? f.last_error_at+" "+f.last_error : ""), esc(f.polls),
      esc(f.rejected), esc(f.credits_remaining)]));
  }catch(e){console.error(e)}
}
refresh(); setInterval(refresh, 5000);
</script></body></html>
"""


@router.get("/", response_class=HTMLResponse)
def status_page() -> str:
    return PAGE
