"""Notification activity: a workflow's notification, through the outbox (sent once)."""

from __future__ import annotations

from temporalio import activity

from notifications.outbox import Outbox
from payloads.notify import NotifyInput


class NotificationActivities:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    @activity.defn
    def send_notification(self, inp: NotifyInput) -> str:
        """Each notification is sent once: a retry finds the outbox row already delivered."""
        return self.outbox.send_once(inp)
