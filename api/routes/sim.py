"""The simulated clock (CLOCK=simulated only; 404 in real mode).

`POST /sim/clock/advance {"days": N}` moves time in steps (a day first, up to a month:
api/clock_jobs.py) and answers 200 with the new time once it has arrived, or 202 with the job
to poll at `GET /sim/clock/jobs/{id}` when it takes longer than `wait` seconds of real time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from api.clock_jobs import AdvanceJob, AdvanceRunning, ClockJobs
from api.deps import NOT_FOUND, STAFF, AdminUser, CurrentUser, RuntimeDep, TemporalClientDep
from api.schemas import AdvanceClockIn, ClockJobOut, ClockOut
from domain.calendar import AGENCY_TZ

router = APIRouter(prefix="/sim/clock", tags=["simulated clock"], responses=STAFF)
DEFAULT_WAIT = 15.0  # seconds of real time an advance may take before it answers 202


def _only_simulated(runtime: RuntimeDep) -> None:
    if not runtime.clock.simulated:
        raise HTTPException(404, "Not Found")


async def get_jobs(request: Request, runtime: RuntimeDep) -> ClockJobs:
    """The app's advance jobs, made on first use."""
    _only_simulated(runtime)
    jobs: ClockJobs | None = getattr(request.app.state, "clock_jobs", None)
    if jobs is None:
        jobs = request.app.state.clock_jobs = ClockJobs(runtime.clock)
    return jobs


JobsDep = Annotated[ClockJobs, Depends(get_jobs)]


def _job_out(job: AdvanceJob) -> ClockJobOut:
    return ClockJobOut(
        job_id=job.job_id,
        status=job.status,
        days_done=job.days_done,
        days_total=job.days_total,
        started_at=job.started_at,
        now=job.now,
        today=job.now.astimezone(AGENCY_TZ).date(),
        error=job.error,
    )


@router.get("", response_model=ClockOut)
async def read_clock(runtime: RuntimeDep, user: CurrentUser, client: TemporalClientDep) -> ClockOut:
    """The simulated time now."""
    _only_simulated(runtime)
    now = await runtime.clock.now(client)
    return ClockOut(now=now, today=now.astimezone(AGENCY_TZ).date())


@router.post(
    "/advance",
    response_model=ClockJobOut,
    responses={
        202: {"model": ClockJobOut, "description": "still moving: poll the job"},
        409: {"description": "another advance is still running"},
        503: {"description": "the test server stopped answering during the advance"},
    },
)
async def advance_clock(
    body: AdvanceClockIn,
    response: Response,
    jobs: JobsDep,
    user: AdminUser,
    client: TemporalClientDep,
    wait: Annotated[float, Query(ge=0, le=300)] = DEFAULT_WAIT,
) -> ClockJobOut:
    """Move simulated time forward by `days`, in steps (api/clock_jobs.py); every timer due on
    the way fires in order. 200 when time has arrived within `wait` seconds (real time), else
    202 with the job (`Location`: where to poll it). 409 while another advance runs. Admins
    only (it moves every case's deadlines at once)."""
    try:
        job = await jobs.start(client, body.days)
    except AdvanceRunning as busy:
        raise HTTPException(409, f"advance {busy.job.job_id} is still running") from None
    location = f"/api/v1/sim/clock/jobs/{job.job_id}"
    if not await jobs.wait(job, wait):
        response.status_code = 202
        response.headers["Location"] = location
    elif job.status == "failed":
        raise HTTPException(503, f"the advance stopped after {job.days_done} days: {job.error}")
    return _job_out(job)


@router.get("/jobs/{job_id}", response_model=ClockJobOut, responses=NOT_FOUND)
async def read_job(job_id: str, jobs: JobsDep, user: AdminUser) -> ClockJobOut:
    """An advance's progress: status (running, done, failed), days done of the total, and
    the simulated time after its last step (read without calling the test server)."""
    job = jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no advance {job_id} in this API process")
    return _job_out(job)
