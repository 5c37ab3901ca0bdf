"""Which fund pays after a transfer (issue 12 §2; seed 000 范文1 §4.4 (1)): within the province
(220100 → 220200) the medical relationship moves, so the claimant is declared in the
destination's batch, but the paying agency does not change, so every premium of the moved
cover (and a refund of one paid twice) stays on the paying 220100 fund's ledger. Time-skipping
server, agency and bank over HTTP."""

from __future__ import annotations

from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.transfers import TransferActivities
from domain.medical import month_key
from payloads.medical import MedicalDeclarationInput
from payloads.transfers import MoveCoverageInput
from tests.workflows import medical_stack
from tests.workflows.medical_stack import MedicalStack, found, lines, premiums, task_of, this_month
from workflows import ids
from workflows.medical_declaration import MedicalDeclarationWorkflow

database_url, engine, settings, stack = medical_stack.FIXTURES


async def test_an_in_province_move_declares_in_the_destination_and_books_the_paying_fund(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    now, month = await env.get_current_time(), await this_month(env)
    moved = stack.enrol("medT0000000000000001", month.replace(day=3), now)
    stays = stack.enrol("medT0000000000000002", month.replace(day=4), now, region_code="220200")
    ActivityEnvironment().run(
        TransferActivities(stack.engine, stack.book).move_coverage,
        MoveCoverageInput(case_id=moved.case_id, to_region_code="220200", at=now),
    )
    await stack.agency(
        "POST",
        "/admin/mode",
        json={"duplicates": [{"person_ref": moved.person_ref, "month": f"{month:%Y-%m}"}]},
    )
    async with stack.worker():
        handle = await env.client.start_workflow(
            MedicalDeclarationWorkflow.run,
            MedicalDeclarationInput(region_code="220200", month=month),
            id=ids.medical_declaration("220200", month),
            task_queue=task_queue,
        )
        # the answer applied: its refund waits for 初审
        await found(lambda: task_of(stack.engine, "medical_refund_review"))
        await handle.terminate("the refund's reviews are another test's")
    # the destination declares both (the relationship moved) ...
    assert [ln.batch_key for ln in lines(stack.engine, moved.case_id)] == [f"220200-{month:%Y%m}"]
    assert [ln.region_code for ln in lines(stack.engine, stays.case_id)] == ["220200"]
    # ... but the moved claimant's premium is the paying 220100 fund's, the other's 220200's
    owed = {p.case_id: p for p in premiums(stack.engine)}
    assert set(owed) == {moved.case_id, stays.case_id}
    assert owed[moved.case_id].month == month_key(month)
    assert (owed[moved.case_id].region_code, owed[moved.case_id].fund) == ("220100", "UI-220100")
    assert (owed[stays.case_id].region_code, owed[stays.case_id].fund) == ("220200", "UI-220200")
    [refund] = premiums(stack.engine, "refund")  # paid twice: back to the fund that paid it
    assert (refund.case_id, refund.fund) == (moved.case_id, "UI-220100")
