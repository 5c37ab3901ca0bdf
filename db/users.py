"""Manage staff users from the command line (production has no demo users).

    python -m db.users add USERNAME --roles reviewer,supervisor [--name "Full Name"] [--email E]
                             [--regions 220100,220200 | --regions "*"]  (default: every region)
    python -m db.users deactivate USERNAME   (revokes their sessions at once)
    python -m db.users list
The password is read from the terminal (or from stdin when piped)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.passwords import hash_password
from core.settings import get_settings
from db.engine import make_engine, session_scope
from db.models import User
from domain.access import ALL_REGIONS
from domain.tasks import ROLES


def normal_regions(value: str) -> str:
    """A --regions value as stored: "*" (every region) or sorted, de-duplicated codes."""
    if value.strip() == ALL_REGIONS:
        return ALL_REGIONS
    return ",".join(sorted({code.strip() for code in value.split(",") if code.strip()}))


_USERS = User.__table__  # type: ignore[attr-defined]
_BY_NAME = sa_select(_USERS).where(_USERS.c.username == bindparam("username"))


def user_values(conn: Connection, *, username: str) -> dict[str, Any] | None:
    """The user's row as plain values (Core, one statement: the API's user cache), or None."""
    row = conn.execute(_BY_NAME, {"username": username}).mappings().first()
    return None if row is None else dict(row)


def find_user(session: Session, *, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def active_users(session: Session) -> list[User]:
    """Every active user, by name."""
    stmt = select(User).where(col(User.active)).order_by(col(User.username))
    return list(session.exec(stmt))


def revoke_tokens(engine: Engine, username: str) -> None:
    """Bump the user's token version: every token issued before is refused from now on."""
    with session_scope(engine) as session:
        session.exec(
            update(User)
            .where(col(User.username) == username)
            .values(token_version=col(User.token_version) + 1)
        )


def deactivate(engine: Engine, username: str) -> bool:
    """Deactivate a user (their tokens are revoked by the change: db/models.py)."""
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            return False
        user.active = False
        session.add(user)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db.users", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="create a user or reset their password and roles")
    add.add_argument("username")
    add.add_argument("--roles", required=True, help=f"comma-separated: {', '.join(sorted(ROLES))}")
    add.add_argument("--name", default="")
    add.add_argument("--email", default=None)
    add.add_argument(
        "--regions",
        default=None,
        help='comma-separated region codes whose cases the user works, or "*" for every region '
        "(a new user's default; an existing user keeps theirs unless given)",
    )
    sub.add_parser("list", help="list users and roles")
    off = sub.add_parser("deactivate", help="deactivate a user and revoke their sessions")
    off.add_argument("username")
    args = parser.parse_args(argv)
    engine = make_engine(get_settings().effective_database_url)
    if args.cmd == "list":
        with session_scope(engine) as session:
            for u in session.exec(select(User).order_by(User.username)).all():
                state = "active" if u.active else "inactive"
                sys.stdout.write(f"{u.username}\t{u.roles}\t{u.regions}\t{state}\n")
        return 0
    if args.cmd == "deactivate":
        if not deactivate(engine, args.username):
            parser.error(f"no user {args.username}")
        sys.stdout.write(f"user {args.username} deactivated, sessions revoked\n")
        return 0
    roles = sorted({r.strip() for r in args.roles.split(",") if r.strip()})
    unknown = set(roles) - ROLES
    if not roles or unknown:
        parser.error(f"unknown roles: {', '.join(sorted(unknown)) or '(none given)'}")
    regions = None if args.regions is None else normal_regions(args.regions)
    if regions == "":
        parser.error('no region given: name region codes, or "*" for every region')
    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    if len(password) < 10:
        parser.error("the password must have at least 10 characters")
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.username == args.username)).first()
        user = user or User(username=args.username, full_name="", password_hash="", roles="")
        user.full_name = args.name or user.full_name or args.username
        user.password_hash = hash_password(password)
        user.roles = ",".join(roles)
        user.email = args.email or user.email
        user.regions = regions if regions is not None else (user.regions or ALL_REGIONS)
        session.add(user)
    sys.stdout.write(f"user {args.username} saved with roles {','.join(roles)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
