"""Where a flight landed, judged from its approach rather than from the nearest airport.

In a terminal area two airports can lie within 15 km of each other, and feeds often stop
reporting an aircraft on short final, so "the airport nearest the last low report" picks
the wrong one or none.  Each candidate airport near the last reports is scored on what an
approach to it must look like:

- **height for the distance**: an approach descends about 3° (≈ 172 ft per km) towards
  the runway; the height above the airport's elevation divided by the distance to it must
  be near that (log-normal, a factor of ~2 either way is still plausible);
- **alignment**: an aircraft on final flies at its runway, so the airport lies ahead on
  its track; an airport beside or behind it is penalised, strongly within a few km and
  hardly at all 20 km out (downwind and base legs put the airport beside or behind);
- **on-ground reports**: a report on the ground a few km from an airport settles it;
- **the flight's known destination** (route look-up) is a prior (about ln 100: few flights
  divert), not a verdict: a diversion flies a clearly different approach or lands;
- **where flights here land**: ln(1 + landings seen at the airport on the ground or on a
  short final), learned as data comes in, so a lost flight is not given to an airfield
  nobody uses.

The best candidate's share of the likelihood is the confidence, stated in the evidence.
A flight lost while descending towards an airport (not climbing, below
``INFER_MAX_AGL_FT`` and within reach on a normal descent) is inferred to have landed
there, with that confidence; anything else stays "lost".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.detect.tracks import TrackPoint
from service.geo.airspaces import AirportRegistry
from service.geo.geodesy import bearing_deg, distance_km, distances_km

GLIDE_FT_PER_KM = 172.0  # a 3° approach path
GLIDE_SIGMA = 0.7  # natural-log spread of height/distance around it
SEARCH_KM = 60.0  # candidates within this distance of the last report
ALIGN_WEIGHT = 4.0  # log-likelihood lost by an airport beside (×1) or behind (×2) ...
ALIGN_SCALE_KM = 6.0  # ... an aircraft this close (falling off with distance)
GROUND_SIGMA_KM = 2.0  # an on-ground report lies on the airfield
# log-likelihood bonus of the planned destination: about ln(100), as roughly one flight in
# a few hundred diverts; an on-ground report or a short final at another airport outweighs it
DESTINATION_PRIOR = 4.6
INFER_MAX_AGL_FT = 10_000.0  # a lost flight higher than this was not landing
INFER_MIN_CONFIDENCE = 0.5
MIN_DESCENT_FT = 200.0  # over the last reports, for "descending"
RECENT_S = 900.0
OVER_FIELD_KM = 3.0  # reports this close to the last one describe the approach


@dataclass(frozen=True, slots=True)
class LandingVerdict:
    airport: str
    confidence: float
    method: str  # "ground" | "approach" | "inferred"
    evidence: dict[str, Any]


class ApproachJudge:
    """Scores candidate airports for a flight's last reports (arrays built once)."""

    def __init__(self, airports: AirportRegistry) -> None:
        listed = list(airports)
        self.codes = [a.icao for a in listed]
        self.lons = np.array([a.lon for a in listed], dtype=float)
        self.lats = np.array([a.lat for a in listed], dtype=float)
        self.elevations = np.array([a.elevation_ft for a in listed], dtype=float)
        # landings seen on the ground or on a short final, per airport: where flights in
        # this area land (a hub far more often than the business airport beside it)
        self.landings: dict[str, int] = {}

    def confirmed(self, verdict: LandingVerdict) -> None:
        """Learn from a landing that needed no inference."""
        if verdict.method != "inferred":
            self.landings[verdict.airport] = self.landings.get(verdict.airport, 0) + 1

    def candidates(self, lon: float, lat: float, within_km: float) -> list[tuple[int, float]]:
        if not self.codes:
            return []
        d = distances_km(
            np.full(len(self.lons), lon), np.full(len(self.lats), lat), self.lons, self.lats
        )
        return [(int(i), float(d[i])) for i in np.flatnonzero(d <= within_km)]

    def judge(
        self,
        points: Sequence[TrackPoint],
        destination: str | None,
        *,
        landed: bool,
        max_altitude_agl_ft: float,
        returning_to: str | None = None,
    ) -> LandingVerdict | None:
        """The landing airport for a track that ends, or None.

        ``returning_to``: the origin of a flight whose track turned back towards it, which
        then counts as its destination.

        ``landed``: the track ends on the ground (or the feed says it touched down);
        otherwise the flight was lost and a landing is inferred only from a descent."""
        if not points:
            return None
        # garbage after touchdown removed first, then the approach's last RECENT_S
        air = _approach([p for p in points if not p.on_ground and p.altitude_ft is not None])
        while len(air) >= 2 and self._over_a_field_too_high(air[-1], air[:-1]):
            air = air[:-1]
        end = air[-1].observed_at if air else points[-1].observed_at
        air = [p for p in air if (end - p.observed_at).total_seconds() <= RECENT_S]
        start = air[0].observed_at if air else end
        ground = [p for p in points if p.on_ground and p.observed_at >= start]
        anchor = ground[0] if ground else (air[-1] if air else points[-1])
        found = self.candidates(anchor.lon, anchor.lat, SEARCH_KM)
        if not found:
            return None
        scores: dict[str, float] = {}
        detail: dict[str, dict[str, float]] = {}
        for i, d_km in found:
            code = self.codes[i]
            score, parts = self._score(i, ground, air, d_km if ground else None)
            if code in (destination, returning_to):
                score += DESTINATION_PRIOR
                parts["destination_prior"] = DESTINATION_PRIOR
            seen = self.landings.get(code, 0)
            if seen:
                parts["landings_seen_prior"] = math.log1p(seen)
                score += parts["landings_seen_prior"]
            scores[code], detail[code] = score, parts
        best = max(scores, key=scores.__getitem__)
        top = max(scores.values())
        total = sum(math.exp(s - top) for s in scores.values())
        confidence = 1.0 / total
        ranked = sorted(scores, key=scores.__getitem__, reverse=True)[:3]
        evidence = {
            "confidence": round(confidence, 3),
            "candidates": {c: {k: round(v, 2) for k, v in detail[c].items()} for c in ranked},
            "last_report": {
                "observed_at": anchor.observed_at.isoformat(),
                "position": [anchor.lon, anchor.lat],
                "altitude_ft": anchor.altitude_ft,
                "on_ground": anchor.on_ground,
            },
        }
        i = self.codes.index(best)
        if ground:
            return LandingVerdict(best, confidence, "ground", {**evidence, "method": "ground"})
        if not air:
            return None
        agl = air[-1].altitude_ft - self.elevations[i]
        d_best = distance_km(air[-1].lon, air[-1].lat, self.lons[i], self.lats[i])
        if landed or (agl <= max_altitude_agl_ft and d_best <= 15.0):
            method = "approach"
        else:
            descending = (
                len(air) >= 2 and air[0].altitude_ft - air[-1].altitude_ft >= MIN_DESCENT_FT
            ) or agl <= max_altitude_agl_ft
            if not (descending and agl <= INFER_MAX_AGL_FT and confidence >= INFER_MIN_CONFIDENCE):
                return None
            if detail[best]["glide"] < -4.5:  # not within reach on any normal descent
                return None
            method = "inferred"
        return LandingVerdict(best, confidence, method, {**evidence, "method": method})

    def _over_a_field_too_high(self, p: TrackPoint, before: list[TrackPoint]) -> bool:
        """A last report over an airfield, higher than the flight already was and too high to
        land from (over 1000 ft plus 300 ft per km): a fix repeated after touchdown."""
        if p.altitude_ft is None or p.altitude_ft <= min(q.altitude_ft for q in before):
            return False
        for i, d in self.candidates(p.lon, p.lat, OVER_FIELD_KM):
            if p.altitude_ft - self.elevations[i] > 1000.0 + 300.0 * d:
                return True
        return False

    def _score(
        self,
        i: int,
        ground: list[TrackPoint],
        air: list[TrackPoint],
        ground_km: float | None,
    ) -> tuple[float, dict[str, float]]:
        """Log-likelihood (up to a constant) that the track ends at airport ``i``."""
        parts: dict[str, float] = {}
        if ground_km is not None:
            parts["ground"] = -0.5 * (ground_km / GROUND_SIGMA_KM) ** 2
        for n, p in enumerate(air[-2:]):
            d = distance_km(p.lon, p.lat, self.lons[i], self.lats[i])
            agl = max(p.altitude_ft - self.elevations[i], 50.0)
            expected = GLIDE_FT_PER_KM * max(d, 0.3)
            weight = 1.0 if n == len(air[-2:]) - 1 else 0.5
            parts["glide"] = (
                parts.get("glide", 0.0)
                - weight * 0.5 * (math.log(agl / expected) / GLIDE_SIGMA) ** 2
            )
            if p.track_deg is not None and d > 0.5:
                off = math.radians(
                    (bearing_deg(p.lon, p.lat, self.lons[i], self.lats[i]) - p.track_deg + 180)
                    % 360
                    - 180
                )
                # close in, an aircraft flies at its runway; further out it may be on a
                # downwind or base leg with the airport beside or behind it
                proximity = math.exp(-d / ALIGN_SCALE_KM)
                parts["alignment"] = parts.get("alignment", 0.0) - weight * proximity * (
                    ALIGN_WEIGHT * (1 - math.cos(off))
                )
        return sum(parts.values()), parts


def _approach(air: list[TrackPoint]) -> list[TrackPoint]:
    """The airborne reports up to the lowest one, when the later ones stay where it was
    (within 10 km) but higher: a fix repeated after touchdown with a garbage altitude;
    touchdown is where the approach was lowest."""
    if len(air) < 2:
        return air
    low = min(range(len(air)), key=lambda k: air[k].altitude_ft)
    tail = air[low + 1 :]
    if tail and all(distance_km(p.lon, p.lat, air[low].lon, air[low].lat) <= 10.0 for p in tail):
        return air[: low + 1]
    return air
