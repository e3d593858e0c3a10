"""Settings from the environment: SPECREG_DATABASE_URL, SPECREG_REPO or SPECREG_REMOTE, SPECREG_INSTANCE..."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLONE = "spec-clone"  # with SPECREG_REMOTE: Specreg's own clone of the remote, in the instance folder


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
    remote: str | None = None  # the spec repo's git URL; `repo` is then Specreg's own clone (instance/spec-clone)
    webhook_secret: str | None = None  # authenticates POST /hooks/push; None: the endpoint is off (503)


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
    remote = _remote(env.get("SPECREG_REMOTE") or "", env.get("SPECREG_REPO") or "")
    repo = instance / CLONE if remote else Path(env.get("SPECREG_REPO") or instance / "spec-demo").expanduser()
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
        remote=remote,
        webhook_secret=_webhook_secret(env.get("SPECREG_WEBHOOK_SECRET") or ""),
    )


_REMOTE_SCHEMES = ("file://", "http://", "https://", "ssh://", "git://")


def _remote(url: str, repo: str) -> str | None:
    """SPECREG_REMOTE checked: a URL git fetches from (file, http(s), ssh, git or scp-like user@host:path)."""
    from registry.errors import ConfigError

    url = url.strip()
    if not url:
        return None
    if repo:
        # Two sources of truth for one spec: with a remote, Specreg reads and writes only its own clone.
        raise ConfigError(f"set SPECREG_REMOTE or SPECREG_REPO, not both: with a remote, Specreg keeps its own "
                          f"clone in the instance folder ({CLONE}) and never writes into another checkout")
    scp_like = "://" not in url and ":" in url and "::" not in url and not url.startswith(("/", "."))
    # A leading dash would be read as an option, `ext::` runs a command, a control character splits a line.
    if url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url) or \
            not (url.startswith(_REMOTE_SCHEMES) or scp_like):
        raise ConfigError("SPECREG_REMOTE must be a git URL: file://, http://, https://, ssh://, git:// "
                          "or user@host:path")
    return url


MIN_WEBHOOK_SECRET = 16


def _webhook_secret(value: str) -> str | None:
    """SPECREG_WEBHOOK_SECRET checked: None when unset; a short one is refused, since GitLab sends the secret as it
    is (X-Gitlab-Token) and anyone may try one guess after another at POST /hooks/push."""
    from registry.errors import ConfigError

    if not value:
        return None
    if len(value) < MIN_WEBHOOK_SECRET:
        raise ConfigError(f"SPECREG_WEBHOOK_SECRET must be at least {MIN_WEBHOOK_SECRET} characters (it has "
                          f"{len(value)}): make one with python3 -c 'import secrets; print(secrets.token_hex(32))'")
    return value


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
