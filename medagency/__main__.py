"""`python -m medagency [--host 127.0.0.1] [--port 8910] [--db DATA_DIR/medagency.db]`."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn

from medagency.app import create_agency_app
from medagency.config import AgencyConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m medagency", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MEDAGENCY_PORT", "8910")))
    parser.add_argument("--db", type=Path, help="SQLite file (default MEDAGENCY_DB)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = AgencyConfig.from_env(db_path=args.db)
    except ValueError as exc:
        parser.exit(2, f"medagency: {exc}\n")
    uvicorn.run(create_agency_app(config), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
