"""Git bundles written byte by byte, for what `git bundle create` never writes: a delta that makes a huge blob."""
from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

BASE = 1 << 16  # the base blob: 64 KiB of zeros, the most one copy instruction copies


def _entry(kind: int, size: int) -> bytes:
    """A pack entry's header: the type and the inflated size, 4 bits then 7 a byte."""
    out, byte, size = bytearray(), (kind << 4) | (size & 0x0F), size >> 4
    while size:
        out.append(byte | 0x80)
        byte, size = size & 0x7F, size >> 7
    out.append(byte)
    return bytes(out)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _offset(n: int) -> bytes:
    """An OFS_DELTA's distance back to its base, in git's offset encoding."""
    out = bytearray([n & 0x7F])
    n >>= 7
    while n:
        n -= 1
        out.insert(0, 0x80 | (n & 0x7F))
        n >>= 7
    return bytes(out)


def _oid(kind: str, size: int, *parts: bytes, repeat: int = 1) -> bytes:
    h = hashlib.sha1(f"{kind} {size}\0".encode())
    for _ in range(repeat):
        for part in parts:
            h.update(part)
    return h.digest()


def delta_bomb(out: Path, makes: int, count: int | None = None, cut: int = 0) -> str:
    """A bundle whose branch main holds one file `big` of `makes` zero bytes (a multiple of 64 KiB), stored as a
    delta of a few bytes against a 64 KiB blob. `count` overrides the pack header's object count, `cut` drops that
    many bytes from the end. Returns main's commit id."""
    assert makes % BASE == 0
    delta = _varint(BASE) + _varint(makes) + bytes([0x80]) * (makes // BASE)  # copy the whole base, again and again
    blob = _oid("blob", makes, bytes(BASE), repeat=makes // BASE)
    tree = b"100644 big\0" + blob
    commit = f"tree {_oid('tree', len(tree), tree).hex()}\nauthor A <a@example.org> 0 +0000\n" \
             "committer A <a@example.org> 0 +0000\n\nbig\n".encode()
    body = bytearray(_entry(1, len(commit)) + zlib.compress(commit) + _entry(2, len(tree)) + zlib.compress(tree))
    base_at = len(body)
    body += _entry(3, BASE) + zlib.compress(bytes(BASE))
    body += _entry(6, len(delta)) + _offset(len(body) - base_at) + zlib.compress(delta, 9)
    pack = b"PACK" + struct.pack(">II", 2, 4 if count is None else count) + bytes(body)
    pack += hashlib.sha1(pack).digest()
    commit_id = _oid("commit", len(commit), commit).hex()
    data = f"# v2 git bundle\n{commit_id} refs/heads/main\n\n".encode() + pack
    out.write_bytes(data[:len(data) - cut])
    return commit_id
