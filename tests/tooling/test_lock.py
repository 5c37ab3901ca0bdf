"""The lock files (`make lock`): every dependency pyproject.toml declares is pinned within its
range and hash-checked; the image's lock (requirements.lock) is the venv's
(requirements-dev.lock) less the development tools, at the same versions."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.metadata import requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYTHON_311_LINUX = {"python_version": "3.11", "sys_platform": "linux"}


@dataclass(frozen=True, kw_only=True)
class Pin:
    version: str
    hashes: int


def read_lock(name: str) -> dict[str, Pin]:
    """name -> pin, from a `uv pip compile --generate-hashes` file."""
    text = (ROOT / name).read_text().replace("\\\n", " ")
    pins: dict[str, Pin] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, *options = line.split(" --hash=")
        req = Requirement(spec)
        (specifier,) = req.specifier
        assert specifier.operator == "==", line
        pins[canonicalize_name(req.name)] = Pin(version=specifier.version, hashes=len(options))
    return pins


def declared(*, extras: tuple[str, ...] = ()) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        found += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return found


def extra_requirements(req: Requirement) -> list[Requirement]:
    """What req's extras add, on Python 3.11 on Linux (from the installed package's metadata)."""
    found = []
    for text in requires(req.name) or []:
        extra_req = Requirement(text)
        if extra_req.marker and any(
            extra_req.marker.evaluate({**PYTHON_311_LINUX, "extra": extra}) for extra in req.extras
        ):
            if extra_req.marker.evaluate({**PYTHON_311_LINUX, "extra": ""}):
                continue  # not the extra's own: a plain dependency (pip check covers those)
            found.append(extra_req)
    return found


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.lock", ()), ("requirements-dev.lock", ("dev",))]
)
def test_every_declared_dependency_is_pinned_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    pins = read_lock(lock)
    for req in declared(extras=extras):
        pin = pins.get(canonicalize_name(req.name))
        assert pin is not None, f"{req.name} is not in {lock}: make lock"
        assert req.specifier.contains(pin.version), f"{lock} pins {req.name}=={pin.version}"
        for extra_req in extra_requirements(req):  # uvicorn[standard]: uvloop, httptools, ...
            extra_pin = pins.get(canonicalize_name(extra_req.name))
            assert extra_pin is not None, f"{extra_req.name} ({req}) is not in {lock}"
            assert extra_req.specifier.contains(extra_pin.version), extra_req


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_pin_is_hash_checked(lock: str) -> None:
    pins = read_lock(lock)
    assert pins and all(pin.hashes >= 1 for pin in pins.values())


def test_the_image_lock_is_the_dev_lock_less_the_dev_tools() -> None:
    app, dev = read_lock("requirements.lock"), read_lock("requirements-dev.lock")
    assert {name: pin.version for name, pin in app.items()} == {
        name: dev[name].version for name in app
    }
    dev_only = {canonicalize_name(r.name) for r in declared(extras=("dev",))} - {
        canonicalize_name(r.name) for r in declared()
    }
    assert dev_only and not dev_only & app.keys()
