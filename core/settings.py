"""One settings object for the whole system, read from the environment (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.payload_keys import DEV_PAYLOAD_KEYS, parse_payload_keys

DEV_SECRET = "dev-only-secret-change-me-not-for-production"
DEV_CASE_ID_KEY = "dev-only-case-id-key"


MIN_SECRET_BYTES = 32  # production secrets: at least this many (random) bytes


class Settings(BaseSettings):
    """Every knob of the system; defaults are the embedded development set-up, except APP_ENV,
    which must always be given (fail closed: a forgotten variable never means development;
    `make run` and scripts/run_stack.py set development, the tests set test, the image
    production)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    app_env: Literal["development", "test", "production"]
    clock: Literal["real", "simulated"] = "real"
    data_dir: Path = Path("data")
    database_url: str = ""
    # migrations and db.app_role as the owner; the app connects as DATABASE_URL (db/app_role.py)
    migration_database_url: str = ""
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "ui-claims"
    # how long the API waits for one of a case's Updates (a check-in, ...) to answer while
    # Temporal is busy or the case continues as new, before a 503 (api/temporal_calls.py)
    temporal_update_seconds: float = 45.0
    worker_max_cached_workflows: int = 1000  # workflows kept in a worker's memory (sticky)
    secret_key: str = DEV_SECRET
    case_id_key: str = DEV_CASE_ID_KEY
    token_minutes: int = 8 * 60
    # a session (page cookie or bearer token) unused this long is refused; the staff pages
    # re-issue their cookie as the user works, API clients call POST /api/v1/auth/refresh
    idle_minutes: int = 30
    # seconds a process keeps a user's row for authentication: a deactivation or a role change
    # made by another process takes effect within this time (api/usercache.py); 0 = no cache
    user_cache_seconds: float = 5.0
    # sign-in throttling (api/throttle.py, per process): failures allowed per account and per
    # client address within the window; more answer 429 with Retry-After
    login_failures_per_account: int = 5
    login_failures_per_ip: int = 50
    login_window_seconds: float = 900.0
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_sender: str = "noreply@ui-agency.example"
    policy_dir: Path | None = None
    # seconds between looks for edited policy files (policy/store.py); 0 = on every use
    policy_check_seconds: float = 2.0
    bank_url: str = "http://127.0.0.1:8900"
    # production refuses a plain-http BANK_URL unless this says otherwise, for the simulated
    # bank on docker-compose's internal network only (docker-compose.yml)
    bank_plain_http_ok: bool = False
    bank_webhook_secret: str = "dev-only-bank-webhook-secret"
    # the largest pain.002 / camt.053 taken from the bank (webhook body or polled answer), read
    # no further before the signature is checked: the webhook answers 413 past it
    bank_message_max_bytes: int = 64 * 1024 * 1024
    # how far the bank's signed timestamp may be from our clock (simulated clock aware)
    bank_signature_window_seconds: int = 300
    # simulated clock only: days with no payment at the bank are matched together at the
    # latest this many days after the first of them (workflows/reconciliation.py); the real
    # clock matches every day the next morning (日清). At most the bank's 92-day range.
    reconcile_quiet_days: int = Field(default=31, ge=1, le=92)
    # how long after its acceptance (or the requested execution date, if later) the bank can
    # first have booked a run: a payment run's first fallback poll waits that long
    # (workflows/payment_run.py; the simulated bank settles BANK_SETTLE_HOURS, 24, after);
    # never negative: a poll before the acceptance would ask for what cannot be booked yet
    bank_booking_hours: float = Field(default=24.0, ge=0)
    fund_account_name: str = "失业保险基金支出户"
    fund_account_number: str = "0000000000000000001"
    fund_bank_code: str = "102100099996"
    # workflow payloads' AES-GCM keys, id:base64 pairs, current first (core/payload_keys.py)
    payload_keys: str = DEV_PAYLOAD_KEYS
    # the Temporal Web UI's origin(s), comma separated: let through CORS to the codec endpoint
    temporal_ui_origin: str = ""
    # the medical-insurance agency (simulated: python -m medagency) and its answers' signatures
    medagency_url: str = "http://127.0.0.1:8910"
    medagency_webhook_secret: str = "dev-only-medagency-webhook-secret"
    # the fault suite's cap on the workflows' activity timeouts, seconds (core/activity_timeouts):
    # a killed worker's activity retried within seconds; 0 = the workflows' own (production)
    activity_timeout_cap_seconds: float = 0.0
    # the worker runs workflow code in Temporal's sandbox (a fresh import of the workflow
    # modules per run, calls that break determinism refused). Off only for the simulated
    # clock's demo stack (scripts/run_stack.py), where it costs ~13% of an advance's time: the
    # same code runs sandboxed in every test and on the real clock; refused in production
    workflow_sandbox: bool = True

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.app_env == "production":
            if self.secret_key == DEV_SECRET:
                raise ValueError("SECRET_KEY must be set outside development")
            if self.case_id_key == DEV_CASE_ID_KEY:
                raise ValueError("CASE_ID_KEY must be set outside development")
            if self.bank_webhook_secret.startswith("dev-only"):
                raise ValueError("BANK_WEBHOOK_SECRET must be set outside development")
            if self.medagency_webhook_secret.startswith("dev-only"):
                raise ValueError("MEDAGENCY_WEBHOOK_SECRET must be set outside development")
            if not self.bank_url.lower().startswith("https://") and not self.bank_plain_http_ok:
                raise ValueError(
                    f"BANK_URL must be https:// in production (got {self.bank_url!r}): payment"
                    " files and the bank's statuses never travel in clear text"
                )
            if self.activity_timeout_cap_seconds:
                raise ValueError("ACTIVITY_TIMEOUT_CAP_SECONDS is for the fault suite only")
            if not self.workflow_sandbox:
                raise ValueError("WORKFLOW_SANDBOX=false is for the simulated clock only")
            if self.clock == "simulated":
                raise ValueError("CLOCK=simulated is for development and training only")
            for name in ("secret_key", "case_id_key", "bank_webhook_secret"):
                if len(getattr(self, name).encode()) < MIN_SECRET_BYTES:
                    raise ValueError(
                        f"{name.upper()} must be at least {MIN_SECRET_BYTES} random bytes in"
                        " production (e.g. openssl rand -base64 32)"
                    )
            if len(self.medagency_webhook_secret.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"MEDAGENCY_WEBHOOK_SECRET must be at least {MIN_SECRET_BYTES} random bytes"
                )
        return self

    @model_validator(mode="after")
    def _check_payload_keys(self) -> Settings:
        """A malformed key stops start-up in any environment; the published development key
        (current or previous) is refused in production."""
        keys = parse_payload_keys(self.payload_keys)
        if self.app_env == "production":
            dev = {k.secret for k in parse_payload_keys(DEV_PAYLOAD_KEYS)}
            if any(k.secret in dev for k in keys):
                raise ValueError("PAYLOAD_KEYS must be set outside development")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'ui.db'}"

    @property
    def effective_migration_database_url(self) -> str:
        """Migrations (and db.app_role) run as the owner: MIGRATION_DATABASE_URL, else the
        app's own DATABASE_URL (SQLite, or one PostgreSQL user for everything)."""
        return self.migration_database_url or self.effective_database_url

    @property
    def temporal_ui_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.temporal_ui_origin.split(",") if o.strip()]

    @property
    def demo_users_allowed(self) -> bool:
        return self.app_env != "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # APP_ENV (required) from the environment
