"""`specreg serve`: gunicorn's worker processes (or Flask's development server with --dev), one session
key for all of them or no start at all, and JSON log lines that carry each request's id."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from registry.cli import main
from registry.cli.serving import check_secret_key
from registry.config import load_settings
from registry.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
DOC = "# Rules {#rules}\n\n## Be honest {#be_honest}\n\nSay what is true.\n"


@pytest.fixture
def instance(repo, tmp_path, monkeypatch) -> Path:
    """An instance folder holding an ingested SQLite database (the default), wired through the environment."""
    head = repo.commit("one", {"spec/rules.md": DOC})
    folder = tmp_path / "instance"
    for name in ("SPECREG_DATABASE_URL", "SPECREG_SECRET_KEY", "SPECREG_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPECREG_INSTANCE", str(folder))
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    assert main(["init"]) == 0 and main(["ingest"]) == 0
    (folder / "head").write_text(head)
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def server(instance, tmp_path) -> Iterator[tuple[Callable[..., str], Path]]:
    """`specreg serve ARGS` as a real process on a free loopback port: start(args) gives its base URL."""
    started: list[subprocess.Popen[bytes]] = []
    log = tmp_path / "server.log"

    def start(*args: str) -> str:
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "registry", "serve", "--port", str(port), *args],
                                cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                stdout=subprocess.DEVNULL, stderr=log.open("wb"))
        started.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                if _get(base + "/healthz")[0] == 200:
                    return base
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"the server did not answer within 60 s:\n{log.read_text()}")

    yield start, log
    for proc in started:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _json_lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def test_serve_with_two_workers_answers_health_readiness_and_pages_and_logs_json_lines_with_request_ids(
        server, instance):
    start, log = server
    base = start("--workers", "2")
    status, headers, body = _get(base + "/healthz", {"X-Request-Id": "lb-check-42"})
    assert status == 200 and json.loads(body) == {"status": "ok"} and headers["X-Request-Id"] == "lb-check-42"
    status, _headers, body = _get(base + "/readyz")
    assert status == 200
    assert json.loads(body) == {"ready": True, "database": "ok", "repo": "ok",
                                "ledger_head": (instance / "head").read_text()}
    status, headers, body = _get(base + "/clauses/be_honest", {"X-Request-Id": "bad id with spaces"})
    assert status == 200 and b"Say what is true." in body
    generated = headers["X-Request-Id"]
    assert generated != "bad id with spaces" and len(generated) == 32

    # A client on the same host as the server (or behind a local proxy) cannot move the app's root.
    status, _headers, body = _get(base + "/evil/clauses/be_honest", {"SCRIPT_NAME": "/evil"})
    assert status != 200 and b'href="/evil' not in body

    time.sleep(0.5)  # the access line is written as the response leaves
    lines = _json_lines(log)
    assert all(not line.strip() or line.startswith("{") for line in log.read_text().splitlines()[1:])
    assert sum("Booting worker" in line["message"] for line in lines) == 2
    access = {line["path"]: line for line in lines if line["logger"] == "specreg.access"}
    assert access["/healthz"]["request_id"] == "lb-check-42" and access["/healthz"]["status"] == 200
    assert access["/clauses/be_honest"]["request_id"] == generated
    assert {"time", "level", "method", "duration_ms"} <= set(access["/readyz"])


def test_serve_dev_runs_the_development_server_with_the_same_json_lines(server):
    start, log = server
    base = start("--dev")
    status, headers, _body = _get(base + "/readyz", {"X-Request-Id": "dev-1"})
    assert status == 200 and headers["X-Request-Id"] == "dev-1"
    time.sleep(0.5)
    assert any(line.get("request_id") == "dev-1" and line["path"] == "/readyz" for line in _json_lines(log))
    assert "gunicorn" not in headers.get("Server", "")


def test_serve_refuses_to_start_workers_that_could_not_share_a_session_key(instance, capsys):
    (instance / "secret_key").write_text("")  # a key file nobody can sign with
    assert main(["serve", "--workers", "2", "--port", str(_free_port())]) == 1
    err = capsys.readouterr().err
    assert "2 worker processes must sign session cookies with one key" in err
    assert "is empty" in err and "SPECREG_SECRET_KEY" in err


def test_serve_refuses_to_start_when_the_instance_folder_cannot_hold_the_key(instance, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPECREG_DATABASE_URL", f"sqlite:///{instance / 'specreg.db'}")
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("SPECREG_INSTANCE", str(not_a_folder))
    assert main(["serve", "--workers", "3", "--port", str(_free_port())]) == 1
    err = capsys.readouterr().err
    assert "3 worker processes must sign session cookies with one key: cannot keep the session key" in err


def test_a_set_secret_key_or_the_instance_key_file_lets_several_workers_start(instance, monkeypatch):
    check_secret_key(load_settings(), 4)  # the instance folder's key file: made once, shared by every worker
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600
    (instance / "secret_key").write_text("")
    with pytest.raises(ConfigError):
        check_secret_key(load_settings(), 4)
    monkeypatch.setenv("SPECREG_SECRET_KEY", "a-key-every-host-shares-0123456789")
    check_secret_key(load_settings(), 4)


def test_serve_dev_with_several_workers_is_refused(instance, capsys):
    assert main(["serve", "--dev", "--workers", "2"]) == 1
    assert "--dev runs Flask's development server, which is one process" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["0", "65", "two", "²"])
def test_a_worker_count_outside_one_to_sixty_four_is_a_usage_error(instance, capsys, workers):
    assert main(["serve", "--workers", workers]) == 2
    assert "must be a whole number from 1 to 64" in capsys.readouterr().err


def test_serve_dev_with_several_threads_is_refused(instance, capsys):
    assert main(["serve", "--dev", "--threads", "4"]) == 1
    assert "drop --dev to run --workers processes of --threads threads" in capsys.readouterr().err


@pytest.mark.parametrize("threads", ["0", "33", "four", "٣"])
def test_a_thread_count_outside_one_to_thirty_two_is_a_usage_error(instance, capsys, threads):
    assert main(["serve", "--threads", threads]) == 2
    assert "must be a whole number from 1 to 32" in capsys.readouterr().err


@pytest.fixture
def served(monkeypatch) -> list[tuple[str, int | None, int | None]]:
    """What `specreg serve` would have started: (server, workers, threads), with nothing started."""
    from registry.cli import serving

    calls: list[tuple[str, int | None, int | None]] = []
    monkeypatch.setattr(serving, "serve_production",
                        lambda _settings, _host, _port, workers, threads: calls.append(("gunicorn", workers, threads)))
    monkeypatch.setattr(serving, "serve_development", lambda *_args: calls.append(("dev", None, None)))
    return calls


@pytest.mark.parametrize(("argv", "env", "threads"), [
    ([], None, 8), (["--threads", "4"], None, 4), ([], "2", 2), ([], " 6 ", 6), (["--threads", "1"], "8", 1)])
def test_serve_takes_its_threads_from_the_option_else_specreg_threads_else_eight(
        instance, monkeypatch, served, argv, env, threads):
    if env is not None:
        monkeypatch.setenv("SPECREG_THREADS", env)
    assert main(["serve", "--workers", "3", *argv]) == 0
    assert served == [("gunicorn", 3, threads)]


@pytest.mark.parametrize("env", ["0", "33", "many"])
def test_a_bad_specreg_threads_refuses_to_start_and_names_the_setting(instance, monkeypatch, served, capsys, env):
    monkeypatch.setenv("SPECREG_THREADS", env)
    assert main(["serve"]) == 1
    assert f"SPECREG_THREADS must be a whole number from 1 to 32, not {env!r}" in capsys.readouterr().err
    assert served == []


def test_serve_dev_leaves_specreg_threads_to_the_production_server(instance, monkeypatch, served):
    monkeypatch.setenv("SPECREG_THREADS", "8")  # set for the systemd unit; the development server has its own threads
    assert main(["serve", "--dev"]) == 0
    assert served == [("dev", None, None)]


@pytest.mark.parametrize(("threads", "worker_class"), [(1, "sync"), (4, "gthread")])
def test_more_than_one_thread_runs_gunicorns_gthread_worker_and_one_its_sync_worker(
        instance, monkeypatch, threads, worker_class):
    from registry.cli import serving

    seen = []
    monkeypatch.setattr(serving._Server, "run", lambda server: seen.append(server.cfg))
    serving.serve_production(load_settings(), "127.0.0.1", _free_port(), 2, threads)
    assert [(cfg.worker_class_str, cfg.workers, cfg.threads) for cfg in seen] == [(worker_class, 2, threads)]


@pytest.mark.parametrize(("threads", "kept"), [(None, 5), (4, 5), (12, 12)])
def test_a_workers_connection_pool_keeps_a_connection_for_each_of_its_threads(instance, threads, kept):
    from registry.app import create_app

    app = create_app({} if threads is None else {"SERVING_THREADS": threads})
    assert app.extensions["specreg.engine"].pool.size() == kept


def test_a_serving_worker_has_every_page_template_compiled_before_its_first_request(instance, monkeypatch):
    from registry.app import compile_templates
    from registry.cli.serving import _Server

    server = _Server.__new__(_Server)  # its load() alone: what each worker runs after the fork
    server.settings, server.options = load_settings(), {"threads": 2}
    app = server.load()
    pages = [n for n in app.jinja_env.list_templates() if not n.startswith("report/")]
    assert len(pages) > 20 and app.jinja_env.cache is not None
    assert {name for _loader, name in app.jinja_env.cache} >= set(pages)  # nothing left for a request to compile
    assert compile_templates(app) == len(pages)
