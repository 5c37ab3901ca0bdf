"""Demo cases for `make run`: a handful of claims in different stages, made through the REST
API exactly as an office would make them, so the worklist, the supervisor page and the case
pages have something real to show. Only into an empty system: when any case exists, nothing
is made (run it again and again). Development only (the demo users must exist).

    python scripts/demo_cases.py http://127.0.0.1:8000
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from stdnum import luhn
from stdnum.cn import ric

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the repo
from db.seed import demo_credentials  # noqa: E402  (the demo users' passwords and TOTP codes)

CHINA = ZoneInfo("Asia/Shanghai")
USCC = "91220101MA0Y1T5X1E"  # illustrative, with a valid check character (GB 32100)
EMPLOYER = "长春一汽示例零部件有限公司"


@dataclass(frozen=True)
class Demo:
    name: str
    birth: date
    contribution_months: int
    stage: str  # employer_only | registration_only | in_review | active | checked_in
    region_code: str = "220100"
    separated_days_ago: int = 5


DEMOS = (
    Demo("张伟", date(1983, 3, 14), 72, "employer_only", separated_days_ago=3),
    Demo("王芳", date(1990, 7, 2), 40, "registration_only", separated_days_ago=6),
    Demo("李娜", date(1987, 11, 23), 30, "in_review"),
    Demo("刘洋", date(1984, 1, 9), 130, "in_review", region_code="220200"),
    Demo("陈静", date(1993, 5, 30), 80, "active", separated_days_ago=12),
    Demo("杨磊", date(1986, 9, 17), 26, "checked_in", separated_days_ago=20),
)


def national_id(d: Demo, n: int) -> str:
    body = f"220102{d.birth:%Y%m%d}{100 + n:03d}"
    return body + ric.calc_check_digit(body + "0")


def _token(api: httpx.Client, user: str) -> dict[str, str]:
    resp = api.post("/api/v1/auth/token", data=demo_credentials(user))
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _ok(resp: httpx.Response) -> dict[str, Any]:
    if resp.status_code >= 400:
        raise RuntimeError(
            f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
        )
    body: dict[str, Any] = resp.json()
    return body


def _today(api: httpx.Client, headers: dict[str, str]) -> date:
    resp = api.get("/api/v1/sim/clock", headers=headers)
    if resp.status_code == 200:  # simulated mode: the test server's day
        return date.fromisoformat(resp.json()["today"])
    return datetime.now(CHINA).date()


def _case(api: httpx.Client, headers: dict[str, str], case_id: str) -> dict[str, Any]:
    """The case as the API shows it; empty while its read model is a moment behind."""
    resp = api.get(f"/api/v1/cases/{case_id}", headers=headers)
    if resp.status_code == 404:
        return {}
    case: dict[str, Any] = _ok(resp)
    return case


def _wait_for_task(
    api: httpx.Client, headers: dict[str, str], case_id: str, kind: str, timeout: float = 60
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        case = _case(api, headers, case_id)
        for task in case.get("tasks", []):
            if task["kind"] == kind and task["status"] in ("open", "claimed"):
                return str(task["task_id"])
        time.sleep(0.2)
    raise RuntimeError(f"case {case_id}: no {kind} task within {timeout:.0f} s")


def _wait_for_status(
    api: httpx.Client, headers: dict[str, str], case_id: str, status: str, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _case(api, headers, case_id).get("status") == status:
            return
        time.sleep(0.2)
    raise RuntimeError(f"case {case_id} did not become {status} within {timeout:.0f} s")


def make_demo_cases(api: httpx.Client) -> list[str]:
    """The demo cases' IDs; none when the system holds a case already."""
    clerk, reviewer = _token(api, "clerk"), _token(api, "reviewer")
    if _ok(api.get("/api/v1/cases", params={"limit": 1}, headers=clerk)):
        return []
    today = _today(api, _token(api, "supervisor"))
    made = []
    for n, d in enumerate(DEMOS):
        nid, sep = national_id(d, n), today - timedelta(days=d.separated_days_ago)
        common = {
            "region_code": d.region_code,
            "separation_date": sep.isoformat(),
            "notice_date": sep.isoformat(),
        }
        report = {
            **common,
            "employer": {"uscc": USCC, "name": EMPLOYER, "email": "hr@demo.example"},
            "claimant": {"national_id": nid, "name": d.name, "phone": f"1380431{n:04d}"},
            "reason_code": "contract_expired",
            "contribution_months": d.contribution_months,
        }
        registration = {
            **common,
            "national_id": nid,
            "name": d.name,
            "phone": f"1380431{n:04d}",
            "bank_account": {
                "bank_code": "ICBC",
                "account_number": _card(n),
                "account_name": d.name,
            },
            "seeking_work": True,
        }
        case_id = ""
        if d.stage != "registration_only":
            case_id = _ok(api.post("/api/v1/employer-reports", json=report, headers=clerk))[
                "case_id"
            ]
        if d.stage != "employer_only":
            case_id = _ok(api.post("/api/v1/registrations", json=registration, headers=clerk))[
                "case_id"
            ]
        made.append(case_id)
        if d.stage in ("active", "checked_in"):
            task = _wait_for_task(api, reviewer, case_id, "review_claim")
            _ok(
                api.post(
                    f"/api/v1/tasks/{task}/complete", json={"outcome": "approve"}, headers=reviewer
                )
            )
            _wait_for_status(api, clerk, case_id, "active")
        if d.stage == "checked_in":
            _ok(api.post(f"/api/v1/cases/{case_id}/check-ins", json={}, headers=clerk))
    return made


def _card(n: int) -> str:
    """A 19-digit bank card number with a valid Luhn check digit."""
    body = f"622202080001234{n:03d}"
    return body + luhn.calc_check_digit(body)


def main(argv: list[str]) -> int:
    base = argv[1] if len(argv) > 1 else "http://127.0.0.1:8000"
    with httpx.Client(base_url=base, timeout=30) as api:
        made = make_demo_cases(api)
    print(f"demo cases: {len(made)} made" if made else "demo cases: the system has cases already")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
