"""Security headers on every answer (issue 13 §6).

- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and framing refused
  (`frame-ancestors 'none'` in the CSP, `X-Frame-Options: DENY` for older browsers).
- A Content-Security-Policy: the staff pages load only their own CSS and post only to
  themselves (no inline script or style exists); JSON answers allow nothing; the Swagger UI
  page (/docs) allows FastAPI's CDN assets and its inline start-up script.
- `Cache-Control: no-store` on the staff pages and the REST API (personal data): no copy in
  a shared or browser cache. Static CSS keeps its own caching.
- `Strict-Transport-Security` in production (served behind TLS)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=63072000; includeSubDomains"
DOCS_PATHS = ("/docs", "/redoc", "/staff/docs")


def _csp(path: str) -> str:
    if path.startswith(DOCS_PATHS):
        return DOCS_CSP
    if path.startswith(("/staff", "/static")):
        return PAGE_CSP
    return API_CSP


class SecurityHeaders:
    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app, self.production = app, production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Content-Security-Policy", _csp(path))
                if path.startswith(("/staff", "/api/")):
                    headers["Cache-Control"] = "no-store"
                if self.production:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
