"""The image (Dockerfile, .dockerignore, docker-compose.yml), checked without a Docker engine:
what the build context holds, that the build bakes the commit in, that PDF notices can render."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# tracked files the image does without (besides tests/, bench/, .ci/)
DEV_ONLY = {
    ".gitignore",
    ".dockerignore",
    "Dockerfile",
    "docker-compose.yml",
    "Makefile",
    "requirements-dev.lock",
}
# what a working tree holds besides tracked files, none of which may reach the image
LOCAL_STATE = [
    ".git/config",
    ".venv/bin/python",
    "data/bank.db",
    "core/BUILD_COMMIT",
    "ui_claims.egg-info/PKG-INFO",
    "api/__pycache__/main.cpython-311.pyc",
    ".mypy_cache/3.11/x.json",
    "test-artifacts/shot.png",
]


def _pattern(glob: str) -> re.Pattern[str]:
    """A .dockerignore line as Docker reads it: from the context root, `*` within one folder."""
    out = ""
    for part in re.split(r"(\*\*|\*|\?)", glob.strip().strip("/")):
        out += {"**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
    return re.compile(out)


def _ignored(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for keep, pattern in rules:  # the last matching line decides; a folder's match covers it all
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            ignored = not keep
    return ignored


def build_context(paths: list[str]) -> set[str]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), _pattern(line.removeprefix("!"))))
    return {path for path in paths if not _ignored(path, rules)}


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return out.splitlines()


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    lines = [
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.startswith("#")
    ]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.strip().partition(" ") for line in joined.splitlines())
        if word
    ]


def test_the_build_context_is_the_code_without_tests_bench_or_local_state() -> None:
    tracked = tracked_files()
    context = build_context(tracked + LOCAL_STATE)
    assert not {p for p in context if p.split("/")[0] in {"tests", "bench", ".ci"}}
    assert not context & set(LOCAL_STATE)
    wanted = {
        p for p in tracked if p not in DEV_ONLY and p.split("/")[0] not in {"tests", "bench", ".ci"}
    }
    assert wanted - context == set()
    assert {"worker.py", "alembic.ini", "requirements.lock", "pyproject.toml"} <= context


def test_what_the_dockerfile_copies_is_in_the_build_context() -> None:
    context = build_context(tracked_files())
    for instruction, args in dockerfile():
        if instruction == "COPY":
            *sources, _dest = shlex.split(args)
            assert all(src == "." or src in context for src in sources), args


def test_the_image_bakes_the_commit_it_is_built_from() -> None:
    steps = dockerfile()
    copy_code = steps.index(("COPY", ". ."))
    arg = steps.index(("ARG", "GIT_COMMIT"))
    bake = next(i for i, (ins, args) in enumerate(steps) if "-m core.version" in args)
    assert steps[bake][0] == "RUN" and '"$GIT_COMMIT"' in steps[bake][1]
    assert copy_code < bake and arg < bake
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "GIT_COMMIT" in compose["x-app"]["build"]["args"]


def test_the_image_has_what_weasyprint_and_the_chinese_notices_need() -> None:
    installed: set[str] = set()
    for instruction, args in dockerfile():
        if instruction == "RUN" and "apt-get install" in args:
            installed |= set(args.split("apt-get install", 1)[1].split("&&", 1)[0].split())
    # WeasyPrint loads Pango and PangoFT2 (which bring GObject, HarfBuzz, fontconfig) and
    # HarfBuzz's subsetter; Noto CJK draws the Chinese
    assert {"libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"} <= installed
    assert "fonts-noto-cjk" in installed


def test_compose_publishes_only_the_api_beyond_the_host() -> None:
    """Issue 13 §8: the Temporal UI, Mailpit and the bank's admin are not on the network;
    the Temporal UI has no write actions."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    public = []
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            if not str(port).startswith("127.0.0.1:"):
                public.append((name, str(port)))
    assert public == [("api", "8000:8000")]
    ui = compose["services"]["temporal-ui"]["environment"]
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
