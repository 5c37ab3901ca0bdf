"""The notification outbox: write a notification's row once, deliver it once through its
channel (e-mail or SMS). Used by the notification activity and by the API alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Engine
from sqlmodel import select

from core.settings import Settings
from db.engine import session_scope
from db.models import Notification
from forms import TEMPLATE_DIR
from notifications.channels import Channel, SmsLogChannel, SmtpEmailChannel
from payloads.notify import NotifyInput

DONE = frozenset({"sent", "logged", "no_contact"})

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR / "notifications"),
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)


def render(template: str, params: dict[str, Any]) -> tuple[str, str]:
    """Subject (first line) and body of a notification template."""
    text = _env.get_template(f"{template}.txt").render(**params).strip()
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip()


class Outbox:
    def __init__(self, engine: Engine, email: Channel, sms: Channel) -> None:
        self.engine = engine
        self.channels = {"email": email, "sms": sms}

    def send_once(self, inp: NotifyInput) -> str:
        """Write the outbox row (once) and deliver it (once): a retry finds it delivered."""
        row = self._outbox_row(inp)
        if row.status in DONE:
            return row.status
        channel = self.channels[row.channel]
        assert row.recipient is not None
        try:
            status = channel.send(
                key=row.key, recipient=row.recipient, subject=row.subject, body=row.body
            )
        except Exception as err:
            self._mark(row.key, status="pending", error=f"{type(err).__name__}: {err}")
            raise
        self._mark(row.key, status=status, sent_at=inp.at)
        return status

    def _outbox_row(self, inp: NotifyInput) -> Notification:
        with session_scope(self.engine) as session:
            row = session.exec(select(Notification).where(Notification.key == inp.key)).first()
            if row is not None:
                return row
            subject, body = render(inp.template, inp.params)
            channel, recipient = ("email", inp.email) if inp.email else ("sms", inp.phone)
            row = Notification(
                key=inp.key,
                case_id=inp.case_id,
                channel=channel,
                recipient=recipient,
                subject=subject,
                body=body,
                status="pending" if recipient else "no_contact",
                created_at=inp.at,
            )
            session.add(row)
            return row

    def _mark(
        self, key: str, *, status: str, error: str | None = None, sent_at: datetime | None = None
    ) -> None:
        with session_scope(self.engine) as session:
            row = session.exec(select(Notification).where(Notification.key == key)).one()
            row.status = status
            row.attempts += 1
            row.last_error = error
            if sent_at is not None:
                row.sent_at = sent_at
            session.add(row)


def outbox_for(settings: Settings, engine: Engine) -> Outbox:
    """The outbox with the channels configured for this process."""
    return Outbox(
        engine,
        email=SmtpEmailChannel(settings.smtp_host, settings.smtp_port, settings.smtp_sender),
        sms=SmsLogChannel(),
    )
