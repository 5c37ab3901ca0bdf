"""Issue 9 §8: `make run CLOCK=simulated` runs on a database of its own, emptied at every
start (the time-skipping server keeps no workflow across a restart); the real clock's data is
never touched. Through scripts/run_stack.py's own code path: the data directory and the
environment it gives the children, then its migration step on them."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from core.settings import Settings
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import run_stack  # noqa: E402


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_simulated_clock_gets_its_own_database_reset_at_start(tmp_path: Path) -> None:
    base = tmp_path / "data"
    real_db = base / "ui.db"
    base.mkdir()
    real_db.write_bytes(b"the real clock's cases")
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgresql+psycopg2://someone@db/ui"}

    for run in (1, 2):  # the second start finds the first one's rows, and drops them
        data_dir, changes = run_stack.stack_data("simulated", base, env)
        child_env = {**env, **changes, "CLOCK": "simulated", "APP_ENV": "development"}
        assert data_dir == base / "simulated"
        assert list(data_dir.iterdir()) == []
        url = Settings(app_env="test", database_url=child_env["DATABASE_URL"], data_dir=data_dir)
        assert url.effective_database_url == f"sqlite:///{data_dir / 'ui.db'}"

        run_stack.run_step(
            "migrating", [run_stack.PY, "-m", "alembic", "upgrade", "head"], child_env
        )
        run_stack.run_step("seeding", [run_stack.PY, "-m", "db.seed"], child_env)
        sim_db = data_dir / "ui.db"
        assert "cases" in _tables(sim_db)
        assert "left_by_run_1" not in _tables(sim_db), "the second start kept the first's rows"
        with sqlite3.connect(sim_db) as conn:  # what this run's simulated time wrote
            conn.execute(f"CREATE TABLE left_by_run_{run} (case_id TEXT)")
            conn.execute(f"INSERT INTO left_by_run_{run} VALUES ('a case of run {run}')")
        (data_dir / "bank.db").write_bytes(b"a bank file")

    assert real_db.read_bytes() == b"the real clock's cases"


def test_real_clock_keeps_its_data_dir_and_database_url(tmp_path: Path) -> None:
    base = tmp_path / "data"
    env = {"DATABASE_URL": "postgresql+psycopg2://someone@db/ui"}
    data_dir, changes = run_stack.stack_data("real", base, env)
    assert data_dir == base and base.is_dir()
    assert changes == {"DATA_DIR": str(base)}
