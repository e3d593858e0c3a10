"""Where a webhook may send: public addresses only, unless SPECREG_WEBHOOK_ALLOW_PRIVATE=1.

A webhook URL is typed by an admin, and the worker POSTs to it from inside the network: without a
check it could reach the database, the cloud's metadata service (169.254.169.254) or any service on
loopback (server-side request forgery). So an address that is not global (loopback, private,
link-local, carrier-grade NAT, multicast, reserved, unspecified; an IPv4 address inside IPv6 as
well) is refused twice: when the webhook is added, if its host is an address (in any of the
spellings the resolver takes: 127.1, 0x7f.0.0.1, 2130706433) or a localhost name; and when the
worker connects, against every address the name resolves to at that moment, connecting to the
address it checked, so a name that resolves elsewhere between the check and the connect (DNS
rebinding) gains nothing. Receivers on a private network need SPECREG_WEBHOOK_ALLOW_PRIVATE=1.
"""
from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import threading
import urllib.request
from typing import Any

ALLOW_PRIVATE = "SPECREG_WEBHOOK_ALLOW_PRIVATE"
# Seconds a connection lives at most: the per-read timeout alone lets a receiver that sends a byte
# every few seconds hold the worker (and its syncs) for as long as it likes.
LIFETIME = 30.0
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(OSError):
    """The webhook's host is (or resolves to) an address webhooks may not reach."""


def private_allowed() -> bool:
    """Whether SPECREG_WEBHOOK_ALLOW_PRIVATE lets webhooks reach private and loopback addresses."""
    return os.environ.get(ALLOW_PRIVATE, "").strip().lower() in ("1", "true")


def is_public(address: Address) -> bool:
    """Whether webhooks may reach `address` without the setting: a global address (IPv4 inside IPv6 judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None:
            return is_public(inner)
    return address.is_global and not address.is_multicast


def literal(host: str) -> Address | None:
    """The address `host` spells, in any form the resolver would take without asking DNS; None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # 127.1, 0x7f.0.0.1, 2130706433
    except OSError:
        return None


def refusal(host: str, address: Address | None = None) -> str | None:
    """Why a webhook may not go to `host` (at `address`), or None when it may."""
    if private_allowed():
        return None
    name = host.lower().rstrip(".")
    address = address or literal(name)
    if address is None:
        if name != "localhost" and not name.endswith(".localhost"):
            return None
        where = f"{host} is this machine"
    elif is_public(address):
        return None
    else:
        where = f"{host} is {address}, a private, loopback or link-local address"
    return f"{where}, which webhooks may not reach (set {ALLOW_PRIVATE}=1 to allow receivers on a private network)"


def connect(address: tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
            source_address: tuple[str, int] | None = None) -> socket.socket:
    """socket.create_connection that first resolves the host and refuses it if any address is not allowed."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        why = refusal(host, ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        if why:
            raise DestinationRefused(why)
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:  # the addresses just checked, never a second lookup
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            _cut_after(sock, LIFETIME)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"{host} has no address")


def _cut_after(sock: socket.socket, seconds: float) -> None:
    """Shut the socket down after `seconds`, so a read still waiting then ends (a closed socket is left alone)."""
    def cut() -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already: the attempt finished in time

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


def opener(*handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
    """An opener whose connections go only where `refusal` allows, directly (no proxy from the environment:
    a proxy would connect for us, past the check)."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTPHandler, _HTTPSHandler, *handlers)
