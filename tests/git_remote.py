"""Real git remotes for tests: a bare repo over file://, and the same repo served by `git http-backend` on loopback.

`GitHttp` is a small threaded WSGI server that runs git's own CGI program for every request (with
`http.receivepack` on, so pushes work), the way a git host's smart HTTP does. The `remote` fixture
fixture (tests/conftest.py, over `spec_remote`) gives one spec remote per transport; the two-host
tests can start their own `GitHttp` the same way.
"""
from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from repo_builder import RepoBuilder

_CGI_PASS = ("REQUEST_METHOD", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "REMOTE_ADDR", "PATH_INFO")


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class GitHttp:
    """`git http-backend` over http on 127.0.0.1, serving the bare repositories under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request served, in order
        self._server = make_server("127.0.0.1", 0, self._app, server_class=_ThreadingServer,
                                   handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        """The http URL of the bare repository `root/name`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/{name}"

    def close(self) -> None:
        """Stop serving (later requests find nothing listening)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def _app(self, environ: dict, start_response) -> Iterable[bytes]:
        self.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        env = {k: environ[k] for k in _CGI_PASS if environ.get(k)}
        env |= {k: v for k, v in environ.items() if k.startswith("HTTP_")}
        env |= {"GIT_PROJECT_ROOT": str(self.root), "GIT_HTTP_EXPORT_ALL": "1", "PATH": os.environ["PATH"],
                "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1"}
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status, headers = "200 OK", []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name.strip(), value.strip()))
        start_response(status, headers)
        return [payload]


def bare_remote(author: RepoBuilder, path: Path) -> Path:
    """A bare clone of the author's repo at `path` that takes pushes over http too."""
    subprocess.run(["git", "clone", "--bare", "--quiet", str(author.path), str(path)], check=True)
    subprocess.run(["git", "config", "http.receivepack", "true"], cwd=path, check=True)
    return path


def push_direct(author: RepoBuilder, url: str, *extra: str) -> None:
    """Someone pushes the author's branch straight to the remote (no proposal), as a git host user would."""
    subprocess.run(["git", "push", "--quiet", *extra, url, f"{author.branch}:{author.branch}"], cwd=author.path,
                   check=True, capture_output=True, env=os.environ | {"GIT_TERMINAL_PROMPT": "0"})


def pull_direct(author: RepoBuilder, url: str) -> None:
    """The author brings their branch up to the remote's (a fast-forward) before committing on it."""
    subprocess.run(["git", "fetch", "--quiet", url, f"+{author.branch}:refs/remotes/r/{author.branch}"],
                   cwd=author.path, check=True)
    subprocess.run(["git", "update-ref", f"refs/heads/{author.branch}", f"refs/remotes/r/{author.branch}"],
                   cwd=author.path, check=True)


def records_remote(clone: Path, url: str) -> None:
    """Make `url` the remote Specreg's clone records it came from: the spec's remote, reached at that URL
    (an unreachable one stands for the remote being down; another URL would be refused as another repository)."""
    subprocess.run(["git", "config", "remote.origin.url", url], cwd=clone, check=True)


def remote_head(path: Path, branch: str = "main") -> str:
    """The sha the bare remote's branch points at."""
    return subprocess.run(["git", "rev-parse", branch], cwd=path, check=True, capture_output=True,
                          text=True).stdout.strip()


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens (an unreachable remote)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/spec.git"


@dataclass
class Remote:
    """A spec remote: the author's working repo, the bare remote and the URL Specreg is given."""

    author: RepoBuilder
    path: Path
    url: str
    transport: str

    def push(self, *extra: str) -> None:
        """Push the author's branch to the remote."""
        push_direct(self.author, self.url, *extra)

    def pull(self) -> None:
        """Bring the author's branch up to the remote's."""
        pull_direct(self.author, self.url)

    def head(self) -> str:
        """The remote branch's sha."""
        return remote_head(self.path, self.author.branch)


@contextmanager
def spec_remote(transport: str, tmp_path: Path) -> Iterator[Remote]:
    """An author repo with one commit and its bare remote, reached over file:// or over http (git http-backend)."""
    author = RepoBuilder(tmp_path / "author")
    author.commit("Empty start", {"README.md": "Spec.\n"})
    path = bare_remote(author, tmp_path / "served" / "spec.git")
    if transport == "file":
        yield Remote(author, path, path.as_uri(), "file")
        return
    server = GitHttp(tmp_path / "served")
    try:
        yield Remote(author, path, server.url("spec.git"), "http")
    finally:
        server.close()
