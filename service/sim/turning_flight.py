"""Flights flown step by step: a turn-rate-limited pursuit of waypoints (gradual, bank-limited
turns) under a speed and altitude law, every ``STEP_S`` seconds, on a local plane (fine for a
few hundred km).  The realistic-tracks generator builds its terminal areas and FIR crossings
from these trajectories."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

KM_PER_DEG = 111.32
STEP_S = 2.0


def offset_point(lon: float, lat: float, bearing: float, km: float) -> tuple[float, float]:
    """Point ``km`` from (lon, lat) on ``bearing`` (local plane: fine for a few hundred km)."""
    b = math.radians(bearing)
    dlat = km * math.cos(b) / KM_PER_DEG
    dlon = km * math.sin(b) / (KM_PER_DEG * math.cos(math.radians(lat + dlat / 2)))
    return lon + dlon, lat + dlat


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.degrees(math.atan2((lon2 - lon1) * k, lat2 - lat1)) % 360


def plane_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon2 - lon1) * k, lat2 - lat1) * KM_PER_DEG


@dataclass
class Trajectory:
    """Simulated states every STEP_S seconds from ``t0``."""

    t0: datetime
    lon: np.ndarray
    lat: np.ndarray
    alt_ft: np.ndarray
    gs_kt: np.ndarray
    track: np.ndarray
    ground: np.ndarray

    def time(self, i: int) -> datetime:
        return self.t0 + timedelta(seconds=STEP_S * i)

    @property
    def end(self) -> datetime:
        return self.time(len(self.lon) - 1)

    def length_km(self, upto: int | None = None) -> float:
        n = len(self.lon) if upto is None else upto + 1
        air = ~self.ground[:n]
        k = np.cos(np.radians(self.lat[:n][air]))
        dx = np.diff(self.lon[:n][air]) * k[1:] * KM_PER_DEG
        dy = np.diff(self.lat[:n][air]) * KM_PER_DEG
        return float(np.hypot(dx, dy).sum())


class Flyer:
    """Turn-rate-limited pursuit of waypoints with a speed and altitude law."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def fly(
        self,
        t0: datetime,
        start: tuple[float, float],
        heading: float,
        waypoints: list[tuple[float, float]],
        alt_law,  # (remaining_km, elapsed_s, alt) -> (alt_ft, gs_kt)
        *,
        turn_rate: float,
        ground_after: tuple[float, float] | None = None,  # (elevation, rollout km)
    ) -> Trajectory:
        lon, lat = start
        hdg = heading
        out = []
        alt, gs = alt_law(self._remaining(lon, lat, waypoints, 0), 0.0, None)
        k = 0
        elapsed = 0.0
        while k < len(waypoints) and len(out) < 20000:
            wl, wt = waypoints[k]
            dist = plane_km(lon, lat, wl, wt)
            want = bearing_deg(lon, lat, wl, wt)
            diff = (want - hdg + 180) % 360 - 180
            # standard-rate turns, bank-limited (25°) at speed: gradual at cruise
            speed_ms = gs * 1852 / 3600
            rate = min(turn_rate, math.degrees(9.81 * math.tan(math.radians(25)) / speed_ms))
            radius_km = speed_ms / math.radians(rate) / 1000
            if dist < max(0.4, gs * 1.852 / 3600 * STEP_S * 1.5) or (
                dist < 2.5 * radius_km and abs(diff) > 90
            ):
                k += 1  # reached, or passed abeam inside the turn circle: fly on to the next
                continue
            hdg = (hdg + max(-rate * STEP_S, min(rate * STEP_S, diff))) % 360
            remaining = self._remaining(lon, lat, waypoints, k)
            alt, gs = alt_law(remaining, elapsed, alt)
            out.append((lon, lat, alt, gs, hdg, False))
            lon, lat = offset_point(lon, lat, hdg, gs * 1.852 / 3600 * STEP_S)
            elapsed += STEP_S
        if ground_after is not None:
            elevation, rollout_km = ground_after
            speed = 130.0
            travelled = 0.0
            while travelled < rollout_km:
                out.append((lon, lat, elevation, speed, hdg, True))
                step = speed * 1.852 / 3600 * STEP_S
                lon, lat = offset_point(lon, lat, hdg, step)
                travelled += step
                speed = max(15.0, speed - 5.0)
            for _ in range(int(300 / STEP_S)):  # taxi
                out.append((lon, lat, elevation, 12.0, hdg, True))
                lon, lat = offset_point(lon, lat, (hdg + 90) % 360, 12 * 1.852 / 3600 * STEP_S)
        a = np.array(out, dtype=float)
        return Trajectory(t0, a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5].astype(bool))

    @staticmethod
    def _remaining(lon: float, lat: float, waypoints, k: int) -> float:
        total, here = 0.0, (lon, lat)
        for w in waypoints[k:]:
            total += plane_km(*here, *w)
            here = w
        return total
