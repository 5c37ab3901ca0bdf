"""Loads the region policy tables and holiday years kept in this folder.

The only part of the rules that reads files: ``<region_code>.toml`` per region
and ``holidays/<year>.toml`` per extra calendar year (see holidays/README.md).
Workflows get policy values through an activity or their input, never from here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from domain.calendar import (
    CalendarDataError,
    HolidayCalendar,
    calendar_from_year_table,
    default_calendar,
)
from domain.policy import PolicyError, RegionPolicy, parse_region_policy

POLICY_DIR = Path(__file__).parent


class UnknownRegion(KeyError):
    """No policy file for this region code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"no policy for region {self.code!r}"


@dataclass(frozen=True)
class PolicyBook:
    regions: dict[str, RegionPolicy]
    calendar: HolidayCalendar

    def region(self, code: str) -> RegionPolicy:
        try:
            return self.regions[code]
        except KeyError:
            raise UnknownRegion(code) from None

    def codes(self) -> list[str]:
        return sorted(self.regions)


def _read_toml(path: Path, shown: str) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(shown, "", f"invalid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise PolicyError(shown, "", f"not UTF-8 text: {e}") from None


def _holiday_year(path: Path, shown: str) -> HolidayCalendar:
    data = _read_toml(path, shown)
    try:
        calendar = calendar_from_year_table(data)
    except CalendarDataError as e:
        raise PolicyError(shown, e.key, e.reason) from None
    if str(data["year"]) != path.stem:
        raise PolicyError(shown, "year", f"{data['year']} does not match the file name")
    return calendar


def load_policy_book(directory: Path = POLICY_DIR) -> PolicyBook:
    """Read and validate every ``*.toml`` here and ``holidays/*.toml``.

    Raises PolicyError (file, key, reason) on the first invalid file.
    """
    regions: dict[str, RegionPolicy] = {}
    for path in sorted(directory.glob("*.toml")):
        shown = f"{directory.name}/{path.name}"
        policy = parse_region_policy(_read_toml(path, shown), shown)
        regions[policy.region_code] = policy
    holiday_dir = directory / "holidays"
    years = [
        _holiday_year(path, f"{directory.name}/holidays/{path.name}")
        for path in sorted(holiday_dir.glob("*.toml"))
    ]
    return PolicyBook(regions=regions, calendar=default_calendar(years))


@lru_cache(maxsize=1)
def default_policy_book() -> PolicyBook:
    """The policy book of this folder, loaded once per process."""
    return load_policy_book()
