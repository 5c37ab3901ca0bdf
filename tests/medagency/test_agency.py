"""The simulated medical-insurance agency over real HTTP (DOMAIN.md stage 6; issue 12): a batch
per region and month, each line answered, a batch key accepted once, late answers by signed
webhook and on request, test modes, and its register of each person's covered months."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from bank.clock import ManualClock
from iso20022.signing import verify
from medagency.config import AgencyConfig
from medagency.protocol import SIGNATURE_HEADER, Answer
from medagency.testing import RunningAgency
from tests.bank.helpers import SECRET, WebhookReceiver, eventually
from tests.utils.factories import national_id_of

MAN = national_id_of("man", date(1986, 3, 9))  # 40
WOMAN = national_id_of("woman", date(1999, 12, 31), "220104")  # 26


def _line(person: str, nid: str, action: str, month: str, premium: str = "357.00",
          stop: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "line_id": f"{person}-{month.replace('-', '')}-{action[0].upper()}",
        "action": action,
        "person_ref": person,
        "national_id": nid,
        "name": "测试",
        "month": month,
        "premium": premium if action != "stop" else "0.00",
        "stop_date": stop,
    }


def _batch(key: str, *lines: dict[str, Any], month: str = "2026-11") -> dict[str, Any]:
    return {"batch_key": key, "region_code": "220100", "month": month, "lines": list(lines)}


def _results(resp: httpx.Response) -> dict[str, tuple[str, str | None]]:
    answer = Answer.model_validate(resp.json())
    return {r.line_id: (r.result, r.reason) for r in answer.lines}


def _months(http: httpx.Client, person: str) -> list[str]:
    people = http.get("/admin/people", params={"person_ref": person}).json()
    return [m["month"] for m in people[0]["months"]] if people else []


def test_a_batch_is_answered_line_by_line_and_kept_in_the_register(http: httpx.Client) -> None:
    """范文1 §4.2: new enrolments with their premium; a line the agency cannot accept (an
    identity number that fails GB 11643) is rejected with its reason, the others stand."""
    bad = MAN[:17] + ("0" if MAN[17] != "0" else "1")
    resp = http.post(
        "/declarations",
        json=_batch(
            "220100-202611",
            _line("p-man", MAN, "enrol", "2026-11"),
            _line("p-woman", WOMAN, "enrol", "2026-11", "357.00"),
            _line("p-bad", bad, "enrol", "2026-11"),
        ),
    )
    assert resp.status_code == 200
    results = _results(resp)
    assert results["p-man-202611-E"] == ("accepted", None)
    assert results["p-woman-202611-E"] == ("accepted", None)
    assert results["p-bad-202611-E"][0] == "rejected"
    assert "identity number" in (results["p-bad-202611-E"][1] or "")
    assert _months(http, "p-man") == _months(http, "p-woman") == ["2026-11"]
    assert _months(http, "p-bad") == []


def test_a_batch_declared_twice_is_accepted_once(http: httpx.Client) -> None:
    """Issue 12: a batch declared twice is accepted once (its key); other content under a
    known key is refused and changes nothing."""
    batch = _batch("220100-202611", _line("p1", MAN, "enrol", "2026-11"))
    first = http.post("/declarations", json=batch)
    again = http.post("/declarations", json=batch)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert _months(http, "p1") == ["2026-11"]
    changed = _batch("220100-202611", _line("p1", MAN, "enrol", "2026-11", "400.00"))
    conflict = http.post("/declarations", json=changed)
    assert conflict.status_code == 409 and "other content" in conflict.json()["detail"]
    [row] = http.get("/admin/batches").json()
    assert row["receipts"] == 2 and row["lines"] == 1
    assert http.get("/admin/people").json()[0]["months"][0]["premium"] == "357.00"


def test_a_month_is_covered_once_and_only_for_an_enrolled_person(http: httpx.Client) -> None:
    """The register's invariant: each person's month is paid once; a premium or a stop (停保)
    for someone not enrolled is rejected; after the stop, further months are rejected."""
    http.post("/declarations", json=_batch("k-11", _line("p1", MAN, "enrol", "2026-11")))
    resp = http.post(
        "/declarations",
        json=_batch(
            "k-12",
            _line("p1", MAN, "continue", "2026-12"),
            _line("p1", MAN, "continue", "2026-11") | {"line_id": "p1-again"},
            _line("p2", WOMAN, "continue", "2026-12"),
            _line("p2", WOMAN, "stop", "2026-12", stop="2026-12-10"),
            _line("p1", MAN, "stop", "2026-12", stop="2027-01-01"),
            month="2026-12",
        ),
    )
    results = _results(resp)
    assert results["p1-202612-C"] == ("accepted", None)
    assert results["p1-again"][0] == "rejected" and "paid already" in str(results["p1-again"][1])
    assert results["p2-202612-C"][0] == results["p2-202612-S"][0] == "rejected"
    assert results["p1-202612-S"] == ("accepted", None)
    [person] = http.get("/admin/people", params={"person_ref": "p1"}).json()
    assert person["status"] == "stopped" and person["stopped_on"] == "2027-01-01"
    assert [m["month"] for m in person["months"]] == ["2026-11", "2026-12"]
    late = http.post("/declarations", json=_batch("k-01", _line("p1", MAN, "continue", "2027-01")))
    assert _results(late)["p1-202701-C"][0] == "rejected"


def test_late_answers_come_by_signed_webhook_and_on_request(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    """Issue 12: the agency can answer late: accepted now (202), the results later by a
    signed webhook (HMAC-SHA256, as the bank's) and on request."""
    http.post("/admin/mode", json={"late_hours": 2})
    resp = http.post("/declarations", json=_batch("late-1", _line("p1", MAN, "enrol", "2026-11")))
    assert resp.status_code == 202 and resp.json()["status"] == "processing"
    assert http.get("/declarations/late-1").status_code == 202
    assert _months(http, "p1") == []
    clock.advance(timedelta(hours=2, minutes=1))
    hook = eventually(lambda: receiver.received)[0]
    assert verify(hook.body, SECRET, hook.headers[SIGNATURE_HEADER])
    assert not verify(hook.body, "another secret", hook.headers[SIGNATURE_HEADER])
    answer = Answer.model_validate(json.loads(hook.body))
    assert answer.batch_key == "late-1" and answer.lines[0].result == "accepted"
    asked = http.get("/declarations/late-1")
    assert asked.status_code == 200 and _results(asked) == {"p1-202611-E": ("accepted", None)}
    assert http.get("/declarations/unknown").status_code == 404
    assert eventually(lambda: http.get("/admin/webhooks").json()[0]["delivered"]) is True


def test_a_refused_webhook_is_sent_again(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    receiver.answers = [503, 500]
    http.post("/admin/mode", json={"late_hours": 1})
    http.post("/declarations", json=_batch("late-2", _line("p1", MAN, "enrol", "2026-11")))
    clock.advance(timedelta(hours=1))
    eventually(lambda: receiver.received)
    # the agency notes the delivery once our answer reaches it, a moment after we have the body
    [hook] = eventually(lambda: [h for h in http.get("/admin/webhooks").json() if h["delivered"]])
    assert hook["failed_attempts"] == 2 and hook["sends"] == 3


def test_modes_reject_a_persons_lines_and_report_a_duplicate_premium(http: httpx.Client) -> None:
    """Test modes: a person's lines rejected (data not matching the register); a month the
    employer paid too reported as a duplicate premium (范文1 §4.5), the line still accepted."""
    mode = http.post(
        "/admin/mode",
        json={"reject_persons": ["p2"], "duplicates": [{"person_ref": "p1", "month": "2026-11"}]},
    ).json()
    assert mode["reject_persons"] == ["p2"]
    resp = http.post(
        "/declarations",
        json=_batch(
            "k-11", _line("p1", MAN, "enrol", "2026-11"), _line("p2", WOMAN, "enrol", "2026-11")
        ),
    )
    answer = Answer.model_validate(resp.json())
    first, second = answer.lines
    assert first.result == "accepted" and str(first.duplicate_premium) == "357.00"
    assert second.result == "rejected" and "does not match" in (second.reason or "")


def test_down_refuses_everything_but_admin_and_stores_nothing(http: httpx.Client) -> None:
    http.post("/admin/mode", json={"down": True, "slow_ms": 1})
    batch = _batch("k-11", _line("p1", MAN, "enrol", "2026-11"))
    assert http.post("/declarations", json=batch).status_code == 503
    assert http.get("/health").status_code == 503
    assert http.get("/admin/batches").json() == []
    http.post("/admin/mode", json={"down": False})
    assert http.post("/declarations", json=batch).status_code == 200  # slow, still answered
    assert http.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"premium": "-1.00"}, "premium"),
        ({"month": "2026-13"}, "month"),
        ({"action": "pay"}, "action"),
        ({"stop_date": "2026-11-20"}, "lines"),  # an enrol line with a stop date
    ],
)
def test_a_malformed_batch_is_refused_naming_the_field(
    http: httpx.Client, change: dict[str, str], field: str
) -> None:
    bad = _batch("k-bad", _line("p1", MAN, "enrol", "2026-11") | change)
    resp = http.post("/declarations", json=bad)
    assert resp.status_code == 422
    assert field in json.dumps(resp.json()["detail"])
    assert http.get("/admin/batches").json() == []


def test_config_refuses_a_webhook_without_a_secret_and_a_bad_clock(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="MEDAGENCY_WEBHOOK_SECRET"):
        AgencyConfig.from_env({"MEDAGENCY_WEBHOOK_URL": "http://x/hook"})
    with pytest.raises(ValueError, match="MEDAGENCY_CLOCK"):
        AgencyConfig.from_env({"MEDAGENCY_CLOCK": "temporal:"})
    config = AgencyConfig.from_env({"DATA_DIR": str(tmp_path), "MEDAGENCY_ANSWER_HOURS": "3"})
    assert config.db_path == tmp_path / "medagency.db" and config.answer_hours == 3


def test_the_agency_is_its_own_app(agency: RunningAgency) -> None:
    assert agency.url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{agency.url}/health").json()["clock"] == "real"
