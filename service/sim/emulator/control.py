"""``/_emulator/*``: drive the scenario clock, queue faults, read what really happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from service.domain import ensure_utc
from service.sim.emulator.wire import EmulatorState


class ClockUpdate(BaseModel):
    now: datetime | None = None
    speed: float | None = None


class FaultRequest(BaseModel):
    """Faults the next requests of one feed will meet, in order."""

    feed: str
    kinds: list[str]
    delay_s: float = 30.0


def control_router(state: EmulatorState) -> APIRouter:
    router = APIRouter(prefix="/_emulator")
    clock = state.clock

    @router.get("/clock")
    def get_clock() -> dict[str, Any]:
        return {
            "now": clock.now().isoformat(),
            "start": clock.start.isoformat(),
            "end": clock.end.isoformat(),
            "speed": clock.speed,
            "done": clock.done,
        }

    @router.post("/clock")
    def set_clock(update: ClockUpdate) -> dict[str, Any]:
        if update.now is not None:
            if update.now.tzinfo is None:
                return JSONResponse({"error": "now needs a time zone"}, 422)  # type: ignore[return-value]
            clock.set(ensure_utc(update.now))
        if update.speed is not None:
            clock.speed = update.speed
        return get_clock()

    @router.post("/faults")
    def add_faults(request_: FaultRequest) -> dict[str, Any]:
        try:
            state.faults.add(request_.feed, request_.kinds)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 422)  # type: ignore[return-value]
        state.faults.delay_s = request_.delay_s
        return {"queued": request_.kinds, "feed": request_.feed}

    @router.get("/truth")
    def truth() -> dict[str, Any]:
        return state.scenario.truth()

    return router
