"""Notifications: e-mail and SMS delivery, and the local SMTP sink for development."""
