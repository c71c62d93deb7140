"""The Junos configuration grammar ikesim reads: `JUNOS`, the statement tree built from the
node kinds of sim.junos.grammar_nodes, which says for every keyword what follows it and which
values it takes. sim.junos.setcmd walks statements through it; nothing here reads text.

Statements marked `Unmodelled` are real Junos statements of the 12.1X4x era that an SRX
administrator pastes with a certificate VPN (dead-peer-detection, vpn-monitor,
traffic selectors, static routes, ...): their syntax and values are checked as Junos
checks them, and they are recorded as not modelled, since they change nothing in a simulated
negotiation. Ranges marked "(from memory)" were not confirmed against the 12.1X46 reference.
"""

from __future__ import annotations

from sim.junos.config_dpd import INTERVAL_RANGE, THRESHOLD_RANGE
from sim.junos.grammar_nodes import (
    Alias,
    Container,
    Flag,
    Ignored,
    Leaf,
    LeafList,
    Named,
    Unmodelled,
    address_or_interface,
    file_name,
    in_range,
    interface_name,
    ip_address,
    ip_prefix,
    ipv6_address,
    regular_expression,
)

__all__ = ["JUNOS", "Alias", "Container", "Flag", "Ignored", "Leaf", "LeafList", "Named",
           "Unmodelled"]

# --- junos_grammar: the statements ikesim reads ----------------------------------------------
# From the PKI guide's Chapter 15 ([edit security pki]) and the statements its examples use;
# IKE/IPsec/policy/zone choices from the Junos 12.1X4x CLI references.

_TEXT = Leaf()
_NUMBER = Leaf("number")
_DH_GROUPS = ("group1", "group2", "group5", "group14", "group19", "group20", "group24")
_PROPOSAL_SETS = ("basic", "compatible", "standard")


def _traceoptions(flags: tuple[str, ...]) -> Container:
    return Container({
        "file": Container({
            "size": Leaf("maximum-file-size"),
            "files": _NUMBER,
            "match": Leaf("regular-expression", check=regular_expression),
            "world-readable": Flag(),
            "no-world-readable": Flag(),
        }, positional="filename", positional_check=file_name),  # a name under /var/log
        "flag": LeafList("flag", flags),
        "no-remote-trace": Flag(),
    })


_PKI = Container({
    "auto-re-enrollment": Container({"certificate-id": Named(Container({
        "ca-profile-name": Leaf("ca-profile-name"),
        "challenge-password": Leaf("password"),
        "re-enroll-trigger-time-percentage": Leaf("percentage"),
        "re-generate-keypair": Flag(),
    }), "certificate-id-name", key_check=file_name)}),
    "ca-profile": Named(Container({
        "administrator": Container({
            "e-mail-address": Leaf("e-mail-address"),
            "email-address": Alias(("e-mail-address",), "'administrator email-address' "
                                   "(guide Chapter 11) read as 'e-mail-address'"),
        }),
        "ca-identity": Leaf("ca-identity"),
        "enrollment": Container({
            "retry": _NUMBER,
            "retry-interval": Leaf("seconds"),
            "url": Leaf("url-name"),
        }),
        "revocation-check": Container({
            "crl": Container({
                "disable": Container({"on-download-failure": Flag()}),
                "refresh-interval": Leaf("hours"),
                "url": Leaf("url-name"),
            }),
            "disable": Flag(),
            # 12.1X46-D20; Junos takes up to two responder URLs (pki.profiles.Ocsp checks it)
            "ocsp": Container({
                "connection-failure": Leaf(choices=("disable", "fallback-crl")),
                "disable-responder-revocation-check": Flag(),
                "nonce-payload": Leaf(choices=("disable", "enable")),
                "url": LeafList("ocsp-url"),
            }),
            "use-ocsp": Flag(),
            "url": Alias(("crl", "url"), "'revocation-check url' (guide Chapter 12) read as "
                         "'revocation-check crl url'"),
        }),
        "routing-instance": Unmodelled(Leaf("routing-instance-name")),
    }), "ca-profile-name", key_check=file_name),  # a ca-profile names files in the store
    "traceoptions": _traceoptions(("all", "certificate-verification", "online-crl-check")),
})

