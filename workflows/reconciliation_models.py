"""The reconciliation workflow's input, apart from the workflow so activities can use it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass
class ReconcileDayInput:
    day: date
