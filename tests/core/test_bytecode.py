"""core.bytecode: a worker keeps the bytecode of what it imports even under
PYTHONDONTWRITEBYTECODE=1 (the workflow sandbox re-imports workflow modules per instance)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_in_child(tmp_path: Path, keep: bool) -> list[Path]:
    (tmp_path / "mod_for_bytecode.py").write_text("VALUE = 1\n")
    code = (
        f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {str(ROOT)!r}]\n"
        + ("from core.bytecode import keep_bytecode; keep_bytecode()\n" if keep else "")
        + "import mod_for_bytecode\n"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return sorted((tmp_path / "__pycache__").glob("mod_for_bytecode.*.pyc"))


def test_without_it_nothing_is_written(tmp_path: Path) -> None:
    assert _import_in_child(tmp_path, keep=False) == []


def test_keep_bytecode_writes_the_cache(tmp_path: Path) -> None:
    assert len(_import_in_child(tmp_path, keep=True)) == 1
