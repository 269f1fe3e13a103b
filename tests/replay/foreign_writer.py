"""A recording tool that is not firwatch: plain httpx, its own habits, the published format.

It polls the loopback emulator the way some other program might — integer box values,
parameters written into the URL, a global poll without any parameters, NOTAM queries by
other parameters (none at all, a lower-case location, a radius), route look-ups of every
callsign it has seen — and writes one JSON line per exchange itself (offsets like
``+00:00`` and milliseconds in ``fetched_at``, outages as 503 bodies or ``"error"`` lines).
Nothing here imports firwatch's recorder, clients or replay code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

# (source, tick) -> "503" | "timeout" | "429": what the feed did at that poll
Outages = dict[tuple[str, int], str]


@dataclass
class Plan:
    """What the tool asks at every tick."""

    opensky_params: dict[str, Any] | None  # None: a global poll without any parameters
    opensky_in_url: bool = False  # the box written into the URL instead of params
    adsbx_paths: list[str] = field(default_factory=list)
    notam_queries: list[dict[str, Any]] = field(default_factory=list)
    outages: Outages = field(default_factory=dict)


class ForeignWriter:
    def __init__(self, base_url: str, plan: Plan, now: Callable[[], datetime]):
        self.base = base_url
        self.plan = plan
        self.now = now
        self.lines: list[str] = []
        self.callsigns_asked: set[str] = set()
        self.http = httpx.Client(timeout=10)
        self.failures: dict[str, int] = {}

    def close(self) -> None:
        self.http.close()

    def _write(self, source: str, request: dict[str, Any], **answer: Any) -> None:
        at = self.now()
        line = {
            "source": source,
            "fetched_at": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+00:00",
            "request": request,
            **answer,
        }
        self.lines.append(json.dumps(line))

    def _get(self, source: str, tick: int, url: str, params: dict[str, Any] | None) -> Any:
        request = {"method": "GET", "url": self.base + url}
        if params is not None:
            request["params"] = params
        outage = self.plan.outages.get((source, tick))
        if outage is not None:
            self.failures[source] = self.failures.get(source, 0) + 1
            if outage == "timeout":
                self._write(source, request, error="read timeout after 10 s")
            elif outage == "429":
                self._write(
                    source,
                    request,
                    status=429,
                    body="",
                    headers={"retry-after": "30", "content-length": "0"},
                )
            else:
                self._write(
                    source,
                    request,
                    status=503,
                    body="Service Unavailable",
                    headers={"content-type": "text/plain"},
                )
            return None
        response = self.http.get(self.base + url, params=params)
        headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        self._write(source, request, status=response.status_code, headers=headers, body=body)
        return body if response.status_code == 200 else None

    def tick(self, tick: int) -> None:
        """One round, in the order firwatch's own poller would also take (NOTAMs first)."""
        for query in self.plan.notam_queries:
            page = 1
            while True:
                params = {**query, "pageNum": page} if page > 1 else dict(query)
                body = self._get("faa_notam", tick, "/notamapi/v1/notams", params or None)
                if not body or page >= (body.get("totalPages") or 0):
                    break
                page += 1
        p = self.plan.opensky_params
        if p is not None and self.plan.opensky_in_url:
            url = "/api/states/all?" + "&".join(f"{k}={v}" for k, v in p.items())
            states = self._get("opensky", tick, url, None)
        else:
            states = self._get("opensky", tick, "/api/states/all", p)
        seen = [(r[1].strip(), r[6], r[5]) for r in (states or {}).get("states") or [] if r[1]]
        self._routes(seen)
        for path in self.plan.adsbx_paths:
            body = self._get("adsbx", tick, path, None)
            planes = [
                (a["flight"].strip(), a["lat"], a["lon"])
                for a in (body or {}).get("ac", [])
                if a.get("flight")
            ]
            self._routes(planes)

    def _routes(self, planes: list[tuple[str, float, float]]) -> None:
        new = []
        for callsign, lat, lon in planes:
            if callsign and callsign not in self.callsigns_asked:
                self.callsigns_asked.add(callsign)
                new.append({"callsign": callsign, "lat": lat, "lng": lon})
        for start in range(0, len(new), 100):
            payload = {"planes": new[start : start + 100]}
            response = self.http.post(self.base + "/api/0/routeset", json=payload)
            self._write(
                "routes",
                {"method": "POST", "url": self.base + "/api/0/routeset", "json": payload},
                status=response.status_code,
                body=response.json(),
                headers={"content-type": "application/json"},
            )
