"""Which ``Host`` headers the watch server answers: its own names only, so DNS rebinding reads nothing.

A page on evil.example can make the browser send requests to 127.0.0.1 by pointing a name of
its own there; the browser then takes the answers as evil.example's and lets the page read them.
Those requests carry ``Host: evil.example``. A request whose Host is an IP address, or a name
this server answers to, is safe: a page can read it only if it was loaded from that address.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

__all__ = ["Hosts"]

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


@dataclass(frozen=True)
class Hosts:
    names: frozenset[str]  # lower case, no port

    @classmethod
    def for_address(cls, address: str, allowed: tuple[str, ...] = ()) -> Hosts:
        """The names of a server bound to ``address``: localhost's on loopback; with a wildcard or another
        address, this machine's names too (the ones a colleague types); plus ``allowed`` (--allow-host)."""
        names = {*LOCAL_NAMES, *(name.lower().strip() for name in allowed)}
        if not is_loopback(address):
            names |= machine_names()
        return cls(frozenset(name for name in names if name))

    def allows(self, header: str | None) -> bool:
        if not header:
            return False  # HTTP/1.1 requires it; a browser always sends it
        name = host_of(header)
        return is_ip(name) or name in self.names

    def refusal(self, header: str | None) -> str:
        shown = (header or "(none)")[:100]
        return (f"runner watch does not answer for host {shown!r}: open it by this machine's address or "
                "localhost, or start runner watch with --allow-host NAME\n")


def host_of(header: str) -> str:
    """The host part of a Host header, without the port, lower case: "[::1]:80" -> "::1"."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback(address: str) -> bool:
    if address in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def machine_names() -> set[str]:
    names = {socket.gethostname().lower()}
    try:
        names.add(socket.getfqdn().lower())
    except OSError:
        pass
    return names
