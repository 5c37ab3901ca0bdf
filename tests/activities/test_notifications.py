"""Notifications go through the outbox and are delivered once, whatever the retries
(issue: notifications, first version)."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import Engine
from temporalio.testing import ActivityEnvironment

from activities.notifications import NotificationActivities
from notifications.channels import SmsLogChannel, SmtpEmailChannel
from notifications.outbox import Outbox
from notifications.smtp_sink import SinkHandle
from payloads.notify import NotifyInput
from tests.utils.temporal import notifications_of

AT = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def _input(case_id: str, **over: object) -> NotifyInput:
    values: dict[str, object] = dict(
        key=f"{case_id}:registration_reminder:2026-12-15",
        template="registration_reminder",
        at=AT,
        case_id=case_id,
        email="claimant@example.test",
        params={
            "case_id": case_id,
            "claimant_name": "刘测试",
            "due_date": "2026-12-21",
            "notice_date": "2026-11-20",
        },
    )
    values.update(over)
    return NotifyInput(**values)  # type: ignore[arg-type]


def _mails_for(sink: SinkHandle, case_id: str) -> list[str]:
    bodies = []
    for path in sink.maildir.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        part = msg.get_body(("plain",))
        bodies.append(part.get_content() if part is not None else "")
    return [b for b in bodies if case_id in b]


def test_email_sent_once_even_when_the_activity_runs_again(
    engine: Engine, smtp_sink: SinkHandle
) -> None:
    acts = NotificationActivities(
        Outbox(
            engine, SmtpEmailChannel("127.0.0.1", smtp_sink.port, "noreply@test"), SmsLogChannel()
        )
    )
    case_id = uuid.uuid4().hex[:20]
    env = ActivityEnvironment()
    assert env.run(acts.send_notification, _input(case_id)) == "sent"
    assert env.run(acts.send_notification, _input(case_id)) == "sent"
    rows = notifications_of(engine, case_id)
    assert [(r.channel, r.status, r.attempts) for r in rows] == [("email", "sent", 1)]
    assert "2026-12-21" in rows[0].subject
    assert len(_mails_for(smtp_sink, case_id)) == 1


def test_failed_delivery_is_kept_pending_and_retried_once_it_works(
    engine: Engine, smtp_sink: SinkHandle
) -> None:
    down = NotificationActivities(
        Outbox(engine, SmtpEmailChannel("127.0.0.1", 1, "noreply@test", timeout=1), SmsLogChannel())
    )
    up = NotificationActivities(
        Outbox(
            engine, SmtpEmailChannel("127.0.0.1", smtp_sink.port, "noreply@test"), SmsLogChannel()
        )
    )
    case_id = uuid.uuid4().hex[:20]
    env = ActivityEnvironment()
    with pytest.raises(OSError):
        env.run(down.send_notification, _input(case_id))
    row = notifications_of(engine, case_id)[0]
    assert row.status == "pending" and row.last_error
    assert env.run(up.send_notification, _input(case_id)) == "sent"
    assert len(_mails_for(smtp_sink, case_id)) == 1


def test_sms_channel_logs_to_the_outbox_and_no_contact_is_recorded(engine: Engine) -> None:
    acts = NotificationActivities(
        Outbox(engine, SmtpEmailChannel("127.0.0.1", 1, "x@test"), SmsLogChannel())
    )
    case_id = uuid.uuid4().hex[:20]
    env = ActivityEnvironment()
    assert env.run(acts.send_notification, _input(case_id, email=None, phone="13800000000")) == (
        "logged"
    )
    other = _input(case_id, key=f"{case_id}:other", email=None, phone=None)
    assert env.run(acts.send_notification, other) == "no_contact"
    statuses = sorted((r.channel, r.status) for r in notifications_of(engine, case_id))
    assert statuses == [("sms", "logged"), ("sms", "no_contact")]
