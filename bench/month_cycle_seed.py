"""Active cases for the month-cycle benchmark, without intake or review: the full `CaseState`
a ClaimWorkflow carries across continue-as-new (the shape of the recorded history
`tests/histories/claim/benefit_month_continue_as_new.json`), built for today so that benefit month 1
(checked in, owed) ended at the last China-time midnight or earlier and month 2 is running.
A workflow started with it crosses the month boundary at once (continue-as-new into month
2), then waits for month 2's check-in. Plus the matching `cases` rows, regions and users."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session
from stdnum import luhn
from stdnum.cn import ric
from worklist_data import GIVEN, SURNAMES

from activities.cases import _apply  # the read model's mapping (bulk insert, not timed)
from activities.rules import RuleActivities
from core.identity import IdentityKeys
from db.models import CaseRecord
from db.seed import seed_demo_users, seed_regions
from domain.calendar import AGENCY_TZ
from domain.entitlement import add_months, benefit_month_period
from domain.task_data import ReviewClaimData
from payloads.case_state import (
    BenefitState,
    CaseState,
    DeadlineInfo,
    DeadlineKind,
    Decision,
    EmployerFacts,
    Entitlement,
    IntakeState,
    MonthState,
    ReviewState,
)
from payloads.rules import AssessInput, CasePolicyInput
from payloads.submissions import BankAccount, EmployerReport, Registration
from payloads.tasks import TaskCompletion, TaskState
from policy import PolicyBook

REGION = "220100"
USCC = "91110000600037341L"
BANK_CODES = ("ICBC", "ABC", "BOC", "CCB")
CONTRIBUTION_MONTHS = 72  # 5-10 years: an 18-month entitlement in 220100


def today_in_china() -> date:
    return datetime.now(AGENCY_TZ).date()


def entitlement_start(today: date) -> date:
    """The start S whose month 1 is over by today and whose month 2 is running today."""
    start = add_months(today, -1)
    m2_start, m2_end = benefit_month_period(start, 2)
    assert m2_start <= today < m2_end - timedelta(days=2), (start, today)
    return start


def _national_id(i: int) -> str:
    body = f"220102{date(1970, 1, 1) + timedelta(days=i // 900):%Y%m%d}{i % 900 + 100:03d}"
    return body + ric.calc_check_digit(body + "0")


def _account(i: int) -> str:
    body = f"6222{i:014d}"
    return body + luhn.calc_check_digit(body)  # the bank checks the Luhn digit


def _deadline(
    kind: DeadlineKind, start: date, days: int, reminder: int, met: date, pv: str
) -> DeadlineInfo:
    return DeadlineInfo(
        kind=kind,
        start=start,
        due_date=start + timedelta(days=days),
        reminders=[start + timedelta(days=reminder)],
        policy_version=pv,
        met_on=met,
    )


def active_case(i: int, rules: RuleActivities, start: date, rng: random.Random) -> CaseState:
    """Case number i: registered on `start`, approved the same day, month 1 checked in."""
    case_id = "mc" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz234567", k=18))
    nid = _national_id(i)
    name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2))
    separation = start - timedelta(days=3)
    at = datetime.combine(start, time(10, 0), tzinfo=AGENCY_TZ).astimezone(UTC)
    policy = rules.case_policy(CasePolicyInput(region_code=REGION, on=separation))
    pv = policy.policy_version
    report = EmployerReport(
        uscc=USCC,
        employer_name="长春示例机械有限公司",
        national_id=nid,
        claimant_name=name,
        region_code=REGION,
        separation_date=separation,
        notice_date=separation,
        reason_code="contract_expired",
        contribution_months=CONTRIBUTION_MONTHS,
        claimant_phone=f"138{i:08d}",
        employer_email="hr@example.test",
    )
    registration = Registration(
        national_id=nid,
        name=name,
        region_code=REGION,
        separation_date=separation,
        seeking_work=True,
        notice_date=separation,
        phone=f"138{i:08d}",
        bank_account=BankAccount(rng.choice(BANK_CODES), _account(i), name),
        employer_name="长春示例机械有限公司",
    )
    proposal = rules.assess_claim(
        AssessInput(
            region_code=REGION,
            on=start,
            contribution_months=CONTRIBUTION_MONTHS,
            reason_code="contract_expired",
            registered=True,
            seeking_work=True,
        )
    )
    assert proposal.end_date is not None and proposal.months > 2, proposal
    ent = Entitlement(
        months=proposal.months,
        monthly_amount=proposal.monthly_amount,
        start_date=start,
        end_date=proposal.end_date,
        contribution_months=CONTRIBUTION_MONTHS,
        policy_version=proposal.policy_version,
    )
    months = [
        MonthState(month=m, start=s, end=e)
        for m, (s, e) in ((m, benefit_month_period(start, m)) for m in range(1, ent.months + 1))
    ]
    first = months[0]
    first.status, first.check_in, first.owed = "checked_in", start, True
    first.amount, first.policy_version = proposal.monthly_amount, proposal.policy_version
    task_id = f"review_claim-{case_id}"
    review = TaskState(
        task_id=task_id,
        kind="review_claim",
        group="reviewer",
        opened_at=at,
        due_at=at + timedelta(days=15),
        reminders=[at + timedelta(days=10)],
        completion=TaskCompletion(
            task_id=task_id,
            kind="review_claim",
            outcome="approve",
            actor="reviewer",
            completed_at=at,
            data=ReviewClaimData(),
        ),
    )
    facts = EmployerFacts(reason_code="contract_expired", contribution_months=CONTRIBUTION_MONTHS)
    return CaseState(
        case_id=case_id,
        status="active",
        stage="benefits",
        region_code=REGION,
        opened_at=at - timedelta(days=2),
        intake=IntakeState(
            employer_report=report,
            employer_report_received=separation + timedelta(days=1),
            registration=registration,
            registration_date=start,
        ),
        policy=policy,
        deadlines={
            "employer_report": _deadline("employer_report", separation, 15, 10, start, pv),
            "registration": _deadline("registration", separation, 30, 20, start, pv),
            "review": _deadline("review", start, 15, 10, start, pv),
        },
        review=ReviewState(
            status="approved",
            proposal=proposal,
            facts=facts,
            seeking_work=True,
            national_id=nid,
            decision=Decision(
                outcome="approve",
                decided_by="reviewer",
                decided_at=at,
                reasons=[],
                reason_text=None,
                contribution_months=CONTRIBUTION_MONTHS,
                corrected_from=None,
                entitlement=ent,
                policy_version=proposal.policy_version,
                determination_key=f"{case_id}:review",
            ),
        ),
        benefit=BenefitState(months=months, current=1),
        tasks={task_id: review},
        event_seq=16,
    )


def seed_cases(engine: Engine, book: PolicyBook, states: list[CaseState], key: str) -> None:
    """Regions, the demo users (clerk, finance, finance2 ...) and one `cases` row per case,
    as the sync activity would have left them."""
    seed_regions(engine, book)
    seed_demo_users(engine)
    keys = IdentityKeys(key)
    now = datetime.now(UTC)
    with Session(engine) as session:
        for s in states:
            row = CaseRecord(case_id=s.case_id, region_code="", status="", stage="")
            _apply(row, s, keys)
            row.opened_at, row.synced_seq, row.updated_at = s.opened_at, s.event_seq, now
            session.add(row)
        session.commit()


def expected_total(states: list[CaseState]) -> Decimal:
    """What month 2 of every case owes (the amount is the policy's on the month's start)."""
    total = Decimal("0.00")
    for s in states:
        assert s.review is not None and s.review.decision is not None
        assert s.review.decision.entitlement is not None
        total += s.review.decision.entitlement.monthly_amount
    return total
