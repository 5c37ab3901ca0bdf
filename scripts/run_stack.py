"""Run the whole system on one machine with the embedded defaults (`make run`).

Migrates and seeds the database, then starts Temporal (dev server, or the
time-skipping test server with CLOCK=simulated), the simulated bank, the simulated
medical-insurance agency, the SMTP sink, the worker and the API; stops everything when one of
them dies or on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin/, where the temporal binaries live
PY = sys.executable
STOP_TIMEOUT = 10.0


class StackError(Exception):
    """A part failed to start; the message says which and why."""


class Stop(Exception):
    """Raised from the signal handler to unwind and stop the children."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Stack:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, cmd: list[str], extra_env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        print(f"==> starting {name}: {' '.join(cmd)}")
        env = {**self.env, **(extra_env or {})}
        # own session = own process group: Ctrl-C reaches only us, and killpg gets it all
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def dead(self) -> tuple[str, int] | None:
        for name, proc in self.children:
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if died := self.dead():
                raise StackError(f"{died[0]} exited with code {died[1]} while waiting for {what}")
            if time.monotonic() > deadline:
                raise StackError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.5)

    def stop_all(self) -> None:
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                print(f"==> stopping {name}")
            _killpg(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"==> {name} did not stop in {STOP_TIMEOUT:.0f} s; killing it")
                proc.kill()
                proc.wait()
            _killpg(proc, signal.SIGKILL)  # anything it left behind in its group
        self.children.clear()


