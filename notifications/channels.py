"""Delivery channels for notifications: e-mail over SMTP, and an SMS channel that in
development only logs (the outbox row is the record of what would have been sent)."""

from __future__ import annotations

import hashlib
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    def send(self, *, key: str, recipient: str, subject: str, body: str) -> str:
        """Deliver one message; returns the outbox status to record ('sent' or 'logged')."""
        ...


def message_id_for(key: str, domain: str) -> str:
    """A Message-ID stable across retries, so a receiver can drop a duplicate delivery."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpEmailChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, *, key: str, recipient: str, subject: str, body: str) -> str:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = recipient
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = message_id_for(key, self.sender.split("@")[-1])
        msg.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(msg)
        return "sent"


class SmsLogChannel:
    name = "sms"

    def send(self, *, key: str, recipient: str, subject: str, body: str) -> str:
        log.info("SMS (development log) key=%s to=%s***: %s", key, recipient[:3], subject)
        return "logged"
