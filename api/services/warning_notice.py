"""The warning notice of a first refused offer (拒绝介绍就业警告通知书, issue 11 §1): a
reviewer confirmed that the claimant refused a suitable job or training offer without good
reason (seed 000 art. 26(4); 《失业保险条例》 art. 15); benefits continue, and the notice says
so, the refusal's day and evidence, and that a second such refusal stops the benefits from
its day. Read from the warning's `Determination` (workflows/claim/stops.py), printed like the
other notices (api/services/notices.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from api.services.notices import Lang, Notice, determined_context, local_day, notice_number
from db import cases as cases_db
from db.models import CaseRecord
from domain.stops import REFUSALS_TO_STOP, STOP_LABELS_EN, STOP_LABELS_ZH
from policy import PolicyBook

TITLE = ("拒绝介绍就业警告通知书", "Warning: a suitable job or training offer refused")


def warning_key(case_id: str) -> str:
    """The key of the first confirmed refusal's determination (workflows/claim/stops.py)."""
    return f"{case_id}:refused_offer_warning"


def build_warning_notice(
    session: Session, case_id: str, lang: Lang = "zh", *, book: PolicyBook | None = None
) -> Notice | None:
    """The warning after the first confirmed refusal; None when there was none."""
    case = session.get(CaseRecord, case_id)
    key = warning_key(case_id)
    det = cases_db.find_determination(session, key=key)
    if case is None or det is None:
        return None
    decided_on = local_day(det.at)
    number = notice_number(case.case_id, decided_on, "UI-WARN")
    context: dict[str, Any] = {
        **determined_context(case, lang, "warning", book, det, number, decided_on),
        "refused_on": date.fromisoformat(str(det.inputs["effective_date"])),
        "evidence": det.inputs.get("evidence", ""),
        "refusals": int(det.result.get("refusals", 1)),
        "refusals_to_stop": REFUSALS_TO_STOP,
        "stop_reason_zh": STOP_LABELS_ZH["refused_offer"],
        "stop_reason_en": STOP_LABELS_EN["refused_offer"],
    }
    return Notice(
        case.case_id, "warning", number, decided_on, "notices/refusal_warning.html", context
    )
