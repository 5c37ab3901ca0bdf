"""A request whose path or query string holds a NUL character (%00) is refused with a 422
before any route runs: PostgreSQL's text cannot hold NUL, so the value reached the database
as an error, a 500 (found by the API fuzzer, tests/fuzz, in GET /api/v1/tasks?assignee=)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

NUL = b"%00"


def _where(scope: Scope) -> str | None:
    if NUL in scope.get("query_string", b""):
        return "query"
    if NUL in scope.get("raw_path", b"") or "\x00" in scope.get("path", ""):
        return "path"
    return None


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        where = _where(scope) if scope["type"] == "http" else None
        if where is None:
            await self.app(scope, receive, send)
            return
        detail = [{"loc": [where], "msg": "must not contain NUL (%00)", "type": "value_error"}]
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
