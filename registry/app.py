"""The Flask app factory: settings, then test overrides, then the database and blueprints."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from registry import limits
from registry.config import PROJECT_ROOT, Settings, load_settings


class _KeyOrderJSON(DefaultJSONProvider):
    """Flask's JSON, with keys in the order the code (and the API docs) give them."""

    sort_keys = False


def create_app(test_config: dict[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """Build the web app; `test_config` overrides anything the settings gave."""
    settings = settings or load_settings()
    app = Flask(
        __name__,
        instance_path=str(settings.instance),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(
        DATABASE_URL=settings.database_url,
        SPEC_REPO=str(settings.repo),
        SPEC_BRANCH=settings.branch,
        SPEC_REMOTE=settings.remote,  # set: SPEC_REPO is Specreg's clone of it, and a merge pushes there
        AUTH=settings.auth,
        AUTH_HEADER=settings.auth_header,
        WEBHOOK_SECRET=settings.webhook_secret,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=limits.MAX_BODY_BYTES,  # larger bodies are a 413 before anything reads them
        MAX_FORM_MEMORY_SIZE=limits.MAX_BODY_BYTES,
    )
    if test_config:
        app.config.update(test_config)
    app.json = _KeyOrderJSON(app)  # Flask 3 ignores JSON_SORT_KEYS; keep our documented key order

    from registry import db, wiring
    from registry.web import auth, context, requestlog
    from registry.web.accountability.api import bp as accountability_api
    from registry.web.accountability.pages import bp as accountability
    from registry.web.accounts.account_pages import bp as account
    from registry.web.accounts.admin_pages import bp as admin
    from registry.web.accounts.api import bp as users_api
    from registry.web.errors import register_error_handlers
    from registry.web.evidence.api import bp as evidence_api
    from registry.web.evidence.pages import bp as report_pages
    from registry.web.feeds import bp as feeds
    from registry.web.frameworks.api import bp as frameworks_api
    from registry.web.frameworks.pages import bp as framework_pages
    from registry.web.health import bp as health
    from registry.web.history.api import bp as api
    from registry.web.history.clause_pages import bp as clauses
    from registry.web.history.pages import bp as pages
    from registry.web.hooks import bp as hooks
    from registry.web.owners.api import bp as owners_api
    from registry.web.owners.pages import bp as owner_pages
    from registry.web.proposals.api import bp as proposals_api
    from registry.web.proposals.governance_pages import bp as governance_pages
    from registry.web.proposals.pages import bp as proposal_pages
    from registry.web.webhooks.pages import bp as webhook_pages

    wiring.install()
    requestlog.init_app(app)  # first: every other hook's errors and log lines carry the request id
    db.init_app(app)
    context.init_app(app)
    register_error_handlers(app)
    auth.init_app(app, settings.auth, settings.auth_header, settings.secret_key, settings.secure_cookies)
    for blueprint in (health, hooks, pages, clauses, api, owner_pages, owners_api, proposal_pages, governance_pages, proposals_api,
                      account, report_pages, evidence_api, framework_pages, frameworks_api, accountability,
                      accountability_api, admin, users_api, feeds, webhook_pages):
        app.register_blueprint(blueprint)
    if settings.proxy_hops:
        # Behind a reverse proxy every request comes from the proxy's address: trust exactly that many
        # X-Forwarded-For hops, so login throttling and the audit trail see the real client.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)  # type: ignore[method-assign]
    return app


# The evidence report's templates, which registry.evidence.render compiles in an environment of its own.
_REPORT_TEMPLATES = "report/"


def compile_templates(app: Flask) -> int:
    """Compile every page template now, into the app's template cache; returns how many.

    `specreg serve` does this in each worker before it takes requests: a worker's first request of a
    page would otherwise compile its template and the macros it imports (40-170 ms on the bench fill).
    """
    names = [n for n in app.jinja_env.list_templates() if not n.startswith(_REPORT_TEMPLATES)]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
