"""Working age and the statutory retirement age (DOMAIN.md "Identifiers").

The schedule is the one in policy/national.toml: 全国人民代表大会常务委员会关于实施渐进式延迟
法定退休年龄的决定 (2024-09-13, in force 2025-01-01) and the State Council's measures (国务院关于
渐进式延迟法定退休年龄的办法) art. 2 with their table (法定退休年龄对照表). The expected ages
and months below are read from that table."""

from datetime import date

import pytest

from domain.retirement import (
    Retirement,
    RetirementSchedule,
    age_in_years,
    below_working_age,
)
from policy import load_policy_book


@pytest.fixture(scope="module")
def schedule() -> RetirementSchedule:
    return load_policy_book().national.retirement


def _age(schedule: RetirementSchedule, group: str, birth: date) -> tuple[int, int]:
    return divmod(schedule.group(group).age_months(birth), 12)


@pytest.mark.parametrize(
    ("birth", "age", "retires"),
    [
        (date(1964, 12, 15), (60, 0), date(2024, 12, 15)),  # before the first raised cohort
        (date(1965, 1, 15), (60, 1), date(2025, 2, 15)),  # table: 1965年1月 60岁1个月 2025年2月
        (date(1965, 4, 30), (60, 1), date(2025, 5, 30)),  # table: 1965年4月 60岁1个月 2025年5月
        (date(1965, 5, 1), (60, 2), date(2025, 7, 1)),  # table: 1965年5月 60岁2个月 2025年7月
        (date(1968, 3, 10), (60, 10), date(2029, 1, 10)),
        (date(1976, 8, 1), (62, 11), date(2039, 7, 1)),  # table: 1976年8月 62岁11个月
        (date(1976, 9, 1), (63, 0), date(2039, 9, 1)),  # table: 1976年9月 63岁 2039年9月
        (date(1990, 6, 1), (63, 0), date(2053, 6, 1)),  # target reached: 63 from then on
    ],
)
def test_men_retire_at_60_raised_a_month_every_four_months_to_63(
    schedule: RetirementSchedule, birth: date, age: tuple[int, int], retires: date
) -> None:
    """2024 NPC SC decision art. 1, 国务院办法 art. 2: men 60 -> 63, +1 month per 4 months of
    birth from 1965-01; born 1964-12 retires at 60, born 1965-01 at 60 years 1 month."""
    assert _age(schedule, "men", birth) == age
    assert schedule.retirement(birth, "male", "women_worker") == Retirement(
        "men", age[0] * 12 + age[1], retires
    )


@pytest.mark.parametrize(
    ("birth", "age", "retires"),
    [
        (date(1974, 12, 1), (50, 0), date(2024, 12, 1)),
        (date(1975, 1, 1), (50, 1), date(2025, 2, 1)),  # table: 1975年1月 50岁1个月 2025年2月
        (date(1975, 3, 1), (50, 2), date(2025, 5, 1)),  # table: 1975年3月 50岁2个月 2025年5月
        (date(1976, 1, 20), (50, 7), date(2026, 8, 20)),  # table: 1976年1月 50岁7个月 2026年8月
        (date(1976, 12, 1), (51, 0), date(2027, 12, 1)),  # table: 1976年12月 51岁 2027年12月
        (date(1984, 10, 1), (54, 11), date(2039, 9, 1)),
        (date(1984, 11, 1), (55, 0), date(2039, 11, 1)),  # table: 1984年11月 55岁 2039年11月
    ],
)
def test_women_workers_retire_at_50_raised_a_month_every_two_months_to_55(
    schedule: RetirementSchedule, birth: date, age: tuple[int, int], retires: date
) -> None:
    """国务院办法 art. 2: women whose original age was 50 (workers) 50 -> 55, +1 month per
    2 months of birth from 1975-01."""
    assert _age(schedule, "women_worker", birth) == age
    assert schedule.retirement(birth, "female", "women_worker").on == retires


