"""Policy books that differ from the policy folder's in one value, for a test's own worker."""

from __future__ import annotations

import shutil
from pathlib import Path

from policy import POLICY_DIR, PolicyBook, load_policy_book


def book_with_payout_day(tmp_path: Path, region: str, day: int) -> PolicyBook:
    """The policy folder's book with `region` paying on `day` of the month."""
    folder = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = folder / f"{region}.toml"
    text = path.read_text()
    assert text.count("payout_days = [10]") == 1
    path.write_text(text.replace("payout_days = [10]", f"payout_days = [{day}]"))
    return load_policy_book(folder)
