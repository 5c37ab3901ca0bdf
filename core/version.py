"""The code version stamped on every determination: package version + commit.

The commit comes from core/BUILD_COMMIT where an image build wrote it (`python -m core.version
COMMIT`, from the Dockerfile's GIT_COMMIT build argument: an image has no .git), else from git.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_COMMIT = Path("core", "BUILD_COMMIT")  # relative to the root; not in git
# what `git describe --always --dirty` and `git rev-parse` print (a PEP 440 local label's chars)
_COMMIT = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,39}")


@lru_cache
def code_version() -> str:
    return code_version_at(ROOT)


def code_version_at(root: Path) -> str:
    try:
        base = version("ui-claims")
    except PackageNotFoundError:
        base = "0"
    return f"{base}+{baked_commit(root) or git_commit(root) or 'unknown'}"


def baked_commit(root: Path) -> str | None:
    """The commit an image build wrote, or None outside an image."""
    try:
        text = (root / BUILD_COMMIT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _COMMIT.fullmatch(text):
        raise ValueError(f"{root / BUILD_COMMIT} holds {text!r}, not a commit")
    return text


def git_commit(root: Path) -> str | None:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "--short=12", "HEAD"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        return None


def bake_commit(root: Path, commit: str) -> Path:
    """Write the commit an image is built from (the Dockerfile runs this through main)."""
    commit = commit.strip()
    if not _COMMIT.fullmatch(commit):
        raise ValueError(
            f"GIT_COMMIT {commit!r} is not a commit: build the image with make image "
            "(docker build --build-arg GIT_COMMIT=$(git rev-parse --short=12 HEAD) ...)"
        )
    path = root / BUILD_COMMIT
    path.write_text(commit + "\n", encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m core.version COMMIT\n")
        return 2
    try:
        bake_commit(ROOT, argv[0])
    except ValueError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stderr.write(f"code version: {code_version_at(ROOT)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
