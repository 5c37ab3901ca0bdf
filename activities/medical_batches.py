"""Declaration batches: which days declare a month, and a region's batch for a month assembled
from its coverage rows (范文1 §4.2: 每月20—25日申报, 新增参保登记, 停保申请, 缴费).

One batch per region and month (`220100-202611`), made once: assembling it again finds it.
Each coverage contributes one line per month it owes and has not declared (the first one an
enrolment, the others the month's premium) and, once benefits have ended, a stop. A coverage
on the cash option (§4.6) is not declared: its months are owed to the claimant instead."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.medical_ledger import owe_claimant
from db import coverage
from db.calendar_years import LiveCalendar
from db.engine import session_scope
from db.medical import MedicalCoverage, MedicalDeclaration, MedicalDeclarationLine
from db.queries import audit_case_once
from domain.calendar import HolidayCalendar
from domain.entitlement import add_months
from domain.medical import (
    declaration_window,
    ended_by,
    month_start,
    monthly_premium,
    premium_months,
)
from domain.policy import RegionPolicy
from payloads.medical import (
    AssembleInput,
    BatchSummary,
    NextWindowInput,
    RedeclareInput,
    WindowDays,
    WithdrawInput,
)
from policy import PolicySource, UnknownRegion

LIVE = ("pending", "enrolled", "stopping")
ACTION_CODES = {"enrol": "E", "continue": "C", "stop": "S"}
CHUNK = 500


def batch_key_for(region_code: str, month: date) -> str:
    return f"{region_code}-{month:%Y%m}"


def line_id_for(case_id: str, month: date, action: str) -> str:
    return f"{case_id}-{month:%Y%m}-{ACTION_CODES[action]}"


def summary(batch: MedicalDeclaration, region: RegionPolicy, cash: int = 0) -> BatchSummary:
    rule = region.at(batch.month).medical
    return BatchSummary(
        batch.batch_key,
        batch.line_count,
        batch.premium_total,
        cash,
        rule.agency_unavailable_alert_hours,
    )


class MedicalBatchActivities:
    def __init__(
        self, engine: Engine, policy: PolicySource, calendars: LiveCalendar | None = None
    ) -> None:
        self.engine = engine
        self.policy = policy  # re-read per call: an edited policy file applies without restart
        self.calendars = calendars  # the years an admin loaded

    def _calendar(self) -> HolidayCalendar:
        base = self.policy.current().calendar
        return base if self.calendars is None else self.calendars.current(base)

    def _region(self, code: str) -> RegionPolicy:
        try:
            return self.policy.current().region(code)
        except UnknownRegion as err:
            raise ApplicationError(str(err), non_retryable=True) from err

    @activity.defn
    def next_declaration_window(self, inp: NextWindowInput) -> WindowDays:
        """The first declaration window that has not closed by `on` (its month's, or the
        next month's), rolled to working days."""
        region = self._region(inp.region_code)
        month = month_start(inp.on)
        for _ in range(3):
            rule = region.at(month).medical
            w = declaration_window(
                month, rule.declaration_start_day, rule.declaration_end_day, self._calendar()
            )
            if inp.on <= w.closes:
                for warning in w.warnings:
                    activity.logger.warning("declaration window %s: %s", month, warning)
                return WindowDays(month, w.opens, w.closes, w.provisional, region.version_at(month))
            month = add_months(month, 1)
        raise ApplicationError(f"{inp.region_code}: no declaration window", non_retryable=True)

    @activity.defn
    def assemble_batch(self, inp: AssembleInput) -> BatchSummary:
        """The region's batch for the month, made once from its coverage rows."""
        region = self._region(inp.region_code)
        month = month_start(inp.month)
        key = batch_key_for(inp.region_code, month)
        with session_scope(self.engine) as session:
            found = session.get(MedicalDeclaration, key)
            if found is not None:  # made before: the workflow declaring it hears its answer
                found.workflow_id = inp.workflow_id
                session.add(found)
                return summary(found, region, found.cash_premiums)
            covers = coverage.live_in_region(
                session,
                region_code=inp.region_code,
                statuses=LIVE,
                starting_before=add_months(month, 1),
            )
            declared = _lines_of(session, [c.case_id for c in covers])
            batch = MedicalDeclaration(
                batch_key=key,
                region_code=inp.region_code,
                month=month,
                workflow_id=inp.workflow_id,
                created_at=inp.at,
            )
            cash = 0
            for cover in covers:
                if cover.cash_option:
                    cash += owe_claimant(session, cover, month, region, inp.at)
                    continue
                lines = _new_lines(cover, declared[cover.case_id], month, region, key)
                for line in lines:
                    session.add(line)
                    batch.line_count += 1
                    batch.premium_total += line.premium
                never_enrolled = not any(ln.action == "enrol" for ln in declared[cover.case_id])
                if not lines and never_enrolled and ended_by(cover.stop_date, month):
                    cover.status = "stopped"  # ended before any month was owed: nothing to say
                    session.add(cover)
            batch.status = "assembled" if batch.line_count else "empty"
            batch.cash_premiums = cash
            session.add(batch)
            return summary(batch, region, cash)

    @activity.defn
    def redeclare_lines(self, inp: RedeclareInput) -> BatchSummary:
        """A clerk corrected what the agency rejected: the case's rejected lines go again,
        in a batch of their own (the agency takes a batch key once)."""
        with session_scope(self.engine) as session:
            old = session.get(MedicalDeclaration, inp.batch_key)
            if old is None:
                raise ApplicationError(f"no batch {inp.batch_key}", non_retryable=True)
            region = self._region(old.region_code)
            found = session.get(MedicalDeclaration, inp.new_batch_key)
            if found is not None:
                return summary(found, region)
            lines = _rejected(session, inp.batch_key, inp.case_id)
            batch = MedicalDeclaration(
                batch_key=inp.new_batch_key,
                region_code=old.region_code,
                month=old.month,
                kind="redeclaration",
                workflow_id=inp.workflow_id,
                created_at=inp.at,
                status="assembled" if lines else "empty",
            )
            for line in lines:
                line.batch_key, line.status, line.reason = inp.new_batch_key, "pending", None
                batch.line_count += 1
                batch.premium_total += line.premium
                session.add(line)
            session.add(batch)
            return summary(batch, region)

    @activity.defn
    def withdraw_lines(self, inp: WithdrawInput) -> int:
        """A clerk withdrew what the agency rejected: those lines are not declared again; a
        cover never enrolled is withdrawn, a rejected stop ends the cover on our side."""
        with session_scope(self.engine) as session:
            lines = _rejected(session, inp.batch_key, inp.case_id)
            for line in lines:
                line.status, line.reason = "withdrawn", f"{line.reason} | {inp.reason}"
                session.add(line)
            cover = coverage.coverage_of(session, case_id=inp.case_id)
            if cover is not None and lines:
                enrolled = coverage.has_line(
                    session, case_id=inp.case_id, action="enrol", status="accepted"
                )
                if not enrolled:
                    cover.status = "withdrawn"
                elif any(line.action == "stop" for line in lines):
                    cover.status = "stopped"
                cover.updated_at = inp.at
                session.add(cover)
            audit_case_once(
                session,
                key=f"medical:{inp.batch_key}:{inp.case_id}:withdrawn",
                at=inp.at,
                actor=inp.actor,
                action="medical_lines_withdrawn",
                case_id=inp.case_id,
                reason=inp.reason,
                data={"batch_key": inp.batch_key, "lines": [ln.line_id for ln in lines]},
            )
            return len(lines)


def _rejected(session: Session, batch_key: str, case_id: str) -> list[MedicalDeclarationLine]:
    """The case's lines the agency rejected in the batch, not yet re-declared or withdrawn."""
    return coverage.rejected_lines(session, batch_key=batch_key, case_id=case_id)


def _lines_of(session: Session, case_ids: list[str]) -> dict[str, list[MedicalDeclarationLine]]:
    found: dict[str, list[MedicalDeclarationLine]] = defaultdict(list)
    for start in range(0, len(case_ids), CHUNK):
        part = case_ids[start : start + CHUNK]
        for line in coverage.lines_of_cases(session, case_ids=list(part)):
            found[line.case_id].append(line)
    return found


def _new_lines(
    cover: MedicalCoverage,
    declared: list[MedicalDeclarationLine],
    month: date,
    region: RegionPolicy,
    key: str,
) -> list[MedicalDeclarationLine]:
    """The cover's lines not declared yet, up to `month`: nothing while a clerk decides on
    a rejected line; an enrolment first, then each month's premium, then the stop once
    benefits have ended by the month's end."""
    if any(line.status == "rejected" for line in declared):
        return []
    rule = region.at(month).medical
    owed = premium_months(cover.start_date, cover.stop_date, month, rule.partial_month)
    months_declared = {line.month for line in declared if line.action != "stop"}
    enrolled = any(line.action == "enrol" and line.status != "withdrawn" for line in declared)
    lines: list[MedicalDeclarationLine] = []
    for owed_month in owed:
        if owed_month in months_declared:
            continue
        action = "continue" if enrolled else "enrol"
        enrolled = True
        premium = monthly_premium(region.at(owed_month).medical)
        lines.append(_line(cover, owed_month, action, premium, None, key))
    stop_declared = any(line.action == "stop" for line in declared)
    if ended_by(cover.stop_date, month) and enrolled and not stop_declared:
        lines.append(_line(cover, month, "stop", Decimal("0.00"), cover.stop_date, key))
    return lines


def _line(
    cover: MedicalCoverage, month: date, action: str, premium: Decimal, stop: date | None, key: str
) -> MedicalDeclarationLine:
    return MedicalDeclarationLine(
        line_id=line_id_for(cover.case_id, month, action),
        batch_key=key,
        case_id=cover.case_id,
        region_code=cover.region_code,
        person_ref=cover.person_ref,
        action=action,
        month=month,
        premium=premium,
        stop_date=stop,
    )
