"""Start-up refuses a bad policy file, naming the file, the key and the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from api.main import create_app
from core.settings import Settings
from domain.policy import PolicyError
from policy import POLICY_DIR


def test_bad_policy_file_stops_start_up_with_file_key_and_reason(
    tmp_path: Path, settings: Settings
) -> None:
    for f in POLICY_DIR.glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    bad = tmp_path / "220100.toml"
    bad.write_text(bad.read_text(encoding="utf-8").replace('"755.00"', '"755.001"'), "utf-8")
    with pytest.raises(PolicyError) as err:
        create_app(settings.model_copy(update={"policy_dir": tmp_path}))
    message = str(err.value)
    assert "220100.toml" in message and "amount" in message


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(app_env="production")
