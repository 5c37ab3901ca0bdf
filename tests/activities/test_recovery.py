"""Overpayment recovery and the claimant history through the real activities and database
(issue 11 §4-6): a recovery repaid in two parts, an offset against a later case only with a
supervisor's approval, twelve unused months carried onto eighteen (→ 24), an exhausted case
leaving none. The ledger check (tests/utils/ledger_check.py) adds each case up."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.cases import CaseActivities
from activities.claimant_history import CarriedMonths
from activities.ledger import LedgerActivities
from activities.recovery import RecoveryActivities
from activities.rules import RuleActivities
from core.identity import IdentityKeys
from core.settings import Settings
from db.engine import session_scope
from db.models import CaseRecord, Payment
from db.recoveries import (
    RecoveryError,
    balance_of,
    decide_offset,
    get_recovery,
    record_repayment,
    request_offset,
)
from db.recovery import ClaimantHistory
from domain.entitlement import benefit_month_period, entitlement_end
from payloads.case_state import (
    BenefitState,
    CaseState,
    Decision,
    EmployerFacts,
    Entitlement,
    IntakeState,
    MonthState,
    Proposal,
    ReviewState,
)
from payloads.records import ObligationInput, SyncCaseInput
from payloads.recovery import OpenRecoveryInput
from payloads.rules import AssessInput
from policy import PolicyBook
from tests.utils.factories import national_id_of, registration
from tests.utils.ledger_check import assert_ledger_adds_up, ledger_sum, rules_amount

AT = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
START = date(2026, 1, 5)
MONTH = Decimal("755.00")  # 220100 from 2023-10-01 (seed 002)
run = ActivityEnvironment().run


def _keys(settings: Settings) -> IdentityKeys:
    return IdentityKeys(settings.case_id_key)


def _case(engine: Engine, keys: IdentityKeys, nid: str, status: str = "stopped") -> str:
    """The case's read-model row, as the sync activity writes it."""
    case_id = uuid.uuid4().hex[:20]
    with session_scope(engine) as session:
        session.add(
            CaseRecord(
                case_id=case_id,
                region_code="220100",
                status=status,
                stage="closed" if status != "active" else "benefits",
                national_id_hash=keys.search_hash(nid),
                opened_at=AT,
                updated_at=AT,
            )
        )
    return case_id


def _owe(engine: Engine, case_id: str, month: int, status: str = "settled") -> None:
    """A benefit month owed through the ledger activity, then (optionally) paid by a run."""
    start, end = benefit_month_period(START, month)
    run(
        LedgerActivities(engine).create_obligation,
        ObligationInput(
            case_id=case_id,
            region_code="220100",
            month=month,
            period_start=start,
            period_end=end,
            category="benefit",
            amount=MONTH,
            at=AT,
        ),
    )
    if status != "pending":
        with session_scope(engine) as session:
            p = session.exec(
                select(Payment).where(Payment.case_id == case_id, Payment.month == month)
            ).one()
            p.status, p.settled_on = status, end
            session.add(p)


def _payments(engine: Engine, case_id: str) -> list[Payment]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Payment).where(Payment.case_id == case_id).order_by(col(Payment.month))
            ).all()
        )


