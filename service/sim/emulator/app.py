"""The emulator's app: the feed routers, the fault middleware and the loopback-only server."""

from __future__ import annotations

import ipaddress
import os
from datetime import datetime

import uvicorn
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from service.domain import FeedName
from service.sim.clock import ScenarioClock
from service.sim.emulator.adsbx import adsbx_router
from service.sim.emulator.control import control_router
from service.sim.emulator.faa_notam import faa_notam_router
from service.sim.emulator.faults import feed_of, network_fault_middleware
from service.sim.emulator.opensky import opensky_router
from service.sim.emulator.routeset import routeset_router
from service.sim.emulator.wire import EmulatorState
from service.sim.scenario import Scenario, load_scenario

DEMO_CREDENTIAL = "firwatch-demo"


def create_emulator_app(
    scenario: Scenario,
    clock: ScenarioClock,
    *,
    faa_client_id: str | None = None,
    faa_client_secret: str | None = None,
    opensky_client_id: str | None = None,
    opensky_client_secret: str | None = None,
) -> FastAPI:
    """All four feeds on one app; without client ids OpenSky issues no tokens and the
    FAA API lets any caller in."""
    app = FastAPI(title=f"firwatch feed emulator: {scenario.name}", docs_url="/_emulator/docs")
    state = EmulatorState(scenario, clock)
    app.state.faults = state.faults
    app.add_exception_handler(RequestValidationError, _bad_parameters)  # type: ignore[arg-type]
    app.middleware("http")(network_fault_middleware(state.faults, state.tokens.clear))
    app.include_router(opensky_router(state, opensky_client_id, opensky_client_secret))
    app.include_router(adsbx_router(state))
    app.include_router(routeset_router(state))
    app.include_router(faa_notam_router(state, faa_client_id, faa_client_secret))
    app.include_router(control_router(state))
    return app


async def _bad_parameters(request: Request, exc: RequestValidationError) -> Response:
    """A malformed parameter: OpenSky (a Java server) answers 400 with a short text, the
    FAA API 400 with a JSON error; adsb.lol is FastAPI and answers 422 as FastAPI does."""
    where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
    feed = feed_of(request.url.path)
    if feed == FeedName.OPENSKY:
        return Response(f"Bad Request: invalid parameter ({where})", 400, media_type="text/plain")
    if feed == FeedName.FAA_NOTAM:
        return JSONResponse({"error": f"Invalid request parameter: {where}"}, 400)
    return JSONResponse({"detail": jsonable_encoder(exc.errors())}, 422)


def run_emulator(
    scenario_name: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8900,
    speed: float = 600.0,
    start: datetime | None = None,
) -> None:
    """Serve the emulator until interrupted (loopback addresses only)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(f"the emulator binds to loopback addresses only, not {host}")
    scenario = load_scenario(scenario_name)
    clock = ScenarioClock(scenario.start, scenario.end, speed=speed)
    clock.set(start or scenario.start)
    cred = os.environ.get("FIRWATCH_EMULATOR_CLIENT_ID", DEMO_CREDENTIAL)
    secret = os.environ.get("FIRWATCH_EMULATOR_CLIENT_SECRET", DEMO_CREDENTIAL)
    app = create_emulator_app(
        scenario,
        clock,
        faa_client_id=cred,
        faa_client_secret=secret,
        opensky_client_id=cred,
        opensky_client_secret=secret,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["create_emulator_app", "run_emulator"]
