"""The development SMTP sink stores each message it receives as an .eml file."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

from notifications.smtp_sink import start_sink


def test_sink_stores_received_mail_as_eml_file(tmp_path: Path) -> None:
    sink = start_sink("127.0.0.1", 0, tmp_path / "mail")
    try:
        assert sink.port != 0
        msg = EmailMessage()
        msg["From"] = "noreply@ui-agency.example"
        msg["To"] = "claimant@example.org"
        msg["Subject"] = "登记已受理"
        msg["Message-ID"] = "<test-1@ui-agency.example>"
        msg.set_content("Your registration was received.")
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
            client.send_message(msg)
    finally:
        sink.stop()

    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    stored = BytesParser(policy=default).parsebytes(files[0].read_bytes())
    assert stored["Subject"] == "登记已受理"
    assert stored["Message-ID"] == "<test-1@ui-agency.example>"
    assert "registration was received" in stored.get_content()
