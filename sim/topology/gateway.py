"""From a device's Junos configuration to what one Phase-1 negotiation needs (pure).

A gateway names an IKE policy (mode, proposals, local certificate or pre-shared key, trusted
CA) and the peer (static `address` or `dynamic`), with the identities: `local-identity`
(default: the address of the external interface) and what the peer must present
(`remote-identity`, or the `dynamic` hostname / user-at-hostname / distinguished-name; a static
peer without remote-identity is accepted with any identity its certificate vouches for).

check() is the commit check of every gateway (what Junos refuses at commit: a proposal that
authenticates with pre-shared keys in a policy without `pre-shared-key`, or with signatures in
one without `certificate local-certificate`), so a topology can refuse it when it loads;
plan() refuses the same at negotiation time; phase1_config() adds the certificate store.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pki.names import parse_subject
from pki.store import CertificateStore
from sim.ike.crypto import AuthMethod
from sim.ike.dpd import DPD_VENDOR_ID
from sim.ike.ids import IdType, IkeId, parse_dn
from sim.ike.phase1 import Mode, Phase1Config
from sim.ike.proposals import IkeProposal
from sim.ike.vendor_ids import announced
from sim.junos.config import (
    DeviceConfig,
    IdentityType,
    IkeGateway,
    IkeIdentity,
    IkeMode,
    IkePolicy,
)


class GatewayError(ValueError):
    """The configuration cannot drive this negotiation (a missing policy, proposal, ...)."""


@dataclass(frozen=True, kw_only=True)
class GatewayPlan:
    gateway: IkeGateway
    policy: IkePolicy
    mode: Mode
    proposals: tuple[IkeProposal, ...]
    local_certificate: str | None  # None when every proposal uses pre-shared keys
    trusted_ca: str | None
    local_address: str
    remote_id: IkeId | None
    pre_shared_key: bytes | None = field(default=None, repr=False)

    # The dynamic peer's DN patterns, parsed on the first negotiation that needs them and kept
    # with the plan (kmd keeps the plan while its configuration is the same object). Lazily, so
    # that a pattern that does not parse fails where and when it always did.
    @cached_property
    def wildcard_attributes(self) -> tuple[tuple[str, str], ...]:
        spec = self.gateway.remote_identity or self.gateway.dynamic
        return _attributes(spec.wildcard) if spec is not None and spec.wildcard else ()

    @cached_property
    def container_attributes(self) -> tuple[tuple[str, str], ...]:
        spec = self.gateway.remote_identity or self.gateway.dynamic
        return (_attributes(spec.container, fold=False)
                if spec is not None and spec.container else ())


def interface_address(config: DeviceConfig, interface: str | None) -> str | None:
    if interface is None:
        return None
    name, _, unit = interface.partition(".")
    iface = config.interfaces.get(name)
    if iface is None:
        return None
    logical = iface.units.get(int(unit or 0))
    if logical is None or not logical.addresses:
        return None
    return str(logical.addresses[0].ip)


def identity(spec: IkeIdentity, *, certificate: x509.Certificate | None = None) -> IkeId:
    """An IKE ID from a configured identity; a distinguished-name comes from the certificate.
    GatewayError for one an ID payload cannot carry (a hostname that is not ASCII)."""
    try:
        if spec.type is IdentityType.INET:
            return IkeId.ipv4(spec.value)
        if spec.type is IdentityType.HOSTNAME:
            return IkeId.fqdn(spec.value)
        if spec.type is IdentityType.USER_AT_HOSTNAME:
            return IkeId.user_fqdn(spec.value)
        if spec.value:
            return IkeId.der_asn1_dn(parse_subject(spec.value))
    except UnicodeEncodeError:
        raise GatewayError(f"{spec.type.value} {spec.value}: an IKE identity is ASCII "
                           "(RFC 2407 4.6.2)") from None
    except ValueError as exc:
        raise GatewayError(f"{spec.type.value} {spec.value}: {exc}") from None
    if certificate is None:
        raise GatewayError("distinguished-name identity needs the local certificate")
    return IkeId.der_asn1_dn(certificate.subject)


def plan(config: DeviceConfig, gateway_name: str, *, device_address: str) -> GatewayPlan:
    ike = config.ike
    gateway = ike.gateways.get(gateway_name)
    if gateway is None:
        raise GatewayError(f"gateway {gateway_name} is not configured")
    policy = ike.policies.get(gateway.ike_policy or "")
    if policy is None:
        raise GatewayError(f"gateway {gateway_name}: ike-policy {gateway.ike_policy} "
                           "is not configured")
    proposals = []
    for name in policy.proposals:
        configured = ike.proposals.get(name)
        if configured is None:
            raise GatewayError(f"policy {policy.name}: proposal {name} is not configured")
        proposals.append(proposal_from_config(IkeProposal.from_statements, name, {
            "authentication-method": configured.authentication_method,
            "dh-group": configured.dh_group,
            "authentication-algorithm": configured.authentication_algorithm,
            "encryption-algorithm": configured.encryption_algorithm,
            "lifetime-seconds": configured.effective_lifetime_seconds,
        }, GatewayError))
    if not proposals:
        raise GatewayError(f"policy {policy.name}: no proposals configured")
    signed = [p for p in proposals if p.authentication_method is not AuthMethod.PRE_SHARED_KEY]
    if signed and not policy.local_certificate:
        raise GatewayError(f"policy {policy.name}: certificate local-certificate is not "
                           f"configured (proposal {signed[0].name} uses "
                           f"authentication-method "
                           f"{signed[0].statements()['authentication-method']})")
    shared = [p for p in proposals if p.authentication_method is AuthMethod.PRE_SHARED_KEY]
    if shared and not policy.pre_shared_key:
        raise GatewayError(f"policy {policy.name}: pre-shared-key is not configured (proposal "
                           f"{shared[0].name} uses authentication-method pre-shared-keys)")
    local = (gateway.local_address or interface_address(config, gateway.external_interface)
             or device_address)
    remote_spec = gateway.remote_identity or gateway.dynamic
    return GatewayPlan(
        gateway=gateway, policy=policy,
        mode=Mode.AGGRESSIVE if policy.mode is IkeMode.AGGRESSIVE else Mode.MAIN,
        proposals=tuple(proposals),
        local_certificate=policy.local_certificate if signed else None,
        trusted_ca=policy.trusted_ca, local_address=local,
        remote_id=None if remote_spec is None or (
            remote_spec.type is IdentityType.DISTINGUISHED_NAME and not remote_spec.value)
        else identity(remote_spec),
        pre_shared_key=_key_bytes(policy) if shared else None,
    )


def _key_bytes(policy: IkePolicy) -> bytes:
    """`pre-shared-key ascii-text` as its bytes, `hexadecimal` decoded."""
    text = policy.pre_shared_key or ""
    if not policy.pre_shared_key_hexadecimal:
        return text.encode()
    digits = text.removeprefix("0x").removeprefix("0X")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise GatewayError(f"policy {policy.name}: pre-shared-key hexadecimal {text}: not an "
                           "even number of hexadecimal digits") from None


def check(config: DeviceConfig, *, device_address: str) -> None:
    """The commit check: every gateway can be planned (GatewayError names the statement)."""
    for name in config.ike.gateways:
        plan(config, name, device_address=device_address)


# The vendor IDs an SRX sends in its first Phase-1 message: kmd answers R-U-THERE whether or
# not its own gateway configures dead-peer-detection, so it always says it speaks DPD.
VENDOR_IDS = (DPD_VENDOR_ID,)


def phase1_config(gw: GatewayPlan, store: CertificateStore) -> Phase1Config:
    """The IKE SA's configuration: the plan plus, for signatures, the local certificate, its
    key and chain, and the CA DNs to name in CR payloads."""
    if gw.local_certificate is None:
        return Phase1Config(proposals=gw.proposals, local_id=local_id(gw, None),
                            pre_shared_key=gw.pre_shared_key, mode=gw.mode,
                            remote_id=gw.remote_id, vendor_ids=_vendor_ids(gw))
    cid = gw.local_certificate
    cert = store.local_certificates.get(cid)
    key = store.key_pairs.get(cid)
    if cert is None or key is None:
        raise GatewayError(f"local certificate {cid} is not loaded")
    chain = [cert.public_bytes(Encoding.DER)]
    # Send the CA certificates of our chain (Chapter 7: the payload carries the chain);
    # the peer ignores what it already has.
    for ca in _issuers_of(cert, list(store.ca_certificates.values())):
        chain.append(ca.public_bytes(Encoding.DER))
    ca_dns = tuple(c.subject.public_bytes() for c in store.ca_certificates.values())
    try:
        return Phase1Config(proposals=gw.proposals, local_id=local_id(gw, cert),
                            private_key=key, pre_shared_key=gw.pre_shared_key,
                            certificates=tuple(chain[:10]), mode=gw.mode,
                            remote_id=gw.remote_id, ca_dns=ca_dns,
                            vendor_ids=_vendor_ids(gw))
    except ValueError as exc:  # a key that does not fit the authentication-method
        raise GatewayError(str(exc)) from None


def _vendor_ids(gw: GatewayPlan) -> tuple[bytes, ...]:
    return announced(nat_traversal=not gw.gateway.no_nat_traversal) + VENDOR_IDS


def _issuers_of(cert: x509.Certificate, pool: list[x509.Certificate]) -> list[x509.Certificate]:
    """The CA certificates above `cert` that `pool` holds, nearest first, to send with it.

    Self-signed roots are left out: the root is the common trusted CA both peers must already
    have, so a single-level hierarchy sends the EE certificate alone (Chapter 7). A cross
    certificate for a root (Figure 3) is sent, and the walk goes on through its issuer.
    """
    chain: list[x509.Certificate] = []
    current = cert
    while True:
        issuer = next((c for c in pool if c.subject == current.issuer and c not in chain
                       and c.issuer != c.subject), None)
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return chain


def peer_matches(gateway_plan: GatewayPlan, peer_id: IkeId) -> bool:
    """Does the identity the peer sent fit the gateway (`remote-identity` or `dynamic`)?

    `dynamic distinguished-name wildcard W` wants every attribute of W in the peer's DN, in any
    order; `container C` wants C's attributes in the peer's DN in C's order (the guide: with
    several OU= or CN= fields "the sequence must be maintained and is case-sensitive").
    """
    spec = gateway_plan.gateway.remote_identity or gateway_plan.gateway.dynamic
    if spec is None:
        return True
    if gateway_plan.remote_id is not None:
        return gateway_plan.remote_id.same_identity(peer_id)
    if peer_id.id_type is not IdType.DER_ASN1_DN:
        return False
    try:
        peer = [atv for rdn in parse_dn(peer_id.data) for atv in rdn]
    except ValueError:
        return False
    if spec.wildcard:
        wanted = gateway_plan.wildcard_attributes
        have = [(oid, value.casefold()) for oid, value in peer]
        if any(have.count(w) < wanted.count(w) for w in wanted):
            return False
    if spec.container:
        remaining = iter(peer)
        if not all(any(atv == want for atv in remaining)
                   for want in gateway_plan.container_attributes):
            return False
    return True


def _attributes(text: str, *, fold: bool = True) -> tuple[tuple[str, str], ...]:
    return tuple((attr.oid.dotted_string, attr.value.casefold() if fold else attr.value)
                 for attr in parse_subject(text))


def local_id(gateway_plan: GatewayPlan, certificate: x509.Certificate | None) -> IkeId:
    spec = gateway_plan.gateway.local_identity
    if spec is None:
        return IkeId.ipv4(gateway_plan.local_address)
    return identity(spec, certificate=certificate)


def gateway_for_peer(config: DeviceConfig, peer_address: str) -> str | None:
    """The gateway a responder uses for a peer: the static one with its address first, else
    the first dynamic gateway (its identity is checked when the peer's ID arrives)."""
    peer = ipaddress.IPv4Address(peer_address)
    for name, gateway in config.ike.gateways.items():
        if any(ipaddress.IPv4Address(a) == peer for a in gateway.addresses if _is_ip(a)):
            return name
    for name, gateway in config.ike.gateways.items():
        if gateway.dynamic is not None:
            return name
    return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


Proposal = TypeVar("Proposal")


def proposal_from_config(from_statements: Callable[[str, dict[str, str | int]], Proposal],
                         name: str, configured: Mapping[str, enum.Enum | str | int | None],
                         error: type[ValueError]) -> Proposal:
    """An IKE or IPsec proposal from its configured values: an enum member stands for its
    keyword, a statement not configured (None) is left out, and a proposal sim.ike refuses
    raises `error` with its message."""
    statements = {statement: value.value if isinstance(value, enum.Enum) else value
                  for statement, value in configured.items() if value is not None}
    try:
        return from_statements(name, statements)
    except ValueError as exc:
        raise error(str(exc)) from None
