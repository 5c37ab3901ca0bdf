"""Serve the API with N uvicorn processes, each on its own listening socket (SO_REUSEPORT).

    python -m api.serve [--host 0.0.0.0] [--port 8000] [--workers N] [uvicorn options...]

`uvicorn --workers N` shares one listening socket between its processes, and whichever wakes
first accepts a whole burst of new connections: with keep-alive clients (a proxy, a load
generator) one process ends up holding most connections, busy, while the others idle (28 of 32
in bench/worklist.py on 2 cores). With a socket per process the kernel spreads connections over
the processes by their address hash. A process that dies is started again. `--workers`
defaults to WEB_CONCURRENCY, else 1; other options go to uvicorn's Config as they are named
there (`--log-level warning`, `--no-access-log`)."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

APP = "api.main:app"


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _serve(host: str, port: int, options: dict[str, Any]) -> None:
    sock = _listen(host, port)
    uvicorn.Server(uvicorn.Config(APP, host=host, port=port, **options)).run(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    p.add_argument("--log-level", default=None)
    p.add_argument("--no-access-log", action="store_true")
    args = p.parse_args(argv)
    options: dict[str, Any] = {"access_log": not args.no_access_log}
    if args.log_level:
        options["log_level"] = args.log_level
    if args.workers <= 1:
        _serve(args.host, args.port, options)
        return
    _listen(args.host, args.port).close()  # fail here, not in every child, if the port is taken
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> BaseProcess:
        proc = ctx.Process(target=_serve, args=(args.host, args.port, options), daemon=False)
        proc.start()
        return proc

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    procs = [start() for _ in range(args.workers)]
    while not stopping:
        time.sleep(0.5)
        for i, proc in enumerate(procs):
            if not proc.is_alive() and not stopping:
                sys.stderr.write(f"api.serve: worker {proc.pid} exited ({proc.exitcode}), again\n")
                procs[i] = start()
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            os.kill(proc.pid, signal.SIGTERM)
    for proc in procs:
        proc.join(30)
        if proc.is_alive():
            proc.kill()


if __name__ == "__main__":
    main()
