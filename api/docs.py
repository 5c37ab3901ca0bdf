"""The API's documentation in production: only for signed-in staff.

Outside production FastAPI serves /docs, /redoc and /openapi.json openly. In production
/openapi.json needs a bearer token, and the Swagger UI moves to /staff/docs (with its schema
at /staff/openapi.json), where the staff session cookie (path /staff) signs the reader in;
/docs redirects there."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from api.deps import CurrentUser
from api.pages.web import PageUser


def add_staff_docs(app: FastAPI) -> None:
    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(_user: CurrentUser) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/staff/openapi.json", include_in_schema=False)
    async def staff_openapi(_user: PageUser) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/staff/docs", include_in_schema=False)
    async def staff_docs(_user: PageUser) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/staff/openapi.json", title=app.title)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> RedirectResponse:
        return RedirectResponse("/staff/docs", status_code=303)
