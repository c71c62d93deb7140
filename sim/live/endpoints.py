"""The addresses of `ikesim peer`: ADDR[:PORT] from the command line, IPv4 only for now (the
pcap of a live run, like the simulation's, is IPv4)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pki.files import shown

IKE_PORT = 500


class PeerSetupError(ValueError):
    """A live peer that cannot start as asked (an address, a port, a gateway, a time), named
    in one line; `ikesim` reports it as bad input (exit status 2)."""


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """A real UDP endpoint: an IPv4 address and a port."""

    host: str
    port: int

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not isinstance(self.port, int):
            raise TypeError("an endpoint is a host string and an int port")
        ipaddress.IPv4Address(self.host)  # ValueError when it is not one
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port {self.port}: 1..65535")

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_endpoint(option: str, text: str, *, default_port: int = IKE_PORT) -> Endpoint:
    """`ADDR[:PORT]` as an Endpoint, or a PeerSetupError naming the option."""
    host, sep, port_text = text.partition(":")
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise PeerSetupError(f"{option} {shown(text)}: not an IPv4 address (ADDR[:PORT], "
                         "e.g. 127.0.0.1:5000; IPv6 is not served yet)") from None
    if sep and not (port_text.isascii() and port_text.isdigit()):
        raise PeerSetupError(f"{option} {shown(text)}: the port must be a number 1..65535")
    port = int(port_text) if sep else default_port
    if not 1 <= port <= 65535:
        raise PeerSetupError(f"{option} {shown(text)}: the port must be a number 1..65535")
    return Endpoint(host=str(address), port=port)


def parse_gateway_address(text: str) -> tuple[str, Endpoint]:
    """`GATEWAY=ADDR[:PORT]` (--gateway-address)."""
    gateway, sep, where = text.partition("=")
    if not sep or not gateway:
        raise PeerSetupError(f"--gateway-address {shown(text)}: expected GATEWAY=ADDR[:PORT]")
    return gateway, parse_endpoint(f"--gateway-address {gateway}", where)
