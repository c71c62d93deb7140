"""Comparing names: distinguished names (RFC 5280 7.1) and name-constraint subtrees (4.2.1.10).

DN comparison is simplified LDAP StringPrep: string values compare case-insensitively with
leading, trailing and repeated inner spaces ignored, whatever their ASN.1 string type; the
order of attributes inside one RDN does not matter.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.oid import NameOID

NameKey = tuple[frozenset[tuple[str, object]], ...]


def _normalize(value: object) -> object:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    return value


@functools.lru_cache(maxsize=8192)
def name_key(name: x509.Name) -> NameKey:
    """A hashable form of `name` under which equal names (RFC 5280 7.1) are equal."""
    return tuple(
        frozenset((attr.oid.dotted_string, _normalize(attr.value)) for attr in rdn)
        for rdn in name.rdns
    )


def names_match(a: x509.Name, b: x509.Name) -> bool:
    # Equal names have equal keys: comparing the keys alone is the same test, and cheaper.
    return name_key(a) == name_key(b)


# A certificate's names, by the certificate: `cert.subject` builds a new Name on every access,
# and hashing it costs more than hashing the certificate (its DER).
@functools.lru_cache(maxsize=16384)
def subject_key(cert: x509.Certificate) -> NameKey:
    return name_key(cert.subject)


@functools.lru_cache(maxsize=16384)
def issuer_key(cert: x509.Certificate) -> NameKey:
    return name_key(cert.issuer)


# -- name constraints ----------------------------------------------------------------------


def _dn_within(name: x509.Name, base: x509.Name) -> bool:
    key, base_key = name_key(name), name_key(base)
    return key[: len(base_key)] == base_key


def _dns_within(name: str, base: str) -> bool:
    name, base = name.lower().rstrip("."), base.lower().rstrip(".")
    if not base:
        return True
    if base.startswith("."):
        return name.endswith(base)
    return name == base or name.endswith("." + base)


def _host_within(host: str, base: str) -> bool:
    host, base = host.lower(), base.lower()
    if base.startswith("."):
        return host.endswith(base)
    return host == base


def _email_within(address: str, base: str) -> bool:
    if "@" in base:
        # A whole mailbox: local part case-sensitive, host part not.
        local, _, host = address.rpartition("@")
        base_local, _, base_host = base.rpartition("@")
        return local == base_local and host.lower() == base_host.lower()
    return _host_within(address.rpartition("@")[2], base)


def _uri_host(uri: str) -> str | None:
    rest = uri.partition("://")[2] if "://" in uri else None
    if not rest:
        return None
    authority = rest.split("/", 1)[0].rpartition("@")[2]
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0]
    return authority.split(":", 1)[0]


def _ip_within(address: object, base: object) -> bool:
    if isinstance(address, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return address.version == base.version and address.subnet_of(base)
    return address.version == base.version and address in base


def within(name: x509.GeneralName, subtree: x509.GeneralName) -> bool | None:
    """Whether `name` lies in `subtree`; None when the subtree constrains another name form."""
    if type(name) is not type(subtree):
        return None
    if isinstance(name, x509.DirectoryName):
        return _dn_within(name.value, subtree.value)
    if isinstance(name, x509.DNSName):
        return _dns_within(name.value, subtree.value)
    if isinstance(name, x509.RFC822Name):
        return _email_within(name.value, subtree.value)
    if isinstance(name, x509.IPAddress):
        return _ip_within(name.value, subtree.value)
    if isinstance(name, x509.UniformResourceIdentifier):
        host = _uri_host(name.value)
        return host is not None and _host_within(host, subtree.value)
    # Other forms (otherName, registeredID, ...) are not understood: never within.
    return False


def names_of(cert: x509.Certificate, alt_names: Iterable[x509.GeneralName]) -> list[
        x509.GeneralName]:
    """The names constraints apply to: the subject DN, its emailAddress attributes, the SANs."""
    names: list[x509.GeneralName] = []
    if cert.subject.rdns:
        names.append(x509.DirectoryName(cert.subject))
    for attr in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
        names.append(x509.RFC822Name(str(attr.value)))
    names.extend(alt_names)
    return names


@dataclass
class NameConstraintsState:
    """permitted_subtrees and excluded_subtrees of RFC 5280 6.1.2 (b), (c).

    Each CA's permitted subtrees are kept as one set instead of intersecting them: a name of
    a form constrained by a set must lie in one of that set's subtrees of its form.
    """

    permitted: list[tuple[x509.GeneralName, ...]] = field(default_factory=list)
    excluded: list[x509.GeneralName] = field(default_factory=list)

    def add(self, constraints: x509.NameConstraints) -> None:
        if constraints.permitted_subtrees is not None:
            self.permitted.append(tuple(constraints.permitted_subtrees))
        if constraints.excluded_subtrees is not None:
            self.excluded.extend(constraints.excluded_subtrees)

    def violation(self, names: Iterable[x509.GeneralName]) -> x509.GeneralName | None:
        """The first name outside the permitted subtrees or inside an excluded one."""
        for name in names:
            for subtrees in self.permitted:
                verdicts = [within(name, tree) for tree in subtrees]
                relevant = [v for v in verdicts if v is not None]
                if relevant and not any(relevant):
                    return name
            if any(within(name, tree) for tree in self.excluded):
                return name
        return None
