"""CORS for the codec endpoint only: the Temporal Web UI's origin may call it with the staff
session cookie (credentials); every other path of the app stays same-origin."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

CODEC_PATHS = ("/api/v1/codec/", "/staff/codec/")


class CodecCORS:
    """Starlette's CORSMiddleware, applied to the codec paths alone."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_credentials=True,
            allow_methods=["POST"],
            allow_headers=["Content-Type", "X-Namespace", "Authorization"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CODEC_PATHS):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
