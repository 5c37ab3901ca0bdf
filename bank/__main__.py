"""`python -m bank [--host 127.0.0.1] [--port 8900] [--db DATA_DIR/bank.db]`."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn

from bank.app import create_bank_app
from bank.config import BankConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bank", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BANK_PORT", "8900")))
    parser.add_argument("--db", type=Path, help="SQLite file (default BANK_DB or DATA_DIR/bank.db)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = BankConfig.from_env(db_path=args.db)
    except ValueError as exc:
        parser.exit(2, f"bank: {exc}\n")
    uvicorn.run(create_bank_app(config), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
