"""core.version: the code version every determination records. In an image (no .git) it is the
commit the build baked in (`python -m core.version "$GIT_COMMIT"`, Dockerfile); in a checkout it
comes from git."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from core.version import BUILD_COMMIT, ROOT, bake_commit, code_version_at

BASE = version("ui-claims")


def _image_like_tree(tmp_path: Path) -> Path:
    """core/ as the image has it: no .git anywhere above it."""
    (tmp_path / "core").mkdir()
    for name in ("__init__.py", "version.py"):
        shutil.copy(ROOT / "core" / name, tmp_path / "core" / name)
    return tmp_path


def _python(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=root, capture_output=True, text=True, timeout=120
    )


def test_the_image_records_the_commit_its_build_baked(tmp_path: Path) -> None:
    root = _image_like_tree(tmp_path)
    read = ("-c", "from core.version import code_version; print(code_version())")
    assert _python(root, *read).stdout.strip() == f"{BASE}+unknown"  # what main's image recorded

    baked = _python(root, "-m", "core.version", "711df23abcde")  # the Dockerfile's step
    assert baked.returncode == 0, baked.stderr
    assert _python(root, *read).stdout.strip() == f"{BASE}+711df23abcde"


@pytest.mark.parametrize("commit", ["", "  ", "$(id)", "a b", "x" * 41])
def test_a_build_without_a_commit_fails_and_says_how(tmp_path: Path, commit: str) -> None:
    root = _image_like_tree(tmp_path)
    baked = _python(root, "-m", "core.version", commit)
    assert baked.returncode == 1
    assert "make image" in baked.stderr
    assert not (root / BUILD_COMMIT).exists()


def test_a_dirty_build_keeps_its_mark(tmp_path: Path) -> None:
    root = _image_like_tree(tmp_path)
    bake_commit(root, "711df23abcde-dirty\n")
    assert code_version_at(root) == f"{BASE}+711df23abcde-dirty"


def test_a_garbled_baked_commit_is_an_error_not_a_recorded_version(tmp_path: Path) -> None:
    root = _image_like_tree(tmp_path)
    (root / BUILD_COMMIT).write_text("<<<<<<< HEAD\n")
    with pytest.raises(ValueError, match="not a commit"):
        code_version_at(root)


def test_in_a_git_checkout_the_commit_comes_from_git(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()

    git("init", "-q")
    git("commit", "-q", "--allow-empty", "-m", "one")
    assert code_version_at(tmp_path) == f"{BASE}+{git('rev-parse', '--short=12', 'HEAD')}"
