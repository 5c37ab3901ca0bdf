"""`python -m medagency [--host 127.0.0.1] [--port 8910] [--db DATA_DIR/medagency.db]`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from core.sim_server import serve_main
from medagency.app import create_agency_app
from medagency.config import AgencyConfig


def _app(db: Path | None) -> FastAPI:
    return create_agency_app(AgencyConfig.from_env(db_path=db))


def main(argv: list[str] | None = None) -> None:
    serve_main(
        argv,
        prog="medagency",
        doc=__doc__,
        port_env="MEDAGENCY_PORT",
        port=8910,
        db_help="SQLite file (default MEDAGENCY_DB)",
        make_app=_app,
    )


if __name__ == "__main__":
    main()
