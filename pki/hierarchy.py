"""CA hierarchies as networkx graphs: an edge A -> B means "A issues a certificate to B".

A node is a CA or an end entity (EE). Every node but a root has a primary issuer, whose
certificate it carries; cross-certification (the guide's Figure 3) adds edges between CAs of
two domains, each edge holding the cross certificate it stands for. Keys and serial numbers are
derived from the hierarchy's seed, so one seed always gives the same certificates.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
from cryptography import x509
from cryptography.x509.oid import NameOID

from pki.certs import CertificateTemplate, issue
from pki.crl import ExtraRevoked, Revocation, build_crl
from pki.keys import KeySpec, KeyType, PrivateKey, generate_key_pair
from pki.names import is_email_address, parse_subject
from pki.signing import signature_is_valid

UTC = dt.UTC


@dataclass(frozen=True, kw_only=True)
class CASpec:
    """One CA of a hierarchy, as a topology file describes it."""

    name: str
    subject: str
    issuer: str | None = None  # None: a root, self-signed
    key: KeySpec = field(default_factory=lambda: KeySpec(type=KeyType.RSA, size=2048))
    crl_urls: tuple[str, ...] = ()
    path_length: int | None = None
    not_before: dt.datetime | None = None  # None: the hierarchy's start
    validity: dt.timedelta = dt.timedelta(days=5 * 365)
    crl_lifetime: dt.timedelta = dt.timedelta(days=7)
    digest: str | None = None
    # Revoked serials of certificates outside the simulation on every CRL: a realistic size.
    extra_revoked: int = 0
    # An e-mail address, first in the CA's name (emailAddress=, as Chapter 11's ms-ca CRL
    # issuer shows it), and a root whose own certificate carries its CRL distribution points
    # (as Microsoft CAs' do: the guide's ms-ca).
    email: str | None = None
    cdp_on_own_certificate: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a CA needs a name")
        if self.issuer == self.name:
            raise ValueError(f"CA {self.name}: a CA cannot be its own issuer (a root has none)")
        if self.validity <= dt.timedelta(0):
            raise ValueError(f"CA {self.name}: validity must be positive")
        if self.crl_lifetime <= dt.timedelta(0):
            raise ValueError(f"CA {self.name}: crl_lifetime must be positive")
        if self.path_length is not None and self.path_length < 0:
            raise ValueError(f"CA {self.name}: path_length must be 0 or more")
        if isinstance(self.extra_revoked, bool) or not isinstance(self.extra_revoked, int) \
                or self.extra_revoked < 0:
            raise ValueError(f"CA {self.name}: extra_revoked must be a count, 0 or more")
        if self.email is not None and not is_email_address(self.email):
            raise ValueError(f"CA {self.name}: {self.email!r} is not an e-mail address")
        if self.cdp_on_own_certificate and self.issuer is not None:
            raise ValueError(f"CA {self.name}: only a root's own certificate carries its CRL "
                             "distribution points (another CA's carries its issuer's)")

    def subject_name(self) -> x509.Name:
        """The CA's name: its subject, after its e-mail address if it has one."""
        name = parse_subject(self.subject)
        if self.email is None:
            return name
        email = x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS,
                                                                   self.email)])
        return x509.Name([email, *name.rdns])


