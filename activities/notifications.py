"""Notification activity: write the outbox row once, deliver it once through its channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Engine
from sqlmodel import select
from temporalio import activity

from core.settings import Settings
from db.engine import session_scope
from db.models import Notification
from forms import TEMPLATE_DIR
from notifications.channels import Channel, SmsLogChannel, SmtpEmailChannel

DONE = frozenset({"sent", "logged", "no_contact"})

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR / "notifications"),
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)


@dataclass
class NotifyInput:
    key: str
    template: str
    at: datetime
    case_id: str | None = None
    email: str | None = None
    phone: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def render(template: str, params: dict[str, Any]) -> tuple[str, str]:
    """Subject (first line) and body of a notification template."""
    text = _env.get_template(f"{template}.txt").render(**params).strip()
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip()


class NotificationActivities:
    def __init__(self, engine: Engine, email: Channel, sms: Channel) -> None:
        self.engine = engine
        self.channels = {"email": email, "sms": sms}

    @activity.defn
    def send_notification(self, inp: NotifyInput) -> str:
        """Each notification is sent once: a retry finds the outbox row already delivered."""
        return self.send_once(inp)

    def send_once(self, inp: NotifyInput) -> str:
        """Write the outbox row (once) and deliver it (once); also used by the API."""
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


def notifier_for(settings: Settings, engine: Engine) -> NotificationActivities:
    """The notification channels configured for this process."""
    return NotificationActivities(
        engine,
        email=SmtpEmailChannel(settings.smtp_host, settings.smtp_port, settings.smtp_sender),
        sms=SmsLogChannel(),
    )
