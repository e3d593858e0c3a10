"""Several Specreg hosts on one database and one remote, as real processes on loopback.

Each host is what docs/deploy.md describes: its own instance folder (and so its own clone of the
remote), the shared database, the shared session and audit keys, `specreg sync` once to make the
clone, then `specreg serve --workers N --threads T` (gunicorn). bench/load.py drives two of them, and so does the
two-host test (tests/deploy/test_two_hosts.py).
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from registry.cli.web import DEFAULT_THREADS
from registry.gitsource import trailers

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60  # a host that does not answer /healthz by then failed to start


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, body and the headers that matter here."""

    status: int
    body: bytes
    location: str | None = None
    cookie: str | None = None

    def json(self) -> dict:
        """The body parsed as JSON."""
        return json.loads(self.body)


def call(base: str, method: str, path: str, body: object | None = None, headers: dict[str, str] | None = None,
         form: str | None = None, timeout: float = 60) -> Reply:
    """One request on a new connection (a JSON body, a form body, or none); never follows redirects."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    sent = dict(headers or {})
    data: bytes | None = None
    if body is not None:
        data, sent["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data, sent["Content-Type"] = form.encode(), "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        return Reply(response.status, response.read(), response.getheader("Location"),
                     response.getheader("Set-Cookie"))
    finally:
        conn.close()


def host_env(instance: Path, database_url: str, remote: str, secret_key: str, audit_key: str) -> dict[str, str]:
    """The environment of one host's processes: no SPECREG_ setting leaks in from the caller's."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SPECREG_")}
    return clean | {"PYTHONPATH": str(ROOT), "SPECREG_INSTANCE": str(instance), "SPECREG_DATABASE_URL": database_url,
                    "SPECREG_REMOTE": remote, "SPECREG_SECRET_KEY": secret_key, "SPECREG_AUDIT_KEY": audit_key}


@dataclass
class Host:
    """One host: its environment, and its gunicorn once started."""

    name: str
    env: dict[str, str]
    base: str = ""
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def instance(self) -> Path:
        """The host's instance folder."""
        return Path(self.env["SPECREG_INSTANCE"])

    @property
    def clone(self) -> Path:
        """The host's own clone of the remote."""
        return self.instance / "spec-clone"

    @property
    def log(self) -> Path:
        """Where the host's server writes its JSON log lines."""
        return self.instance / "serve.log"

    def cli(self, *args: str, timeout: float = 120) -> tuple[int, dict]:
        """`specreg ARGS --json` as this host runs it: (exit code, parsed output)."""
        done = subprocess.run([sys.executable, "-m", "registry", *args, "--json"], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
        try:
            return done.returncode, json.loads(done.stdout)
        except json.JSONDecodeError as exc:
            raise RuntimeError(f"{self.name}: specreg {' '.join(args)} printed no JSON:\n{done.stderr}") from exc

    def start(self, workers: int = 2, threads: int = DEFAULT_THREADS) -> str:
        """Start `specreg serve --workers N --threads T` on a free loopback port; its base URL once /healthz answers."""
        port = free_port()
        self.instance.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "registry", "serve", "--port", str(port), "--workers", str(workers),
             "--threads", str(threads)],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log.open("wb"))
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log.read_text()}")
            try:
                if call(self.base, "GET", "/healthz", timeout=5).status == 200:
                    return self.base
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {START_SECONDS} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        """SIGTERM (requests in flight finish), then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def commits_naming(repo: Path, branch: str) -> dict[int, list[str]]:
    """The branch's commits by the proposal their Proposal-Id trailer names (newest first)."""
    out = subprocess.run(["git", "log", "--format=%H%x00%B%x01", branch], cwd=repo, check=True,
                         capture_output=True, text=True).stdout
    found: dict[int, list[str]] = {}
    for record in filter(str.strip, out.split("\x01")):
        sha, _, message = record.strip("\n").partition("\x00")
        for value in trailers.values(message, trailers.PROPOSAL_ID):
            if value.isdigit():
                found.setdefault(int(value), []).append(sha)
    return found
