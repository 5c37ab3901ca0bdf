"""Decision notices (失业保险待遇核定通知书 / 不予核定通知书, the 停止享受失业保险待遇决定书
after two unexcused missed check-ins or a stop event, and the warning of a first refused offer,
api/services/warning_notice.py): HTML from a Jinja2 template, PDF from that HTML with
WeasyPrint. Read from the case read model (`CaseRecord.decision`) and the decision's
`Determination` row, so a printed notice names what it can be re-checked by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session

from db.cases import find_determination
from db.models import CaseRecord, Determination
from domain.calendar import AGENCY_TZ
from domain.review import APPEAL_NOTICE_EN, APPEAL_NOTICE_ZH, REJECTION_REASONS
from domain.stops import STOP_LABELS_EN, STOP_LABELS_ZH
from forms import TEMPLATE_DIR
from policy import PolicyBook, UnknownRegion, default_policy_book

Lang = Literal["zh", "en"]
TITLES = {
    "approve": ("失业保险待遇核定通知书", "Notice of unemployment-insurance benefits granted"),
    "reject": (
        "失业保险待遇不予核定通知书",
        "Notice of refusal of unemployment-insurance benefits",
    ),
    "stop": (
        "停止享受失业保险待遇决定书",
        "Decision to stop unemployment-insurance benefits",
    ),
    "warning": ("拒绝介绍就业警告通知书", "Warning: a suitable job or training offer refused"),
}
# a case's notices by kind, in the order they are decided: the review decision's, the
# warning of a first refused offer, the stop's (missed check-ins or a stop event)
NoticeKind = Literal["decision", "warning", "stop"]
NOTICE_KINDS: tuple[NoticeKind, ...] = ("decision", "warning", "stop")

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def zh_date(value: date) -> str:
    """2026年12月5日"""
    return f"{value.year}年{value.month}月{value.day}日"


_env.filters["zh_date"] = zh_date

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_GROUPS = ["", "万", "亿"]


def amount_in_words(amount: Decimal) -> str:
    """Chinese financial capitals for a yuan amount: 755.00 → 柒佰伍拾伍元整."""
    fen_total = int((amount * 100).to_integral_value())
    yuan, fen = divmod(fen_total, 100)
    words, group_index, need_zero = "", 0, False
    while yuan:
        yuan, group = divmod(yuan, 10000)
        part, zero = "", False
        for pos in range(4):
            group, digit = divmod(group, 10)
            if digit:
                part = _DIGITS[digit] + _UNITS[pos] + ("零" if zero and part else "") + part
                zero = False
            else:
                zero = True
        if part:
            words = part + _GROUPS[group_index] + ("零" if need_zero and words else "") + words
        need_zero = zero or not part
        group_index += 1
    words = (words or "零") + "元"
    jiao, fen = divmod(fen, 10)
    if not jiao and not fen:
        return words + "整"
    tail = (_DIGITS[jiao] + "角" if jiao else "零") + (_DIGITS[fen] + "分" if fen else "")
    return words + tail


@dataclass(frozen=True)
class Notice:
    """What a notice is made of: the template, its number and the template's values."""

    case_id: str
    outcome: str
    number: str
    decided_on: date
    template: str
    context: dict[str, Any]

    @property
    def filename(self) -> str:
        return f"notice-{self.outcome}-{self.case_id}-{self.decided_on:%Y%m%d}.pdf"

    @property
    def content_disposition(self) -> str:
        """attachment; an ASCII name, and the Chinese title as the UTF-8 name (RFC 6266)."""
        utf8 = f"{TITLES[self.outcome][0]}-{self.case_id}.pdf"
        return f"attachment; filename=\"{self.filename}\"; filename*=UTF-8''{quote(utf8)}"


def notice_number(case_id: str, decided_on: date, prefix: str = "UI") -> str:
    """Stable per case and decision date: the same decision always prints the same number."""
    return f"{prefix}-{decided_on:%Y%m%d}-{case_id.upper()}"


def _reasons(codes: list[str]) -> list[dict[str, str]]:
    out = []
    for code in codes:
        zh, en = REJECTION_REASONS.get(code, (code, code))
        out.append({"code": code, "zh": zh, "en": en})
    return out


