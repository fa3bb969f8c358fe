"""What keeps web pages out: no Origin header, and a Host that is the address the server listens on
(a DNS-rebinding page sends its own host name)."""

from __future__ import annotations

import ipaddress
from email.message import Message

from coldprof.results import display_path
from coldprof.serve.errors import forbidden

WILDCARDS = ("0.0.0.0", "::", "")


def check_browser(headers: Message, listen_host: str, port: int) -> None:
    """AccessDeniedException for a request from a web page or for a foreign host name."""
    origin = headers.get("Origin")
    if origin is not None:
        raise forbidden(
            f"coldprof serve does not answer web pages (Origin: {display_path(origin)})"
        )
    host = headers.get("Host")
    if host is None or not allowed_host(host, listen_host, port):
        shown = "none" if host is None else display_path(host)
        raise forbidden(
            f"coldprof serve answers requests for {_address(listen_host, port)} only "
            f"(Host: {shown})"
        )


def allowed_host(host: str, listen_host: str, port: int) -> bool:
    """True for the listen address (or localhost, when listening on loopback) with its port; an
    IP address of this machine's when listening on every address."""
    name, port_given = _split(host)
    if port_given != str(port) and not (port == 80 and port_given == ""):
        return False
    name = name.lower()
    if name == listen_host.lower().strip("[]"):
        return True
    if name == "localhost":
        return _is_loopback(listen_host)
    return listen_host in WILDCARDS and _is_ip(name)


def _split(host: str) -> tuple[str, str]:
    """Host name and port of a Host header (`[::1]:9001`, `127.0.0.1:9001`, `localhost`)."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _is_loopback(listen_host: str) -> bool:
    try:
        return ipaddress.ip_address(listen_host.strip("[]")).is_loopback
    except ValueError:
        return listen_host == "localhost"


def _address(listen_host: str, port: int) -> str:
    return f"[{listen_host}]:{port}" if ":" in listen_host else f"{listen_host}:{port}"
