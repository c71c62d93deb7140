"""From a device's Junos configuration to what one Quick Mode negotiation needs (pure).

The VPN whose `ike gateway` is the Phase-1 gateway gives the IPsec policy (proposals or a
proposal-set, perfect-forward-secrecy) and the proxy IDs: from the tunnel policy that names the
VPN (policy-based: its source and destination address-book entries and its application), else
from `proxy-identity` (IPv4 or IPv6 prefixes), else 0.0.0.0/0 both ways (route-based).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sim.ike.crypto import DHGroup
from sim.ike.ipsec_proposals import PROPOSAL_SETS, IpsecProposal
from sim.ike.phase2 import Phase2Config, ProxyIds
from sim.junos.config import DeviceConfig, IpsecVpn, SecurityPolicy
from sim.topology.gateway import proposal_from_config

# Predefined applications a tunnel policy may match, as (IP protocol, port).
APPLICATIONS = {"any": (0, 0), "junos-http": (6, 80), "junos-https": (6, 443),
                "junos-ssh": (6, 22), "junos-telnet": (6, 23), "junos-ftp": (6, 21),
                "junos-dns-udp": (17, 53), "junos-icmp-all": (1, 0), "junos-ping": (1, 0)}


class Phase2PlanError(ValueError):
    """The configuration cannot drive Quick Mode (a missing policy, proposal, address ...)."""


@dataclass(frozen=True, kw_only=True)
class Phase2Plan:
    vpn: IpsecVpn
    config: Phase2Config
    tunnel_policy: str | None


def vpn_for(config: DeviceConfig, gateway: str) -> IpsecVpn | None:
    return next((v for v in config.ipsec.vpns.values() if v.gateway == gateway), None)


def plan(config: DeviceConfig, gateway: str, *,
         external_interface: str | None) -> Phase2Plan | None:
    """None when no VPN uses the gateway (Phase 1 only)."""
    vpn = vpn_for(config, gateway)
    if vpn is None:
        return None
    policy = config.ipsec.policies.get(vpn.ipsec_policy or "")
    if policy is None:
        raise Phase2PlanError(f"vpn {vpn.name}: ipsec-policy {vpn.ipsec_policy} is not configured")
    proposals: list[IpsecProposal] = []
    for name in policy.proposals:
        configured = config.ipsec.proposals.get(name)
        if configured is None:
            raise Phase2PlanError(f"ipsec policy {policy.name}: proposal {name} is not configured")
        proposals.append(proposal_from_config(IpsecProposal.from_statements, name, {
            "protocol": configured.protocol or "esp",
            "authentication-algorithm": configured.authentication_algorithm,
            "encryption-algorithm": configured.encryption_algorithm,
            "lifetime-seconds": configured.effective_lifetime_seconds,
            **({} if configured.lifetime_kilobytes is None
               else {"lifetime-kilobytes": configured.lifetime_kilobytes}),
        }, Phase2PlanError))
    if not proposals and policy.proposal_set is not None:
        proposals = list(PROPOSAL_SETS.get(policy.proposal_set.value, ()))
    if not proposals:
        raise Phase2PlanError(f"ipsec policy {policy.name}: no proposals")
    pfs = (DHGroup(int(policy.perfect_forward_secrecy.value.removeprefix("group")))
           if policy.perfect_forward_secrecy else None)
    tunnels = [p for p in config.policies if p.ipsec_vpn == vpn.name]
    proxies = [_proxy_ids(config, p, external_interface) for p in tunnels]
    if proxies:
        mine = proxies[0]
    elif vpn.proxy_identity is not None:
        pid = vpn.proxy_identity
        # A side left out is every address, of the family the other side names.
        family = (pid.local or pid.remote or ipaddress.IPv4Network("0.0.0.0/0")).version
        everything = "0.0.0.0/0" if family == 4 else "::/0"
        mine = ProxyIds.of(str(pid.local or everything), str(pid.remote or everything),
                           **_service(pid.service or "any"))
    else:
        mine = ProxyIds.route_based()
    accepted = tuple(dict.fromkeys([mine, *proxies]))
    return Phase2Plan(vpn=vpn, tunnel_policy=tunnels[0].name if tunnels else None,
                      config=Phase2Config(proposals=tuple(proposals), proxy_ids=mine,
                                          pfs_group=pfs, accepted_proxy_ids=accepted))


def _proxy_ids(config: DeviceConfig, policy: SecurityPolicy,
               external_interface: str | None) -> ProxyIds:
    """A tunnel policy towards the external interface's zone has local = source; the reverse
    (pair) policy has local = destination."""
    sources = [_address(config, policy.from_zone, a) for a in policy.source_addresses]
    destinations = [_address(config, policy.to_zone, a) for a in policy.destination_addresses]
    outside = config.zone_of(external_interface) if external_interface else None
    inbound = outside is not None and policy.from_zone == outside.name
    services = [_application(a) for a in policy.applications]
    if inbound:
        sources, destinations = destinations, sources
    return ProxyIds.from_tunnel_policy(sources, destinations, services)


def _address(config: DeviceConfig, zone: str, name: str) -> str:
    if name in ("any", "any-ipv4"):
        return "0.0.0.0/0"
    book = config.zones.get(zone)
    network = book.address_book.get(name) if book else None
    if network is None:
        raise Phase2PlanError(f"address {name} is not in zone {zone}'s address book")
    return str(ipaddress.IPv4Network(network))


def _application(name: str) -> tuple[int, int]:
    if name not in APPLICATIONS:
        raise Phase2PlanError(f"application {name} is not modelled (known: "
                              f"{', '.join(APPLICATIONS)})")
    return APPLICATIONS[name]


def _service(name: str) -> dict[str, int]:
    protocol, port = _application(name)
    return {"protocol": protocol, "port": port}

