"""The small pieces behind the pages: every template string translated, CSRF tokens, due
colours, form parsing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from api.pages.task_forms import CompleteForm, to_outcome
from api.pages.web import csrf_ok, csrf_token, due_class
from forms import TEMPLATE_DIR
from forms.i18n import MESSAGES, translate

_KEY = re.compile(r"""\bt\(\s*'([a-z_]+\.[a-z_.]+|[a-z_]+)'""")


def test_every_key_the_templates_use_exists_in_chinese_and_english() -> None:
    used = {
        key
        for path in (TEMPLATE_DIR / "staff").glob("*.html")
        for key in _KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 50
    missing = {lang: sorted(used - set(MESSAGES[lang])) for lang in MESSAGES}
    assert missing == {"zh": [], "en": []}
    assert set(MESSAGES["zh"]) == set(MESSAGES["en"])


def test_unknown_enumerated_values_fall_back_to_the_raw_value() -> None:
    assert translate("zh", "kind.review_claim") == "待遇审核"
    assert translate("en", "kind.review_claim") == "Review claim"
    assert translate("fr", "kind.review_claim") == "待遇审核"  # unknown language: Chinese
    assert translate("en", "event.something_new") == "something_new"
    assert translate("en", "list.total", n=3) == "3 in all"


def test_csrf_token_belongs_to_one_session_and_one_secret() -> None:
    token = csrf_token("secret", "session-a")
    assert csrf_ok("secret", "session-a", token)
    assert not csrf_ok("secret", "session-b", token)
    assert not csrf_ok("other-secret", "session-a", token)
    assert not csrf_ok("secret", None, token)
    assert not csrf_ok("secret", "session-a", "")
    assert not csrf_ok("secret", "session-a", None)


def test_due_dates_are_red_when_past_and_amber_within_two_days() -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert due_class(now - timedelta(minutes=1), now) == "overdue"
    assert due_class(now + timedelta(days=1, hours=23), now) == "soon"
    assert due_class(now + timedelta(days=2, minutes=1), now) == ""
    assert due_class(None, now) == ""


def _t(key: str) -> str:
    return key


def test_review_forms_become_outcomes_or_field_errors() -> None:
    ok, _ = to_outcome(
        "review_claim",
        CompleteForm(outcome="reject", reasons=["not_seeking_work"], reason="说明"),
        _t,
    )
    assert ok == ("reject", "说明", {"reasons": ["not_seeking_work"]})
    # no reason code ticked: the workflow takes the failed pre-checks' (domain/review.py)
    bare, errs = to_outcome("review_claim", CompleteForm(outcome="reject", reason="x"), _t)
    assert bare == ("reject", "x", {"reasons": []}) and not errs
    _, errs = to_outcome(
        "review_claim", CompleteForm(outcome="approve", contribution_months="x"), _t
    )
    assert errs.fields == {"contribution_months": "error.integer"}
    _, errs = to_outcome(
        "review_claim", CompleteForm(outcome="approve", contribution_months="80"), _t
    )
    assert errs.fields == {"reason": "error.required"}
    ordered, _ = to_outcome(
        "employer_report_overdue", CompleteForm(outcome="ordered", days="10"), _t
    )
    assert ordered == ("ordered", None, {"days": 10})
    _, errs = to_outcome("late_registration", CompleteForm(outcome="accept"), _t)
    assert errs.fields == {"reason": "error.required"}
    _, errs = to_outcome("late_registration", CompleteForm(outcome="approve", reason="x"), _t)
    assert "outcome" in errs.fields
