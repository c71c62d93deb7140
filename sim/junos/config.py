"""The typed configuration of one SRX device, built from Junos text in either form.

`parse_config(text, source="Host-A")` parses with sim.junos.setcmd, then builds frozen values:
`security pki` (pki.profiles), `security ike`, `security ipsec`, `security policies`,
`security zones`, `interfaces` and `routing-options static`. Values are checked as Junos
checks them at commit; errors are `ConfigError` (from pki.profiles) naming the full statement
and its line, e.g. `Host-A config line 3: security pki ca-profile ms-ca enrollment retry 2000:
value must be 0..1080`. References between statements (a gateway's ike-policy, a VPN's
gateway, a tunnel policy's VPN, addresses in zone address books) are checked too.

The values live in one module per hierarchy (sim.junos.config_ike, config_ipsec, config_zones,
config_device) and the tree -> values step in sim.junos.config_build; their names are
re-exported here, where callers import them from. Ranges and defaults not in the PKI guide are
noted in each value module.
"""

from __future__ import annotations

from sim.junos.config_build import _Builder
from sim.junos.config_device import DeviceConfig, UnmodelledStatement
from sim.junos.config_ike import (
    IKE_LIFETIME_DEFAULT,
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
    IPSEC_LIFETIME_DEFAULT,
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
from sim.junos.setcmd import parse_tree

__all__ = [
    "AuthenticationMethod",
    "DeviceConfig",
    "DfBit",
    "DhGroup",
    "EncryptionAlgorithm",
    "EstablishTunnels",
    "HostInboundTraffic",
    "IKE_LIFETIME_DEFAULT",
    "IPSEC_LIFETIME_DEFAULT",
    "IdentityType",
    "IkeAuthenticationAlgorithm",
    "IkeConfig",
    "IkeGateway",
    "IkeIdentity",
    "IkeMode",
    "IkePolicy",
    "IkeProposal",
    "IkeTraceFlag",
    "IkeTraceoptions",
    "IkeVersion",
    "Interface",
    "IpsecAuthenticationAlgorithm",
    "IpsecConfig",
    "IpsecPolicy",
    "IpsecProposal",
    "IpsecProtocol",
    "IpsecVpn",
    "LogicalUnit",
    "PeerCertificateType",
    "PolicyAction",
    "ProposalSet",
    "ProxyIdentity",
    "SecurityPolicy",
    "SecurityZone",
    "StaticRoute",
    "UnmodelledStatement",
    "ZoneInterface",
    "parse_config",
]


def parse_config(text: str, *, source: str, relative_to: str = "") -> DeviceConfig:
    """Parse and check one device's Junos configuration (set or curly-brace form).

    Raises ConfigSyntaxError for words the grammar does not allow, ConfigError for values
    and references Junos would refuse at commit; both name the source and the line, in one
    line. Valid statements ikesim does not model are in the result's `unmodelled`.
    `relative_to` is the level the text is written at (e.g. "security pki").
    """
    if not isinstance(source, str) or not source:
        raise TypeError("source must be a non-empty str naming the configuration")
    tree = parse_tree(text, source=source, relative_to=relative_to)
    return _Builder(source).device(tree)
