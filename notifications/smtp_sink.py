"""A local SMTP sink for development: every message received is stored as an .eml file.

Run: ``python -m notifications.smtp_sink [--host 127.0.0.1] [--port 1025] [--maildir DIR]``.
In tests: ``sink = start_sink("127.0.0.1", 0, tmp_path)``, send to ``sink.port``, then
``sink.stop()``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import signal
import threading
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger(__name__)


class MaildirHandler:
    """aiosmtpd handler that writes each message to ``maildir/<time>-<hash>.eml``."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.maildir.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        headers = BytesHeaderParser().parsebytes(content)
        message_id = headers.get("Message-ID", "")
        digest = hashlib.sha256((message_id or content.decode("latin-1")).encode()).hexdigest()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.maildir / f"{stamp}-{digest[:12]}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)  # readers never see a half-written file
        log.info(
            "stored %s from=%s to=%s subject=%r",
            path.name,
            envelope.mail_from,
            ",".join(envelope.rcpt_tos),
            headers.get("Subject", ""),
        )
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """Controller that learns the real port when asked to bind port 0."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SinkHandle:
    """A running sink: ``host``, ``port`` (the real one), ``maildir``; ``stop()`` ends it."""

    def __init__(self, controller: _Controller, maildir: Path) -> None:
        self._controller = controller
        self.host: str = controller.hostname
        self.port: int = controller.port
        self.maildir = maildir

    def stop(self) -> None:
        self._controller.stop()


def start_sink(host: str, port: int, maildir: Path | str) -> SinkHandle:
    """Start the sink in a background thread; ``port=0`` picks a free port."""
    folder = Path(maildir)
    controller = _Controller(MaildirHandler(folder), hostname=host, port=port)
    controller.start()
    return SinkHandle(controller, folder)


def main(argv: list[str] | None = None) -> int:
    default_maildir = Path(os.environ.get("DATA_DIR", "data")) / "mail"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMTP_PORT", "1025")))
    parser.add_argument("--maildir", type=Path, default=default_maildir)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s smtp-sink %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter

    try:
        sink = start_sink(args.host, args.port, args.maildir)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s (set SMTP_PORT)", args.host, args.port, exc)
        return 1
    log.info("listening on %s:%s, storing mail in %s", sink.host, sink.port, sink.maildir)

    stop = threading.Event()

    def _on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    stop.wait()
    sink.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
