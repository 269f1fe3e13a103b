"""Settings of what is watched (``watch.*``) and how detection decides (``detection.*``).

Validated at start-up like every setting, so a bad FIR code or an inverted
hysteresis stops the service with one line instead of a silent wrong alert.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from service.detect.domestic import parse_block


class WatchSettings(BaseModel):
    # FIR codes (any in seeds/world/firs-world.geojson) or "all"; everything else about
    # the region (OpenSky box, ADS-B circles, NOTAM locations, domestic blocks) is derived
    # from these in service/watch.py unless set explicitly
    airspaces: list[str] | Literal["all"] = Field(default_factory=list)
    airports: list[str] = Field(default_factory=list)
    routes_file: str = "seeds/watched_routes.yaml"
    # degrees added around the watched airspaces' bounds for the derived OpenSky box
    margin_deg: float = Field(default=10.0, ge=0, le=90)
    # most derived ADS-B circles (each one request per poll)
    max_adsb_points: int = Field(default=12, ge=1, le=100)
    # airspace -> ICAO 24-bit address blocks of its state ("0D8000-0DFFFF"): those aircraft
    # are domestic there, every other one foreign; derived from the FIR's state(s) when absent
    domestic_addresses: dict[str, list[str]] = Field(default_factory=dict)
    # with airspaces "all": the FAA NOTAM API is also asked for the FIRs not NORMAL in the
    # last 24 h of data (latest change first), at most this many (each is one request)
    max_notam_firs: int = Field(default=20, ge=0, le=200)
    # set by the derivation: watch.airspaces was "all" (every FIR of the world data)
    world: bool = False

    @field_validator("domestic_addresses")
    @classmethod
    def _blocks(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for blocks in value.values():
            for block in blocks:
                parse_block(block)
        return {code.strip().upper(): blocks for code, blocks in value.items()}

    @field_validator("airspaces", mode="before")
    @classmethod
    def _all(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "all":
            return "all"
        if isinstance(value, list) and [str(v).strip().lower() for v in value] == ["all"]:
            return "all"
        return value

    @field_validator("airspaces")
    @classmethod
    def _fir_codes(cls, values: list[str] | str) -> list[str] | str:
        if values == "all":
            return values
        out = []
        for value in values:
            code = value.strip().upper()
            if not 3 <= len(code) <= 4 or not code.isalnum():
                raise ValueError(f"{value!r} is not a FIR code (e.g. SVZM, OIIX) or 'all'")
            out.append(code)
        return out

    @field_validator("airports")
    @classmethod
    def _icao(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            code = value.strip().upper()
            if len(code) != 4 or not code.isalnum():
                raise ValueError(f"{value!r} is not a 4-letter ICAO code")
            out.append(code)
        return out


class DetectionSettings(BaseModel):
    """Detection parameters; each is documented in config.yaml."""

    flight_gap_minutes: float = Field(default=30.0, gt=0)
    landing_radius_km: float = Field(default=15.0, gt=0)
    landing_max_altitude_ft: float = Field(default=2000.0, ge=0)
    # traffic model (service/detect/traffic_model.py); every duration in minutes
    expected_foreign: dict[str, float] = Field(default_factory=dict)
    expected_domestic: dict[str, float] = Field(default_factory=dict)
    dwell_minutes: float = Field(default=45.0, gt=0)
    baseline_prior_strength: float = Field(default=1.0, gt=0)
    baseline_min_bin_minutes: float = Field(default=30.0, gt=0, le=60)
    baseline_hour_of_week_weeks: int = Field(default=3, ge=1)
    baseline_history_days: float = Field(default=28.0, gt=0)
    baseline_learn_delay_minutes: float = Field(default=60.0, ge=0)
    collapse_windows_minutes: list[float] = Field(
        default_factory=lambda: [20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0], min_length=1
    )
    collapse_probability: float = Field(default=0.001, gt=0, lt=0.5)
    collapse_confirm_minutes: float = Field(default=10.0, ge=0)
    collapse_ratio: float = Field(default=0.2, ge=0, lt=1)
    recover_ratio: float = Field(default=0.5, gt=0, le=1)
    recover_window_minutes: float = Field(default=30.0, gt=0)
    sample_max_minutes: float = Field(default=30.0, gt=0)
    arrival_memory_minutes: float = Field(default=20.0, ge=0)
    coverage_suspend_fraction: float = Field(default=0.5, ge=0, le=1)
    coverage_min_expected_aircraft: float = Field(default=10.0, ge=0)
    reroute_min_extra_km: float = Field(default=25.0, ge=0)
    reroute_min_positions: int = Field(default=3, ge=2)
    # flight.rerouted for every flight whose great circle crosses a watched airspace, or only
    # for flights on the watched routes; route.disrupted is always for watched routes only
    reroute_alerts: Literal["all", "watched_routes"] = "all"
    # flight.diverted for every flight landing elsewhere than its destination within the
    # watched region, or only for flights to watched airports / on watched routes
    diversion_alerts: Literal["all", "watched_airports"] = "all"
    # a reroute of an airspace that stayed NORMAL is reported only when the flight flew at
    # least reroute_min_extra_km more than its route's usual path, known from this many flights
    reroute_usual_min_flights: int = Field(default=3, ge=1)
    track_memory_flights: int = Field(default=50_000, ge=100)
    store_positions_margin_deg: float = Field(default=20.0, ge=0)
    route_disruption_window_hours: float = Field(default=24.0, gt=0)
    route_disruption_min_flights: int = Field(default=2, ge=1)
    route_service_window_hours: float = Field(default=6.0, gt=0)
    route_service_min_expected: float = Field(default=1.5, gt=0)
    notam_est_grace_hours: float = Field(default=12.0, ge=0)
    notam_withdrawal_grace_minutes: float = Field(default=60.0, ge=0)

    @model_validator(mode="after")
    def _ratios(self) -> DetectionSettings:
        if self.recover_ratio <= self.collapse_ratio:
            raise ValueError("recover_ratio must be above collapse_ratio (hysteresis)")
        if any(w <= 0 for w in self.collapse_windows_minutes):
            raise ValueError("collapse_windows_minutes must all be above 0")
        return self
