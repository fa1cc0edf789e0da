"""Settings read from the environment, in one place: no other module of the package reads
``os.environ`` (the README's settings table lists every variable; tests/test_settings.py holds
the two equal). The API serves the editor's part at ``/api/v1/config``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from exc


PERFORMANCE_MODES = ("auto", "beauty", "balanced", "high-performance", "enterprise")


@dataclass(frozen=True)
class EditorSettings:
    """What the editor needs to pick its rendering mode; served at ``/api/v1/config``."""

    max_animated_nodes: int = 1000
    virtualization_threshold: int = 5000
    enterprise_threshold: int = 10000
    performance_mode: str = "auto"
    max_viewport_nodes: int = 100
    animation_frame_rate: int = 30

    def to_dict(self) -> dict[str, object]:
        return {
            "RINGFLOW_MAX_ANIMATED_NODES": self.max_animated_nodes,
            "RINGFLOW_VIRTUALIZATION_THRESHOLD": self.virtualization_threshold,
            "RINGFLOW_ENTERPRISE_THRESHOLD": self.enterprise_threshold,
            "RINGFLOW_PERFORMANCE_MODE": self.performance_mode,
            "RINGFLOW_MAX_VIEWPORT_NODES": self.max_viewport_nodes,
            "RINGFLOW_ANIMATION_FRAME_RATE": self.animation_frame_rate,
        }


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///ringflow.db"
    redis_url: str | None = None
    admin_token: str | None = None
    secret_key: str | None = None
    max_body_bytes: int = 64 * 1024 * 1024
    allow_private_http: bool = False
    rate_limit_per_minute: int = 12_000  # API requests per key per minute; 0 turns the limit off
    stream_max_seconds: int = 300  # an event stream ends after this and the browser resumes it (re-checks the key)
    auth_failures_per_minute: int = 60  # failed authentications per client address; then 429 (0: no limit)
    max_header_bytes: int = 16 * 1024  # request line + headers; more is 431 (ringflow/api/httpserver.py)
    header_timeout_seconds: int = 10  # a request head must arrive within this; slower is 408
    provider_api_url: str = "https://api.twilio.com"  # the provider's REST API (Calls, Messages); tests point it at their own
    # Redis key prefix; when not given, the environment's (so tests that build Settings by hand stay apart)
    redis_prefix: str = field(default_factory=lambda: redis_prefix())
    redis_wait_replicas: int = 0  # answer a webhook once this many replicas hold the call's new state (0: off)
    redis_wait_ms: int = 100  # how long that WAIT may take
    editor: EditorSettings = field(default_factory=EditorSettings)


def redis_prefix() -> str:
    """RINGFLOW_REDIS_PREFIX: lets several deployments (or tests) share one Redis."""
    return os.environ.get("RINGFLOW_REDIS_PREFIX", "rf")


def redis_wait() -> tuple[int, int]:
    """RINGFLOW_REDIS_WAIT_REPLICAS (default 0: off) and RINGFLOW_REDIS_WAIT_MS (default 100): answer a
    webhook only once that many replicas hold the call's new state (Redis WAIT), or the time is up."""
    replicas, ms = _int("RINGFLOW_REDIS_WAIT_REPLICAS", 0), _int("RINGFLOW_REDIS_WAIT_MS", 100)
    if replicas < 0 or ms < 1:
        raise SystemExit("RINGFLOW_REDIS_WAIT_REPLICAS must be >= 0 and RINGFLOW_REDIS_WAIT_MS >= 1")
    return replicas, ms


def load_settings() -> Settings:
    """Read every RINGFLOW_* variable once; bad values stop start-up with a clear message."""
    env = os.environ
    mode = env.get("RINGFLOW_PERFORMANCE_MODE", "auto").strip() or "auto"
    if mode not in PERFORMANCE_MODES:
        raise SystemExit(f"RINGFLOW_PERFORMANCE_MODE must be one of {', '.join(PERFORMANCE_MODES)}, not {mode!r}")
    if _int("RINGFLOW_MAX_HEADER_BYTES", 16 * 1024) < 1024 or _int("RINGFLOW_HEADER_TIMEOUT_SECONDS", 10) < 1:
        raise SystemExit("RINGFLOW_MAX_HEADER_BYTES must be at least 1024 and RINGFLOW_HEADER_TIMEOUT_SECONDS at least 1")
    wait_replicas, wait_ms = redis_wait()  # a bad value stops start-up, not the first webhook
    if _int("RINGFLOW_STREAM_MAX_SECONDS", 300) < 1:
        raise SystemExit("RINGFLOW_STREAM_MAX_SECONDS must be at least 1 (seconds an event stream lasts before it resumes)")
    editor = EditorSettings(
        max_animated_nodes=_int("RINGFLOW_MAX_ANIMATED_NODES", 1000),
        virtualization_threshold=_int("RINGFLOW_VIRTUALIZATION_THRESHOLD", 5000),
        enterprise_threshold=_int("RINGFLOW_ENTERPRISE_THRESHOLD", 10000),
        performance_mode=mode,
        max_viewport_nodes=_int("RINGFLOW_MAX_VIEWPORT_NODES", 100),
        animation_frame_rate=_int("RINGFLOW_ANIMATION_FRAME_RATE", 30),
    )
    return Settings(
        database_url=env.get("RINGFLOW_DATABASE_URL", "sqlite:///ringflow.db"),
        redis_url=env.get("RINGFLOW_REDIS_URL") or None,
        admin_token=env.get("RINGFLOW_ADMIN_TOKEN") or None,
        secret_key=env.get("RINGFLOW_SECRET_KEY") or None,
        max_body_bytes=_int("RINGFLOW_MAX_BODY_BYTES", 64 * 1024 * 1024),
        allow_private_http=env.get("RINGFLOW_ALLOW_PRIVATE_HTTP", "").lower() in ("1", "true", "yes"),
        rate_limit_per_minute=_int("RINGFLOW_RATE_LIMIT", 12_000),
        stream_max_seconds=_int("RINGFLOW_STREAM_MAX_SECONDS", 300),
        auth_failures_per_minute=_int("RINGFLOW_AUTH_FAILURES_PER_MINUTE", 60),
        max_header_bytes=_int("RINGFLOW_MAX_HEADER_BYTES", 16 * 1024),
        header_timeout_seconds=_int("RINGFLOW_HEADER_TIMEOUT_SECONDS", 10),
        provider_api_url=env.get("RINGFLOW_PROVIDER_API_URL", "").strip() or "https://api.twilio.com",
        redis_prefix=redis_prefix(),
        redis_wait_replicas=wait_replicas,
        redis_wait_ms=wait_ms,
        editor=editor,
    )
