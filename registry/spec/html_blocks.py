"""CommonMark HTML blocks: which of the seven kinds a line starts, and which line ends it.

Pure. Kinds 1-5 end on the line that contains their end marker (possibly the start line itself),
kinds 6 and 7 at the next blank line; kind 7 cannot interrupt a paragraph. See "HTML blocks" in
the CommonMark spec (0.31.2).
"""
from __future__ import annotations

import re

# Kind 6: the block-level tag names, as the spec lists them.
_BLOCK_NAMES = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|"
    "dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h1|h2|h3|h4|h5|h6|"
    "head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|"
    "p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul"
)
_RAW_NAMES = "pre|script|style|textarea"  # kind 1: their content may hold blank lines
_FLAGS = re.IGNORECASE | re.ASCII  # tag names are ASCII: no Unicode case folding (the Kelvin sign is not k)

_KIND1 = re.compile(rf"<(?:{_RAW_NAMES})(?:[ \t>]|$)", _FLAGS)
_KIND1_END = re.compile(rf"</(?:{_RAW_NAMES})>", _FLAGS)
_KIND6 = re.compile(rf"</?(?:{_BLOCK_NAMES})(?:[ \t>]|/>|$)", _FLAGS)
# Kind 7: one complete open or closing tag, then only spaces or tabs to the end of the line.
_ATTRIBUTE = r"""[ \t]+[A-Za-z_:][A-Za-z0-9_.:-]*(?:[ \t]*=[ \t]*(?:[^ \t"'=<>`]+|'[^']*'|"[^"]*"))?"""
_KIND7 = re.compile(rf"(?:<[A-Za-z][A-Za-z0-9-]*(?:{_ATTRIBUTE})*[ \t]*/?>|</[A-Za-z][A-Za-z0-9-]*[ \t]*>)[ \t]*$",
                    re.ASCII)

# Kinds 2-5: the end marker each one's block runs to.
_END_MARKERS = {2: "-->", 3: "?>", 4: ">", 5: "]]>"}


def start_kind(text: str) -> int:
    """The kind (1-7) of HTML block a line starts, its indentation (at most 3 spaces) removed; 0: none."""
    if text[:1] != "<":
        return 0
    second = text[1:2]
    if second == "!":
        if text.startswith("<!--"):
            return 2
        if text.startswith("<![CDATA["):
            return 5
        return 4 if text[2:3].isascii() and text[2:3].isalpha() else 0
    if second == "?":
        return 3
    if _KIND1.match(text):
        return 1
    if _KIND6.match(text):
        return 6
    # The spec names no kind 7 for pre, script, style and textarea tags, but its reference
    # implementations (cmark, commonmark.js) and markdown-it-py do: `</script>` alone starts one.
    return 7 if _KIND7.match(text) else 0


def ends_on(kind: int, text: str) -> bool:
    """True when a line holds the end marker of a kind 1-5 block (kinds 6 and 7 end at a blank line)."""
    if kind == 1:
        return _KIND1_END.search(text) is not None
    return _END_MARKERS[kind] in text
