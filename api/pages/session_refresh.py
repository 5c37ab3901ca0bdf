"""Re-issue the staff session cookie as the user works (the idle timeout slides).

`page_user` (api/pages/web.py) leaves a fresh token in the request state when the cookie's
last activity is over a minute old; this middleware adds it to the response as the new
cookie, unless the page itself set or cleared the cookie (sign-in, sign-out)."""

from __future__ import annotations

import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "staff_session"


def session_cookie_headers(token: str, expires: float, secure: bool) -> list[tuple[bytes, bytes]]:
    """The Set-Cookie header of a staff session token (also used by the sign-in page)."""
    response = Response()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(0, int(expires - time.time())),
        path="/staff",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    return [(k, v) for k, v in response.raw_headers if k == b"set-cookie"]


class SessionRefresh:
    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app, self.secure = app, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/staff"):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})

        async def send_refreshed(message: Message) -> None:
            refreshed = state.get("refreshed_session")
            if message["type"] == "http.response.start" and refreshed is not None:
                headers = MutableHeaders(scope=message)
                own = [v for v in headers.getlist("set-cookie") if v.startswith(SESSION_COOKIE)]
                if not own:
                    token, expires = refreshed
                    for _, value in session_cookie_headers(token, expires, self.secure):
                        headers.append("set-cookie", value.decode("latin-1"))
            await send(message)

        await self.app(scope, receive, send_refreshed)
