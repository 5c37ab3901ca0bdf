"""Temporal workflows: one case = one durable ClaimWorkflow."""

TASK_QUEUE = "ui-claims"