def _region_name(case: CaseRecord, book: PolicyBook | None) -> str:
    try:
        return (book or default_policy_book()).region(case.region_code).name
    except UnknownRegion:
        return case.region_code


def local_day(value: Any) -> date:
    """The day (China time) of a stored instant."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (at.astimezone(AGENCY_TZ) if at.tzinfo is not None else at).date()


def _common(case: CaseRecord, lang: Lang, region_name: str, outcome: str) -> dict[str, Any]:
    """What every notice prints: the agency, the claimant, the case, the appeal rights."""
    title_zh, title_en = TITLES[outcome]
    return {
        "lang": lang,
        "title_zh": title_zh,
        "title_en": title_en,
        "region_code": case.region_code,
        "region_name": region_name,
        "agency_zh": f"{region_name}失业保险经办机构",
        "agency_en": f"Unemployment-insurance agency of {region_name} ({case.region_code})",
        "case_id": case.case_id,
        "claimant_name": case.claimant_name or "",
        "national_id_masked": case.national_id_masked or "",
        "employer_name": case.employer_name,
        "separation_date": case.separation_date,
        "appeal_zh": APPEAL_NOTICE_ZH,
        "appeal_en": APPEAL_NOTICE_EN,
    }


def determined_context(
    case: CaseRecord,
    lang: Lang,
    outcome: str,
    book: PolicyBook | None,
    det: Determination,
    number: str,
    decided_on: date,
) -> dict[str, Any]:
    """What a notice printed from one determination (a stop, a warning) carries beside its
    own facts: the common part, its number and day, and what it can be re-checked by."""
    return {
        **_common(case, lang, _region_name(case, book), outcome),
        "number": number,
        "decided_on": decided_on,
        "decided_by": det.actor,
        "contribution_months": None,
        "corrected_from": None,
        "policy_version": det.policy_version,
        "determination_key": det.key,
        "code_version": det.code_version,
    }


def build_notice(
    session: Session, case_id: str, lang: Lang = "zh", *, book: PolicyBook | None = None
) -> Notice | None:
    """The notice of a case's review decision; None when there is no such case or decision."""
    case = session.get(CaseRecord, case_id)
    if case is None or not case.decision:
        return None
    decision = case.decision
    outcome = "approve" if decision.get("outcome") == "approve" else "reject"
    decided_on = local_day(decision["decided_at"])
    region_name = _region_name(case, book)
    key = decision.get("determination_key")
    determination = find_determination(session, key=key) if key else None
    entitlement = decision.get("entitlement") or None
    if entitlement:
        amount = Decimal(str(entitlement["monthly_amount"]))
        entitlement = {
            "months": entitlement["months"],
            "monthly_amount": f"{amount:.2f}",
            "amount_words": amount_in_words(amount),
            "start_date": date.fromisoformat(str(entitlement["start_date"])),
            "end_date": date.fromisoformat(str(entitlement["end_date"])),
        }
    number = notice_number(case.case_id, decided_on)
    context: dict[str, Any] = {
        **_common(case, lang, region_name, outcome),
        "number": number,
        "decided_on": decided_on,
        "decided_by": decision.get("decided_by", ""),
        "contribution_months": decision.get("contribution_months"),
        "corrected_from": decision.get("corrected_from"),
        "entitlement": entitlement,
        "reasons": _reasons(list(decision.get("reasons") or [])),
        "reason_text": decision.get("reason_text"),
        "policy_version": decision.get("policy_version")
        or (determination.policy_version if determination else None),
        "determination_key": key,
        "code_version": determination.code_version if determination else None,
    }
    template = "notices/approval.html" if outcome == "approve" else "notices/rejection.html"
    return Notice(case.case_id, outcome, number, decided_on, template, context)


def stop_key(case_id: str) -> str:
    """The key of the stop's determination (workflows/claim/benefit_months.py)."""
    return f"{case_id}:check_in_stop"