def _killpg(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def run_step(what: str, cmd: list[str], env: dict[str, str]) -> None:
    print(f"==> {what}: {' '.join(cmd)}")
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise StackError(f"{what} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def health(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:
        return 0, str(exc)


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise StackError(f"{path} not found: run `make .venv/.installed` (pip install -e '.[dev]')")
    return str(path)


def simulated_data_dir(data_dir: Path) -> Path:
    """CLOCK=simulated keeps its data apart, in DATA_DIR/simulated, emptied at every start:
    the time-skipping server keeps no workflow across a restart, so rows left from an earlier
    run (cases, tasks, payments, the bank's and the agency's files) would name workflows that
    no longer exist. The real clock's data in DATA_DIR is never touched."""
    sim = data_dir / "simulated"
    if sim.exists():
        shutil.rmtree(sim)
    sim.mkdir(parents=True)
    return sim


def stack_data(clock: str, data_dir: Path, environ: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """The data directory the stack runs on and the environment changes that go with it:
    the real clock uses DATA_DIR (and DATABASE_URL when set); the simulated clock a fresh
    DATA_DIR/simulated with its own SQLite database, whatever DATABASE_URL says, and the
    worker without Temporal's sandbox unless WORKFLOW_SANDBOX says otherwise (a demo stack's
    speed: core/settings.py)."""
    if clock != "simulated":
        data_dir.mkdir(parents=True, exist_ok=True)
        return data_dir, {"DATA_DIR": str(data_dir)}
    if environ.get("DATABASE_URL"):
        print("==> CLOCK=simulated: DATABASE_URL ignored; the simulated clock has its own database")
    sim = simulated_data_dir(data_dir)
    sandbox = environ.get("WORKFLOW_SANDBOX", "false")
    return sim, {"DATA_DIR": str(sim), "DATABASE_URL": "", "WORKFLOW_SANDBOX": sandbox}


def main() -> int:
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # keep our lines in order with the children's
    clock = os.environ.get("CLOCK", "real")
    if clock not in ("real", "simulated"):
        print(f"CLOCK must be 'real' or 'simulated', not {clock!r}")
        return 2
    ports = {
        "API_PORT": int(os.environ.get("API_PORT", "8000")),
        "TEMPORAL_PORT": int(os.environ.get("TEMPORAL_PORT", "7233")),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "1025")),
        "BANK_PORT": int(os.environ.get("BANK_PORT", "8900")),
        "MEDAGENCY_PORT": int(os.environ.get("MEDAGENCY_PORT", "8910")),
    }
    if clock == "real":
        ports["TEMPORAL_UI_PORT"] = int(os.environ.get("TEMPORAL_UI_PORT", "8233"))
    data_dir = Path(os.environ.get("DATA_DIR", "data")).resolve()
    api, temporal_port = ports["API_PORT"], ports["TEMPORAL_PORT"]
    bank_url = f"http://127.0.0.1:{ports['BANK_PORT']}"
    medagency_url = f"http://127.0.0.1:{ports['MEDAGENCY_PORT']}"

    for var, port in ports.items():
        if not port_free(port):
            print(f"port {port} is already in use: stop what holds it or set {var}=<other port>")
            return 1

    env = dict(os.environ)
    data_dir, data_env = stack_data(clock, data_dir, env)
    maildir = data_dir / "mail"
    env.update(
        data_env,
        CLOCK=clock,
        TEMPORAL_ADDRESS=f"127.0.0.1:{temporal_port}",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(ports["SMTP_PORT"]),
        BANK_URL=bank_url,
        MEDAGENCY_URL=medagency_url,
        # the worker's first fallback poll of a run follows the simulated bank's settlement
        BANK_BOOKING_HOURS=env.get("BANK_BOOKING_HOURS", env.get("BANK_SETTLE_HOURS", "24")),
    )
    # One secret each per run unless given: the bank and the medical agency sign their
    # webhooks, the API checks them.
    secrets_env = {
        name: env.get(name) or secrets.token_hex(16)
        for name in ("BANK_WEBHOOK_SECRET", "MEDAGENCY_WEBHOOK_SECRET")
    }
    bank_secret = {"BANK_WEBHOOK_SECRET": secrets_env["BANK_WEBHOOK_SECRET"]}
    env.setdefault("APP_ENV", "development")  # required, no default in the code (fail closed)
    if clock == "real":  # the dev server's Web UI decodes payloads through the API (staff login)
        ui = ports["TEMPORAL_UI_PORT"]
        env.setdefault("TEMPORAL_UI_ORIGIN", f"http://127.0.0.1:{ui},http://localhost:{ui}")
    stack = Stack(env)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    try:
        run_step("migrating the database", [PY, "-m", "alembic", "upgrade", "head"], env)
        if env.get("APP_DB_ROLE"):  # PostgreSQL: the app as a least-privilege role (db/app_role.py)
            run_step("granting the app's role", [PY, "-m", "db.app_role", env["APP_DB_ROLE"]], env)
        run_step("seeding the database", [PY, "-m", "db.seed"], env)

        if clock == "real":
            stack.start(
                "temporal",
                [tool("temporal"), "server", "start-dev",
                 "--db-filename", str(data_dir / "temporal.db"),
                 "--port", str(temporal_port), "--ui-port", str(ports["TEMPORAL_UI_PORT"]),
                 "--ip", "127.0.0.1", "--log-level", "warn",
                 "--ui-codec-endpoint", f"http://127.0.0.1:{api}/staff/codec"],
            )  # fmt: skip
            describe = [tool("temporal"), "operator", "namespace", "describe",
                        "--namespace", "default", "--address", env["TEMPORAL_ADDRESS"]]  # fmt: skip
            stack.wait_for(
                "Temporal namespace 'default'",
                lambda: subprocess.run(describe, capture_output=True).returncode == 0,
                timeout=60,
            )
        else:
            # Launched as the SDK does (WorkflowEnvironment.start_time_skipping): only the
            # port; time skipping stays locked, time moves via POST /api/v1/sim/clock/advance.
            stack.start("temporal-test-server", [tool("temporal-test-server"), str(temporal_port)])
            stack.wait_for(f"port {temporal_port}", lambda: port_open(temporal_port), 30)

        # The bank settles on the system's clock: the test server's time in simulated mode.
        bank_clock = "real" if clock == "real" else f"temporal:{env['TEMPORAL_ADDRESS']}"
        stack.start(
            "bank",
            [PY, "-m", "bank", "--host", "127.0.0.1", "--port", str(ports["BANK_PORT"]),
             "--db", str(data_dir / "bank.db")],
            extra_env={
                "WEBHOOK_URL": f"http://127.0.0.1:{api}/api/v1/bank/webhook",
                "BANK_CLOCK": bank_clock,
                # statements are for the fund's account unless asked for another
                "BANK_ACCOUNT": env.get("FUND_ACCOUNT_NUMBER", ""),
                **bank_secret,
            },
        )  # fmt: skip
        stack.wait_for(
            f"{bank_url}/health to answer 200",
            lambda: health(f"{bank_url}/health")[0] == 200,
            timeout=30,
        )
        # The medical-insurance agency answers on the same clock (its late answers by webhook).
        stack.start(
            "medagency",
            [PY, "-m", "medagency", "--host", "127.0.0.1", "--port", str(ports["MEDAGENCY_PORT"]),
             "--db", str(data_dir / "medagency.db")],
            extra_env={
                "MEDAGENCY_WEBHOOK_URL": f"http://127.0.0.1:{api}/api/v1/medical/webhook",
                "MEDAGENCY_CLOCK": bank_clock,
                "MEDAGENCY_WEBHOOK_SECRET": secrets_env["MEDAGENCY_WEBHOOK_SECRET"],
            },
        )  # fmt: skip
        stack.wait_for(
            f"{medagency_url}/health to answer 200",
            lambda: health(f"{medagency_url}/health")[0] == 200,
            timeout=30,
        )
        stack.start(
            "smtp-sink",
            [PY, "-m", "notifications.smtp_sink", "--host", "127.0.0.1",
             "--port", str(ports["SMTP_PORT"]), "--maildir", str(maildir)],
        )  # fmt: skip
        stack.start("worker", [PY, "worker.py"], secrets_env)
        stack.start(
            "api",
            [PY, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(api)],
            secrets_env,
        )

        url = f"http://127.0.0.1:{api}/api/v1/health"
        last: list[tuple[int, str]] = [(0, "no answer yet")]

        def healthy() -> bool:
            last[0] = health(url)
            return last[0][0] == 200

        try:
            stack.wait_for(f"{url} to answer 200", healthy, timeout=60)
        except StackError as exc:
            raise StackError(f"{exc}; last answer: {last[0][0] or '-'} {last[0][1]}") from None

        if env.get("DEMO_CASES", "1") != "0":  # a few claims in different stages, once
            demo = subprocess.run(
                [PY, str(ROOT / "scripts" / "demo_cases.py"), f"http://127.0.0.1:{api}"],
                env=env, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            said = (demo.stdout + demo.stderr).strip().splitlines() or ["no answer"]
            ok = demo.returncode == 0
            print(f"==> {said[-1]}" if ok else f"==> demo cases not made: {said[-1]}")
        print(f"\nReady (CLOCK={clock}, data in {data_dir}):")
        print(f"  API docs       http://127.0.0.1:{api}/docs")
        print(f"  staff pages    http://127.0.0.1:{api}/staff")
        if clock == "real":
            print(f"  Temporal UI    http://127.0.0.1:{ports['TEMPORAL_UI_PORT']}")
            print("                 (payloads are encrypted: sign in at /staff first, and tick")
            print("                 'include cross-origin credentials' in the UI's codec settings)")
        else:
            print("  Temporal UI    none (time-skipping test server); move the clock with")
            print(f"                 POST http://127.0.0.1:{api}/api/v1/sim/clock/advance")
        print(f"  bank           {bank_url}/docs (simulated; ISO 20022)")
        print(f"  medical agency {medagency_url}/docs (simulated; monthly declarations)")
        print(f"  mail (SMTP sink on port {ports['SMTP_PORT']})  {maildir}")
        print("  demo logins    clerk, reviewer, supervisor, finance, finance2, admin")
        print("                 (password = user name; development only; finance, finance2 and")
        print("                 supervisor also a TOTP code of the demo secret: see README)")
        print("Ctrl-C stops everything.\n")

        while True:
            if died := stack.dead():
                print(f"==> {died[0]} exited with code {died[1]}; stopping everything")
                return 1
            time.sleep(1)
    except StackError as exc:
        print(f"==> {exc}")
        return 1
    except Stop as exc:
        print(f"==> {exc}: stopping")
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not abort the cleanup
        stack.stop_all()


if __name__ == "__main__":
    sys.exit(main())
