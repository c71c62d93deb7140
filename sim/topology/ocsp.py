"""A CA's `ocsp:` entry: where its OCSP responder answers and who signs the answers.

    cas:
      Sales-CA: {issuer: Root-CA, ocsp: {url: "http://203.0.113.10/ocsp/sales",
                                         responder: delegated, nocheck: true, in-aia: true}}

`responder`: `ca` (the CA signs, the default) or `delegated` (an authorized responder: a
certificate the CA issues with id-kp-OCSPSigning, RFC 6960 4.2.2.2); `nocheck` gives that
certificate id-pkix-ocsp-nocheck; `in-aia` (default true) puts the URL in the AuthorityInfoAccess
of the certificates the CA issues, where pkid looks when the CA profile names no `ocsp url`.
The URL's host must be one of the topology's servers (checked once servers are read).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pki.files import shown
from sim.topology.specs import host_of

if TYPE_CHECKING:  # the reader's values include this module's OcspEntry
    from sim.topology.reader import Reader
    from sim.topology.yaml_lines import Located

MAX_URL = 255


class ResponderKind(enum.Enum):
    CA = "ca"
    DELEGATED = "delegated"


@dataclass(frozen=True, kw_only=True)
class OcspEntry:
    url: str
    responder: ResponderKind = ResponderKind.CA
    nocheck: bool = False
    in_aia: bool = True

    def __post_init__(self) -> None:
        _http_url(self.url)
        if not isinstance(self.responder, ResponderKind):
            raise TypeError("responder must be a ResponderKind")
        if self.nocheck and self.responder is not ResponderKind.DELEGATED:
            raise ValueError("nocheck is for a delegated responder's certificate")


def _http_url(value: object) -> str:
    """An http URL with a host, in ASCII (it goes into certificates as an IA5String)."""
    if not isinstance(value, str) or len(value) > MAX_URL or not value.isascii() \
            or any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError(f"{shown(value)} is not an http URL such as "
                         "http://203.0.113.10/ocsp")
    parts = urlsplit(value)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{shown(value)} is not an http URL such as http://203.0.113.10/ocsp")
    return value


def _kind(value: object) -> ResponderKind:
    try:
        return ResponderKind(value)
    except ValueError:
        raise ValueError(f"{shown(value)}: one of ca, delegated") from None


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{shown(value)}: expected true or false")
    return value


def read_ocsp(r: Reader, entry: Located, path: str) -> OcspEntry | None:
    """The CA entry's `ocsp:` mapping, or None without one."""
    if entry.get("ocsp") is None:
        return None
    ocsp = r.mapping(entry, "ocsp", path)
    where = f"{path}.ocsp"
    r.only(ocsp, {"url", "responder", "nocheck", "in-aia"}, where)
    url = r.convert(ocsp, "url", where, _http_url, required=True)
    responder = r.convert(ocsp, "responder", where, _kind, default=ResponderKind.CA)
    nocheck = r.convert(ocsp, "nocheck", where, _flag, default=False)
    if nocheck and responder is not ResponderKind.DELEGATED:
        raise r.fail(ocsp, "nocheck", f"{where}.nocheck: only a delegated responder's "
                                      "certificate carries ocsp-nocheck")
    return OcspEntry(url=url, responder=responder, nocheck=nocheck,
                     in_aia=r.convert(ocsp, "in-aia", where, _flag, default=True))


def check_ocsp_hosts(r: Reader, section: Located, cas: dict, servers: dict) -> None:
    """Each responder's host is a server of the topology (its address or a hostname)."""
    hosts = {spec.address for spec in servers.values()}
    hosts.update(h.lower() for spec in servers.values() for h in spec.hostnames)
    for name, ca in cas.items():
        if ca.ocsp is not None and host_of(ca.ocsp.url) not in hosts:
            raise r.fail(section[name]["ocsp"], "url",
                         f"cas.{name}.ocsp.url: host {host_of(ca.ocsp.url)} is not a server "
                         "of this topology (servers:)")
