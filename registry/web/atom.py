"""Pure: a feed as an Atom 1.0 document (RFC 4287), built with ElementTree so every text is escaped."""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from registry.history.feeds import Feed, FeedEntry

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# Characters XML 1.0 cannot carry even escaped (most C0 controls): a commit message may hold one, and
# one such character would make the whole feed unreadable to every reader.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ET.register_namespace("", ATOM)  # Atom as the default namespace: <feed xmlns=...>, not <ns0:feed>


def _text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def timestamp(moment: datetime) -> str:
    """An RFC 3339 date-time in UTC, as Atom's `updated` wants it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _link(parent: ET.Element, rel: str, href: str, kind: str) -> None:
    _add(parent, "link", rel=rel, type=kind, href=href)


def _entry(feed: ET.Element, e: FeedEntry, base: str) -> None:
    entry = _add(feed, "entry")
    _add(entry, "id", e.id)
    _add(entry, "title", e.title, type="text")
    _add(entry, "updated", timestamp(e.updated))
    _add(_add(entry, "author"), "name", e.author or "unknown")
    _link(entry, "alternate", base + e.link.lstrip("/"), "text/html")
    _add(entry, "summary", e.summary, type="text")


def render(feed: Feed, base: str, self_url: str) -> bytes:
    """The feed as UTF-8 Atom XML; `base` is the site's root URL (ending in /), links in the feed are absolute."""
    root = ET.Element(f"{{{ATOM}}}feed")
    _add(root, "id", feed.id)
    _add(root, "title", feed.title, type="text")
    _add(root, "updated", timestamp(feed.updated))
    _add(_add(root, "author"), "name", "Specreg")
    _link(root, "self", self_url, "application/atom+xml")
    _link(root, "alternate", base + feed.link.lstrip("/"), "text/html")
    _add(root, "generator", "Specreg")
    for e in feed.entries:
        _entry(root, e, base)
    out = io.BytesIO()
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out.getvalue()
