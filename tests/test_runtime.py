"""The composition root: one place builds what a command runs on, and closes only what it made."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.geo.airspaces import load_seed_registries
from service.replica_jobs import ReplicaJobs
from service.runtime import Runtime, build_runtime
from tests.conftest import ROOT


async def test_the_runtime_closes_what_it_made_and_nothing_it_was_given(settings, sessions):
    async with httpx.AsyncClient() as given:
        runtime = build_runtime(
            settings, sessions=sessions, http=given, registries=load_seed_registries(ROOT / "seeds")
        )
        async with runtime:
            assert runtime.poller is not None and runtime.poller.sessions is sessions
            # the feed clients share the runtime's HTTP client and clock
            assert runtime.poller.opensky.http is given and runtime.poller.faa.http is given
            # detection reads the route client's cache, never a second copy
            assert runtime.poller.engine.routes is runtime.poller.routes.cache
            assert runtime.webhook_http is None  # asked for none
        assert not given.is_closed  # given, so not closed
        made = build_runtime(settings, webhooks=True, poller=False)
        assert made.poller is None
        async with made:
            pass
        assert made.http.is_closed and made.webhook_http is not None and made.webhook_http.is_closed


async def test_each_new_poller_has_its_own_engine_and_clients(settings, sessions):
    async with build_runtime(settings, sessions=sessions, restore=False) as runtime:
        first = runtime.poller
        second = runtime.new_poller()
        assert first is not None and second is not first
        assert second.engine is not first.engine and second.opensky is not first.opensky
        assert runtime.poller is first  # a new poller is kept only where the caller keeps it
        scheduler = runtime.new_scheduler(feeds=True, delivery=False)
        assert runtime.scheduler is scheduler
        assert {job.id for job in scheduler.get_jobs()} >= {"housekeeping"}
        assert "deliver_webhooks" not in {job.id for job in scheduler.get_jobs()}


def test_the_api_state_is_one_typed_runtime(settings, sessions):
    with TestClient(create_app(settings, start_scheduler=False)) as client:
        state = client.app.state
        assert isinstance(state.runtime, Runtime) and isinstance(state.replica, ReplicaJobs)
        # what the endpoints read comes from the runtime, and nothing polls in this app
        assert state.sessionmaker is state.runtime.sessions
        assert state.airspaces is state.runtime.airspaces
        assert state.replica.state == "off" and state.runtime.poller is None
        assert client.get("/health").json()["scheduler"] == "off"
    assert state.runtime.http.is_closed  # the lifespan closed what it built