def test_a_late_stop_recovery_repaid_in_two_parts(
    engine: Engine, settings: Settings, book: PolicyBook
) -> None:
    keys = _keys(settings)
    case_id = _case(engine, keys, national_id_of("woman", date(1968, 3, 2)))
    for month in (1, 2, 3):
        _owe(engine, case_id, month)
    # re-employed from month 3's first day, reported after month 3 was paid
    opened = OpenRecoveryInput(
        case_id=case_id,
        cause="late_stop_event",
        amount=MONTH,
        evidence="劳动合同 2026-03-05",
        created_by="clerk",
        key=f"stop-{case_id}-1",
        at=AT,
    )
    rid = run(RecoveryActivities(engine).open_recovery, opened)
    assert run(RecoveryActivities(engine).open_recovery, opened) == rid  # a retry: the same
    with session_scope(engine) as session:
        record_repayment(
            session, recovery_id=rid, amount=Decimal("300.00"), on=date(2026, 4, 1),
            recorded_by="finance", key=f"r1-{rid}", at=AT,
        )  # fmt: skip
    with session_scope(engine) as session:
        with pytest.raises(RecoveryError) as err:
            record_repayment(
                session, recovery_id=rid, amount=Decimal("455.01"), on=date(2026, 5, 1),
                recorded_by="finance", key=f"r2x-{rid}", at=AT,
            )  # fmt: skip
        assert (err.value.status, err.value.field) == (422, "amount")
    with session_scope(engine) as session:
        record_repayment(
            session, recovery_id=rid, amount=Decimal("455.00"), on=date(2026, 5, 1),
            recorded_by="finance", key=f"r2-{rid}", at=AT,
        )  # fmt: skip
        rec = get_recovery(session, rid)
        assert (rec.status, balance_of(session, rec).owed) == ("settled", Decimal("0.00"))
    refunds = [p for p in _payments(engine, case_id) if p.category == "refund"]
    assert sorted(p.amount for p in refunds) == [Decimal("300.00"), Decimal("455.00")]
    assert {p.status for p in refunds} == {"received"}
    assert len({p.end_to_end_id for p in refunds}) == 2
    assert_ledger_adds_up(engine, case_id, rules_amount(book, "220100", START, [1, 2]))


def test_an_unknown_case_or_a_bad_amount_is_refused_for_good(
    engine: Engine, settings: Settings
) -> None:
    base = dict(cause="late_stop_event", evidence="x", created_by="clerk", at=AT)
    known = _case(engine, _keys(settings), national_id_of("man", date(1999, 1, 1)))
    for case_id, amount, field in (
        ("nosuchcase", MONTH, "case_id"),
        (known, Decimal("-5"), "amount"),
    ):
        with pytest.raises(ApplicationError) as err:
            run(
                RecoveryActivities(engine).open_recovery,
                OpenRecoveryInput(case_id=case_id, amount=amount, key=uuid.uuid4().hex, **base),  # type: ignore[arg-type]
            )
        assert err.value.non_retryable and err.value.message.startswith(field)


def _error_found(engine: Engine, case_id: str, amount: Decimal, evidence: str) -> int:
    """A recovery of an overpayment found by error, through the activity."""
    return run(
        RecoveryActivities(engine).open_recovery,
        OpenRecoveryInput(
            case_id=case_id, cause="error", amount=amount, evidence=evidence,
            created_by="reviewer", key=f"err-{case_id}", at=AT,
        ),
    )  # fmt: skip


def test_an_offset_against_the_later_case_only_with_a_supervisors_approval(
    engine: Engine, settings: Settings, book: PolicyBook
) -> None:
    keys = _keys(settings)
    nid = national_id_of("man", date(1990, 7, 21))
    first = _case(engine, keys, nid)
    for month in (1, 2):
        _owe(engine, first, month)
    # stopped in month 1, its pro-rata part 510.00 due: 1,000.00 overpaid
    rid = _error_found(engine, first, Decimal("1000.00"), "复核 2026-03")
    later = _case(engine, keys, nid, status="active")
    _owe(engine, later, 1, status="pending")
    other = _case(engine, keys, national_id_of("woman", date(1975, 11, 30)), status="active")
    with session_scope(engine) as session:
        with pytest.raises(RecoveryError) as err:
            request_offset(session, recovery_id=rid, case_id=other, requested_by="finance", at=AT)
        assert (err.value.status, err.value.field) == (422, "case_id")
    with session_scope(engine) as session:
        offset = request_offset(
            session, recovery_id=rid, case_id=later, requested_by="finance", at=AT
        )
    assert [p.amount for p in _payments(engine, later)] == [MONTH]  # nothing before approval
    with session_scope(engine) as session:
        with pytest.raises(RecoveryError) as err:
            decide_offset(
                session, offset_id=offset.id or 0, approve=True, decided_by="finance",
                reason=None, at=AT,
            )  # fmt: skip
        assert err.value.status == 409  # not the person who asked
    with session_scope(engine) as session:
        decide_offset(
            session, offset_id=offset.id or 0, approve=True, decided_by="supervisor",
            reason="本人同意抵扣", at=AT,
        )  # fmt: skip
    # month 1 taken whole; month 2, owed after the approval, gives the remaining 245.00
    _owe(engine, later, 2, status="pending")
    _owe(engine, later, 3, status="pending")
    benefit = [p for p in _payments(engine, later) if p.category == "benefit"]
    assert [(p.month, p.amount, p.status) for p in benefit] == [
        (1, Decimal("0.00"), "offset"),
        (2, Decimal("510.00"), "pending"),
        (3, MONTH, "pending"),
    ]
    with Session(engine) as session:
        assert get_recovery(session, rid).status == "settled"
    offsets = [p for p in _payments(engine, first) if p.category == "refund"]
    assert sorted(p.amount for p in offsets) == [Decimal("245.00"), MONTH]
    assert {p.status for p in offsets} == {"offset"}
    assert_ledger_adds_up(
        engine, first, rules_amount(book, "220100", START, [], pro_rata=Decimal("510.00"))
    )
    assert ledger_sum(engine, later).offsets_taken == Decimal("1000.00")
    with session_scope(engine) as session:
        with pytest.raises(RecoveryError) as err:
            decide_offset(
                session, offset_id=offset.id or 0, approve=False, decided_by="supervisor",
                reason="x", at=AT,
            )  # fmt: skip
        assert err.value.status == 409  # already decided


