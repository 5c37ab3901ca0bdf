"""Determinations as evidence: every decision stored with its inputs, policy and code
versions, actor and reasons, written once (idempotent on its key)."""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity

from core.version import code_version
from db.cases import has_determination
from db.engine import session_scope
from db.models import Determination
from payloads.records import DeterminationInput


class DeterminationActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn
    def record_determination(self, inp: DeterminationInput) -> None:
        with session_scope(self.engine) as session:
            if has_determination(session, key=inp.key):
                return
            session.add(
                Determination(
                    key=inp.key,
                    case_id=inp.case_id,
                    kind=inp.kind,
                    outcome=inp.outcome,
                    actor=inp.actor,
                    at=inp.at,
                    policy_version=inp.policy_version,
                    code_version=code_version(),
                    inputs=inp.inputs,
                    result=inp.result,
                    reasons=inp.reasons,
                    reason_text=inp.reason_text,
                )
            )
