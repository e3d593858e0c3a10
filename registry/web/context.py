"""What every page shares: the as-of point, links that keep it, former-id redirects, filters."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, redirect, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from registry import limits
from registry.db import get_session
from registry.errors import SpecregError
from registry.history.asof import AsOf, as_of
from registry.history.clause_detail import current_id
from registry.history.prompts import Prompt
from registry.history.releases import Release, list_releases
from registry.ledger.refs import iso
from registry.web.bodies import run_first_check
from registry.web.history.chart import bar_chart
from registry.web.links import clause_href, commit_href
from registry.web.markdown import render_markdown

AS_OF_BLUEPRINTS = ("pages", "clauses", "owners")


def current_as_of() -> AsOf:
    """The request's as-of point (`?at=REF`, default the head), resolved once per request."""
    if "as_of" not in g:
        g.as_of = as_of(get_session(), request.args.get("at"))
        g.at = None if g.as_of.is_head else request.args.get("at", "").strip()
    return g.as_of


def redirect_former_id() -> Response | None:
    """Send a request for a former clause id to the same page under the clause's current id."""
    key = (request.view_args or {}).get("id")
    if key is None or request.endpoint is None:
        return None
    current = current_id(get_session(), key)
    if current == key:
        return None
    args = request.args.to_dict(flat=True)
    return redirect(url_for(request.endpoint, **{**(request.view_args or {}), **args, "id": current}))


def _keep_at(endpoint: str, values: dict[str, Any]) -> None:
    """Links from an as-of page stay in that as-of view unless they set `at` themselves."""
    if "at" not in values and g.get("at") and endpoint.split(".", 1)[0] in AS_OF_BLUEPRINTS:
        values["at"] = g.at


def markdown_filter(text: str, links: dict[str, str] | None = None, prompts: Iterable[Prompt] = ()) -> Markup:
    """Render clause Markdown; `links` maps anchors to clause ids, `prompts` says which exist."""
    links = links or {}
    existing = {p.name for p in prompts if p.exists}
    return render_markdown(
        text,
        clause_url=lambda k: clause_href(links[k]) if k in links else None,
        prompt_url=lambda n: url_for("pages.prompt", name=n) if n in existing else None,
    )


def when(moment: datetime | str | None) -> Markup:
    """The one timestamp format of every page: a <time> element, `2024-06-30 14:05 UTC`, ISO in the attribute.

    Takes a datetime (naive ones are UTC, as the database stores them) or an ISO 8601 string (read
    models that carry JSON's form).
    """
    if not moment:
        return Markup("")
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    # Digits and fixed punctuation only, nothing to escape: Markup.format cost a tenth of a long history's page.
    return Markup(f'<time datetime="{iso(utc)}">{utc.strftime("%Y-%m-%d %H:%M UTC")}</time>')


ID_SHOWN = 32  # longer clause ids are shortened in lists and outlines, whole on hover


def short_id(key: str) -> Markup:
    """A clause id as lists and outlines show it: whole, or its start and end with the full id on hover."""
    if len(key) <= ID_SHOWN:
        return Markup('<code class="id">{}</code>').format(key)
    shown = f"{key[:ID_SHOWN // 2 - 1]}…{key[-(ID_SHOWN // 2 - 1):]}"
    return Markup('<code class="id" title="{}"><span aria-hidden="true">{}</span><span class="sr-only">{}</span></code>'
                  ).format(key, shown, key)


def ref_label(ref: str) -> str:
    """A ref as people read it: full commit shas shortened, everything else as given."""
    return ref[:10] if len(ref) == 40 and all(c in "0123456789abcdef" for c in ref) else ref


def this_url(**overrides: Any) -> str:
    """The current page's URL with some query arguments changed (None removes one)."""
    if request.endpoint is None or request.endpoint == "static":
        return url_for("pages.home", **{k: v for k, v in overrides.items() if k == "at"})
    args = {**request.args.to_dict(flat=True), **(request.view_args or {}), **overrides}
    return url_for(request.endpoint, **args)


def diff_view() -> str:
    """`?view=split` shows a prose diff side by side; anything else inline (the clause diff, proposal and changelog pages)."""
    return "split" if request.args.get("view") == "split" else "inline"


def other_args(skip: str = "at") -> dict[str, str]:
    """The request's query arguments except one, for hidden form fields."""
    return {k: v for k, v in request.args.items() if k != skip}


def page_arg(default: int = 1) -> int:
    """`?page=N` of a list page (from 1; anything not a number is `default`, a number past MAX_PAGE a 400)."""
    return limits.page_number(request.args.get("page", type=int) or default)


def refuse_nul_bytes() -> None:
    """A NUL byte in the path, a query argument or a form field is a 400 before any view runs.

    PostgreSQL cannot hold one in text, so it would otherwise fail deep inside a query (a 500).
    """
    limits.check_clean("the URL", request.path)
    if request.blueprint == "hooks":
        return  # a push hook's body is read raw by its signature check, never parsed as a form
    for source, name in ((request.args, "query argument"), (request.form, "form field")):
        for key, value in source.items(multi=True):
            limits.check_clean(f"{name} {key!r}", key + value)


def page_url(number: int) -> str:
    """This page's URL at another page number, keeping every other query parameter (filters, `at`)."""
    # One dict, the path's own arguments last: a query argument of the same name (`?path=`) was a
    # second value for one keyword (a TypeError, so a 500 page). url_for takes its values as Any.
    values: dict[str, Any] = {**other_args("page"), **(request.view_args or {}), "page": number}
    return url_for(request.endpoint or "pages.home", **values)


def _picker_releases() -> list[Release]:
    if g.get("database_unavailable"):  # the 503 page after a lost connection (registry.web.errors)
        return []
    try:
        return list_releases(get_session())
    except SpecregError:  # nothing ingested yet: the picker simply offers no tags
        return []


# Defence in depth behind the sanitizer: no plugins or frames, and scripts only from our own static
# files (the proposal editor's live preview); never inline, so injected markup cannot run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'; img-src 'self'; "
                               "style-src 'self' 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Register the as-of link keeper, template filters and globals."""
    app.url_defaults(_keep_at)
    # Both before auth's load_actor, whose query takes SQLite's write lock on a write request.
    app.before_request(refuse_nul_bytes)
    app.before_request(run_first_check)
    app.after_request(_secure)
    app.add_template_filter(markdown_filter, "markdown")
    app.add_template_filter(when, "when")
    app.add_template_filter(iso, "iso")
    app.add_template_filter(limits.shorten, "shorten")  # long texts in lists (registry/limits.py)
    app.add_template_filter(lambda sha: (sha or "")[:10], "short")
    app.add_template_filter(ref_label, "ref")
    app.add_template_global(_picker_releases, "picker_releases")
    app.add_template_global(this_url, "this_url")
    app.add_template_global(other_args, "other_args")
    app.add_template_global(diff_view, "diff_view")
    app.add_template_global(page_url, "page_url")
    app.add_template_global(bar_chart, "bar_chart")
    app.add_template_global(short_id, "short_id")
    app.add_template_global(clause_href, "clause_href")
    app.add_template_global(commit_href, "commit_href")
    app.context_processor(lambda: {"as_of": g.get("as_of"), "at": g.get("at")})
