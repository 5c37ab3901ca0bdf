"""One case, `case-<case_id>`: a thin ClaimWorkflow (workflow.py) owning the state and the
order of the stages, one module per stage (intake.py, review.py, benefit_months.py), and what
they share (services.py: events, status, notices, tasks, evidence; deadlines.py)."""

from workflows.claim.workflow import ClaimWorkflow

__all__ = ["ClaimWorkflow"]