_DN_MATCH = Container({"container": Leaf("container-string"),
                       "wildcard": Leaf("wildcard-string")})

_IKE = Container({
    # Junos answers a packet for an unknown SA with INVALID_SPI, at most N times (1..30,
    # from memory); without N, 5.
    "respond-bad-spi": Unmodelled(Container(
        {}, positional="max-responses", positional_check=in_range(1, 30))),
    "traceoptions": _traceoptions((
        "all", "certificates", "database", "general", "ike", "parse", "policy-manager",
        "routing-socket", "timer")),
    "proposal": Named(Container({
        "authentication-method": Leaf(choices=(
            "dsa-signatures", "ecdsa-signatures-256", "ecdsa-signatures-384",
            "pre-shared-keys", "rsa-signatures")),
        "authentication-algorithm": Leaf(choices=("md5", "sha-256", "sha-384", "sha1")),
        "dh-group": Leaf(choices=_DH_GROUPS),
        "encryption-algorithm": Leaf(choices=(
            "3des-cbc", "aes-128-cbc", "aes-192-cbc", "aes-256-cbc", "des-cbc")),
        "lifetime-seconds": Leaf("seconds"),
        "description": Leaf("text"),
    }), "proposal-name"),
    "policy": Named(Container({
        "mode": Leaf(choices=("aggressive", "main")),
        "proposals": LeafList("proposal-name"),
        "proposal-set": Leaf(choices=_PROPOSAL_SETS),
        "certificate": Container({
            "local-certificate": Leaf("certificate-id", check=file_name),
            "peer-certificate-type": Leaf(choices=("pkcs7", "x509-signature")),
            "trusted-ca": Leaf("use-all | ca-profile-name"),
        }),
        "pre-shared-key": Container({"ascii-text": Leaf("key"), "hexadecimal": Leaf("key")}),
        "description": Leaf("text"),
    }), "policy-name"),
    "gateway": Named(Container({
        "ike-policy": Leaf("policy-name"),
        "address": LeafList("ip-address-or-hostname"),
        "dynamic": Container({
            "hostname": Leaf("domain-name"),
            "inet": Leaf("ip-address"),
            "user-at-hostname": Leaf("e-mail-address"),
            "distinguished-name": _DN_MATCH,
            "connections-limit": Unmodelled(Leaf("number", check=in_range(1, 10000))),
            "ike-user-type": Unmodelled(Leaf(choices=("group-ike-id", "shared-ike-id"))),
        }),
        "local-identity": Container({
            "inet": Leaf("ip-address"),
            "hostname": Leaf("hostname"),
            "user-at-hostname": Leaf("e-mail-address"),
            "distinguished-name": Flag(),
            "inet6": Unmodelled(Leaf("ipv6-address", check=ipv6_address)),
        }, positional="inet", positional_note="'local-identity ADDRESS' (guide Chapter 14) "
           "read as 'local-identity inet ADDRESS'"),
        "remote-identity": Container({
            "inet": Leaf("ip-address"),
            "hostname": Leaf("hostname"),
            "user-at-hostname": Leaf("e-mail-address"),
            "distinguished-name": _DN_MATCH,
            "inet6": Unmodelled(Leaf("ipv6-address", check=ipv6_address)),
        }),
        "external-interface": Leaf("interface-name", check=interface_name),
        "local-address": Leaf("ip-address"),
        "version": Leaf(choices=("v1-only", "v2-only")),
        "no-nat-traversal": Flag(),
        # Ranges: interval 10..60 s, threshold 1..5 (Junos 9.3-12.1X4x references);
        # optimized and probe-idle-tunnel since 12.1X46-D10 (sim.junos.config_dpd).
        "dead-peer-detection": Container({
            "always-send": Flag(), "optimized": Flag(), "probe-idle-tunnel": Flag(),
            "interval": Leaf("seconds", check=in_range(*INTERVAL_RANGE)),
            "threshold": Leaf("number", check=in_range(*THRESHOLD_RANGE)),
        }),
        # Range 1..300 s, default 5 s (from memory).
        "nat-keepalive": Leaf("seconds", check=in_range(1, 300)),
        "general-ikeid": Unmodelled(Flag()),
        "xauth": Unmodelled(Container({"access-profile": Leaf("profile-name")})),
    }), "gateway-name"),
})

