"""Jinja2 templates (staff pages, notices, notification texts) and the form schemas."""

from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent / "templates"
