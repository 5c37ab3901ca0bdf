"""`python -m bank [--host 127.0.0.1] [--port 8900] [--db DATA_DIR/bank.db]`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from bank.app import create_bank_app
from bank.config import BankConfig
from core.sim_server import serve_main


def _app(db: Path | None) -> FastAPI:
    return create_bank_app(BankConfig.from_env(db_path=db))


def main(argv: list[str] | None = None) -> None:
    serve_main(
        argv,
        prog="bank",
        doc=__doc__,
        port_env="BANK_PORT",
        port=8900,
        db_help="SQLite file (default BANK_DB or DATA_DIR/bank.db)",
        make_app=_app,
    )


if __name__ == "__main__":
    main()
