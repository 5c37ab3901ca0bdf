"""One way to reach the database (issue 10 §4): routes, pages, services and activities call the
keyword-only functions of db/ (db/cases.py, db/tasks.py, db/payments.py, ...) and write SQL of
their own nowhere; every audit row is built and written by db/audit.py.

Checked on the source (AST), so it stays so: a module of api/ or activities/ that imports a
statement builder (select, update, delete, insert, text, func) from sqlmodel or sqlalchemy,
or runs a statement itself (`.exec(...)`, `.execute(...)`), fails here, unless it is listed
in EXCEPTIONS with the reason."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("api", "activities")
SQL_PACKAGES = ("sqlmodel", "sqlalchemy")
BUILDERS = {"select", "update", "delete", "insert", "text", "func"}
RUNNERS = {"exec", "execute"}

# module (path from the root) -> why it may still build or run SQL itself
EXCEPTIONS: dict[str, str] = {}


def _modules(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def sql_of_its_own(tree: ast.AST) -> list[str]:
    """What in a module builds or runs SQL: `line: what`, in source order."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in SQL_PACKAGES:
                found += [
                    f"{node.lineno}: imports {alias.name} from {node.module}"
                    for alias in node.names
                    if alias.name in BUILDERS or node.module.split(".")[-1] in ("sql", "expression")
                ]
        elif isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: imports {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] in SQL_PACKAGES
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RUNNERS
        ):
            found.append(f"{node.lineno}: runs a statement (.{node.func.attr})")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_api_and_activities_reach_the_database_only_through_db() -> None:
    offenders = {}
    for path in _modules(*LAYERS):
        name = _name(path)
        if name in EXCEPTIONS:
            continue
        found = sql_of_its_own(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            offenders[name] = found
    assert not offenders, (
        "SQL outside db/ (add a keyword-only function to a db/ module and call it, or list the "
        f"module in EXCEPTIONS with the reason): {offenders}"
    )


def test_every_exception_is_still_needed_and_gives_its_reason() -> None:
    for name, reason in EXCEPTIONS.items():
        path = ROOT / name
        assert path.exists(), f"{name} is gone: remove it from EXCEPTIONS"
        assert sql_of_its_own(ast.parse(path.read_text(encoding="utf-8"))), (
            f"{name} no longer writes SQL of its own: remove it from EXCEPTIONS"
        )
        assert len(reason.split()) >= 3, f"{name}: say why it is an exception"


def test_audit_rows_are_built_only_in_db() -> None:
    """AuditEntry(...) is constructed by db/ alone (db/audit.py's `write`)."""
    built = []
    for path in _modules("api", "activities", "workflows", "notifications", "scripts", "core"):
        if _name(path) in EXCEPTIONS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "AuditEntry"
            ):
                built.append(f"{_name(path)}:{node.lineno}")
    assert not built, f"audit rows built outside db/ (use db.audit.write): {built}"


def test_the_check_finds_sql_written_by_hand() -> None:
    """The check can fail: each way of writing SQL by hand is found."""
    samples = {
        "from sqlmodel import Session, select": 1,
        "from sqlalchemy import func, update": 2,
        "from sqlmodel.sql.expression import SelectOfScalar": 1,
        "import sqlalchemy": 1,
        "rows = session.exec(stmt).all()": 1,
        "conn.execute(stmt)": 1,
        "from sqlalchemy import Engine": 0,
        "from sqlmodel import Session": 0,
        "await handle.execute_update(x)": 0,
    }
    for source, expected in samples.items():
        assert len(sql_of_its_own(ast.parse(source))) == expected, source


# the data-access modules written for it: every argument after the session (or connection,
# engine, filters) is named at the call
KEYWORD_ONLY = (
    "db/cases.py",
    "db/coverage.py",
    "db/payments.py",
    "db/reconciliations.py",
    "db/saved_filters.py",
    "db/task_reads.py",
    "db/tasks.py",
)


def test_data_access_functions_take_keyword_arguments() -> None:
    positional = []
    for name in KEYWORD_ONLY:
        for node in ast.parse((ROOT / name).read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.FunctionDef)
                and not node.name.startswith("_")
                and len(node.args.posonlyargs) + len(node.args.args) > 1
            ):
                positional.append(f"{name}:{node.lineno} {node.name}")
    assert not positional, f"make these keyword-only after the first argument: {positional}"
