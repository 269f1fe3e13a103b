"""Settings of the feeds: where each one is, how often it is polled, what it asks for.

``feeds.*`` in config.yaml.  Left empty, the regions asked for (the OpenSky box,
the ADS-B circles, the NOTAM locations) are derived from ``watch.airspaces`` in
:mod:`service.watch`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, model_validator

# how long a feed or a job may wait or repeat: above 0, at most a day
PositiveSeconds = Annotated[float, Field(gt=0, le=86_400)]


class BBox(BaseModel):
    """A lat/lon box in decimal degrees (OpenSky's lamin/lomin/lamax/lomax)."""

    lamin: float = Field(ge=-90, le=90)
    lomin: float = Field(ge=-180, le=180)
    lamax: float = Field(ge=-90, le=90)
    lomax: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> BBox:
        if self.lamin >= self.lamax or self.lomin >= self.lomax:
            raise ValueError("bbox needs lamin < lamax and lomin < lomax")
        return self

    @property
    def area_sq_deg(self) -> float:
        return (self.lamax - self.lamin) * (self.lomax - self.lomin)

    @property
    def is_world(self) -> bool:
        """The whole Earth: OpenSky's global ``/states/all`` without a box."""
        return (self.lamin, self.lomin, self.lamax, self.lomax) == (-90.0, -180.0, 90.0, 180.0)


class OpenSkySettings(BaseModel):
    enabled: bool = True
    base_url: str = "https://opensky-network.org/api"
    token_url: str = (
        "https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token"
    )
    interval_s: PositiveSeconds = 60.0
    timeout_s: PositiveSeconds = 20.0
    # None: derived from watch.airspaces (their bounds plus watch.margin_deg; see service/watch.py)
    bbox: BBox | None = None
    credit_budget: bool = True
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None


class PointQuery(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_nm: float = Field(gt=0, le=250)


class AdsbxSettings(BaseModel):
    enabled: bool = True
    base_url: str = "https://api.adsb.lol"
    interval_s: PositiveSeconds = 60.0
    timeout_s: PositiveSeconds = 20.0
    # empty: circles covering watch.airspaces are derived (service/watch.py)
    points: list[PointQuery] = Field(default_factory=list)


class FaaNotamSettings(BaseModel):
    enabled: bool = True
    base_url: str = "https://external-api.faa.gov/notamapi/v1"
    interval_s: PositiveSeconds = 300.0
    timeout_s: PositiveSeconds = 30.0
    # empty: the watched FIRs and the FAA's international office (KICZ) are derived
    locations: list[str] = Field(default_factory=list)
    page_size: int = Field(default=200, ge=1, le=1000)
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None


class RoutesSettings(BaseModel):
    enabled: bool = True
    base_url: str = "https://api.adsb.lol"
    timeout_s: PositiveSeconds = 10.0
    cache_s: PositiveSeconds = 1200.0
    # callsign,origin,destination rows consulted when the route source does not know a callsign
    local_file: str | None = "seeds/routes.csv"


class FeedsSettings(BaseModel):
    opensky: OpenSkySettings = OpenSkySettings()
    adsbx: AdsbxSettings = AdsbxSettings()
    faa_notam: FaaNotamSettings = FaaNotamSettings()
    routes: RoutesSettings = RoutesSettings()
