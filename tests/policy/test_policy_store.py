"""Policy changes reach the running system without a restart (issue 9 §7): the store reloads
an edited file, refuses a bad one loudly and keeps the last valid version."""

import logging
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from domain.amounts import monthly_amount
from domain.policy import PolicyError
from policy import POLICY_DIR
from policy.store import PolicyStore

RAISE_ON = date(2027, 1, 1)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _amount(store: PolicyStore, code: str = "220100", on: date = RAISE_ON) -> Decimal:
    period = store.current().region(code).at(on)
    return monthly_amount(period.benefit, period.rounding)


def _raise(folder: Path, amount: str, code: str = "220100") -> None:
    path = folder / f"{code}.toml"
    path.write_text(
        path.read_text("utf-8")
        + f"\n[[periods]]\neffective_from = {RAISE_ON.isoformat()}\n"
        + f'\n[periods.benefit]\nrule = "fixed"\namount = "{amount}"\n',
        "utf-8",
    )


def test_an_edited_region_file_is_used_from_the_next_look(folder: Path) -> None:
    """DOMAIN.md stage 4: a policy change applies to months from its effective date; issue
    9 §7: it reaches the running worker and API without a restart."""
    store = PolicyStore(folder, check_seconds=0)
    assert _amount(store) == Decimal("755.00")
    _raise(folder, "800.00")
    assert _amount(store) == Decimal("800.00")
    assert _amount(store, on=date(2026, 12, 31)) == Decimal("755.00")
    assert store.current().region("220100").version_at(RAISE_ON) == "220100@2027-01-01"
    assert store.problems() == []


def test_the_folder_is_looked_at_once_per_check_interval(folder: Path) -> None:
    """POLICY_CHECK_SECONDS: an edit is seen within that many seconds (a clock of the
    test's own, so nothing waits on wall time)."""
    clock = FakeMonotonic()
    store = PolicyStore(folder, check_seconds=5, monotonic=clock)
    _raise(folder, "800.00")
    clock.now += 4.9
    assert _amount(store) == Decimal("755.00")
    clock.now += 0.1
    assert _amount(store) == Decimal("800.00")


def test_a_bad_file_is_refused_loudly_and_its_last_valid_version_kept(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 9 §7: a bad file is refused and the old one kept, with an ERROR naming the file
    and the reason, until a valid version is written; other files still reload."""
    store = PolicyStore(folder, check_seconds=0)
    _raise(folder, "800.00")
    assert _amount(store) == Decimal("800.00")
    path = folder / "220100.toml"
    path.write_text(path.read_text("utf-8").replace('"800.00"', '"900.001"'), "utf-8")
    _raise(folder, "812.00", code="220200")
    with caplog.at_level(logging.ERROR, logger="policy"):
        assert _amount(store) == Decimal("800.00")
    assert _amount(store, "220200") == Decimal("812.00")
    [problem] = store.problems()
    assert problem.file == "policy/220100.toml"
    assert "periods[2].benefit.amount" in problem.reason and "2 places" in problem.reason
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "policy/220100.toml refused" in record.getMessage()
    assert "last valid version stays in use" in record.getMessage()
    caplog.clear()
    assert _amount(store) == Decimal("800.00")  # the same bad version: logged once
    assert not [r for r in caplog.records if r.levelno == logging.ERROR]

    path.write_text(path.read_text("utf-8").replace('"900.001"', '"900.00"'), "utf-8")
    assert _amount(store) == Decimal("900.00")
    assert store.problems() == []


def test_broken_toml_a_new_bad_region_and_a_removed_file(folder: Path) -> None:
    """Every kind of bad change is refused by file: invalid TOML, a new file that does not
    validate (not used), a removed file (its last version kept until a restart)."""
    store = PolicyStore(folder, check_seconds=0)
    (folder / "330100.toml").write_text("region_code = = 1\n", "utf-8")
    (folder / "220300.toml").write_text('region_code = "220300"\n', "utf-8")
    (folder / "220200.toml").unlink()
    book = store.current()
    assert book.codes() == ["220100", "220200", "330100"]
    assert book.region("330100").illustrative is True
    problems = {p.file: p.reason for p in store.problems()}
    assert problems.keys() == {"policy/330100.toml", "policy/220300.toml", "policy/220200.toml"}
    assert "invalid TOML" in problems["policy/330100.toml"]
    assert "until a restart" in problems["policy/220200.toml"]
    (folder / "220300.toml").unlink()
    store.current()
    assert "policy/220300.toml" not in {p.file for p in store.problems()}


def test_a_new_valid_region_file_is_added(folder: Path) -> None:
    """A region added while the system runs is known to the next look."""
    store = PolicyStore(folder, check_seconds=0)
    text = (folder / "220200.toml").read_text("utf-8")
    (folder / "220300.toml").write_text(
        text.replace('region_code = "220200"', 'region_code = "220300"'), "utf-8"
    )
    assert "220300" in store.current().codes()


def test_the_national_schedule_reloads_too(folder: Path) -> None:
    """policy/national.toml is policy data like the region files."""
    store = PolicyStore(folder, check_seconds=0)
    path = folder / "national.toml"
    path.write_text(
        path.read_text("utf-8").replace("target_years = 63", "target_years = 65"), "utf-8"
    )
    assert store.current().national.retirement.men.target_years == 65


def test_a_bad_file_at_start_up_stops_the_process(folder: Path) -> None:
    """At start-up there is no last valid version: the PolicyError names the file."""
    (folder / "220100.toml").write_text("region_code = = 1\n", "utf-8")
    with pytest.raises(PolicyError) as err:
        PolicyStore(folder)
    assert err.value.file == "policy/220100.toml"
