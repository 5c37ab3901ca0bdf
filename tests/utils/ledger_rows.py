"""Ledger rows the reconciliation tests put in by hand."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session

from db.models import Payment


def unbooked_settlement(engine: Engine, day: date, *, prefix: str, at: datetime) -> str:
    """A benefit the ledger calls settled on `day` that the bank never booked (a mismatch of
    that day's statement); its end-to-end ID."""
    e2e = prefix.upper() + uuid.uuid4().hex[:20]
    with Session(engine) as session:
        session.add(
            Payment(
                case_id=prefix.lower() + uuid.uuid4().hex[:8],
                region_code="220100",
                month=1,
                period_start=day - timedelta(days=30),
                period_end=day,
                category="benefit",
                amount=Decimal("755.00"),
                status="settled",
                settled_on=day,
                end_to_end_id=e2e,
                created_at=at,
                updated_at=at,
            )
        )
        session.commit()
    return e2e
