"""The Junos configuration grammar ikesim reads: the kinds of statement node (Container,
Named, Leaf, LeafList, Flag, Ignored, Alias) and `JUNOS`, the statement tree built from them,
which says for every keyword what follows it and which values it takes. sim.junos.setcmd walks
statements through it; nothing here reads text.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- grammar node kinds ----------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    """`name { ... }`. `positional`: slot for one non-keyword word (`file NAME size 1m`)."""

    children: dict[str, object]
    positional: str | None = None
    positional_note: str | None = None  # recorded when the positional form is used


@dataclass(frozen=True)
class Named:
    """`name KEY { ... }`, a list of entries keyed by KEY (ca-profile, gateway, unit, ...)."""

    entry: Container
    placeholder: str = "name"


@dataclass(frozen=True)
class Leaf:
    """`name VALUE;`. With `choices`, VALUE must be one of them."""

    placeholder: str = "value"
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LeafList:
    """`name VALUE;` repeated, or `name [ V1 V2 ];`."""

    placeholder: str = "value"
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Flag:
    """`name;`"""


@dataclass(frozen=True)
class Ignored:
    """A real Junos hierarchy ikesim does not model: its statements are recorded, not read."""


@dataclass(frozen=True)
class Alias:
    """A spelling the guide uses that Junos spells `target`; read as target, with a note."""

    target: tuple[str, ...]
    note: str


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
            "match": Leaf("regular-expression"),
            "world-readable": Flag(),
            "no-world-readable": Flag(),
        }, positional="filename"),
        "flag": LeafList("flag", flags),
        "no-remote-trace": Flag(),
    })


_PKI = Container({
    "auto-re-enrollment": Container({"certificate-id": Named(Container({
        "ca-profile-name": Leaf("ca-profile-name"),
        "challenge-password": Leaf("password"),
        "re-enroll-trigger-time-percentage": Leaf("percentage"),
        "re-generate-keypair": Flag(),
    }), "certificate-id-name")}),
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
            "ocsp": Container({
                "connection-failure": Leaf(choices=("disable", "fallback-crl")),
                "disable-responder-revocation-check": Flag(),
                "nonce-payload": Leaf(choices=("disable", "enable")),
                "url": Leaf("ocsp-url"),
            }),
            "use-ocsp": Flag(),
            "url": Alias(("crl", "url"), "'revocation-check url' (guide Chapter 12) read as "
                         "'revocation-check crl url'"),
        }),
        "routing-instance": Leaf("routing-instance-name"),
    }), "ca-profile-name"),
    "traceoptions": _traceoptions(("all", "certificate-verification", "online-crl-check")),
})

_DN_MATCH = Container({"container": Leaf("container-string"),
                       "wildcard": Leaf("wildcard-string")})

_IKE = Container({
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
            "local-certificate": Leaf("certificate-id"),
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
            "connections-limit": _NUMBER,
            "ike-user-type": Leaf(choices=("group-ike-id", "shared-ike-id")),
        }),
        "local-identity": Container({
            "inet": Leaf("ip-address"),
            "hostname": Leaf("hostname"),
            "user-at-hostname": Leaf("e-mail-address"),
            "distinguished-name": Flag(),
        }, positional="inet", positional_note="'local-identity ADDRESS' (guide Chapter 14) "
           "read as 'local-identity inet ADDRESS'"),
        "remote-identity": Container({
            "inet": Leaf("ip-address"),
            "hostname": Leaf("hostname"),
            "user-at-hostname": Leaf("e-mail-address"),
            "distinguished-name": _DN_MATCH,
        }),
        "external-interface": Leaf("interface-name"),
        "local-address": Leaf("ip-address"),
        "version": Leaf(choices=("v1-only", "v2-only")),
        "no-nat-traversal": Flag(),
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
        "bind-interface": Leaf("interface-name"),
        "ike": Container({
            "gateway": Leaf("gateway-name"),
            "ipsec-policy": Leaf("policy-name"),
            "proxy-identity": Container({
                "local": Leaf("ip-prefix"), "remote": Leaf("ip-prefix"),
                "service": Leaf("service-name"),
            }),
            "idle-time": Leaf("seconds"),
            "no-anti-replay": Flag(),
        }),
        "establish-tunnels": Leaf(choices=("immediately", "on-traffic")),
        "df-bit": Leaf(choices=("clear", "copy", "set")),
    }), "vpn-name"),
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
    }),
    "description": Leaf("text"),
})

_POLICIES = Container({"from-zone": Named(Container({"to-zone": Named(Container({
    "policy": Named(_POLICY, "policy-name"),
}), "zone-name")}), "zone-name")})

_SYSTEM_SERVICES = (
    "all", "any-service", "bootp", "dhcp", "dns", "finger", "ftp", "http", "https",
    "ident-reset", "ike", "lsping", "netconf", "ntp", "ping", "r2cp", "reverse-ssh",
    "reverse-telnet", "rlogin", "rpm", "rsh", "snmp", "snmp-trap", "ssh", "telnet", "tftp",
    "traceroute", "xnm-clear-text", "xnm-ssl")
_HOST_INBOUND = Container({
    "system-services": LeafList("service", _SYSTEM_SERVICES),
    "protocols": LeafList("protocol"),
})

_ZONES = Container({"security-zone": Named(Container({
    "address-book": Container({"address": Named(
        Container({"description": Leaf("text")}, positional="ip-prefix"), "address-name")}),
    "interfaces": Named(Container({"host-inbound-traffic": _HOST_INBOUND}), "interface-name"),
    "host-inbound-traffic": _HOST_INBOUND,
    "description": Leaf("text"),
}), "zone-name")})

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
            "family": Container({"inet": Container({"address": LeafList("address/length")})}),
            "description": Leaf("text"),
        }), "logical-unit-number"),
        "description": Leaf("text"),
    }), "interface-name"),
    "routing-options": Container({"static": Container({"route": Named(Container({
        "next-hop": LeafList("address"),
    }), "destination-prefix")})}),
    **{name: Ignored() for name in _TOP_UNMODELLED},
})
