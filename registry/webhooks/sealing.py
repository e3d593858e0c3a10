"""Webhook secrets sealed under a key the database does not hold, so a dump or a backup alone does not reveal them.

Every delivery is signed with its webhook's secret, so the secret must be read back (a hash would not
do). The database keeps it encrypted under keys derived from the audit key (SPECREG_AUDIT_KEY or the
instance folder's audit_key file), which is in neither the database nor a backup archive. The
standard library's primitives only: the key stream is HMAC-SHA256 in counter mode over a random
16-byte nonce, and an HMAC-SHA256 tag under a second derived key covers the webhook's id, the nonce
and the ciphertext (encrypt then MAC). A sealed secret opens only under the same audit key and for
the same webhook: one edited, copied onto another webhook's row, or read under another key is
refused (SecretUnreadable), never used to sign.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from registry.audit.keys import AuditKey
from registry.errors import ConfigError
from registry.models import Webhook

VERSION = "v1"
NONCE, TAG = 16, 32
BLOCK = hashlib.sha256().digest_size


class SecretUnreadable(ConfigError):
    """A sealed webhook secret that does not open under this audit key for this webhook."""

    code = "webhook_secret_unreadable"


def _stream(key: AuditKey, nonce: bytes, length: int) -> bytes:
    stream_key = key.subkey("webhook secret stream")
    blocks = (hmac.new(stream_key, nonce + n.to_bytes(4, "big"), hashlib.sha256).digest()
              for n in range(-(-length // BLOCK)))
    return b"".join(blocks)[:length]


def _tag(key: AuditKey, webhook_id: int, nonce: bytes, sealed: bytes) -> bytes:
    aad = f"{VERSION}:{webhook_id}:".encode()
    return hmac.new(key.subkey("webhook secret tag"), aad + nonce + sealed, hashlib.sha256).digest()


def seal(key: AuditKey, webhook_id: int, secret: str) -> str:
    """The secret encrypted and tagged for this webhook: "v1:" and base64 of nonce, ciphertext and tag."""
    plain, nonce = secret.encode("utf-8"), secrets.token_bytes(NONCE)
    sealed = bytes(a ^ b for a, b in zip(plain, _stream(key, nonce, len(plain))))
    return f"{VERSION}:" + base64.b64encode(nonce + sealed + _tag(key, webhook_id, nonce, sealed)).decode()


def unseal(key: AuditKey, webhook_id: int, text: str) -> str:
    """The secret `seal` sealed for this webhook; SecretUnreadable when it does not open."""
    version, _, packed = text.partition(":")
    try:
        raw = base64.b64decode(packed, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    nonce, sealed, tag = raw[:NONCE], raw[NONCE:-TAG], raw[-TAG:]
    if version != VERSION or len(raw) < NONCE + TAG or not hmac.compare_digest(tag, _tag(key, webhook_id, nonce, sealed)):
        raise SecretUnreadable(f"webhook {webhook_id}'s secret does not open under the audit key ({key.source}): "
                               "it was written under another key or not by Specreg; remove the webhook and add it "
                               "again with its secret (docs/integrations.md)")
    return bytes(a ^ b for a, b in zip(sealed, _stream(key, nonce, len(sealed)))).decode("utf-8")


def set_secret(session: Session, key: AuditKey, row: Webhook, secret: str) -> None:
    """Seal `secret` into the row (flushed first when it has no id yet: the seal names the webhook)."""
    if row.id is None:
        row.sealed_secret = ""
        session.add(row)
        session.flush()
    row.sealed_secret = seal(key, row.id, secret)
    session.flush()
