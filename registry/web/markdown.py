"""Render clause Markdown to safe HTML: markdown-it-py with raw HTML off, then nh3.

Links survive only as http/https/mailto, in-page anchors, or links to other clauses' pages.
Images load only from this site: an image on another host becomes a link to it, because a reader's
browser fetching it would tell that host who reads the clause and when (the CSP's img-src says the same).
Footnote citations `[^name]` become links to evaluation prompts; their definition lines
(`[^name]: examples/name.md`) are dropped, because the page lists the prompts itself.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererProtocol
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

UrlFor = Callable[[str], str | None]  # a clause id or prompt name -> URL, None when unknown
SCHEMES = frozenset({"http", "https", "mailto"})
TAGS = frozenset({
    "a", "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "th", "td", "img", "sup", "h1", "h2", "h3", "h4", "h5", "h6",
})
ATTRIBUTES = {"a": {"href", "title", "rel", "class"}, "img": {"src", "alt", "title"},
              "ol": {"start"}, "th": {"style"}, "td": {"style"}, "sup": {"class"}, "code": {"class"}}
_FOOTNOTE_DEF = re.compile(r"\[\^[^\]\s]+\]:")
_FOOTNOTE_REF = re.compile(r"\[\^([A-Za-z0-9_][A-Za-z0-9_.\-]*)\]")


def _footnote_definition(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Swallow a `[^name]: ...` line and its indented continuation lines."""
    pos = state.bMarks[start] + state.tShift[start]
    if state.sCount[start] - state.blkIndent >= 4 or not _FOOTNOTE_DEF.match(state.src, pos):
        return False
    if silent:
        return True
    line = start + 1
    while line < end and (state.isEmpty(line) is False and state.sCount[line] - state.blkIndent >= 4):
        line += 1
    state.line = line
    return True


def _footnote_reference(state: StateInline, silent: bool) -> bool:
    """`[^name]` becomes a footnote_ref token."""
    m = _FOOTNOTE_REF.match(state.src, state.pos)
    if not m:
        return False
    if not silent:
        state.push("footnote_ref", "", 0).meta = {"name": m.group(1)}
    state.pos = m.end()
    return True


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.block.ruler.before("reference", "footnote_definition", _footnote_definition,
                          {"alt": ["paragraph", "reference"]})
    md.inline.ruler.before("link", "footnote_reference", _footnote_reference)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    return md


def _render_footnote_ref(self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict,
                         env: EnvType) -> str:
    name = tokens[idx].meta["name"]
    url = env["prompt_url"](name)
    label = escape(f"[{name}]")
    if url is None:
        return f'<sup class="fnref missing">{label}</sup>'
    return f'<sup class="fnref"><a href="{escape(url)}" title="Evaluation prompt {escape(name)}">{label}</a></sup>'


def safe_href(href: str, clause_url: UrlFor) -> str | None:
    """Where a Markdown link may point: another clause's page, an anchor, or http/https/mailto."""
    href = href.strip()
    if href.startswith("#"):
        return clause_url(href[1:]) or href
    parts = urlsplit(href)
    if parts.scheme.lower() in SCHEMES and (parts.netloc or parts.scheme.lower() == "mailto"):
        return href
    return None


def same_site(src: str) -> bool:
    """A URL on this site: a path with no scheme and no host (never `//host` or a backslash trick)."""
    src = src.strip()
    parts = urlsplit(src)
    return bool(src) and not parts.scheme and not parts.netloc and not src.startswith("//") and "\\" not in src


def _image_as_link(image: Token) -> list[Token]:
    """A remote image as a link to it, labelled with its alt text: the reader chooses to load it."""
    src = str(image.attrGet("src") or "").strip()
    link = Token("link_open", "a", 1, attrs={"href": src, "rel": "nofollow noopener noreferrer",
                                             "class": "remote-image"})
    label = Token("text", "", 0, content=f"image: {image.content or src}")
    return [link, label, Token("link_close", "a", -1)]


def _images_local(children: list[Token]) -> list[Token]:
    """Inline tokens with each image kept (same site), made a link (http/https), or left without a source."""
    out: list[Token] = []
    in_link = 0
    for token in children:
        in_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
        src = str(token.attrGet("src") or "") if token.type == "image" else ""
        if token.type != "image" or same_site(src):
            out.append(token)
        elif safe_href(src, lambda _: None) is not None and not src.strip().lower().startswith("mailto"):
            # Inside a link the image's label stands alone (a link cannot hold another link).
            out.extend(_image_as_link(token)[1:2] if in_link else _image_as_link(token))
        else:
            token.attrs.pop("src", None)
            out.append(token)
    return out


def _rewrite_links(tokens: Sequence[Token], clause_url: UrlFor) -> None:
    for token in tokens:
        if token.children:
            token.children = _images_local(token.children)
            _rewrite_links(token.children, clause_url)
        if token.type == "link_open":
            href = safe_href(str(token.attrGet("href") or ""), clause_url)
            if href is None:
                token.attrs.pop("href", None)
            else:
                token.attrSet("href", href)
                if not href.startswith(("/", "#")):
                    token.attrSet("rel", "nofollow noopener noreferrer")


def render_markdown(text: str, clause_url: UrlFor = lambda _: None, prompt_url: UrlFor = lambda _: None) -> Markup:
    """Markdown to sanitized HTML; `clause_url` turns `#id` links into clause links when it knows the id."""
    md = _parser()
    env = {"prompt_url": prompt_url}
    tokens = md.parse(text, env)
    _rewrite_links(tokens, clause_url)
    html = md.renderer.render(tokens, md.options, env)
    return Markup(nh3.clean(html, tags=set(TAGS), attributes=ATTRIBUTES, url_schemes=set(SCHEMES),
                            link_rel=None, strip_comments=True, filter_style_properties={"text-align"}))