def build_stop_notice(
    session: Session, case_id: str, lang: Lang = "zh", *, book: PolicyBook | None = None
) -> Notice | None:
    """The notice that benefits stop after two consecutive check-ins missed without good
    reason (seed 000 art. 33): which months, from when, the appeal rights. None when the
    case was not stopped so."""
    case = session.get(CaseRecord, case_id)
    key = stop_key(case_id)
    det = find_determination(session, key=key)
    if case is not None and det is None:
        return _stop_event_notice(session, case, lang, book)
    if case is None or det is None:
        return None
    effective = date.fromisoformat(str(det.result["effective_date"]))
    periods = [
        {"month": m, "start": date.fromisoformat(p[0]), "last": date.fromisoformat(p[1])}
        for m, p in zip(det.inputs.get("months", []), det.inputs.get("periods", []), strict=False)
    ]
    decided_on = effective  # the day the second miss was judged unexcused
    number = notice_number(case.case_id, decided_on, "UI-STOP")
    context: dict[str, Any] = {
        **determined_context(case, lang, "stop", book, det, number, decided_on),
        "missed": periods,
        "effective_date": effective,
    }
    return Notice(case.case_id, "stop", number, decided_on, "notices/stop.html", context)


def _stop_event_notice(
    session: Session, case: CaseRecord, lang: Lang, book: PolicyBook | None
) -> Notice | None:
    """The stop notice of a stop event (workflows/claim/stops.py): the reason, the last paid
    day, the amount to repay, the appeal rights."""
    key = f"{case.case_id}:stop_event"
    det = find_determination(session, key=key)
    if det is None:
        return None
    type_ = str(det.inputs.get("type", ""))
    effective = date.fromisoformat(str(det.result["effective_date"]))
    last = det.result.get("last_paid_day")
    overpayment = Decimal(str(det.result.get("overpayment", "0.00")))
    decided_on = local_day(det.at)
    number = notice_number(case.case_id, decided_on, "UI-STOP")
    months = det.result.get("months")
    context: dict[str, Any] = {
        **determined_context(case, lang, "stop", book, det, number, decided_on),
        "type": type_,
        "reason_zh": STOP_LABELS_ZH.get(type_, type_),
        "reason_en": STOP_LABELS_EN.get(type_, type_),
        "evidence": det.inputs.get("evidence", ""),
        "effective_date": effective,
        "last_paid_day": date.fromisoformat(str(last)) if last else None,
        "overpayment": f"{overpayment:.2f}",
        "overpayment_words": amount_in_words(overpayment),
        "months": [m for m in months if isinstance(m, dict)] if isinstance(months, list) else [],
    }
    return Notice(case.case_id, "stop", number, decided_on, "notices/stop_event.html", context)


def build_notice_of_kind(
    session: Session,
    case_id: str,
    kind: NoticeKind,
    lang: Lang = "zh",
    *,
    book: PolicyBook | None = None,
) -> Notice | None:
    if kind == "warning":  # its module prints with this one's parts: imported here
        from api.services.warning_notice import build_warning_notice

        return build_warning_notice(session, case_id, lang, book=book)
    builder = build_stop_notice if kind == "stop" else build_notice
    return builder(session, case_id, lang, book=book)


def list_notices(
    session: Session, case_id: str, *, book: PolicyBook | None = None
) -> list[tuple[NoticeKind, Notice]]:
    """Every notice the case has, by kind, in the order they were decided."""
    found = [
        (kind, build_notice_of_kind(session, case_id, kind, book=book)) for kind in NOTICE_KINDS
    ]
    return [(kind, n) for kind, n in found if n is not None]


def notice_html(notice: Notice) -> str:
    return _env.get_template(notice.template).render(notice.context)


def html_to_pdf(html: str) -> bytes:
    """A4 PDF of the notice HTML (WeasyPrint; fonts from the system, e.g. fonts-noto-cjk)."""
    from weasyprint import HTML  # imported on first use: loading it takes a moment

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf()
    return pdf


def render_notice_html(
    session: Session, case_id: str, lang: Lang = "zh", *, book: PolicyBook | None = None
) -> str | None:
    """The notice as HTML; None when the case has no decision (yet)."""
    notice = build_notice(session, case_id, lang, book=book)
    return notice_html(notice) if notice else None


def render_notice_pdf(
    session: Session, case_id: str, lang: Lang = "zh", *, book: PolicyBook | None = None
) -> bytes | None:
    """The notice as an A4 PDF; None when the case has no decision (yet)."""
    notice = build_notice(session, case_id, lang, book=book)
    return html_to_pdf(notice_html(notice)) if notice else None
