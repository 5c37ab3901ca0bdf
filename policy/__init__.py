"""Loads the region policy tables, the national rules and holiday years kept in this folder.

The only part of the rules that reads files: ``<region_code>.toml`` per region,
``national.toml`` (rules shared by every region) and ``holidays/<year>.toml`` per extra
calendar year (see holidays/README.md). Workflows get policy values through an activity or
their input, never from here. ``policy.store.PolicyStore`` reloads an edited folder.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from domain.calendar import (
    CalendarDataError,
    HolidayCalendar,
    calendar_from_year_table,
    default_calendar,
)
from domain.national_policy import NationalPolicy, parse_national_policy
from domain.policy import PolicyError, RegionPolicy, parse_region_policy

POLICY_DIR = Path(__file__).parent
NATIONAL_FILE = "national.toml"


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
    national: NationalPolicy

    def current(self) -> PolicyBook:
        """A loaded book is its own, unchanging, policy source."""
        return self

    def problems(self) -> list[PolicyProblem]:
        """A loaded book has refused nothing."""
        return []

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


@dataclass(frozen=True)
class PolicyProblem:
    """A file refused on reload: its last valid version (if any) stays in use."""

    file: str
    reason: str


class PolicySource(Protocol):
    """Where activities and the API get the policy in force: a PolicyBook, or a
    policy.store.PolicyStore that reloads edited files."""

    def current(self) -> PolicyBook: ...

    def problems(self) -> list[PolicyProblem]: ...


def _holiday_year(path: Path, shown: str) -> HolidayCalendar:
    data = _read_toml(path, shown)
    try:
        calendar = calendar_from_year_table(data)
    except CalendarDataError as e:
        raise PolicyError(shown, e.key, e.reason) from None
    if str(data["year"]) != path.stem:
        raise PolicyError(shown, "year", f"{data['year']} does not match the file name")
    return calendar


PolicyFile = RegionPolicy | NationalPolicy | HolidayCalendar


def policy_files(directory: Path) -> list[Path]:
    """The files a book is made of: region files (every ``*.toml`` here but the national
    file), ``national.toml`` and ``holidays/*.toml``."""
    return [
        *sorted(directory.glob("*.toml")),
        *sorted((directory / "holidays").glob("*.toml")),
    ]


def shown_name(directory: Path, path: Path) -> str:
    """How errors name a file: ``policy/220100.toml``, ``policy/holidays/2027.toml``."""
    return f"{directory.name}/{path.relative_to(directory).as_posix()}"


def read_policy_file(directory: Path, path: Path) -> PolicyFile:
    """One file of the folder, validated by its kind. Raises PolicyError."""
    shown = shown_name(directory, path)
    if path.parent != directory:
        return _holiday_year(path, shown)
    if path.name == NATIONAL_FILE:
        return parse_national_policy(_read_toml(path, shown), shown)
    return parse_region_policy(_read_toml(path, shown), shown)


def assemble_book(directory: Path, files: Iterable[PolicyFile]) -> PolicyBook:
    """A book from validated files; PolicyError when the national file is not among them."""
    regions: dict[str, RegionPolicy] = {}
    years: list[HolidayCalendar] = []
    national: NationalPolicy | None = None
    for item in files:
        if isinstance(item, RegionPolicy):
            regions[item.region_code] = item
        elif isinstance(item, NationalPolicy):
            national = item
        else:
            years.append(item)
    if national is None:
        shown = shown_name(directory, directory / NATIONAL_FILE)
        raise PolicyError(shown, "", "missing: the national rules every region needs")
    return PolicyBook(regions=regions, calendar=default_calendar(years), national=national)


def load_policy_book(directory: Path = POLICY_DIR) -> PolicyBook:
    """Read and validate every region file, ``national.toml`` and ``holidays/*.toml``.

    Raises PolicyError (file, key, reason) on the first invalid (or missing national) file.
    """
    files = [read_policy_file(directory, path) for path in policy_files(directory)]
    return assemble_book(directory, files)


@lru_cache(maxsize=1)
def default_policy_book() -> PolicyBook:
    """The policy book of this folder, loaded once per process."""
    return load_policy_book()
