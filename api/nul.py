"""A request with a NUL character in its path, query string or body (JSON `\\u0000`, a form's
%00) is refused with a 422 naming where, before any route runs: PostgreSQL's text cannot hold
NUL, so the value reached the database as an error, a 500 (found by the API fuzzer,
tests/fuzz, in GET /api/v1/tasks?assignee=). Other bodies (uploads) are passed on untouched."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NUL = b"%00"
# a JSON escape \u0000 (not an escaped backslash followed by "u0000")
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
FORM = b"application/x-www-form-urlencoded"


def _url_nul(scope: Scope) -> str | None:
    if NUL in scope.get("query_string", b""):
        return "query"
    if NUL in scope.get("raw_path", b"") or "\x00" in scope.get("path", ""):
        return "path"
    return None


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return bytes(value).split(b";")[0].strip().lower()
    return b""


def _body_nul(content_type: bytes, body: bytes) -> bool:
    if content_type == FORM:
        return NUL in body
    if content_type.endswith(b"json"):
        return JSON_NUL.search(body) is not None
    return False


async def _refuse(send: Send, where: str) -> None:
    detail = [{"loc": [where], "msg": "must not contain NUL (\\u0000)", "type": "value_error"}]
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _url_nul(scope)
        if where is not None:
            await _refuse(send, where)
            return
        content_type = _content_type(scope)
        if content_type != FORM and not content_type.endswith(b"json"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:  # the whole body (JSON and forms are small), then handed on as it came
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if _body_nul(content_type, body):
            await _refuse(send, "body")
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