# what a later case can owe besides its benefit months: never taken by an offset
NOT_BENEFIT = ("funeral_grant", "survivor_pension", "lump_sum", "medical_premium")


def _owe_other(engine: Engine, case_id: str, category: str) -> None:
    """A one-off obligation of another category (month 0, as workflows/claim/grants.py)."""
    run(
        LedgerActivities(engine).create_obligation,
        ObligationInput(
            case_id=case_id, region_code="220100", month=0, period_start=START,
            period_end=START, category=category, amount=Decimal("5285.00"), at=AT,
        ),
    )  # fmt: skip


def test_an_offset_takes_only_benefit_payments(
    engine: Engine, settings: Settings, book: PolicyBook
) -> None:
    """Issue 11 §4: an approved offset reduces the later case's benefit payments only: its
    funeral grant, survivor pension, lump sum and medical premium are paid in full, whether
    owed before the approval or after it (the ledger activity applies offsets again)."""
    keys = _keys(settings)
    nid = national_id_of("woman", date(1983, 4, 9))
    first = _case(engine, keys, nid)
    rid = _error_found(engine, first, Decimal("20000.00"), "复核 2026-07")
    later = _case(engine, keys, nid, status="active")
    _owe(engine, later, 1, status="pending")
    for category in NOT_BENEFIT[:2]:
        _owe_other(engine, later, category)
    with session_scope(engine) as session:
        offset = request_offset(
            session, recovery_id=rid, case_id=later, requested_by="finance", at=AT
        )
        decide_offset(
            session, offset_id=offset.id or 0, approve=True, decided_by="supervisor",
            reason="本人同意抵扣", at=AT,
        )  # fmt: skip
    for category in NOT_BENEFIT[2:]:
        _owe_other(engine, later, category)
    _owe(engine, later, 2, status="pending")
    got = {(p.category, p.month): (p.amount, p.status) for p in _payments(engine, later)}
    assert got == {
        ("benefit", 1): (Decimal("0.00"), "offset"),
        ("benefit", 2): (Decimal("0.00"), "offset"),
        **{(c, 0): (Decimal("5285.00"), "pending") for c in NOT_BENEFIT},
    }
    with Session(engine) as session:
        assert balance_of(session, get_recovery(session, rid)).offset == MONTH * 2