@pytest.mark.parametrize(
    ("birth", "age", "retires"),
    [
        (date(1969, 12, 1), (55, 0), date(2024, 12, 1)),
        (date(1970, 1, 1), (55, 1), date(2025, 2, 1)),  # table: 1970年1月 55岁1个月 2025年2月
        (date(1971, 1, 5), (55, 4), date(2026, 5, 5)),  # table: 1971年1月 55岁4个月 2026年5月
        (date(1971, 12, 1), (55, 6), date(2027, 6, 1)),  # table: 1971年12月 55岁6个月
        (date(1981, 9, 1), (58, 0), date(2039, 9, 1)),  # table: 1981年9月 58岁 2039年9月
    ],
)
def test_women_cadres_retire_at_55_raised_a_month_every_four_months_to_58(
    schedule: RetirementSchedule, birth: date, age: tuple[int, int], retires: date
) -> None:
    """国务院办法 art. 2: women whose original age was 55 (cadres) 55 -> 58, +1 month per
    4 months of birth from 1970-01."""
    assert _age(schedule, "women_cadre", birth) == age
    assert schedule.retirement(birth, "female", "women_cadre").on == retires


def test_a_woman_gets_the_assumed_base_and_the_other_one(schedule: RetirementSchedule) -> None:
    """DOMAIN.md Identifiers: the identity number carries sex, not worker or cadre; the
    region's base is assumed and the other base is stated beside it."""
    r = schedule.retirement(date(1975, 6, 1), "female", "women_worker")
    assert (r.group, r.age_text, r.on) == ("women_worker", "50y3m", date(2025, 9, 1))
    assert r.other is not None
    assert (r.other.group, r.other.age_text, r.other.on) == (
        "women_cadre",
        "56y5m",
        date(2031, 11, 1),
    )
    cadre = schedule.retirement(date(1975, 6, 1), "female", "women_cadre")
    assert cadre.group == "women_cadre" and cadre.other is not None
    assert cadre.other.group == "women_worker"
    assert schedule.retirement(date(1975, 6, 1), "male", "women_cadre").other is None


def test_a_birthday_the_month_lacks_falls_on_its_last_day(schedule: RetirementSchedule) -> None:
    """Born 1965-01-31, retiring at 60 years 1 month: February has no 31st, so the
    anniversary is its last day (the rule of domain.entitlement.add_months)."""
    assert schedule.retirement(date(1965, 1, 31), "male", "women_worker").on == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("birth", "separation", "refused"),
    [
        (date(2008, 6, 15), date(2024, 6, 14), True),  # 15, the day before the 16th birthday
        (date(2008, 6, 15), date(2024, 6, 15), False),  # 16 on the day
        (date(2008, 2, 29), date(2024, 2, 28), True),
        (date(2008, 2, 29), date(2024, 2, 29), False),
        (date(2010, 12, 1), date(2026, 11, 30), True),
        (date(1960, 1, 1), date(2026, 11, 30), False),  # too old is not refused at the door
        (date(2026, 12, 1), date(2026, 11, 30), True),  # born after the separation
    ],
)
def test_under_16_on_the_separation_date_is_not_of_working_age(
    birth: date, separation: date, refused: bool
) -> None:
    """劳动法 art. 15 (no employment under 16); seed 000 art. 3 (在法定劳动年龄之内)."""
    why = below_working_age(birth, separation)
    assert (why is not None) is refused
    if refused and birth < separation:
        assert "under the working age of 16" in (why or "")
        assert f"was {age_in_years(birth, separation)} on" in (why or "")


def test_age_in_completed_years() -> None:
    """周岁: completed years, the birthday counting."""
    assert age_in_years(date(1990, 3, 7), date(2026, 3, 6)) == 35
    assert age_in_years(date(1990, 3, 7), date(2026, 3, 7)) == 36
    assert age_in_years(date(2008, 2, 29), date(2025, 2, 28)) == 17