_IPSEC = Container({
    "proposal": Named(Container({
        "protocol": Leaf(choices=("ah", "esp")),
        "authentication-algorithm": Leaf(choices=(
            "hmac-md5-96", "hmac-sha-256-128", "hmac-sha1-96")),
        "encryption-algorithm": Leaf(choices=(
            "3des-cbc", "aes-128-cbc", "aes-128-gcm", "aes-192-cbc", "aes-192-gcm",
            "aes-256-cbc", "aes-256-gcm", "des-cbc")),
        "lifetime-seconds": Leaf("seconds"),
        "lifetime-kilobytes": Leaf("kilobytes"),
        "description": Leaf("text"),
    }), "proposal-name"),
    "policy": Named(Container({
        "perfect-forward-secrecy": Container({"keys": Leaf(choices=_DH_GROUPS)}),
        "proposals": LeafList("proposal-name"),
        "proposal-set": Leaf(choices=_PROPOSAL_SETS),
        "description": Leaf("text"),
    }), "policy-name"),
    "vpn": Named(Container({
        "bind-interface": Leaf("interface-name", check=interface_name),
        "ike": Container({
            "gateway": Leaf("gateway-name"),
            "ipsec-policy": Leaf("policy-name"),
            "proxy-identity": Container({
                "local": Leaf("ip-prefix"), "remote": Leaf("ip-prefix"),
                "service": Leaf("service-name"),
            }),
            "idle-time": Unmodelled(Leaf("seconds")),  # no traffic, so no idle SA
            "install-interval": Unmodelled(Leaf("seconds", check=in_range(0, 10))),
            "no-anti-replay": Flag(),
        }),
        "establish-tunnels": Leaf(choices=("immediately", "on-traffic")),
        "df-bit": Leaf(choices=("clear", "copy", "set")),
        "vpn-monitor": Unmodelled(Container({
            "destination-ip": Leaf("ip-address", check=ip_address),
            "optimized": Flag(),
            "source-interface": Leaf("interface-name", check=interface_name),
        })),
        # 12.1X46-D10: IKEv1 route-based VPNs may carry traffic selectors.
        "traffic-selector": Unmodelled(Named(Container({
            "local-ip": Leaf("ip-address/netmask", check=ip_prefix),
            "remote-ip": Leaf("ip-address/netmask", check=ip_prefix),
        }), "traffic-selector-name")),
    }), "vpn-name"),
    # Ranges from memory: interval 2..3600 s, threshold 1..65536.
    "vpn-monitor-options": Unmodelled(Container({
        "interval": Leaf("seconds", check=in_range(2, 3600)),
        "threshold": Leaf("number", check=in_range(1, 65536)),
    })),
    "traceoptions": Unmodelled(Container({"flag": LeafList("flag", (
        "all", "next-hop-tunnel-binding", "packet-drops", "packet-processing",
        "security-associations"))})),
})

_POLICY = Container({
    "match": Container({
        "source-address": LeafList("address-name"),
        "destination-address": LeafList("address-name"),
        "application": LeafList("application-name"),
    }),
    "then": Container({
        "permit": Container({"tunnel": Container({
            "ipsec-vpn": Leaf("vpn-name"), "pair-policy": Leaf("policy-name"),
        })}),
        "deny": Flag(),
        "reject": Flag(),
        "log": Unmodelled(Container({"session-init": Flag(), "session-close": Flag()})),
        "count": Unmodelled(Flag()),
    }),
    "description": Leaf("text"),
    "scheduler-name": Unmodelled(Leaf("scheduler-name")),
})

_POLICIES = Container({
    "from-zone": Named(Container({"to-zone": Named(Container({
        "policy": Named(_POLICY, "policy-name"),
    }), "zone-name")}), "zone-name"),
    "default-policy": Unmodelled(Container({"permit-all": Flag(), "deny-all": Flag()})),
    "policy-rematch": Unmodelled(Flag()),
})

