"""The workflow tests' own fixtures: one seeded template database per session, copied for
each test that needs a database of its own (tests/utils/template_database.py)."""

from tests.utils.template_database import template_url

__all__ = ["template_url"]
