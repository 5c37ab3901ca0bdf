"""Health answers 200 only with database, Temporal and a worker; the simulated clock."""

from __future__ import annotations

import httpx
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from core.settings import Settings
from tests.utils.api import login


async def test_health_ok_with_worker(api: httpx.AsyncClient) -> None:
    resp = await api.get("/api/v1/health")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "ok" and resp.json()["clock"] == "simulated"


async def test_health_503_without_worker_or_temporal(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    target = env.client.service_client.config.target_host
    for update, part in (
        ({"task_queue": "nobody-polls-this", "temporal_address": target}, "worker"),
        ({"temporal_address": "127.0.0.1:1"}, "temporal"),
    ):
        app = create_app(settings.model_copy(update=update))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://api"
            ) as client,
        ):
            resp = await client.get("/api/v1/health")
        assert resp.status_code == 503, resp.text
        assert resp.json()[part] != "ok"


async def test_sim_clock_moves_time_and_is_404_in_real_mode(
    api: httpx.AsyncClient, env: WorkflowEnvironment, settings: Settings
) -> None:
    h = await login(api, "admin")  # only admins move the simulated clock (issue 13 §3)
    before = (await api.get("/api/v1/sim/clock", headers=h)).json()
    after = (await api.post("/api/v1/sim/clock/advance", json={"days": 2}, headers=h)).json()
    assert after["today"] > before["today"]
    bad = await api.post("/api/v1/sim/clock/advance", json={"days": -1}, headers=h)
    assert bad.status_code == 422
    real = create_app(settings.model_copy(update={"clock": "real"}))
    async with (
        real.router.lifespan_context(real),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=real), base_url="http://api") as client,
    ):
        assert (await client.get("/api/v1/sim/clock")).status_code == 404
        resp = await client.post("/api/v1/sim/clock/advance", json={"days": 1})
        assert resp.status_code == 404