_SYSTEM_SERVICES = (
    "all", "any-service", "bootp", "dhcp", "dns", "finger", "ftp", "http", "https",
    "ident-reset", "ike", "lsping", "netconf", "ntp", "ping", "r2cp", "reverse-ssh",
    "reverse-telnet", "rlogin", "rpm", "rsh", "snmp", "snmp-trap", "ssh", "telnet", "tftp",
    "traceroute", "xnm-clear-text", "xnm-ssl")
_HOST_INBOUND = Container({
    "system-services": LeafList("service", _SYSTEM_SERVICES),
    "protocols": Unmodelled(LeafList("protocol")),  # no routing protocol runs
})

_ZONES = Container({"security-zone": Named(Container({
    "address-book": Container({"address": Named(
        Container({"description": Leaf("text")}, positional="ip-prefix"), "address-name")}),
    "interfaces": Named(Container({"host-inbound-traffic": _HOST_INBOUND}), "interface-name"),
    "host-inbound-traffic": _HOST_INBOUND,
    "description": Leaf("text"),
    "screen": Unmodelled(Leaf("screen-name")),
    "tcp-rst": Unmodelled(Flag()),
    "application-tracking": Unmodelled(Flag()),
}), "zone-name"), "functional-zone": Ignored()})

# [edit security] hierarchies of Chapter 15 that ikesim does not model.
_SECURITY_UNMODELLED = (
    "address-book", "alarms", "alg", "analysis", "application-firewall",
    "application-tracking", "certificates", "datapath-debug", "dynamic-vpn",
    "firewall-authentication", "flow", "forwarding-options", "forwarding-process", "gprs",
    "group-vpn", "idp", "log", "nat", "resource-manager", "screen", "softwires",
    "ssh-known-hosts", "traceoptions", "user-identification", "utm")
_TOP_UNMODELLED = (
    "access", "accounting-options", "applications", "apply-groups", "bridge-domains",
    "chassis", "class-of-service", "ethernet-switching-options", "event-options", "firewall",
    "forwarding-options", "groups", "policy-options", "protocols", "routing-instances",
    "schedulers", "services", "snmp", "system", "version", "vlans")

JUNOS = Container({
    "security": Container({
        "pki": _PKI, "ike": _IKE, "ipsec": _IPSEC, "policies": _POLICIES, "zones": _ZONES,
        **{name: Ignored() for name in _SECURITY_UNMODELLED},
    }),
    "interfaces": Named(Container({
        "unit": Named(Container({
            "family": Container({
                "inet": Container({
                    "address": LeafList("address/length"),
                    "mtu": Unmodelled(Leaf("bytes", check=in_range(256, 9192))),
                    "dhcp": Unmodelled(Flag()),
                }),
                "inet6": Unmodelled(Container({"address": LeafList("address/length")})),
            }),
            "description": Leaf("text"),
            "vlan-id": Unmodelled(Leaf("number", check=in_range(1, 4094))),
            "multipoint": Unmodelled(Flag()),  # a point-to-multipoint st0 unit
            "disable": Unmodelled(Flag()),
        }), "logical-unit-number"),
        "description": Leaf("text"),
        "disable": Unmodelled(Flag()),
        "mtu": Unmodelled(Leaf("bytes", check=in_range(256, 9192))),
        "vlan-tagging": Unmodelled(Flag()),
        "gigether-options": Ignored(),
    }), "interface-name"),
    # Packets go over the topology's links: no route is looked up. A route-based VPN routes
    # into its tunnel interface (`next-hop st0.1`).
    "routing-options": Container({
        "static": Container({"route": Unmodelled(Named(Container({
            "next-hop": LeafList("address | interface-name", check=address_or_interface),
        }), "destination-prefix"))}),
        "router-id": Unmodelled(Leaf("router-id", check=ip_address)),
        "autonomous-system": Unmodelled(Leaf("autonomous-system", check=in_range(
            1, 4294967295))),
    }),
    **{name: Ignored() for name in _TOP_UNMODELLED},
})
