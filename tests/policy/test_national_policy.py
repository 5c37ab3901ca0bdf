"""policy/national.toml: the national rules every region shares (the retirement-age
schedule, DOMAIN.md "Identifiers": policy data, validated by the loader)."""

import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest

from domain.national_policy import parse_national_policy
from domain.policy import PolicyError, parse_region_policy
from policy import NATIONAL_FILE, POLICY_DIR, load_policy_book

NATIONAL = (POLICY_DIR / NATIONAL_FILE).read_text(encoding="utf-8")


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as err:
        parse_national_policy(tomllib.loads(text), "policy/national.toml")
    return err.value


def _replace(old: str, new: str) -> str:
    assert old in NATIONAL, old
    return NATIONAL.replace(old, new, 1)


def test_the_national_file_loads_with_the_2025_schedule() -> None:
    """2024 NPC SC decision on raising the statutory retirement age, in force 2025-01-01."""
    national = load_policy_book().national
    assert national.version == "national@2025-01-01"
    assert national.retirement.men.base_years == 60
    assert national.retirement.men.target_years == 63
    assert national.retirement.women_cadre.raise_from_birth == date(1970, 1, 1)
    assert national.retirement.women_worker.birth_months_per_step == 2
    assert any("延迟法定退休年龄" in s for s in national.sources)


def test_every_seeded_region_names_the_womens_base() -> None:
    """Each region's policy says which original age a woman's pre-check assumes."""
    book = load_policy_book()
    for code in book.codes():
        assert book.region(code).at(date(2026, 1, 1)).women_retirement_group == "women_worker"


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        (
            "raise_from_birth = 1965-01-01",
            "raise_from_birth = 1965-01-15",
            "raise_from_birth",
            "1st of a month",
        ),
        ("target_years = 63", "target_years = 59", "retirement.men", "below base_years"),
        (
            "birth_months_per_step = 2",
            "birth_months_per_step = 0",
            "birth_months_per_step",
            "greater than or equal to 1",
        ),
        (
            "[retirement.women_worker]",
            "[retirement.women_workers]",
            "women_worker",
            "required key missing",
        ),
        (
            "effective_from = 2025-01-01",
            'effective_from = "2025-01-01"',
            "effective_from",
            "TOML date",
        ),
    ],
)
def test_a_bad_national_file_names_the_key_and_the_reason(
    old: str, new: str, key: str, reason: str
) -> None:
    """DOMAIN.md: policy is data, validated when loaded, errors naming file, key, reason."""
    err = _error(_replace(old, new))
    assert err.file == "policy/national.toml"
    assert key in err.key and reason in err.reason, err


def test_a_folder_without_the_national_file_is_refused(tmp_path: Path) -> None:
    """Every region needs the national rules: a policy folder without them does not load."""
    shutil.copy(POLICY_DIR / "220100.toml", tmp_path / "220100.toml")
    with pytest.raises(PolicyError) as err:
        load_policy_book(tmp_path)
    assert err.value.file == f"{tmp_path.name}/national.toml"
    assert "missing" in err.value.reason


def test_a_region_must_name_a_known_womens_base() -> None:
    """policy/<region>.toml women_retirement_group is women_worker or women_cadre."""
    text = (POLICY_DIR / "220100.toml").read_text(encoding="utf-8")
    bad = text.replace('women_retirement_group = "women_worker"', 'women_retirement_group = "x"')
    with pytest.raises(PolicyError) as err:
        parse_region_policy(tomllib.loads(bad), "policy/220100.toml")
    assert err.value.key == "periods[0].women_retirement_group"
    gone = text.replace('women_retirement_group = "women_worker"\n', "")
    with pytest.raises(PolicyError) as missing:
        parse_region_policy(tomllib.loads(gone), "policy/220100.toml")
    assert missing.value.reason == "required key missing"