def _closed(
    case_id: str, nid: str, status: str, months: int, used: int, carried_from: list[str],
    carried: int = 0,
) -> CaseState:  # fmt: skip
    """A closed case's state as the workflow syncs it: the entitlement and its months."""
    start = date(2025, 2, 10)
    end = entitlement_end(start, months)
    ent = Entitlement(
        months=months, monthly_amount=MONTH, start_date=start, end_date=end,
        contribution_months=72, policy_version="v", carried_months=carried,
        carried_from=carried_from,
    )  # fmt: skip
    proposal = Proposal(
        eligible=True, checks=[], months=months, monthly_amount=MONTH, start_date=start,
        end_date=end, policy_version="v",
    )  # fmt: skip
    decision = Decision(
        outcome="approve", decided_by="reviewer", decided_at=AT, reasons=[], reason_text=None,
        contribution_months=72, corrected_from=None, entitlement=ent, policy_version="v",
        determination_key="k",
    )  # fmt: skip
    month_states = []
    for i in range(1, months + 1):
        s, e = benefit_month_period(start, i)
        month_states.append(
            MonthState(month=i, start=s, end=e, status="checked_in" if i <= used else "open")
        )
    return CaseState(
        case_id=case_id,
        status=status,  # type: ignore[arg-type]
        stage="closed",
        region_code="220100",
        intake=IntakeState(registration=registration(nid, date(2025, 2, 1))),
        review=ReviewState(
            status="approved",
            proposal=proposal,
            facts=EmployerFacts(reason_code="layoff", contribution_months=72),
            seeking_work=True,
            national_id=nid,
            decision=decision,
        ),
        benefit=BenefitState(months=month_states, current=used + 1),
        event_seq=1,
        opened_at=AT,
    )


def _assess(rules: RuleActivities, nid: str) -> Proposal:
    return run(
        rules.assess_claim,
        AssessInput(
            region_code="220100", on=date(2026, 9, 1), contribution_months=72,
            reason_code="layoff", registered=True, seeking_work=True, national_id=nid,
        ),
    )  # fmt: skip


def test_twelve_unused_months_carried_onto_eighteen_make_24_and_are_carried_once(
    engine: Engine, settings: Settings, book: PolicyBook
) -> None:
    """社会保险法 art. 46 (DOMAIN.md stage 4): unused months added, the total capped at 24."""
    keys = _keys(settings)
    nid = national_id_of("woman", date(1983, 9, 9))
    cases = CaseActivities(engine, keys)
    rules = RuleActivities(book, history=CarriedMonths(engine, keys))
    assert _assess(rules, nid).months == 18  # 72 contribution months, nothing carried
    first = uuid.uuid4().hex[:20]
    # stopped (re-employed) after 6 of 18 months: 12 unused
    run(cases.sync_case, SyncCaseInput(state=_closed(first, nid, "stopped", 18, 6, []), at=AT))
    proposal = _assess(rules, nid)
    assert (proposal.months, proposal.carried_months, proposal.carried_from) == (24, 12, [first])
    # the later case uses all 24: exhausted, nothing unused, the first case's months carried
    second = uuid.uuid4().hex[:20]
    state = _closed(second, nid, "exhausted", 24, 24, [first], carried=12)
    run(cases.sync_case, SyncCaseInput(state=state, at=AT))
    run(cases.sync_case, SyncCaseInput(state=state, at=AT))  # a retry writes nothing twice
    with Session(engine) as session:
        rows = {
            r.case_id: r
            for r in session.exec(
                select(ClaimantHistory).where(col(ClaimantHistory.case_id).in_([first, second]))
            ).all()
        }
        assert session.get(CaseRecord, second) is not None
    assert (rows[first].unused_months, rows[first].carried_into) == (12, second)
    assert (rows[second].unused_months, rows[second].carried_from) == (0, [first])
    assert _assess(rules, nid).months == 18  # carried once only


def test_a_case_that_exhausts_its_months_records_none_unused(
    engine: Engine, settings: Settings
) -> None:
    """DOMAIN.md "Benefit months": an entitlement used to its end leaves 0 months."""
    keys = _keys(settings)
    nid = national_id_of("man", date(1961, 4, 4))
    case_id = uuid.uuid4().hex[:20]
    state = _closed(case_id, nid, "exhausted", 12, 12, [])
    run(CaseActivities(engine, keys).sync_case, SyncCaseInput(state=state, at=AT))
    with Session(engine) as session:
        row = session.exec(select(ClaimantHistory).where(ClaimantHistory.case_id == case_id)).one()
    assert (row.entitlement_months, row.used_months, row.unused_months) == (12, 12, 0)
    assert row.person_ref == keys.search_hash(nid)
