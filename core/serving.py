"""Serve an ASGI app over real HTTP (uvicorn on a free port) from tests and benchmarks: the
simulated bank and medical-insurance agency run this way, in a thread; our own API in the
caller's event loop.

The listening socket is bound (port 0) before the server starts and handed to it: a port
picked, closed and bound again later can be taken in between (an outgoing connection's
ephemeral port, another server), and the server then fails to start."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from fastapi import FastAPI


def bound_socket() -> socket.socket:
    """A TCP socket bound to a free port of 127.0.0.1 (its port: `sock.getsockname()[1]`),
    for a server to listen on; the port is ours from now on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def base_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve_app(app: FastAPI, what: str, start_timeout: float = 20.0) -> Iterator[str]:
    """`app` served on 127.0.0.1 (in a thread) until the block ends; yields its base URL."""
    sock = bound_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.01)
    try:
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@asynccontextmanager
async def serving_here(app: FastAPI, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """`app` served in this event loop until the block ends, on `sock` (from `bound_socket`,
    when its URL must be known before the app is built) or a new one; yields its base URL."""
    sock = sock or bound_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            sock.close()
            serving.result()  # raises what stopped it
            raise RuntimeError("the app stopped before it started")
        await asyncio.sleep(0.02)
    try:
        yield base_url(sock)
    finally:
        server.should_exit = True
        await serving
        sock.close()
