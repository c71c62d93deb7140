"""The addresses of `ikesim peer`: ADDR[:PORT] from the command line, IPv4 only for now (the
pcap of a live run, like the simulation's, is IPv4), and each gateway's real peer: its IKE
port and its NAT-T port (RFC 3947: 500 and 4500 unless the user says)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pki.files import shown

IKE_PORT = 500
NAT_T_PORT = 4500


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


@dataclass(frozen=True, kw_only=True)
class Remote:
    """A gateway's real peer: where it speaks IKE (what kmd calls its port 500) and NAT-T
    (its port 4500), on one host."""

    ike: Endpoint
    nat_t: Endpoint

    def __post_init__(self) -> None:
        if not isinstance(self.ike, Endpoint) or not isinstance(self.nat_t, Endpoint):
            raise TypeError("a remote is two Endpoints")
        if self.ike.host != self.nat_t.host or self.ike.port == self.nat_t.port:
            raise ValueError(f"{self.ike} and {self.nat_t}: one host, two ports")

    def __str__(self) -> str:
        return f"{self.ike} (NAT-T {self.nat_t.port})"


def check_port(option: str, port: str, *, given: str | None = None) -> int:
    """A port number 1..65535 from the command line, or a PeerSetupError naming the option
    and what was `given` (the port alone by default)."""
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise PeerSetupError(f"{option} {shown(port if given is None else given)}: the port "
                             "must be a number 1..65535")
    return int(port)


def parse_endpoint(option: str, text: str, *, default_port: int = IKE_PORT) -> Endpoint:
    """`ADDR[:PORT]` as an Endpoint, or a PeerSetupError naming the option."""
    host, sep, port_text = text.partition(":")
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise PeerSetupError(f"{option} {shown(text)}: not an IPv4 address (ADDR[:PORT], "
                         "e.g. 127.0.0.1:5000; IPv6 is not served yet)") from None
    port = check_port(option, port_text, given=text) if sep else default_port
    return Endpoint(host=str(address), port=port)


def parse_gateway_address(text: str) -> tuple[str, Remote]:
    """`GATEWAY=ADDR[:PORT[:NAT-T-PORT]]` (--gateway-address): the NAT-T port is 4500 unless
    given."""
    gateway, sep, where = text.partition("=")
    if not sep or not gateway:
        raise PeerSetupError(f"--gateway-address {shown(text)}: expected "
                             "GATEWAY=ADDR[:PORT[:NAT-T-PORT]]")
    option = f"--gateway-address {gateway}"
    parts = where.split(":")
    if len(parts) > 3:
        raise PeerSetupError(f"{option} {shown(where)}: expected ADDR[:PORT[:NAT-T-PORT]]")
    ike = parse_endpoint(option, ":".join(parts[:2]))
    nat_t = check_port(option, parts[2], given=where) if len(parts) == 3 else NAT_T_PORT
    if nat_t == ike.port:
        raise PeerSetupError(f"{option} {shown(where)}: the NAT-T port must differ from the "
                             "IKE port")
    return gateway, Remote(ike=ike, nat_t=Endpoint(host=ike.host, port=nat_t))
