"""A bundle's objects and the size each one inflates to, read from its pack without running git.

`git fetch` from a bundle runs `index-pack`, which inflates every object in memory to hash it, a
delta to the whole object it makes. A delta is a list of copy instructions of a few bytes each, and
zlib squeezes a repeated instruction a thousandfold: a bundle of 361 bytes made index-pack hold
300 MB (and a checkout write a 300 MB file). So a restore reads the pack's entries first and
judges their sizes before git sees the bundle. Every entry is inflated here, piece by piece and
never whole, because a pack does not record where an entry ends; an entry that inflates to more
than its header says is refused, as index-pack would. The pack header's object count is checked
against the entries actually there, so a count alone cannot make git allocate for billions.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from registry.errors import SourceError

_SIGNATURES = (b"# v2 git bundle\n", b"# v3 git bundle\n")
_KINDS = {1: "commit", 2: "tree", 3: "blob", 4: "tag", 6: "delta", 7: "delta"}
_OFS_DELTA, _REF_DELTA = 6, 7
_READ = 1 << 20  # bytes read from the file at a time
_FEED = 1 << 16  # compressed bytes given to zlib at a time (it copies what it leaves unconsumed)
_PIECE = 1 << 20  # the most zlib returns at a time
_DELTA_HEAD = 20  # a delta starts with two sizes of at most 10 bytes each
_LINE = 64 << 10  # the longest header line a bundle of ours has is one ref: far under this


@dataclass(frozen=True)
class PackedObject:
    """One entry of a bundle's pack: its kind (`delta` when it is made from another) and the most
    bytes git holds for it (a whole object's size; a delta's own size or the object it makes, the larger)."""

    kind: str
    size: int


class _Source:
    """The bundle's bytes from the current position on, read a chunk at a time."""

    def __init__(self, fh: BinaryIO, name: Path) -> None:
        self.fh, self.name, self.buf, self.pos = fh, name, b"", 0

    def more(self) -> bool:
        chunk = self.fh.read(_READ)
        if chunk:
            self.buf, self.pos = self.buf[self.pos:] + chunk, 0
        return bool(chunk)

    def cut(self) -> SourceError:
        return SourceError(f"the bundle {self.name} is cut short or not a git bundle")

    def take(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n:
            if not self.more():
                raise self.cut()
        self.pos += n
        return self.buf[self.pos - n:self.pos]

    def line(self) -> bytes:
        while (end := self.buf.find(b"\n", self.pos)) < 0:
            if len(self.buf) - self.pos > _LINE or not self.more():
                raise self.cut()
        out, self.pos = self.buf[self.pos:end + 1], end + 1
        return out

    def inflate(self, size: int) -> Iterator[bytes]:
        """The zlib stream here in pieces, leaving the position past it; SourceError unless it makes `size` bytes."""
        stream, made, full = zlib.decompressobj(), 0, False
        while not stream.eof:
            if self.pos == len(self.buf) and not full and not self.more():
                raise self.cut()
            feed = memoryview(self.buf)[self.pos:self.pos + _FEED]
            try:
                piece = stream.decompress(feed, _PIECE)
            except zlib.error as exc:
                raise SourceError(f"the bundle {self.name} holds a damaged object ({exc})") from exc
            self.pos += len(feed) - len(stream.unused_data if stream.eof else stream.unconsumed_tail)
            made, full = made + len(piece), len(piece) == _PIECE
            if made > size:
                raise SourceError(f"the bundle {self.name} holds an object that inflates past the {size} bytes "
                                  "its header says")
            if piece:
                yield piece
        if made != size:
            raise SourceError(f"the bundle {self.name} holds an object of {made} bytes whose header says {size}")


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """A delta header's size (7 bits a byte, least significant first) at `at`; it and the position after it."""
    value = shift = 0
    while at < len(data):
        byte, at = data[at], at + 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at
    raise ValueError("a delta's header is cut short")


def _entry_header(src: _Source) -> tuple[int, int]:
    """The entry's type code and its size as the header says (the inflated size of what follows)."""
    byte = src.take(1)[0]
    kind, size, shift = (byte >> 4) & 7, byte & 0x0F, 4
    while byte & 0x80:
        if shift > 63:
            raise src.cut()
        byte = src.take(1)[0]
        size |= (byte & 0x7F) << shift
        shift += 7
    if kind not in _KINDS:
        raise SourceError(f"the bundle {src.name} holds an object of unknown type {kind}")
    return kind, size


def _skip_base(src: _Source, kind: int, hash_size: int) -> None:
    if kind == _REF_DELTA:
        src.take(hash_size)
    elif kind == _OFS_DELTA:
        for _ in range(10):
            if not src.take(1)[0] & 0x80:
                return
        raise src.cut()


def _pack_start(src: _Source) -> int:
    """Read the bundle's header (signature, capabilities, prerequisites, refs); the object ids' length."""
    if src.line() not in _SIGNATURES:
        raise SourceError(f"{src.name} is not a git bundle (v2 or v3)")
    hash_size = 20
    while (line := src.line()) != b"\n":
        if line.startswith(b"@object-format="):
            hash_size = 32 if line.strip() == b"@object-format=sha256" else 20
    return hash_size


def bundle_objects(bundle: Path) -> Iterator[PackedObject]:
    """Each object of the bundle's pack, in pack order, told before the rest of it is inflated.

    A whole object is told from its header alone; a delta once its first bytes (the size of the
    object it makes) are inflated. A consumer that stops iterating stops the reading there.
    """
    with bundle.open("rb") as fh:
        src = _Source(fh, bundle)
        hash_size = _pack_start(src)
        magic, version, count = struct.unpack(">4sII", src.take(12))
        if magic != b"PACK" or version not in (2, 3):
            raise SourceError(f"the bundle {bundle} holds no git pack (version 2 or 3)")
        for _ in range(count):
            kind, size = _entry_header(src)
            _skip_base(src, kind, hash_size)
            pieces = src.inflate(size)
            if kind in (_OFS_DELTA, _REF_DELTA):
                head = b""
                while len(head) < _DELTA_HEAD and (piece := next(pieces, None)) is not None:
                    head += piece[:_DELTA_HEAD]
                try:
                    makes = _varint(head, _varint(head, 0)[1])[0]
                except ValueError as exc:
                    raise SourceError(f"the bundle {bundle} holds a damaged delta ({exc})") from exc
                yield PackedObject("delta", max(size, makes))
            else:
                yield PackedObject(_KINDS[kind], size)
            for _ in pieces:  # inflated to find where the next entry starts; not kept
                pass
        src.take(hash_size)  # the pack's checksum, which index-pack checks
        if src.pos < len(src.buf) or src.more():
            raise SourceError(f"the bundle {bundle} has bytes after its pack")