class CAHierarchy:
    """CAs and the certificates they issue, built from CASpecs.

    The graph's node attributes: `kind` ("ca" or "ee"), `spec` (CAs), `key` (CAs; EEs whose key
    the hierarchy made), `certificate` (the node's primary certificate), `revoked` (CAs: serial ->
    Revocation), `crl_number` (CAs), `extra` (CAs with extra_revoked: their ExtraRevoked). Edge
    attribute: `certificate` issued along the edge.
    """

    def __init__(self, specs: list[CASpec] | tuple[CASpec, ...], *, start: dt.datetime,
                 seed: int | str = 0,
                 key_source: Callable[..., PrivateKey] = generate_key_pair,
                 key_seed: int | str | None = None) -> None:
        """`key_source(spec, seed=...)` makes the keys: generate_key_pair, or a cache of it.
        Keys come from `key_seed` (default: `seed`), serial numbers from `seed`."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.graph = nx.DiGraph()
        self.start = start
        self.seed = seed
        self.key_seed = seed if key_seed is None else key_seed
        self._key_source = key_source
        self._serials = random.Random(f"serials/{seed}")
        for spec in specs:
            if spec.name in self.graph:
                raise ValueError(f"CA {spec.name} is defined twice")
            self.graph.add_node(spec.name, kind="ca", spec=spec, revoked={}, crl_number=0)
        for spec in specs:
            if spec.issuer is not None:
                if spec.issuer not in self.graph:
                    raise ValueError(f"CA {spec.name}: issuer {spec.issuer} is not a CA here")
                self.graph.add_edge(spec.issuer, spec.name, primary=True)
        tree = nx.DiGraph((u, v) for u, v, primary in self.graph.edges(data="primary") if primary)
        tree.add_nodes_from(self.graph)
        if not nx.is_directed_acyclic_graph(tree):
            cycle = " -> ".join(u for u, _ in nx.find_cycle(tree))
            raise ValueError(f"CA issuers form a loop: {cycle}")
        for name in nx.topological_sort(tree):
            self._issue_ca(name)

    # -- building ---------------------------------------------------------------------------

    def next_serial(self) -> int:
        # 63 random bits with the top bit set: positive and always eight octets long.
        return self._serials.getrandbits(63) | (1 << 62)

    def _issue_ca(self, name: str) -> None:
        node = self.graph.nodes[name]
        spec: CASpec = node["spec"]
        key = self._key_source(spec.key, seed=f"{self.key_seed}/ca/{name}")
        not_before = spec.not_before or self.start
        template = CertificateTemplate(
            subject=spec.subject_name(), public_key=key.public_key(),
            serial=self.next_serial(), not_before=not_before,
            not_after=not_before + spec.validity, ca=True, path_length=spec.path_length,
            crl_urls=spec.crl_urls if spec.cdp_on_own_certificate
            else self._issuer_crl_urls(spec.issuer),
            # The signer picks the hash: a root its own, any other CA its issuer's.
            digest=(spec if spec.issuer is None else self.graph.nodes[spec.issuer]["spec"]).digest,
        )
        if spec.issuer is None:
            cert = issue(template, issuer_key=key)
        else:
            issuer = self.graph.nodes[spec.issuer]
            cert = issue(template, issuer_key=issuer["key"], issuer=issuer["certificate"])
            self.graph.edges[spec.issuer, name]["certificate"] = cert
        node["key"] = key
        node["certificate"] = cert
        if spec.extra_revoked:
            node["extra"] = ExtraRevoked(count=spec.extra_revoked, seed=f"{self.seed}/{name}",
                                         date=not_before)

    def _issuer_crl_urls(self, issuer: str | None) -> tuple[str, ...]:
        # A certificate's CDP points at where its issuer publishes CRLs.
        return () if issuer is None else self.graph.nodes[issuer]["spec"].crl_urls

    def cross_certify(self, issuer: str, subject: str, *, path_length: int | None = None
                      ) -> x509.Certificate:
        """`issuer` certifies CA `subject`'s name and key (one direction of Figure 3)."""
        for name in (issuer, subject):
            if self.kind(name) != "ca":
                raise ValueError(f"{name} is not a CA of this hierarchy")
        if self.graph.has_edge(issuer, subject):
            raise ValueError(f"{issuer} already issued a certificate to {subject}")
        target = self.graph.nodes[subject]
        spec: CASpec = target["spec"]
        template = CertificateTemplate(
            subject=target["certificate"].subject, public_key=target["key"].public_key(),
            serial=self.next_serial(), not_before=self.start,
            not_after=self.start + spec.validity, ca=True, path_length=path_length,
            crl_urls=self._issuer_crl_urls(issuer),
            digest=self.graph.nodes[issuer]["spec"].digest,
        )
        issuer_node = self.graph.nodes[issuer]
        cert = issue(template, issuer_key=issuer_node["key"], issuer=issuer_node["certificate"])
        self.graph.add_edge(issuer, subject, primary=False, certificate=cert)
        return cert

    def issue_end_entity(self, ca: str, name: str, *, subject: x509.Name | str,
                         public_key=None, key: KeySpec | None = None,
                         subject_alt_names: tuple[x509.GeneralName, ...] = (),
                         not_before: dt.datetime | None = None,
                         validity: dt.timedelta | None = None,
                         extra_extensions: tuple[x509.Extension, ...] = ()) -> x509.Certificate:
        """CA `ca` issues an EE certificate to `name` (a device's certificate-id).

        With `public_key` (from a device's certificate request) the EE keeps its own key;
        otherwise the hierarchy generates one from its seed, like a CA-side key escrow would.

        An EE may be issued again by the same CA (re-enrollment): the new certificate becomes
        its certificate, and the ones before stay in `previous_certificates`, revocable by
        serial (`revoke(name, serial=...)`).
        """
        if self.kind(ca) != "ca":
            raise ValueError(f"{ca} is not a CA of this hierarchy")
        previous: list[x509.Certificate] = []
        if name in self.graph:
            if self.kind(name) != "ee" or self.issuer_of(name) != ca:
                raise ValueError(f"{name} already exists in this hierarchy")
            node = self.graph.nodes[name]
            previous = [*node.get("previous", []), node["certificate"]]
        ca_node = self.graph.nodes[ca]
        ca_cert: x509.Certificate = ca_node["certificate"]
        own_key: PrivateKey | None = None
        if public_key is None:
            own_key = self._key_source(key or KeySpec(), seed=f"{self.key_seed}/ee/{name}")
            public_key = own_key.public_key()
        start = not_before or self.start
        end = ca_cert.not_valid_after_utc if validity is None else start + validity
        if isinstance(subject, str):
            subject = parse_subject(subject)
        template = CertificateTemplate(
            subject=subject, public_key=public_key, serial=self.next_serial(),
            not_before=start, not_after=end, subject_alt_names=subject_alt_names,
            crl_urls=ca_node["spec"].crl_urls, extra_extensions=extra_extensions,
            digest=ca_node["spec"].digest,
        )
        cert = issue(template, issuer_key=ca_node["key"], issuer=ca_cert)
        self.graph.add_node(name, kind="ee", certificate=cert, key=own_key, previous=previous)
        self.graph.add_edge(ca, name, primary=True, certificate=cert)
        return cert

    def previous_certificates(self, name: str) -> list[x509.Certificate]:
        """The certificates `name` had before its current one, oldest first."""
        self.kind(name)
        return list(self.graph.nodes[name].get("previous", []))

    def issue_from_request(self, ca: str, name: str, request: x509.CertificateSigningRequest, *,
                           not_before: dt.datetime | None = None,
                           validity: dt.timedelta | None = None) -> x509.Certificate:
        """CA `ca` answers a PKCS#10 request (the device's enrollment): the subject, the
        subjectAltName and the public key come from the request, whose signature must verify."""
        if not signature_is_valid(request):
            raise ValueError(f"certificate request for {name}: its signature does not verify")
        try:
            sans = request.extensions.get_extension_for_class(
                x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            sans = []
        return self.issue_end_entity(ca, name, subject=request.subject,
                                     public_key=request.public_key(),
                                     subject_alt_names=tuple(sans), not_before=not_before,
                                     validity=validity)

    # -- revocation -------------------------------------------------------------------------

    def revoke(self, name: str, *, at: dt.datetime,
               reason: x509.ReasonFlags | None = None, by: str | None = None,
               serial: int | None = None) -> Revocation:
        """The issuer of `name`'s primary certificate (or CA `by`) revokes it; with `serial`,
        the certificate of `name` with that serial (one it had before re-enrollment)."""
        issuer = by or self.issuer_of(name)
        if issuer is None:
            raise ValueError(f"{name} is a root: nobody can revoke its certificate")
        cert = self.graph.edges[issuer, name]["certificate"]
        if serial is not None:
            known = [c for c in (*self.previous_certificates(name), cert)
                     if c.serial_number == serial and c.issuer == cert.issuer]
            if not known:
                raise ValueError(f"{name} has no certificate with serial {serial:x} from {issuer}")
            cert = known[0]
        entry = Revocation(serial=cert.serial_number, date=at, reason=reason)
        self.graph.nodes[issuer]["revoked"][cert.serial_number] = entry
        return entry

    def crl(self, ca: str, *, at: dt.datetime) -> x509.CertificateRevocationList:
        """A fresh CRL from `ca`, dated `at`, with the next CRL number."""
        node = self.graph.nodes[ca]
        spec: CASpec = node["spec"]
        node["crl_number"] += 1
        return build_crl(
            issuer=node["certificate"], issuer_key=node["key"],
            revoked=[r for r in node["revoked"].values() if r.date <= at],
            this_update=at, next_update=at + spec.crl_lifetime, number=node["crl_number"],
            digest=spec.digest, extra=node.get("extra"),
        )

    # -- reading ----------------------------------------------------------------------------

    def kind(self, name: str) -> str:
        if name not in self.graph:
            raise KeyError(f"{name} is not in this hierarchy")
        return self.graph.nodes[name]["kind"]

    def certificate(self, name: str) -> x509.Certificate:
        self.kind(name)
        return self.graph.nodes[name]["certificate"]

    def key(self, name: str) -> PrivateKey:
        self.kind(name)
        key = self.graph.nodes[name].get("key")
        if key is None:
            raise KeyError(f"{name}'s private key is held by its owner, not the hierarchy")
        return key

    def issuer_of(self, name: str) -> str | None:
        for issuer in self.graph.predecessors(name):
            if self.graph.edges[issuer, name]["primary"]:
                return issuer
        return None

    def chain(self, name: str) -> list[x509.Certificate]:
        """`name`'s certificate, then its issuers' up to and including the root."""
        chain = [self.certificate(name)]
        issuer = self.issuer_of(name)
        while issuer is not None:
            chain.append(self.certificate(issuer))
            issuer = self.issuer_of(issuer)
        return chain

    def roots(self) -> list[str]:
        return [n for n in self.cas() if self.issuer_of(n) is None]

    def cas(self) -> list[str]:
        return [n for n, kind in self.graph.nodes(data="kind") if kind == "ca"]


FIGURE4_START = dt.datetime(2012, 8, 14, 22, 19, tzinfo=UTC)


def figure4_specs(*, key: KeySpec | None = None,
                  crl_base: str = "http://10.157.88.230:8080/crl") -> list[CASpec]:
    """The guide's Figure 4: Root-CA -> Eng-CA, Sales-CA; Eng-CA -> Dev-CA, Qa-CA."""
    key = key or KeySpec(type=KeyType.RSA, size=2048)
    layout = [("Root-CA", None), ("Eng-CA", "Root-CA"), ("Sales-CA", "Root-CA"),
              ("Dev-CA", "Eng-CA"), ("Qa-CA", "Eng-CA")]
    return [
        CASpec(name=name, issuer=issuer, subject=f"C=us, O=example, CN={name}", key=key,
               crl_urls=(f"{crl_base}/{name.removesuffix('-CA')}.crl",))
        for name, issuer in layout
    ]
