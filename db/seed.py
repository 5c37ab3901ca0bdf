"""Seed regions (from policy/) and, outside production, the demo users.

Run as `python -m db.seed`; safe to run again (upserts)."""

from __future__ import annotations

import logging

import pyotp
from sqlalchemy import Engine
from sqlmodel import select

from core.passwords import hash_password
from core.settings import Settings, get_settings
from db.engine import make_engine, session_scope
from db.models import Region, User
from domain.access import ALL_REGIONS
from policy import POLICY_DIR, PolicyBook, load_policy_book

log = logging.getLogger(__name__)

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("clerk", "王经办 (demo clerk)", "clerk"),
    ("reviewer", "李审核 (demo reviewer)", "reviewer"),
    ("supervisor", "张科长 (demo supervisor)", "supervisor"),
    ("finance", "赵财务 (demo finance)", "finance"),
    ("finance2", "钱复核 (demo finance, second pair of eyes)", "finance"),
    ("admin", "系统管理员 (demo admin)", "admin"),
    ("clerk_hz", "孙经办 (demo clerk, 杭州 only)", "clerk"),
    ("reviewer_hz", "周审核 (demo reviewer, 杭州 only)", "reviewer"),
)
# the regions each demo user works (users.regions, domain/access.py): "*" is every region,
# given explicitly; the *_hz users work 杭州市 (330100) only
DEMO_REGIONS: dict[str, str] = {"clerk_hz": "330100", "reviewer_hz": "330100"}


DEMO_USERNAMES = frozenset(name for name, _, _ in DEMO_USERS)
# The demo finance and supervisor users' TOTP secret (api/totp.py), for `make run` and the
# tests only: add it to an authenticator app, or print a code with
#   .venv/bin/python -c "import pyotp; print(pyotp.TOTP('JBSWY3DPEHPK3PXPUICLAIMSDEMO234').now())"
# Demo users are never seeded in production, and refused there if present (api/login.py).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPUICLAIMSDEMO234"
DEMO_TOTP_ROLES = frozenset({"finance", "supervisor"})  # api.totp.TOTP_ROLES


def demo_credentials(username: str) -> dict[str, str]:
    """The sign-in form of a demo user (password = user name, a TOTP code when needed)."""
    form = {"username": username, "password": username}
    roles = {r for name, _, rs in DEMO_USERS if name == username for r in rs.split(",")}
    if roles & DEMO_TOTP_ROLES:
        form["otp"] = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    return form


def seed_regions(engine: Engine, book: PolicyBook) -> int:
    with session_scope(engine) as session:
        for code in book.codes():
            policy = book.region(code)
            row = session.get(Region, code) or Region(region_code=code, name="", province_code="")
            row.name = policy.name
            row.province_code = policy.province_code
            session.add(row)
    return len(book.codes())


def seed_demo_users(engine: Engine) -> int:
    """Demo users, password = user name, finance and supervisors enrolled in TOTP with
    DEMO_TOTP_SECRET; development and simulated mode only."""
    created = 0
    with session_scope(engine) as session:
        for username, full_name, roles in DEMO_USERS:
            totp = DEMO_TOTP_SECRET if set(roles.split(",")) & DEMO_TOTP_ROLES else None
            regions = DEMO_REGIONS.get(username, ALL_REGIONS)
            user = session.exec(select(User).where(User.username == username)).first()
            if user is not None:
                if user.totp_secret is None and totp is not None:
                    user.totp_secret = totp
                    session.add(user)
                if user.regions != regions:
                    user.regions = regions
                    session.add(user)
                continue
            session.add(
                User(
                    username=username,
                    full_name=full_name,
                    password_hash=hash_password(username),
                    roles=roles,
                    email=f"{username}@ui-agency.example",
                    totp_secret=totp,
                    regions=regions,
                )
            )
            created += 1
    return created


def seed(settings: Settings, engine: Engine) -> None:
    regions = seed_regions(engine, load_policy_book(settings.policy_dir or POLICY_DIR))
    log.info("seeded %d regions", regions)
    if settings.demo_users_allowed:
        log.info("seeded %d demo users", seed_demo_users(engine))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    seed(settings, engine)
    engine.dispose()


if __name__ == "__main__":
    main()
