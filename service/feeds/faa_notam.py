"""FAA NOTAM API v1: NOTAMs for the watched FIRs and locations, every page.

Auth is two plain headers (``client_id``, ``client_secret``).  The client
returns raw GeoJSON items; :mod:`service.notam.faa` turns them into NOTAMs.
Rounds are incremental (``lastUpdatedDate``) between periodic full rounds,
because lifecycle needs the complete current set now and then (a NOTAM that
silently disappeared upstream is only noticed on a full round).  The
incremental cut-off is the newest ``lastUpdated`` the API itself has sent, less
an overlap, never our clock: the server's clock is the one its field uses.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from service.domain import FeedName, ensure_utc
from service.feeds.base import FeedClient, FeedError, request_json

log = logging.getLogger("firwatch.feeds.faa_notam")

FEED = FeedName.FAA_NOTAM.value
MAX_PAGES = 50
MAX_RADIUS_NM = 100.0
INCREMENTAL_OVERLAP = timedelta(minutes=10)


def item_id(item: Any) -> str | None:
    """The FAA system id of an item, or None when the item lacks the expected structure.

    >>> item_id({"properties": {"coreNOTAMData": {"notam": {"id": "NOTAM_1_1"}}}})
    'NOTAM_1_1'
    >>> item_id({"properties": {}}) is None
    True
    """
    try:
        value = item["properties"]["coreNOTAMData"]["notam"]["id"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) and value else None


def _updated(item: dict[str, Any]) -> datetime | None:
    value = item["properties"]["coreNOTAMData"]["notam"].get("lastUpdated")
    if not isinstance(value, str):
        return None
    try:
        return ensure_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


class FaaNotamClient(FeedClient):
    feed = FEED

    def __init__(self, *args: Any, full_every: int = 6, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.full_every = full_every
        self._rounds = 0
        self._high_water: datetime | None = None
        # the last round: whether it was full, and the ids each location returned (lifecycle)
        self.last_round_full = False
        self.last_round_ids: dict[str, set[str]] = {}
        # asked besides settings.locations: with every FIR watched, the FIRs whose status
        # changed recently (set by the poller; see DetectionEngine.disrupted_airspaces)
        self.extra_locations: list[str] = []
        self._asked_whole: set[str] = set()  # locations asked once without lastUpdatedDate

    def _headers(self) -> dict[str, str]:
        s = self.settings
        if s.client_id and s.client_secret:
            return {
                "client_id": s.client_id.get_secret_value(),
                "client_secret": s.client_secret.get_secret_value(),
            }
        return {}

    async def _pages(self, params: dict[str, Any]) -> list[Any]:
        self.breaker.check()
        url = self.settings.base_url.rstrip("/") + "/notams"
        items: list[Any] = []
        page = 1
        while page <= MAX_PAGES:
            query = {**params, "pageSize": self.settings.page_size, "pageNum": page}
            try:
                _, body = await request_json(
                    self.http,
                    FEED,
                    "GET",
                    url,
                    params=query,
                    headers=self._headers(),
                    stats=self.stats,
                    clock=self.clock,
                    timeout=self.settings.timeout_s,
                    recorder=self.recorder,
                )
            except FeedError as exc:
                self.breaker.failure(exc)
                if exc.status == 401:
                    raise FeedError(
                        FEED, "FAA NOTAM API refused the credentials (401)", status=401
                    ) from None
                raise
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise FeedError(FEED, "response has no 'items' list")
            self.breaker.success()
            items.extend(body["items"])
            total_pages = body.get("totalPages")
            if not body["items"] or not isinstance(total_pages, int) or page >= total_pages:
                break
            page += 1
        return items

    async def fetch(self) -> list[dict[str, Any]]:
        """Items for every configured location, deduplicated by FAA id."""
        full = self._high_water is None or self._rounds % self.full_every == 0
        extra: dict[str, Any] = {}
        if not full and self._high_water is not None:
            since = self._high_water - INCREMENTAL_OVERLAP
            extra["lastUpdatedDate"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        items: dict[str, dict[str, Any]] = {}
        rejected = 0
        returned: dict[str, set[str]] = {}
        asked_whole: list[str] = []  # marked once the round completes: a failed one asks again
        for location in dict.fromkeys([*self.settings.locations, *self.extra_locations]):
            returned[location] = set()
            # a location new to this client is asked for everything it has in force once
            since = extra if location in self._asked_whole else {}
            asked_whole.append(location)
            for item in await self._pages({"icaoLocation": location, **since}):
                key = item_id(item)
                if key is None:
                    rejected += 1
                    continue
                items[key] = item
                returned[location].add(key)
                updated = _updated(item)
                if updated and (self._high_water is None or updated > self._high_water):
                    self._high_water = updated
        self._rounds += 1
        self._asked_whole.update(asked_whole)
        self.last_round_full, self.last_round_ids = full, returned
        self.stats.count_rejected(rejected)
        if rejected:
            log.warning("faa_notam: %d items without coreNOTAMData.notam.id rejected", rejected)
        return list(items.values())

    async def fetch_radius(self, lat: float, lon: float, radius_nm: float) -> list[dict[str, Any]]:
        if not 0 < radius_nm <= MAX_RADIUS_NM:
            raise ValueError(f"radius_nm must be in (0, {MAX_RADIUS_NM:g}], got {radius_nm}")
        params = {"locationLatitude": lat, "locationLongitude": lon, "locationRadius": radius_nm}
        items = await self._pages(params)
        return [i for i in items if item_id(i) is not None]
