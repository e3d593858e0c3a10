"""Serving the app: gunicorn's workers in production, Flask's development server with `--dev`.

gunicorn's master process forks the workers; each worker builds its own app (its own engine and
connection pool: connections are never shared across a fork). With more than one thread a worker
is gunicorn's gthread worker: its threads serve requests side by side, so a read never waits in the
listen backlog behind a merge that waits on a lock or on git (docs/architecture.md, Threads, says
what makes that safe). Every worker must sign session cookies with the same key, else a login
made by one worker is refused by the next: the key comes from SPECREG_SECRET_KEY or from the
instance folder's `secret_key` file, which the master makes (or reads) before any worker starts,
and a start where neither works is refused with the reason.
"""
from __future__ import annotations

import logging.config
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from registry.config import Settings
from registry.errors import ConfigError
from registry.web.auth import instance_secret_key
from registry.web.requestlog import logging_config

TIMEOUT_SECONDS = 120  # a worker silent this long is restarted; a merge or a large report fits well within


def check_secret_key(settings: Settings, workers: int) -> None:
    """Refuse to start unless every process signs cookies with one key; ConfigError says why."""
    if settings.secret_key:
        return
    try:
        instance_secret_key(settings.instance)
    except ConfigError as exc:
        processes = f"{workers} worker processes" if workers > 1 else "the server"
        raise ConfigError(f"{processes} must sign session cookies with one key: {exc.message}") from exc


def bind_address(host: str, port: int) -> str:
    """host:port for gunicorn, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


class _Server(BaseApplication):
    """gunicorn with our options only (it reads neither the command line nor GUNICORN_CMD_ARGS)."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings, self.options = settings, options
        super().__init__()

    def load_config(self) -> None:
        assert self.cfg is not None  # BaseApplication.__init__ made it before calling this
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        from registry.app import compile_templates, create_app

        # In each worker, after the fork; its connection pool holds a connection for each thread.
        app = create_app({"SERVING_THREADS": self.options["threads"]}, settings=self.settings)
        compile_templates(app)  # before the first request, not during it
        return app


def serve_production(settings: Settings, host: str, port: int, workers: int, threads: int = 1) -> None:
    """Run gunicorn until it is stopped (SIGTERM or SIGINT: finish the requests in flight, then exit)."""
    check_secret_key(settings, workers)
    _Server(settings, {
        "bind": bind_address(host, port),
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": TIMEOUT_SECONDS,
        "graceful_timeout": 30,
        "logconfig_dict": logging_config(),
        "accesslog": None,  # specreg.access logs each request, with its id
        # Which proxies' headers count is SPECREG_PROXY_HOPS's to say (ProxyFix in the app), never
        # gunicorn's: it would otherwise take X-Forwarded-Proto and even SCRIPT_NAME (where the app is
        # mounted) from any client reaching it through a proxy on the same host.
        "forwarded_allow_ips": "",
        "control_socket_disable": True,  # one shared default path in $HOME: two instances would collide
        "proc_name": "specreg",
    }).run()


def serve_development(settings: Settings, host: str, port: int) -> None:
    """Flask's development server: one process, threads, JSON log lines as in production."""
    from registry.app import compile_templates, create_app

    logging.config.dictConfig(logging_config())
    app = create_app(settings=settings)
    compile_templates(app)
    app.run(host=host, port=port, debug=False, use_reloader=False)
