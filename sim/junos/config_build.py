"""The parsed statement tree (sim.junos.setcmd) -> the frozen configuration values, with the
references between statements checked: `_Builder(source).device(tree)` is what
sim.junos.config.parse_config runs. Every error names the full statement and its line, e.g.
`Host-A config line 3: security pki ca-profile ms-ca enrollment retry 2000: value must be
0..1080`.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Mapping
from typing import TypeVar

from pki.profiles import (
    CaProfile,
    ConfigError,
    Crl,
    Enrollment,
    Ocsp,
    OcspConnectionFailure,
    PkiConfig,
    PkiTraceFlag,
    PkiTraceoptions,
    ReEnrollment,
    RevocationCheck,
    TraceFile,
)
from sim.junos.config_device import DeviceConfig, UnmodelledStatement
from sim.junos.config_dpd import DeadPeerDetection, DpdMode, chosen_mode
from sim.junos.config_ike import (
    NAT_KEEPALIVE_DEFAULT,
    AuthenticationMethod,
    DhGroup,
    EncryptionAlgorithm,
    IdentityType,
    IkeAuthenticationAlgorithm,
    IkeConfig,
    IkeGateway,
    IkeIdentity,
    IkeMode,
    IkePolicy,
    IkeProposal,
    IkeTraceFlag,
    IkeTraceoptions,
    IkeVersion,
    PeerCertificateType,
    ProposalSet,
)
from sim.junos.config_ipsec import (
    DfBit,
    EstablishTunnels,
    IpsecAuthenticationAlgorithm,
    IpsecConfig,
    IpsecPolicy,
    IpsecProposal,
    IpsecProtocol,
    IpsecVpn,
    ProxyIdentity,
)
from sim.junos.config_zones import (
    HostInboundTraffic,
    Interface,
    LogicalUnit,
    PolicyAction,
    SecurityPolicy,
    SecurityZone,
    StaticRoute,
    ZoneInterface,
)
from sim.junos.setcmd import ConfigTree, Node, Value

_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_NUMBER = re.compile(r"[0-9]+")
_SIZE = re.compile(r"([0-9]+)([kmg]?)")
_DIGITS_MAX = 20  # more digits than any Junos number has: refused before int() reads them
_ANY_ADDRESS = ("any", "any-ipv4", "any-ipv6")
_E = TypeVar("_E", bound=enum.Enum)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source

    # helpers: every error names the statement and its line
    def _fail(self, statement: str, problem: str, line: int) -> ConfigError:
        return ConfigError(statement, problem, where=f"{self.source} config line {line}")

    def _make(self, cls: type, prefix: str, node: Node, **kwargs: object):
        try:
            return cls(**kwargs)
        except ConfigError as exc:
            if exc.where:
                raise
            line = node.line_of(exc.statement.split())
            raise exc.within(prefix, where=f"{self.source} config line {line}") from None

    @staticmethod
    def _text(node: Node | None, key: str) -> str | None:
        value = node.value(key) if node is not None else None
        return value.text if value is not None else None

    @staticmethod
    def _flag(node: Node | None, key: str) -> bool:
        return node is not None and node.flag(key)

    @staticmethod
    def _enum(node: Node | None, key: str, cls: type[_E]) -> _E | None:
        value = node.value(key) if node is not None else None
        return cls(value.text) if value is not None else None  # the grammar checked it

    def _int(self, node: Node | None, key: str, stmt: str) -> int | None:
        value = node.value(key) if node is not None else None
        if value is None:
            return None
        return self._number(value, f"{stmt} {key} {value.text}")

    def _number(self, value: Value, stmt: str) -> int:
        """ASCII digits only: Python's int() would read '٣' or '５' as numbers."""
        if not _NUMBER.fullmatch(value.text):
            raise self._fail(stmt, "value must be a number", value.line)
        if len(value.text) > _DIGITS_MAX:
            raise self._fail(stmt, "value out of range", value.line)
        return int(value.text)

    def _ip(self, kind: type, value: Value, stmt: str, what: str):
        """An ipaddress value; a prefix may have host bits set (they are masked off)."""
        try:
            if kind is ipaddress.IPv4Network:
                return kind(value.text, strict=False)
            return kind(value.text)
        except ValueError:
            raise self._fail(f"{stmt} {value.text}", f"not an {what}", value.line) from None

    def _ref(self, value: Value | None, known: Mapping, stmt: str, what: str) -> None:
        if value is not None and value.text not in known:
            raise self._fail(f"{stmt} {value.text}", f"{what} '{value.text}' is not defined",
                             value.line)

    # the device
    def device(self, tree: ConfigTree) -> DeviceConfig:
        root = tree.root
        security = root.container("security")
        pki = self.pki(security.container("pki") if security else None)
        ike = self.ike(security.container("ike") if security else None, pki)
        ipsec = self.ipsec(security.container("ipsec") if security else None, ike)
        zones = self.zones(security.container("zones") if security else None)
        policies = self.policies(security.container("policies") if security else None,
                                 zones, ipsec)
        where = f"{self.source} config line"
        return DeviceConfig(
            source=self.source, pki=pki, ike=ike, ipsec=ipsec, policies=policies, zones=zones,
            interfaces=self.interfaces(root.entries("interfaces")),
            static_routes=self.routes(root.container("routing-options")),
            ignored=tuple(f"{where} {s.line}: {s.text}" for s in tree.ignored),
            notes=tuple(f"{where} {line}: {note}" for line, note in tree.notes),
            unmodelled=tuple(UnmodelledStatement(line=s.line, statement=s.text)
                             for s in tree.unmodelled))

    # security pki
    def pki(self, node: Node | None) -> PkiConfig:
        if node is None:
            return PkiConfig()
        profiles = {name: self.ca_profile(node, name, entry)
                    for name, entry in node.entries("ca-profile").items()}
        renew = {}
        auto = node.container("auto-re-enrollment")
        for cid, entry in (auto.entries("certificate-id") if auto else {}).items():
            stmt = f"security pki auto-re-enrollment certificate-id {cid}"
            self._ref(entry.value("ca-profile-name"), profiles, f"{stmt} ca-profile-name",
                      "CA profile")
            renew[cid] = self._make(
                ReEnrollment, "security pki auto-re-enrollment", auto, certificate_id=cid,
                ca_profile_name=self._text(entry, "ca-profile-name"),
                challenge_password=self._text(entry, "challenge-password"),
                re_enroll_trigger_time_percentage=self._int(
                    entry, "re-enroll-trigger-time-percentage", stmt),
                re_generate_keypair=entry.flag("re-generate-keypair"))
        trace = node.container("traceoptions")
        traceoptions = None if trace is None else self._make(
            PkiTraceoptions, "security pki traceoptions", trace,
            file=self.trace_file(trace, "security pki traceoptions"),
            flags=frozenset(PkiTraceFlag(v.text) for v in trace.values("flag")),
            no_remote_trace=trace.flag("no-remote-trace"))
        return PkiConfig(ca_profiles=profiles, auto_re_enrollment=renew,
                         traceoptions=traceoptions)

    def ca_profile(self, pki: Node, name: str, entry: Node) -> CaProfile:
        prefix = f"security pki ca-profile {name}"
        enrollment, revocation = Enrollment(), RevocationCheck()
        enr = entry.container("enrollment")
        if enr is not None:
            enrollment = self._make(
                Enrollment, prefix, entry, url=self._text(enr, "url"),
                retry=self._int(enr, "retry", f"{prefix} enrollment"),
                retry_interval=self._int(enr, "retry-interval", f"{prefix} enrollment"))
        rc = entry.container("revocation-check")
        if rc is not None:
            revocation = self.revocation_check(rc, f"{prefix} revocation-check")
        return self._make(
            CaProfile, "security pki", pki, name=name,
            ca_identity=self._text(entry, "ca-identity"), enrollment=enrollment,
            revocation_check=revocation,
            administrator_email=self._text(entry.container("administrator"), "e-mail-address"),
            routing_instance=self._text(entry, "routing-instance"))

    def revocation_check(self, rc: Node, prefix: str) -> RevocationCheck:
        crl = ocsp = None
        crl_node = rc.container("crl")
        if crl_node is not None:
            crl = self._make(
                Crl, prefix, rc, url=self._text(crl_node, "url"),
                refresh_interval=self._int(crl_node, "refresh-interval", f"{prefix} crl"),
                disable_on_download_failure=self._flag(
                    crl_node.container("disable"), "on-download-failure"))
        ocsp_node = rc.container("ocsp")
        if ocsp_node is not None:
            nonce = self._text(ocsp_node, "nonce-payload")
            ocsp = self._make(
                Ocsp, prefix, rc, urls=tuple(v.text for v in ocsp_node.values("url")),
                connection_failure=self._enum(ocsp_node, "connection-failure",
                                              OcspConnectionFailure),
                disable_responder_revocation_check=ocsp_node.flag(
                    "disable-responder-revocation-check"),
                nonce_payload=None if nonce is None else nonce == "enable")
        return RevocationCheck(crl=crl, disable=rc.flag("disable"), ocsp=ocsp,
                               use_ocsp=rc.flag("use-ocsp"))

    def trace_file(self, trace: Node, prefix: str) -> TraceFile:
        node = trace.container("file")
        if node is None:
            return TraceFile()
        size = None
        value = node.value("size")
        if value is not None:
            match = _SIZE.fullmatch(value.text.lower())
            if match is None or len(match[1]) > _DIGITS_MAX:
                raise self._fail(f"{prefix} file size {value.text}",
                                 "value must be a number with an optional k, m or g", value.line)
            size = int(match[1]) * _SIZE_UNITS[match[2]]
        readable = [node.value(k) for k in ("world-readable", "no-world-readable")]
        world = None  # the later of the two statements wins, as each replaces the other
        if any(readable):
            latest = max((v for v in readable if v), key=lambda v: v.line)
            world = latest.text == "world-readable"
        return self._make(TraceFile, prefix, trace, name=self._text(node, "filename"),
                          size=size, files=self._int(node, "files", f"{prefix} file"),
                          match=self._text(node, "match"), world_readable=world)

    # security ike
    def ike(self, node: Node | None, pki: PkiConfig) -> IkeConfig:
        if node is None:
            return IkeConfig()
        pre = "security ike"
        proposals = {}
        for name, e in node.entries("proposal").items():
            proposals[name] = self._make(
                IkeProposal, pre, node, name=name,
                authentication_method=self._enum(e, "authentication-method",
                                                 AuthenticationMethod),
                dh_group=self._enum(e, "dh-group", DhGroup),
                authentication_algorithm=self._enum(e, "authentication-algorithm",
                                                    IkeAuthenticationAlgorithm),
                encryption_algorithm=self._enum(e, "encryption-algorithm", EncryptionAlgorithm),
                lifetime_seconds=self._int(e, "lifetime-seconds", f"{pre} proposal {name}"),
                description=self._text(e, "description"))
        policies = {}
        for name, e in node.entries("policy").items():
            stmt = f"{pre} policy {name}"
            for value in e.values("proposals"):
                self._ref(value, proposals, f"{stmt} proposals", "IKE proposal")
            cert = e.container("certificate")
            trusted = cert.value("trusted-ca") if cert else None
            use_all = trusted is not None and trusted.text == "use-all"
            if not use_all:
                self._ref(trusted, pki.ca_profiles, f"{stmt} certificate trusted-ca",
                          "CA profile")
            psk = e.container("pre-shared-key")
            policies[name] = self._make(
                IkePolicy, pre, node, name=name,
                mode=self._enum(e, "mode", IkeMode) or IkeMode.MAIN,
                proposals=tuple(v.text for v in e.values("proposals")),
                proposal_set=self._enum(e, "proposal-set", ProposalSet),
                local_certificate=self._text(cert, "local-certificate"),
                peer_certificate_type=self._enum(cert, "peer-certificate-type",
                                                 PeerCertificateType),
                trusted_ca=None if use_all or trusted is None else trusted.text,
                trusted_ca_use_all=use_all,
                pre_shared_key=self._text(psk, "ascii-text") or self._text(psk, "hexadecimal"),
                pre_shared_key_hexadecimal=self._text(psk, "ascii-text") is None
                and self._text(psk, "hexadecimal") is not None,
                description=self._text(e, "description"))
        gateways = {name: self.gateway(node, name, e, policies)
                    for name, e in node.entries("gateway").items()}
        trace = node.container("traceoptions")
        traceoptions = None if trace is None else self._make(
            IkeTraceoptions, f"{pre} traceoptions", trace,
            file=self.trace_file(trace, f"{pre} traceoptions"),
            flags=frozenset(IkeTraceFlag(v.text) for v in trace.values("flag")),
            no_remote_trace=trace.flag("no-remote-trace"))
        return IkeConfig(proposals=proposals, policies=policies, gateways=gateways,
                         traceoptions=traceoptions)

    def gateway(self, ike: Node, name: str, e: Node, policies: Mapping) -> IkeGateway:
        stmt = f"security ike gateway {name}"
        self._ref(e.value("ike-policy"), policies, f"{stmt} ike-policy", "IKE policy")
        return self._make(
            IkeGateway, "security ike", ike, name=name,
            ike_policy=self._text(e, "ike-policy"),
            external_interface=self._text(e, "external-interface"),
            addresses=tuple(v.text for v in e.values("address")),
            dynamic=self.identity(e.container("dynamic"), f"{stmt} dynamic"),
            local_identity=self.identity(e.container("local-identity"),
                                         f"{stmt} local-identity"),
            remote_identity=self.identity(e.container("remote-identity"),
                                          f"{stmt} remote-identity"),
            local_address=self._text(e, "local-address"),
            version=self._enum(e, "version", IkeVersion),
            no_nat_traversal=e.flag("no-nat-traversal"),
            nat_keepalive=self._int(e, "nat-keepalive", stmt) or NAT_KEEPALIVE_DEFAULT,
            dead_peer_detection=self.dead_peer_detection(e.container("dead-peer-detection"),
                                                         f"{stmt} dead-peer-detection"))

    def dead_peer_detection(self, node: Node | None, prefix: str) -> DeadPeerDetection | None:
        if node is None:
            return None
        modes = {mode: node.value(mode.value).line for mode in DpdMode
                 if node.value(mode.value) is not None}
        interval = self._int(node, "interval", prefix)
        threshold = self._int(node, "threshold", prefix)
        return self._make(
            DeadPeerDetection, prefix.removesuffix(" dead-peer-detection"), node,
            mode=chosen_mode(modes),
            **({"interval": interval} if interval is not None else {}),
            **({"threshold": threshold} if threshold is not None else {}))

    def identity(self, node: Node | None, prefix: str) -> IkeIdentity | None:
        if node is None:
            return None
        # One identity is a choice: as on Junos, the statement set last replaces the others
        # (`set ... local-identity hostname h` after `... local-identity inet a`).
        present = {key: item for key, item in node.items.items()
                   if key == "inet6" or key in {t.value for t in IdentityType}}
        if not present:
            raise self._fail(prefix, "configure one of inet, inet6, hostname, "
                             "user-at-hostname, distinguished-name", node.line)
        last = max(present, key=lambda key: present[key].line)
        if last == "inet6":
            return None  # an IPv6 identity: accepted, not modelled (recorded by the grammar)
        kind = IdentityType(last)
        dn = node.container(kind.value) if kind is IdentityType.DISTINGUISHED_NAME else None
        return self._make(
            IkeIdentity, prefix, node, type=kind,
            value=None if kind is IdentityType.DISTINGUISHED_NAME else self._text(
                node, kind.value),
            container=self._text(dn, "container"), wildcard=self._text(dn, "wildcard"))

    # security ipsec
    def ipsec(self, node: Node | None, ike: IkeConfig) -> IpsecConfig:
        if node is None:
            return IpsecConfig()
        pre = "security ipsec"
        proposals = {
            name: self._make(
                IpsecProposal, pre, node, name=name,
                protocol=self._enum(e, "protocol", IpsecProtocol),
                authentication_algorithm=self._enum(e, "authentication-algorithm",
                                                    IpsecAuthenticationAlgorithm),
                encryption_algorithm=self._enum(e, "encryption-algorithm", EncryptionAlgorithm),
                lifetime_seconds=self._int(e, "lifetime-seconds", f"{pre} proposal {name}"),
                lifetime_kilobytes=self._int(e, "lifetime-kilobytes", f"{pre} proposal {name}"),
                description=self._text(e, "description"))
            for name, e in node.entries("proposal").items()}
        policies = {}
        for name, e in node.entries("policy").items():
            for value in e.values("proposals"):
                self._ref(value, proposals, f"{pre} policy {name} proposals", "IPsec proposal")
            policies[name] = self._make(
                IpsecPolicy, pre, node, name=name,
                perfect_forward_secrecy=self._enum(e.container("perfect-forward-secrecy"),
                                                   "keys", DhGroup),
                proposals=tuple(v.text for v in e.values("proposals")),
                proposal_set=self._enum(e, "proposal-set", ProposalSet),
                description=self._text(e, "description"))
        vpns = {}
        for name, e in node.entries("vpn").items():
            stmt = f"{pre} vpn {name} ike"
            ike_node = e.container("ike")
            self._ref(ike_node and ike_node.value("gateway"), ike.gateways, f"{stmt} gateway",
                      "IKE gateway")
            self._ref(ike_node and ike_node.value("ipsec-policy"), policies,
                      f"{stmt} ipsec-policy", "IPsec policy")
            proxy = ike_node.container("proxy-identity") if ike_node else None
            vpns[name] = self._make(
                IpsecVpn, pre, node, name=name, gateway=self._text(ike_node, "gateway"),
                ipsec_policy=self._text(ike_node, "ipsec-policy"),
                bind_interface=self._text(e, "bind-interface"),
                proxy_identity=None if proxy is None else self.proxy_identity(
                    proxy, f"{stmt} proxy-identity"),
                idle_time=self._int(ike_node, "idle-time", stmt),
                no_anti_replay=self._flag(ike_node, "no-anti-replay"),
                establish_tunnels=self._enum(e, "establish-tunnels", EstablishTunnels),
                df_bit=self._enum(e, "df-bit", DfBit))
        return IpsecConfig(proposals=proposals, policies=policies, vpns=vpns)

    def proxy_identity(self, node: Node, prefix: str) -> ProxyIdentity:
        nets = {}
        for key in ("local", "remote"):
            value = node.value(key)
            nets[key] = None if value is None else self._ip(
                _ip_prefix, value, f"{prefix} {key}", "IPv4 or IPv6 prefix")
        return ProxyIdentity(**nets, service=self._text(node, "service"))

    # security zones and policies
    def zones(self, node: Node | None) -> dict[str, SecurityZone]:
        zones = {}
        for name, e in (node.entries("security-zone") if node else {}).items():
            stmt = f"security zones security-zone {name}"
            book = {}
            ab = e.container("address-book")
            for addr, entry in (ab.entries("address") if ab else {}).items():
                prefix = entry.value("ip-prefix")
                if prefix is None:
                    raise self._fail(f"{stmt} address-book address {addr}",
                                     "an IPv4 prefix is required", entry.line)
                book[addr] = self._ip(ipaddress.IPv4Network, prefix,
                                      f"{stmt} address-book address {addr}", "IPv4 prefix")
            interfaces = {
                ifname: ZoneInterface(name=ifname, host_inbound_traffic=self.host_inbound(
                    ie.container("host-inbound-traffic")))
                for ifname, ie in e.entries("interfaces").items()}
            zones[name] = SecurityZone(
                name=name, interfaces=interfaces, address_book=book,
                host_inbound_traffic=self.host_inbound(e.container("host-inbound-traffic"))
                or HostInboundTraffic())
        return zones

    @staticmethod
    def host_inbound(node: Node | None) -> HostInboundTraffic | None:
        if node is None:
            return None
        return HostInboundTraffic(
            system_services=frozenset(v.text for v in node.values("system-services")),
            protocols=frozenset(v.text for v in node.values("protocols")))

    def policies(self, node: Node | None, zones: Mapping[str, SecurityZone],
                 ipsec: IpsecConfig) -> tuple[SecurityPolicy, ...]:
        out: list[SecurityPolicy] = []
        pairs: list[tuple[SecurityPolicy, Value]] = []
        for src, from_node in (node.entries("from-zone") if node else {}).items():
            for dst, to_node in from_node.entries("to-zone").items():
                stmt = f"security policies from-zone {src} to-zone {dst}"
                for zone, line in ((src, from_node.line), (dst, to_node.line)):
                    if zone not in zones:
                        raise self._fail(stmt, f"security zone '{zone}' is not defined", line)
                for name, e in to_node.entries("policy").items():
                    out.append(self.policy(node, stmt, name, e, zones[src], zones[dst], ipsec))
                    tunnel = self._tunnel(e.container("then"))
                    if tunnel is not None and tunnel.value("pair-policy") is not None:
                        pairs.append((out[-1], tunnel.value("pair-policy")))
        known = {(p.name, p.from_zone, p.to_zone) for p in out}
        for policy, value in pairs:  # the pair runs the other way
            if (value.text, policy.to_zone, policy.from_zone) not in known:
                raise self._fail(
                    f"security policies from-zone {policy.from_zone} to-zone {policy.to_zone} "
                    f"policy {policy.name} then permit tunnel pair-policy {value.text}",
                    f"no policy '{value.text}' from-zone {policy.to_zone} "
                    f"to-zone {policy.from_zone}", value.line)
        return tuple(out)

    @staticmethod
    def _tunnel(then: Node | None) -> Node | None:
        permit = then.container("permit") if then else None
        return permit.container("tunnel") if permit else None

    def policy(self, policies: Node, stmt: str, name: str, e: Node, src: SecurityZone,
               dst: SecurityZone, ipsec: IpsecConfig) -> SecurityPolicy:
        match = e.container("match")
        where = f"{stmt} policy {name} match"
        for key, zone in (("source-address", src), ("destination-address", dst)):
            for value in match.values(key) if match else []:
                if value.text not in _ANY_ADDRESS and value.text not in zone.address_book:
                    raise self._fail(f"{where} {key} {value.text}", f"address '{value.text}' "
                                     f"is not in the address book of zone {zone.name}",
                                     value.line)
        then = e.container("then")
        tunnel = self._tunnel(then)
        self._ref(tunnel and tunnel.value("ipsec-vpn"), ipsec.vpns,
                  f"{stmt} policy {name} then permit tunnel ipsec-vpn", "IPsec VPN")
        actions = [a for a in PolicyAction if then is not None and a.value in then.items]
        if len(actions) > 1:
            raise self._fail(f"{stmt} policy {name} then", "permit, deny and reject "
                             "are exclusive", then.line)
        return self._make(
            SecurityPolicy, "security policies", policies, name=name, from_zone=src.name,
            to_zone=dst.name,
            source_addresses=tuple(v.text for v in match.values("source-address"))
            if match else (),
            destination_addresses=tuple(v.text for v in match.values("destination-address"))
            if match else (),
            applications=tuple(v.text for v in match.values("application")) if match else (),
            action=actions[0] if actions else None,
            ipsec_vpn=self._text(tunnel, "ipsec-vpn"),
            pair_policy=self._text(tunnel, "pair-policy"))

    # interfaces, routing-options
    def interfaces(self, entries: dict[str, Node]) -> dict[str, Interface]:
        out = {}
        for name, e in entries.items():
            units = {}
            for number, unit in e.entries("unit").items():
                stmt = f"interfaces {name} unit {number}"
                self._number(Value(number, unit.line), stmt)
                family = unit.container("family")
                inet = family.container("inet") if family else None
                addresses = tuple(
                    self._ip(ipaddress.IPv4Interface, v, f"{stmt} family inet address",
                             "IPv4 address/length")
                    for v in (inet.values("address") if inet else []))
                units[int(number)] = self._make(LogicalUnit, f"interfaces {name}", e,
                                                number=int(number), addresses=addresses)
            out[name] = Interface(name=name, units=units)
        return out

    def routes(self, node: Node | None) -> tuple[StaticRoute, ...]:
        static = node.container("static") if node else None
        routes = []
        for prefix, e in (static.entries("route") if static else {}).items():
            stmt = "routing-options static route"
            destination = self._ip(ipaddress.IPv4Network, Value(prefix, e.line), stmt,
                                   "IPv4 prefix")
            # The grammar checked each next-hop: an address, or an interface such as st0.1.
            hops = tuple(v.text for v in e.values("next-hop"))
            routes.append(self._make(StaticRoute, "routing-options static", static,
                                     destination=destination, next_hops=hops))
        return tuple(routes)


def _ip_prefix(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A proxy-identity prefix of either family (Quick Mode carries IPv6 proxy IDs too)."""
    return ipaddress.ip_network(text, strict=False)
