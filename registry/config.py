"""Settings from the environment: SPECREG_DATABASE_URL, SPECREG_REPO, SPECREG_INSTANCE, SPECREG_AUTH..."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Where the database and the spec repo are."""

    database_url: str
    repo: Path
    instance: Path
    branch: str | None = None  # None: the branch the database tracks, else the spec repo's checked-out one
    auth: str = "local"  # local (accounts with passwords) or header (a trusted reverse proxy's SSO header)
    auth_header: str = "X-Remote-User"
    secret_key: str | None = None  # signs session cookies; None: a random key kept in the instance folder
    secure_cookies: bool = False  # send the session cookie over HTTPS only (off for the local http demo)
    proxy_hops: int = 0  # reverse proxies in front whose X-Forwarded-For names the client (0: none trusted)
    audit_key: str | None = None  # MACs the audit events; None: a random key kept in the instance folder


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment, with embedded defaults under the instance folder."""
    env = os.environ if env is None else env
    instance = Path(env.get("SPECREG_INSTANCE") or PROJECT_ROOT / "instance").resolve()
    url = env.get("SPECREG_DATABASE_URL") or f"sqlite:///{instance / 'specreg.db'}"
    repo = Path(env.get("SPECREG_REPO") or instance / "spec-demo").expanduser()
    return Settings(
        database_url=normalize_database_url(url),
        repo=repo,
        instance=instance,
        branch=env.get("SPECREG_BRANCH") or None,
        auth=_auth_mode(env.get("SPECREG_AUTH") or "local"),
        auth_header=env.get("SPECREG_AUTH_HEADER") or "X-Remote-User",
        secret_key=env.get("SPECREG_SECRET_KEY") or None,
        secure_cookies=_flag("SPECREG_SECURE_COOKIES", env.get("SPECREG_SECURE_COOKIES") or "0"),
        proxy_hops=_count("SPECREG_PROXY_HOPS", env.get("SPECREG_PROXY_HOPS") or "0"),
        audit_key=env.get("SPECREG_AUDIT_KEY") or None,
    )


def _flag(name: str, value: str) -> bool:
    from registry.errors import ConfigError

    if value.strip().lower() not in ("0", "1", "true", "false"):
        raise ConfigError(f"{name} must be 1 or 0, not {value!r}")
    return value.strip().lower() in ("1", "true")


def _count(name: str, value: str) -> int:
    from registry.errors import ConfigError

    if not value.strip().isdigit() or int(value) > 10:
        raise ConfigError(f"{name} must be a whole number from 0 to 10, not {value!r}")
    return int(value)


def _auth_mode(value: str) -> str:
    from registry.errors import ConfigError

    if value not in ("local", "header"):
        raise ConfigError(f"SPECREG_AUTH must be local or header, not {value!r}")
    return value
