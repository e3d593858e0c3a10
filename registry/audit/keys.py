"""The audit key: the secret, kept outside the database, that MACs every audit event from the key epoch on.

Whoever can write the database can recompute a plain hash chain; without this key they cannot
recompute the MACs. The key comes from `SPECREG_AUDIT_KEY`, else from the file `audit_key` in the
instance folder, created on first use with a random key, owner-only (0600), atomically: a second
process starting at the same moment reads the same key, never a half-written file.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from registry.config import load_settings
from registry.errors import ConfigError

KEY_FILE = "audit_key"
MIN_LENGTH = 32  # characters of SPECREG_AUDIT_KEY or of the key file


@dataclass(frozen=True)
class AuditKey:
    """The secret and where it came from (named in messages, never the secret itself)."""

    secret: bytes
    source: str

    def mac(self, seq: int, digest: str) -> str:
        """HMAC-SHA256 over an event's seq and hash (the hash already covers its content and the chain before it)."""
        return hmac.new(self.secret, f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()

    def fingerprint(self) -> str:
        """Names this key without revealing it: an HMAC under the key of a fixed label (backups record it)."""
        return hmac.new(self.secret, b"specreg audit key fingerprint", hashlib.sha256).hexdigest()[:32]

    def manifest_mac(self, manifest: bytes) -> str:
        """HMAC-SHA256 of a backup's manifest.json bytes (its label keeps it apart from the events' MACs)."""
        return hmac.new(self.secret, b"specreg backup manifest\n" + manifest, hashlib.sha256).hexdigest()

    def subkey(self, purpose: str) -> bytes:
        """A key of its own for another use (sealing webhook secrets), derived under a label that names the use."""
        return hmac.new(self.secret, f"specreg subkey\n{purpose}".encode(), hashlib.sha256).digest()

    def matches(self, seq: int, digest: str, mac: str) -> bool:
        """True when `mac` is this key's MAC of the event (compared in constant time)."""
        return hmac.compare_digest(self.mac(seq, digest), mac)


def _checked(secret: str, source: str) -> AuditKey:
    if len(secret.strip()) < MIN_LENGTH:
        raise ConfigError(f"the audit key in {source} is shorter than {MIN_LENGTH} characters")
    return AuditKey(secret.strip().encode(), source)


def _read(path: Path) -> AuditKey:
    mode = path.stat().st_mode
    if mode & 0o077:
        raise ConfigError(f"the audit key file {path} is readable by others (mode {mode & 0o777:o}); "
                          f"make it owner-only: chmod 600 {path}")
    return _checked(path.read_text(), str(path))


def _create(path: Path) -> None:
    """Write a new random key to `path` unless one exists: complete and 0600 before it has the name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temp, path)  # fails when another process made the key first: theirs stands
        except FileExistsError:
            pass
    finally:
        temp.unlink(missing_ok=True)


_loaded: dict[tuple[str | None, str], AuditKey] = {}


def load_key(configured: str | None, instance: Path, create: bool = True) -> AuditKey | None:
    """The configured key, else the instance folder's key file (made when missing and `create`); None when neither."""
    if configured:
        return _checked(configured, "SPECREG_AUDIT_KEY")
    path = instance / KEY_FILE
    cached = _loaded.get((configured, str(path)))
    if cached is not None:
        return cached
    try:
        if not path.exists():
            if not create:
                return None
            _create(path)
        key = _read(path)
    except OSError as exc:  # an unwritable instance folder, or a key file this user may not read
        raise ConfigError(f"cannot use the audit key file {path}: {exc.strerror or exc}; set SPECREG_AUDIT_KEY "
                          "or give this user the file") from exc
    _loaded[(configured, str(path))] = key
    return key


def current_key(create: bool = True) -> AuditKey | None:
    """The key the settings name (SPECREG_AUDIT_KEY, else the instance folder's file; see `load_key`)."""
    settings = load_settings()
    return load_key(settings.audit_key, settings.instance, create)
