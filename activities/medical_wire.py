"""Reading the medical-insurance agency's answers and what the system sends it, shared by the
declaration activities and the API's webhook: an answer is applied only when it names a batch
we declared and answers exactly its lines, each for the person we declared it for."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from db import coverage
from db.engine import session_scope
from db.medical import MedicalDeclaration
from medagency.protocol import Answer, Declaration, DeclarationLine


class AnswerRefused(ValueError):
    """The agency's answer cannot be applied; the message says why."""


def read_answer(body: bytes | str) -> Answer:
    """The answer in a body (JSON), or AnswerRefused naming the first problem."""
    try:
        return Answer.model_validate_json(body)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise AnswerRefused(f"malformed answer: {where}: {first['msg']}") from None


def declared_batch(answer: Answer, session: Session) -> MedicalDeclaration:
    """The batch we declared that the answer names; AnswerRefused otherwise."""
    batch = session.get(MedicalDeclaration, answer.batch_key)
    if batch is None or batch.status in ("assembled", "empty"):
        raise AnswerRefused(f"unknown batch key {answer.batch_key!r}")
    return batch


def check_answer(answer: Answer, session: Session) -> MedicalDeclaration:
    """The batch the answer is for, when it names one we declared and answers each of its
    lines once, for the person declared; AnswerRefused otherwise (nothing is applied)."""
    batch = declared_batch(answer, session)
    if answer.region_code != batch.region_code:
        raise AnswerRefused(
            f"batch {batch.batch_key} is for region {batch.region_code}, not {answer.region_code}"
        )
    ours = coverage.people_of_batch(session, batch_key=batch.batch_key)
    seen: set[str] = set()
    for line in answer.lines:
        if line.line_id not in ours:
            raise AnswerRefused(f"unknown line ID {line.line_id!r} in batch {batch.batch_key}")
        if ours[line.line_id] != line.person_ref:
            raise AnswerRefused(f"line {line.line_id} names an unknown person reference")
        if line.line_id in seen:
            raise AnswerRefused(f"line {line.line_id} is answered twice")
        seen.add(line.line_id)
    missing = sorted(set(ours) - seen)
    if missing:
        raise AnswerRefused(f"the answer leaves {len(missing)} lines unanswered: {missing[:5]}")
    return batch


def keep_answer(engine: Engine, answer: Answer, at: datetime) -> str:
    """Check the answer and keep it on its batch (the first one kept stands); the ID of the
    workflow that applies it. AnswerRefused when it cannot be applied."""
    with session_scope(engine) as session:
        batch = declared_batch(answer, session)
        if batch.answer is not None:  # delivered again: the answer kept stands
            return batch.workflow_id
        check_answer(answer, session)
        batch.answer = answer.model_dump(mode="json")
        batch.answered_at, batch.status, batch.last_error = at, "answered", None
        session.add(batch)
        return batch.workflow_id


def note_refusal(engine: Engine, batch_key: str, reason: str) -> None:
    """Keep why an answer to the batch was refused (shown to whoever looks into it)."""
    with session_scope(engine) as session:
        batch = session.get(MedicalDeclaration, batch_key)
        if batch is not None:
            batch.last_error = reason[:500]
            session.add(batch)


def declaration(engine: Engine, batch_key: str) -> Declaration:
    """The batch as the agency is sent it, the same every time (lines in their order), with
    the identity numbers the agency needs (only here, from the coverage rows)."""
    with Session(engine) as session:
        batch = session.get(MedicalDeclaration, batch_key)
        if batch is None:
            raise LookupError(f"no batch {batch_key}")
        rows = coverage.lines_with_people(session, batch_key=batch_key)
        return Declaration(
            batch_key=batch.batch_key,
            region_code=batch.region_code,
            month=f"{batch.month:%Y-%m}",
            lines=[
                DeclarationLine(
                    line_id=line.line_id,
                    action=line.action,  # type: ignore[arg-type]
                    person_ref=line.person_ref,
                    national_id=national_id,
                    name=name,
                    month=f"{line.month:%Y-%m}",
                    premium=line.premium,
                    stop_date=line.stop_date,
                )
                for line, national_id, name in rows
            ],
        )
